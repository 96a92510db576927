/**
 * AES-256-GCM wrappers against Wycheproof aes_gcm_test.json (test-vectors/SOURCES.md).
 *
 * The wrappers do AES-256-GCM with 96-bit nonces and 128-bit tags and nothing else, so:
 * - groups with keySize 256, ivSize 96, tagSize 128 run through encrypt and decrypt;
 * - groups with 128- or 192-bit keys must be refused with BAD_ARGUMENT (the key is checked first);
 * - groups with 256-bit keys and any other nonce size must be refused with BAD_ARGUMENT (nonce).
 * Every group in the file has 128-bit tags; a group with another tag size would be out of scope
 * for a fixed 16-byte tag and is skipped (counted below, so a new one cannot slip by unnoticed).
 */
import { describe, expect, it } from 'vitest';
import { type AeadCase, type AeadGroup, parseWycheproofAead } from '../../test-vectors/load';
import aesGcmJson from '../../test-vectors/wycheproof_aes_gcm_test.json';
import { aesGcmDecrypt, aesGcmEncrypt } from './aead';
import { concatBytes } from './bytes';
import { CryptoError } from './errors';

const vectors = parseWycheproofAead(aesGcmJson);

const casesOf = (keep: (g: AeadGroup) => boolean): readonly AeadCase[] =>
  vectors.testGroups.filter(keep).flatMap((g) => g.tests);

const inScope = casesOf((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128);
const wrongKey = casesOf((g) => g.keySize !== 256 && g.tagSize === 128);
const wrongNonce = casesOf((g) => g.keySize === 256 && g.ivSize !== 96 && g.tagSize === 128);
const skipped = casesOf((g) => g.tagSize !== 128);

const isCode = (code: CryptoError['code']) => (e: unknown) => CryptoError.is(e, code);
/** BAD_ARGUMENT from the entry check for `arg` (the message names the argument). */
const refuses = (arg: 'key' | 'nonce') => (e: unknown) =>
  CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith(`${arg} must be`);

describe('AES-256-GCM, Wycheproof aes_gcm_test.json', () => {
  it('accounts for every case: run, refused or skipped', () => {
    expect(inScope.length).toBeGreaterThan(0);
    expect(inScope.length + wrongKey.length + wrongNonce.length + skipped.length).toBe(vectors.numberOfTests);
    expect(skipped).toHaveLength(0);
  });

  // 'valid' must round-trip; anything else must not decrypt. The file has no 'acceptable'
  // AES-GCM cases; one would be treated as a failure to decrypt, the stricter reading.
  it.each(inScope)('tcId $tcId ($result) $comment', async (t) => {
    const sealed = concatBytes(t.ct, t.tag);
    if (t.result === 'valid') {
      expect(await aesGcmEncrypt(t.key, t.iv, t.msg, t.aad)).toEqual(sealed);
      expect(await aesGcmDecrypt(t.key, t.iv, sealed, t.aad)).toEqual(t.msg);
    } else {
      await expect(aesGcmDecrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(
        isCode('DECRYPT_FAILED'),
        'expected CryptoError DECRYPT_FAILED',
      );
    }
  });

  it.each(wrongKey)('refuses the key: tcId $tcId ($result) $comment', async (t) => {
    const sealed = concatBytes(t.ct, t.tag);
    await expect(aesGcmEncrypt(t.key, t.iv, t.msg, t.aad)).rejects.toSatisfy(refuses('key'));
    await expect(aesGcmDecrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(refuses('key'));
  });

  it.each(wrongNonce)('refuses the nonce: tcId $tcId ($result) $comment', async (t) => {
    const sealed = concatBytes(t.ct, t.tag);
    await expect(aesGcmEncrypt(t.key, t.iv, t.msg, t.aad)).rejects.toSatisfy(refuses('nonce'));
    await expect(aesGcmDecrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(refuses('nonce'));
  });
});
