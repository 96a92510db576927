/**
 * AES-256-GCM wrappers against Wycheproof aes_gcm_test.json (test-vectors/SOURCES.md).
 *
 * The wrappers do AES-256-GCM with 96-bit nonces and 128-bit tags and nothing else, so:
 * - groups with keySize 256, ivSize 96, tagSize 128 run through encrypt and decrypt;
 * - groups with 128- or 192-bit keys must be refused with BAD_ARGUMENT (the key is checked first);
 * - groups with 256-bit keys and any other nonce size must be refused with BAD_ARGUMENT (nonce).
 * Every group in the file has 128-bit tags; a group with another tag size would be out of scope
 * for a fixed 16-byte tag and is skipped (counted below, so a new one cannot slip by unnoticed).
 *
 * Every case runs through each way of computing: JS through the async API (threshold above any
 * size), JS through the `*Sync` methods, and WebCrypto (threshold 0). Properties check that the
 * ways agree on random keys, nonces and messages, also beside the default threshold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AeadCase, type AeadGroup, parseWycheproofAead } from '../../test-vectors/load';
import aesGcmJson from '../../test-vectors/wycheproof_aes_gcm_test.json';
import { AES_GCM_SYNC_BELOW, AeadKey, type AeadKeyOptions, aesGcmDecrypt, aesGcmEncrypt } from './aead';
import { concatBytes, copyBytes } from './bytes';
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

const ALWAYS_JS: AeadKeyOptions = { syncBelow: Infinity };
const ALWAYS_WEBCRYPTO: AeadKeyOptions = { syncBelow: 0 };

/** One way of computing AES-GCM, as one-shot encrypt and decrypt. */
interface Path {
  name: string;
  encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
  decrypt(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
}

const asyncPath = (name: string, options: AeadKeyOptions): Path => ({
  name,
  encrypt: async (key, nonce, plaintext, ad) => aesGcmEncrypt(key, nonce, plaintext, ad, options),
  decrypt: async (key, nonce, sealed, ad) => aesGcmDecrypt(key, nonce, sealed, ad, options),
});

const PATHS: readonly Path[] = [
  asyncPath('JS (async API)', ALWAYS_JS),
  {
    name: 'JS (*Sync methods)',
    encrypt: async (key, nonce, plaintext, ad) =>
      (await AeadKey.import(key)).encryptSync(nonce, plaintext, ad),
    decrypt: async (key, nonce, sealed, ad) => (await AeadKey.import(key)).decryptSync(nonce, sealed, ad),
  },
  asyncPath('WebCrypto', ALWAYS_WEBCRYPTO),
];

describe('AES-256-GCM, Wycheproof aes_gcm_test.json', () => {
  it('accounts for every case: run, refused or skipped', () => {
    expect(inScope.length).toBeGreaterThan(0);
    expect(inScope.length + wrongKey.length + wrongNonce.length + skipped.length).toBe(vectors.numberOfTests);
    expect(skipped).toHaveLength(0);
  });

  describe.each(PATHS)('$name', (path) => {
    // 'valid' must round-trip; anything else must not decrypt. The file has no 'acceptable'
    // AES-GCM cases; one would be treated as a failure to decrypt, the stricter reading.
    it.each(inScope)('tcId $tcId ($result) $comment', async (t) => {
      const sealed = concatBytes(t.ct, t.tag);
      if (t.result === 'valid') {
        expect(await path.encrypt(t.key, t.iv, t.msg, t.aad)).toEqual(sealed);
        expect(await path.decrypt(t.key, t.iv, sealed, t.aad)).toEqual(t.msg);
      } else {
        await expect(path.decrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(
          isCode('DECRYPT_FAILED'),
          'expected CryptoError DECRYPT_FAILED',
        );
      }
    });

    it.each(wrongKey)('refuses the key: tcId $tcId ($result) $comment', async (t) => {
      const sealed = concatBytes(t.ct, t.tag);
      await expect(path.encrypt(t.key, t.iv, t.msg, t.aad)).rejects.toSatisfy(refuses('key'));
      await expect(path.decrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(refuses('key'));
    });

    it.each(wrongNonce)('refuses the nonce: tcId $tcId ($result) $comment', async (t) => {
      const sealed = concatBytes(t.ct, t.tag);
      await expect(path.encrypt(t.key, t.iv, t.msg, t.aad)).rejects.toSatisfy(refuses('nonce'));
      await expect(path.decrypt(t.key, t.iv, sealed, t.aad)).rejects.toSatisfy(refuses('nonce'));
    });
  });
});

describe('JS and WebCrypto agree', () => {
  const T = AES_GCM_SYNC_BELOW;
  /** Lengths of a few blocks, up to 4 KiB, and many right beside the default threshold. */
  const length = fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 4096 }),
    fc.integer({ min: Math.max(0, T - 40), max: T + 40 }),
  );
  const bytesOf = (n: fc.Arbitrary<number>) => n.chain((k) => fc.uint8Array({ minLength: k, maxLength: k }));
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const nonce = fc.uint8Array({ minLength: 12, maxLength: 12 });
  const ad = bytesOf(fc.integer({ min: 0, max: 64 }));

  it('seal the same bytes on every path, and each opens what the others sealed', async () => {
    await fc.assert(
      fc.asyncProperty(key, nonce, bytesOf(length), ad, async (k, n, plaintext, a) => {
        const sealed = await aesGcmEncrypt(k, n, plaintext, a);
        expect(sealed).toHaveLength(plaintext.length + 16);
        for (const path of PATHS) {
          expect(await path.encrypt(k, n, plaintext, a), path.name).toEqual(sealed);
          expect(await path.decrypt(k, n, sealed, a), path.name).toEqual(plaintext);
        }
        expect(await aesGcmDecrypt(k, n, sealed, a)).toEqual(plaintext);
      }),
    );
  });

  it('refuse any flipped byte with DECRYPT_FAILED on every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        key,
        nonce,
        bytesOf(length),
        ad,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (k, n, plaintext, a, at, flip) => {
          const sealed = await aesGcmEncrypt(k, n, plaintext, a);
          const bad = copyBytes(sealed);
          bad[at % bad.length]! ^= flip;
          for (const path of [...PATHS, asyncPath('default threshold', {})]) {
            await expect(path.decrypt(k, n, bad, a), path.name).rejects.toSatisfy(isCode('DECRYPT_FAILED'));
          }
        },
      ),
    );
  });

  it('refuse a ciphertext shorter than the tag with DECRYPT_FAILED on every path', async () => {
    const k = new Uint8Array(32);
    for (const path of PATHS) {
      for (const length of [0, 1, 15]) {
        await expect(
          path.decrypt(k, new Uint8Array(12), new Uint8Array(length), new Uint8Array(0)),
          path.name,
        ).rejects.toSatisfy(isCode('DECRYPT_FAILED'));
      }
    }
  });
});

describe('AeadKey', () => {
  it('reads its inputs when called, also while the WebCrypto key is still being imported', async () => {
    const k = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const plaintext = new Uint8Array(4096).fill(2);
    const ad = new Uint8Array(25).fill(3);
    const expected = await aesGcmEncrypt(k, nonce, plaintext, ad, ALWAYS_JS);
    const key = await AeadKey.import(k, ALWAYS_WEBCRYPTO);
    const pending = key.encrypt(nonce, plaintext, ad);
    nonce.fill(0);
    plaintext.fill(0);
    ad.fill(0);
    expect(await pending).toEqual(expected);
  });

  it('keeps its own copy of the key bytes', async () => {
    const k = new Uint8Array(32).fill(7);
    const key = await AeadKey.import(k);
    k.fill(0);
    const n = new Uint8Array(12);
    const m = new Uint8Array(64);
    expect(key.encryptSync(n, m, n)).toEqual(await aesGcmEncrypt(new Uint8Array(32).fill(7), n, m, n));
  });

  it('exposes neither the key bytes nor the WebCrypto key', async () => {
    const key = await AeadKey.import(new Uint8Array(32).fill(9));
    expect(Object.keys(key)).toEqual([]);
    expect(JSON.stringify(key)).toBe('{}');
  });
});
