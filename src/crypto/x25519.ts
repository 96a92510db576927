/**
 * X25519 Diffie-Hellman (RFC 7748 §5, §6.1) over WebCrypto, with `@noble/curves` standing in only
 * where the platform lacks X25519 in WebCrypto. Private keys are opaque handles: on WebCrypto a
 * non-extractable `CryptoKey`, so script on the page can use the key but never read it.
 *
 * An all-zero shared secret (a low-order or zero public key, RFC 7748 §6.1) is always an error,
 * on both backends.
 *
 * Keeping a key across visits (`StorableX25519Key`, end of file) is a separate choice from the
 * backend that computes with it: WebKit (Safari, every iPhone browser) computes X25519 in
 * WebCrypto but cannot structured-clone an X25519 `CryptoKey`, so IndexedDB cannot hold one there;
 * the key is then kept wrapped under an AES-GCM key that IndexedDB can hold.
 */
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { concatBytes, copyBytes, fromBase64Url, isAllZero } from './bytes';
import { CryptoError, assertBytes } from './errors';
import { randomBytes } from './random';

export const X25519_KEY_LENGTH = 32;
export type X25519Backend = 'webcrypto' | 'noble';

type PrivateImpl =
  /** `wrapped`: set on keys made for the 'wrapped' storage form, which store as that record. */
  | { readonly kind: 'webcrypto'; readonly key: CryptoKey; readonly wrapped?: WrappedX25519Key }
  | { readonly kind: 'noble'; readonly key: Uint8Array };

// The key material of each handle, reachable only from this module.
const secrets = new WeakMap<X25519PrivateKey, PrivateImpl>();

/** A private X25519 key. Callers hold it and pass it back; they never see its bytes. */
export class X25519PrivateKey {
  readonly backend: X25519Backend;
  private constructor(backend: X25519Backend) {
    this.backend = backend;
  }
  /** @internal */
  static wrap(impl: PrivateImpl): X25519PrivateKey {
    const handle = new X25519PrivateKey(impl.kind);
    secrets.set(handle, impl);
    return handle;
  }
}

function secretOf(key: X25519PrivateKey): PrivateImpl {
  const impl = secrets.get(key);
  if (!impl) throw new CryptoError('BAD_ARGUMENT', 'privateKey must be a key made by this module.');
  return impl;
}

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: X25519PrivateKey;
}

/** Tries for a WebCrypto X25519 key pair before giving up on a transient OperationError. */
const GENERATE_ATTEMPTS = 4;

/**
 * A WebCrypto X25519 key pair. WebKitGTK 2.50 refuses about one `generateKey` in 350 with an
 * OperationError (measured: 23 of 7,800; import, deriveBits and export never failed); a fresh draw
 * then succeeds, so an OperationError is retried a few times. Any other error (NotSupportedError:
 * no X25519 here) is thrown at once.
 */
async function generateWebCryptoPair(extractable: boolean): Promise<CryptoKeyPair> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await globalThis.crypto.subtle.generateKey({ name: 'X25519' }, extractable, ['deriveBits']);
    } catch (e) {
      const transient = e instanceof Error && e.name === 'OperationError';
      if (!transient || attempt >= GENERATE_ATTEMPTS) throw e;
    }
  }
}

let detected: Promise<X25519Backend> | undefined;

/** The backend this platform uses: WebCrypto if it can generate X25519 keys, else noble. */
export async function x25519Backend(): Promise<X25519Backend> {
  detected ??= (async (): Promise<X25519Backend> => {
    try {
      await generateWebCryptoPair(false);
      return 'webcrypto';
    } catch {
      return 'noble';
    }
  })();
  return detected;
}

async function pick(backend: X25519Backend | undefined): Promise<X25519Backend> {
  return backend ?? (await x25519Backend());
}

/** Draws a fresh key pair; on WebCrypto the private key is non-extractable. */
export async function generateX25519KeyPair(backend?: X25519Backend): Promise<X25519KeyPair> {
  if ((await pick(backend)) === 'noble') {
    const key = nobleX25519.utils.randomSecretKey();
    return {
      publicKey: nobleX25519.getPublicKey(key),
      privateKey: X25519PrivateKey.wrap({ kind: 'noble', key }),
    };
  }
  const pair = await generateWebCryptoPair(false);
  const publicKey = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', pair.publicKey));
  return { publicKey, privateKey: X25519PrivateKey.wrap({ kind: 'webcrypto', key: pair.privateKey }) };
}

// RFC 8410 §7 PrivateKeyInfo prefix for an X25519 key (OID 1.3.101.110).
const PKCS8_X25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * Imports a 32-byte private scalar (RFC 7748 §5 clamping applies) as a key pair. For published
 * test vectors; the resulting private key is non-extractable on WebCrypto.
 */
export async function x25519KeyPairFromPrivate(
  privateKey: Uint8Array,
  backend?: X25519Backend,
): Promise<X25519KeyPair> {
  assertBytes(privateKey, 'privateKey', X25519_KEY_LENGTH);
  if ((await pick(backend)) === 'noble') {
    const key = copyBytes(privateKey);
    return {
      publicKey: nobleX25519.getPublicKey(key),
      privateKey: X25519PrivateKey.wrap({ kind: 'noble', key }),
    };
  }
  const subtle = globalThis.crypto.subtle;
  const pkcs8 = concatBytes(PKCS8_X25519_PREFIX, privateKey);
  // WebCrypto cannot compute a public key from a private one; an extractable copy is exported
  // as JWK (RFC 8037) once to read `x`, then dropped. (This path serves published vectors; keys
  // the app uses are generated non-extractable and never pass through here.)
  const temp = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
  const jwk = await subtle.exportKey('jwk', temp);
  if (typeof jwk.x !== 'string')
    throw new CryptoError('UNSUPPORTED', 'This browser did not export an X25519 public key.');
  const publicKey = fromBase64Url(jwk.x);
  const key = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']);
  pkcs8.fill(0);
  return { publicKey, privateKey: X25519PrivateKey.wrap({ kind: 'webcrypto', key }) };
}

/**
 * X25519(privateKey, peerPublicKey) → 32-byte shared secret. Throws
 * `CryptoError('BAD_PUBLIC_KEY')` when the platform refuses the peer's key or it yields the
 * all-zero secret, and `CryptoError('BAD_ARGUMENT')` when it is not 32 bytes.
 */
export async function x25519SharedSecret(
  privateKey: X25519PrivateKey,
  peerPublicKey: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  assertBytes(peerPublicKey, 'peerPublicKey', X25519_KEY_LENGTH);
  let shared: Uint8Array<ArrayBuffer>;
  const impl = secretOf(privateKey);
  try {
    if (impl.kind === 'noble') {
      shared = copyBytes(nobleX25519.getSharedSecret(impl.key, peerPublicKey));
    } else {
      const subtle = globalThis.crypto.subtle;
      const pub = await subtle.importKey('raw', copyBytes(peerPublicKey), { name: 'X25519' }, true, []);
      shared = new Uint8Array(
        await subtle.deriveBits({ name: 'X25519', public: pub }, impl.key, X25519_KEY_LENGTH * 8),
      );
    }
  } catch (cause) {
    throw badPublicKey(cause);
  }
  // RFC 7748 §6.1: check for the all-zero value and abort if so.
  if (isAllZero(shared)) throw badPublicKey();
  return shared;
}

function badPublicKey(cause?: unknown): CryptoError {
  return new CryptoError(
    'BAD_PUBLIC_KEY',
    "The other side's public key is not a valid X25519 key (it may be a low-order point).",
    cause === undefined ? undefined : { cause },
  );
}

/**
 * A private key in the form storage keeps: a value IndexedDB can structured-clone, never shown to
 * anyone else.
 *
 * - `webcrypto`: the non-extractable `CryptoKey` itself. IndexedDB clones it with its
 *   non-extractable flag, so the bytes never reach script, neither now nor after a reload. Only
 *   where the browser proves it can clone one (`x25519StorageForm`).
 * - `wrapped`: for browsers that compute X25519 in WebCrypto but cannot clone the key (WebKit:
 *   `structuredClone` throws "Unable to deserialize data", an IndexedDB put fails or reads back
 *   null). The key's PKCS#8 encoding (RFC 5958, RFC 8410 §7) encrypted with AES-GCM (NIST SP
 *   800-38D, 96-bit `iv`, 128-bit tag) under `wrappingKey`, a non-extractable AES-256 `CryptoKey`
 *   made for this one key, which the browser stores as it stores any non-extractable key.
 *   What this protects: the private key's bytes are never written anywhere in the clear, and no
 *   script (this app's included) can read them, now or after a reload — the same guarantee as a
 *   stored bare `webcrypto` key; the record holds only ciphertext and a non-extractable AES key.
 *   How the browser keeps that AES key on disk is the browser's business, as for any stored
 *   `CryptoKey` (WebKit on Apple platforms encrypts stored keys under a master key in the
 *   Keychain; WebKitGTK does not), so a copy of the browser profile gives as much as it would for
 *   a bare stored key, no more. What it does not protect: script running in the page can use the
 *   wrapping key to unwrap the private key and then compute with it (not read it: it unwraps
 *   non-extractable), the same as any key the page can use.
 * - `noble`: **the fallback, raw 32-byte private scalar.** Only on platforms without X25519 in
 *   WebCrypto (or that can store neither form above); whoever can read the page's storage can
 *   read this key. Prefer the other two.
 */
export type StorableX25519Key =
  | { readonly backend: 'webcrypto'; readonly key: CryptoKey }
  | ({ readonly backend: 'wrapped' } & WrappedX25519Key)
  | { readonly backend: 'noble'; readonly key: Uint8Array };

export interface WrappedX25519Key {
  /** AES-GCM, 256 bits, non-extractable, usages `wrapKey` and `unwrapKey`. */
  readonly wrappingKey: CryptoKey;
  /** The 12-byte AES-GCM nonce, random, used for this one wrapping only. */
  readonly iv: Uint8Array;
  /** AES-GCM(wrappingKey, iv, PKCS#8 of the private key): ciphertext then the 16-byte tag. */
  readonly wrapped: Uint8Array;
}

/** How a key pair made for storage is kept: the `backend` of its `StorableX25519Key`. */
export type X25519StorageForm = StorableX25519Key['backend'];

/** Whether storage can keep `key` as it is. */
export type KeyStorageProbe = (key: CryptoKey) => boolean;

const AES_GCM_IV_LENGTH = 12;
const AES_GCM_TAG_LENGTH = 16;
/** The shortest PKCS#8 encoding of an X25519 key (RFC 8410 §7, no attributes, no public key). */
const PKCS8_X25519_MIN_LENGTH = PKCS8_X25519_PREFIX.length + X25519_KEY_LENGTH;
const WRAPPED_MAX_LENGTH = 256;

/**
 * Whether `key` survives a structured clone, the algorithm IndexedDB stores values with (HTML
 * StructuredSerializeForStorage): the copy must come back as a `CryptoKey` of the same kind.
 * WebKit 2.50 throws "Unable to deserialize data." for X25519 keys; Chromium and Node clone them.
 */
export function survivesStructuredClone(key: CryptoKey): boolean {
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

/**
 * The storage form for a key pair made here, proven rather than assumed: `webcrypto` if a fresh
 * non-extractable X25519 `CryptoKey` passes `canStore`; else `wrapped` if a key can be wrapped,
 * unwrapped and its wrapping key passes `canStore`; else `noble`. Not cached (it runs once per
 * identity made, and tests pass their own probe); `canStore` defaults to a structured clone.
 */
export async function x25519StorageForm(
  canStore: KeyStorageProbe = survivesStructuredClone,
): Promise<X25519StorageForm> {
  if ((await x25519Backend()) === 'noble') return 'noble';
  const probe = await generateWebCryptoPair(false);
  if (canStore(probe.privateKey)) return 'webcrypto';
  try {
    const { wrapped } = await generateWrapped();
    return canStore(wrapped.wrappingKey) ? 'wrapped' : 'noble';
  } catch {
    return 'noble';
  }
}

/**
 * Draws a fresh key pair that `exportStorableKey` turns into the given storage form (by default
 * the one `x25519StorageForm` proves). `webcrypto` and `noble` are `generateX25519KeyPair` on that
 * backend. `wrapped` computes on WebCrypto with a non-extractable key; the key was extractable only
 * for the one `wrapKey` call that made its stored form (see `StorableX25519Key`).
 */
export async function generateStorableX25519KeyPair(form?: X25519StorageForm): Promise<X25519KeyPair> {
  const chosen = form ?? (await x25519StorageForm());
  if (chosen !== 'wrapped') return generateX25519KeyPair(chosen);
  const { publicKey, key, wrapped } = await generateWrapped();
  return { publicKey, privateKey: X25519PrivateKey.wrap({ kind: 'webcrypto', key, wrapped }) };
}

async function generateWrapped(): Promise<{
  publicKey: Uint8Array;
  key: CryptoKey;
  wrapped: WrappedX25519Key;
}> {
  const subtle = globalThis.crypto.subtle;
  // Extractable for the wrapKey call below only: the pair is dropped when this function returns,
  // and what computes from then on is the non-extractable key unwrapKey makes.
  const pair = await generateWebCryptoPair(true);
  const wrappingKey = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'wrapKey',
    'unwrapKey',
  ]);
  const iv = randomBytes(AES_GCM_IV_LENGTH);
  const wrappedBytes = new Uint8Array(
    await subtle.wrapKey('pkcs8', pair.privateKey, wrappingKey, { name: 'AES-GCM', iv }),
  );
  const wrapped: WrappedX25519Key = { wrappingKey, iv, wrapped: wrappedBytes };
  // Unwrapping at once proves the stored form reads back before anything relies on it.
  const key = await unwrap(wrapped);
  const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  return { publicKey, key, wrapped };
}

/** The non-extractable deriveBits key inside `w`; `CryptoError('DECRYPT_FAILED')` if it will not open. */
async function unwrap(w: WrappedX25519Key): Promise<CryptoKey> {
  try {
    return await globalThis.crypto.subtle.unwrapKey(
      'pkcs8',
      copyBytes(w.wrapped),
      w.wrappingKey,
      { name: 'AES-GCM', iv: copyBytes(w.iv) },
      { name: 'X25519' },
      false,
      ['deriveBits'],
    );
  } catch (cause) {
    throw new CryptoError(
      'DECRYPT_FAILED',
      'The stored private key does not unwrap with its wrapping key; the record is damaged.',
      { cause },
    );
  }
}

/**
 * The storable form of `key` (see `StorableX25519Key`); it does not copy WebCrypto key bytes. A
 * key from `generateStorableX25519KeyPair(…'wrapped')`, or read back from a `wrapped` record, gives
 * that record again; any other WebCrypto key gives the bare `CryptoKey`.
 */
export function exportStorableKey(key: X25519PrivateKey): StorableX25519Key {
  const impl = secretOf(key);
  if (impl.kind === 'noble') return { backend: 'noble', key: copyBytes(impl.key) };
  if (impl.wrapped === undefined) return { backend: 'webcrypto', key: impl.key };
  const { wrappingKey, iv, wrapped } = impl.wrapped;
  return { backend: 'wrapped', wrappingKey, iv: copyBytes(iv), wrapped: copyBytes(wrapped) };
}

/**
 * A private key handle back from what `exportStorableKey` made (after a structured clone, as
 * IndexedDB returns it). Rejects with `CryptoError('BAD_ARGUMENT')` and a sentence when `value` is
 * not that shape: a `CryptoKey` must be a non-extractable X25519 private key usable for deriveBits,
 * raw bytes must be 32 long, a wrapped key needs its non-extractable AES-GCM-256 unwrapping key, a
 * 12-byte iv and wrapped bytes of a plausible length. Rejects with `CryptoError('DECRYPT_FAILED')`
 * when a wrapped key does not unwrap (damaged bytes, another wrapping key).
 */
export async function importStorableKey(value: unknown): Promise<X25519PrivateKey> {
  if (typeof value !== 'object' || value === null || !('backend' in value)) {
    throw badRecord('The stored private key is not a stored X25519 key record.');
  }
  if (value.backend === 'wrapped') return importWrapped(value);
  if (!('key' in value)) throw badRecord('The stored private key is not a stored X25519 key record.');
  const { backend, key } = value;
  if (backend === 'noble') {
    assertBytes(key, 'The stored private key', X25519_KEY_LENGTH);
    return X25519PrivateKey.wrap({ kind: 'noble', key: copyBytes(key) });
  }
  if (backend !== 'webcrypto') throw badRecord('The stored private key names an unknown backend.');
  checkPrivateKey(key);
  return X25519PrivateKey.wrap({ kind: 'webcrypto', key });
}

async function importWrapped(value: object): Promise<X25519PrivateKey> {
  const { wrappingKey, iv, wrapped } = value as Partial<Record<keyof WrappedX25519Key, unknown>>;
  if (!isCryptoKey(wrappingKey)) {
    throw badRecord('The wrapping key of the stored private key is missing or not a WebCrypto key.');
  }
  if (
    wrappingKey.type !== 'secret' ||
    wrappingKey.algorithm.name !== 'AES-GCM' ||
    (wrappingKey.algorithm as Partial<AesKeyAlgorithm>).length !== 256
  ) {
    throw badRecord('The wrapping key of the stored private key is not an AES-GCM 256-bit key.');
  }
  if (wrappingKey.extractable) {
    throw badRecord('The wrapping key of the stored private key is extractable, and it must not be.');
  }
  if (!wrappingKey.usages.includes('unwrapKey')) {
    throw badRecord('The wrapping key of the stored private key cannot unwrap keys.');
  }
  assertBytes(iv, 'The iv of the stored private key', AES_GCM_IV_LENGTH);
  assertBytes(wrapped, 'The wrapped stored private key');
  const min = PKCS8_X25519_MIN_LENGTH + AES_GCM_TAG_LENGTH;
  if (wrapped.length < min || wrapped.length > WRAPPED_MAX_LENGTH) {
    throw badRecord(
      `The wrapped stored private key must be ${min} to ${WRAPPED_MAX_LENGTH} bytes, not ${wrapped.length}.`,
    );
  }
  const stored: WrappedX25519Key = { wrappingKey, iv: copyBytes(iv), wrapped: copyBytes(wrapped) };
  const key = await unwrap(stored);
  checkPrivateKey(key);
  return X25519PrivateKey.wrap({ kind: 'webcrypto', key, wrapped: stored });
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}

function checkPrivateKey(key: unknown): asserts key is CryptoKey {
  if (!isCryptoKey(key)) throw badRecord('The stored private key is not a WebCrypto key.');
  if (key.type !== 'private' || key.algorithm.name !== 'X25519') {
    throw badRecord('The stored private key is not an X25519 private key.');
  }
  if (key.extractable) throw badRecord('The stored private key is extractable, and it must not be.');
  if (!key.usages.includes('deriveBits')) {
    throw badRecord('The stored private key cannot be used for key agreement.');
  }
}

function badRecord(message: string): CryptoError {
  return new CryptoError('BAD_ARGUMENT', message);
}
