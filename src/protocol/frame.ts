/**
 * The v0.1 frame codec (DESIGN.md, Frames). Big-endian:
 *
 *   0  2  protocol id "SM"        13  8  timestamp (ms since the epoch)
 *   2  1  version 0x01            21  4  payload length n
 *   3  1  type                    25  n  payload
 *   4  1  flags (reserved, 0)     25+n 32 HMAC-SHA256 of bytes 0 … 25+n−1 (not on handshake frames)
 *   5  8  sequence number
 *
 * `decodeFrame` validates every field before touching the payload and never allocates: the
 * parts it returns are views into the input.
 */
import { FRAME_VERSION } from './version';
import { ProtocolError } from './errors';

export const FRAME_HEADER_LENGTH = 25;
export const FRAME_MAC_LENGTH = 32;
/** The payload limit when the peer announces none smaller (DESIGN.md). */
export const MAX_FRAME_PAYLOAD = 256 * 1024;
const PROTOCOL_ID_0 = 0x53; // 'S'
const PROTOCOL_ID_1 = 0x4d; // 'M'

export const FrameType = {
  REGULAR_MESSAGE: 0x01,
  HANDSHAKE_REQUEST: 0x02,
  HANDSHAKE_RESPONSE: 0x03,
  HANDSHAKE_FINISH: 0x04,
  CLOSE: 0x05,
  /**
   * One piece of a file (file-chunk.ts), AES-GCM under the per-file key from the `file-offer`
   * record. The frame around it is MAC-only: the HMAC covers the header and the payload as for
   * every frame, the sequence number is used up as every frame's is, but the payload is not
   * encrypted a second time under the session's key (secure-frames.ts). A frame type of its own,
   * on the same ordered channel
   * as the ratchet messages, rather than a second DataChannel: the worker relay route has a single
   * WebSocket, the frame format's strict sequence needs one ordered stream per session, and a
   * second channel would need a handshake of its own or keys shared across two orderings.
   */
  FILE_CHUNK: 0x06,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const TYPE_NAMES: Record<FrameType, string> = {
  [FrameType.REGULAR_MESSAGE]: 'REGULAR_MESSAGE',
  [FrameType.HANDSHAKE_REQUEST]: 'HANDSHAKE_REQUEST',
  [FrameType.HANDSHAKE_RESPONSE]: 'HANDSHAKE_RESPONSE',
  [FrameType.HANDSHAKE_FINISH]: 'HANDSHAKE_FINISH',
  [FrameType.CLOSE]: 'CLOSE',
  [FrameType.FILE_CHUNK]: 'FILE_CHUNK',
};

export function frameTypeName(type: FrameType): string {
  return TYPE_NAMES[type];
}

export function isFrameType(value: number): value is FrameType {
  return Number.isInteger(value) && value >= FrameType.REGULAR_MESSAGE && value <= FrameType.FILE_CHUNK;
}

/** Handshake frames carry Noise messages and no HMAC trailer; all others are MAC'd. */
export function frameHasMac(type: FrameType): boolean {
  return type === FrameType.REGULAR_MESSAGE || type === FrameType.CLOSE || type === FrameType.FILE_CHUNK;
}

export interface FrameHeader {
  type: FrameType;
  flags: number;
  seq: number;
  timestamp: number;
  length: number;
}

export interface Frame {
  header: FrameHeader;
  payload: Uint8Array;
  /** Present exactly when the type carries one. */
  mac?: Uint8Array;
}

export interface DecodedFrame extends Frame {
  /** Bytes 0 … 25+n−1: what the HMAC covers. */
  authenticated: Uint8Array;
  /** The 25 header bytes: the AES-GCM associated data. */
  headerBytes: Uint8Array;
}

function readU64(view: DataView, offset: number, name: string): number {
  const hi = view.getUint32(offset);
  const lo = view.getUint32(offset + 4);
  if (hi > 0x1fffff) {
    throw new ProtocolError('BAD_LENGTH', `The frame's ${name} is out of range.`);
  }
  return hi * 2 ** 32 + lo;
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 2 ** 32));
  view.setUint32(offset + 4, value >>> 0);
}

/** Encodes the 25-byte header into `out` (which must be at least that long). */
export function writeFrameHeader(out: Uint8Array, header: FrameHeader): void {
  if (!isFrameType(header.type)) throw new ProtocolError('BAD_ARGUMENT', 'type must be a known frame type.');
  for (const [name, v] of [
    ['seq', header.seq],
    ['timestamp', header.timestamp],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new ProtocolError('BAD_ARGUMENT', `${name} must be a non-negative safe integer.`);
  }
  if (!Number.isInteger(header.length) || header.length < 0 || header.length > 0xffffffff) {
    throw new ProtocolError('BAD_ARGUMENT', 'length must fit in 32 bits.');
  }
  if (!Number.isInteger(header.flags) || header.flags < 0 || header.flags > 0xff) {
    throw new ProtocolError('BAD_ARGUMENT', 'flags must be one byte.');
  }
  const view = new DataView(out.buffer, out.byteOffset, FRAME_HEADER_LENGTH);
  out[0] = PROTOCOL_ID_0;
  out[1] = PROTOCOL_ID_1;
  out[2] = FRAME_VERSION;
  out[3] = header.type;
  out[4] = header.flags;
  writeU64(view, 5, header.seq);
  writeU64(view, 13, header.timestamp);
  view.setUint32(21, header.length);
}

/** Encodes a whole frame. `mac` must be given exactly for MAC'd types. */
export function encodeFrame(frame: Frame): Uint8Array<ArrayBuffer> {
  const { header, payload, mac } = frame;
  if (header.length !== payload.length)
    throw new ProtocolError('BAD_ARGUMENT', 'header.length must equal the payload length.');
  const withMac = frameHasMac(header.type);
  if (withMac !== (mac !== undefined) || (mac !== undefined && mac.length !== FRAME_MAC_LENGTH)) {
    throw new ProtocolError(
      'BAD_ARGUMENT',
      'mac must be 32 bytes on MAC’d frame types and absent on handshake frames.',
    );
  }
  const out = new Uint8Array(FRAME_HEADER_LENGTH + payload.length + (mac ? FRAME_MAC_LENGTH : 0));
  writeFrameHeader(out, header);
  out.set(payload, FRAME_HEADER_LENGTH);
  if (mac) out.set(mac, FRAME_HEADER_LENGTH + payload.length);
  return out;
}

/**
 * Decodes and validates a frame, in DESIGN.md's order: length ≥ header; protocol id, version,
 * flags, type; declared length within `maxPayload` and equal to what arrived. Checked without
 * allocating, so a declared length of 0xFFFFFFFF costs nothing.
 */
export function decodeFrame(bytes: Uint8Array, maxPayload: number = MAX_FRAME_PAYLOAD): DecodedFrame {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_ARGUMENT', 'A frame must be bytes.');
  if (!Number.isInteger(maxPayload) || maxPayload < 0) {
    throw new ProtocolError('BAD_ARGUMENT', 'maxPayload must be a non-negative integer.');
  }
  if (bytes.length < FRAME_HEADER_LENGTH) {
    throw new ProtocolError('TRUNCATED', 'A frame arrived shorter than its header.');
  }
  if (bytes[0] !== PROTOCOL_ID_0 || bytes[1] !== PROTOCOL_ID_1) {
    throw new ProtocolError('BAD_PROTOCOL_ID', 'A message arrived that is not a SecMsg frame.');
  }
  if (bytes[2] !== FRAME_VERSION) {
    throw new ProtocolError(
      'BAD_VERSION',
      bytes[2]! > FRAME_VERSION
        ? 'The other side uses a newer SecMsg protocol version; update the app to talk to it.'
        : 'The other side uses an older SecMsg protocol version that this app no longer speaks.',
    );
  }
  if (bytes[4] !== 0) {
    throw new ProtocolError('BAD_FLAGS', 'A frame arrived with reserved flag bits set.');
  }
  const type = bytes[3]!;
  if (!isFrameType(type)) {
    throw new ProtocolError('UNKNOWN_TYPE', `A frame of unknown type ${type} arrived.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(21);
  if (length > maxPayload) {
    throw new ProtocolError('TOO_LARGE', 'A frame declared a payload larger than the limit.');
  }
  const macLength = frameHasMac(type) ? FRAME_MAC_LENGTH : 0;
  const expected = FRAME_HEADER_LENGTH + length + macLength;
  if (bytes.length < expected)
    throw new ProtocolError('TRUNCATED', 'A frame arrived shorter than it declared.');
  if (bytes.length > expected)
    throw new ProtocolError('BAD_LENGTH', 'A frame arrived longer than it declared.');
  const seq = readU64(view, 5, 'sequence number');
  const timestamp = readU64(view, 13, 'timestamp');
  const end = FRAME_HEADER_LENGTH + length;
  const frame: DecodedFrame = {
    header: { type, flags: 0, seq, timestamp, length },
    payload: bytes.subarray(FRAME_HEADER_LENGTH, end),
    authenticated: bytes.subarray(0, end),
    headerBytes: bytes.subarray(0, FRAME_HEADER_LENGTH),
  };
  if (macLength) frame.mac = bytes.subarray(end, end + macLength);
  return frame;
}
