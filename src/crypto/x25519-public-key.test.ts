import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors';
import { assertCanonicalX25519PublicKey, isCanonicalX25519PublicKey } from './x25519-public-key';

/** The little-endian encoding of p + delta, p = 2^255 − 19 (delta from −1 to 18). */
function pPlus(delta: number): Uint8Array {
  // p = 2^255 − 19: bytes ed ff … ff 7f (little-endian).
  const out = new Uint8Array(32).fill(0xff);
  out[31] = 0x7f;
  out[0] = 0xed + delta;
  return out;
}

describe('canonical X25519 public keys (RFC 7748 §5)', () => {
  it('accepts 0 … p − 1 and refuses p … 2^255 − 1', () => {
    expect(isCanonicalX25519PublicKey(Uint8Array.of(9, ...new Uint8Array(31)))).toBe(true);
    expect(isCanonicalX25519PublicKey(pPlus(-1))).toBe(true); // p − 1
    for (let d = 0; d <= 18; d++) expect(isCanonicalX25519PublicKey(pPlus(d)), `p + ${d}`).toBe(false);
    const below = pPlus(0);
    below[15] = 0xfe; // a value below p with the top byte 0x7f
    expect(isCanonicalX25519PublicKey(below)).toBe(true);
  });

  it('refuses bit 255 set, which would be a second encoding of the same key', () => {
    const key = new Uint8Array(32);
    key[0] = 9;
    expect(isCanonicalX25519PublicKey(key)).toBe(true);
    key[31] = 0x80;
    expect(isCanonicalX25519PublicKey(key)).toBe(false);
  });

  it('refuses anything but 32 bytes, and names the argument when asserting', () => {
    expect(isCanonicalX25519PublicKey(new Uint8Array(31))).toBe(false);
    expect(isCanonicalX25519PublicKey(new Uint8Array(33))).toBe(false);
    const bad = new Uint8Array(32).fill(0xff);
    expect(() => assertCanonicalX25519PublicKey(bad, 'theirKey')).toThrow(CryptoError);
    expect(() => assertCanonicalX25519PublicKey(bad, 'theirKey')).toThrow(/^theirKey must be/);
  });
});
