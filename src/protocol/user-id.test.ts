import { describe, expect, it } from 'vitest';
import { concatBytes, toHex, utf8 } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { USER_ID_LENGTH, deriveUserId } from './user-id';

function canonicalKey(): Uint8Array {
  const key = randomBytes(32);
  key[31]! &= 0x7f;
  return key;
}

describe('deriveUserId', () => {
  it('is the first 16 bytes of SHA-256("SecMsg user id" ‖ X25519 key), recomputed with WebCrypto', async () => {
    const key = canonicalKey();
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', concatBytes(utf8('SecMsg user id'), key)),
    );
    expect(toHex(deriveUserId(key))).toBe(toHex(digest.subarray(0, USER_ID_LENGTH)));
  });

  it('covers the ML-DSA key when there is one, so either key changes the id', () => {
    const key = canonicalKey();
    const signing = randomBytes(2592);
    expect(deriveUserId(key, signing)).not.toEqual(deriveUserId(key));
    expect(deriveUserId(key, signing)).toEqual(deriveUserId(key, Uint8Array.from(signing)));
    expect(deriveUserId(canonicalKey())).not.toEqual(deriveUserId(key));
  });

  it('refuses non-canonical keys (bit 255 set, u ≥ p), so one private key is one user id', () => {
    const key = canonicalKey();
    const high = Uint8Array.from(key);
    high[31]! |= 0x80;
    const p = new Uint8Array(32).fill(0xff);
    p[0] = 0xed;
    p[31] = 0x7f;
    for (const bad of [high, p, key.subarray(0, 31)]) {
      expect(() => deriveUserId(bad)).toThrow(ProtocolError);
    }
  });
});
