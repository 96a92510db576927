/**
 * The identity's ML-DSA-87 (FIPS 204) signing key as an opaque handle, and the form it is kept in.
 *
 * No browser this app targets offers ML-DSA in WebCrypto (see ml-dsa.ts), so signing runs in
 * JavaScript (@noble/post-quantum) and the private key exists in the page's memory while the app
 * runs. What can still be protected is the copy at rest: the key is kept as its 32-byte FIPS 204
 * seed (ξ, §5.1 ML-DSA.KeyGen), encrypted with AES-256-GCM under a non-extractable WebCrypto AES
 * key made for it (`wrapped`), so the stored record holds no key bytes that script could read; the
 * AES key can be used by the page but never exported. Only where WebCrypto cannot make or store such
 * a key is the seed kept raw (`raw`), and then whoever reads the page's storage reads the key.
 *
 * Callers hold `SigningKeyPair`s and pass the private handle back to `signWithIdentityKey`; they
 * never see the seed or the expanded secret key.
 */
import { constantTimeEqual, copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';
import { ML_DSA_87_PUBLIC_KEY_LENGTH, ML_DSA_87_SEED_LENGTH, mlDsa87KeyPair, mlDsa87Sign } from './ml-dsa';
import { randomBytes } from './random';

const secrets = new WeakMap<SigningPrivateKey, { secretKey: Uint8Array; stored: StorableSigningKey }>();

/** A private ML-DSA-87 key. Callers hold it and pass it back; they never see its bytes. */
export class SigningPrivateKey {
  private constructor() {}
  /** @internal */
  static wrap(secretKey: Uint8Array, stored: StorableSigningKey): SigningPrivateKey {
    const handle = new SigningPrivateKey();
    secrets.set(handle, { secretKey, stored });
    return handle;
  }
}

export interface SigningKeyPair {
  /** The ML-DSA-87 public key, 2,592 bytes. */
  readonly publicKey: Uint8Array;
  readonly privateKey: SigningPrivateKey;
}

/**
 * How the key is kept (see the file header): `wrapped` is AES-GCM(wrappingKey, iv, seed) with a
 * non-extractable AES-256 key; `raw` is the seed itself, only where `wrapped` cannot be stored.
 */
export type StorableSigningKey =
  | {
      readonly form: 'wrapped';
      readonly wrappingKey: CryptoKey;
      readonly iv: Uint8Array;
      /** Ciphertext of the 32-byte seed ‖ 16-byte tag. */
      readonly wrapped: Uint8Array;
    }
  | { readonly form: 'raw'; readonly seed: Uint8Array };

const IV_LENGTH = 12;
const WRAPPED_LENGTH = ML_DSA_87_SEED_LENGTH + 16;

/** Whether storage can keep `key` as it is (IndexedDB stores by structured clone). */
export type CryptoKeyStorageProbe = (key: CryptoKey) => boolean;

function survivesStructuredClone(key: CryptoKey): boolean {
  try {
    const copy: unknown = globalThis.structuredClone(key);
    return (
      copy instanceof CryptoKey &&
      copy.type === key.type &&
      copy.algorithm.name === key.algorithm.name &&
      copy.extractable === key.extractable
    );
  } catch {
    return false;
  }
}

async function wrapSeed(
  seed: Uint8Array,
  canStore: CryptoKeyStorageProbe,
): Promise<StorableSigningKey | undefined> {
  const plain = copyBytes(seed);
  try {
    const subtle = globalThis.crypto.subtle;
    const wrappingKey = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    if (!canStore(wrappingKey)) return undefined;
    const iv = randomBytes(IV_LENGTH);
    const wrapped = new Uint8Array(
      await subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, wrappingKey, plain),
    );
    const stored: StorableSigningKey = { form: 'wrapped', wrappingKey, iv, wrapped };
    // Unwrapping at once proves the stored form reads back before anything relies on it.
    const back = (await unwrapSeed(stored)).seed;
    const same = constantTimeEqual(back, seed);
    back.fill(0);
    return same ? stored : undefined;
  } catch {
    return undefined;
  } finally {
    plain.fill(0);
  }
}

/**
 * A fresh ML-DSA-87 key pair with its stored form: `wrapped` wherever the platform can make and
 * store a non-extractable AES key (every current browser), else `raw`. `canStore` is for tests.
 */
export async function generateSigningKeyPair(
  canStore: CryptoKeyStorageProbe = survivesStructuredClone,
): Promise<SigningKeyPair> {
  const seed = randomBytes(ML_DSA_87_SEED_LENGTH);
  const stored = (await wrapSeed(seed, canStore)) ?? { form: 'raw' as const, seed: copyBytes(seed) };
  const { publicKey, secretKey } = mlDsa87KeyPair(seed);
  seed.fill(0);
  return { publicKey, privateKey: SigningPrivateKey.wrap(secretKey, stored) };
}

function secretOf(key: SigningPrivateKey): { secretKey: Uint8Array; stored: StorableSigningKey } {
  const s = secrets.get(key);
  if (!s) throw new CryptoError('BAD_ARGUMENT', 'privateKey must be a signing key made by this module.');
  return s;
}

/** FIPS 204 ML-DSA.Sign with the identity key (hedged), under `context` (at most 255 bytes). */
export function signWithIdentityKey(
  privateKey: SigningPrivateKey,
  message: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  return mlDsa87Sign(secretOf(privateKey).secretKey, message, context);
}

/** The stored form of `key`, as it was made or read back (no key bytes copied out of a `wrapped`). */
export function exportStorableSigningKey(key: SigningPrivateKey): StorableSigningKey {
  const { stored } = secretOf(key);
  if (stored.form === 'raw') return { form: 'raw', seed: copyBytes(stored.seed) };
  const { wrappingKey, iv, wrapped } = stored;
  return { form: 'wrapped', wrappingKey, iv: copyBytes(iv), wrapped: copyBytes(wrapped) };
}

function badRecord(message: string): CryptoError {
  return new CryptoError('BAD_ARGUMENT', message);
}

async function unwrapSeed(
  value: Record<string, unknown>,
): Promise<{ seed: Uint8Array; stored: StorableSigningKey }> {
  const { wrappingKey, iv, wrapped } = value;
  if (typeof CryptoKey === 'undefined' || !(wrappingKey instanceof CryptoKey)) {
    throw badRecord('The wrapping key of the stored signing key is missing or not a WebCrypto key.');
  }
  if (
    wrappingKey.type !== 'secret' ||
    wrappingKey.algorithm.name !== 'AES-GCM' ||
    (wrappingKey.algorithm as Partial<AesKeyAlgorithm>).length !== 256
  ) {
    throw badRecord('The wrapping key of the stored signing key is not an AES-GCM 256-bit key.');
  }
  if (wrappingKey.extractable) {
    throw badRecord('The wrapping key of the stored signing key is extractable, and it must not be.');
  }
  if (!wrappingKey.usages.includes('decrypt')) {
    throw badRecord('The wrapping key of the stored signing key cannot decrypt.');
  }
  assertBytes(iv, 'The iv of the stored signing key', IV_LENGTH);
  assertBytes(wrapped, 'The wrapped stored signing key', WRAPPED_LENGTH);
  const stored: StorableSigningKey = {
    form: 'wrapped',
    wrappingKey,
    iv: copyBytes(iv),
    wrapped: copyBytes(wrapped),
  };
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: copyBytes(iv), tagLength: 128 },
        wrappingKey,
        copyBytes(wrapped),
      ),
    );
  } catch (cause) {
    throw new CryptoError(
      'DECRYPT_FAILED',
      'The stored signing key does not unwrap with its wrapping key; the record is damaged.',
      { cause },
    );
  }
  if (seed.length !== ML_DSA_87_SEED_LENGTH) {
    seed.fill(0);
    throw badRecord('The stored signing key seed has the wrong length.');
  }
  return { seed, stored };
}

/**
 * The key pair back from its stored form (after a structured clone, as IndexedDB returns it),
 * checked against the stored public key: a seed that does not make `publicKey` is refused. Rejects
 * with `CryptoError('BAD_ARGUMENT')` for a record of the wrong shape and `'DECRYPT_FAILED'` for one
 * that does not unwrap.
 */
export async function importStorableSigningKey(value: unknown, publicKey: unknown): Promise<SigningKeyPair> {
  assertBytes(publicKey, 'The stored signing public key', ML_DSA_87_PUBLIC_KEY_LENGTH);
  if (typeof value !== 'object' || value === null || !('form' in value)) {
    throw badRecord('The stored signing key is not a stored signing key record.');
  }
  const record = value as Record<string, unknown>;
  let seed: Uint8Array;
  let stored: StorableSigningKey;
  if (record['form'] === 'raw') {
    assertBytes(record['seed'], 'The stored signing key seed', ML_DSA_87_SEED_LENGTH);
    seed = copyBytes(record['seed']);
    stored = { form: 'raw', seed: copyBytes(seed) };
  } else if (record['form'] === 'wrapped') {
    ({ seed, stored } = await unwrapSeed(record));
  } else {
    throw badRecord('The stored signing key names an unknown form.');
  }
  const pair = mlDsa87KeyPair(seed);
  seed.fill(0);
  if (!constantTimeEqual(pair.publicKey, publicKey)) {
    throw badRecord('The stored signing key does not belong to the stored signing public key.');
  }
  return { publicKey: pair.publicKey, privateKey: SigningPrivateKey.wrap(pair.secretKey, stored) };
}
