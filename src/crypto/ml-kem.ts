/**
 * ML-KEM-1024 (FIPS 203), wrapping `ml_kem1024` from @noble/post-quantum. Keys and ciphertexts are
 * the FIPS 203 byte encodings: `publicKey` is ek (§7.1), `secretKey` the expanded dk = dkPKE ‖ ek ‖
 * H(ek) ‖ z, and a seed is d ‖ z (64 bytes, ML-KEM.KeyGen_internal, Algorithm 16).
 *
 * What each function checks before the library runs, so a bad input is always a `CryptoError`,
 * never a library `Error`:
 * - `mlKem1024KeyPair`: `seed`, when given, is 64 bytes.
 * - `mlKem1024Encapsulate`: `randomness`, when given, is 32 bytes; the §7.2 encapsulation key
 *   checks: type check (`publicKey` is 1568 bytes, else BAD_ARGUMENT) and modulus check (every
 *   coefficient of ByteDecode12(ek) below q, else BAD_PUBLIC_KEY).
 * - `mlKem1024Decapsulate`: the §7.3 decapsulation input checks: ciphertext type check
 *   (`cipherText` is 1568 bytes), decapsulation key type check (`secretKey` is 3168 bytes) and hash
 *   check (H(ek) stored in dk matches ek), each BAD_ARGUMENT. A ciphertext that does not
 *   re-encrypt to itself is implicitly rejected (Algorithm 18): the result is the pseudo-random
 *   K̄ = J(z ‖ c), not an error, so a tampered ciphertext only shows up as a different secret.
 *
 * noble makes the same §7.2 and §7.3 checks and throws a plain `Error`; they are made here first
 * so the error is ours whatever the library version, and any throw left is wrapped as ours too.
 *
 * WebCrypto: Chromium 156 and Node 24.21 expose ML-KEM-1024 in `crypto.subtle` (Node as
 * experimental); this file uses noble only, until the project decides on that path.
 */
import { sha3_256 } from '@noble/hashes/sha3.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { constantTimeEqual, copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

import {
  ML_KEM_1024_CIPHERTEXT_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
  ML_KEM_1024_RANDOMNESS_LENGTH,
  ML_KEM_1024_SECRET_KEY_LENGTH,
  ML_KEM_1024_SEED_LENGTH,
} from './pq-lengths';

export {
  ML_KEM_1024_CIPHERTEXT_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
  ML_KEM_1024_RANDOMNESS_LENGTH,
  ML_KEM_1024_SECRET_KEY_LENGTH,
  ML_KEM_1024_SEED_LENGTH,
  ML_KEM_1024_SHARED_SECRET_LENGTH,
} from './pq-lengths';

const K = 4; // FIPS 203 §8, Table 2: ML-KEM-1024 has k = 4
const Q = 3329;
// Offsets in dk = dkPKE ‖ ek ‖ H(ek) ‖ z (Algorithm 16, line 3), and the t̂ part of ek (§7.2).
const DK_EK_START = 384 * K;
const DK_HASH_START = 768 * K + 32;
const DK_Z_START = 768 * K + 64;
const EK_T_HAT_LENGTH = 384 * K;

export interface MlKem1024KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface MlKem1024Encapsulation {
  readonly cipherText: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * A fresh key pair (ML-KEM.KeyGen, Algorithm 19), or with `seed` = d ‖ z the deterministic one
 * (KeyGen_internal, Algorithm 16), for known-answer tests and keys derived from a stored seed.
 */
export function mlKem1024KeyPair(seed?: Uint8Array): MlKem1024KeyPair {
  if (seed !== undefined) assertBytes(seed, 'seed', ML_KEM_1024_SEED_LENGTH);
  // Without a seed, noble draws 64 bytes from crypto.getRandomValues and wipes them afterwards.
  const { publicKey, secretKey } = ml_kem1024.keygen(seed);
  return { publicKey, secretKey };
}

/**
 * Encapsulates a fresh shared secret to `publicKey` (ML-KEM.Encaps, Algorithm 20). `randomness` is
 * m of Encaps_internal (Algorithm 17): for known-answer tests only, as a value that is not
 * uniformly random and fresh makes the shared secret guessable. Throws BAD_PUBLIC_KEY for a key
 * that fails the §7.2 modulus check.
 */
export function mlKem1024Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array): MlKem1024Encapsulation {
  assertBytes(publicKey, 'publicKey', ML_KEM_1024_PUBLIC_KEY_LENGTH); // §7.2, 1. type check
  if (randomness !== undefined) assertBytes(randomness, 'randomness', ML_KEM_1024_RANDOMNESS_LENGTH);
  if (!passesModulusCheck(publicKey)) throw badPublicKey(); // §7.2, 2. modulus check
  let result: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    result = ml_kem1024.encapsulate(publicKey, randomness);
  } catch (cause) {
    throw badPublicKey(cause);
  }
  return { cipherText: result.cipherText, sharedSecret: detach(result.sharedSecret) };
}

/**
 * The shared secret in `cipherText` (ML-KEM.Decaps, Algorithm 21). A ciphertext that was not made
 * for this key gives an unrelated pseudo-random secret (implicit rejection), never an error.
 */
export function mlKem1024Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assertBytes(cipherText, 'cipherText', ML_KEM_1024_CIPHERTEXT_LENGTH); // §7.3, 1. ciphertext type check
  assertBytes(secretKey, 'secretKey', ML_KEM_1024_SECRET_KEY_LENGTH); // §7.3, 2. decapsulation key type check
  // §7.3, 3. hash check: H(dk[384k : 768k + 32]) = dk[768k + 32 : 768k + 64].
  const ek = secretKey.subarray(DK_EK_START, DK_HASH_START);
  if (!constantTimeEqual(sha3_256(ek), secretKey.subarray(DK_HASH_START, DK_Z_START))) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      'secretKey is not a valid ML-KEM-1024 decapsulation key: the hash of its public key does not match.',
    );
  }
  try {
    return detach(ml_kem1024.decapsulate(cipherText, secretKey));
  } catch (cause) {
    throw new CryptoError('BAD_ARGUMENT', 'secretKey is not a valid ML-KEM-1024 decapsulation key.', {
      cause,
    });
  }
}

/**
 * FIPS 203 §7.2 modulus check, ek = ByteEncode12(ByteDecode12(ek[0 : 384k])): ByteDecode12 reduces
 * each 12-bit word modulo q (§4.2.1), so the bytes survive the round trip exactly when every word
 * is below q. The key is public, so stopping at the first bad word leaks nothing.
 */
/**
 * Whether `publicKey` is an ML-KEM-1024 encapsulation key that passes FIPS 203 §7.2's checks: 1568
 * bytes, and every coefficient of ByteDecode12(ek[0 : 1536]) below q (for decoders that must
 * refuse a key before any encapsulation).
 */
export function isMlKem1024PublicKey(publicKey: Uint8Array): boolean {
  return publicKey.length === ML_KEM_1024_PUBLIC_KEY_LENGTH && passesModulusCheck(publicKey);
}

function passesModulusCheck(publicKey: Uint8Array): boolean {
  for (let i = 0; i < EK_T_HAT_LENGTH; i += 3) {
    const b0 = publicKey[i]!;
    const b1 = publicKey[i + 1]!;
    const b2 = publicKey[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

/** A copy of `secret` on its own 32-byte buffer (noble's may be a view into a larger one); wipes the original. */
function detach(secret: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = copyBytes(secret);
  secret.fill(0);
  return out;
}

function badPublicKey(cause?: unknown): CryptoError {
  return new CryptoError(
    'BAD_PUBLIC_KEY',
    "The other side's public key is not a valid ML-KEM-1024 encapsulation key (its coefficients are not reduced modulo q).",
    cause === undefined ? undefined : { cause },
  );
}
