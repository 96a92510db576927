/**
 * AES-256-GCM (NIST SP 800-38D) over WebCrypto: 32-byte keys, 12-byte nonces, 16-byte tags.
 * Every authentication failure is the same `DECRYPT_FAILED`, with no detail.
 */
import { copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const AES_GCM_KEY_LENGTH = 32;
export const AES_GCM_NONCE_LENGTH = 12;
export const AES_GCM_TAG_LENGTH = 16;

/** An imported AES-256-GCM key; the WebCrypto key never leaves this handle. */
export class AeadKey {
  readonly #key: CryptoKey;
  private constructor(key: CryptoKey) {
    this.#key = key;
  }
  static async import(key: Uint8Array): Promise<AeadKey> {
    assertBytes(key, 'key', AES_GCM_KEY_LENGTH);
    const k = await globalThis.crypto.subtle.importKey('raw', copyBytes(key), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return new AeadKey(k);
  }

  /** Returns ciphertext ‖ 16-byte tag. */
  async encrypt(
    nonce: Uint8Array<ArrayBuffer>,
    plaintext: Uint8Array<ArrayBuffer>,
    ad: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    assertBytes(nonce, 'nonce', AES_GCM_NONCE_LENGTH);
    const out = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: ad, tagLength: 128 },
      this.#key,
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
    try {
      const out = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: ad, tagLength: 128 },
        this.#key,
        ciphertext,
      );
      return new Uint8Array(out);
    } catch (cause) {
      throw decryptFailed(cause);
    }
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
): Promise<Uint8Array<ArrayBuffer>> {
  return (await AeadKey.import(key)).encrypt(copyBytes(nonce), copyBytes(plaintext), copyBytes(ad));
}

export async function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array<ArrayBuffer>> {
  return (await AeadKey.import(key)).decrypt(copyBytes(nonce), copyBytes(ciphertext), copyBytes(ad));
}
