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
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type XdhCase, parseWycheproofXdh } from '../../test-vectors/load';
import x25519Json from '../../test-vectors/wycheproof_x25519_test.json';
import { isAllZero, toHex } from './bytes';
import { CryptoError } from './errors';
import {
  type X25519Backend,
  type X25519KeyPair,
  type X25519StorageForm,
  X25519_KEY_LENGTH,
  exportStorableKey,
  generateStorableX25519KeyPair,
  generateX25519KeyPair,
  importStorableKey,
  survivesStructuredClone,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
  x25519StorageForm,
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

const storageForms = ['webcrypto', 'wrapped', 'noble'] as const satisfies readonly X25519StorageForm[];

/** Whether `needle` occurs anywhere in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every byte array inside `value` (a stored record), however deep. */
function byteArrays(value: unknown): Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  if (typeof value !== 'object' || value === null || value instanceof CryptoKey) return [];
  return Object.values(value).flatMap(byteArrays);
}

/** A wrapped storable key, and the private scalar it hides (read from the extractable key wrapKey saw). */
async function wrappedWithScalar(): Promise<{ pair: X25519KeyPair; scalar: Uint8Array }> {
  const subtle = globalThis.crypto.subtle;
  const spy = vi.spyOn(subtle, 'wrapKey');
  try {
    const pair = await generateStorableX25519KeyPair('wrapped');
    expect(spy).toHaveBeenCalledOnce();
    const seen = spy.mock.calls[0]![1];
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', seen));
    return { pair, scalar: pkcs8.slice(-X25519_KEY_LENGTH) };
  } finally {
    spy.mockRestore();
  }
}

describe.each(storageForms)('X25519 storable keys in the %s form', (form) => {
  it('round-trips through a structured clone (as IndexedDB stores it) to the same key', async () => {
    const own = await generateStorableX25519KeyPair(form);
    const peer = await generateX25519KeyPair();
    const storable = exportStorableKey(own.privateKey);
    expect(storable.backend).toBe(form);
    const restored = await importStorableKey(structuredClone(storable));
    expect(restored.backend).toBe(form === 'noble' ? 'noble' : 'webcrypto');
    expect(await x25519SharedSecret(restored, peer.publicKey)).toEqual(
      await x25519SharedSecret(own.privateKey, peer.publicKey),
    );
    // Stored again (a rename writes the record anew), it is the same record.
    expect(exportStorableKey(restored)).toEqual(storable);
  });

  it('refuses a truncated or mislabelled record', async () => {
    const own = await generateStorableX25519KeyPair(form);
    const storable = exportStorableKey(own.privateKey);
    const { backend: _backend, ...fields } = storable;
    const otherForms = storageForms.filter((f) => f !== form);
    const bad: unknown[] = [
      undefined,
      null,
      'key',
      new Uint8Array(32),
      { backend: form },
      fields,
      { ...fields, backend: 'other' },
      ...otherForms.map((backend) => ({ ...fields, backend })),
    ];
    for (const value of bad) {
      await expect(importStorableKey(value), JSON.stringify(value)).rejects.toSatisfy(
        (e: unknown) => CryptoError.is(e, 'BAD_ARGUMENT') && isSentence(e.message),
        'expected CryptoError BAD_ARGUMENT with a sentence',
      );
    }
  });
});

const isSentence = (s: string): boolean => /^[A-Z].{10,}[.]$/.test(s);

describe('X25519 storable keys', () => {
  it('keeps a WebCrypto key non-extractable and never exposes its bytes', async () => {
    const { privateKey } = await generateX25519KeyPair('webcrypto');
    const storable = exportStorableKey(privateKey);
    if (storable.backend !== 'webcrypto') throw new Error('expected the webcrypto form');
    expect(storable.key).toBeInstanceOf(CryptoKey);
    expect(storable.key.extractable).toBe(false);
    await expect(globalThis.crypto.subtle.exportKey('pkcs8', storable.key)).rejects.toThrow();
  });

  it('stores the noble fallback as a copy of the 32 raw bytes', async () => {
    const { privateKey } = await generateX25519KeyPair('noble');
    const storable = exportStorableKey(privateKey);
    if (storable.backend !== 'noble') throw new Error('expected the noble form');
    expect(storable.key).toBeInstanceOf(Uint8Array);
    expect(storable.key).toHaveLength(32);
    // Changing the stored copy does not change the live key.
    const peer = await generateX25519KeyPair('noble');
    const before = await x25519SharedSecret(privateKey, peer.publicKey);
    storable.key.fill(1);
    expect(await x25519SharedSecret(privateKey, peer.publicKey)).toEqual(before);
  });

  it('refuses raw bytes of the wrong length', async () => {
    await expect(importStorableKey({ backend: 'noble', key: new Uint8Array(31) })).rejects.toThrow(
      CryptoError,
    );
  });

  it('refuses a CryptoKey that is not a non-extractable X25519 private deriveBits key', async () => {
    const subtle = globalThis.crypto.subtle;
    const extractable = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    const noDerive = await subtle.generateKey({ name: 'X25519' }, false, ['deriveKey']);
    const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const aes = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const publicKey = (await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])).publicKey;
    for (const key of [extractable.privateKey, noDerive.privateKey, ecdh.privateKey, aes, publicKey]) {
      await expect(importStorableKey(structuredClone({ backend: 'webcrypto', key }))).rejects.toThrow(
        CryptoError,
      );
    }
  });
});

describe('X25519 storage form', () => {
  it('is the bare CryptoKey where the key survives a structured clone (Node, Chromium)', async () => {
    expect(
      survivesStructuredClone(
        (await globalThis.crypto.subtle.generateKey('X25519', false, ['deriveBits'])).privateKey,
      ),
    ).toBe(true);
    expect(await x25519StorageForm()).toBe('webcrypto');
  });

  it('is wrapped where storage refuses X25519 CryptoKeys but keeps AES ones (WebKit)', async () => {
    const webkit = (key: CryptoKey): boolean => key.algorithm.name !== 'X25519';
    expect(await x25519StorageForm(webkit)).toBe('wrapped');
  });

  it('falls back to noble where storage keeps no CryptoKey at all', async () => {
    expect(await x25519StorageForm(() => false)).toBe('noble');
  });

  it('tells a key that does not survive a structured clone', async () => {
    const key = (await globalThis.crypto.subtle.generateKey('X25519', false, ['deriveBits'])).privateKey;
    const spy = vi.spyOn(globalThis, 'structuredClone').mockImplementation(() => {
      throw new TypeError('Unable to deserialize data.');
    });
    try {
      expect(survivesStructuredClone(key)).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('X25519 wrapped storable keys', () => {
  it('store no private key bytes: only AES-GCM ciphertext, under a non-extractable AES key', async () => {
    const { pair, scalar } = await wrappedWithScalar();
    const storable = structuredClone(exportStorableKey(pair.privateKey));
    if (storable.backend !== 'wrapped') throw new Error('expected the wrapped form');
    expect(Object.keys(storable).sort()).toEqual(['backend', 'iv', 'wrapped', 'wrappingKey']);
    for (const bytes of byteArrays(storable)) {
      expect(contains(bytes, scalar)).toBe(false);
      expect(contains(bytes, PKCS8_PREFIX)).toBe(false);
    }
    expect(storable.iv).toHaveLength(12);
    expect(storable.wrapped).toHaveLength(48 + 16); // PKCS#8 (RFC 8410 §7) + the GCM tag
    const { wrappingKey } = storable;
    expect(wrappingKey.algorithm).toEqual({ name: 'AES-GCM', length: 256 });
    expect(wrappingKey.extractable).toBe(false);
    expect([...wrappingKey.usages].sort()).toEqual(['unwrapKey', 'wrapKey']);
    await expect(globalThis.crypto.subtle.exportKey('raw', wrappingKey)).rejects.toThrow();
  });

  it('compute with a non-extractable key, both when made and when read back', async () => {
    const subtle = globalThis.crypto.subtle;
    const { pair } = await wrappedWithScalar();
    const restored = await importStorableKey(structuredClone(exportStorableKey(pair.privateKey)));
    const peer = await generateX25519KeyPair('webcrypto');
    const spy = vi.spyOn(subtle, 'deriveBits');
    try {
      await x25519SharedSecret(pair.privateKey, peer.publicKey);
      await x25519SharedSecret(restored, peer.publicKey);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [, key] of spy.mock.calls) {
        expect(key.algorithm.name).toBe('X25519');
        expect(key.extractable).toBe(false);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('refuse any flipped byte of the wrapped key or its iv with DECRYPT_FAILED', async () => {
    const { privateKey } = await generateStorableX25519KeyPair('wrapped');
    const storable = exportStorableKey(privateKey);
    if (storable.backend !== 'wrapped') throw new Error('expected the wrapped form');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('iv', 'wrapped'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (field, index, flip) => {
          const bytes = Uint8Array.from(storable[field]);
          bytes[index % bytes.length]! ^= flip;
          await expect(importStorableKey({ ...storable, [field]: bytes })).rejects.toSatisfy(
            (e: unknown) => CryptoError.is(e, 'DECRYPT_FAILED') && isSentence(e.message),
            'expected CryptoError DECRYPT_FAILED with a sentence',
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuse another key’s wrapping key, and a wrapping key that is not a non-extractable AES-GCM-256 unwrap key', async () => {
    const subtle = globalThis.crypto.subtle;
    const storable = exportStorableKey((await generateStorableX25519KeyPair('wrapped')).privateKey);
    const other = exportStorableKey((await generateStorableX25519KeyPair('wrapped')).privateKey);
    if (storable.backend !== 'wrapped' || other.backend !== 'wrapped') throw new Error('expected wrapped');
    await expect(importStorableKey({ ...storable, wrappingKey: other.wrappingKey })).rejects.toSatisfy(
      (e: unknown) => CryptoError.is(e, 'DECRYPT_FAILED'),
    );
    const badKeys: unknown[] = [
      undefined,
      new Uint8Array(32),
      await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['wrapKey', 'unwrapKey']),
      await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['wrapKey', 'unwrapKey']),
      await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
      await subtle.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']),
      (await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])).privateKey,
    ];
    for (const wrappingKey of badKeys) {
      await expect(importStorableKey({ ...storable, wrappingKey })).rejects.toSatisfy(
        (e: unknown) => CryptoError.is(e, 'BAD_ARGUMENT') && isSentence(e.message),
        'expected CryptoError BAD_ARGUMENT with a sentence',
      );
    }
    const badShapes: unknown[] = [
      { ...storable, iv: storable.iv.slice(0, 11) },
      { ...storable, iv: 'iv' },
      { ...storable, wrapped: storable.wrapped.slice(0, 63) },
      { ...storable, wrapped: new Uint8Array(257) },
      { ...storable, wrapped: [...storable.wrapped] },
    ];
    for (const value of badShapes) {
      await expect(importStorableKey(value)).rejects.toSatisfy(
        (e: unknown) => CryptoError.is(e, 'BAD_ARGUMENT') && isSentence(e.message),
        'expected CryptoError BAD_ARGUMENT with a sentence',
      );
    }
  });
});

// RFC 8410 §7: how a PKCS#8 X25519 private key begins.
const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e]);

describe('X25519 key generation on WebCrypto', () => {
  const operationError = () =>
    new DOMException('The operation failed for an operation-specific reason', 'OperationError');

  it('draws again when generateKey fails now and then (WebKitGTK: about 1 in 350)', async () => {
    const subtle = globalThis.crypto.subtle;
    const spy = vi.spyOn(subtle, 'generateKey');
    try {
      spy.mockRejectedValueOnce(operationError()).mockRejectedValueOnce(operationError());
      const pair = await generateX25519KeyPair('webcrypto');
      expect(pair.privateKey.backend).toBe('webcrypto');
      spy.mockRejectedValueOnce(operationError());
      const wrapped = await generateStorableX25519KeyPair('wrapped');
      expect(exportStorableKey(wrapped.privateKey).backend).toBe('wrapped');
    } finally {
      spy.mockRestore();
    }
  });

  it('gives up on an error that is not transient, and after a few failed draws', async () => {
    const subtle = globalThis.crypto.subtle;
    const spy = vi.spyOn(subtle, 'generateKey');
    try {
      spy.mockRejectedValueOnce(new DOMException('no X25519', 'NotSupportedError'));
      await expect(generateX25519KeyPair('webcrypto')).rejects.toThrow('no X25519');
      expect(spy).toHaveBeenCalledOnce();
      spy.mockClear();
      spy.mockRejectedValue(operationError());
      await expect(generateX25519KeyPair('webcrypto')).rejects.toThrow('operation-specific');
      expect(spy.mock.calls.length).toBeGreaterThan(1);
      expect(spy.mock.calls.length).toBeLessThan(10);
    } finally {
      spy.mockRestore();
    }
  });
});
