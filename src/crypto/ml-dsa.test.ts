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
 *
 * The async functions on each backend (Node 24 has ML-DSA-87 in WebCrypto, so both run here; Node
 * prints an ExperimentalWarning once per test file that touches it):
 * - mldsa_87_verify_test.json through `mlDsa87VerifyAsync` on WebCrypto and on noble;
 * - mldsa_87_sign_seed_test.json: `mlDsa87PrivateKeyFromSeed(ξ)` gives the group's public key on
 *   both; each valid message case signed by each backend (hedged, so not compared with `sig`)
 *   verifies with the other, and the vector's `sig` verifies on both;
 * - random keys, messages and contexts: WebCrypto signs → noble verifies, and the reverse;
 * - the self-check that decides the backend: its known answer (ml-dsa-known-answer.ts) is the
 *   file's, and it refuses a WebCrypto without ML-DSA-87 and one that gets a key from the seed, the
 *   context of a signature (signing, or signing and verifying alike) or a verification wrong.
 */
import { createHash } from 'node:crypto';
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
import { fromBase64Url, toHex, utf8 } from './bytes';
import { refuses, refusesSecretKey, thrown } from './crypto-error.test-util';
import { CryptoError } from './errors';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SECRET_KEY_LENGTH,
  ML_DSA_87_SEED_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  type MlDsa87Backend,
  type MlDsa87KeyPair,
  type MlDsa87PrivateKey,
  mlDsa87Backend,
  mlDsa87KeyPair,
  mlDsa87PrivateKeyFromSeed,
  mlDsa87Sign,
  mlDsa87SignAsync,
  mlDsa87Verify,
  mlDsa87VerifyAsync,
} from './ml-dsa';
import { ML_DSA_87_KNOWN_ANSWER } from './ml-dsa-known-answer';

const signSeed = parseWycheproofMlDsaSignSeed(signSeedJson);
const signNoSeed = parseWycheproofMlDsaSignNoSeed(signNoSeedJson);
const verify = parseWycheproofMlDsaVerify(verifyJson);

/** Each case with its group, for `it.each`. */
const withGroups = <G extends { readonly tests: readonly object[] }>(groups: readonly G[]) =>
  groups.flatMap((group) =>
    group.tests.map((t): G['tests'][number] & { readonly group: G } => ({ ...t, group })),
  );

const DETERMINISTIC = new Uint8Array(32);

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
      expect(thrown(sign)).toSatisfy(refusesSecretKey);
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

// ── The async functions, on WebCrypto and on noble ───────────────────────────────────────────────

const backends = ['webcrypto', 'noble'] as const satisfies readonly MlDsa87Backend[];
const otherBackend = (b: MlDsa87Backend): MlDsa87Backend => (b === 'webcrypto' ? 'noble' : 'webcrypto');

/** A message and context signed by `privateKey`'s backend, checked by the other (or noble). */
async function signedBy(
  privateKey: MlDsa87PrivateKey,
  msg: Uint8Array,
  ctx: Uint8Array,
): Promise<Uint8Array> {
  const sig = await mlDsa87SignAsync(privateKey, msg, ctx);
  expect(sig).toHaveLength(ML_DSA_87_SIGNATURE_LENGTH);
  return sig;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but it resolved');
}

describe('ML-DSA-87 backend', () => {
  // Breaks if the self-check refuses Node 24's WebCrypto (or ML-DSA-87 left it).
  it('is WebCrypto in Node 24', async () => {
    expect(await mlDsa87Backend()).toBe('webcrypto');
  });

  // Breaks if the self-check's known answer is not the Wycheproof case it names.
  it('self-checks against Wycheproof sign_seed group 0, tcId 3, as the file has it', () => {
    const g = signSeed.testGroups[0]!;
    const t = g.tests.find((c) => c.tcId === 3);
    if (g.publicKey === undefined || t?.msg === undefined) throw new Error('tcId 3 has a key and a message');
    expect(t.result).toBe('valid');
    expect(t.rnd).toBeUndefined();
    const known = ML_DSA_87_KNOWN_ANSWER;
    expect(known.seed).toBe(toHex(g.privateSeed));
    expect(known.publicKeySha256).toBe(createHash('sha256').update(g.publicKey).digest('hex'));
    expect(known.message).toBe(toHex(t.msg));
    expect(known.context).toBe(toHex(t.ctx));
    expect(t.ctx.length).toBeGreaterThan(0);
    expect(fromBase64Url(known.signature)).toEqual(t.sig);
  });

  it('makes non-extractable WebCrypto signing keys there, and noble ones on request', async () => {
    const seed = new Uint8Array(ML_DSA_87_SEED_LENGTH).fill(7);
    const web = await mlDsa87PrivateKeyFromSeed(seed);
    if (web.privateKey.backend !== 'webcrypto') throw new Error('expected a WebCrypto key');
    expect(web.privateKey.key.extractable).toBe(false);
    expect(web.privateKey.key.type).toBe('private');
    expect(web.privateKey.key.usages).toEqual(['sign']);
    expect(web.privateKey.key.algorithm.name).toBe('ML-DSA-87');
    const noble = await mlDsa87PrivateKeyFromSeed(seed, 'noble');
    expect(noble.privateKey.backend).toBe('noble');
    expect(noble.publicKey).toEqual(web.publicKey);
    expect(seed).toEqual(new Uint8Array(ML_DSA_87_SEED_LENGTH).fill(7)); // the caller's seed is left alone
  });
});

describe.each(backends)(
  'ML-DSA-87 Wycheproof mldsa_87_verify_test.json through mlDsa87VerifyAsync on %s',
  (backend) => {
    it.each(withGroups(verify.testGroups))('tcId $tcId ($result) $comment', async (t) => {
      expect(await mlDsa87VerifyAsync(t.group.publicKey, t.msg, t.sig, t.ctx, backend)).toBe(
        t.result === 'valid',
      );
    });
  },
);

describe.each(backends)(
  'ML-DSA-87 Wycheproof mldsa_87_sign_seed_test.json, keys from seed on %s',
  (backend) => {
    it.each(signSeed.testGroups.map((g, i) => ({ ...g, i, tcIds: g.tests.map((t) => t.tcId).join(', ') })))(
      'group $i (tcId $tcIds)',
      async (g) => {
        if (g.privateSeed.length !== ML_DSA_87_SEED_LENGTH) {
          expect(await rejection(mlDsa87PrivateKeyFromSeed(g.privateSeed, backend))).toSatisfy(
            refuses('seed'),
          );
          return;
        }
        const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(g.privateSeed, backend);
        expect(privateKey.backend).toBe(backend);
        expect(publicKey).toEqual(g.publicKey);
        for (const t of g.tests) {
          if (t.msg === undefined) continue; // Internal: μ only, which no wrapper takes
          if (t.result !== 'valid') {
            expect(await rejection(mlDsa87SignAsync(privateKey, t.msg, t.ctx))).toSatisfy(refuses('context'));
            continue;
          }
          const sig = await signedBy(privateKey, t.msg, t.ctx);
          const other = otherBackend(backend);
          expect(await mlDsa87VerifyAsync(publicKey, t.msg, sig, t.ctx, other), `tcId ${t.tcId}`).toBe(true);
          expect(await mlDsa87VerifyAsync(publicKey, t.msg, t.sig, t.ctx, backend), `tcId ${t.tcId}`).toBe(
            true,
          );
        }
      },
    );
  },
);

describe('ML-DSA-87 WebCrypto and noble agree', () => {
  const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
  const seed = fc.uint8Array({ minLength: ML_DSA_87_SEED_LENGTH, maxLength: ML_DSA_87_SEED_LENGTH });

  // Breaks if either backend signs anything the other does not accept, or derives another key.
  it.each(backends)(
    'a %s signature verifies on the other backend, for any seed, message and context',
    async (backend) => {
      await fc.assert(
        fc.asyncProperty(seed, bytes(300), bytes(255), async (xi, msg, ctx) => {
          const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(xi, backend);
          expect((await mlDsa87PrivateKeyFromSeed(xi, otherBackend(backend))).publicKey).toEqual(publicKey);
          const sig = await signedBy(privateKey, msg, ctx);
          expect(await mlDsa87VerifyAsync(publicKey, msg, sig, ctx, otherBackend(backend))).toBe(true);
          expect(mlDsa87Verify(publicKey, msg, sig, ctx)).toBe(true);
        }),
        { numRuns: 8 },
      );
    },
  );

  it.each(backends)('on %s, any flipped signature byte makes verify false', async (backend) => {
    const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(new Uint8Array(32).fill(1), backend);
    const message = utf8('flip me');
    const context = utf8('ctx');
    const signature = await signedBy(privateKey, message, context);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: ML_DSA_87_SIGNATURE_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (index, mask) => {
          const tampered = signature.slice();
          tampered[index]! ^= mask;
          expect(await mlDsa87VerifyAsync(publicKey, message, tampered, context, backend)).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(backends)(
    'on %s, verify is false, never a rejection, for keys, signatures and contexts of any length',
    async (backend) => {
      const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(new Uint8Array(32).fill(2), backend);
      const message = utf8('m');
      const signature = await signedBy(privateKey, message, new Uint8Array(0));
      await fc.assert(
        fc.asyncProperty(bytes(3000), bytes(5000), fc.integer({ min: 0, max: 300 }), async (pk, sig, n) => {
          expect(await mlDsa87VerifyAsync(pk, message, sig, new Uint8Array(n), backend)).toBe(false);
        }),
        { numRuns: 40 },
      );
      expect(await mlDsa87VerifyAsync(publicKey, message, signature, new Uint8Array(0), backend)).toBe(true);
      expect(await mlDsa87VerifyAsync(publicKey, message, signature, new Uint8Array(256), backend)).toBe(
        false,
      );
      expect(await mlDsa87VerifyAsync(publicKey, message, signature, utf8('x'), backend)).toBe(false);
      expect(
        await mlDsa87VerifyAsync(publicKey.subarray(1), message, signature, new Uint8Array(0), backend),
      ).toBe(false);
      expect(
        await mlDsa87VerifyAsync(publicKey, message, signature.subarray(1), new Uint8Array(0), backend),
      ).toBe(false);
      // A public key of all ones decodes (t1 is any 10-bit value): a key no signature here belongs to.
      const ones = new Uint8Array(ML_DSA_87_PUBLIC_KEY_LENGTH).fill(0xff);
      expect(await mlDsa87VerifyAsync(ones, message, signature, new Uint8Array(0), backend)).toBe(false);
      const notBytes = [...message] as unknown as Uint8Array;
      expect(
        await rejection(mlDsa87VerifyAsync(publicKey, notBytes, signature, new Uint8Array(0), backend)),
      ).toSatisfy(refuses('message'));
    },
  );

  it.each(backends)(
    'on %s, signing is hedged and refuses a context over 255 bytes or a key of another kind',
    async (backend) => {
      const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(new Uint8Array(32).fill(3), backend);
      const message = utf8('m');
      const a = await signedBy(privateKey, message, new Uint8Array(255));
      const b = await signedBy(privateKey, message, new Uint8Array(255));
      expect(a).not.toEqual(b);
      expect(mlDsa87Verify(publicKey, message, a, new Uint8Array(255))).toBe(true);
      expect(mlDsa87Verify(publicKey, message, b, new Uint8Array(255))).toBe(true);
      expect(await rejection(mlDsa87SignAsync(privateKey, message, new Uint8Array(256)))).toSatisfy(
        refuses('context'),
      );
      const hmac = await globalThis.crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      const forged: MlDsa87PrivateKey =
        backend === 'webcrypto' ? { backend, key: hmac } : { backend, secretKey: new Uint8Array(10) };
      expect(await rejection(mlDsa87SignAsync(forged, message, new Uint8Array(0)))).toSatisfy((e: unknown) =>
        CryptoError.is(e, 'BAD_ARGUMENT'),
      );
    },
  );
});

describe('ML-DSA-87 backend self-check', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  const isMlDsa = (algorithm: unknown): boolean =>
    (typeof algorithm === 'string' ? algorithm : (algorithm as { name?: unknown }).name) === 'ML-DSA-87';

  /** ml-dsa.ts loaded afresh (its backend not yet decided), after `spy` changed WebCrypto. */
  async function freshBackend(): Promise<typeof import('./ml-dsa')> {
    vi.resetModules();
    return import('./ml-dsa');
  }

  // Breaks if a platform without ML-DSA-87 in WebCrypto (Firefox, WebKit) is not sent to noble.
  it('falls back to noble where WebCrypto has no ML-DSA-87, and the async functions still work', async () => {
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    const spy = vi
      .spyOn(subtle, 'importKey')
      .mockImplementation(async (...args: Parameters<typeof importKey>) => {
        if (isMlDsa(args[2]))
          throw new DOMException('An invalid or illegal string was specified', 'SyntaxError');
        return importKey(...args);
      });
    const fresh = await freshBackend();
    expect(await fresh.mlDsa87Backend()).toBe('noble');
    const { publicKey, privateKey } = await fresh.mlDsa87PrivateKeyFromSeed(new Uint8Array(32).fill(4));
    expect(privateKey.backend).toBe('noble');
    const message = utf8('on noble');
    const signature = await fresh.mlDsa87SignAsync(privateKey, message, utf8('ctx'));
    expect(await fresh.mlDsa87VerifyAsync(publicKey, message, signature, utf8('ctx'))).toBe(true);
    expect(await fresh.mlDsa87VerifyAsync(publicKey, message, signature, utf8('cty'))).toBe(false);
    const g = verify.testGroups[0]!;
    for (const t of g.tests.slice(0, 5)) {
      expect(await fresh.mlDsa87VerifyAsync(g.publicKey, t.msg, t.sig, t.ctx)).toBe(t.result === 'valid');
    }
    // The one ML-DSA import tried (the self-check's) was refused: nothing else went to WebCrypto.
    expect(spy.mock.calls.filter((c) => isMlDsa(c[2]))).toHaveLength(1);
  });

  // Breaks if the self-check trusts a WebCrypto whose keys from a seed are not FIPS 204's
  // KeyGen_internal(ξ), even when its sign and verify agree with each other and with noble.
  it('refuses a WebCrypto that makes another key from the seed', async () => {
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    vi.spyOn(subtle, 'importKey').mockImplementation(async (...args: Parameters<typeof importKey>) => {
      const [format, , algorithm, extractable, usages] = args;
      if ((format as string) !== 'raw-seed') return importKey(...args);
      return importKey(format, new Uint8Array(ML_DSA_87_SEED_LENGTH).fill(5), algorithm, extractable, usages);
    });
    expect(await (await freshBackend()).mlDsa87Backend()).toBe('noble');
  });

  // Breaks if the self-check trusts a WebCrypto that builds M' unlike Algorithm 2 (here: the
  // context put before the message without its 0 ‖ |ctx| prefix) alike in sign and verify, so that
  // its own signatures verify: only the known answer can tell.
  it('refuses a WebCrypto whose signatures only it accepts', async () => {
    const subtle = globalThis.crypto.subtle;
    const sign = subtle.sign.bind(subtle);
    const verifyFn = subtle.verify.bind(subtle);
    const folded = (algorithm: unknown, data: BufferSource) => {
      const context = new Uint8Array((algorithm as { context: Uint8Array }).context);
      const message = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      const out = new Uint8Array(context.length + message.length);
      out.set(context);
      out.set(message, context.length);
      return out;
    };
    vi.spyOn(subtle, 'sign').mockImplementation(async (algorithm, key, data) =>
      isMlDsa(algorithm)
        ? sign({ name: 'ML-DSA-87' }, key, folded(algorithm, data))
        : sign(algorithm, key, data),
    );
    vi.spyOn(subtle, 'verify').mockImplementation(async (algorithm, key, signature, data) =>
      isMlDsa(algorithm)
        ? verifyFn({ name: 'ML-DSA-87' }, key, signature, folded(algorithm, data))
        : verifyFn(algorithm, key, signature, data),
    );
    expect(await (await freshBackend()).mlDsa87Backend()).toBe('noble');
  });

  // Breaks if the self-check trusts a WebCrypto that signs without the context, though it
  // verifies right.
  it('refuses a WebCrypto that signs without the context', async () => {
    const subtle = globalThis.crypto.subtle;
    const sign = subtle.sign.bind(subtle);
    vi.spyOn(subtle, 'sign').mockImplementation(async (algorithm, key, data) =>
      sign(isMlDsa(algorithm) ? { name: 'ML-DSA-87' } : algorithm, key, data),
    );
    expect(await (await freshBackend()).mlDsa87Backend()).toBe('noble');
  });

  // Breaks if the self-check trusts a WebCrypto whose verify accepts anything.
  it('refuses a WebCrypto whose verify says yes to a tampered signature', async () => {
    const subtle = globalThis.crypto.subtle;
    const verifyFn = subtle.verify.bind(subtle);
    vi.spyOn(subtle, 'verify').mockImplementation(async (...args: Parameters<typeof verifyFn>) =>
      isMlDsa(args[0]) ? true : verifyFn(...args),
    );
    expect(await (await freshBackend()).mlDsa87Backend()).toBe('noble');
  });

  // Breaks if the self-check trusts a WebCrypto that refuses good signatures.
  it('refuses a WebCrypto whose verify says no to a good signature', async () => {
    const subtle = globalThis.crypto.subtle;
    const verifyFn = subtle.verify.bind(subtle);
    vi.spyOn(subtle, 'verify').mockImplementation(async (...args: Parameters<typeof verifyFn>) =>
      isMlDsa(args[0]) ? false : verifyFn(...args),
    );
    expect(await (await freshBackend()).mlDsa87Backend()).toBe('noble');
  });
});
