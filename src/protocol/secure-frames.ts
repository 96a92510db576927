/**
 * Sealing and opening v0.1 transport frames after the handshake (DESIGN.md, Frames):
 * AES-256-GCM with Noise's CipherState (nonce = 4 zero bytes ‖ the frame's sequence number, the
 * 25-byte header as associated data), then HMAC-SHA256 over header ‖ ciphertext with a key of
 * its own per direction.
 *
 * FILE_CHUNK frames are the one exception: their payload is already AES-256-GCM under the file's
 * own key (file-chunk.ts), so the frame only MACs it, and the CipherState's nonce for that
 * sequence number is skipped (Noise §5.1 SetNonce), never used. Encrypting the 64 KiB a second
 * time cost each side an AES-GCM pass per chunk where CPU is what limits a transfer (though the
 * benchmark could not tell the difference from its noise: README, Benchmarks → Files); what the
 * session's encryption would add, hiding the chunk's file id and index from a relay, is little:
 * sizes and timing say as much.
 *
 * `open` runs the receive checks in DESIGN.md's order, before any decryption: structure and
 * length (decodeFrame), HMAC in constant time, exact next sequence number, timestamp window;
 * then AES-GCM. A frame that fails any step does not advance any counter.
 *
 * Calls to `seal` must not overlap, nor calls to `open`: the session serialises them.
 */
import { bufferView, concatBytes, utf8 } from '../crypto/bytes';
import { HmacKey } from '../crypto/hmac';
import { hkdfSha256 } from '../crypto/hkdf';
import { ProtocolError } from './errors';
import {
  FRAME_HEADER_LENGTH,
  FRAME_MAC_LENGTH,
  FrameType,
  MAX_FRAME_PAYLOAD,
  decodeFrame,
  frameHasMac,
  writeFrameHeader,
  type FrameHeader,
} from './frame';
import type { NoiseCipherState } from './noise';
import { FRAME_MAC_INFO } from './version';

export const AEAD_TAG_LENGTH = 16;
/** Frames whose timestamp is further than this from the sender's clock are refused. */
export const CLOCK_WINDOW_MS = 120_000;

/**
 * HMAC keys: HKDF-SHA256(IKM = final chaining key, salt = handshake hash,
 * info = "SecMsg/0.1 frame-mac", 64 bytes) → initiator-to-responder ‖ responder-to-initiator.
 */
export async function deriveFrameMacKeys(
  chainingKey: Uint8Array,
  handshakeHash: Uint8Array,
): Promise<{ initiatorToResponder: HmacKey; responderToInitiator: HmacKey }> {
  const okm = await hkdfSha256(chainingKey, handshakeHash, utf8(FRAME_MAC_INFO), 64);
  const [i2r, r2i] = await Promise.all([
    HmacKey.import(okm.subarray(0, 32)),
    HmacKey.import(okm.subarray(32)),
  ]);
  okm.fill(0);
  return { initiatorToResponder: i2r, responderToInitiator: r2i };
}

export interface FrameProtectorOptions {
  send: NoiseCipherState;
  recv: NoiseCipherState;
  sendMac: HmacKey;
  recvMac: HmacKey;
  /** Largest payload (ciphertext) accepted or produced; at most 256 KiB. */
  maxPayload?: number;
  now?: () => number;
  /** Peer clock minus ours, measured at the handshake. */
  peerClockOffsetMs?: number;
}

/** The frame types that carry encrypted, MAC'd payloads. */
export type SealedFrameType =
  typeof FrameType.REGULAR_MESSAGE | typeof FrameType.CLOSE | typeof FrameType.FILE_CHUNK;

export interface OpenedFrame {
  header: FrameHeader;
  plaintext: Uint8Array;
}

export class FrameProtector {
  readonly #o: Required<FrameProtectorOptions>;

  constructor(options: FrameProtectorOptions) {
    this.#o = {
      maxPayload: MAX_FRAME_PAYLOAD,
      now: Date.now,
      peerClockOffsetMs: 0,
      ...options,
    };
    this.#o.maxPayload = Math.min(this.#o.maxPayload, MAX_FRAME_PAYLOAD);
  }

  get maxPlaintext(): number {
    return this.#o.maxPayload - AEAD_TAG_LENGTH;
  }

  /**
   * Seals `plaintext`, given whole or in parts that follow one another (a FILE_CHUNK's parts are
   * copied into the frame as they are, so the sender never joins them first).
   *
   * `scratch`, when given, is where the frame is built (its first bytes; the frame is a view of
   * it) if it has room, instead of a new buffer: a sender that hands each frame to a channel that
   * copies it before returning uses one buffer for every chunk. It must not be touched until the
   * promise settles.
   */
  async seal(
    type: SealedFrameType,
    plaintext: Uint8Array | readonly Uint8Array[],
    scratch?: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    if (!frameHasMac(type)) throw new ProtocolError('BAD_ARGUMENT', 'Only MAC’d frame types can be sealed.');
    const parts = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
    let size = 0;
    for (const p of parts) size += p.length;
    const length = size + (type === FrameType.FILE_CHUNK ? 0 : AEAD_TAG_LENGTH);
    if (length > this.#o.maxPayload) {
      throw new ProtocolError('TOO_LARGE', 'This message is too large to send over this connection.');
    }
    const frameLength = FRAME_HEADER_LENGTH + length + FRAME_MAC_LENGTH;
    const frame =
      scratch !== undefined && scratch.length >= frameLength
        ? scratch.subarray(0, frameLength)
        : new Uint8Array(frameLength);
    const header = frame.subarray(0, FRAME_HEADER_LENGTH);
    writeFrameHeader(header, { type, flags: 0, seq: this.#o.send.nonce, timestamp: this.#o.now(), length });
    if (type === FrameType.FILE_CHUNK) {
      let at = FRAME_HEADER_LENGTH;
      for (const p of parts) {
        frame.set(p, at);
        at += p.length;
      }
      this.#o.send.skipNonce();
    } else {
      const whole = parts.length === 1 ? parts[0]! : concatBytes(...parts);
      const ciphertext = await this.#o.send.encryptWithAd(header, whole);
      frame.set(ciphertext, FRAME_HEADER_LENGTH);
    }
    const mac = await this.#o.sendMac.sign(frame.subarray(0, FRAME_HEADER_LENGTH + length));
    frame.set(mac, FRAME_HEADER_LENGTH + length);
    return frame;
  }

  /**
   * Starts the HMAC check of a received frame, which depends on nothing but its bytes and this
   * direction's key: a receiver starts it as a frame arrives, so the checks of frames that arrive
   * together run at once (on WebCrypto's thread), and gives it to {@link open}, which still takes
   * the frames one at a time and in order. Undefined when the bytes are not a MAC'd frame (open
   * says why, in its turn).
   */
  checkMac(bytes: Uint8Array): Promise<boolean> | undefined {
    let frame;
    try {
      frame = decodeFrame(bytes, this.#o.maxPayload);
    } catch {
      return undefined;
    }
    if (!frame.mac) return undefined;
    const checked = this.#o.recvMac.verify(bufferView(frame.authenticated), frame.mac);
    checked.catch(() => undefined); // awaited by open
    return checked;
  }

  /**
   * Opens a frame. `accept` sees the plaintext after AES-GCM verified it and before the receive
   * counter advances; it refuses the frame by throwing, and a refused frame advances nothing.
   * `mac`, when given, is {@link checkMac} of these same bytes.
   */
  async open(
    bytes: Uint8Array,
    accept?: (header: FrameHeader, plaintext: Uint8Array) => void,
    mac?: Promise<boolean>,
  ): Promise<OpenedFrame> {
    const frame = decodeFrame(bytes, this.#o.maxPayload);
    const { header } = frame;
    if (!frame.mac) {
      throw new ProtocolError(
        'UNEXPECTED_TYPE',
        'A handshake message arrived after the handshake had finished.',
      );
    }
    if (!(await (mac ?? this.#o.recvMac.verify(bufferView(frame.authenticated), frame.mac)))) {
      throw new ProtocolError('BAD_MAC', 'A message failed its integrity check and was dropped.');
    }
    const expected = this.#o.recv.nonce;
    if (header.seq < expected)
      throw new ProtocolError('REPLAY', 'A message arrived a second time and was dropped.');
    if (header.seq > expected)
      throw new ProtocolError('OUT_OF_ORDER', 'A message arrived out of order and was dropped.');
    const peerNow = this.#o.now() + this.#o.peerClockOffsetMs;
    if (Math.abs(header.timestamp - peerNow) > CLOCK_WINDOW_MS) {
      throw new ProtocolError(
        'STALE',
        'A message arrived with a timestamp outside the allowed window and was dropped.',
      );
    }
    if (header.type === FrameType.FILE_CHUNK) {
      accept?.(header, frame.payload);
      this.#o.recv.skipNonce();
      return { header, plaintext: frame.payload };
    }
    const plaintext = await this.#o.recv.decryptWithAd(
      frame.headerBytes,
      frame.payload,
      accept && ((p) => accept(header, p)),
    );
    return { header, plaintext };
  }
}
