/**
 * The signaling worker's wire contract (DESIGN.md, Pairing and signaling), shared by the worker
 * (`signaling-worker/`) and the app. Pure TypeScript: no DOM, no Workers runtime.
 *
 *   inviter                          worker: one Room per roomId                        joiner
 *      │── WebSocket GET /rooms/<roomId> ──▶│                                              │
 *      │◀── {"t":"hello","peers":0} ────────│                                              │
 *      │                                    │◀────────── WebSocket GET /rooms/<roomId> ───│
 *      │◀── {"t":"peer-joined"} ────────────│──── {"t":"hello","peers":1} ───────────────▶│
 *      │── {"t":"blob","d":"<offer>"} ─────▶│──── {"t":"blob","d":"<offer>"} ────────────▶│
 *      │◀── {"t":"blob","d":"<answer>"} ────│◀─────────── {"t":"blob","d":"<answer>"} ────│
 *      │── {"t":"done"}, then close ───────▶│ counts: the joiner is in the room           │
 *                                           │──── {"t":"peer-left"} ─────────────────────▶│
 *                                           │◀──────────────────────────── {"t":"done"} ──│
 *                                           │ counts too: the room is used, for good      │
 *                                           │──── close 1000 "pairing finished" ─────────▶│
 *                                           │◀────────── a later join with the same invite │
 *                                           │──── close 4005 "invite already used" ──────▶│
 *
 * - `roomId` is 43 base64url characters: SHA-256 of the room secret (see `pairing.ts`), so the
 *   worker never learns the secret. Blobs are ciphertext under a key derived from it; the worker
 *   relays `d` verbatim, to the other peer only, and never looks inside.
 * - Text frames only, one JSON object each, every field validated (unknown fields are refused).
 * - At most two peers a room. A blob sent while alone is dropped: wait for `hello` with
 *   `peers: 1` or for `peer-joined` before sending.
 * - `{"t":"done"}` ends an invite's pairing: each side sends it once its session is ready, and may
 *   close right after. The room is used for good (later joins hear 4005) once two different
 *   peers' `done`s have counted. A `done` counts when another peer is in the room or has already
 *   had its `done` counted, and once a peer; one from a peer alone in a room where nobody else has
 *   said it is ignored (no reply, no close). Rendezvous rooms, which are reused, never send it.
 * - `{"t":"ping"}` (exactly those bytes) is answered `{"t":"pong"}` by the runtime without waking
 *   the room; it keeps proxies from dropping an idle connection and does not count as activity.
 * - The worker closes with the codes in `SignalingCloseCode`; `closeCodeMessage` words them.
 * - `{"t":"turn"}` asks for TURN credentials, answered `{"t":"turn",…}` or `{"t":"no-turn",…}`
 *   to the asker only (the contract is `turn.ts`).
 */
import {
  type TurnAnswer,
  type TurnRefusal,
  type TurnServer,
  MAX_TURN_SERVERS,
  checkTurnServers,
  isTurnRefusal,
  isTurnTtl,
} from './turn';

/** Bumped when this contract changes incompatibly; a new version gets a new path prefix. */
export const SIGNALING_VERSION = 1;
export const ROOM_PATH_PREFIX = '/rooms/';
/** Base64url of 32 bytes, unpadded. */
export const ROOM_ID_LENGTH = 43;
export const MAX_PEERS = 2;
/** The largest blob, decoded. */
export const MAX_BLOB_BYTES = 16 * 1024;
/** The longest `d`: unpadded base64url of MAX_BLOB_BYTES bytes is ⌈16384 · 4 / 3⌉ characters. */
export const MAX_BLOB_LENGTH = Math.ceil((MAX_BLOB_BYTES * 4) / 3);
/** The longest text frame, in UTF-16 code units (every valid frame is ASCII). */
export const MAX_FRAME_LENGTH = 24 * 1024;
/**
 * Each peer may send this many messages per window; a window opens at the peer's first message
 * after the previous one ended. The exact PING_FRAME is answered by the runtime and not counted.
 */
export const RATE_LIMIT_MESSAGES = 30;
export const RATE_LIMIT_WINDOW_MS = 10_000;
/** A room with no join and no message for this long expires (close 4004) and is deleted. */
export const ROOM_IDLE_MS = 10 * 60_000;
/** How long a used room remembers that it was used, so a late join hears 4005. */
export const USED_ROOM_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** The keep-alive pair, exact text: the worker registers these as its WebSocket auto-response. */
export const PING_FRAME = '{"t":"ping"}';
export const PONG_FRAME = '{"t":"pong"}';

export type ClientMessage =
  | { readonly t: 'blob'; readonly d: string }
  | { readonly t: 'done' }
  | { readonly t: 'ping' }
  | { readonly t: 'turn' };

export type ServerMessage =
  | { readonly t: 'hello'; readonly peers: number }
  | { readonly t: 'peer-joined' }
  | { readonly t: 'peer-left' }
  | { readonly t: 'blob'; readonly d: string }
  | { readonly t: 'pong' }
  | TurnAnswer;

/**
 * WebSocket close codes the worker uses. 1000 means the room closed because both peers sent `done`;
 * 1011 means the worker failed unexpectedly.
 */
export const SignalingCloseCode = {
  /** A frame was binary, not JSON, or not one of the client messages with exactly its fields. */
  MALFORMED: 4000,
  /** Two peers are already in the room. */
  ROOM_FULL: 4001,
  /** A frame was over MAX_FRAME_LENGTH, or a blob over MAX_BLOB_BYTES. */
  TOO_LARGE: 4002,
  /** More than RATE_LIMIT_MESSAGES in RATE_LIMIT_WINDOW_MS from one peer. */
  RATE_LIMITED: 4003,
  /** No activity for ROOM_IDLE_MS; the room was deleted. */
  ROOM_EXPIRED: 4004,
  /** Both peers sent `done` earlier: this invite was used, and its room is closed for good. */
  INVITE_USED: 4005,
  /** The path did not name a well-formed room id. */
  BAD_REQUEST: 4006,
} as const;
export type SignalingCloseCode = (typeof SignalingCloseCode)[keyof typeof SignalingCloseCode];

export const NORMAL_CLOSURE = 1000;
export const INTERNAL_ERROR = 1011;

/** Short reasons for the close frame (a close reason is limited to 123 bytes). */
const CLOSE_REASONS: Record<SignalingCloseCode, string> = {
  [SignalingCloseCode.MALFORMED]: 'malformed message',
  [SignalingCloseCode.ROOM_FULL]: 'room full',
  [SignalingCloseCode.TOO_LARGE]: 'message too large',
  [SignalingCloseCode.RATE_LIMITED]: 'too many messages',
  [SignalingCloseCode.ROOM_EXPIRED]: 'room expired',
  [SignalingCloseCode.INVITE_USED]: 'invite already used',
  [SignalingCloseCode.BAD_REQUEST]: 'bad room id',
};

/** What a person reads when the signaling connection closes with `code`. */
const CLOSE_SENTENCES: Record<number, string> = {
  [SignalingCloseCode.MALFORMED]:
    'The signaling server could not read a message from this app and hung up. Updating the app may help.',
  [SignalingCloseCode.ROOM_FULL]:
    'Two people are already using this invite. Ask the person who sent it for a new one.',
  [SignalingCloseCode.TOO_LARGE]:
    'A pairing message was too large for the signaling server. Updating the app may help.',
  [SignalingCloseCode.RATE_LIMITED]:
    'Too many pairing messages were sent too quickly, so the signaling server hung up. Wait a moment and try again.',
  [SignalingCloseCode.ROOM_EXPIRED]:
    'This invite expired after ten minutes without activity. Ask the person who sent it for a new one.',
  [SignalingCloseCode.INVITE_USED]: 'This invite was already used. Ask the person who sent it for a new one.',
  [SignalingCloseCode.BAD_REQUEST]: 'This invite link is damaged; copy all of it, or scan it again.',
  [NORMAL_CLOSURE]: 'Pairing is finished; the signaling server has closed this invite.',
  1001: 'The signaling server is restarting. Try again in a moment.',
  1006: 'The connection to the signaling server was lost. Check the network and try again.',
  [INTERNAL_ERROR]: 'The signaling server had a problem. Try again in a moment.',
};

export function isSignalingCloseCode(code: number): code is SignalingCloseCode {
  return Object.prototype.hasOwnProperty.call(CLOSE_REASONS, code);
}

/** The short reason the worker puts in a close frame with `code`. */
export function closeReason(code: SignalingCloseCode): string {
  return CLOSE_REASONS[code];
}

/** A sentence a person reads for any close code (from the worker, the browser or the network). */
export function closeCodeMessage(code: number): string {
  return (
    CLOSE_SENTENCES[code] ??
    `The connection to the signaling server closed unexpectedly (code ${code}). Try again.`
  );
}

export type SignalingErrorCode = 'MALFORMED' | 'TOO_LARGE' | 'BAD_ROOM_ID';

export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** The close code the worker answers this error with. */
  get closeCode(): SignalingCloseCode {
    switch (this.code) {
      case 'TOO_LARGE':
        return SignalingCloseCode.TOO_LARGE;
      case 'BAD_ROOM_ID':
        return SignalingCloseCode.BAD_REQUEST;
      case 'MALFORMED':
        return SignalingCloseCode.MALFORMED;
    }
  }
  static is(e: unknown, code?: SignalingErrorCode): e is SignalingError {
    return e instanceof SignalingError && (code === undefined || e.code === code);
  }
}

const malformed = (message: string, options?: ErrorOptions): SignalingError =>
  new SignalingError('MALFORMED', message, options);

// Unpadded base64url of exactly 32 bytes: 42 characters carry 252 bits, and the 43rd carries the
// last 4 bits followed by two zero bits, so it is one of the 16 characters whose index is 0 mod 4.
const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True when `value` has the shape of a room id: unpadded base64url of a SHA-256 hash. */
export function isRoomId(value: unknown): value is string {
  return typeof value === 'string' && ROOM_ID_PATTERN.test(value);
}

/** The path a client opens its WebSocket on. */
export function roomPath(roomId: string): string {
  if (!isRoomId(roomId)) {
    throw new SignalingError('BAD_ROOM_ID', `roomId must be ${ROOM_ID_LENGTH} base64url characters.`);
  }
  return ROOM_PATH_PREFIX + roomId;
}

/** Decoded size of unpadded base64url text of `length` characters (length mod 4 ≠ 1). */
function decodedLength(length: number): number {
  return Math.floor((length * 3) / 4);
}

function checkBlob(d: unknown): string {
  if (typeof d !== 'string') throw malformed('The blob must be a string.');
  if (d.length > MAX_BLOB_LENGTH) {
    throw new SignalingError('TOO_LARGE', `The blob is over ${MAX_BLOB_BYTES} bytes.`);
  }
  if (!BASE64URL_PATTERN.test(d) || d.length % 4 === 1) {
    throw malformed('The blob must be unpadded base64url of at least one byte.');
  }
  if (decodedLength(d.length) > MAX_BLOB_BYTES) {
    throw new SignalingError('TOO_LARGE', `The blob is over ${MAX_BLOB_BYTES} bytes.`);
  }
  return d;
}

type JsonObject = { readonly [key: string]: unknown };

function parseObject(frame: string | ArrayBuffer): JsonObject {
  if (typeof frame !== 'string') throw malformed('Signaling messages are text frames, not binary.');
  if (frame.length > MAX_FRAME_LENGTH) {
    throw new SignalingError('TOO_LARGE', `The message is over ${MAX_FRAME_LENGTH} characters.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (e) {
    throw malformed('The message is not JSON.', { cause: e });
  }
  if (!isJsonObject(value)) throw malformed('The message must be a JSON object.');
  return value;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses an object whose own keys are not exactly `keys`. */
function checkKeys(obj: JsonObject, t: string, keys: readonly string[]): void {
  const own = Object.keys(obj);
  if (own.length !== keys.length || !own.every((k) => keys.includes(k))) {
    throw malformed(`A "${t}" message has exactly the fields ${keys.join(', ')}.`);
  }
}

function typeOf(obj: JsonObject): string {
  const t = obj['t'];
  if (typeof t !== 'string') throw malformed('The message has no "t" string.');
  return t;
}

/** Validates and serialises a client message; throws `SignalingError` on one the worker would refuse. */
export function encodeClientMessage(msg: ClientMessage): string {
  switch (msg.t) {
    case 'blob':
      return JSON.stringify({ t: 'blob', d: checkBlob(msg.d) });
    case 'done':
      return '{"t":"done"}';
    case 'ping':
      return PING_FRAME;
    case 'turn':
      return '{"t":"turn"}';
  }
}

/** Parses one frame from a client. Throws `SignalingError` (MALFORMED or TOO_LARGE). */
export function decodeClientMessage(frame: string | ArrayBuffer): ClientMessage {
  const obj = parseObject(frame);
  const t = typeOf(obj);
  switch (t) {
    case 'blob':
      checkKeys(obj, t, ['t', 'd']);
      return { t, d: checkBlob(obj['d']) };
    case 'done':
    case 'ping':
    case 'turn':
      checkKeys(obj, t, ['t']);
      return { t };
    default:
      throw malformed(`Unknown client message type "${t.slice(0, 32)}".`);
  }
}

function checkPeers(peers: unknown): number {
  if (typeof peers !== 'number' || !Number.isInteger(peers) || peers < 0 || peers >= MAX_PEERS) {
    throw malformed(`"peers" must be an integer from 0 to ${MAX_PEERS - 1}.`);
  }
  return peers;
}

function checkServers(value: unknown): TurnServer[] {
  const servers = checkTurnServers(value);
  if (!servers)
    throw malformed(
      `"servers" must be 1 to ${MAX_TURN_SERVERS} ICE servers with valid URLs and credentials.`,
    );
  return servers;
}

function checkTtl(value: unknown): number {
  if (!isTurnTtl(value)) throw malformed('"ttl" must be a whole number of seconds, at most two days.');
  return value;
}

function checkRefusal(value: unknown): TurnRefusal {
  if (!isTurnRefusal(value)) throw malformed('"reason" must name a known refusal.');
  return value;
}

export function encodeServerMessage(msg: ServerMessage): string {
  switch (msg.t) {
    case 'hello':
      return JSON.stringify({ t: 'hello', peers: checkPeers(msg.peers) });
    case 'blob':
      return JSON.stringify({ t: 'blob', d: checkBlob(msg.d) });
    case 'peer-joined':
    case 'peer-left':
    case 'pong':
      return JSON.stringify({ t: msg.t });
    case 'turn':
      return JSON.stringify({ t: 'turn', servers: checkServers(msg.servers), ttl: checkTtl(msg.ttl) });
    case 'no-turn':
      return JSON.stringify({ t: 'no-turn', reason: checkRefusal(msg.reason) });
  }
}

/** Parses one frame from the worker. Throws `SignalingError` (MALFORMED or TOO_LARGE). */
export function decodeServerMessage(frame: string | ArrayBuffer): ServerMessage {
  const obj = parseObject(frame);
  const t = typeOf(obj);
  switch (t) {
    case 'hello':
      checkKeys(obj, t, ['t', 'peers']);
      return { t, peers: checkPeers(obj['peers']) };
    case 'blob':
      checkKeys(obj, t, ['t', 'd']);
      return { t, d: checkBlob(obj['d']) };
    case 'peer-joined':
    case 'peer-left':
    case 'pong':
      checkKeys(obj, t, ['t']);
      return { t };
    case 'turn':
      checkKeys(obj, t, ['t', 'servers', 'ttl']);
      return { t, servers: checkServers(obj['servers']), ttl: checkTtl(obj['ttl']) };
    case 'no-turn':
      checkKeys(obj, t, ['t', 'reason']);
      return { t, reason: checkRefusal(obj['reason']) };
    default:
      throw malformed(`Unknown server message type "${t.slice(0, 32)}".`);
  }
}
