/**
 * ML-DSA-87 wrappers against Wycheproof (test-vectors/SOURCES.md), every group and case:
 * - mldsa_87_sign_seed_test.json: `mlDsa87KeyPair(ξ)` gives the group's public key; signing
 *   `msg` under `ctx` with the vector's `rnd`, or 32 zero bytes where it has none (the
 *   deterministic variant, as doc/mldsa.md says), gives exactly `sig`, which then verifies.
 *   'invalid': a seed of the wrong length is refused (`seed`); a context over 255 bytes is refused
 *   (`context`).
 * - mldsa_87_sign_noseed_test.json: the same from the expanded secret key. 'invalid': a key of the
 *   wrong length is refused (`secretKey`); a key with s1 or s2 out of range → BAD_ARGUMENT; a long
 *   context is refused.
 * - `Internal` cases (both sign files) give only μ, not the message: the wrappers take a message
 *   and context and never an external μ, so for them the key is still derived (seed file) or used
 *   (noseed file: sign and verify a message) through the wrappers, and the exact signature is
 *   checked on noble's `internal` external-μ API, the code under the wrappers.
 * - mldsa_87_verify_test.json: 'valid' → true, 'invalid' → false (wrong key or signature lengths,
 *   malformed hints, norm violations, contexts over 255 bytes), never a throw.
 * None of these files has 'acceptable' cases (checked below); one would be held to the 'invalid'
 * rule, the stricter reading.
 */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WycheproofCase } from '../../test-vectors/load';
import {
  type MlDsaSignCase,
  type MlDsaSignSeedGroup,
  parseWycheproofMlDsaSignNoSeed,
  parseWycheproofMlDsaSignSeed,
  parseWycheproofMlDsaVerify,
} from '../../test-vectors/load-pq';
import signNoSeedJson from '../../test-vectors/wycheproof_mldsa_87_sign_noseed_test.json';
import signSeedJson from '../../test-vectors/wycheproof_mldsa_87_sign_seed_test.json';
import verifyJson from '../../test-vectors/wycheproof_mldsa_87_verify_test.json';
import { utf8 } from './bytes';
import { CryptoError } from './errors';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SECRET_KEY_LENGTH,
  ML_DSA_87_SEED_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  type MlDsa87KeyPair,
  mlDsa87KeyPair,
  mlDsa87Sign,
  mlDsa87Verify,
} from './ml-dsa';

const signSeed = parseWycheproofMlDsaSignSeed(signSeedJson);
const signNoSeed = parseWycheproofMlDsaSignNoSeed(signNoSeedJson);
const verify = parseWycheproofMlDsaVerify(verifyJson);

/** Each case with its group, for `it.each`. */
const withGroups = <G extends { readonly tests: readonly object[] }>(groups: readonly G[]) =>
  groups.flatMap((group) =>
    group.tests.map((t): G['tests'][number] & { readonly group: G } => ({ ...t, group })),
  );

const DETERMINISTIC = new Uint8Array(32);

/** The error `fn` throws; fails the test if it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, but it returned');
}

/** BAD_ARGUMENT from the entry check for `arg` (the message names the argument). */
const refuses = (arg: string) => (e: unknown) =>
  CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith(`${arg} must be`);
const refusesKey = (e: unknown) =>
  CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith('secretKey is not a valid');

/** Key pairs from each seed group, made once (group 0 alone holds 44 cases). */
const seedKeys = new Map<MlDsaSignSeedGroup, MlDsa87KeyPair>();
const keysOf = (g: MlDsaSignSeedGroup): MlDsa87KeyPair => {
  let pair = seedKeys.get(g);
  if (pair === undefined) {
    pair = mlDsa87KeyPair(g.privateSeed);
    seedKeys.set(g, pair);
  }
  return pair;
};

/**
 * A valid sign case: exactly `sig` through the wrappers (or, for an Internal case, through noble's
 * external-μ API), and it verifies.
 */
function expectSignature(t: MlDsaSignCase, secretKey: Uint8Array, publicKey: Uint8Array): void {
  const rnd = t.rnd ?? DETERMINISTIC;
  if (t.msg !== undefined) {
    const sig = mlDsa87Sign(secretKey, t.msg, t.ctx, rnd);
    expect(sig).toEqual(t.sig);
    expect(mlDsa87Verify(publicKey, t.msg, sig, t.ctx)).toBe(true);
  } else {
    if (t.mu === undefined) throw new Error('a valid Internal case has mu');
    const sig = ml_dsa87.internal.sign(t.mu, secretKey, { externalMu: true, extraEntropy: rnd });
    expect(sig).toEqual(t.sig);
    expect(ml_dsa87.internal.verify(sig, t.mu, publicKey, { externalMu: true })).toBe(true);
    // What the wrappers can do with this key: sign and verify a message of their own.
    const message = utf8(`tcId ${t.tcId}`);
    expect(mlDsa87Verify(publicKey, message, mlDsa87Sign(secretKey, message, t.ctx), t.ctx)).toBe(true);
  }
}

describe('ML-DSA-87 Wycheproof files', () => {
  it.each([
    ['sign_seed', signSeed.testGroups.flatMap((g) => g.tests), signSeed.numberOfTests],
    ['sign_noseed', signNoSeed.testGroups.flatMap((g) => g.tests), signNoSeed.numberOfTests],
    ['verify', verify.testGroups.flatMap((g) => g.tests), verify.numberOfTests],
  ] as const)('%s: every case is read, none is acceptable', (_, cases: readonly WycheproofCase[], count) => {
    expect(cases.length).toBeGreaterThan(0);
    expect(cases).toHaveLength(count);
    expect(cases.filter((t) => t.result === 'valid').length).toBeGreaterThan(0);
    expect(cases.filter((t) => t.result === 'invalid').length).toBeGreaterThan(0);
    expect(cases.filter((t) => t.result === 'acceptable')).toHaveLength(0);
  });

  it('covers deterministic, randomized and Internal signing', () => {
    const valid = [...signSeed.testGroups, ...signNoSeed.testGroups]
      .flatMap((g) => g.tests)
      .filter((t) => t.result === 'valid');
    expect(valid.filter((t) => t.msg !== undefined && t.rnd === undefined).length).toBeGreaterThan(0);
    expect(valid.filter((t) => t.msg !== undefined && t.rnd !== undefined).length).toBeGreaterThan(0);
    expect(valid.filter((t) => t.msg === undefined).length).toBeGreaterThan(0);
  });
});

describe('ML-DSA-87 Wycheproof mldsa_87_sign_seed_test.json', () => {
  it.each(withGroups(signSeed.testGroups))('tcId $tcId ($result) $comment', (t) => {
    const g = t.group;
    if (g.privateSeed.length !== ML_DSA_87_SEED_LENGTH) {
      expect(t.result).toBe('invalid');
      expect(g.publicKey).toBeUndefined();
      expect(thrown(() => mlDsa87KeyPair(g.privateSeed))).toSatisfy(refuses('seed'));
      return;
    }
    const { publicKey, secretKey } = keysOf(g);
    expect(publicKey).toEqual(g.publicKey);
    if (t.result === 'valid') {
      expectSignature(t, secretKey, publicKey);
    } else {
      expect(t.ctx.length).toBeGreaterThan(255);
      const msg = t.msg ?? new Uint8Array(0);
      expect(thrown(() => mlDsa87Sign(secretKey, msg, t.ctx, t.rnd))).toSatisfy(refuses('context'));
    }
  });
});

describe('ML-DSA-87 Wycheproof mldsa_87_sign_noseed_test.json', () => {
  it.each(withGroups(signNoSeed.testGroups))('tcId $tcId ($result) $comment', (t) => {
    const g = t.group;
    const msg = t.msg ?? new Uint8Array(0);
    const sign = () => mlDsa87Sign(g.privateKey, msg, t.ctx, t.rnd ?? DETERMINISTIC);
    if (t.result === 'valid') {
      if (g.publicKey === undefined) throw new Error('a valid case has a public key');
      expectSignature(t, g.privateKey, g.publicKey);
    } else if (g.privateKey.length !== ML_DSA_87_SECRET_KEY_LENGTH) {
      expect(thrown(sign)).toSatisfy(refuses('secretKey'));
    } else if (t.ctx.length > 255) {
      expect(thrown(sign)).toSatisfy(refuses('context'));
    } else {
      expect(thrown(sign)).toSatisfy(refusesKey);
    }
  });
});

describe('ML-DSA-87 Wycheproof mldsa_87_verify_test.json', () => {
  it.each(withGroups(verify.testGroups))('tcId $tcId ($result) $comment', (t) => {
    expect(mlDsa87Verify(t.group.publicKey, t.msg, t.sig, t.ctx)).toBe(t.result === 'valid');
  });
});

describe('ML-DSA-87 properties', () => {
  const alice = mlDsa87KeyPair();
  const context = utf8('secmsg test');
  const message = utf8('the message that was signed');
  const signature = mlDsa87Sign(alice.secretKey, message, context);
  const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

  it('round-trips: a signature verifies under its key, message and context', () => {
    fc.assert(
      fc.property(bytes(300), bytes(255), (msg, ctx) => {
        const sig = mlDsa87Sign(alice.secretKey, msg, ctx);
        expect(sig).toHaveLength(ML_DSA_87_SIGNATURE_LENGTH);
        expect(mlDsa87Verify(alice.publicKey, msg, sig, ctx)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('any flipped signature byte makes verify false', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ML_DSA_87_SIGNATURE_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, mask) => {
          const tampered = signature.slice();
          tampered[index]! ^= mask;
          expect(mlDsa87Verify(alice.publicKey, message, tampered, context)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('any flipped message byte makes verify false', () => {
    fc.assert(
      fc.property(fc.nat(message.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const tampered = message.slice();
        tampered[index]! ^= mask;
        expect(mlDsa87Verify(alice.publicKey, tampered, signature, context)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('another context, another key or a longer message makes verify false', () => {
    expect(mlDsa87Verify(alice.publicKey, message, signature, context)).toBe(true);
    expect(mlDsa87Verify(alice.publicKey, message, signature, new Uint8Array(0))).toBe(false);
    expect(mlDsa87Verify(alice.publicKey, message, signature, utf8('secmsg test!'))).toBe(false);
    expect(mlDsa87Verify(mlDsa87KeyPair().publicKey, message, signature, context)).toBe(false);
    const longer = new Uint8Array(message.length + 1);
    longer.set(message);
    expect(mlDsa87Verify(alice.publicKey, longer, signature, context)).toBe(false);
  });

  it('returns false, never throws, for keys, signatures and contexts of any length', () => {
    fc.assert(
      fc.property(bytes(3000), bytes(5000), fc.integer({ min: 0, max: 300 }), (pk, sig, contextLength) => {
        expect(mlDsa87Verify(pk, message, sig, new Uint8Array(contextLength))).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect(mlDsa87Verify(alice.publicKey, message, signature, new Uint8Array(256))).toBe(false);
    expect(mlDsa87Verify(alice.publicKey.subarray(1), message, signature, context)).toBe(false);
    expect(mlDsa87Verify(alice.publicKey, message, signature.subarray(1), context)).toBe(false);
    expect(mlDsa87Verify(alice.publicKey, message, new Uint8Array(ML_DSA_87_SIGNATURE_LENGTH), context)).toBe(
      false,
    );
  });

  it('signs hedged by default, deterministically with all-zero randomness', () => {
    const a = mlDsa87Sign(alice.secretKey, message, context);
    const b = mlDsa87Sign(alice.secretKey, message, context);
    expect(a).not.toEqual(b);
    expect(mlDsa87Verify(alice.publicKey, message, a, context)).toBe(true);
    expect(mlDsa87Verify(alice.publicKey, message, b, context)).toBe(true);
    const d1 = mlDsa87Sign(alice.secretKey, message, context, DETERMINISTIC);
    const d2 = mlDsa87Sign(alice.secretKey, message, context, new Uint8Array(32));
    expect(d1).toEqual(d2);
    expect(d1).toEqual(ml_dsa87.sign(message, alice.secretKey, { context, extraEntropy: false }));
    const rnd = new Uint8Array(32).fill(7);
    expect(mlDsa87Sign(alice.secretKey, message, context, rnd)).toEqual(
      mlDsa87Sign(alice.secretKey, message, context, rnd),
    );
    expect(mlDsa87Sign(alice.secretKey, message, context, rnd)).not.toEqual(d1);
  });

  it('draws fresh keys when no seed is given', () => {
    const other = mlDsa87KeyPair();
    expect(alice.publicKey).toHaveLength(ML_DSA_87_PUBLIC_KEY_LENGTH);
    expect(alice.secretKey).toHaveLength(ML_DSA_87_SECRET_KEY_LENGTH);
    expect(other.publicKey).not.toEqual(alice.publicKey);
  });
});

describe('ML-DSA-87 argument checks', () => {
  const { secretKey } = mlDsa87KeyPair(new Uint8Array(32));
  const message = utf8('m');
  const bytes = (n: number) => new Uint8Array(n);

  it.each([31, 33, 0])('refuses a %i-byte seed', (n) => {
    expect(thrown(() => mlDsa87KeyPair(bytes(n)))).toSatisfy(refuses('seed'));
  });

  it.each([4895, 4897, 0])('refuses a %i-byte secret key', (n) => {
    expect(thrown(() => mlDsa87Sign(bytes(n), message, bytes(0)))).toSatisfy(refuses('secretKey'));
  });

  it('accepts a 255-byte context and refuses a 256-byte one', () => {
    expect(mlDsa87Sign(secretKey, message, bytes(255))).toHaveLength(ML_DSA_87_SIGNATURE_LENGTH);
    expect(thrown(() => mlDsa87Sign(secretKey, message, bytes(256)))).toSatisfy(refuses('context'));
  });

  it.each([31, 33, 0])('refuses %i bytes of randomness', (n) => {
    expect(thrown(() => mlDsa87Sign(secretKey, message, bytes(0), bytes(n)))).toSatisfy(
      refuses('randomness'),
    );
  });
});
