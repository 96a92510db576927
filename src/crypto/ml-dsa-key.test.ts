import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHex, utf8 } from './bytes';
import { CryptoError } from './errors';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SEED_LENGTH,
  mlDsa87Backend,
  mlDsa87KeyPair,
  mlDsa87Verify,
} from './ml-dsa';
import {
  type SigningKeyPair,
  SigningPrivateKey,
  type StorableSigningKey,
  checkSigningKeyPair,
  exportStorableSigningKey,
  importStorableSigningKey,
  signWithIdentityKey,
} from './ml-dsa-key';
import { generateSigningKeyPair } from './ml-dsa-keygen';

type Wrapped = Extract<StorableSigningKey, { form: 'wrapped' }>;

const context = utf8('SecMsg test');
const message = utf8('a message to sign');
const refuseCryptoKeys = (): boolean => false;

function wrappedOf(pair: SigningKeyPair): Wrapped {
  const stored = exportStorableSigningKey(pair.privateKey);
  if (stored.form !== 'wrapped') throw new Error('expected the wrapped form');
  return stored;
}

function flipped(bytes: Uint8Array, index: number, bit = 1): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index]! ^= bit;
  return copy;
}

/** Every byte array inside a stored value, however deep. */
function byteArrays(value: unknown): Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  if (typeof value !== 'object' || value === null || value instanceof CryptoKey) return [];
  return Object.values(value).flatMap(byteArrays);
}

async function refusal(promise: Promise<unknown>): Promise<CryptoError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof CryptoError) return e;
    throw e;
  }
  throw new Error('expected a CryptoError');
}

const isSentence = (s: string): boolean => /^[A-Z].{10,}[.]$/.test(s);

describe('ML-DSA-87 identity signing key', () => {
  afterEach(() => vi.restoreAllMocks());

  it('signs with a fresh key pair, and mlDsa87Verify accepts only that message and context', async () => {
    const pair = await generateSigningKeyPair();
    expect(pair.publicKey).toHaveLength(ML_DSA_87_PUBLIC_KEY_LENGTH);
    const signature = await signWithIdentityKey(pair.privateKey, message, context);
    expect(mlDsa87Verify(pair.publicKey, message, signature, context)).toBe(true);
    expect(mlDsa87Verify(pair.publicKey, utf8('another message'), signature, context)).toBe(false);
    expect(mlDsa87Verify(pair.publicKey, message, signature, utf8('another context'))).toBe(false);
    const other = await generateSigningKeyPair();
    expect(mlDsa87Verify(other.publicKey, message, signature, context)).toBe(false);
  });

  // Breaks if the identity key stops signing through WebCrypto where it has ML-DSA-87 (Node 24
  // here), for a new key and for one read back from storage.
  it('signs through a non-extractable WebCrypto key imported from the seed, new or read back', async () => {
    expect(await mlDsa87Backend()).toBe('webcrypto'); // its self-check done before counting imports
    const subtle = globalThis.crypto.subtle;
    const importKey = vi.spyOn(subtle, 'importKey');
    const sign = vi.spyOn(subtle, 'sign');
    const isMlDsa = (algorithm: unknown) => (algorithm as { name?: unknown }).name === 'ML-DSA-87';
    const seedImports = () =>
      importKey.mock.calls.filter(([format]) => (format as string) === 'raw-seed').map((c) => c.slice(2));
    const mlDsaSigns = () => sign.mock.calls.filter(([algorithm]) => isMlDsa(algorithm)).length;

    const pair = await generateSigningKeyPair();
    expect(seedImports()).toEqual([[{ name: 'ML-DSA-87' }, false, ['sign']]]);
    const before = mlDsaSigns();
    const signature = await signWithIdentityKey(pair.privateKey, message, context);
    expect(mlDsaSigns()).toBe(before + 1);
    expect(mlDsa87Verify(pair.publicKey, message, signature, context)).toBe(true);

    const back = await importStorableSigningKey(
      structuredClone(exportStorableSigningKey(pair.privateKey)),
      pair.publicKey,
    );
    expect(seedImports()).toHaveLength(1); // a wrapped key is only unwrapped when read back
    const again = await signWithIdentityKey(back.privateKey, message, context);
    expect(seedImports()).toHaveLength(2);
    expect(seedImports()[1]).toEqual([{ name: 'ML-DSA-87' }, false, ['sign']]);
    expect(mlDsaSigns()).toBe(before + 2);
    expect(mlDsa87Verify(pair.publicKey, message, again, context)).toBe(true);
    await signWithIdentityKey(back.privateKey, message, context);
    expect(seedImports()).toHaveLength(2); // the WebCrypto key is kept in the handle
  });

  // Breaks if a platform without ML-DSA-87 in WebCrypto (Firefox, WebKit) cannot make, store,
  // read back or use an identity key.
  it('signs with noble where WebCrypto has no ML-DSA-87', async () => {
    const subtle = globalThis.crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    vi.spyOn(subtle, 'importKey').mockImplementation(async (...args: Parameters<typeof importKey>) => {
      if ((args[2] as { name?: unknown }).name === 'ML-DSA-87') {
        throw new DOMException('An invalid or illegal string was specified', 'SyntaxError');
      }
      return importKey(...args);
    });
    const sign = vi.spyOn(subtle, 'sign');
    vi.resetModules();
    try {
      const keys = await import('./ml-dsa-key');
      const keygen = await import('./ml-dsa-keygen');
      expect(await (await import('./ml-dsa')).mlDsa87Backend()).toBe('noble');
      const pair = await keygen.generateSigningKeyPair();
      const signature = await keys.signWithIdentityKey(pair.privateKey, message, context);
      expect(mlDsa87Verify(pair.publicKey, message, signature, context)).toBe(true);
      const stored = structuredClone(keys.exportStorableSigningKey(pair.privateKey));
      expect(stored.form).toBe('wrapped');
      const back = await keys.importStorableSigningKey(stored, pair.publicKey);
      const again = await keys.signWithIdentityKey(back.privateKey, message, context);
      expect(mlDsa87Verify(pair.publicKey, message, again, context)).toBe(true);
      expect(sign.mock.calls.filter(([a]) => (a as { name?: unknown }).name === 'ML-DSA-87')).toEqual([]);
    } finally {
      vi.restoreAllMocks();
      vi.resetModules();
    }
  });

  it('keeps the seed wrapped under a non-extractable AES-GCM key, never in the clear', async () => {
    // The plaintext the key's stored form encrypts is its seed (copied: it is wiped after use).
    const subtle = globalThis.crypto.subtle;
    const encrypt = subtle.encrypt.bind(subtle);
    const plaintexts: Uint8Array[] = [];
    vi.spyOn(subtle, 'encrypt').mockImplementation(async (algorithm, key, data) => {
      plaintexts.push(Uint8Array.from(new Uint8Array(data as ArrayBuffer)));
      return encrypt(algorithm, key, data);
    });
    const pair = await generateSigningKeyPair();
    vi.restoreAllMocks();
    expect(plaintexts).toHaveLength(1);
    const seed = plaintexts[0]!;
    expect(seed).toHaveLength(ML_DSA_87_SEED_LENGTH);
    expect(mlDsa87KeyPair(seed).publicKey).toEqual(pair.publicKey);

    const stored = wrappedOf(pair);
    expect(Object.keys(stored).sort()).toEqual(['form', 'iv', 'wrapped', 'wrappingKey']);
    expect(stored.wrappingKey.extractable).toBe(false);
    expect(stored.wrappingKey.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    expect(stored.iv).toHaveLength(12);
    expect(stored.wrapped).toHaveLength(ML_DSA_87_SEED_LENGTH + 16);
    for (const bytes of byteArrays(structuredClone(stored))) {
      expect(toHex(bytes)).not.toContain(toHex(seed));
    }
  });

  it.each([
    ['wrapped', undefined],
    ['raw', refuseCryptoKeys],
  ] as const)(
    'survives a structured clone in the %s form and imports back to a working signer',
    async (form, probe) => {
      const pair = await generateSigningKeyPair(probe);
      const stored = structuredClone(exportStorableSigningKey(pair.privateKey));
      expect(stored.form).toBe(form);
      const back = await importStorableSigningKey(stored, Uint8Array.from(pair.publicKey));
      expect(back.publicKey).toEqual(pair.publicKey);
      const signature = await signWithIdentityKey(back.privateKey, message, context);
      expect(mlDsa87Verify(pair.publicKey, message, signature, context)).toBe(true);
      // Read back, it stores as the same record again.
      expect(exportStorableSigningKey(back.privateKey)).toEqual(exportStorableSigningKey(pair.privateKey));
    },
  );

  it('keeps the raw seed only where storage refuses CryptoKeys', async () => {
    const pair = await generateSigningKeyPair(refuseCryptoKeys);
    const stored = exportStorableSigningKey(pair.privateKey);
    if (stored.form !== 'raw') throw new Error('expected the raw form');
    expect(stored.seed).toHaveLength(ML_DSA_87_SEED_LENGTH);
    expect(mlDsa87KeyPair(stored.seed).publicKey).toEqual(pair.publicKey);
    // Exports are copies: changing one changes nothing kept.
    stored.seed.fill(0);
    const again = exportStorableSigningKey(pair.privateKey);
    expect(again.form === 'raw' && mlDsa87KeyPair(again.seed).publicKey).toEqual(pair.publicKey);
  });

  it('refuses a stored key read back with another public key (wrapped: AES-GCM; raw: expanded at once)', async () => {
    const pair = await generateSigningKeyPair();
    const other = await generateSigningKeyPair(refuseCryptoKeys);
    for (const [from, publicKey, code] of [
      [pair, other.publicKey, 'DECRYPT_FAILED'],
      [other, pair.publicKey, 'BAD_ARGUMENT'],
    ] as const) {
      const e = await refusal(importStorableSigningKey(exportStorableSigningKey(from.privateKey), publicKey));
      expect(e.code).toBe(code);
      expect(isSentence(e.message), e.message).toBe(true);
    }
    // A handle that is not the public key's never signs either.
    const mixed = { publicKey: other.publicKey, privateKey: pair.privateKey };
    const e = await refusal(checkSigningKeyPair(mixed));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(isSentence(e.message), e.message).toBe(true);
  });

  it('refuses a damaged wrapped seed, a damaged iv and another key’s wrapping key as DECRYPT_FAILED', async () => {
    const pair = await generateSigningKeyPair();
    const other = wrappedOf(await generateSigningKeyPair());
    const stored = wrappedOf(pair);
    for (const damaged of [
      { ...stored, wrapped: flipped(stored.wrapped, 0) },
      { ...stored, wrapped: flipped(stored.wrapped, stored.wrapped.length - 1, 0x80) },
      { ...stored, iv: flipped(stored.iv, 11) },
      { ...stored, wrappingKey: other.wrappingKey },
    ]) {
      const e = await refusal(importStorableSigningKey(damaged, pair.publicKey));
      expect(e.code).toBe('DECRYPT_FAILED');
      expect(isSentence(e.message), e.message).toBe(true);
    }
  });

  it('refuses any flipped bit of the wrapped seed or its iv', async () => {
    const pair = await generateSigningKeyPair();
    const stored = wrappedOf(pair);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), async (inIv, index, bit) => {
        const field = inIv ? stored.iv : stored.wrapped;
        const damaged = flipped(field, index % field.length, 1 << bit);
        const value = inIv ? { ...stored, iv: damaged } : { ...stored, wrapped: damaged };
        const e = await refusal(importStorableSigningKey(value, pair.publicKey));
        expect(e.code).toBe('DECRYPT_FAILED');
      }),
      { numRuns: 40 },
    );
  });

  it('refuses wrapping keys that are extractable, not AES-GCM-256 or cannot decrypt', async () => {
    const subtle = globalThis.crypto.subtle;
    const pair = await generateSigningKeyPair();
    const stored = wrappedOf(pair);
    const keys: CryptoKey[] = [
      await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']),
      await subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']),
      await subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt', 'decrypt']),
      await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
      await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']),
    ];
    for (const wrappingKey of keys) {
      const e = await refusal(importStorableSigningKey({ ...stored, wrappingKey }, pair.publicKey));
      expect(e.code, e.message).toBe('BAD_ARGUMENT');
      expect(isSentence(e.message), e.message).toBe(true);
    }
  });

  it('refuses records of the wrong shape or with wrong lengths, in sentences', async () => {
    const pair = await generateSigningKeyPair();
    const raw = await generateSigningKeyPair(refuseCryptoKeys);
    const stored = wrappedOf(pair);
    const rawStored = exportStorableSigningKey(raw.privateKey);
    if (rawStored.form !== 'raw') throw new Error('expected the raw form');
    const cases: [unknown, unknown][] = [
      [stored, pair.publicKey.slice(0, ML_DSA_87_PUBLIC_KEY_LENGTH - 1)],
      [stored, 'not bytes'],
      [undefined, pair.publicKey],
      ['wrapped', pair.publicKey],
      [{ form: 'sealed', seed: rawStored.seed }, raw.publicKey],
      [{ ...stored, wrappingKey: undefined }, pair.publicKey],
      [{ ...stored, wrappingKey: 'key' }, pair.publicKey],
      [{ ...stored, iv: stored.iv.slice(0, 11) }, pair.publicKey],
      [{ ...stored, wrapped: stored.wrapped.slice(0, 47) }, pair.publicKey],
      [{ ...stored, wrapped: Array.from(stored.wrapped) }, pair.publicKey],
      [{ form: 'raw', seed: rawStored.seed.slice(0, 31) }, raw.publicKey],
      [{ form: 'raw', seed: new Uint8Array(33) }, raw.publicKey],
      [{ form: 'raw' }, raw.publicKey],
    ];
    for (const [value, publicKey] of cases) {
      const e = await refusal(importStorableSigningKey(value, publicKey));
      expect(e.code, e.message).toBe('BAD_ARGUMENT');
      expect(isSentence(e.message), e.message).toBe(true);
    }
  });

  it('refuses a private key handle it did not make', async () => {
    const forged = Object.create(SigningPrivateKey.prototype) as SigningPrivateKey;
    await expect(signWithIdentityKey(forged, message, context)).rejects.toThrow(CryptoError);
    expect(() => exportStorableSigningKey(forged)).toThrow(CryptoError);
  });
});
