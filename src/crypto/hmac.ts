/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) over WebCrypto.
 * Keys are imported once into opaque handles; verification is constant time.
 */
import { constantTimeEqual, copyBytes } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const HMAC_SHA256_LENGTH = 32;

/** An imported HMAC-SHA256 key. The WebCrypto key stays inside the crypto layer. */
export class HmacKey {
  readonly #key: CryptoKey;
  private constructor(key: CryptoKey) {
    this.#key = key;
  }
  /** Imports raw key bytes (any length; RFC 2104 hashes keys longer than the block). */
  static async import(key: Uint8Array): Promise<HmacKey> {
    assertBytes(key, 'key');
    if (key.length === 0) throw new CryptoError('BAD_ARGUMENT', 'key must not be empty.');
    const k = await globalThis.crypto.subtle.importKey(
      'raw',
      copyBytes(key),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return new HmacKey(k);
  }
  async sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', this.#key, data));
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
}

/** One-shot HMAC-SHA256(key, data). */
export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  assertBytes(data, 'data');
  return (await HmacKey.import(key)).sign(copyBytes(data));
}
