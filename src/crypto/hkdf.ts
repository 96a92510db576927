/**
 * HKDF-SHA256 (RFC 5869) over WebCrypto. An empty salt means HashLen zero bytes (RFC 5869 §2.2),
 * which is also what WebCrypto does.
 */
import { copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const HKDF_SHA256_MAX_LENGTH = 255 * 32; // RFC 5869 §2.3: L <= 255 * HashLen

export async function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  assertBytes(ikm, 'ikm');
  assertBytes(salt, 'salt');
  assertBytes(info, 'info');
  if (!Number.isSafeInteger(length) || length < 1 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new CryptoError('BAD_ARGUMENT', `length must be between 1 and ${HKDF_SHA256_MAX_LENGTH} bytes.`);
  }
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', copyBytes(ikm), 'HKDF', false, ['deriveBits']);
  // WebCrypto derives whole bytes; ask for the bits rounded to bytes.
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: copyBytes(salt), info: copyBytes(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}
