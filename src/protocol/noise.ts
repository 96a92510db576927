/**
 * Noise_XX_25519_AESGCM_SHA256, exactly as the Noise Protocol Framework revision 34 defines it
 * (https://noiseprotocol.org/noise.html), so that published Noise test vectors pass.
 *
 *   XX:
 *     -> e
 *     <- e, ee, s, es
 *     -> s, se
 *
 * DH = X25519 (§12.1), cipher = AES-256-GCM with a 96-bit nonce of 32 zero bits ‖ 64-bit
 * big-endian counter (§12.4), hash = SHA-256 with HKDF from HMAC-SHA256 (§4.3). HKDF(ck, ikm, 2)
 * of §4.3 is RFC 5869 HKDF with salt = ck, empty info and 64 output bytes, which is what
 * WebCrypto computes.
 */
import { AeadKey } from '../crypto/aead';
import { bufferView, concatBytes, copyBytes, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { hkdfSha256 } from '../crypto/hkdf';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import {
  X25519_KEY_LENGTH,
  generateX25519KeyPair,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
  type X25519KeyPair,
} from '../crypto/x25519';
import { ProtocolError } from './errors';

export const NOISE_PROTOCOL_NAME = 'Noise_XX_25519_AESGCM_SHA256';
const HASHLEN = 32;
const DHLEN = X25519_KEY_LENGTH;
const TAGLEN = 16;
/** §3: Noise messages are at most 65535 bytes. */
export const NOISE_MAX_MESSAGE_LENGTH = 65_535;
/** §5.1: nonce 2^64 − 1 is reserved; we stop far earlier, at the largest exact integer. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export type DhKeyPair = X25519KeyPair;

/** Imports a raw 32-byte X25519 private key (for published vectors). */
export async function dhKeyPairFromPrivate(privateKey: Uint8Array): Promise<DhKeyPair> {
  return x25519KeyPairFromPrivate(privateKey);
}

/** Draws a fresh X25519 key pair; the private key is non-extractable where WebCrypto has X25519. */
export async function generateDhKeyPair(): Promise<DhKeyPair> {
  return generateX25519KeyPair();
}

export interface CipherState {
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

export interface Handshake {
  writeMessage(payload: Uint8Array): Promise<Uint8Array>;
  readMessage(message: Uint8Array): Promise<Uint8Array>;
  readonly complete: boolean;
  handshakeHash(): Uint8Array;
  split(): { send: CipherState; recv: CipherState };
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
class SymmetricState {
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

/**
 * The peer's keys must be canonical (RFC 7748 §5: bit 255 clear, u < 2^255 − 19): otherwise one
 * private key would have several public encodings, and the same device several identities.
 */
function canonical(key: Uint8Array, which: 'handshake' | 'identity'): Uint8Array {
  if (!isCanonicalX25519PublicKey(key)) {
    throw new ProtocolError(
      'BAD_PUBLIC_KEY',
      `The other side sent a non-canonical ${which} key (RFC 7748 §5); it was refused.`,
    );
  }
  return key;
}

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss';
const XX: readonly (readonly Token[])[] = [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']];

export interface HandshakeOptions {
  initiator: boolean;
  prologue: Uint8Array;
  s: DhKeyPair;
  /** Only for published test vectors: normally a fresh ephemeral key is drawn. */
  e?: DhKeyPair;
}

export interface SplitResult {
  send: NoiseCipherState;
  recv: NoiseCipherState;
}

/**
 * §5.3 HandshakeState for XX. Any failure leaves the handshake unusable: a Noise handshake
 * cannot recover from a bad message.
 */
export class NoiseHandshake implements Handshake {
  readonly #initiator: boolean;
  readonly #s: DhKeyPair;
  #e: DhKeyPair | undefined;
  #re: Uint8Array | undefined;
  #rs: Uint8Array | undefined;
  readonly #ss = new SymmetricState();
  readonly #ready: Promise<void>;
  #index = 0;
  #failed = false;
  #busy = false;
  #split: SplitResult | undefined;

  constructor(opts: HandshakeOptions) {
    if (!(opts.prologue instanceof Uint8Array))
      throw new ProtocolError('BAD_ARGUMENT', 'prologue must be a Uint8Array.');
    if (!(opts.s?.publicKey instanceof Uint8Array) || opts.s.publicKey.length !== DHLEN) {
      throw new ProtocolError('BAD_ARGUMENT', 's must be an X25519 key pair.');
    }
    this.#initiator = opts.initiator;
    this.#s = opts.s;
    this.#e = opts.e;
    const prologue = copyBytes(opts.prologue);
    // §5.3 Initialize(): InitializeSymmetric(name), MixHash(prologue); XX has no pre-messages.
    this.#ready = (async () => {
      await this.#ss.initialize(NOISE_PROTOCOL_NAME);
      await this.#ss.mixHash(prologue);
    })();
  }

  get complete(): boolean {
    return this.#index >= XX.length && !this.#failed;
  }
  get initiator(): boolean {
    return this.#initiator;
  }
  /** The peer's static public key, once received (message 2 for the initiator, 3 for the responder). */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#rs?.slice();
  }

  handshakeHash(): Uint8Array {
    if (!this.complete) throw new ProtocolError('HANDSHAKE_STATE', 'The handshake has not finished yet.');
    return this.#ss.h.slice();
  }
  /** The final chaining key, for deriving SecMsg's frame MAC keys (DESIGN.md, Frames). */
  chainingKey(): Uint8Array {
    if (!this.complete) throw new ProtocolError('HANDSHAKE_STATE', 'The handshake has not finished yet.');
    return this.#ss.ck.slice();
  }

  /** §5.3 Split(): the initiator sends with the first key, the responder with the second. */
  split(): SplitResult {
    if (!this.#split) throw new ProtocolError('HANDSHAKE_STATE', 'The handshake has not finished yet.');
    return this.#split;
  }

  #begin(writing: boolean): readonly Token[] {
    if (this.#failed)
      throw new ProtocolError('HANDSHAKE_STATE', 'This handshake already failed and cannot continue.');
    if (this.#busy) throw new ProtocolError('HANDSHAKE_STATE', 'A handshake step is already in progress.');
    const pattern = XX[this.#index];
    const ourTurn = (this.#index % 2 === 0) === this.#initiator;
    if (!pattern || ourTurn !== writing) {
      throw new ProtocolError(
        'HANDSHAKE_STATE',
        pattern ? 'A handshake message arrived out of order.' : 'The handshake is already complete.',
      );
    }
    this.#busy = true;
    return pattern;
  }

  async #finish(): Promise<void> {
    this.#index++;
    if (this.#index === XX.length) {
      const [c1, c2] = await this.#ss.split();
      this.#split = this.#initiator ? { send: c1, recv: c2 } : { send: c2, recv: c1 };
    }
  }

  async #dh(ours: DhKeyPair, theirs: Uint8Array | undefined): Promise<Uint8Array> {
    if (!theirs) throw new ProtocolError('HANDSHAKE_STATE', 'A handshake key is missing.');
    try {
      return await x25519SharedSecret(ours.privateKey, theirs);
    } catch (e) {
      if (CryptoError.is(e, 'BAD_PUBLIC_KEY')) {
        throw new ProtocolError('BAD_PUBLIC_KEY', 'The other side sent an invalid handshake key.', {
          cause: e,
        });
      }
      throw e;
    }
  }

  async #mixDh(token: 'ee' | 'es' | 'se' | 'ss'): Promise<void> {
    const e = this.#e;
    if (!e) throw new ProtocolError('HANDSHAKE_STATE', 'The ephemeral key is missing.');
    const i = this.#initiator;
    switch (token) {
      case 'ee':
        return this.#ss.mixKey(await this.#dh(e, this.#re));
      case 'es':
        return this.#ss.mixKey(i ? await this.#dh(e, this.#rs) : await this.#dh(this.#s, this.#re));
      case 'se':
        return this.#ss.mixKey(i ? await this.#dh(this.#s, this.#re) : await this.#dh(e, this.#rs));
      case 'ss':
        return this.#ss.mixKey(await this.#dh(this.#s, this.#rs));
    }
  }

  /** §5.3 WriteMessage(payload, message_buffer). */
  async writeMessage(payload: Uint8Array): Promise<Uint8Array> {
    const pattern = this.#begin(true);
    try {
      await this.#ready;
      const parts: Uint8Array[] = [];
      for (const token of pattern) {
        if (token === 'e') {
          this.#e ??= await generateDhKeyPair();
          parts.push(this.#e.publicKey);
          await this.#ss.mixHash(this.#e.publicKey);
        } else if (token === 's') {
          parts.push(await this.#ss.encryptAndHash(this.#s.publicKey));
        } else {
          await this.#mixDh(token);
        }
      }
      parts.push(await this.#ss.encryptAndHash(payload));
      const message = concatBytes(...parts);
      if (message.length > NOISE_MAX_MESSAGE_LENGTH) {
        throw new ProtocolError('BAD_ARGUMENT', 'The handshake payload is too large.');
      }
      await this.#finish();
      return message;
    } catch (e) {
      this.#failed = true;
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  /** §5.3 ReadMessage(message, payload_buffer): returns the payload. */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    const pattern = this.#begin(false);
    try {
      await this.#ready;
      if (!(message instanceof Uint8Array))
        throw new ProtocolError('BAD_ARGUMENT', 'message must be a Uint8Array.');
      if (message.length > NOISE_MAX_MESSAGE_LENGTH) {
        throw new ProtocolError('TOO_LARGE', 'The handshake message is larger than Noise allows.');
      }
      let offset = 0;
      const take = (n: number): Uint8Array => {
        if (message.length - offset < n)
          throw new ProtocolError('TRUNCATED', 'The handshake message is too short.');
        const part = message.slice(offset, offset + n);
        offset += n;
        return part;
      };
      for (const token of pattern) {
        if (token === 'e') {
          this.#re = canonical(take(DHLEN), 'handshake');
          await this.#ss.mixHash(this.#re);
        } else if (token === 's') {
          const temp = take(this.#ss.cipher.hasKey() ? DHLEN + TAGLEN : DHLEN);
          this.#rs = canonical(await this.#ss.decryptAndHash(temp), 'identity');
        } else {
          await this.#mixDh(token);
        }
      }
      const payload = await this.#ss.decryptAndHash(message.subarray(offset));
      await this.#finish();
      return payload;
    } catch (e) {
      this.#failed = true;
      throw e;
    } finally {
      this.#busy = false;
    }
  }
}

export function createHandshake(opts: HandshakeOptions): NoiseHandshake {
  return new NoiseHandshake(opts);
}
