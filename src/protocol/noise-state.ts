/**
 * Noise Protocol Framework revision 34, §5.1 CipherState and §5.2 SymmetricState, for the
 * handshake in noise.ts: AES-256-GCM with a 96-bit nonce of 32 zero bits ‖ 64-bit big-endian
 * counter (§12.4), SHA-256 with HKDF from HMAC-SHA256 (§4.3). HKDF(ck, ikm, 2) of §4.3 is RFC 5869
 * HKDF with salt = ck, empty info and 64 output bytes, which is what WebCrypto computes.
 */
import { AeadKey } from '../crypto/aead';
import { bufferView, concatBytes, copyBytes, utf8 } from '../crypto/bytes';
import { hkdfSha256 } from '../crypto/hkdf';
import { ProtocolError } from './errors';

const HASHLEN = 32;
/** §5.1: nonce 2^64 − 1 is reserved; we stop far earlier, at the largest exact integer. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export interface CipherState {
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

async function sha256(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', copyBytes(data)));
}

/** §4.3 HKDF with two outputs. */
async function hkdf2(
  chainingKey: Uint8Array,
  ikm: Uint8Array,
): Promise<[Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>]> {
  const out = await hkdfSha256(ikm, chainingKey, new Uint8Array(0), 2 * HASHLEN);
  return [out.slice(0, HASHLEN), out.slice(HASHLEN)];
}

function decryptFailed(cause?: unknown): ProtocolError {
  return new ProtocolError(
    'DECRYPT_FAILED',
    'A message could not be decrypted.',
    cause === undefined ? undefined : { cause },
  );
}

/**
 * §5.1 CipherState. `nonce` is the next counter value; it advances only when an operation
 * succeeds. Calls must not overlap (the session serialises them).
 */
export class NoiseCipherState implements CipherState {
  #key: AeadKey | undefined;
  #n = 0;
  readonly #nonce = new Uint8Array(12);

  /** §5.1 InitializeKey(key). */
  async initializeKey(key: Uint8Array | undefined): Promise<void> {
    this.#key = key === undefined ? undefined : await AeadKey.import(key);
    this.#n = 0;
  }
  hasKey(): boolean {
    return this.#key !== undefined;
  }
  /** The nonce the next encrypt or decrypt will use. */
  get nonce(): number {
    return this.#n;
  }

  #nonceBytes(): Uint8Array<ArrayBuffer> {
    if (this.#n >= MAX_NONCE) {
      throw new ProtocolError(
        'NONCE_EXHAUSTED',
        'This session has sent too many messages; reconnect to start a new one.',
      );
    }
    // §12.4: 32 bits of zeros followed by the 64-bit big-endian counter.
    const view = new DataView(this.#nonce.buffer);
    view.setUint32(4, Math.floor(this.#n / 2 ** 32));
    view.setUint32(8, this.#n >>> 0);
    return this.#nonce;
  }

  /**
   * Uses up the next nonce without encrypting or decrypting: §5.1 SetNonce(n + 1), for a transport
   * message whose payload is protected by other means (a FILE_CHUNK frame, secure-frames.ts). The
   * skipped nonce is never used with this key.
   */
  skipNonce(): void {
    this.#nonceBytes(); // the same limit as a message
    this.#n++;
  }

  async encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.#key) return copyBytes(plaintext);
    const out = await this.#key.encrypt(this.#nonceBytes(), bufferView(plaintext), bufferView(ad));
    this.#n++;
    return out;
  }

  /**
   * `accept`, when given, sees the plaintext before the nonce advances and may refuse it by
   * throwing: a refused message then advances nothing (DESIGN.md, Frames), as a failed decryption.
   */
  async decryptWithAd(
    ad: Uint8Array,
    ciphertext: Uint8Array,
    accept?: (plaintext: Uint8Array<ArrayBuffer>) => void,
  ): Promise<Uint8Array<ArrayBuffer>> {
    if (!this.#key) return copyBytes(ciphertext);
    let out: Uint8Array<ArrayBuffer>;
    try {
      out = await this.#key.decrypt(this.#nonceBytes(), bufferView(ciphertext), bufferView(ad));
    } catch (e) {
      if (ProtocolError.is(e)) throw e;
      throw decryptFailed(e);
    }
    accept?.(out);
    this.#n++;
    return out;
  }
}

/** §5.2 SymmetricState. */
export class SymmetricState {
  ck: Uint8Array = new Uint8Array(0);
  h: Uint8Array = new Uint8Array(0);
  readonly cipher = new NoiseCipherState();

  /** §5.2 InitializeSymmetric(protocol_name). */
  async initialize(protocolName: string): Promise<void> {
    const name = utf8(protocolName);
    if (name.length <= HASHLEN) {
      this.h = new Uint8Array(HASHLEN);
      this.h.set(name);
    } else {
      this.h = await sha256(name);
    }
    this.ck = this.h.slice();
    await this.cipher.initializeKey(undefined);
  }
  async mixKey(ikm: Uint8Array): Promise<void> {
    const [ck, tempK] = await hkdf2(this.ck, ikm);
    this.ck = ck;
    await this.cipher.initializeKey(tempK); // HASHLEN = 32: no truncation needed
  }
  async mixHash(data: Uint8Array): Promise<void> {
    this.h = await sha256(concatBytes(this.h, data));
  }
  async encryptAndHash(plaintext: Uint8Array): Promise<Uint8Array> {
    const ciphertext = await this.cipher.encryptWithAd(this.h, plaintext);
    await this.mixHash(ciphertext);
    return ciphertext;
  }
  async decryptAndHash(ciphertext: Uint8Array): Promise<Uint8Array> {
    const plaintext = await this.cipher.decryptWithAd(this.h, ciphertext);
    await this.mixHash(ciphertext);
    return plaintext;
  }
  async split(): Promise<[NoiseCipherState, NoiseCipherState]> {
    const [k1, k2] = await hkdf2(this.ck, new Uint8Array(0));
    const c1 = new NoiseCipherState();
    const c2 = new NoiseCipherState();
    await c1.initializeKey(k1);
    await c2.initializeKey(k2);
    return [c1, c2];
  }
}
