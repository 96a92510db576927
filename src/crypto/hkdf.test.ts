/**
 * HKDF-SHA256 against RFC 5869 Appendix A.1-A.3 and Wycheproof hkdf_sha256_test.json
 * (test-vectors/SOURCES.md). WebCrypto does not expose PRK, so only OKM is compared.
 */
import { describe, expect, it } from 'vitest';
import { parseRfc5869Sha256, parseWycheproofHkdf } from '../../test-vectors/load';
import rfc5869Json from '../../test-vectors/rfc5869-hkdf-sha256.json';
import hkdfJson from '../../test-vectors/wycheproof_hkdf_sha256_test.json';
import { CryptoError } from './errors';
import { hkdfSha256 } from './hkdf';

const rfc5869 = parseRfc5869Sha256(rfc5869Json);
const wycheproof = parseWycheproofHkdf(hkdfJson);
const wycheproofCases = wycheproof.testGroups.flatMap((g) => g.tests);

describe('HKDF-SHA256, RFC 5869 Appendix A', () => {
  it('has the three SHA-256 cases', () => {
    expect(rfc5869.map((t) => t.appendix)).toEqual(['A.1', 'A.2', 'A.3']);
  });

  // A.3 has an empty salt, which RFC 5869 §2.2 reads as HashLen zero bytes.
  it.each(rfc5869)('$appendix', async (t) => {
    expect(await hkdfSha256(t.ikm, t.salt, t.info, t.length)).toEqual(t.okm);
  });
});

describe('HKDF-SHA256, Wycheproof hkdf_sha256_test.json', () => {
  it('runs every case', () => {
    expect(wycheproofCases.length).toBeGreaterThan(0);
    expect(wycheproofCases).toHaveLength(wycheproof.numberOfTests);
  });

  // 'valid' (including the maximal 255 * 32-byte output and empty salts) must give okm; anything
  // else (here: output longer than 255 * HashLen, RFC 5869 §2.3) must be refused with
  // BAD_ARGUMENT before any derivation. The file has no 'acceptable' HKDF cases.
  it.each(wycheproofCases)('tcId $tcId ($result) $comment', async (t) => {
    if (t.result === 'valid') {
      expect(await hkdfSha256(t.ikm, t.salt, t.info, t.size)).toEqual(t.okm);
    } else {
      await expect(hkdfSha256(t.ikm, t.salt, t.info, t.size)).rejects.toSatisfy(
        (e: unknown) => CryptoError.is(e, 'BAD_ARGUMENT'),
        'expected CryptoError BAD_ARGUMENT',
      );
    }
  });
});
