/**
 * The fuzz script's cases and what the worker must answer to each, from a seeded PRNG.
 *
 * The oracle is the shared contract, src/protocol/signaling.ts: the router's rules (prefix, method,
 * room id, upgrade), `decodeClientMessage` for every frame, the rate limit counted before decoding,
 * the exact PING_FRAME left uncounted. Generators that know what their frame must cause say so
 * (`expect`), and the script checks that the contract agrees, so a drift between the two shows.
 *
 * Left out unless `wranglerBugs` is set, because under `wrangler dev` (4.124) the tooling in front
 * of the worker fails on them, never the worker: a client that cuts a request in the middle of its
 * body makes wrangler's dev proxy report an error and wrangler exit; a non-GET request carrying a
 * WebSocket handshake, absolute-form and `*` request targets, CONNECT, and paths under /cdn-cgi/
 * (miniflare's own endpoints) get a 500 from miniflare. Use them against a deployed worker.
 */
import {
  MAX_BLOB_BYTES,
  MAX_BLOB_LENGTH,
  MAX_FRAME_LENGTH,
  NORMAL_CLOSURE,
  PING_FRAME,
  RATE_LIMIT_MESSAGES,
  ROOM_ID_LENGTH,
  ROOM_PATH_PREFIX,
  SignalingCloseCode,
  SignalingError,
  closeReason,
  decodeClientMessage,
  isRoomId,
} from '../../src/protocol/signaling';
import type { Rng } from './prng';

export type Frame = { readonly text: string } | { readonly bytes: Uint8Array };

export interface Step {
  readonly frame: Frame;
  readonly label: string;
  /** The close code the generator knows this frame must cause on its own (if it is reached). */
  readonly expect?: number;
}

export type FuzzCase =
  | {
      readonly kind: 'http';
      readonly label: string;
      readonly method: string;
      readonly path: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Uint8Array | null;
    }
  | { readonly kind: 'http-raw'; readonly label: string; readonly bytes: Uint8Array }
  | { readonly kind: 'ws-path'; readonly label: string; readonly path: string }
  | {
      readonly kind: 'ws-frames';
      readonly label: string;
      readonly withPeer: boolean;
      readonly steps: readonly Step[];
      readonly clientClose: { readonly code: number; readonly reason: string };
    }
  | { readonly kind: 'ws-third-peer'; readonly label: string; readonly leaveFirst: boolean }
  | {
      /** Both peers say `done` (b first), then a sends `after`, which the used room ignores. */
      readonly kind: 'ws-after-done';
      readonly label: string;
      /** a first says `done` alone (which must not count), before b joins. */
      readonly doneAloneFirst: boolean;
      readonly after: readonly Step[];
    }
  | {
      readonly kind: 'ws-raw';
      readonly label: string;
      readonly template: RawTemplate;
      readonly payload: Uint8Array;
    };

export type RawTemplate =
  | 'invalid-utf8'
  | 'rsv-bits'
  | 'bad-opcode'
  | 'fragmented-blob'
  | 'unmasked-blob'
  | 'control-ping'
  | 'bad-close'
  | 'cut-mid-frame';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The 16 characters a room id may end with (see ROOM_ID_PATTERN in signaling.ts). */
const LAST_ID_CHARS = 'AEIMQUYcgkosw048';

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

// ─── The router's rules ────────────────────────────────────────────────────────────────────────

export type Route = 'not-found' | 'bad-room-id' | 'room';

/** Where the router sends a request whose URL path (after WHATWG parsing) is `pathname`. */
export function routeOf(pathname: string): Route {
  if (!pathname.startsWith(ROOM_PATH_PREFIX)) return 'not-found';
  return isRoomId(pathname.slice(ROOM_PATH_PREFIX.length)) ? 'room' : 'bad-room-id';
}

/**
 * The path of a request target as the worker sees it, `new URL(request.url).pathname`: the
 * runtime appends the target to the origin (so `//x` stays a path, not a host).
 */
export function pathnameOf(rawPath: string): string {
  return new URL(`http://127.0.0.1${rawPath}`).pathname;
}

/** Methods the runtime's HTTP parser knows (it answers others 501 before the worker runs). */
const KNOWN_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'PURGE',
  'OPTIONS',
  'TRACE',
  'COPY',
  'LOCK',
  'MKCOL',
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'SEARCH',
  'UNLOCK',
  'ACL',
  'REPORT',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'MSEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
];

/**
 * The status the worker answers an HTTP request with. With `upgrade` (an `Upgrade: websocket`
 * header) a room path is answered 101 — which the runtime turns into a 400 when the rest of the
 * WebSocket handshake is missing.
 */
export function expectedStatus(method: string, rawPath: string, upgrade: boolean): number {
  const route = routeOf(pathnameOf(rawPath));
  if (route === 'not-found') return 404;
  if (method !== 'GET') return 405;
  if (upgrade) return 101;
  return route === 'bad-room-id' ? 400 : 426;
}

export function isKnownMethod(method: string): boolean {
  return KNOWN_METHODS.includes(method);
}

// ─── What a sequence of frames from one peer must cause ────────────────────────────────────────

export interface FramesOutcome {
  /** How the fuzzing peer's connection ends. */
  readonly end:
    | { readonly by: 'worker'; readonly code: number; readonly reason: string; readonly at: number }
    | { readonly by: 'client' };
  /** Exactly what the other peer receives, in order, before it checks that nothing else is pending. */
  readonly relayed: readonly string[];
  /** True when the other peer is then told the fuzzing peer left (`peer-left`). */
  readonly peerLeft: boolean;
  /**
   * True when a `done` from the fuzzing peer reached the room. It closes nobody: it counts when the
   * other peer is there (so that peer's own `done` then uses the room), and is ignored when alone.
   */
  readonly saidDone: boolean;
  /** Pongs the fuzzing peer may get: at least `min`, at most `max`. */
  readonly pongs: { readonly min: number; readonly max: number };
  /** Steps whose own `expect` the contract contradicts (a generator/contract drift). */
  readonly disagreements: readonly string[];
}

/** What the runtime delivers to the worker for a text frame sent from a JS string. */
function delivered(frame: Frame): string | ArrayBuffer {
  if ('text' in frame) return frame.text.toWellFormed();
  return new ArrayBuffer(frame.bytes.byteLength);
}

/** Runs the room's per-peer rules over `steps`: the rate count first, then the decoder. */
export function simulateFrames(steps: readonly Step[], withPeer: boolean): FramesOutcome {
  const relayed: string[] = [];
  const disagreements: string[] = [];
  let count = 0;
  let saidDone = false;
  let min = 0;
  let max = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    if ('text' in step.frame && step.frame.text === PING_FRAME) {
      min++; // the runtime answers it without the room, uncounted
      max++;
      continue;
    }
    count++;
    let code: SignalingCloseCode;
    if (count > RATE_LIMIT_MESSAGES) {
      code = SignalingCloseCode.RATE_LIMITED;
    } else {
      try {
        const msg = decodeClientMessage(delivered(step.frame));
        if (step.expect !== undefined) {
          disagreements.push(
            `step ${i} (${step.label}) expected close ${step.expect}, the contract accepts it`,
          );
        }
        if (msg.t === 'blob') {
          if (withPeer) relayed.push(JSON.stringify({ t: 'blob', d: msg.d }));
        } else if (msg.t === 'ping') {
          min++;
          max++;
        } else {
          // done: no answer; one peer's `done` alone never uses the room.
          saidDone = true;
        }
        continue;
      } catch (e) {
        if (!SignalingError.is(e)) throw e;
        code = e.closeCode;
        if (step.expect !== undefined && step.expect !== code) {
          disagreements.push(
            `step ${i} (${step.label}) expected close ${step.expect}, the contract says ${code}`,
          );
        }
      }
    }
    const reason = closeReason(code);
    // Exact pings after the fatal frame may still be answered by the runtime before the close.
    for (const later of steps.slice(i + 1))
      if ('text' in later.frame && later.frame.text === PING_FRAME) max++;
    return {
      end: { by: 'worker', code, reason, at: i },
      relayed,
      peerLeft: withPeer,
      saidDone,
      pongs: { min, max },
      disagreements,
    };
  }
  return {
    end: { by: 'client' },
    relayed,
    peerLeft: withPeer,
    saidDone,
    pongs: { min, max },
    disagreements,
  };
}

// ─── Generators ────────────────────────────────────────────────────────────────────────────────

function b64urlChars(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += B64URL[rng.int(64)];
  return s;
}

/** A well-formed room id from the PRNG (so a replay with the same seed asks for the same ids). */
export function seededRoomId(rng: Rng): string {
  return b64urlChars(rng, ROOM_ID_LENGTH - 1) + LAST_ID_CHARS[rng.int(LAST_ID_CHARS.length)];
}

const ODD_CHARS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ' ',
  '\n',
  '\t',
  '\r',
  'é',
  'ß',
  '中',
  '文',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\uffff',
  '😀',
  '👩‍👩‍👧',
  '\ud800',
  '\udfff',
  '%',
  '/',
  '+',
  '=',
];

function randomText(rng: Rng, maxLength: number): string {
  const n = rng.int(maxLength + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.6) ? String.fromCharCode(rng.range(0x20, 0x7e)) : rng.pick(ODD_CHARS);
  }
  return s;
}

function blobFrame(rng: Rng, d: string): string {
  switch (rng.int(5)) {
    case 0:
      return `{ "d" : "${d}" , "t" : "blob" }`;
    case 1:
      return `\n{"\\u0074":"blob","d":"${d}"}\t`;
    default:
      return `{"t":"blob","d":"${d}"}`;
  }
}

function validBlob(rng: Rng): Step {
  const sizes = [1, 2, 3, rng.range(1, 64), rng.range(1, 4096), MAX_BLOB_BYTES - 1, MAX_BLOB_BYTES];
  const d = base64url(rng.bytes(rng.pick(sizes)));
  return { frame: { text: blobFrame(rng, d) }, label: `blob of ${Math.floor((d.length * 3) / 4)} bytes` };
}

function pingStep(rng: Rng): Step {
  return rng.chance(0.7)
    ? { frame: { text: PING_FRAME }, label: 'exact ping' }
    : {
        frame: { text: rng.pick(['{ "t": "ping" }', '{"t" :"ping"}\n', '{"\\u0074":"ping"}']) },
        label: 'other ping',
      };
}

function oversized(rng: Rng): Step {
  const TOO_LARGE = SignalingCloseCode.TOO_LARGE;
  switch (rng.int(6)) {
    case 0: {
      const n = rng.range(MAX_FRAME_LENGTH + 1, 256 * 1024);
      return { frame: { text: 'x'.repeat(n) }, label: `${n} characters of x`, expect: TOO_LARGE };
    }
    case 1: {
      const pad = rng.range(MAX_FRAME_LENGTH - 11, MAX_FRAME_LENGTH + 4096);
      return {
        frame: { text: `{"t":"done"}${' '.repeat(pad)}` },
        label: `done padded by ${pad}`,
        expect: TOO_LARGE,
      };
    }
    case 2: {
      // Fits in a frame, but the blob is too long.
      const n = rng.range(MAX_BLOB_LENGTH + 1, MAX_FRAME_LENGTH - 20);
      return {
        frame: { text: `{"t":"blob","d":"${b64urlChars(rng, n)}"}` },
        label: `blob of ${n} chars`,
        expect: TOO_LARGE,
      };
    }
    case 3: {
      // The largest blob that passes, padded to exactly the largest frame: accepted.
      const d = b64urlChars(rng, MAX_BLOB_LENGTH - (MAX_BLOB_LENGTH % 4 === 1 ? 1 : 0));
      const text = `{"t":"blob","d":"${d}"}`;
      return {
        frame: { text: text + ' '.repeat(MAX_FRAME_LENGTH - text.length) },
        label: 'blob at both limits',
      };
    }
    case 4: {
      const n = rng.range(1, 2) * 1024 * 1024 + rng.int(1000);
      return {
        frame: { text: `{"t":"blob","d":"${'A'.repeat(n)}"}` },
        label: `${n}-char blob`,
        expect: TOO_LARGE,
      };
    }
    default: {
      const n = rng.range(MAX_FRAME_LENGTH + 1, MAX_FRAME_LENGTH + 64);
      return {
        frame: { text: randomText(rng, 0) + '中'.repeat(n) },
        label: `${n} CJK characters`,
        expect: TOO_LARGE,
      };
    }
  }
}

function binary(rng: Rng): Step {
  const MALFORMED = SignalingCloseCode.MALFORMED;
  if (rng.chance(0.3)) {
    const text = rng.pick([PING_FRAME, '{"t":"done"}', `{"t":"blob","d":"${base64url(rng.bytes(8))}"}`]);
    return {
      frame: { bytes: new TextEncoder().encode(text) },
      label: `binary ${text.slice(0, 20)}`,
      expect: MALFORMED,
    };
  }
  const n = rng.pick([0, 1, rng.int(64), rng.int(4096), rng.range(MAX_FRAME_LENGTH, 70_000)]);
  return { frame: { bytes: rng.bytes(n) }, label: `${n} binary bytes`, expect: MALFORMED };
}

function jsonValue(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1e308, 7, 0.5, -0, 2 ** 53]);
    case 3:
      return randomText(rng, 12);
    case 4:
      return base64url(rng.bytes(rng.int(12)));
    case 5:
      return rng.pick(['blob', 'done', 'ping', 'pong', 'hello', 'peer-joined', 'BLOB', '', 'blob ']);
    case 6:
      return Array.from({ length: rng.int(4) }, () => jsonValue(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--)
        obj[rng.pick(['t', 'd', 'x', 'peers', randomText(rng, 6)])] = jsonValue(rng, depth + 1);
      return obj;
    }
  }
}

function wrongShape(rng: Rng): Step {
  const MALFORMED = SignalingCloseCode.MALFORMED;
  const d = base64url(rng.bytes(rng.range(1, 40)));
  const fixed: [string, string, number | null][] = [
    ['[]', 'array', MALFORMED],
    ['null', 'null', MALFORMED],
    ['"blob"', 'string', MALFORMED],
    ['42', 'number', MALFORMED],
    ['{}', 'empty object', MALFORMED],
    ['{"t":"offer","sdp":"v=0"}', 'unknown type', MALFORMED],
    ['{"t":"hello","peers":0}', 'a server message', MALFORMED],
    ['{"t":"blob"}', 'blob without d', MALFORMED],
    [`{"t":"blob","d":"${d}","x":1}`, 'blob with an extra field', MALFORMED],
    ['{"t":"done","room":"x"}', 'done with an extra field', MALFORMED],
    [`{"t":"blob","d":${rng.int(1000)}}`, 'numeric d', MALFORMED],
    ['{"t":"blob","d":null}', 'null d', MALFORMED],
    [`{"t":"blob","d":["${d}"]}`, 'array d', MALFORMED],
    ['{"t":"blob","d":""}', 'empty d', MALFORMED],
    [`{"t":"blob","d":"${d}=="}`, 'padded d', MALFORMED],
    ['{"t":"blob","d":"a+b/"}', 'base64 (not url) d', MALFORMED],
    [`{"t":"blob","d":"${b64urlChars(rng, 4 * rng.range(1, 10) + 1)}"}`, 'd of length 1 mod 4', MALFORMED],
    [`{"t":"blob","d":"${d}","__proto__":{}}`, '__proto__ key', MALFORMED],
    [`{"t":"done","t":"blob","d":"${d}"}`, 'duplicate t (last wins: a blob)', null],
    [`{"t":"blob","d":"${d}","d":7}`, 'duplicate d (last wins: a number)', MALFORMED],
    ['{"t":1}', 'numeric t', MALFORMED],
    ['{"T":"done"}', 'T not t', MALFORMED],
    [`${'['.repeat(5000)}${']'.repeat(5000)}`, 'deep array', MALFORMED],
    [`${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, 'deep object', MALFORMED],
  ];
  if (rng.chance(0.6)) {
    const [text, label, code] = rng.pick(fixed);
    return code === null ? { frame: { text }, label } : { frame: { text }, label, expect: code };
  }
  return { frame: { text: JSON.stringify(jsonValue(rng, 0)) ?? 'null' }, label: 'random JSON' };
}

function mutated(rng: Rng): Step {
  const base = rng.pick([
    PING_FRAME,
    '{"t":"done"}',
    `{"t":"blob","d":"${base64url(rng.bytes(rng.range(1, 30)))}"}`,
  ]);
  let s = base;
  for (let n = rng.range(1, 3); n > 0; n--) {
    const at = rng.int(s.length + 1);
    switch (rng.int(4)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + rng.pick(ODD_CHARS) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(rng.range(0x20, 0x7e)) + s.slice(at + 1);
    }
  }
  return { frame: { text: s }, label: `mutated ${base.slice(0, 12)}` };
}

function anyStep(rng: Rng): Step {
  const r = rng.int(100);
  if (r < 22) return validBlob(rng);
  if (r < 30) return pingStep(rng);
  if (r < 42) return { frame: { text: randomText(rng, rng.pick([0, 8, 64, 300])) }, label: 'random text' };
  if (r < 58) return mutated(rng);
  if (r < 78) return wrongShape(rng);
  if (r < 90) return oversized(rng);
  return binary(rng);
}

function frameSteps(rng: Rng): { label: string; steps: Step[] } {
  const r = rng.int(100);
  if (r < 50) {
    const step = anyStep(rng);
    return { label: step.label, steps: [step] };
  }
  if (r < 75) {
    const steps = Array.from({ length: rng.range(2, 6) }, () => anyStep(rng));
    if (rng.chance(0.1))
      steps.splice(rng.int(steps.length), 0, { frame: { text: '{"t":"done"}' }, label: 'done' });
    return { label: `mix of ${steps.length}`, steps };
  }
  if (r < 88) {
    // Over the rate limit: blobs and counted pings, with some uncounted exact pings in between.
    const steps: Step[] = [];
    const total = rng.range(RATE_LIMIT_MESSAGES + 1, RATE_LIMIT_MESSAGES + 12);
    for (let counted = 0; counted < total;) {
      if (rng.chance(0.15)) {
        steps.push({ frame: { text: PING_FRAME }, label: 'exact ping' });
        continue;
      }
      steps.push(
        rng.chance(0.85) ? validBlob(rng) : { frame: { text: '{ "t": "ping" }' }, label: 'other ping' },
      );
      counted++;
    }
    return { label: `flood of ${total}`, steps };
  }
  // Good blobs, then one bad frame, then more that must be ignored.
  const steps = Array.from({ length: rng.range(1, 8) }, () => validBlob(rng));
  steps.push(rng.chance(0.5) ? oversized(rng) : binary(rng));
  for (let n = rng.int(4); n > 0; n--) steps.push(validBlob(rng));
  return { label: `${steps.length} frames, one bad`, steps };
}

function badRoomPath(rng: Rng): { path: string; label: string } {
  const id = seededRoomId(rng);
  const options: [string, string][] = [
    [`/rooms/${b64urlChars(rng, rng.int(100))}`, 'random length'],
    [
      `/rooms/${id.slice(0, 42)}${rng.pick([...B64URL].filter((c) => !LAST_ID_CHARS.includes(c)))}`,
      'bad last char',
    ],
    [`/rooms/${id.slice(0, 42)}=`, 'padded'],
    [`/rooms/${id}A`, 'one char too many'],
    [`/rooms/${id.slice(0, 42)}`, 'one char short'],
    [`/rooms/${id}/${b64urlChars(rng, rng.int(5))}`, 'extra segment'],
    [`/rooms//${id}`, 'double slash'],
    [`/rooms/${id.slice(0, 20)}%41${id.slice(21)}`, 'percent-encoded char'],
    [
      `/rooms/${id.slice(0, 20)}${rng.pick(['+', '.', '~', '!', '*', "'", '(', '@', ':', ';', ','])}${id.slice(21)}`,
      'non-base64url char',
    ],
    [
      `/rooms/${id.slice(0, 20)}${rng.pick(['é', '中', '😀', ' ', '"', '<'])}${id.slice(21)}`,
      'non-ASCII or unsafe char',
    ],
    [`/rooms/${'%00'.repeat(rng.range(1, 20))}`, 'NULs'],
    [`/rooms/${'A'.repeat(rng.range(44, 4000))}`, 'very long'],
    // These normalise to a valid room and must simply join:
    [`/rooms/../rooms/${id}`, 'dot segments to a valid room'],
    [`/rooms/${id}?x=${b64urlChars(rng, 5)}`, 'valid room with a query'],
    [`/rooms\\${id}`, 'backslash (a slash in WHATWG URLs)'],
  ];
  const [path, label] = rng.pick(options);
  return { path, label };
}

function unknownPath(rng: Rng): { path: string; label: string } {
  const id = seededRoomId(rng);
  const options: [string, string][] = [
    ['/', 'root'],
    ['/rooms', 'prefix without slash'],
    [`/ROOMS/${id}`, 'upper-case prefix'],
    [`/room/${id}`, 'singular'],
    [`/v2/rooms/${id}`, 'another version'],
    ['/favicon.ico', 'favicon'],
    ['/.well-known/security.txt', 'well-known'],
    [`/${b64urlChars(rng, rng.int(40))}`, 'random segment'],
    [
      `/${randomText(rng, 30)
        .toWellFormed()
        .replace(/[^\x21-\x7e]|#/gu, (c) => encodeURIComponent(c))}`,
      'random text',
    ],
    [`/${'a/'.repeat(rng.range(1, 400))}`, 'many segments'],
    [`/..%2f..%2f${b64urlChars(rng, 8)}`, 'encoded traversal'],
  ];
  const [path, label] = rng.pick(options);
  return { path, label };
}

/** Characters Node's HTTP client refuses in a request path, percent-encoded. */
function safeForHttp(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c.toWellFormed()));
}

const OTHER_METHODS = [
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PURGE',
  'PROPFIND',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'ACL',
];

function httpCase(rng: Rng): FuzzCase {
  const room = rng.pick([
    () => ({ path: `/rooms/${seededRoomId(rng)}`, label: 'valid room' }),
    () => badRoomPath(rng),
    () => unknownPath(rng),
  ])();
  const path = safeForHttp(room.path);
  const r = rng.int(100);
  if (r < 35)
    return { kind: 'http', label: `GET ${room.label}`, method: 'GET', path, headers: {}, body: null };
  if (r < 70) {
    const method = rng.pick(OTHER_METHODS);
    const body = method === 'HEAD' || method === 'TRACE' || rng.chance(0.5) ? null : rng.bytes(rng.int(4096));
    return { kind: 'http', label: `${method} ${room.label}`, method, path, headers: {}, body };
  }
  if (r < 82) {
    const method = rng.pick([
      'get',
      'Post',
      'M-SEARCH',
      'TRACK',
      b64urlChars(rng, rng.range(1, 12))
        .replace(/[^A-Za-z]/g, 'X')
        .toUpperCase(),
    ]);
    return { kind: 'http', label: `${method} ${room.label}`, method, path, headers: {}, body: null };
  }
  // GET with odd headers, among them an upgrade header without the rest of a WebSocket handshake.
  const headers: Record<string, string> = {};
  for (let n = rng.range(1, 4); n > 0; n--) {
    const [name, value] = rng.pick<[string, string]>([
      ['upgrade', rng.pick(['websocket', 'WebSocket', 'h2c', 'foo'])],
      ['connection', rng.pick(['upgrade', 'close', 'keep-alive, Upgrade'])],
      ['sec-websocket-version', rng.pick(['13', '8', 'x'])],
      ['x-fuzz', randomText(rng, 40).replace(/[^\x20-\x7e]/g, '?')],
      ['accept', '*/*'],
      ['content-type', 'application/json'],
      ['x-forwarded-for', '203.0.113.9'],
    ]);
    headers[name] = value;
  }
  return { kind: 'http', label: `GET ${room.label} with headers`, method: 'GET', path, headers, body: null };
}

function rawHttpCase(rng: Rng, wranglerBugs: boolean): FuzzCase {
  const id = seededRoomId(rng);
  const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  const options: [string, () => Uint8Array][] = [
    ['random bytes', () => rng.bytes(rng.range(1, 512))],
    ['request line only', () => enc('GET\r\n\r\n')],
    ['HTTP/0.9 style', () => enc(`GET /rooms/${id}\r\n\r\n`)],
    ['HTTP/1.0', () => enc(`GET /rooms/${id} HTTP/1.0\r\n\r\n`)],
    ['HTTP/9.9', () => enc(`GET /rooms/${id} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`)],
    ['no Host', () => enc(`GET /rooms/${id} HTTP/1.1\r\n\r\n`)],
    ['header without colon', () => enc(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nnocolon\r\n\r\n`)],
    [
      'control chars in header',
      () => enc(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0001\u0000b\r\n\r\n`),
    ],
    [
      'huge header',
      () => enc(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ${'a'.repeat(rng.range(64, 300) * 1024)}\r\n\r\n`),
    ],
    [
      'many headers',
      () => enc(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-A: b\r\n'.repeat(rng.range(100, 3000))}\r\n`),
    ],
    [
      'bad chunk size',
      () => enc(`POST /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`),
    ],
    [
      'CL and TE',
      () =>
        enc(
          `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        ),
    ],
    [
      'pipelined',
      () => enc(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /rooms/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
    ],
    ['bare LF', () => enc(`GET /rooms/${id} HTTP/1.1\nHost: 127.0.0.1\n\n`)],
    ['space in path', () => enc(`GET /rooms/ ${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)],
    [
      'WebSocket version 8',
      () =>
        enc(
          `GET /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`,
        ),
    ],
    [
      'WebSocket without key',
      () =>
        enc(
          `GET /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
    ],
  ];
  if (wranglerBugs) {
    const handshake =
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n';
    options.push(
      [
        'body cut short',
        () => enc(`POST /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc`),
      ],
      [
        'absolute-form target',
        () => enc(`GET http://example.com/rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
      ],
      ['asterisk target', () => enc('OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')],
      ['CONNECT', () => enc('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')],
      [
        'POST with a WebSocket handshake',
        () => enc(`POST /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n${handshake}\r\n`),
      ],
      [
        'HEAD with a WebSocket handshake',
        () => enc(`HEAD /rooms/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n${handshake}\r\n`),
      ],
      ['a /cdn-cgi/ path', () => enc('GET /cdn-cgi/handler/scheduled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')],
    );
  }
  const [label, make] = rng.pick(options);
  return { kind: 'http-raw', label, bytes: make() };
}

const RAW_TEMPLATES: RawTemplate[] = [
  'invalid-utf8',
  'rsv-bits',
  'bad-opcode',
  'fragmented-blob',
  'unmasked-blob',
  'control-ping',
  'bad-close',
  'cut-mid-frame',
];

/** One case, drawn from `rng`; `index` only names it. See the header for `wranglerBugs`. */
export function generateCase(rng: Rng, index: number, wranglerBugs = false): FuzzCase {
  const r = rng.int(100);
  const name = (label: string): string => `#${index} ${label}`;
  if (r < 16) {
    const c = httpCase(rng);
    return { ...c, label: name(c.label) };
  }
  if (r < 20) {
    const c = rawHttpCase(rng, wranglerBugs);
    return { ...c, label: name(c.label) };
  }
  if (r < 32) {
    const { path, label } = rng.chance(0.7) ? badRoomPath(rng) : unknownPath(rng);
    return { kind: 'ws-path', label: name(`upgrade ${label}`), path };
  }
  if (r < 85) {
    const { label, steps } = frameSteps(rng);
    const withPeer = rng.chance(0.8);
    const clientClose = rng.chance(0.7)
      ? { code: NORMAL_CLOSURE, reason: 'bye' }
      : // Not 4000–4099, so that a client's own code is never mistaken for the worker's.
        {
          code: rng.pick([rng.range(3000, 3999), rng.range(4100, 4999)]),
          reason: randomText(rng, 40).replace(/[^\x20-\x7e]/g, ''),
        };
    return {
      kind: 'ws-frames',
      label: name(`${label}${withPeer ? '' : ', alone'}`),
      withPeer,
      steps,
      clientClose,
    };
  }
  if (r < 89) {
    const leaveFirst = rng.chance(0.3);
    return {
      kind: 'ws-third-peer',
      label: name(leaveFirst ? 'third peer after one left' : 'third peer'),
      leaveFirst,
    };
  }
  if (r < 95) {
    const after = Array.from({ length: rng.int(5) }, () => anyStep(rng));
    const doneAloneFirst = !rng.chance(0.8);
    return {
      kind: 'ws-after-done',
      label: name(`${after.length} frames after done${doneAloneFirst ? ', a done alone first' : ''}`),
      doneAloneFirst,
      after,
    };
  }
  const template = rng.pick(RAW_TEMPLATES);
  return { kind: 'ws-raw', label: name(`raw ${template}`), template, payload: rng.bytes(rng.range(1, 40)) };
}
