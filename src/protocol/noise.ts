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
 * The KEM (ML-KEM-1024 in place of the spec's Kyber): see noise-patterns.ts.
 * DH = X25519 (§12.1), cipher = AES-256-GCM with a 96-bit nonce of 32 zero bits ‖ 64-bit
 * big-endian counter (§12.4), hash = SHA-256 with HKDF from HMAC-SHA256 (§4.3): noise-state.ts.
 */
import { concatBytes, copyBytes } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { mlKem1024Decapsulate, mlKem1024Encapsulate, mlKem1024KeyPair } from '../crypto/ml-kem';
import {
  X25519_KEY_LENGTH,
  generateX25519KeyPair,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
  type X25519KeyPair,
} from '../crypto/x25519';
import { ProtocolError } from './errors';
import {
  type HandshakeOptions,
  type MessagePattern,
  type NoisePattern,
  type SplitResult,
  PATTERNS,
  PROTOCOL_NAMES,
  canonical,
  classicalOnly,
  kemTruncated,
  optionalBytes,
  truncated,
} from './noise-patterns';
import { type CipherState, SymmetricState } from './noise-state';

export {
  type HandshakeOptions,
  type SplitResult,
  NOISE_PROTOCOL_NAME,
  NOISE_XXHFS_PROTOCOL_NAME,
  NOISE_XX_PROTOCOL_NAME,
  type NoisePattern,
} from './noise-patterns';

export { type CipherState, NoiseCipherState } from './noise-state';

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

export type DhKeyPair = X25519KeyPair;

/** Imports a raw 32-byte X25519 private key (for published vectors). */
export async function dhKeyPairFromPrivate(privateKey: Uint8Array): Promise<DhKeyPair> {
  return x25519KeyPairFromPrivate(privateKey);
}

/** Draws a fresh X25519 key pair; the private key is non-extractable where WebCrypto has X25519. */
export async function generateDhKeyPair(): Promise<DhKeyPair> {
  return generateX25519KeyPair();
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
