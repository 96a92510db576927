/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1). Keys are kept in opaque handles; verification is constant
 * time.
 *
 * The async methods compute messages below {@link HMAC_SHA256_SYNC_BELOW} in JS (@noble/hashes) on
 * the calling thread and the others with WebCrypto, whose every call is a hand-off to another
 * thread and back. The `*Sync` functions always compute in JS, at any size, with no await.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual, copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const HMAC_SHA256_LENGTH = 32;

/**
 * Messages shorter than this many bytes are computed in JS, the others with WebCrypto.
 *
 * Measured one awaited call at a time, µs per sign, JS (a keyed state cloned per message) /
 * WebCrypto, medians of 11 (Node) and 21 (Chromium) batches on the 2-core dev machine while other
 * work ran on it (the 8 and 64 KiB Chromium figures from a run of 11 batches):
 *
 *   message          41 B     89 B    281 B   1 KiB    8 KiB    64 KiB
 *   Node 24         3.8/42   4.9/45  6.7/63  9.7/46   52/63    394/108   JS wins below ~8-12 KiB
 *   Chromium 156    9.0/11.9 8.6/8.0 11/6.7  22/7.5   123/8.1  947/45    even up to ~90 B
 *
 * (A quieter Chromium run: 41 B 4.0/3.6, 89 B 5.2/3.6, 1 KiB 19/4.1.) Node hands each WebCrypto
 * call to libuv's thread pool (~40-60 µs), Chromium to its WebCrypto thread (~4-12 µs). SecMsg
 * runs in the browser, so the threshold follows Chromium: JS below one block (chain-key steps, tiny
 * frames), where it is within a µs or two of WebCrypto and costs no await; WebCrypto beyond.
 */
export const HMAC_SHA256_SYNC_BELOW = 64;

export interface HmacKeyOptions {
  /** Overrides {@link HMAC_SHA256_SYNC_BELOW}: tests pass 0 (always WebCrypto) or Infinity (always JS). */
  syncBelow?: number;
}

type NobleHmac = ReturnType<typeof hmac.create>;

/**
 * An HMAC-SHA256 key. Its bytes, the JS state keyed with them (RFC 2104's inner and outer pads,
 * hashed once) and the WebCrypto key made from them on first use never leave this handle.
 */
export class HmacKey {
  readonly #key: Uint8Array<ArrayBuffer>;
  readonly #keyed: NobleHmac;
  readonly #syncBelow: number;
  #webKey: CryptoKey | undefined;
  #webKeyPending: Promise<CryptoKey> | undefined;

  private constructor(key: Uint8Array<ArrayBuffer>, syncBelow: number) {
    this.#key = key;
    this.#keyed = hmac.create(sha256, key);
    this.#syncBelow = syncBelow;
  }

  /** Imports raw key bytes (any length; RFC 2104 hashes keys longer than the block). */
  static async import(key: Uint8Array, options: HmacKeyOptions = {}): Promise<HmacKey> {
    assertKey(key);
    return Promise.resolve(new HmacKey(copyBytes(key), options.syncBelow ?? HMAC_SHA256_SYNC_BELOW));
  }

  async sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (data.length < this.#syncBelow) return this.signSync(data);
    let key = this.#webKey;
    if (key === undefined) {
      // WebCrypto reads its input when called; keep that promise across the import's await.
      data = copyBytes(data);
      key = await this.#importWebKey();
    }
    return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, data));
  }

  /**
   * True when `tag` is the full 32-byte HMAC of `data`. The comparison is constant time:
   * the tag is recomputed and compared with {@link constantTimeEqual}.
   */
  async verify(data: Uint8Array<ArrayBuffer>, tag: Uint8Array): Promise<boolean> {
    if (tag.length !== HMAC_SHA256_LENGTH) return false;
    const expected = await this.sign(data);
    return constantTimeEqual(expected, tag);
  }

  /** {@link sign} in JS on the calling thread, for any size (slower than WebCrypto when large). */
  signSync(data: Uint8Array): Uint8Array<ArrayBuffer> {
    assertBytes(data, 'data');
    return this.#keyed.clone().update(data).digest();
  }

  /** {@link verify} in JS on the calling thread, for any size. */
  verifySync(data: Uint8Array, tag: Uint8Array): boolean {
    if (tag.length !== HMAC_SHA256_LENGTH) return false;
    return constantTimeEqual(this.signSync(data), tag);
  }

  async #importWebKey(): Promise<CryptoKey> {
    this.#webKeyPending ??= globalThis.crypto.subtle.importKey(
      'raw',
      this.#key,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    this.#webKey = await this.#webKeyPending;
    return this.#webKey;
  }
}

function assertKey(key: unknown): asserts key is Uint8Array {
  assertBytes(key, 'key');
  if (key.length === 0) throw new CryptoError('BAD_ARGUMENT', 'key must not be empty.');
}

/** One-shot HMAC-SHA256(key, data). */
export async function hmacSha256(
  key: Uint8Array,
  data: Uint8Array,
  options?: HmacKeyOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  assertBytes(data, 'data');
  return (await HmacKey.import(key, options)).sign(copyBytes(data));
}

/** One-shot HMAC-SHA256(key, data) in JS on the calling thread (for chain steps of a few blocks). */
export function hmacSha256Sync(key: Uint8Array, data: Uint8Array): Uint8Array<ArrayBuffer> {
  assertKey(key);
  assertBytes(data, 'data');
  return hmac(sha256, key, data);
}
