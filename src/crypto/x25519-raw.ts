/**
 * X25519 (RFC 7748 §5, §6.1) over raw 32-byte private keys, for keys that must live in plain data:
 * the conversation ratchet's keys (docs/ratchet.md) are stored in IndexedDB as bytes, and a new one
 * is drawn on every DH ratchet step. Long-lived identity keys use `x25519.ts`, whose private keys
 * are opaque handles.
 *
 * Computed with WebCrypto where the platform has X25519 (Node 24, Chromium, Firefox, WebKit), and
 * with `@noble/curves` where it does not (`rawX25519Backend`, probed once). On WebCrypto:
 * - a key pair is drawn extractable; the public key is exported raw, the private key as PKCS#8
 *   (RFC 5958 OneAsymmetricKey with RFC 8410 §7's CurvePrivateKey), whose encoding is checked field
 *   by field before its 32 bytes are taken (`x25519PrivateKeyFromPkcs8`);
 * - an agreement imports the private key as that PKCS#8 encoding (version 0, no attributes, no
 *   public key: the 16-byte prefix ‖ the 32 bytes) and the peer's key raw, then `deriveBits`.
 * Both backends compute the same function (x25519-raw.test.ts: Wycheproof and random keys on both).
 *
 * Refused on both, as `CryptoError('BAD_PUBLIC_KEY')` with a sentence: a peer key that is not the
 * canonical encoding (RFC 7748 §5: bit 255 set, or u ≥ 2^255 − 19; see x25519-public-key.ts), and
 * any key whose shared secret is all zero (RFC 7748 §6.1: a low-order point).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { concatBytes, copyBytes, fromBase64Url, isAllZero } from './bytes';
import { CryptoError, assertBytes } from './errors';
import { isCanonicalX25519PublicKey } from './x25519-public-key';

export const RAW_X25519_KEY_LENGTH = 32;

export type RawX25519Backend = 'webcrypto' | 'noble';

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

// ── PKCS#8 (RFC 5958 §2, RFC 8410 §7) ──────────────────────────────────────────────────────────────

/**
 * `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.110 }, OCTET STRING { OCTET STRING (32) } }` up to
 * the 32 bytes: the whole encoding of an X25519 private key with no attributes and no public key
 * (RFC 8410 §7, the form §10.3 shows for Ed25519, with id-X25519 instead).
 */
const PKCS8_X25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
/** id-X25519 (RFC 8410 §3), with its tag and length: the AlgorithmIdentifier's whole content. */
const ID_X25519 = [0x06, 0x03, 0x2b, 0x65, 0x6e];

/** A DER element: its tag and where its content lies, or null when it does not fit in `end`. */
function element(
  der: Uint8Array,
  at: number,
  end: number,
): { tag: number; start: number; end: number } | null {
  if (at + 2 > end) return null;
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) return null; // multi-byte tags: none in this structure
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2 || start + count > end) return null; // indefinite, or absurd here
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    if (length < 0x80 || (count === 2 && length < 0x100)) return null; // DER: the shortest form
    start += count;
  }
  return start + length > end ? null : { tag, start, end: start + length };
}

/**
 * The 32-byte private key of a DER PKCS#8 encoding of an X25519 key, or null if `der` is anything
 * else. Checked (RFC 5958 §2 OneAsymmetricKey, RFC 8410 §7): one SEQUENCE filling `der`; version 0
 * or 1 (v2); the algorithm exactly id-X25519 with its parameters absent (RFC 8410 §3); the private
 * key an OCTET STRING holding exactly one OCTET STRING of 32 bytes (CurvePrivateKey); then only the
 * optional `[0]` attributes and, in version 1 only, the optional `[1]` public key.
 */
export function x25519PrivateKeyFromPkcs8(der: Uint8Array): Uint8Array | null {
  const outer = element(der, 0, der.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return null;
  const version = element(der, outer.start, outer.end);
  if (!version || version.tag !== 0x02 || version.end - version.start !== 1) return null;
  const v = der[version.start]!;
  if (v !== 0 && v !== 1) return null;
  const algorithm = element(der, version.end, outer.end);
  if (!algorithm || algorithm.tag !== 0x30) return null;
  const oid = der.subarray(algorithm.start, algorithm.end);
  if (oid.length !== ID_X25519.length || ID_X25519.some((b, i) => oid[i] !== b)) return null;
  const wrapper = element(der, algorithm.end, outer.end);
  if (!wrapper || wrapper.tag !== 0x04) return null;
  const key = element(der, wrapper.start, wrapper.end);
  if (!key || key.tag !== 0x04 || key.end !== wrapper.end) return null;
  if (key.end - key.start !== RAW_X25519_KEY_LENGTH) return null;
  let at = wrapper.end;
  let optional = element(der, at, outer.end);
  if (optional?.tag === 0xa0) {
    at = optional.end;
    optional = element(der, at, outer.end);
  }
  if (optional?.tag === 0x81 && v === 1) at = optional.end;
  if (at !== outer.end) return null;
  return copyBytes(der.subarray(key.start, key.end));
}

// ── Backends ──────────────────────────────────────────────────────────────────────────────────────

/** Tries for a WebCrypto key pair before giving up on a transient OperationError (see x25519.ts). */
const GENERATE_ATTEMPTS = 4;

async function webCryptoGenerate(): Promise<CryptoKeyPair> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await globalThis.crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    } catch (e) {
      // WebKitGTK refuses about one generateKey in 350 with an OperationError; a fresh draw succeeds.
      const transient = e instanceof Error && e.name === 'OperationError';
      if (!transient || attempt >= GENERATE_ATTEMPTS) throw e;
    }
  }
}

async function webCryptoKeyPair(): Promise<RawX25519KeyPair> {
  const subtle = globalThis.crypto.subtle;
  const pair = await webCryptoGenerate();
  const [publicKey, pkcs8] = await Promise.all([
    subtle.exportKey('raw', pair.publicKey),
    subtle.exportKey('pkcs8', pair.privateKey),
  ]);
  const der = new Uint8Array(pkcs8);
  const privateKey = x25519PrivateKeyFromPkcs8(der);
  der.fill(0);
  if (!privateKey || publicKey.byteLength !== RAW_X25519_KEY_LENGTH) {
    throw new CryptoError(
      'UNSUPPORTED',
      'This platform exported an X25519 key in an encoding other than RFC 8410 (raw public key, PKCS#8 private key).',
    );
  }
  return { publicKey: new Uint8Array(publicKey), privateKey };
}

/** X25519 on WebCrypto; throws whatever the platform throws (a low-order key: OperationError). */
async function webCryptoSharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const pkcs8 = concatBytes(PKCS8_X25519_PREFIX, privateKey);
  try {
    const [ours, theirs] = await Promise.all([
      subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']),
      subtle.importKey('raw', copyBytes(peerPublicKey), { name: 'X25519' }, true, []),
    ]);
    const bits = await subtle.deriveBits({ name: 'X25519', public: theirs }, ours, RAW_X25519_KEY_LENGTH * 8);
    return new Uint8Array(bits);
  } finally {
    pkcs8.fill(0);
  }
}

let detected: Promise<RawX25519Backend> | undefined;

/**
 * The backend this platform uses: WebCrypto if a whole round trip works there (draw, export and
 * read back the PKCS#8 encoding, import, agree), else noble. Probed once.
 */
export async function rawX25519Backend(): Promise<RawX25519Backend> {
  detected ??= (async (): Promise<RawX25519Backend> => {
    try {
      const pair = await webCryptoKeyPair();
      const shared = await webCryptoSharedSecret(pair.privateKey, pair.publicKey);
      return shared.length === RAW_X25519_KEY_LENGTH && !isAllZero(shared) ? 'webcrypto' : 'noble';
    } catch {
      return 'noble';
    }
  })();
  return detected;
}

async function pick(backend: RawX25519Backend | undefined): Promise<RawX25519Backend> {
  return backend ?? (await rawX25519Backend());
}

// ── The functions ─────────────────────────────────────────────────────────────────────────────────

/** A fresh key pair from the platform's random source; `backend` for tests and measurements. */
export async function generateRawX25519KeyPair(backend?: RawX25519Backend): Promise<RawX25519KeyPair> {
  if ((await pick(backend)) === 'webcrypto') return webCryptoKeyPair();
  const privateKey = x25519.utils.randomSecretKey();
  return { publicKey: copyBytes(x25519.getPublicKey(privateKey)), privateKey: copyBytes(privateKey) };
}

/**
 * The public key of a raw private key (RFC 7748 §6.1: X25519(k, 9)). WebCrypto has no such
 * operation; there the key is imported (extractable) and exported as JWK, whose `x` is the public
 * key (RFC 8037 §2).
 */
export async function rawX25519PublicKey(
  privateKey: Uint8Array,
  backend?: RawX25519Backend,
): Promise<Uint8Array> {
  assertBytes(privateKey, 'privateKey', RAW_X25519_KEY_LENGTH);
  if ((await pick(backend)) === 'noble') return copyBytes(x25519.getPublicKey(privateKey));
  const pkcs8 = concatBytes(PKCS8_X25519_PREFIX, privateKey);
  try {
    const key = await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, [
      'deriveBits',
    ]);
    const { x } = await globalThis.crypto.subtle.exportKey('jwk', key);
    const publicKey = typeof x === 'string' ? fromBase64Url(x) : new Uint8Array(0);
    if (publicKey.length !== RAW_X25519_KEY_LENGTH) {
      throw new CryptoError('UNSUPPORTED', 'This platform did not export an X25519 public key.');
    }
    return publicKey;
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * X25519(privateKey, peerPublicKey), 32 bytes. Throws `CryptoError('BAD_ARGUMENT')` for wrong
 * lengths and `CryptoError('BAD_PUBLIC_KEY')` for a non-canonical or low-order peer key.
 */
export async function rawX25519SharedSecret(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
  backend?: RawX25519Backend,
): Promise<Uint8Array> {
  assertBytes(privateKey, 'privateKey', RAW_X25519_KEY_LENGTH);
  assertBytes(peerPublicKey, 'peerPublicKey', RAW_X25519_KEY_LENGTH);
  if (!isCanonicalX25519PublicKey(peerPublicKey)) {
    throw new CryptoError(
      'BAD_PUBLIC_KEY',
      "The other side's X25519 key is not in its canonical encoding (bit 255 set, or not below 2^255 − 19).",
    );
  }
  const chosen = await pick(backend);
  let shared: Uint8Array;
  try {
    shared =
      chosen === 'webcrypto'
        ? await webCryptoSharedSecret(privateKey, peerPublicKey)
        : copyBytes(x25519.getSharedSecret(privateKey, peerPublicKey));
  } catch (cause) {
    // Both refuse a low-order key (WebCrypto: OperationError for the all-zero value).
    throw lowOrder(cause);
  }
  // RFC 7748 §6.1: check for the all-zero value and abort if so (both backends already refuse
  // it; this stays whatever they do).
  if (isAllZero(shared)) throw lowOrder();
  return shared;
}

function lowOrder(cause?: unknown): CryptoError {
  return new CryptoError(
    'BAD_PUBLIC_KEY',
    "The other side's X25519 key is a low-order point, which would make the shared secret predictable.",
    cause === undefined ? undefined : { cause },
  );
}
