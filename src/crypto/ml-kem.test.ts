/**
 * ML-KEM-1024 wrappers against Wycheproof (test-vectors/SOURCES.md), every group and case:
 * - mlkem_1024_keygen_seed_test.json: `mlKem1024KeyPair(d ‖ z)` gives both ek and dk.
 * - mlkem_1024_test.json: key pair from `seed`, ek compared where given, then decapsulating `c`
 *   gives K. Random and bit-flipped ciphertexts are 'valid' here: their K is the implicit
 *   rejection value J(z ‖ c). 'invalid': a seed of the wrong length is refused (`seed`), a
 *   ciphertext of the wrong length is refused (`cipherText`).
 * - mlkem_1024_encaps_test.json: encapsulating to ek with m as `randomness` gives c and K.
 *   'invalid': ek of the wrong length → BAD_ARGUMENT (`publicKey`); ek that fails the FIPS 203
 *   §7.2 modulus check → BAD_PUBLIC_KEY.
 * - mlkem_1024_semi_expanded_decaps_test.json: decapsulating with the given expanded dk gives K.
 *   'invalid': wrong lengths → BAD_ARGUMENT naming `cipherText` or `secretKey`; a dk that fails
 *   the §7.3 hash check (corrupted H(ek), or a corrupted ek under it) → BAD_ARGUMENT.
 * None of these files has 'acceptable' cases (checked below); one would be held to the 'invalid'
 * rule, the stricter reading.
 */
import { shake256 } from '@noble/hashes/sha3.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WycheproofCase, WycheproofFile } from '../../test-vectors/load';
import {
  parseWycheproofMlKem,
  parseWycheproofMlKemDecaps,
  parseWycheproofMlKemEncaps,
  parseWycheproofMlKemKeyGen,
} from '../../test-vectors/load-pq';
import mlKemJson from '../../test-vectors/wycheproof_mlkem_1024_test.json';
import encapsJson from '../../test-vectors/wycheproof_mlkem_1024_encaps_test.json';
import keyGenJson from '../../test-vectors/wycheproof_mlkem_1024_keygen_seed_test.json';
import decapsJson from '../../test-vectors/wycheproof_mlkem_1024_semi_expanded_decaps_test.json';
import { refuses, refusesSecretKey, thrown } from './crypto-error.test-util';
import { CryptoError } from './errors';
import {
  ML_KEM_1024_CIPHERTEXT_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
  ML_KEM_1024_SECRET_KEY_LENGTH,
  ML_KEM_1024_SEED_LENGTH,
  ML_KEM_1024_SHARED_SECRET_LENGTH,
  mlKem1024Decapsulate,
  mlKem1024Encapsulate,
  mlKem1024KeyPair,
} from './ml-kem';

const keyGen = parseWycheproofMlKemKeyGen(keyGenJson);
const mlKem = parseWycheproofMlKem(mlKemJson);
const encaps = parseWycheproofMlKemEncaps(encapsJson);
const decaps = parseWycheproofMlKemDecaps(decapsJson);

const casesOf = <C extends WycheproofCase>(file: WycheproofFile<{ readonly tests: readonly C[] }>) =>
  file.testGroups.flatMap((g) => g.tests);

const Q = 3329;
/** Where z starts in dk = dkPKE ‖ ek ‖ H(ek) ‖ z (768k + 64, k = 4). */
const Z_START = 3136;

const isCode = (code: CryptoError['code']) => (e: unknown) => CryptoError.is(e, code);

/** FIPS 203 Algorithm 18: the implicit-rejection secret K̄ = J(z ‖ c), J = SHAKE256 to 32 bytes. */
const implicitRejection = (secretKey: Uint8Array, cipherText: Uint8Array): Uint8Array =>
  shake256.create({ dkLen: 32 }).update(secretKey.subarray(Z_START)).update(cipherText).digest();

describe('ML-KEM-1024 Wycheproof files', () => {
  it.each([
    ['keygen_seed', casesOf(keyGen), keyGen.numberOfTests],
    ['mlkem', casesOf(mlKem), mlKem.numberOfTests],
    ['encaps', casesOf(encaps), encaps.numberOfTests],
    ['semi_expanded_decaps', casesOf(decaps), decaps.numberOfTests],
  ] as const)('%s: every case is read, none is acceptable', (_, cases: readonly WycheproofCase[], count) => {
    expect(cases.length).toBeGreaterThan(0);
    expect(cases).toHaveLength(count);
    expect(cases.filter((t) => t.result === 'valid').length).toBeGreaterThan(0);
    expect(cases.filter((t) => t.result === 'acceptable')).toHaveLength(0);
  });
});

describe('ML-KEM-1024 Wycheproof mlkem_1024_keygen_seed_test.json', () => {
  it.each(casesOf(keyGen))('tcId $tcId ($result) $comment', (t) => {
    expect(t.result).toBe('valid');
    const pair = mlKem1024KeyPair(t.seed);
    expect(pair.publicKey).toEqual(t.ek);
    expect(pair.secretKey).toEqual(t.dk);
  });
});

describe('ML-KEM-1024 Wycheproof mlkem_1024_test.json', () => {
  it.each(casesOf(mlKem))('tcId $tcId ($result) $comment', (t) => {
    if (t.result === 'valid') {
      const pair = mlKem1024KeyPair(t.seed);
      if (t.ek !== undefined) expect(pair.publicKey).toEqual(t.ek);
      expect(mlKem1024Decapsulate(t.c, pair.secretKey)).toEqual(t.K);
    } else if (t.seed.length !== ML_KEM_1024_SEED_LENGTH) {
      expect(thrown(() => mlKem1024KeyPair(t.seed))).toSatisfy(refuses('seed'));
    } else {
      expect(t.c.length).not.toBe(ML_KEM_1024_CIPHERTEXT_LENGTH);
      const { secretKey } = mlKem1024KeyPair(t.seed);
      expect(thrown(() => mlKem1024Decapsulate(t.c, secretKey))).toSatisfy(refuses('cipherText'));
    }
  });
});

describe('ML-KEM-1024 Wycheproof mlkem_1024_encaps_test.json', () => {
  it.each(casesOf(encaps))('tcId $tcId ($result) $comment', (t) => {
    if (t.result === 'valid') {
      const { cipherText, sharedSecret } = mlKem1024Encapsulate(t.ek, t.m);
      expect(cipherText).toEqual(t.c);
      expect(sharedSecret).toEqual(t.K);
    } else if (t.ek.length !== ML_KEM_1024_PUBLIC_KEY_LENGTH) {
      expect(thrown(() => mlKem1024Encapsulate(t.ek, t.m))).toSatisfy(refuses('publicKey'));
    } else {
      expect(thrown(() => mlKem1024Encapsulate(t.ek, t.m))).toSatisfy(isCode('BAD_PUBLIC_KEY'));
    }
  });

  // The wrapper makes the §7.2 check itself; noble's own check (its backstop) agrees on every
  // key the file marks as failing it.
  it('noble refuses the same unreduced keys', () => {
    const unreduced = casesOf(encaps).filter(
      (t) => t.result === 'invalid' && t.ek.length === ML_KEM_1024_PUBLIC_KEY_LENGTH,
    );
    expect(unreduced.length).toBeGreaterThan(0);
    for (const t of unreduced) expect(() => ml_kem1024.encapsulate(t.ek, t.m)).toThrow(/modulus/);
  });
});

describe('ML-KEM-1024 Wycheproof mlkem_1024_semi_expanded_decaps_test.json', () => {
  it.each(casesOf(decaps))('tcId $tcId ($result) $comment', (t) => {
    const run = () => mlKem1024Decapsulate(t.c, t.dk);
    if (t.result === 'valid') {
      expect(run()).toEqual(t.K);
    } else if (t.c.length !== ML_KEM_1024_CIPHERTEXT_LENGTH) {
      expect(thrown(run)).toSatisfy(refuses('cipherText'));
    } else if (t.dk.length !== ML_KEM_1024_SECRET_KEY_LENGTH) {
      expect(thrown(run)).toSatisfy(refuses('secretKey'));
    } else {
      expect(thrown(run)).toSatisfy(refusesSecretKey);
    }
  });
});

describe('ML-KEM-1024 properties', () => {
  const seed = fc.uint8Array({ minLength: 64, maxLength: 64 });
  const randomness = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('round-trips: decapsulation gives the encapsulated secret', () => {
    fc.assert(
      fc.property(seed, randomness, (s, m) => {
        const { publicKey, secretKey } = mlKem1024KeyPair(s);
        const { cipherText, sharedSecret } = mlKem1024Encapsulate(publicKey, m);
        expect(sharedSecret).toHaveLength(ML_KEM_1024_SHARED_SECRET_LENGTH);
        expect(mlKem1024Decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
        expect(mlKem1024Encapsulate(publicKey, m)).toEqual({ cipherText, sharedSecret });
      }),
      { numRuns: 25 },
    );
  });

  it('draws fresh keys and fresh randomness when none is given', () => {
    const a = mlKem1024KeyPair();
    const b = mlKem1024KeyPair();
    expect(a.publicKey).toHaveLength(ML_KEM_1024_PUBLIC_KEY_LENGTH);
    expect(a.secretKey).toHaveLength(ML_KEM_1024_SECRET_KEY_LENGTH);
    expect(a.publicKey).not.toEqual(b.publicKey);
    const first = mlKem1024Encapsulate(a.publicKey);
    const second = mlKem1024Encapsulate(a.publicKey);
    expect(first.cipherText).toHaveLength(ML_KEM_1024_CIPHERTEXT_LENGTH);
    expect(first.cipherText).not.toEqual(second.cipherText);
    expect(first.sharedSecret).not.toEqual(second.sharedSecret);
    expect(mlKem1024Decapsulate(first.cipherText, a.secretKey)).toEqual(first.sharedSecret);
    expect(mlKem1024Decapsulate(second.cipherText, a.secretKey)).toEqual(second.sharedSecret);
    // The secret has its own 32-byte buffer (noble's is a view into a 64-byte one).
    expect(first.sharedSecret.buffer.byteLength).toBe(ML_KEM_1024_SHARED_SECRET_LENGTH);
  });

  it('any flipped ciphertext byte gives another secret: the implicit rejection J(z ‖ c)', () => {
    const { publicKey, secretKey } = mlKem1024KeyPair();
    const { cipherText, sharedSecret } = mlKem1024Encapsulate(publicKey);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ML_KEM_1024_CIPHERTEXT_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, mask) => {
          const tampered = cipherText.slice();
          tampered[index]! ^= mask;
          const secret = mlKem1024Decapsulate(tampered, secretKey);
          expect(secret).not.toEqual(sharedSecret);
          expect(secret).toEqual(implicitRejection(secretKey, tampered));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("another key's secret key gives another secret, not an error", () => {
    const alice = mlKem1024KeyPair();
    const mallory = mlKem1024KeyPair();
    const { cipherText, sharedSecret } = mlKem1024Encapsulate(alice.publicKey);
    const secret = mlKem1024Decapsulate(cipherText, mallory.secretKey);
    expect(secret).not.toEqual(sharedSecret);
    expect(secret).toEqual(implicitRejection(mallory.secretKey, cipherText));
  });

  // §7.2: a coefficient of t̂ at or above q fails the modulus check; q - 1 and below pass.
  it('refuses a public key with any coefficient at or above q, and only those', () => {
    const { publicKey } = mlKem1024KeyPair();
    const withCoefficient = (index: number, value: number): Uint8Array => {
      const ek = publicKey.slice();
      const at = 3 * (index >> 1);
      if (index % 2 === 0) {
        ek[at] = value & 0xff;
        ek[at + 1] = (ek[at + 1]! & 0xf0) | (value >> 8);
      } else {
        ek[at + 1] = (ek[at + 1]! & 0x0f) | ((value & 0x0f) << 4);
        ek[at + 2] = value >> 4;
      }
      return ek;
    };
    const index = fc.integer({ min: 0, max: 4 * 256 - 1 });
    fc.assert(
      fc.property(index, fc.integer({ min: Q, max: 4095 }), (i, v) => {
        const ek = withCoefficient(i, v);
        expect(thrown(() => mlKem1024Encapsulate(ek))).toSatisfy(isCode('BAD_PUBLIC_KEY'));
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(index, fc.integer({ min: 0, max: Q - 1 }), (i, v) => {
        expect(mlKem1024Encapsulate(withCoefficient(i, v)).sharedSecret).toHaveLength(32);
      }),
      { numRuns: 50 },
    );
  });

  // §7.3 hash check covers ek ‖ H(ek) in dk; FIPS 203 checks nothing about dkPKE or z.
  it('refuses a secret key whose embedded public key or its hash is changed', () => {
    const { publicKey, secretKey } = mlKem1024KeyPair();
    const { cipherText } = mlKem1024Encapsulate(publicKey);
    fc.assert(
      fc.property(fc.integer({ min: 1536, max: 3135 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const dk = secretKey.slice();
        dk[index]! ^= mask;
        expect(thrown(() => mlKem1024Decapsulate(cipherText, dk))).toSatisfy(refusesSecretKey);
      }),
      { numRuns: 50 },
    );
    // noble's own hash check (the backstop) agrees.
    const dk = secretKey.slice();
    dk[3135]! ^= 1;
    expect(() => ml_kem1024.decapsulate(cipherText, dk)).toThrow(/hash check/);
  });
});

describe('ML-KEM-1024 argument checks', () => {
  const { publicKey, secretKey } = mlKem1024KeyPair();
  const { cipherText } = mlKem1024Encapsulate(publicKey);
  const bytes = (n: number) => new Uint8Array(n);

  it.each([63, 65, 0])('refuses a %i-byte seed', (n) => {
    expect(thrown(() => mlKem1024KeyPair(bytes(n)))).toSatisfy(refuses('seed'));
  });

  it.each([1567, 1569, 0])('refuses a %i-byte public key', (n) => {
    expect(thrown(() => mlKem1024Encapsulate(bytes(n)))).toSatisfy(refuses('publicKey'));
  });

  it.each([31, 33, 0])('refuses %i bytes of randomness', (n) => {
    expect(thrown(() => mlKem1024Encapsulate(publicKey, bytes(n)))).toSatisfy(refuses('randomness'));
  });

  it.each([1567, 1569, 0])('refuses a %i-byte ciphertext', (n) => {
    expect(thrown(() => mlKem1024Decapsulate(bytes(n), secretKey))).toSatisfy(refuses('cipherText'));
  });

  it.each([3167, 3169, 0])('refuses a %i-byte secret key', (n) => {
    expect(thrown(() => mlKem1024Decapsulate(cipherText, bytes(n)))).toSatisfy(refuses('secretKey'));
  });
});
