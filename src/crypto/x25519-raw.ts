/**
 * X25519 (RFC 7748 §5, §6.1) over raw 32-byte private keys, for keys that must live in plain data:
 * the conversation ratchet's keys (docs/ratchet.md) are stored in IndexedDB as bytes, and a new one
 * is drawn on every DH ratchet step. Long-lived identity keys use `x25519.ts`, whose private keys
 * are opaque handles.
 *
 * Computed with `@noble/curves` for now. The functions are async so that a WebCrypto path can take
 * over (importing the raw scalar as PKCS#8) without changing callers.
 *
 * Refused, as `CryptoError('BAD_PUBLIC_KEY')` with a sentence: a peer key that is not the canonical
 * encoding (RFC 7748 §5: bit 255 set, or u ≥ 2^255 − 19; see x25519-public-key.ts), and any key
 * whose shared secret is all zero (RFC 7748 §6.1: a low-order point).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { copyBytes, isAllZero } from './bytes';
import { CryptoError, assertBytes } from './errors';
import { isCanonicalX25519PublicKey } from './x25519-public-key';

export const RAW_X25519_KEY_LENGTH = 32;

export interface RawX25519KeyPair {
  /** The canonical u-coordinate, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** The 32-byte private scalar (clamped when used, RFC 7748 §5). */
  readonly privateKey: Uint8Array;
}

/**
 * The canonical encodings of the points of small order on Curve25519 and its twist: u = 0, u = 1,
 * the two points of order 8, and u = p − 1 (the list libsodium blocks, minus its non-canonical
 * entries, which `isCanonicalX25519PublicKey` already refuses). X25519 with any of them gives the
 * all-zero output whatever the private key, so a decoder can refuse them before computing.
 */
const LOW_ORDER_POINTS: readonly string[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** True for a 32-byte key in the low-order list above (a public key, so a plain comparison). */
export function isLowOrderX25519PublicKey(key: Uint8Array): boolean {
  return (
    key instanceof Uint8Array && key.length === RAW_X25519_KEY_LENGTH && LOW_ORDER_POINTS.includes(hex(key))
  );
}

/** A fresh key pair from the platform's random source. */
export async function generateRawX25519KeyPair(): Promise<RawX25519KeyPair> {
  const privateKey = x25519.utils.randomSecretKey();
  return Promise.resolve({
    publicKey: copyBytes(x25519.getPublicKey(privateKey)),
    privateKey: copyBytes(privateKey),
  });
}

/** The public key of a raw private key (RFC 7748 §6.1: X25519(k, 9)). */
export async function rawX25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array> {
  assertBytes(privateKey, 'privateKey', RAW_X25519_KEY_LENGTH);
  return Promise.resolve(copyBytes(x25519.getPublicKey(privateKey)));
}

/**
 * X25519(privateKey, peerPublicKey), 32 bytes. Throws `CryptoError('BAD_ARGUMENT')` for wrong
 * lengths and `CryptoError('BAD_PUBLIC_KEY')` for a non-canonical or low-order peer key.
 */
export async function rawX25519SharedSecret(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
): Promise<Uint8Array> {
  assertBytes(privateKey, 'privateKey', RAW_X25519_KEY_LENGTH);
  assertBytes(peerPublicKey, 'peerPublicKey', RAW_X25519_KEY_LENGTH);
  if (!isCanonicalX25519PublicKey(peerPublicKey)) {
    throw new CryptoError(
      'BAD_PUBLIC_KEY',
      "The other side's X25519 key is not in its canonical encoding (bit 255 set, or not below 2^255 − 19).",
    );
  }
  let shared: Uint8Array;
  try {
    shared = copyBytes(x25519.getSharedSecret(privateKey, peerPublicKey));
  } catch (cause) {
    throw lowOrder(cause);
  }
  // RFC 7748 §6.1: check for the all-zero value and abort if so (noble already refuses it; this
  // stays whatever the library does).
  if (isAllZero(shared)) throw lowOrder();
  return Promise.resolve(shared);
}

function lowOrder(cause?: unknown): CryptoError {
  return new CryptoError(
    'BAD_PUBLIC_KEY',
    "The other side's X25519 key is a low-order point, which would make the shared secret predictable.",
    cause === undefined ? undefined : { cause },
  );
}
