/**
 * Canonical X25519 public keys (RFC 7748 §5). A u-coordinate is 32 bytes, little-endian. RFC 7748
 * tells implementations to mask bit 255 and to accept non-canonical values (u ≥ p = 2^255 − 19),
 * so a key with bit 255 set, or u + p, computes the same Diffie-Hellman results as the canonical
 * key: one private key, several public encodings. Where a public key is an identity (pinned,
 * compared, hashed into a user id), only the canonical encoding is accepted, so that one private
 * key is exactly one identity. Honest implementations only ever produce canonical keys.
 */
import { CryptoError } from './errors';

export const X25519_PUBLIC_KEY_LENGTH = 32;

/** True when `key` is 32 bytes, bit 255 is clear and u < p = 2^255 − 19 (RFC 7748 §5). */
export function isCanonicalX25519PublicKey(key: Uint8Array): boolean {
  if (!(key instanceof Uint8Array) || key.length !== X25519_PUBLIC_KEY_LENGTH) return false;
  const top = key[31]!;
  if (top & 0x80) return false; // bit 255 set
  // u ≥ p exactly when the top byte is 0x7f, bytes 30 … 1 are 0xff and byte 0 is ≥ 0xed.
  if (top !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (key[i] !== 0xff) return true;
  return key[0]! < 0xed;
}

/** Throws `CryptoError('BAD_PUBLIC_KEY')`, naming the argument, for a non-canonical key. */
export function assertCanonicalX25519PublicKey(key: Uint8Array, name: string): void {
  if (!isCanonicalX25519PublicKey(key)) {
    throw new CryptoError(
      'BAD_PUBLIC_KEY',
      `${name} must be a canonical 32-byte X25519 public key (bit 255 clear, below 2^255 − 19).`,
    );
  }
}
