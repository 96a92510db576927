/**
 * Noise XX exactly as the Noise Protocol Framework revision 34 defines it
 * (https://noiseprotocol.org/noise.html), in two variants that run through the same code:
 *
 *   Noise_XX_25519_AESGCM_SHA256        Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256
 *     -> e                                -> e, e1
 *     <- e, ee, s, es                     <- e, ee, ekem1, s, es
 *     -> s, se                            -> s, se
 *
 * XX is unchanged, so published Noise vectors pass. XXhfs is XX with the "hfs" modifier of
 * "KEM-based Hybrid Forward Secrecy for Noise" (Trevor Perrin, revision 1, 2018-11-17, the
 * noise_hfs_spec; "HFS §n" below): the initiator sends a fresh KEM public key (e1), the responder
 * encapsulates to it (ekem1), and both mix the KEM output into the chaining key, so the session
 * keys stay secret unless X25519 and the KEM are both broken. The token rules, as HFS §4 and §5 give
 * them:
 *   e1     GENERATE_KEM_KEYPAIR(); the public key is sent "as if it was a static DH public key":
 *          EncryptAndHash(pk) (§5.3 token "s"). In message 1 there is no key yet, so that is the
 *          plain key followed by MixHash(pk), as for "e".
 *   ekem1  GENERATE_KEM_CIPHERTEXT(re1); the ciphertext is sent the same way, EncryptAndHash(ct),
 *          here encrypted under the key from ee; then MixKey(kem_output) (MixKey, not
 *          MixKeyAndHash). The reader does DecryptAndHash(ct), KEM(e1, ct), MixKey(kem_output).
 *   name   HFS §5: the KEM's name follows the DH name after a "+": "25519+MLKEM1024".
 *
 * The KEM: the HFS spec names none (HFS §6; it was written with Kyber and NewHope in mind). We use
 * FIPS 203 ML-KEM-1024 unchanged in its place: GENERATE_KEM_KEYPAIR = ML-KEM.KeyGen,
 * GENERATE_KEM_CIPHERTEXT = ML-KEM.Encaps, KEM() = ML-KEM.Decaps, KEMPUBLICKEYLEN = 1568 (the
 * encapsulation key), KEMCIPHERTEXTLEN = 1568, KEMOUTPUTLEN = 32 (the shared secret K). Kyber1024
 * vectors of other libraries do not apply (round-3 Kyber is not ML-KEM), and no published vector
 * uses this name. XXhfs message sizes: 1600, 1680 and 64 bytes plus the payload.
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
import { mlKem1024Decapsulate, mlKem1024Encapsulate, mlKem1024KeyPair } from '../crypto/ml-kem';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import {
  X25519_KEY_LENGTH,
  generateX25519KeyPair,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
  type X25519KeyPair,
} from '../crypto/x25519';
import { ProtocolError } from './errors';

export const NOISE_XX_PROTOCOL_NAME = 'Noise_XX_25519_AESGCM_SHA256';
/** HFS §5: the KEM's name follows the DH name, joined by "+". */
export const NOISE_XXHFS_PROTOCOL_NAME = 'Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256';
/** The plain XX name, kept for existing callers. */
export const NOISE_PROTOCOL_NAME = NOISE_XX_PROTOCOL_NAME;

export type NoisePattern = 'XX' | 'XXhfs';

const HASHLEN = 32;
const DHLEN = X25519_KEY_LENGTH;
const TAGLEN = 16;
/** FIPS 203 ML-KEM-1024 sizes: KEMPUBLICKEYLEN, KEMCIPHERTEXTLEN, KEMOUTPUTLEN of HFS §3. */
const KEM_PUBLIC_KEY_LENGTH = 1568;
const KEM_CIPHERTEXT_LENGTH = 1568;
const KEM_OUTPUT_LENGTH = 32;
/** FIPS 203 ML-KEM.KeyGen_internal seed d ‖ z, and Encaps_internal randomness m. */
const KEM_SEED_LENGTH = 64;
const KEM_RANDOMNESS_LENGTH = 32;
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

/**
 * A handshake message's payload, or a function that makes it from a copy of the handshake hash h
 * as it stands right before the payload's EncryptAndHash (SecMsg signs that hash in the payload).
 */
export type NoisePayload = Uint8Array | ((hashBeforePayload: Uint8Array) => Uint8Array | Promise<Uint8Array>);

export interface Handshake {
  writeMessage(payload: NoisePayload): Promise<Uint8Array>;
  readMessage(message: Uint8Array): Promise<Uint8Array>;
  readonly complete: boolean;
  readonly protocolName: string;
  /** After readMessage: h as it stood right before the payload was decrypted. */
  readonly lastPayloadHash: Uint8Array | undefined;
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

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'e1' | 'ekem1';
type MessagePattern = readonly Token[];

/**
 * §7.5 XX, and XXhfs as HFS §5 derives it: "e1" right after the first "e" (message 1 has no DH,
 * so it stays there, in clear), "ekem1" right after the first "ee".
 */
const PATTERNS: Readonly<Record<NoisePattern, readonly MessagePattern[]>> = {
  XX: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
  XXhfs: [
    ['e', 'e1'],
    ['e', 'ee', 'ekem1', 's', 'es'],
    ['s', 'se'],
  ],
};
const PROTOCOL_NAMES: Readonly<Record<NoisePattern, string>> = {
  XX: NOISE_XX_PROTOCOL_NAME,
  XXhfs: NOISE_XXHFS_PROTOCOL_NAME,
};

export interface HandshakeOptions {
  initiator: boolean;
  prologue: Uint8Array;
  s: DhKeyPair;
  /** 'XX' (the default) or 'XXhfs', the same with the ML-KEM-1024 exchange. */
  pattern?: NoisePattern;
  /** Only for published test vectors: normally a fresh ephemeral key is drawn. */
  e?: DhKeyPair;
  /** Tests only, XXhfs initiator: the 64-byte seed d ‖ z of the e1 key pair (FIPS 203 KeyGen). */
  e1Seed?: Uint8Array;
  /** Tests only, XXhfs responder: the 32-byte randomness m of the ekem1 encapsulation. */
  kemRandomness?: Uint8Array;
}

export interface SplitResult {
  send: NoiseCipherState;
  recv: NoiseCipherState;
}

function truncated(): ProtocolError {
  return new ProtocolError('TRUNCATED', 'The handshake message is too short.');
}

function kemTruncated(): ProtocolError {
  return new ProtocolError(
    'TRUNCATED',
    'The handshake message is too short: its post-quantum key exchange (ML-KEM-1024) is missing or cut off.',
  );
}

function classicalOnly(): ProtocolError {
  return new ProtocolError(
    'CLASSICAL_ONLY',
    'The other device offered only classical encryption, without the post-quantum key exchange. ' +
      'SecMsg talks only with its post-quantum handshake: update SecMsg on the other device.',
  );
}

function optionalBytes(
  value: Uint8Array | undefined,
  name: string,
  length: number,
  allowed: boolean,
  where: string,
): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!allowed) throw new ProtocolError('BAD_ARGUMENT', `${name} is only for ${where}.`);
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ProtocolError('BAD_ARGUMENT', `${name} must be ${length} bytes.`);
  }
  return copyBytes(value);
}

/**
 * §5.3 HandshakeState for XX and XXhfs. Any failure leaves the handshake unusable: a Noise
 * handshake cannot recover from a bad message.
 */
export class NoiseHandshake implements Handshake {
  readonly #initiator: boolean;
  readonly #pattern: NoisePattern;
  readonly #messages: readonly MessagePattern[];
  readonly #s: DhKeyPair;
  #e: DhKeyPair | undefined;
  #re: Uint8Array | undefined;
  #rs: Uint8Array | undefined;
  /** HFS: our e1 key pair (initiator) until ekem1 is read, and the peer's e1 (responder). */
  #e1: { publicKey: Uint8Array; secretKey: Uint8Array } | undefined;
  #re1: Uint8Array | undefined;
  #e1Seed: Uint8Array | undefined;
  #kemRandomness: Uint8Array | undefined;
  readonly #ss = new SymmetricState();
  readonly #ready: Promise<void>;
  #index = 0;
  #failed = false;
  #busy = false;
  #split: SplitResult | undefined;
  #lastPayloadHash: Uint8Array | undefined;

  constructor(opts: HandshakeOptions) {
    if (!(opts.prologue instanceof Uint8Array))
      throw new ProtocolError('BAD_ARGUMENT', 'prologue must be a Uint8Array.');
    if (!(opts.s?.publicKey instanceof Uint8Array) || opts.s.publicKey.length !== DHLEN) {
      throw new ProtocolError('BAD_ARGUMENT', 's must be an X25519 key pair.');
    }
    const pattern = opts.pattern ?? 'XX';
    if (pattern !== 'XX' && pattern !== 'XXhfs') {
      throw new ProtocolError('BAD_ARGUMENT', "pattern must be 'XX' or 'XXhfs'.");
    }
    const hfs = pattern === 'XXhfs';
    this.#e1Seed = optionalBytes(
      opts.e1Seed,
      'e1Seed',
      KEM_SEED_LENGTH,
      hfs && opts.initiator,
      'an XXhfs initiator',
    );
    this.#kemRandomness = optionalBytes(
      opts.kemRandomness,
      'kemRandomness',
      KEM_RANDOMNESS_LENGTH,
      hfs && !opts.initiator,
      'an XXhfs responder',
    );
    this.#initiator = opts.initiator;
    this.#pattern = pattern;
    this.#messages = PATTERNS[pattern];
    this.#s = opts.s;
    this.#e = opts.e;
    const prologue = copyBytes(opts.prologue);
    // §5.3 Initialize(): InitializeSymmetric(name), MixHash(prologue); XX has no pre-messages.
    this.#ready = (async () => {
      await this.#ss.initialize(PROTOCOL_NAMES[pattern]);
      await this.#ss.mixHash(prologue);
    })();
  }

  get complete(): boolean {
    return this.#index >= this.#messages.length && !this.#failed;
  }
  get initiator(): boolean {
    return this.#initiator;
  }
  get pattern(): NoisePattern {
    return this.#pattern;
  }
  /** The full Noise protocol name, which §5.2 hashes first. */
  get protocolName(): string {
    return PROTOCOL_NAMES[this.#pattern];
  }
  /** The peer's static public key, once received (message 2 for the initiator, 3 for the responder). */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.#rs?.slice();
  }
  /**
   * After a successful readMessage: the handshake hash h as it stood right before that message's
   * payload was decrypted, the value the writer's payload function was given. Undefined before the
   * first read and after a failed one.
   */
  get lastPayloadHash(): Uint8Array | undefined {
    return this.#lastPayloadHash?.slice();
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

  #begin(writing: boolean): MessagePattern {
    if (this.#failed)
      throw new ProtocolError('HANDSHAKE_STATE', 'This handshake already failed and cannot continue.');
    if (this.#busy) throw new ProtocolError('HANDSHAKE_STATE', 'A handshake step is already in progress.');
    const pattern = this.#messages[this.#index];
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
    if (this.#index === this.#messages.length) {
      const [c1, c2] = await this.#ss.split();
      this.#split = this.#initiator ? { send: c1, recv: c2 } : { send: c2, recv: c1 };
    }
  }

  /** Drops the KEM secrets: after a failure, and once ekem1 has been used. */
  #wipeKem(): void {
    this.#e1?.secretKey.fill(0);
    this.#e1 = undefined;
    this.#e1Seed?.fill(0);
    this.#e1Seed = undefined;
    this.#kemRandomness?.fill(0);
    this.#kemRandomness = undefined;
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

  /** HFS §3 GENERATE_KEM_KEYPAIR(): ML-KEM-1024 KeyGen, from the test seed when one was given. */
  #generateE1(): { publicKey: Uint8Array; secretKey: Uint8Array } {
    const pair = mlKem1024KeyPair(this.#e1Seed);
    if (pair.publicKey.length !== KEM_PUBLIC_KEY_LENGTH) {
      throw new ProtocolError('HANDSHAKE_STATE', 'The ML-KEM-1024 key pair has the wrong size.');
    }
    return pair;
  }

  /**
   * HFS §3 GENERATE_KEM_CIPHERTEXT(re1): ML-KEM-1024 Encaps, which first runs FIPS 203 §7.2's
   * check of the encapsulation key; a key that fails it is the peer's fault.
   */
  #encapsulate(): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
    const re1 = this.#re1;
    if (!re1) throw new ProtocolError('HANDSHAKE_STATE', 'The post-quantum handshake key is missing.');
    let out: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      out = mlKem1024Encapsulate(re1, this.#kemRandomness);
    } catch (e) {
      if (CryptoError.is(e, 'BAD_PUBLIC_KEY')) {
        throw new ProtocolError(
          'BAD_PUBLIC_KEY',
          'The other side sent an invalid post-quantum handshake key.',
          { cause: e },
        );
      }
      throw e;
    }
    if (out.cipherText.length !== KEM_CIPHERTEXT_LENGTH || out.sharedSecret.length !== KEM_OUTPUT_LENGTH) {
      throw new ProtocolError('HANDSHAKE_STATE', 'The ML-KEM-1024 encapsulation has the wrong size.');
    }
    return out;
  }

  /** HFS §3 KEM(e1, ciphertext): ML-KEM-1024 Decaps (implicit rejection: never fails on a bad one). */
  #decapsulate(cipherText: Uint8Array): Uint8Array {
    const e1 = this.#e1;
    if (!e1) throw new ProtocolError('HANDSHAKE_STATE', 'The post-quantum handshake key is missing.');
    const sharedSecret = mlKem1024Decapsulate(cipherText, e1.secretKey);
    if (sharedSecret.length !== KEM_OUTPUT_LENGTH) {
      throw new ProtocolError('HANDSHAKE_STATE', 'The ML-KEM-1024 decapsulation has the wrong size.');
    }
    return sharedSecret;
  }

  /**
   * §5.3 WriteMessage(payload, message_buffer). `payload` may be a function of h as it stands
   * before the payload's EncryptAndHash; it runs once the message's tokens are done.
   */
  async writeMessage(payload: NoisePayload): Promise<Uint8Array> {
    const pattern = this.#begin(true);
    try {
      await this.#ready;
      const parts: Uint8Array[] = [];
      for (const token of pattern) {
        switch (token) {
          case 'e':
            this.#e ??= await generateDhKeyPair();
            parts.push(this.#e.publicKey);
            await this.#ss.mixHash(this.#e.publicKey);
            break;
          case 's':
            parts.push(await this.#ss.encryptAndHash(this.#s.publicKey));
            break;
          case 'e1': {
            // HFS §4 "e1": the KEM public key goes as a static key would, EncryptAndHash (plain
            // and MixHash in message 1, which has no key yet).
            this.#e1 = this.#generateE1();
            parts.push(await this.#ss.encryptAndHash(this.#e1.publicKey));
            break;
          }
          case 'ekem1': {
            // HFS §4 "ekem1": EncryptAndHash(ciphertext), then MixKey(kem_output).
            const { cipherText, sharedSecret } = this.#encapsulate();
            parts.push(await this.#ss.encryptAndHash(cipherText));
            await this.#ss.mixKey(sharedSecret);
            sharedSecret.fill(0);
            this.#wipeKem();
            break;
          }
          default:
            await this.#mixDh(token);
        }
      }
      let bytes: unknown = payload;
      if (typeof payload === 'function') bytes = await payload(this.#ss.h.slice());
      if (!(bytes instanceof Uint8Array)) {
        throw new ProtocolError('BAD_ARGUMENT', 'payload must be a Uint8Array or a function returning one.');
      }
      parts.push(await this.#ss.encryptAndHash(bytes));
      const message = concatBytes(...parts);
      if (message.length > NOISE_MAX_MESSAGE_LENGTH) {
        throw new ProtocolError('BAD_ARGUMENT', 'The handshake payload is too large.');
      }
      await this.#finish();
      return message;
    } catch (e) {
      this.#failed = true;
      this.#wipeKem();
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  /** §5.3 ReadMessage(message, payload_buffer): returns the payload. */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    const pattern = this.#begin(false);
    this.#lastPayloadHash = undefined;
    try {
      await this.#ready;
      if (!(message instanceof Uint8Array))
        throw new ProtocolError('BAD_ARGUMENT', 'message must be a Uint8Array.');
      if (message.length > NOISE_MAX_MESSAGE_LENGTH) {
        throw new ProtocolError('TOO_LARGE', 'The handshake message is larger than Noise allows.');
      }
      // Plain XX's `-> e` with an empty payload is exactly one key: a peer without the KEM.
      if (pattern.includes('e1') && message.length === DHLEN) throw classicalOnly();
      let offset = 0;
      const take = (n: number, short: () => ProtocolError): Uint8Array => {
        if (message.length - offset < n) throw short();
        const part = message.slice(offset, offset + n);
        offset += n;
        return part;
      };
      const tag = (): number => (this.#ss.cipher.hasKey() ? TAGLEN : 0);
      for (const token of pattern) {
        switch (token) {
          case 'e':
            this.#re = canonical(take(DHLEN, truncated), 'handshake');
            await this.#ss.mixHash(this.#re);
            break;
          case 's': {
            const temp = take(DHLEN + tag(), truncated);
            this.#rs = canonical(await this.#ss.decryptAndHash(temp), 'identity');
            break;
          }
          case 'e1': {
            // HFS §4 "e1", read as §5.3 reads "s": KEMPUBLICKEYLEN (+ 16 under a key) bytes.
            const temp = take(KEM_PUBLIC_KEY_LENGTH + tag(), kemTruncated);
            this.#re1 = await this.#ss.decryptAndHash(temp);
            break;
          }
          case 'ekem1': {
            // HFS §4 "ekem1": DecryptAndHash(ciphertext), KEM(e1, ciphertext), MixKey(kem_output).
            const temp = take(KEM_CIPHERTEXT_LENGTH + tag(), kemTruncated);
            const sharedSecret = this.#decapsulate(await this.#ss.decryptAndHash(temp));
            await this.#ss.mixKey(sharedSecret);
            sharedSecret.fill(0);
            this.#wipeKem();
            break;
          }
          default:
            await this.#mixDh(token);
        }
      }
      const hashBeforePayload = this.#ss.h.slice();
      const payload = await this.#ss.decryptAndHash(message.subarray(offset));
      await this.#finish();
      this.#lastPayloadHash = hashBeforePayload;
      return payload;
    } catch (e) {
      this.#failed = true;
      this.#wipeKem();
      throw e;
    } finally {
      this.#busy = false;
    }
  }
}

export function createHandshake(opts: HandshakeOptions): NoiseHandshake {
  return new NoiseHandshake(opts);
}
