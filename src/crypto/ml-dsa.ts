/**
 * ML-DSA-87 (FIPS 204), pure ML-DSA with a context string (ML-DSA.Sign / ML-DSA.Verify,
 * Algorithms 2 and 3; not HashML-DSA), wrapping `ml_dsa87` from @noble/post-quantum. Keys and
 * signatures are the FIPS 204 byte encodings: `publicKey` is pkEncode (§7.2), `secretKey` the
 * expanded skEncode, and a seed is ξ of ML-DSA.KeyGen_internal (Algorithm 6, 32 bytes).
 *
 * What each function checks:
 * - `mlDsa87KeyPair`: `seed`, when given, is 32 bytes.
 * - `mlDsa87Sign`: `secretKey` is 4896 bytes and decodes (s1 and s2 within [-η, η], else
 *   BAD_ARGUMENT); `context` is at most 255 bytes (§5.2); `randomness`, when given, is 32 bytes.
 * - `mlDsa87Verify`: returns false, never throws, for anything that is not a valid signature of
 *   `message` under `publicKey` and `context`: wrong lengths of key or signature, a context over
 *   255 bytes (§5.3 returns false for it), a malformed hint encoding, a norm violation. Only an
 *   argument that is not a `Uint8Array` throws (BAD_ARGUMENT), as everywhere in this layer.
 *
 * Signing is hedged by default (§3.4): without `randomness`, noble draws a fresh 32-byte rnd from
 * crypto.getRandomValues. noble's `sign(msg, secretKey, { context, extraEntropy })` maps onto
 * FIPS 204 as: M' = 0 ‖ |ctx| ‖ ctx ‖ M (Algorithm 2) is built from `context`, and
 * `extraEntropy` is rnd of ML-DSA.Sign_internal (Algorithm 7: ρ'' = H(K ‖ rnd ‖ μ)):
 * undefined → 32 fresh random bytes, `false` → 32 zero bytes, 32 bytes → used as rnd. So 32 zero
 * bytes here is exactly the deterministic variant (§3.4).
 *
 * WebCrypto: Chromium 156 and Node 24.21 expose ML-DSA-87 in `crypto.subtle` (Node as
 * experimental); this file uses noble only, until the project decides on that path.
 */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { CryptoError, assertBytes } from './errors';

import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_RANDOMNESS_LENGTH,
  ML_DSA_87_SECRET_KEY_LENGTH,
  ML_DSA_87_SEED_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  ML_DSA_MAX_CONTEXT_LENGTH,
} from './pq-lengths';

export {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_RANDOMNESS_LENGTH,
  ML_DSA_87_SECRET_KEY_LENGTH,
  ML_DSA_87_SEED_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  ML_DSA_MAX_CONTEXT_LENGTH,
} from './pq-lengths';

export interface MlDsa87KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * A fresh key pair (ML-DSA.KeyGen, Algorithm 1), or with `seed` = ξ the deterministic one
 * (KeyGen_internal, Algorithm 6).
 */
export function mlDsa87KeyPair(seed?: Uint8Array): MlDsa87KeyPair {
  if (seed !== undefined) assertBytes(seed, 'seed', ML_DSA_87_SEED_LENGTH);
  // Without a seed, noble draws ξ from crypto.getRandomValues and wipes it afterwards.
  const { publicKey, secretKey } = ml_dsa87.keygen(seed);
  return { publicKey, secretKey };
}

/**
 * Signs `message` under `context` (ML-DSA.Sign, Algorithm 2). Hedged unless `randomness` is given;
 * 32 zero bytes give the deterministic variant (see the file header).
 */
export function mlDsa87Sign(
  secretKey: Uint8Array,
  message: Uint8Array,
  context: Uint8Array,
  randomness?: Uint8Array,
): Uint8Array {
  assertBytes(secretKey, 'secretKey', ML_DSA_87_SECRET_KEY_LENGTH);
  assertBytes(message, 'message');
  assertBytes(context, 'context');
  if (context.length > ML_DSA_MAX_CONTEXT_LENGTH) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `context must be at most ${ML_DSA_MAX_CONTEXT_LENGTH} bytes, not ${context.length}.`,
    );
  }
  if (randomness !== undefined) assertBytes(randomness, 'randomness', ML_DSA_87_RANDOMNESS_LENGTH);
  try {
    const options = randomness === undefined ? { context } : { context, extraEntropy: randomness };
    return ml_dsa87.sign(message, secretKey, options);
  } catch (cause) {
    // Every argument is checked above, so what is left is skDecode refusing the key (s1 or s2
    // outside [-η, η]).
    throw new CryptoError('BAD_ARGUMENT', 'secretKey is not a valid ML-DSA-87 secret key.', { cause });
  }
}

/** Whether `signature` is a valid ML-DSA-87 signature of `message` under `context` (Algorithm 3). */
export function mlDsa87Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  context: Uint8Array,
): boolean {
  assertBytes(publicKey, 'publicKey');
  assertBytes(message, 'message');
  assertBytes(signature, 'signature');
  assertBytes(context, 'context');
  if (
    publicKey.length !== ML_DSA_87_PUBLIC_KEY_LENGTH ||
    signature.length !== ML_DSA_87_SIGNATURE_LENGTH ||
    context.length > ML_DSA_MAX_CONTEXT_LENGTH // Algorithm 3 returns false for it
  ) {
    return false;
  }
  try {
    return ml_dsa87.verify(signature, message, publicKey, { context });
  } catch {
    // noble returns false for every bad signature it decodes; a throw here could only be an input
    // it refuses outright, which is not a valid signature either.
    return false;
  }
}
