/**
 * A new ML-DSA-87 identity signing key (FIPS 204 §5.1 ML-DSA.KeyGen from a fresh 32-byte seed,
 * made into a WebCrypto key where ml-dsa.ts's backend is WebCrypto) and its stored form
 * (ml-dsa-key.ts): the seed sealed with AES-256-GCM under a non-extractable WebCrypto key, with
 * the public key as associated data, wherever the platform can store such a key; the raw seed
 * only where it cannot. Used at first run and on a key rotation.
 */
import { constantTimeEqual, copyBytes } from './bytes';
import {
  SIGNING_SEED_IV_LENGTH,
  SigningPrivateKey,
  type SigningKeyPair,
  type StorableSigningKey,
  unwrapSeed,
} from './ml-dsa-key';
import { mlDsa87PrivateKeyFromSeed } from './ml-dsa';
import { ML_DSA_87_SEED_LENGTH } from './pq-lengths';
import { randomBytes } from './random';
import { survivesStructuredClone } from './x25519';

/** Whether storage can keep `key` as it is (IndexedDB stores by structured clone). */
export type CryptoKeyStorageProbe = (key: CryptoKey) => boolean;

async function wrapSeed(
  seed: Uint8Array,
  publicKey: Uint8Array,
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
    const iv = randomBytes(SIGNING_SEED_IV_LENGTH);
    const wrapped = new Uint8Array(
      await subtle.encrypt(
        { name: 'AES-GCM', iv, tagLength: 128, additionalData: copyBytes(publicKey) },
        wrappingKey,
        plain,
      ),
    );
    const stored: StorableSigningKey = { form: 'wrapped', wrappingKey, iv, wrapped };
    // Unwrapping at once proves the stored form reads back before anything relies on it.
    const back = (await unwrapSeed(stored, publicKey)).seed;
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
  try {
    const { publicKey, privateKey } = await mlDsa87PrivateKeyFromSeed(seed);
    const stored = (await wrapSeed(seed, publicKey, canStore)) ?? {
      form: 'raw' as const,
      seed: copyBytes(seed),
    };
    return {
      publicKey,
      privateKey: SigningPrivateKey.wrap({
        publicKey: copyBytes(publicKey),
        stored,
        signingKey: Promise.resolve(privateKey),
      }),
    };
  } finally {
    seed.fill(0);
  }
}
