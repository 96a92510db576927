/**
 * HMAC-SHA256 against RFC 4231 §4 (test cases 1-7) and Wycheproof hmac_sha256_test.json
 * (test-vectors/SOURCES.md), plus the verification edge cases: flipped bits and wrong lengths.
 *
 * Every case runs through each way of computing: JS through the async API (threshold above any
 * size), JS through the `*Sync` functions, and WebCrypto (threshold 0). Properties check that the
 * ways agree on random keys and messages, also beside the default threshold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc4231Sha256, parseWycheproofMac } from '../../test-vectors/load';
import rfc4231Json from '../../test-vectors/rfc4231-hmac.json';
import hmacJson from '../../test-vectors/wycheproof_hmac_sha256_test.json';
import { concatBytes, copyBytes } from './bytes';
import { CryptoError } from './errors';
import {
  HMAC_SHA256_LENGTH,
  HMAC_SHA256_SYNC_BELOW,
  HmacKey,
  type HmacKeyOptions,
  hmacSha256,
  hmacSha256Sync,
} from './hmac';

const rfc4231 = parseRfc4231Sha256(rfc4231Json);
const wycheproof = parseWycheproofMac(hmacJson, 'HMACSHA256');
const wycheproofCases = wycheproof.testGroups.flatMap((g) =>
  g.tests.map((t) => ({ ...t, tagSize: g.tagSize })),
);
const fullTag = wycheproofCases.filter((t) => t.tagSize === 256);
const truncatedTag = wycheproofCases.filter((t) => t.tagSize < 256);

/** One way of computing HMAC-SHA256: one-shot, and sign and verify with an imported key. */
interface Path {
  name: string;
  mac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  import(key: Uint8Array): Promise<HmacKey>;
  sign(key: HmacKey, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
  verify(key: HmacKey, data: Uint8Array<ArrayBuffer>, tag: Uint8Array): Promise<boolean>;
}

const asyncPath = (name: string, options: HmacKeyOptions): Path => ({
  name,
  mac: async (key, data) => hmacSha256(key, data, options),
  import: async (key) => HmacKey.import(key, options),
  sign: async (key, data) => key.sign(data),
  verify: async (key, data, tag) => key.verify(data, tag),
});

const PATHS: readonly Path[] = [
  asyncPath('JS (async API)', { syncBelow: Infinity }),
  {
    name: 'JS (*Sync functions)',
    mac: async (key, data) => Promise.resolve(hmacSha256Sync(key, data)),
    import: async (key) => HmacKey.import(key),
    sign: async (key, data) => Promise.resolve(key.signSync(data)),
    verify: async (key, data, tag) => Promise.resolve(key.verifySync(data, tag)),
  },
  asyncPath('WebCrypto', { syncBelow: 0 }),
];

describe.each(PATHS)('$name', (path) => {
  describe('HMAC-SHA256, RFC 4231 §4', () => {
    it('has test cases 1-7, only case 5 truncated', () => {
      expect(rfc4231.map((t) => t.testCase)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(rfc4231.filter((t) => t.truncated).map((t) => t.testCase)).toEqual([5]);
    });

    // Case 5 specifies only the first 128 bits of the MAC: compare that prefix.
    it.each(rfc4231)('test case $testCase', async (t) => {
      const mac = await path.mac(t.key, t.data);
      expect(mac).toHaveLength(HMAC_SHA256_LENGTH);
      if (t.truncated) {
        expect(mac.subarray(0, t.expected.length)).toEqual(t.expected);
      } else {
        expect(mac).toEqual(t.expected);
        expect(await path.verify(await path.import(t.key), t.data, t.expected)).toBe(true);
      }
    });
  });

  describe('HMAC-SHA256, Wycheproof hmac_sha256_test.json', () => {
    it('runs every case, full and truncated tags', () => {
      expect(fullTag.length).toBeGreaterThan(0);
      expect(truncatedTag.length).toBeGreaterThan(0);
      expect(fullTag.length + truncatedTag.length).toBe(wycheproof.numberOfTests);
    });

    // Full 256-bit tags go through verify: true for 'valid', false for 'invalid' (modified tags).
    // The file has no 'acceptable' MAC cases.
    it.each(fullTag)('256-bit tag: tcId $tcId ($result) $comment', async (t) => {
      const key = await path.import(t.key);
      expect(t.tag).toHaveLength(HMAC_SHA256_LENGTH);
      if (t.result === 'valid') {
        expect(await path.sign(key, t.msg)).toEqual(t.tag);
        expect(await path.verify(key, t.msg, t.tag)).toBe(true);
      } else {
        expect(await path.verify(key, t.msg, t.tag)).toBe(false);
      }
    });

    // Truncated tags: the wrapper has no truncated verify, so compare the MAC's prefix: equal for
    // 'valid', different for 'invalid'. verify takes only full tags and must say false.
    it.each(truncatedTag)('$tagSize-bit tag: tcId $tcId ($result) $comment', async (t) => {
      const key = await path.import(t.key);
      expect(t.tag).toHaveLength(t.tagSize / 8);
      const prefix = (await path.sign(key, t.msg)).subarray(0, t.tag.length);
      if (t.result === 'valid') {
        expect(prefix).toEqual(t.tag);
      } else {
        expect(prefix).not.toEqual(t.tag);
      }
      expect(await path.verify(key, t.msg, t.tag)).toBe(false);
    });
  });

  describe('verify', () => {
    const first = fullTag.find((t) => t.result === 'valid');
    if (first === undefined) throw new Error('the Wycheproof file has no valid 256-bit case');
    const { msg, tag } = first;

    // Exhaustive over all 256 bit positions (a property test would only sample them).
    it('returns false for every one-bit flip of a correct tag', async () => {
      const key = await path.import(first.key);
      expect(await path.verify(key, msg, tag)).toBe(true);
      for (let bit = 0; bit < tag.length * 8; bit++) {
        const flipped = copyBytes(tag);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(await path.verify(key, msg, flipped), `bit ${bit}`).toBe(false);
      }
    });

    it('returns false for a tag of the wrong length', async () => {
      const key = await path.import(first.key);
      const wrongLength = [
        new Uint8Array(0),
        tag.subarray(0, 16),
        tag.subarray(0, HMAC_SHA256_LENGTH - 1),
        concatBytes(tag, new Uint8Array([0])),
        concatBytes(tag, tag),
      ];
      for (const candidate of wrongLength) {
        expect(await path.verify(key, msg, candidate), `${candidate.length} bytes`).toBe(false);
      }
    });
  });

  it('refuses an empty key', async () => {
    const isEmptyKey = (e: unknown) =>
      CryptoError.is(e, 'BAD_ARGUMENT') && e.message === 'key must not be empty.';
    await expect(path.mac(new Uint8Array(0), new Uint8Array(1))).rejects.toSatisfy(isEmptyKey);
    await expect(path.import(new Uint8Array(0))).rejects.toSatisfy(isEmptyKey);
  });
});

describe('JS and WebCrypto agree', () => {
  const T = HMAC_SHA256_SYNC_BELOW;
  /** Lengths of a few blocks, up to 4 KiB, and many right beside the default threshold. */
  const length = fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 4096 }),
    fc.integer({ min: Math.max(0, T - 40), max: T + 40 }),
  );
  const bytesOf = (n: fc.Arbitrary<number>) => n.chain((k) => fc.uint8Array({ minLength: k, maxLength: k }));
  // Keys of up to two blocks: RFC 2104 pads short keys and hashes those longer than 64 bytes.
  const key = bytesOf(fc.integer({ min: 1, max: 130 }));

  it('give the same MAC on every path, and each verifies it', async () => {
    await fc.assert(
      fc.asyncProperty(key, bytesOf(length), async (k, data) => {
        const mac = await hmacSha256(k, data);
        expect(mac).toHaveLength(HMAC_SHA256_LENGTH);
        for (const path of PATHS) {
          expect(await path.mac(k, data), path.name).toEqual(mac);
          const handle = await path.import(k);
          expect(await path.sign(handle, data), path.name).toEqual(mac);
          expect(await path.verify(handle, data, mac), path.name).toBe(true);
        }
      }),
    );
  });

  it('refuse any flipped byte of the tag on every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        key,
        bytesOf(length),
        fc.integer({ min: 0, max: HMAC_SHA256_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (k, data, at, flip) => {
          const bad = await hmacSha256(k, data);
          bad[at]! ^= flip;
          for (const path of [...PATHS, asyncPath('default threshold', {})]) {
            expect(await path.verify(await path.import(k), data, bad), path.name).toBe(false);
          }
        },
      ),
    );
  });
});

describe('HmacKey', () => {
  it('reads its input when called, also while the WebCrypto key is still being imported', async () => {
    const k = new Uint8Array(32).fill(7);
    const data = new Uint8Array(4096).fill(2);
    const expected = hmacSha256Sync(k, data);
    const key = await HmacKey.import(k, { syncBelow: 0 });
    const pending = key.sign(data);
    data.fill(0);
    expect(await pending).toEqual(expected);
  });

  it('keeps its own copy of the key bytes', async () => {
    const k = new Uint8Array(32).fill(7);
    const key = await HmacKey.import(k);
    const webCrypto = await HmacKey.import(k, { syncBelow: 0 });
    k.fill(0);
    const data = new Uint8Array(64);
    const expected = hmacSha256Sync(new Uint8Array(32).fill(7), data);
    expect(key.signSync(data)).toEqual(expected);
    expect(await webCrypto.sign(data)).toEqual(expected);
  });

  it('exposes neither the key bytes nor the keyed state', async () => {
    const key = await HmacKey.import(new Uint8Array(32).fill(9));
    expect(Object.keys(key)).toEqual([]);
    expect(JSON.stringify(key)).toBe('{}');
  });
});
