/**
 * X25519 against Wycheproof x25519_test.json (test-vectors/SOURCES.md), on both backends.
 *
 * Policy for Wycheproof results, the same on 'webcrypto' and 'noble':
 * - 'valid' → the expected shared secret.
 * - Any case whose expected shared secret is all zero (flags ZeroSharedSecret, LowOrderPublic) →
 *   CryptoError BAD_PUBLIC_KEY: RFC 7748 §6.1's all-zero check is mandatory here.
 * - Every other 'acceptable' case (points on the twist, non-canonical u-coordinates, which RFC
 *   7748 §5 says to mask and reduce, other special public keys) → accepted, with the expected
 *   shared secret.
 * - 'invalid' → must throw a CryptoError (the file currently has none).
 */
import { describe, expect, it } from 'vitest';
import { type XdhCase, parseWycheproofXdh } from '../../test-vectors/load';
import x25519Json from '../../test-vectors/wycheproof_x25519_test.json';
import { isAllZero, toHex } from './bytes';
import { CryptoError } from './errors';
import {
  type X25519Backend,
  exportStorableKey,
  generateX25519KeyPair,
  importStorableKey,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
} from './x25519';

const backends = ['webcrypto', 'noble'] as const satisfies readonly X25519Backend[];

const vectors = parseWycheproofXdh(x25519Json);
const cases = vectors.testGroups.flatMap((g) => g.tests);

type Expectation = 'shared' | 'BAD_PUBLIC_KEY' | 'throws';

function expectation(t: XdhCase): Expectation {
  if (t.result === 'invalid') return 'throws';
  if (isAllZero(t.shared)) return 'BAD_PUBLIC_KEY';
  return 'shared';
}

/** The distinct values among `keys`. */
const distinct = (keys: readonly Uint8Array[]): Uint8Array[] => [
  ...new Map(keys.map((k) => [toHex(k), k])).values(),
];

/** Every low-order public key in the file (those that give an all-zero secret). */
const lowOrderPublicKeys = distinct(
  cases.filter((t) => t.result !== 'invalid' && isAllZero(t.shared)).map((t) => t.public),
);

describe('X25519 Wycheproof x25519_test.json', () => {
  it('is one curve25519 group, and the policy covers every case', () => {
    expect(vectors.testGroups.map((g) => g.curve)).toEqual(['curve25519']);
    expect(cases.length).toBeGreaterThan(0);
    expect(cases).toHaveLength(vectors.numberOfTests);
    const count = (e: Expectation, r: XdhCase['result']) =>
      cases.filter((t) => expectation(t) === e && t.result === r).length;
    expect(count('shared', 'valid')).toBeGreaterThan(0);
    expect(count('shared', 'acceptable')).toBeGreaterThan(0);
    expect(count('BAD_PUBLIC_KEY', 'acceptable')).toBeGreaterThan(0);
    // A 'valid' case with an all-zero secret would contradict the policy.
    expect(count('BAD_PUBLIC_KEY', 'valid')).toBe(0);
  });

  it('derives the same public key from each private key on both backends', async () => {
    for (const priv of distinct(cases.map((t) => t.private))) {
      const webcrypto = await x25519KeyPairFromPrivate(priv, 'webcrypto');
      const noble = await x25519KeyPairFromPrivate(priv, 'noble');
      expect(webcrypto.publicKey, toHex(priv)).toEqual(noble.publicKey);
    }
  });
});

describe.each(backends)('X25519 Wycheproof on %s', (backend) => {
  it.each(cases)('tcId $tcId ($result) $comment', async (t) => {
    const pair = await x25519KeyPairFromPrivate(t.private, backend);
    expect(pair.privateKey.backend).toBe(backend);
    const shared = x25519SharedSecret(pair.privateKey, t.public);
    switch (expectation(t)) {
      case 'shared':
        expect(await shared).toEqual(t.shared);
        break;
      case 'BAD_PUBLIC_KEY':
        await expect(shared).rejects.toSatisfy(
          (e: unknown) => CryptoError.is(e, 'BAD_PUBLIC_KEY'),
          'expected CryptoError BAD_PUBLIC_KEY',
        );
        break;
      case 'throws':
        await expect(shared).rejects.toSatisfy((e: unknown) => CryptoError.is(e), 'expected a CryptoError');
        break;
    }
  });
});

describe.each(backends)('X25519 on %s', (backend) => {
  it.each(backends)(`agrees with a fresh key pair on %s`, async (other) => {
    const alice = await generateX25519KeyPair(backend);
    const bob = await generateX25519KeyPair(other);
    expect(alice.privateKey.backend).toBe(backend);
    expect(bob.privateKey.backend).toBe(other);
    const ab = await x25519SharedSecret(alice.privateKey, bob.publicKey);
    const ba = await x25519SharedSecret(bob.privateKey, alice.publicKey);
    expect(ab).toHaveLength(32);
    expect(isAllZero(ab)).toBe(false);
    expect(ab).toEqual(ba);
  });

  // The all-zero key and every low-order point in the Wycheproof file (including their
  // non-canonical encodings) must be refused whatever the private key: clamping makes every
  // scalar a multiple of the cofactor, so the secret is always zero.
  it('refuses the all-zero and every low-order public key', async () => {
    const allZero = new Uint8Array(32);
    expect(lowOrderPublicKeys).toContainEqual(allZero);
    const { privateKey } = await generateX25519KeyPair(backend);
    for (const pub of lowOrderPublicKeys) {
      await expect(x25519SharedSecret(privateKey, pub)).rejects.toSatisfy(
        (e: unknown) => CryptoError.is(e, 'BAD_PUBLIC_KEY'),
        `expected CryptoError BAD_PUBLIC_KEY for ${toHex(pub)}`,
      );
    }
  });
});

describe.each(backends)('X25519 storable keys on %s', (backend) => {
  it('round-trips through a structured clone (as IndexedDB stores it) to the same key', async () => {
    const own = await generateX25519KeyPair(backend);
    const peer = await generateX25519KeyPair();
    const stored: unknown = structuredClone(exportStorableKey(own.privateKey));
    const restored = importStorableKey(stored);
    expect(restored.backend).toBe(backend);
    expect(await x25519SharedSecret(restored, peer.publicKey)).toEqual(
      await x25519SharedSecret(own.privateKey, peer.publicKey),
    );
  });

  it('refuses a truncated or mislabelled record', async () => {
    const own = await generateX25519KeyPair(backend);
    const storable = exportStorableKey(own.privateKey);
    const bad: unknown[] = [
      undefined,
      null,
      'key',
      new Uint8Array(32),
      { backend },
      { key: storable.key },
      { backend: 'other', key: storable.key },
      { backend: backend === 'noble' ? 'webcrypto' : 'noble', key: storable.key },
    ];
    for (const value of bad) {
      expect(() => importStorableKey(value)).toThrow(CryptoError);
    }
  });
});

describe('X25519 storable keys', () => {
  it('keeps a WebCrypto key non-extractable and never exposes its bytes', async () => {
    const { privateKey } = await generateX25519KeyPair('webcrypto');
    const storable = exportStorableKey(privateKey);
    expect(storable.backend).toBe('webcrypto');
    expect(storable.key).toBeInstanceOf(CryptoKey);
    expect((storable.key as CryptoKey).extractable).toBe(false);
    await expect(globalThis.crypto.subtle.exportKey('pkcs8', storable.key as CryptoKey)).rejects.toThrow();
  });

  it('stores the noble fallback as a copy of the 32 raw bytes', async () => {
    const { privateKey } = await generateX25519KeyPair('noble');
    const storable = exportStorableKey(privateKey);
    expect(storable.backend).toBe('noble');
    expect(storable.key).toBeInstanceOf(Uint8Array);
    expect(storable.key).toHaveLength(32);
    // Changing the stored copy does not change the live key.
    const peer = await generateX25519KeyPair('noble');
    const before = await x25519SharedSecret(privateKey, peer.publicKey);
    (storable.key as Uint8Array).fill(1);
    expect(await x25519SharedSecret(privateKey, peer.publicKey)).toEqual(before);
  });

  it('refuses raw bytes of the wrong length', () => {
    expect(() => importStorableKey({ backend: 'noble', key: new Uint8Array(31) })).toThrow(CryptoError);
  });

  it('refuses a CryptoKey that is not a non-extractable X25519 private deriveBits key', async () => {
    const subtle = globalThis.crypto.subtle;
    const extractable = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    const noDerive = await subtle.generateKey({ name: 'X25519' }, false, ['deriveKey']);
    const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const aes = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const publicKey = (await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])).publicKey;
    for (const key of [extractable.privateKey, noDerive.privateKey, ecdh.privateKey, aes, publicKey]) {
      expect(() => importStorableKey(structuredClone({ backend: 'webcrypto', key }))).toThrow(CryptoError);
    }
  });
});
