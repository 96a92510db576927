/**
 * The identity's ML-DSA-87 (FIPS 204) signing key as an opaque handle, and the form it is kept in.
 *
 * Where the platform's WebCrypto has ML-DSA-87 and passes ml-dsa.ts's self-check (Chromium, Node
 * 24), the key signs as a non-extractable WebCrypto key imported from its seed, so the expanded
 * secret key never exists in the page's memory. Elsewhere (Firefox, WebKit) signing runs in
 * JavaScript (@noble/post-quantum) and the expanded key lives in the page's memory while the app
 * runs. Either way, what can be protected is the copy at rest: the key is kept as its 32-byte FIPS
 * 204 seed (ξ, §5.1 ML-DSA.KeyGen), encrypted with AES-256-GCM under a non-extractable WebCrypto AES
 * key made for it (`wrapped`), so the stored record holds no key bytes that script could read; the
 * AES key can be used by the page but never exported. Only where WebCrypto cannot make or store such
 * a key is the seed kept raw (`raw`), and then whoever reads the page's storage reads the key.
 *
 * Callers hold `SigningKeyPair`s and pass the private handle back to `signWithIdentityKey`; they
 * never see the seed, the expanded secret key or the WebCrypto key. New keys are
 * ml-dsa-keygen.ts's (first run and key rotation only, so that code stays out of the page's first
 * load).
 *
 * The ML-DSA code itself (ml-dsa.ts, @noble/post-quantum) is loaded on first use, not with the page:
 * a key read back from storage is only unwrapped then (AES-GCM proves the seed intact); it is made
 * into a signing key (imported into WebCrypto, or expanded for noble), and checked against the
 * stored public key, the first time it signs (the first handshake), or by `checkSigningKeyPair`.
 */
import { constantTimeEqual, copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';
import type { MlDsa87PrivateKey, MlDsa87SigningKeyPair } from './ml-dsa';
import { ML_DSA_87_PUBLIC_KEY_LENGTH, ML_DSA_87_SEED_LENGTH } from './pq-lengths';

const mlDsa = async () => import('./ml-dsa');

/** What a handle holds (module-private; ml-dsa-keygen.ts makes new ones). */
export interface SigningSecret {
  readonly publicKey: Uint8Array;
  readonly stored: StorableSigningKey;
  /** The key that signs (WebCrypto or expanded), once made from `seed`, which is then wiped. */
  signingKey?: Promise<MlDsa87PrivateKey>;
  seed?: Uint8Array;
}

const secrets = new WeakMap<SigningPrivateKey, SigningSecret>();

/** A private ML-DSA-87 key. Callers hold it and pass it back; they never see its bytes. */
export class SigningPrivateKey {
  private constructor() {}
  /** @internal */
  static wrap(secret: SigningSecret): SigningPrivateKey {
    const handle = new SigningPrivateKey();
    secrets.set(handle, secret);
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

export const SIGNING_SEED_IV_LENGTH = 12;
const IV_LENGTH = SIGNING_SEED_IV_LENGTH;
const WRAPPED_LENGTH = ML_DSA_87_SEED_LENGTH + 16;

function secretOf(key: SigningPrivateKey): SigningSecret {
  const s = secrets.get(key);
  if (!s) throw new CryptoError('BAD_ARGUMENT', 'privateKey must be a signing key made by this module.');
  return s;
}

/** The signing key, made from the seed on first use and checked against the public key. */
async function signingKeyOf(s: SigningSecret): Promise<MlDsa87PrivateKey> {
  s.signingKey ??= (async () => {
    const seed = s.seed;
    if (!seed) throw new CryptoError('BAD_ARGUMENT', 'The signing key has no seed to expand.');
    let made: MlDsa87SigningKeyPair;
    try {
      made = await (await mlDsa()).mlDsa87PrivateKeyFromSeed(seed);
    } finally {
      seed.fill(0);
      delete s.seed;
    }
    if (!constantTimeEqual(made.publicKey, s.publicKey)) {
      throw badRecord('The stored signing key does not belong to the stored signing public key.');
    }
    return made.privateKey;
  })();
  return s.signingKey;
}

/**
 * Whether the pair's private key makes its public key: makes the signing key of a key read back
 * from storage (the first signature does the same). Rejects with `CryptoError('BAD_ARGUMENT')`
 * when it does not.
 */
export async function checkSigningKeyPair(pair: SigningKeyPair): Promise<void> {
  const s = secretOf(pair.privateKey);
  if (!constantTimeEqual(s.publicKey, pair.publicKey)) {
    throw badRecord('The signing key does not belong to this public key.');
  }
  await signingKeyOf(s);
}

/** FIPS 204 ML-DSA.Sign with the identity key (hedged), under `context` (at most 255 bytes). */
export async function signWithIdentityKey(
  privateKey: SigningPrivateKey,
  message: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  const signingKey = await signingKeyOf(secretOf(privateKey));
  return (await mlDsa()).mlDsa87SignAsync(signingKey, message, context);
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

/** The seed inside a `wrapped` record; the public key is the associated data it was sealed with. */
export async function unwrapSeed(
  value: Record<string, unknown>,
  publicKey: Uint8Array,
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
        { name: 'AES-GCM', iv: copyBytes(iv), tagLength: 128, additionalData: copyBytes(publicKey) },
        wrappingKey,
        copyBytes(wrapped),
      ),
    );
  } catch (cause) {
    throw new CryptoError(
      'DECRYPT_FAILED',
      'The stored signing key does not unwrap with its wrapping key for this public key; the record is damaged.',
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
 * The key pair back from its stored form (after a structured clone, as IndexedDB returns it).
 * Rejects with `CryptoError('BAD_ARGUMENT')` for a record of the wrong shape and `'DECRYPT_FAILED'`
 * for one that does not unwrap. A `wrapped` seed was sealed with its public key as associated data,
 * so AES-GCM alone proves the two belong together, without loading the ML-DSA code; a `raw` seed is
 * expanded at once (loading it) and refused with `BAD_ARGUMENT` if it makes another public key.
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
    ({ seed, stored } = await unwrapSeed(record, publicKey));
  } else {
    throw badRecord('The stored signing key names an unknown form.');
  }
  const pub = copyBytes(publicKey);
  const pair = {
    publicKey: pub,
    privateKey: SigningPrivateKey.wrap({ publicKey: copyBytes(pub), stored, seed }),
  };
  if (stored.form === 'raw') await checkSigningKeyPair(pair);
  return pair;
}
