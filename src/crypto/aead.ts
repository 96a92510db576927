/**
 * AES-256-GCM (NIST SP 800-38D): 32-byte keys, 12-byte nonces, 16-byte tags.
 * Every authentication failure is the same `DECRYPT_FAILED`, with no detail.
 *
 * The async methods compute messages below {@link AES_GCM_SYNC_BELOW} in JS (@noble/ciphers `gcm`)
 * on the calling thread and the others with WebCrypto, whose every call is a hand-off to another
 * thread and back. The `*Sync` methods always compute in JS, at any size, with no await.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const AES_GCM_KEY_LENGTH = 32;
export const AES_GCM_NONCE_LENGTH = 12;
export const AES_GCM_TAG_LENGTH = 16;

/**
 * Messages whose plaintext (or ciphertext less its tag) and associated data together are shorter
 * than this many bytes are computed in JS, the others with WebCrypto; 0 means WebCrypto always.
 *
 * Measured one awaited call at a time, µs per encrypt (decrypt within noise of it), JS / WebCrypto,
 * medians of 11 (Node) and 21 (Chromium) batches, 25 B of associated data, on the 2-core dev
 * machine while other work ran on it (the 64 KiB Chromium figures from a run of 11 batches):
 *
 *   plaintext        0 B     64 B    512 B   1 KiB   4 KiB    64 KiB
 *   Node 24         30/69   31/71   51/62   66/57   169/75   1904/236   JS wins below ~1 KiB
 *   Chromium 156    44/8.5  39/8.1  63/14   96/15   343/36   2129/209   WebCrypto at every size
 *
 * (A quieter Chromium run: 0 B 37/6.9, 64 B 19/4.8, 1 KiB 58/9.7.)
 * The hand-off is what differs: Node queues each call on libuv's thread pool (~45-70 µs a call),
 * Chromium posts it to its WebCrypto thread and back (~4-15 µs), while noble's `gcm` takes
 * ~20-40 µs even for an empty message (it rebuilds the key schedule and GHASH tables every call;
 * keeping them per key saved only ~10 µs at 64 B in a trial).
 * SecMsg runs in the browser, so the threshold follows Chromium: in its 64 B ping-pong, AES-GCM in
 * JS made `FrameProtector.seal` ~50-100 µs instead of ~12-20 µs and the round trip slower. The JS
 * path serves the `*Sync` methods and the tests.
 */
export const AES_GCM_SYNC_BELOW = 0;

export interface AeadKeyOptions {
  /** Overrides {@link AES_GCM_SYNC_BELOW}: tests pass 0 (always WebCrypto) or Infinity (always JS). */
  syncBelow?: number;
}

/**
 * An AES-256-GCM key. Its bytes, and the WebCrypto key made from them on first use, never leave
 * this handle.
 */
export class AeadKey {
  readonly #key: Uint8Array<ArrayBuffer>;
  readonly #syncBelow: number;
  #webKey: CryptoKey | undefined;
  #webKeyPending: Promise<CryptoKey> | undefined;

  private constructor(key: Uint8Array<ArrayBuffer>, syncBelow: number) {
    this.#key = key;
    this.#syncBelow = syncBelow;
  }

  /**
   * Keeps a copy of `key`. The WebCrypto key is imported when a message first needs it, so a key
   * used only through the `*Sync` methods (a one-time message key) never costs a hand-off.
   */
  static async import(key: Uint8Array, options: AeadKeyOptions = {}): Promise<AeadKey> {
    assertBytes(key, 'key', AES_GCM_KEY_LENGTH);
    return Promise.resolve(new AeadKey(copyBytes(key), options.syncBelow ?? AES_GCM_SYNC_BELOW));
  }

  /** Returns ciphertext ‖ 16-byte tag. */
  async encrypt(
    nonce: Uint8Array<ArrayBuffer>,
    plaintext: Uint8Array<ArrayBuffer>,
    ad: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    assertBytes(nonce, 'nonce', AES_GCM_NONCE_LENGTH);
    if (plaintext.length + ad.length < this.#syncBelow) return this.encryptSync(nonce, plaintext, ad);
    let key = this.#webKey;
    if (key === undefined) {
      // WebCrypto reads its inputs when called; keep that promise across the import's await.
      [nonce, plaintext, ad] = [copyBytes(nonce), copyBytes(plaintext), copyBytes(ad)];
      key = await this.#importWebKey();
    }
    const out = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: ad, tagLength: 128 },
      key,
      plaintext,
    );
    return new Uint8Array(out);
  }

  /** Opens ciphertext ‖ tag; throws `CryptoError('DECRYPT_FAILED')` on any failure. */
  async decrypt(
    nonce: Uint8Array<ArrayBuffer>,
    ciphertext: Uint8Array<ArrayBuffer>,
    ad: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    assertBytes(nonce, 'nonce', AES_GCM_NONCE_LENGTH);
    if (ciphertext.length < AES_GCM_TAG_LENGTH) throw decryptFailed();
    if (ciphertext.length - AES_GCM_TAG_LENGTH + ad.length < this.#syncBelow) {
      return this.decryptSync(nonce, ciphertext, ad);
    }
    let key = this.#webKey;
    if (key === undefined) {
      [nonce, ciphertext, ad] = [copyBytes(nonce), copyBytes(ciphertext), copyBytes(ad)];
      key = await this.#importWebKey();
    }
    try {
      const out = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: ad, tagLength: 128 },
        key,
        ciphertext,
      );
      return new Uint8Array(out);
    } catch (cause) {
      throw decryptFailed(cause);
    }
  }

  /** {@link encrypt} in JS on the calling thread, for any size (slower than WebCrypto when large). */
  encryptSync(nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array<ArrayBuffer> {
    assertBytes(nonce, 'nonce', AES_GCM_NONCE_LENGTH);
    assertBytes(plaintext, 'plaintext');
    assertBytes(ad, 'ad');
    return gcm(this.#key, nonce, ad).encrypt(plaintext);
  }

  /** {@link decrypt} in JS on the calling thread, for any size; the same `DECRYPT_FAILED`. */
  decryptSync(nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array<ArrayBuffer> {
    assertBytes(nonce, 'nonce', AES_GCM_NONCE_LENGTH);
    assertBytes(ciphertext, 'ciphertext');
    assertBytes(ad, 'ad');
    if (ciphertext.length < AES_GCM_TAG_LENGTH) throw decryptFailed();
    try {
      // §7.2: noble checks the tag (in constant time) before it decrypts anything.
      return gcm(this.#key, nonce, ad).decrypt(ciphertext);
    } catch (cause) {
      throw decryptFailed(cause);
    }
  }

  async #importWebKey(): Promise<CryptoKey> {
    this.#webKeyPending ??= globalThis.crypto.subtle.importKey('raw', this.#key, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    this.#webKey = await this.#webKeyPending;
    return this.#webKey;
  }
}

function decryptFailed(cause?: unknown): CryptoError {
  return new CryptoError(
    'DECRYPT_FAILED',
    'The message could not be decrypted.',
    cause === undefined ? undefined : { cause },
  );
}

/** One-shot helpers for tests and callers that use a key once. */
export async function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  ad: Uint8Array = new Uint8Array(0),
  options?: AeadKeyOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return (await AeadKey.import(key, options)).encrypt(copyBytes(nonce), copyBytes(plaintext), copyBytes(ad));
}

export async function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array = new Uint8Array(0),
  options?: AeadKeyOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return (await AeadKey.import(key, options)).decrypt(copyBytes(nonce), copyBytes(ciphertext), copyBytes(ad));
}
