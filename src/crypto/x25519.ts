/**
 * X25519 Diffie-Hellman (RFC 7748 §5, §6.1) over WebCrypto, with `@noble/curves` standing in only
 * where the platform lacks X25519 in WebCrypto. Private keys are opaque handles: on WebCrypto a
 * non-extractable `CryptoKey`, so script on the page can use the key but never read it.
 *
 * An all-zero shared secret (a low-order or zero public key, RFC 7748 §6.1) is always an error,
 * on both backends.
 */
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { concatBytes, copyBytes, fromBase64Url, isAllZero } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const X25519_KEY_LENGTH = 32;
export type X25519Backend = 'webcrypto' | 'noble';

type PrivateImpl =
  | { readonly kind: 'webcrypto'; readonly key: CryptoKey }
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

let detected: Promise<X25519Backend> | undefined;

/** The backend this platform uses: WebCrypto if it can generate X25519 keys, else noble. */
export async function x25519Backend(): Promise<X25519Backend> {
  detected ??= (async (): Promise<X25519Backend> => {
    try {
      await globalThis.crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
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
  const pair = await globalThis.crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
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
 *   non-extractable flag, so the bytes never reach script, neither now nor after a reload.
 * - `noble`: **the fallback, raw 32-byte private scalar.** Only on platforms without X25519 in
 *   WebCrypto; whoever can read the page's storage can read this key. Prefer `webcrypto`.
 */
export type StorableX25519Key =
  | { readonly backend: 'webcrypto'; readonly key: CryptoKey }
  | { readonly backend: 'noble'; readonly key: Uint8Array };

/** The storable form of `key` (see `StorableX25519Key`); it does not copy WebCrypto key bytes. */
export function exportStorableKey(key: X25519PrivateKey): StorableX25519Key {
  const impl = secretOf(key);
  return impl.kind === 'webcrypto'
    ? { backend: 'webcrypto', key: impl.key }
    : { backend: 'noble', key: copyBytes(impl.key) };
}

/**
 * A private key handle back from what `exportStorableKey` made (after a structured clone, as
 * IndexedDB returns it). Throws `CryptoError('BAD_ARGUMENT')` with a sentence when `value` is not
 * that shape: a `CryptoKey` must be a non-extractable X25519 private key usable for deriveBits,
 * raw bytes must be 32 long.
 */
export function importStorableKey(value: unknown): X25519PrivateKey {
  if (typeof value !== 'object' || value === null || !('backend' in value) || !('key' in value)) {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key is not a stored X25519 key record.');
  }
  const { backend, key } = value;
  if (backend === 'noble') {
    assertBytes(key, 'The stored private key', X25519_KEY_LENGTH);
    return X25519PrivateKey.wrap({ kind: 'noble', key: copyBytes(key) });
  }
  if (backend !== 'webcrypto') {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key names an unknown backend.');
  }
  if (typeof CryptoKey === 'undefined' || !(key instanceof CryptoKey)) {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key is not a WebCrypto key.');
  }
  if (key.type !== 'private' || key.algorithm.name !== 'X25519') {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key is not an X25519 private key.');
  }
  if (key.extractable) {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key is extractable, and it must not be.');
  }
  if (!key.usages.includes('deriveBits')) {
    throw new CryptoError('BAD_ARGUMENT', 'The stored private key cannot be used for key agreement.');
  }
  return X25519PrivateKey.wrap({ kind: 'webcrypto', key });
}
