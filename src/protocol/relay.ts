/**
 * The worker relay's contract (DESIGN.md, Routes and delivery, item 3): shared by the app
 * (src/rtc/relay-transport.ts) and the worker's Relay Durable Object (signaling-worker/src/relay.ts).
 *
 * A relay room joins exactly two WebSockets at `GET /relay/<relayRoomId>` (with an upgrade). Its id
 * is 32 random bytes that the WebRTC offerer chooses and sends to the other side sealed inside the
 * pairing or rendezvous room (src/app/connect.ts), so only the two people meeting there know it.
 * - Client → worker: binary frames only, each at most RELAY_MAX_FRAME_BYTES; the worker forwards
 *   each, unchanged and in order, to the other WebSocket. These are the session's v0.1 frames: the
 *   worker sees only ciphertext (the Noise handshake's messages, then HMAC-framed AES-GCM).
 * - Worker → client: the other side's binary frames, and one text frame, RELAY_READY, once both
 *   WebSockets are in the room (then, and only then, the route is open).
 * - Limits: at most RELAY_RATE_FRAMES frames and RELAY_RATE_BYTES bytes from one side in
 *   RELAY_RATE_WINDOW_MS; a room lives at most RELAY_MAX_AGE_MS, and closes after RELAY_IDLE_MS
 *   without a frame. Over a limit the worker closes both WebSockets with a code of RelayCloseCode.
 *
 * Sessions over the relay have no DTLS to bind to: their Noise prologue is
 * `SecMsg/0.1 relay` ‖ relay room id ‖ role, where role is the byte 0x01 (the offerer, which chose
 * the room, is the Noise initiator) — see relayPrologue in src/protocol/session.ts.
 */
import { isRoomId } from './signaling';

export const RELAY_PATH_PREFIX = '/relay/';
export const RELAY_ROOM_ID_BYTES = 32;
/** The one text frame the worker sends: both sides are in the room. */
export const RELAY_READY = 'ready';
/**
 * The largest session frame (256 KiB of payload, frame.ts's MAX_FRAME_PAYLOAD, plus its 25-byte
 * header and 32-byte MAC), rounded up: the relay carries every frame a DataChannel does, a file's
 * offer with a small file inside it too (Cloudflare allows WebSocket messages of 1 MiB).
 */
export const RELAY_MAX_FRAME_BYTES = 256 * 1024 + 64;
export const RELAY_RATE_WINDOW_MS = 10_000;
/** About 4,000 frames and 64 MiB a second from one side, averaged over the window. */
export const RELAY_RATE_FRAMES = 40_000;
export const RELAY_RATE_BYTES = 640 * 1024 * 1024;
/** A relay room lives at most this long; a conversation then meets again (a new room). */
export const RELAY_MAX_AGE_MS = 6 * 60 * 60 * 1000;
/** No frame from either side for this long closes the room (the session pings well within it). */
export const RELAY_IDLE_MS = 10 * 60 * 1000;
/** A side alone in the room for this long is closed (the other never came). */
export const RELAY_ALONE_MS = 60 * 1000;

/** WebSocket close codes of the relay (from 4100: the signaling room's are 4000–4099). */
export const RelayCloseCode = {
  /** A text frame, or an empty one, from a client. */
  MALFORMED: 4100,
  /** Two sides are already in the room. */
  ROOM_FULL: 4101,
  /** A frame over RELAY_MAX_FRAME_BYTES. */
  TOO_LARGE: 4102,
  /** Over RELAY_RATE_FRAMES or RELAY_RATE_BYTES in a window. */
  RATE_LIMITED: 4103,
  /** The room reached RELAY_MAX_AGE_MS, was idle RELAY_IDLE_MS, or one side waited alone RELAY_ALONE_MS. */
  EXPIRED: 4104,
  /** The other side left: the route is gone. */
  PEER_LEFT: 4105,
  /** The path did not name a well-formed relay room id. */
  BAD_REQUEST: 4106,
} as const;
export type RelayCloseCode = (typeof RelayCloseCode)[keyof typeof RelayCloseCode];

const CLOSE_REASONS: Record<RelayCloseCode, string> = {
  [RelayCloseCode.MALFORMED]: 'malformed frame',
  [RelayCloseCode.ROOM_FULL]: 'relay room full',
  [RelayCloseCode.TOO_LARGE]: 'frame too large',
  [RelayCloseCode.RATE_LIMITED]: 'too much traffic',
  [RelayCloseCode.EXPIRED]: 'relay room expired',
  [RelayCloseCode.PEER_LEFT]: 'the other side left',
  [RelayCloseCode.BAD_REQUEST]: 'bad relay room id',
};

const CLOSE_SENTENCES: Record<RelayCloseCode, string> = {
  [RelayCloseCode.MALFORMED]:
    'The relay could not read what this app sent and hung up. Updating the app may help.',
  [RelayCloseCode.ROOM_FULL]: 'Someone else is already using this relay connection.',
  [RelayCloseCode.TOO_LARGE]: 'A message was too large for the relay. Updating the app may help.',
  [RelayCloseCode.RATE_LIMITED]: 'Too much was sent through the relay too quickly, so it hung up.',
  [RelayCloseCode.EXPIRED]: 'The relay connection reached its time limit; the app connects again.',
  [RelayCloseCode.PEER_LEFT]: 'The other device left the relay connection.',
  [RelayCloseCode.BAD_REQUEST]: 'The relay connection’s address was damaged.',
};

export function isRelayCloseCode(code: number): code is RelayCloseCode {
  return Object.prototype.hasOwnProperty.call(CLOSE_REASONS, code);
}

/** The short reason for the close frame. */
export function relayCloseReason(code: RelayCloseCode): string {
  return CLOSE_REASONS[code];
}

/** What a person reads when the relay closes with `code`. */
export function relayCloseSentence(code: number): string {
  return isRelayCloseCode(code)
    ? CLOSE_SENTENCES[code]
    : 'The connection through the signaling server’s relay was lost.';
}

/** A relay room id (unpadded base64url of 32 bytes, the shape of a signaling room id). */
export function isRelayRoomId(value: unknown): value is string {
  return isRoomId(value);
}
