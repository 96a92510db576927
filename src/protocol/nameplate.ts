/**
 * The short code's meeting place in the worker (DESIGN.md, Pairing: "Short code read aloud"; issue
 * 15): the wire contract of nameplates, shared by the worker (`signaling-worker/src/nameplates.ts`)
 * and the app (`src/rtc/nameplate-client.ts`). Pure TypeScript: no DOM, no Workers runtime.
 *
 * A short code is `<nameplate>-<word>-<word>` (short-code.ts). The nameplate is a small number the
 * worker hands out, so the two people find each other; the words never reach the worker: they are
 * CPace's password, and what passes through here are CPace's messages and key confirmations
 * (`d`, opaque to the worker, at most MAX_PAKE_BYTES).
 *
 *   creator                              worker (the Nameplates object)                joiner
 *      │── WebSocket GET /nameplates ─────▶│ a free number, live for NAMEPLATE_TTL_MS     │
 *      │◀── {"t":"nameplate","n":7,"expires":1765000000000}                               │
 *      │── {"t":"pake","d":"<m1>"} ───────▶│ kept for each claim                          │
 *      │                                   │◀──────────── WebSocket GET /nameplates/7 ───│ a claim
 *      │◀── {"t":"claimed"} ───────────────│──── {"t":"pake","d":"<m1>"} ───────────────▶│
 *      │◀── {"t":"pake","d":"<m2>"} ───────│◀───────────────── {"t":"pake","d":"<m2>"} ──│ once
 *      │── {"t":"pake","d":"<m3>"} ───────▶│──── {"t":"pake","d":"<m3>"} ───────────────▶│ once
 *      │◀── close 1000 ────────────────────│──── close 1000 ────────────────────────────▶│
 *                                          │ the nameplate is gone: one exchange each      │
 *
 * Rules the worker keeps (and its tests check):
 * - One CPace exchange per claim, and one exchange per nameplate: after m3 is passed on, both
 *   sockets close with 1000 and the nameplate is released. A claim is one joiner WebSocket; one
 *   claim at a time (another joiner meanwhile hears BUSY); a joiner that leaves before sending m2
 *   ends its claim (the creator hears `unclaimed`) and the next may claim; at most MAX_CLAIMS claims
 *   a nameplate, after which joiners hear TOO_MANY_ATTEMPTS. So the words can be guessed at most
 *   MAX_CLAIMS times per nameplate, and the creator's side sees each guess fail.
 * - A claim that got m1 has CLAIM_DEADLINE_MS to send m2, counted from the moment m1 was passed to
 *   it (at the claim when m1 was already there): past it, the joiner is closed with CLAIM_TIMEOUT
 *   and the creator hears `unclaimed`, so an idle claim cannot hold a nameplate until it expires.
 *   The claim still counts toward MAX_CLAIMS.
 * - One client address (`CF-Connecting-IP`; none at all is one shared address) has at most
 *   MAX_CLAIMS_PER_CLIENT claims accepted in a window of NAMEPLATE_TTL_MS, across all nameplates;
 *   beyond, its claims hear TOO_MANY_CLAIMS (before anything is said of the nameplate, so a
 *   refused address learns nothing about which numbers are live). A claim counts when accepted,
 *   whether or not it got m1; each claim with an m2 is one guess at some code.
 * - Order: the creator sends m1 once (before or after a claim; the joiner gets it when both
 *   exist), m3 once and only after m2; the joiner sends m2 once and only after it got m1. Anything
 *   else closes the sender with OUT_OF_TURN. Only `pake` and the exact PING_FRAME are accepted.
 * - A nameplate lives NAMEPLATE_TTL_MS from its creation (then EXPIRED to both sides); the
 *   creator leaving releases it (a joiner hears CREATOR_LEFT). A released number is not handed out
 *   again for NAMEPLATE_TTL_MS, so a late joiner typing an old code finds no nameplate rather than
 *   a stranger's.
 * - At most MAX_LIVE_NAMEPLATES at once, and MAX_NAMEPLATES_PER_CLIENT per client address
 *   (`CF-Connecting-IP`); beyond either, NO_FREE_NAMEPLATE. Each socket at most
 *   RATE_LIMIT_MESSAGES per RATE_LIMIT_WINDOW_MS (signaling.ts's numbers).
 * - Nothing only in memory (hibernation): nameplates, claim deadlines and per-address claim counts
 *   in storage; expiries, claim deadlines and the ends of count windows by the storage alarm.
 */
import { PING_FRAME, RATE_LIMIT_MESSAGES, RATE_LIMIT_WINDOW_MS } from './signaling';

export { PING_FRAME, RATE_LIMIT_MESSAGES, RATE_LIMIT_WINDOW_MS };
export { PONG_FRAME } from './signaling';

export const NAMEPLATE_PATH = '/nameplates';
/** How long a code may be typed in: ten minutes from the nameplate's creation. */
export const NAMEPLATE_TTL_MS = 10 * 60_000;
/** Nameplates are 1 to MAX_NAMEPLATE, written in decimal without leading zeros. */
export const MAX_NAMEPLATE = 999;
export const MAX_LIVE_NAMEPLATES = MAX_NAMEPLATE;
export const MAX_NAMEPLATES_PER_CLIENT = 8;
/** Claims (joiners that got m1) a nameplate allows in all. */
export const MAX_CLAIMS = 3;
/** How long a joiner has to send m2 once it has m1: thirty seconds. */
export const CLAIM_DEADLINE_MS = 30_000;
/** Claims one client address may make in a window of NAMEPLATE_TTL_MS, across all nameplates. */
export const MAX_CLAIMS_PER_CLIENT = 20;
/** The largest `d`, decoded (the messages are 49, 96 and 64 bytes: short-code.ts). */
export const MAX_PAKE_BYTES = 256;
const MAX_PAKE_LENGTH = Math.ceil((MAX_PAKE_BYTES * 4) / 3);
/** The longest text frame a client may send. */
export const MAX_NAMEPLATE_FRAME_LENGTH = 1024;

export type NameplateClientMessage = { readonly t: 'pake'; readonly d: string } | { readonly t: 'ping' };

export type NameplateServerMessage =
  | { readonly t: 'nameplate'; readonly n: number; readonly expires: number }
  | { readonly t: 'claimed' }
  | { readonly t: 'unclaimed' }
  | { readonly t: 'pake'; readonly d: string }
  | { readonly t: 'pong' };

/** Close codes of nameplate sockets (signaling 40xx, relay 41xx; these 43xx). */
export const NameplateCloseCode = {
  /** A frame was binary, not JSON, or not a client message with exactly its fields. */
  MALFORMED: 4300,
  /** NAMEPLATE_TTL_MS passed since the nameplate was made. */
  EXPIRED: 4301,
  /** No live nameplate has this number. */
  NO_SUCH_NAMEPLATE: 4302,
  /** The nameplate already had MAX_CLAIMS claims. */
  TOO_MANY_ATTEMPTS: 4303,
  /** Another joiner is claiming this nameplate right now. */
  BUSY: 4304,
  /** The creator left (or was closed) before the exchange finished. */
  CREATOR_LEFT: 4305,
  /** No number is free, or this address has MAX_NAMEPLATES_PER_CLIENT live ones. */
  NO_FREE_NAMEPLATE: 4306,
  /** A frame over MAX_NAMEPLATE_FRAME_LENGTH, or `d` over MAX_PAKE_BYTES. */
  TOO_LARGE: 4307,
  /** More than RATE_LIMIT_MESSAGES in RATE_LIMIT_WINDOW_MS from one socket. */
  RATE_LIMITED: 4308,
  /** The path was not /nameplates or /nameplates/<1..MAX_NAMEPLATE>. */
  BAD_REQUEST: 4309,
  /** A message this side may not send now (a second m1, m2 before m1, m3 before m2, …). */
  OUT_OF_TURN: 4310,
  /** The joiner left after sending m2, before the creator answered. */
  JOINER_LEFT: 4311,
  /** The joiner had m1 for CLAIM_DEADLINE_MS without sending m2. */
  CLAIM_TIMEOUT: 4312,
  /** This address had MAX_CLAIMS_PER_CLIENT claims accepted in the last NAMEPLATE_TTL_MS. */
  TOO_MANY_CLAIMS: 4313,
} as const;
export type NameplateCloseCode = (typeof NameplateCloseCode)[keyof typeof NameplateCloseCode];

const CLOSE_REASONS: Record<NameplateCloseCode, string> = {
  [NameplateCloseCode.MALFORMED]: 'malformed message',
  [NameplateCloseCode.EXPIRED]: 'code expired',
  [NameplateCloseCode.NO_SUCH_NAMEPLATE]: 'no such code',
  [NameplateCloseCode.TOO_MANY_ATTEMPTS]: 'too many attempts',
  [NameplateCloseCode.BUSY]: 'code in use',
  [NameplateCloseCode.CREATOR_LEFT]: 'creator left',
  [NameplateCloseCode.NO_FREE_NAMEPLATE]: 'no free code',
  [NameplateCloseCode.TOO_LARGE]: 'message too large',
  [NameplateCloseCode.RATE_LIMITED]: 'too many messages',
  [NameplateCloseCode.BAD_REQUEST]: 'bad nameplate',
  [NameplateCloseCode.OUT_OF_TURN]: 'out of turn',
  [NameplateCloseCode.JOINER_LEFT]: 'joiner left',
  [NameplateCloseCode.CLAIM_TIMEOUT]: 'claim timed out',
  [NameplateCloseCode.TOO_MANY_CLAIMS]: 'too many claims',
};

const CLOSE_SENTENCES: Record<NameplateCloseCode, string> = {
  [NameplateCloseCode.MALFORMED]:
    'The signaling server could not read a message from this app and hung up. Updating the app may help.',
  [NameplateCloseCode.EXPIRED]:
    'This code expired: codes last ten minutes. Make a new one and read it out again.',
  [NameplateCloseCode.NO_SUCH_NAMEPLATE]:
    'No code with this number is waiting: check the number, or ask for a new code.',
  [NameplateCloseCode.TOO_MANY_ATTEMPTS]:
    'This code was tried too many times and can no longer be used. Ask for a new code.',
  [NameplateCloseCode.BUSY]: 'Someone else is entering this code right now. Ask for a new code.',
  [NameplateCloseCode.CREATOR_LEFT]: 'The person who made this code stopped waiting. Ask for a new code.',
  [NameplateCloseCode.NO_FREE_NAMEPLATE]:
    'The signaling server has no free codes right now. Wait a minute and try again.',
  [NameplateCloseCode.TOO_LARGE]:
    'A pairing message was too large for the signaling server. Updating the app may help.',
  [NameplateCloseCode.RATE_LIMITED]:
    'Too many pairing messages were sent too quickly, so the signaling server hung up. Try again.',
  [NameplateCloseCode.BAD_REQUEST]:
    'The code must start with its number, then two words: for example 7-orca-whimsical.',
  [NameplateCloseCode.OUT_OF_TURN]:
    'The pairing messages arrived out of order, so the signaling server hung up. Try again with a new code.',
  [NameplateCloseCode.JOINER_LEFT]:
    'The other person left before the codes could be compared. Make a new code and try again.',
  [NameplateCloseCode.CLAIM_TIMEOUT]: 'Entering the code took too long. Ask for a new code.',
  [NameplateCloseCode.TOO_MANY_CLAIMS]:
    'Too many codes were tried from this network; wait ten minutes and try again.',
};

export function isNameplateCloseCode(code: number): code is NameplateCloseCode {
  return Object.prototype.hasOwnProperty.call(CLOSE_REASONS, code);
}

/** The short reason the worker puts in a close frame with `code`. */
export function nameplateCloseReason(code: NameplateCloseCode): string {
  return CLOSE_REASONS[code];
}

/** A sentence for a close code of a nameplate socket, or undefined for codes it does not use. */
export function nameplateCloseSentence(code: number): string | undefined {
  return isNameplateCloseCode(code) ? CLOSE_SENTENCES[code] : undefined;
}

export class NameplateError extends Error {
  override readonly name = 'NameplateError';
  constructor(
    readonly closeCode: NameplateCloseCode,
    message: string,
  ) {
    super(message);
  }
  static is(e: unknown): e is NameplateError {
    return e instanceof NameplateError;
  }
}

const malformed = (message: string): NameplateError =>
  new NameplateError(NameplateCloseCode.MALFORMED, message);

/** True for an integer 1 to MAX_NAMEPLATE. */
export function isNameplate(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_NAMEPLATE;
}

/**
 * Reads the path of a nameplate socket: `null` for `/nameplates` (make one), the number for
 * `/nameplates/<n>` (claim it); throws BAD_REQUEST for anything else, leading zeros included.
 */
export function parseNameplatePath(pathname: string): number | null {
  if (pathname === NAMEPLATE_PATH) return null;
  const rest = pathname.startsWith(`${NAMEPLATE_PATH}/`) ? pathname.slice(NAMEPLATE_PATH.length + 1) : '';
  const n = /^[1-9]\d{0,3}$/.test(rest) ? Number(rest) : NaN;
  if (!isNameplate(n)) throw new NameplateError(NameplateCloseCode.BAD_REQUEST, 'Bad nameplate path.');
  return n;
}

export function nameplatePath(n?: number): string {
  if (n === undefined) return NAMEPLATE_PATH;
  if (!isNameplate(n)) throw new NameplateError(NameplateCloseCode.BAD_REQUEST, 'Bad nameplate number.');
  return `${NAMEPLATE_PATH}/${n}`;
}

function checkPake(d: unknown): string {
  if (typeof d !== 'string') throw malformed('"d" must be a string.');
  if (d.length > MAX_PAKE_LENGTH) {
    throw new NameplateError(NameplateCloseCode.TOO_LARGE, `"d" is over ${MAX_PAKE_BYTES} bytes.`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(d) || d.length % 4 === 1) {
    throw malformed('"d" must be unpadded base64url of at least one byte.');
  }
  return d;
}

type JsonObject = { readonly [key: string]: unknown };

function parseObject(frame: string | ArrayBuffer, maxLength: number): JsonObject {
  if (typeof frame !== 'string') throw malformed('Nameplate messages are text frames, not binary.');
  if (frame.length > maxLength) {
    throw new NameplateError(NameplateCloseCode.TOO_LARGE, `The message is over ${maxLength} characters.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    throw malformed('The message is not JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('The message must be a JSON object.');
  }
  return value as JsonObject;
}

function checkKeys(obj: JsonObject, keys: readonly string[]): void {
  const own = Object.keys(obj);
  if (own.length !== keys.length || !own.every((k) => keys.includes(k))) {
    throw malformed(
      `A "${String(obj['t']).slice(0, 32)}" message has exactly the fields ${keys.join(', ')}.`,
    );
  }
}

export function encodeNameplateClientMessage(msg: NameplateClientMessage): string {
  return msg.t === 'ping' ? PING_FRAME : JSON.stringify({ t: 'pake', d: checkPake(msg.d) });
}

/** Parses one frame from a client; throws `NameplateError` with the close code to answer it with. */
export function decodeNameplateClientMessage(frame: string | ArrayBuffer): NameplateClientMessage {
  const obj = parseObject(frame, MAX_NAMEPLATE_FRAME_LENGTH);
  if (obj['t'] === 'pake') {
    checkKeys(obj, ['t', 'd']);
    return { t: 'pake', d: checkPake(obj['d']) };
  }
  if (obj['t'] === 'ping') {
    checkKeys(obj, ['t']);
    return { t: 'ping' };
  }
  throw malformed('Unknown nameplate message type.');
}

export function encodeNameplateServerMessage(msg: NameplateServerMessage): string {
  switch (msg.t) {
    case 'nameplate':
      if (!isNameplate(msg.n) || !Number.isSafeInteger(msg.expires) || msg.expires <= 0) {
        throw malformed('A nameplate message needs a nameplate and an expiry time.');
      }
      return JSON.stringify({ t: 'nameplate', n: msg.n, expires: msg.expires });
    case 'pake':
      return JSON.stringify({ t: 'pake', d: checkPake(msg.d) });
    case 'claimed':
    case 'unclaimed':
    case 'pong':
      return JSON.stringify({ t: msg.t });
  }
}

/** Parses one frame from the worker; throws `NameplateError` on anything the contract lacks. */
export function decodeNameplateServerMessage(frame: string | ArrayBuffer): NameplateServerMessage {
  const obj = parseObject(frame, MAX_NAMEPLATE_FRAME_LENGTH);
  switch (obj['t']) {
    case 'nameplate': {
      checkKeys(obj, ['t', 'n', 'expires']);
      const n = obj['n'];
      const expires = obj['expires'];
      if (!isNameplate(n) || typeof expires !== 'number' || !Number.isSafeInteger(expires) || expires <= 0) {
        throw malformed('A nameplate message needs a nameplate and an expiry time.');
      }
      return { t: 'nameplate', n, expires };
    }
    case 'pake':
      checkKeys(obj, ['t', 'd']);
      return { t: 'pake', d: checkPake(obj['d']) };
    case 'claimed':
    case 'unclaimed':
    case 'pong':
      checkKeys(obj, ['t']);
      return { t: obj['t'] };
    default:
      throw malformed('Unknown nameplate message type.');
  }
}
