/**
 * HMAC-SHA256 against RFC 4231 §4 (test cases 1-7) and Wycheproof hmac_sha256_test.json
 * (test-vectors/SOURCES.md), plus the verification edge cases: flipped bits and wrong lengths.
 */
import { describe, expect, it } from 'vitest';
import { parseRfc4231Sha256, parseWycheproofMac } from '../../test-vectors/load';
import rfc4231Json from '../../test-vectors/rfc4231-hmac.json';
import hmacJson from '../../test-vectors/wycheproof_hmac_sha256_test.json';
import { concatBytes, copyBytes } from './bytes';
import { HMAC_SHA256_LENGTH, HmacKey, hmacSha256 } from './hmac';

const rfc4231 = parseRfc4231Sha256(rfc4231Json);
const wycheproof = parseWycheproofMac(hmacJson, 'HMACSHA256');
const wycheproofCases = wycheproof.testGroups.flatMap((g) =>
  g.tests.map((t) => ({ ...t, tagSize: g.tagSize })),
);
const fullTag = wycheproofCases.filter((t) => t.tagSize === 256);
const truncatedTag = wycheproofCases.filter((t) => t.tagSize < 256);

describe('HMAC-SHA256, RFC 4231 §4', () => {
  it('has test cases 1-7, only case 5 truncated', () => {
    expect(rfc4231.map((t) => t.testCase)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rfc4231.filter((t) => t.truncated).map((t) => t.testCase)).toEqual([5]);
  });

  // Case 5 specifies only the first 128 bits of the MAC: compare that prefix.
  it.each(rfc4231)('test case $testCase', async (t) => {
    const mac = await hmacSha256(t.key, t.data);
    expect(mac).toHaveLength(HMAC_SHA256_LENGTH);
    if (t.truncated) {
      expect(mac.subarray(0, t.expected.length)).toEqual(t.expected);
    } else {
      expect(mac).toEqual(t.expected);
      expect(await (await HmacKey.import(t.key)).verify(t.data, t.expected)).toBe(true);
    }
  });
});

describe('HMAC-SHA256, Wycheproof hmac_sha256_test.json', () => {
  it('runs every case, full and truncated tags', () => {
    expect(fullTag.length).toBeGreaterThan(0);
    expect(truncatedTag.length).toBeGreaterThan(0);
    expect(fullTag.length + truncatedTag.length).toBe(wycheproof.numberOfTests);
  });

  // Full 256-bit tags go through HmacKey.verify: true for 'valid', false for 'invalid'
  // (modified tags). The file has no 'acceptable' MAC cases.
  it.each(fullTag)('256-bit tag: tcId $tcId ($result) $comment', async (t) => {
    const key = await HmacKey.import(t.key);
    expect(t.tag).toHaveLength(HMAC_SHA256_LENGTH);
    if (t.result === 'valid') {
      expect(await key.sign(t.msg)).toEqual(t.tag);
      expect(await key.verify(t.msg, t.tag)).toBe(true);
    } else {
      expect(await key.verify(t.msg, t.tag)).toBe(false);
    }
  });

  // Truncated tags: the wrapper has no truncated verify, so compare the MAC's prefix: equal for
  // 'valid', different for 'invalid'. HmacKey.verify takes only full tags and must say false.
  it.each(truncatedTag)('$tagSize-bit tag: tcId $tcId ($result) $comment', async (t) => {
    const key = await HmacKey.import(t.key);
    expect(t.tag).toHaveLength(t.tagSize / 8);
    const prefix = (await key.sign(t.msg)).subarray(0, t.tag.length);
    if (t.result === 'valid') {
      expect(prefix).toEqual(t.tag);
    } else {
      expect(prefix).not.toEqual(t.tag);
    }
    expect(await key.verify(t.msg, t.tag)).toBe(false);
  });
});

describe('HmacKey.verify', () => {
  const first = fullTag.find((t) => t.result === 'valid');
  if (first === undefined) throw new Error('the Wycheproof file has no valid 256-bit case');
  const { msg, tag } = first;

  // Exhaustive over all 256 bit positions (a property test would only sample them).
  it('returns false for every one-bit flip of a correct tag', async () => {
    const key = await HmacKey.import(first.key);
    expect(await key.verify(msg, tag)).toBe(true);
    for (let bit = 0; bit < tag.length * 8; bit++) {
      const flipped = copyBytes(tag);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(await key.verify(msg, flipped), `bit ${bit}`).toBe(false);
    }
  });

  it('returns false for a tag of the wrong length', async () => {
    const key = await HmacKey.import(first.key);
    const wrongLength = [
      new Uint8Array(0),
      tag.subarray(0, 16),
      tag.subarray(0, HMAC_SHA256_LENGTH - 1),
      concatBytes(tag, new Uint8Array([0])),
      concatBytes(tag, tag),
    ];
    for (const candidate of wrongLength) {
      expect(await key.verify(msg, candidate), `${candidate.length} bytes`).toBe(false);
    }
  });
});
