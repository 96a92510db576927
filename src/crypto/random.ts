/** Cryptographically secure random bytes from the platform (WebCrypto getRandomValues). */
import { CryptoError } from './errors';

const MAX_CHUNK = 65_536; // getRandomValues refuses more than 64 KiB a call

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new CryptoError('BAD_ARGUMENT', 'length must be a non-negative integer.');
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + MAX_CHUNK)));
  }
  return out;
}
