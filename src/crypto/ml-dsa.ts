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
 * The async functions (`mlDsa87PrivateKeyFromSeed`, `mlDsa87SignAsync`, `mlDsa87VerifyAsync`, for
 * the handshake and key rotations) run on the platform's WebCrypto where it has ML-DSA-87 and
 * passes a self-check, else on noble (`mlDsa87Backend`, decided once a page). WebCrypto ML-DSA is
 * the WICG draft "Modern Algorithms in WebCrypto" (§ ML-DSA): a private key is imported from ξ in
 * the 'raw-seed' format (non-extractable here, so the expanded key never exists in JavaScript),
 * its public key comes from `getPublicKey` and exports as 'raw-public' (pkEncode), and
 * sign/verify take `{ name: 'ML-DSA-87', context }` (pure ML-DSA, hedged signing). Measured:
 * - Node 24.21 and Chromium 156 have all of it (Node prints an ExperimentalWarning once);
 *   neither imports 'raw-private' (an expanded key), and both throw OperationError for a context
 *   over 255 bytes, which the checks here turn into what the sync functions do.
 * - Firefox ESR 153 and WebKitGTK 2.50 have none of it (importKey refuses the 'raw-seed' format;
 *   no `SubtleCrypto.supports`, no `getPublicKey`). There the async functions run noble.
 * The self-check (`webCryptoPassesSelfCheck`) must pass before WebCrypto is used: a Wycheproof
 * known answer (ξ → public key, and a signature with a context that must verify, and fail when
 * changed) and a signature of its own that must verify. `SubtleCrypto.supports` is not consulted:
 * where it exists (Chromium, Node) a `true` proves less than the self-check, and where ML-DSA is
 * missing the first importKey fails at once.
 * ml-dsa.test.ts holds both backends to the same Wycheproof files.
 */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { bufferView, constantTimeEqual, fromBase64Url, fromHex } from './bytes';
import { CryptoError, assertBytes } from './errors';
import { ML_DSA_87_KNOWN_ANSWER } from './ml-dsa-known-answer';

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

// ── WebCrypto or noble ─────────────────────────────────────────────────────────────────────────────

export type MlDsa87Backend = 'webcrypto' | 'noble';

/**
 * A private key made by `mlDsa87PrivateKeyFromSeed`: a non-extractable WebCrypto key, or where
 * WebCrypto has no ML-DSA-87 the expanded secret key (skEncode) that noble signs with.
 */
export type MlDsa87PrivateKey =
  | { readonly backend: 'webcrypto'; readonly key: CryptoKey }
  | { readonly backend: 'noble'; readonly secretKey: Uint8Array };

/** What `mlDsa87PrivateKeyFromSeed` makes. */
export interface MlDsa87SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: MlDsa87PrivateKey;
}

const ALGORITHM = { name: 'ML-DSA-87' } as const;

/** The WICG draft's SubtleCrypto for ML-DSA, which lib.dom does not describe yet. */
interface MlDsaSubtle {
  importKey(
    format: 'raw-seed' | 'raw-public',
    keyData: BufferSource,
    algorithm: typeof ALGORITHM,
    extractable: boolean,
    usages: KeyUsage[],
  ): Promise<CryptoKey>;
  exportKey(format: 'raw-public', key: CryptoKey): Promise<ArrayBuffer>;
  getPublicKey(key: CryptoKey, usages: KeyUsage[]): Promise<CryptoKey>;
  /** ContextParams: `context` is the FIPS 204 ctx, empty when absent. */
  sign(
    algorithm: { name: 'ML-DSA-87'; context: BufferSource },
    key: CryptoKey,
    data: BufferSource,
  ): Promise<ArrayBuffer>;
  verify(
    algorithm: { name: 'ML-DSA-87'; context: BufferSource },
    key: CryptoKey,
    signature: BufferSource,
    data: BufferSource,
  ): Promise<boolean>;
}

function subtle(): MlDsaSubtle {
  return globalThis.crypto.subtle as unknown as MlDsaSubtle;
}

async function webCryptoFromSeed(seed: Uint8Array): Promise<{ publicKey: Uint8Array; key: CryptoKey }> {
  const s = subtle();
  const data = new Uint8Array(seed); // WebCrypto copies it when called; this copy is wiped at once
  let key: CryptoKey;
  try {
    key = await s.importKey('raw-seed', data, ALGORITHM, false, ['sign']);
  } finally {
    data.fill(0);
  }
  const publicKey = new Uint8Array(await s.exportKey('raw-public', await s.getPublicKey(key, ['verify'])));
  return { publicKey, key };
}

async function webCryptoSign(key: CryptoKey, message: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const algorithm = { ...ALGORITHM, context: bufferView(context) };
  return new Uint8Array(await subtle().sign(algorithm, key, bufferView(message)));
}

/** False for anything WebCrypto refuses: with lengths checked, that is a key or signature it cannot use. */
async function webCryptoVerify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  context: Uint8Array,
): Promise<boolean> {
  try {
    const s = subtle();
    const key = await s.importKey('raw-public', bufferView(publicKey), ALGORITHM, false, ['verify']);
    const algorithm = { ...ALGORITHM, context: bufferView(context) };
    return (await s.verify(algorithm, key, bufferView(signature), bufferView(message))) === true;
  } catch {
    return false;
  }
}

/**
 * Whether this platform's WebCrypto computes ML-DSA-87 as FIPS 204 says, as far as a known answer
 * (ml-dsa-known-answer.ts, from Wycheproof) shows: KeyGen_internal (Algorithm 6) of its ξ gives
 * its public key; Verify (Algorithm 3) accepts its signature, and refuses it with a flipped byte
 * and under another context; and a signature of its own (Algorithm 2, with the context) verifies.
 * Any error (no ML-DSA, no 'raw-seed', no getPublicKey) is a no. noble is not used, so that a
 * platform that passes never runs it (its first call costs a cold start of ~140 ms in Chromium).
 */
async function webCryptoPassesSelfCheck(): Promise<boolean> {
  try {
    const known = ML_DSA_87_KNOWN_ANSWER;
    const { publicKey, key } = await webCryptoFromSeed(fromHex(known.seed));
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bufferView(publicKey)));
    if (!constantTimeEqual(digest, fromHex(known.publicKeySha256))) return false;
    const message = fromHex(known.message);
    const context = fromHex(known.context);
    const signature = fromBase64Url(known.signature);
    const flipped = Uint8Array.from(signature);
    flipped[flipped.length >> 1]! ^= 1;
    const own = await webCryptoSign(key, message, context);
    const [valid, tampered, otherContext, ownValid] = await Promise.all([
      webCryptoVerify(publicKey, message, signature, context),
      webCryptoVerify(publicKey, message, flipped, context),
      webCryptoVerify(publicKey, message, signature, new Uint8Array(0)),
      webCryptoVerify(publicKey, message, own, context),
    ]);
    return valid && !tampered && !otherContext && ownValid;
  } catch {
    return false;
  }
}

let detected: Promise<MlDsa87Backend> | undefined;

/** The async functions' backend here: WebCrypto if it passes the self-check, else noble. Decided once. */
export async function mlDsa87Backend(): Promise<MlDsa87Backend> {
  detected ??= webCryptoPassesSelfCheck().then((ok) => (ok ? 'webcrypto' : 'noble'));
  return detected;
}

async function pick(backend: MlDsa87Backend | undefined): Promise<MlDsa87Backend> {
  return backend ?? (await mlDsa87Backend());
}

/**
 * The key pair of seed ξ (KeyGen_internal, Algorithm 6) for signing with `mlDsa87SignAsync`: on
 * WebCrypto a non-extractable key (the caller's `seed` is not kept), else the expanded secret key.
 * `backend` is for tests and measurements.
 */
export async function mlDsa87PrivateKeyFromSeed(
  seed: Uint8Array,
  backend?: MlDsa87Backend,
): Promise<MlDsa87SigningKeyPair> {
  assertBytes(seed, 'seed', ML_DSA_87_SEED_LENGTH);
  if ((await pick(backend)) === 'webcrypto') {
    const { publicKey, key } = await webCryptoFromSeed(seed);
    return { publicKey, privateKey: { backend: 'webcrypto', key } };
  }
  const { publicKey, secretKey } = mlDsa87KeyPair(seed);
  return { publicKey, privateKey: { backend: 'noble', secretKey } };
}

/**
 * ML-DSA.Sign (Algorithm 2, hedged) with a key from `mlDsa87PrivateKeyFromSeed`, on the backend
 * that made it. Checks as `mlDsa87Sign`: `context` at most 255 bytes (BAD_ARGUMENT).
 */
export async function mlDsa87SignAsync(
  privateKey: MlDsa87PrivateKey,
  message: Uint8Array,
  context: Uint8Array,
): Promise<Uint8Array> {
  if (privateKey.backend === 'noble') return mlDsa87Sign(privateKey.secretKey, message, context);
  assertBytes(message, 'message');
  assertBytes(context, 'context');
  if (context.length > ML_DSA_MAX_CONTEXT_LENGTH) {
    throw new CryptoError(
      'BAD_ARGUMENT',
      `context must be at most ${ML_DSA_MAX_CONTEXT_LENGTH} bytes, not ${context.length}.`,
    );
  }
  const { key } = privateKey;
  if (
    typeof CryptoKey === 'undefined' ||
    !(key instanceof CryptoKey) ||
    key.type !== 'private' ||
    key.algorithm.name !== ALGORITHM.name
  ) {
    throw new CryptoError('BAD_ARGUMENT', 'privateKey must be an ML-DSA-87 private key from WebCrypto.');
  }
  try {
    return await webCryptoSign(key, message, context);
  } catch (cause) {
    throw new CryptoError('UNSUPPORTED', 'This platform’s WebCrypto did not sign with ML-DSA-87.', { cause });
  }
}

/**
 * `mlDsa87Verify` on this platform's backend: the same answer for every input (ml-dsa.test.ts runs
 * the Wycheproof file through both), false and never a rejection for anything but a valid
 * signature; only an argument that is not a `Uint8Array` rejects (BAD_ARGUMENT).
 */
export async function mlDsa87VerifyAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  context: Uint8Array,
  backend?: MlDsa87Backend,
): Promise<boolean> {
  assertBytes(publicKey, 'publicKey');
  assertBytes(message, 'message');
  assertBytes(signature, 'signature');
  assertBytes(context, 'context');
  if ((await pick(backend)) === 'noble') return mlDsa87Verify(publicKey, message, signature, context);
  if (
    publicKey.length !== ML_DSA_87_PUBLIC_KEY_LENGTH ||
    signature.length !== ML_DSA_87_SIGNATURE_LENGTH ||
    context.length > ML_DSA_MAX_CONTEXT_LENGTH // Algorithm 3 returns false; WebCrypto would throw
  ) {
    return false;
  }
  return webCryptoVerify(publicKey, message, signature, context);
}
