/**
 * Fuzz test of the signaling worker ("Nothing lost", item 5): seeded random HTTP requests (paths,
 * methods, headers, malformed requests) and WebSocket abuse (bad room ids, unknown paths, random
 * and malformed text, wrong JSON shapes, oversized and binary frames, floods over the rate limit,
 * a third peer, frames after `done`, frames that break RFC 6455, cut connections). Every answer
 * is checked against the contract in src/protocol/signaling.ts (see fuzz-cases.ts), and after
 * every batch a normal two-peer relay must still work.
 *
 *   npx tsx signaling-worker/scripts/fuzz.ts [--seed N] [--cases 1000] [--case I | --case I-J]
 *        [--concurrency 16] [--timeout 120] [--verbose] [--wrangler-bugs] [--url http://127.0.0.1:8787]
 *
 * Without `--url` it starts its own `wrangler dev` on free ports and stops it at the end. The seed
 * is printed; `--seed N` generates the same cases again, `--case` runs only some of them, and
 * `--verbose` names each case as it starts. `--wrangler-bugs` adds inputs that break `wrangler dev`
 * itself (see fuzz-cases.ts): for a deployed worker given with `--url`.
 *
 * Close codes the fuzzing side may see, and why:
 *   4000–4006  the worker's documented refusals (SignalingCloseCode);
 *   1000       "pairing finished" once both peers said `done`, or the worker's answer when the
 *              client closes;
 *   client-chosen 3000–4999 echoed back when the client closed with it (the runtime echoes);
 *   1005       a close frame without a code, only as the answer to the client's own close;
 *   1006       Node's WebSocket when the upgrade itself was refused with an HTTP status
 *              (an unknown path: 404), so no close frame exists;
 *   1002/1007  the runtime (workerd, RFC 6455 §7.4.1) closing a raw connection that broke the
 *              framing rules (reserved bits, unknown opcode, invalid UTF-8, bad close frame)
 *              before the worker sees a message; no browser sends such frames.
 * Anything else — 1011 above all, a 5xx from the worker, a stack trace in a body, or the
 * worker's own "unexpected error" log line — is a failure. Exits non-zero on any failure.
 */
import { request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import {
  MAX_BLOB_BYTES,
  NORMAL_CLOSURE,
  PING_FRAME,
  PONG_FRAME,
  ROOM_PATH_PREFIX,
  SignalingCloseCode,
  closeReason,
  isSignalingCloseCode,
} from '../../src/protocol/signaling';
import {
  type FuzzCase,
  base64url,
  expectedStatus,
  generateCase,
  isKnownMethod,
  routeOf,
  simulateFrames,
} from './fuzz-cases';
import { createRng } from './prng';
import { OPCODE, rawHttp, rawWebSocket, wsFrame } from './raw-socket';
import { type WorkerTarget, sleep, startWorker } from './worker-process';
import { type WsPeer, openPeer, randomRoomId, within } from './ws-peer';

const CASE_TIMEOUT_MS = 15_000;
const STEP_MS = 8_000;
const DEFERRED_CLOSE_MS = 20_000;
const PEER_LEFT = '{"t":"peer-left"}';
const PEER_JOINED = '{"t":"peer-joined"}';
const DONE = '{"t":"done"}';
/** A ping that is not byte-for-byte PING_FRAME: the room answers it, after every earlier frame. */
const ROOM_PING = '{ "t": "ping" }';
/** What may leak from a server into a body or a close reason: none of it is allowed. */
const LEAK =
  /\n\s+at\s|\.(?:ts|js|mjs|c\+\+):\d+|\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b|\bkj\/|workerd|jsg|stack/i;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    seed: { type: 'string' },
    cases: { type: 'string', default: '1000' },
    case: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    batch: { type: 'string', default: '100' },
    timeout: { type: 'string', default: '120' },
    verbose: { type: 'boolean', default: false },
    'wrangler-bugs': { type: 'boolean', default: false },
  },
});

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

const SEED =
  args.seed === undefined
    ? crypto.getRandomValues(new Uint32Array(1))[0]!
    : integer('seed', args.seed, 0, 2 ** 32 - 1);
const CASES = integer('cases', args.cases, 1, 100_000);
/** `--case I` or `--case I-J`: replay only those cases of the seed's sequence. */
const ONLY = ((): [number, number] | null => {
  if (args.case === undefined) return null;
  const [from = '', to = from] = args.case.split('-');
  return [integer('case', from, 0, CASES - 1), integer('case', to, 0, CASES - 1)];
})();
const CONCURRENCY = integer('concurrency', args.concurrency, 1, 64);
const BATCH = integer('batch', args.batch, 1, 100_000);
const TIMEOUT_MS = integer('timeout', args.timeout, 1, 3600) * 1000;

// ─── What was seen ───────────────────────────────────────────────────────────────────────────────

const report = {
  http: { total: 0, worker4xx: 0, runtime4xx: 0, runtime501: 0, fivexx: 0, noAnswer: 0 },
  ws: { total: 0, relayed: 0 },
  /** Cases started (fewer than asked when the time ran out or the worker died). */
  ran: 0,
  /** Every close code a fuzzing client saw, from the worker, the runtime or its own side. */
  closes: new Map<number, number>(),
  failures: [] as string[],
  crashes: [] as string[],
  health: { ok: 0, total: 0 },
  deferred: [] as Promise<void>[],
  /** Every fuzzing client's close, awaited before the worker stops (or its close would be 1006). */
  closing: [] as Promise<unknown>[],
  /** Connections that ended without a close frame although the upgrade had succeeded. */
  abnormal: [] as string[],
  /** Time spent per kind of case (printed with --verbose). */
  timing: new Map<string, { n: number; ms: number; max: number }>(),
};

const tallyClose = (code: number): void => {
  report.closes.set(code, (report.closes.get(code) ?? 0) + 1);
  if (code === 1011) report.crashes.push('a WebSocket closed with 1011 (internal error)');
};

class Mismatch extends Error {
  override readonly name = 'Mismatch';
}

function expect(ok: boolean, message: string): void {
  if (!ok) throw new Mismatch(message);
}

function checkNoLeak(text: string, where: string): void {
  const m = LEAK.exec(text);
  if (m !== null) {
    report.crashes.push(
      `${where}: internal detail in the answer (${JSON.stringify(m[0])}): ${text.slice(0, 200)}`,
    );
  }
}

/** A case's sockets, closed when the case ends however it ends. */
interface Scope {
  /** A client of the worker; `refusedUpgrade` when the upgrade is expected to be refused (1006). */
  peer(url: string, refusedUpgrade?: boolean): WsPeer;
  onEnd(fn: () => void): void;
}

// ─── HTTP ───────────────────────────────────────────────────────────────────────────────────────

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function httpCall(
  target: WorkerTarget,
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array | null,
): Promise<HttpAnswer | Error> {
  const { hostname, port } = new URL(target.httpUrl);
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: hostname, port, method, path, headers: { ...headers }, agent: false, timeout: STEP_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (e) => resolve(e));
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e));
    req.end(body ?? undefined);
  });
}

const fromWorker = (a: HttpAnswer): boolean =>
  a.headers['x-content-type-options'] === 'nosniff' && a.headers['cache-control'] === 'no-store';

async function runHttp(c: Extract<FuzzCase, { kind: 'http' }>, target: WorkerTarget): Promise<void> {
  report.http.total++;
  // Node's client upper-cases the method, as a browser does.
  const method = c.method.toUpperCase();
  const upgrade = Object.entries(c.headers).some(
    ([k, v]) => k === 'upgrade' && v.toLowerCase() === 'websocket',
  );
  const answer = await httpCall(target, method, c.path, c.headers, c.body);
  if (answer instanceof Error) {
    report.http.noAnswer++;
    throw new Mismatch(`${method} ${c.path.slice(0, 80)}: no answer (${answer.message})`);
  }
  checkNoLeak(answer.body, `${method} ${c.path.slice(0, 80)}`);
  if (fromWorker(answer)) {
    const want = expectedStatus(method, c.path, upgrade);
    if (answer.status >= 500) report.crashes.push(`${c.label}: the worker answered ${answer.status}`);
    expect(
      answer.status === want,
      `${method} ${c.path.slice(0, 80)}: worker answered ${answer.status}, expected ${want}`,
    );
    if (answer.status >= 400 && answer.status < 500) report.http.worker4xx++;
    if (method !== 'HEAD')
      expect(/^[A-Z][^\n]*\.\n$/.test(answer.body), `worker body is not one sentence: ${answer.body}`);
    return;
  }
  // Answered before the worker ran (the runtime's HTTP layer).
  if (answer.status === 501 && !isKnownMethod(method)) {
    report.http.runtime501++;
    return;
  }
  if (answer.status >= 500) {
    report.http.fivexx++;
    throw new Mismatch(`${method} ${c.path.slice(0, 80)}: ${answer.status} ${answer.body.slice(0, 80)}`);
  }
  expect(
    answer.status >= 400 && answer.status < 500,
    `${method} ${c.path.slice(0, 80)}: runtime answered ${answer.status}`,
  );
  report.http.runtime4xx++;
}

async function runHttpRaw(c: Extract<FuzzCase, { kind: 'http-raw' }>, target: WorkerTarget): Promise<void> {
  report.http.total++;
  const { hostname, port } = new URL(target.httpUrl);
  const answer = await rawHttp(hostname, Number(port), c.bytes);
  const text = answer.bytes.toString('latin1');
  checkNoLeak(text, c.label);
  const [first] = answer.statuses;
  if (first === undefined) {
    report.http.noAnswer++; // e.g. the server still waits for the rest of a body
    return;
  }
  for (const status of answer.statuses) {
    if (status >= 500 && status !== 501) {
      report.http.fivexx++;
      throw new Mismatch(`raw ${c.label}: ${status} ${text.slice(0, 120)}`);
    }
  }
  if (first === 501) report.http.runtime501++;
  else if (/x-content-type-options: nosniff/i.test(text)) report.http.worker4xx++;
  else if (first >= 400 && first < 500) report.http.runtime4xx++;
  // Any other status (a 404 to a pipelined GET /, say) came from the router's rules.
}

// ─── WebSocket helpers ───────────────────────────────────────────────────────────────────────────

async function hello(peer: WsPeer, peers: number): Promise<void> {
  const text = await peer.next(STEP_MS);
  expect(
    text === JSON.stringify({ t: 'hello', peers }),
    `expected hello with ${peers} peers, got ${text.slice(0, 80)}`,
  );
}

async function nextIs(peer: WsPeer, want: string, who: string): Promise<void> {
  const got = await peer.next(STEP_MS);
  expect(got === want, `${who}: expected ${want.slice(0, 80)}, got ${got.slice(0, 80)}`);
}

/** Proves nothing else is queued for `peer`: the pong comes back after anything sent before it. */
async function nothingPending(peer: WsPeer, who: string): Promise<void> {
  peer.send(PING_FRAME);
  await nextIs(peer, PONG_FRAME, `${who} (nothing else pending)`);
}

async function closedWith(peer: WsPeer, code: number, reason: string, who: string): Promise<void> {
  const closed = await within(peer.closed, STEP_MS, `${who} to close`);
  expect(
    closed.code === code && closed.reason === reason,
    `${who}: closed ${closed.code} "${closed.reason}", expected ${code} "${reason}"`,
  );
}

/**
 * A peer the worker closed from the other peer's event: the close frame comes at once but workerd
 * keeps the TCP connection ~10 s, and Node reports the close only then. The case goes on once the
 * close frame is in (CLOSING); its code is checked at the end of the run.
 */
async function closingThenCheck(peer: WsPeer, code: number, reason: string, who: string): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (peer.state < WebSocket.CLOSING) {
    expect(Date.now() < deadline, `${who}: not closed within ${STEP_MS} ms`);
    await sleep(25);
  }
  report.deferred.push(
    within(peer.closed, DEFERRED_CLOSE_MS, `${who} to close`).then(
      (closed) => {
        if (closed.code !== code || closed.reason !== reason) {
          report.failures.push(
            `${who}: closed ${closed.code} "${closed.reason}", expected ${code} "${reason}"`,
          );
        }
      },
      (e: unknown) => {
        report.failures.push(`${who}: ${String(e)}`);
      },
    ),
  );
}

async function pair(scope: Scope, url: string): Promise<{ a: WsPeer; b: WsPeer }> {
  const a = scope.peer(url);
  await hello(a, 0);
  const b = scope.peer(url);
  await hello(b, 1);
  await nextIs(a, PEER_JOINED, 'a');
  return { a, b };
}

const blobText = (d: string): string => JSON.stringify({ t: 'blob', d });

// ─── WebSocket cases ─────────────────────────────────────────────────────────────────────────────

async function runWsPath(
  c: Extract<FuzzCase, { kind: 'ws-path' }>,
  target: WorkerTarget,
  scope: Scope,
): Promise<void> {
  const url = target.wsUrl + c.path;
  const route = routeOf(new URL(url).pathname);
  const peer = scope.peer(url, route === 'not-found');
  switch (route) {
    case 'not-found': {
      // Refused with an HTTP 404 before any upgrade: Node's WebSocket reports 1006.
      const closed = await within(peer.closed, STEP_MS, 'the refusal');
      expect(
        closed.code === 1006,
        `${c.path.slice(0, 60)}: expected the upgrade refused (1006), got ${closed.code}`,
      );
      return;
    }
    case 'bad-room-id':
      await closedWith(
        peer,
        SignalingCloseCode.BAD_REQUEST,
        closeReason(SignalingCloseCode.BAD_REQUEST),
        c.path.slice(0, 60),
      );
      return;
    case 'room':
      await hello(peer, 0);
      peer.close(NORMAL_CLOSURE);
      return;
  }
}

/** A room with the case's peers in it: two paired peers, or one that has had its hello. */
async function join(scope: Scope, url: string, withPeer: boolean): Promise<{ a: WsPeer; b: WsPeer | null }> {
  if (withPeer) return pair(scope, url);
  const a = scope.peer(url);
  await hello(a, 0);
  return { a, b: null };
}

async function runWsFrames(
  c: Extract<FuzzCase, { kind: 'ws-frames' }>,
  target: WorkerTarget,
  scope: Scope,
): Promise<void> {
  const url = `${target.wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
  const outcome = simulateFrames(c.steps, c.withPeer);
  for (const d of outcome.disagreements)
    report.failures.push(`${c.label}: generator and contract disagree: ${d}`);
  const { a, b } = await join(scope, url, c.withPeer);
  const toA: string[] = [];
  a.drain((frame) => toA.push(frame));
  for (const step of c.steps) a.send('text' in step.frame ? step.frame.text : step.frame.bytes);

  const end = outcome.end;
  if (end.by === 'client') {
    // Frames that arrive after close() are dropped by the WebSocket API: take the pongs first.
    const deadline = Date.now() + STEP_MS;
    while (toA.length < outcome.pongs.min && Date.now() < deadline && a.state === WebSocket.OPEN)
      await sleep(10);
    a.close(c.clientClose.code, c.clientClose.reason);
    const closed = await within(a.closed, STEP_MS, 'a to close');
    expect(
      [c.clientClose.code, NORMAL_CLOSURE, 1005].includes(closed.code),
      `a closed with ${c.clientClose.code}, the answer was ${closed.code}`,
    );
  } else {
    await closedWith(a, end.code, end.reason, `a (after step ${end.at})`);
  }
  expect(
    toA.every((f) => f === PONG_FRAME),
    `a got something other than pongs: ${toA.find((f) => f !== PONG_FRAME)?.slice(0, 80)}`,
  );
  expect(
    toA.length >= outcome.pongs.min && toA.length <= outcome.pongs.max,
    `a got ${toA.length} pongs, expected ${outcome.pongs.min}–${outcome.pongs.max}`,
  );

  if (b !== null) {
    for (const want of outcome.relayed) {
      await nextIs(b, want, 'b');
      report.ws.relayed++;
    }
    if (outcome.peerLeft) await nextIs(b, PEER_LEFT, 'b');
    await nothingPending(b, 'b');
    if (outcome.saidDone) {
      // a's `done` counted (b was there), so b's own uses the room, although a is gone.
      b.send(DONE);
      await closedWith(b, NORMAL_CLOSURE, 'pairing finished', 'b (after its own done)');
      const late = scope.peer(url);
      await closedWith(
        late,
        SignalingCloseCode.INVITE_USED,
        closeReason(SignalingCloseCode.INVITE_USED),
        'a late join',
      );
    } else {
      b.close(NORMAL_CLOSURE);
    }
  } else if (outcome.saidDone) {
    // a said `done` alone: ignored, so a later peer's `done`, alone too, does not use the room.
    const late = scope.peer(url);
    await hello(late, 0);
    late.send(DONE);
    late.send(ROOM_PING);
    await nextIs(late, PONG_FRAME, 'a late join (after its done, alone)');
    late.close(NORMAL_CLOSURE);
  }
}

async function runThirdPeer(
  c: Extract<FuzzCase, { kind: 'ws-third-peer' }>,
  target: WorkerTarget,
  scope: Scope,
): Promise<void> {
  const url = `${target.wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
  const { a, b } = await pair(scope, url);
  const d1 = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const d2 = base64url(crypto.getRandomValues(new Uint8Array(32)));
  if (c.leaveFirst) {
    b.close(NORMAL_CLOSURE);
    await nextIs(a, PEER_LEFT, 'a');
    const third = scope.peer(url);
    await hello(third, 1);
    await nextIs(a, PEER_JOINED, 'a');
    third.send(blobText(d1));
    await nextIs(a, blobText(d1), 'a');
    report.ws.relayed++;
    await nothingPending(third, 'the new peer');
  } else {
    const third = scope.peer(url);
    await closedWith(
      third,
      SignalingCloseCode.ROOM_FULL,
      closeReason(SignalingCloseCode.ROOM_FULL),
      'a third peer',
    );
    a.send(blobText(d1));
    await nextIs(b, blobText(d1), 'b');
    b.send(blobText(d2));
    await nextIs(a, blobText(d2), 'a');
    report.ws.relayed += 2;
    await nothingPending(b, 'b');
  }
  await nothingPending(a, 'a');
}

async function runAfterDone(
  c: Extract<FuzzCase, { kind: 'ws-after-done' }>,
  target: WorkerTarget,
  scope: Scope,
): Promise<void> {
  const url = `${target.wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
  let a: WsPeer;
  let b: WsPeer;
  if (c.doneAloneFirst) {
    a = scope.peer(url);
    await hello(a, 0);
    a.send(DONE); // alone: ignored, no answer, a stays
    a.send(ROOM_PING);
    await nextIs(a, PONG_FRAME, 'a (after its done, alone)');
    b = scope.peer(url);
    await hello(b, 1);
    await nextIs(a, PEER_JOINED, 'a');
  } else {
    ({ a, b } = await pair(scope, url));
  }
  // b's `done` counts (a is there) but closes nobody; a's then uses the room, so what a sends
  // after it arrives in a used room, from a peer it closed, and is ignored.
  b.send(DONE);
  b.send(ROOM_PING);
  await nextIs(b, PONG_FRAME, 'b (after its done)');
  await nothingPending(a, 'a (after b said done)');
  const toA: string[] = [];
  const toB: string[] = [];
  a.drain((f) => toA.push(f));
  b.drain((f) => toB.push(f));
  a.send(DONE);
  for (const step of c.after) a.send('text' in step.frame ? step.frame.text : step.frame.bytes);
  await closedWith(a, NORMAL_CLOSURE, 'pairing finished', 'a');
  await closingThenCheck(b, NORMAL_CLOSURE, 'pairing finished', `${c.label}: b`);
  expect(
    toA.every((f) => f === PONG_FRAME),
    `a got ${toA.find((f) => f !== PONG_FRAME)?.slice(0, 80)} after done`,
  );
  expect(toB.length === 0, `b got ${toB[0]?.slice(0, 80)} after done`);
  for (let i = 0; i < 2; i++) {
    const late = scope.peer(url);
    await closedWith(
      late,
      SignalingCloseCode.INVITE_USED,
      closeReason(SignalingCloseCode.INVITE_USED),
      'a late join',
    );
  }
}

async function runWsRaw(
  c: Extract<FuzzCase, { kind: 'ws-raw' }>,
  target: WorkerTarget,
  scope: Scope,
): Promise<void> {
  const roomId = randomRoomId();
  const { hostname, port } = new URL(target.httpUrl);
  const raw = await rawWebSocket(hostname, Number(port), `${ROOM_PATH_PREFIX}${roomId}`);
  scope.onEnd(() => raw.destroy());
  expect(raw.status === 101, `raw upgrade answered ${raw.status}`);
  await raw.waitText((t) => t === JSON.stringify({ t: 'hello', peers: 0 }), STEP_MS);
  const b = scope.peer(`${target.wsUrl}${ROOM_PATH_PREFIX}${roomId}`);
  await hello(b, 1);
  await raw.waitText((t) => t === PEER_JOINED, STEP_MS);

  const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
  const d = base64url(c.payload);
  const blob = enc(blobText(d));
  const closeNormally = (): void => raw.write(wsFrame(OPCODE.close, Buffer.from([0x03, 0xe8])));
  /** Close codes the raw side may get for this template. */
  let allowed: number[];
  /** Whether b must (true), may (null) or must not (false) get the blob. */
  let relayed: boolean | null = false;
  switch (c.template) {
    case 'invalid-utf8':
      raw.write(
        wsFrame(
          OPCODE.text,
          Buffer.concat([enc('{"t":"blob","d":"'), Buffer.from([0xff, 0xfe, 0xc3]), enc('"}')]),
        ),
      );
      allowed = [SignalingCloseCode.MALFORMED, 1007];
      break;
    case 'rsv-bits':
      raw.write(wsFrame(OPCODE.text, blob, { rsv: 1 + ((c.payload[0] ?? 0) % 7) }));
      allowed = [1002];
      break;
    case 'bad-opcode':
      raw.write(wsFrame([3, 4, 5, 6, 7, 11, 12, 13, 14, 15][(c.payload[0] ?? 0) % 10] as number, blob));
      allowed = [1002];
      break;
    case 'fragmented-blob': {
      const cut1 = 1 + ((c.payload[0] ?? 0) % (blob.length - 2));
      const cut2 = cut1 + Math.floor((blob.length - cut1) / 2);
      raw.write(wsFrame(OPCODE.text, blob.subarray(0, cut1), { fin: false }));
      raw.write(wsFrame(OPCODE.ping, enc('mid'))); // control frames may come between fragments
      raw.write(wsFrame(OPCODE.continuation, blob.subarray(cut1, cut2), { fin: false }));
      raw.write(wsFrame(OPCODE.continuation, blob.subarray(cut2)));
      closeNormally();
      allowed = [NORMAL_CLOSURE];
      relayed = true;
      break;
    }
    case 'unmasked-blob':
      raw.write(wsFrame(OPCODE.text, blob, { mask: false }));
      closeNormally();
      allowed = [NORMAL_CLOSURE, 1002]; // workerd accepts unmasked client frames; RFC 6455 says fail
      relayed = null;
      break;
    case 'control-ping':
      raw.write(wsFrame(OPCODE.ping, c.payload));
      await within(
        (async () => {
          while (
            !raw.frames.some((f) => f.opcode === OPCODE.pong && f.payload.equals(Buffer.from(c.payload)))
          )
            await sleep(20);
        })(),
        STEP_MS,
        'the pong to a control ping',
      );
      closeNormally();
      allowed = [NORMAL_CLOSURE];
      break;
    case 'bad-close': {
      const payloads = [
        Buffer.from([0x03]),
        Buffer.from([0x03, 0xe7]), // 999
        Buffer.from([0x03, 0xed]), // 1005, never sent on the wire
        Buffer.from([0x03, 0xee]), // 1006, never sent on the wire
        Buffer.from([0x13, 0x88]), // 5000
        Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from([0xff, 0xfe])]), // invalid UTF-8 reason
      ];
      raw.write(wsFrame(OPCODE.close, payloads[(c.payload[0] ?? 0) % payloads.length] as Buffer));
      allowed = [NORMAL_CLOSURE, 1002, 1005, 1007];
      break;
    }
    case 'cut-mid-frame': {
      const frame = wsFrame(OPCODE.text, blob);
      raw.write(frame.subarray(0, Math.max(1, Math.floor(frame.length / 2))));
      await sleep(50);
      raw.destroy();
      allowed = [];
      break;
    }
  }
  if (allowed.length > 0) {
    await within(raw.closed, STEP_MS, 'the raw connection to close');
    const code = raw.closeFrame?.code;
    if (code !== undefined) tallyClose(code);
    expect(
      code !== undefined && allowed.includes(code),
      `raw ${c.template}: closed with ${code ?? 'no close frame'}, expected one of ${allowed.join(', ')}`,
    );
    if (raw.closeFrame !== null) checkNoLeak(raw.closeFrame.reason, `raw ${c.template} close reason`);
  }
  const first = await b.next(STEP_MS);
  if (first === blobText(d)) {
    expect(relayed !== false, `raw ${c.template}: b got the blob`);
    report.ws.relayed++;
    await nextIs(b, PEER_LEFT, 'b');
  } else {
    expect(relayed !== true, `raw ${c.template}: b did not get the blob (got ${first.slice(0, 60)})`);
    expect(first === PEER_LEFT, `raw ${c.template}: b expected peer-left, got ${first.slice(0, 60)}`);
  }
  await nothingPending(b, 'b');
  b.close(NORMAL_CLOSURE);
}

/** A normal two-peer relay, both ways: the worker still serves. */
async function healthCheck(target: WorkerTarget, scope: Scope): Promise<void> {
  const url = `${target.wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
  const { a, b } = await pair(scope, url);
  const d1 = base64url(crypto.getRandomValues(new Uint8Array(MAX_BLOB_BYTES)));
  const d2 = base64url(crypto.getRandomValues(new Uint8Array(100)));
  a.send(blobText(d1));
  await nextIs(b, blobText(d1), 'b');
  b.send(blobText(d2));
  await nextIs(a, blobText(d2), 'a');
  a.close(NORMAL_CLOSURE);
  await nextIs(b, PEER_LEFT, 'b');
  b.close(NORMAL_CLOSURE);
}

// ─── Running ─────────────────────────────────────────────────────────────────────────────────────

async function withScope(label: string, fn: (scope: Scope) => Promise<void>): Promise<void> {
  const peers: WsPeer[] = [];
  const ends: (() => void)[] = [];
  const scope: Scope = {
    peer: (url, refusedUpgrade = false) => {
      const p = openPeer(url);
      const n = peers.push(p);
      report.closing.push(
        p.closed.then((c) => {
          tallyClose(c.code);
          checkNoLeak(c.reason, `${label}: close reason`);
          // 1006 is justified only for an upgrade refused with an HTTP status.
          if (c.code === 1006 && !refusedUpgrade)
            report.abnormal.push(`${label}: peer ${n} ended without a close frame (1006)`);
        }),
      );
      return p;
    },
    onEnd: (f) => ends.push(f),
  };
  try {
    await fn(scope);
  } finally {
    // One at a time: Node's WebSocket reports 1006 when a frame (here the worker's `peer-left`)
    // arrives after its own close frame went out, although the worker's close frame follows.
    for (const p of peers) {
      if (p.state >= WebSocket.CLOSING) continue;
      p.close(NORMAL_CLOSURE);
      await Promise.race([p.closed, sleep(2_000)]);
    }
    for (const f of ends) f();
  }
}

async function runCase(c: FuzzCase, target: WorkerTarget): Promise<void> {
  const start = async (scope: Scope): Promise<void> => {
    switch (c.kind) {
      case 'http':
        return runHttp(c, target);
      case 'http-raw':
        return runHttpRaw(c, target);
      case 'ws-path':
        report.ws.total++;
        return runWsPath(c, target, scope);
      case 'ws-frames':
        report.ws.total++;
        return runWsFrames(c, target, scope);
      case 'ws-third-peer':
        report.ws.total++;
        return runThirdPeer(c, target, scope);
      case 'ws-after-done':
        report.ws.total++;
        return runAfterDone(c, target, scope);
      case 'ws-raw':
        report.ws.total++;
        return runWsRaw(c, target, scope);
    }
  };
  if (args.verbose) console.log(`fuzz: ${c.label}`);
  const t = Date.now();
  report.ran++;
  try {
    await within(withScope(c.label, start), CASE_TIMEOUT_MS, c.label);
    const spent = report.timing.get(c.kind) ?? { n: 0, ms: 0, max: 0 };
    report.timing.set(c.kind, {
      n: spent.n + 1,
      ms: spent.ms + Date.now() - t,
      max: Math.max(spent.max, Date.now() - t),
    });
  } catch (e) {
    report.failures.push(`${c.label}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function pool<T>(
  items: readonly T[],
  n: number,
  fn: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length && !stop()) await fn(items[next++] as T);
    }),
  );
}

function summarizeCloses(): string {
  const groups: Record<string, string[]> = { refused: [], normal: [], client: [], runtime: [], other: [] };
  for (const [code, n] of [...report.closes].sort((x, y) => x[0] - y[0])) {
    const item = `${code}×${n}`;
    if (isSignalingCloseCode(code)) groups.refused!.push(item);
    else if (code === NORMAL_CLOSURE) groups.normal!.push(item);
    else if (code === 1005 || code === 1006 || (code >= 3000 && code < 4000) || (code > 4006 && code < 5000))
      groups.client!.push(item);
    else if (code === 1002 || code === 1007) groups.runtime!.push(item);
    else groups.other!.push(item);
  }
  const part = (name: string, items: string[] | undefined): string =>
    items !== undefined && items.length > 0 ? `; ${name} ${items.join(', ')}` : '';
  return (
    `refused by code: ${groups.refused!.join(', ') || 'none'}` +
    part('normal', groups.normal) +
    part('client-side', groups.client) +
    part('runtime', groups.runtime) +
    part('UNEXPECTED', groups.other)
  );
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const rng = createRng(SEED);
  const all = Array.from({ length: CASES }, (_, i) => generateCase(rng, i, args['wrangler-bugs']));
  const cases = ONLY === null ? all : all.slice(ONLY[0], ONLY[1] + 1);
  const target = await startWorker(args.url);
  console.log(
    `fuzz: seed ${SEED}, worker ${target.httpUrl} (${target.spawned ? `own wrangler dev, up in ${secondsSince(t0)} s` : 'given by --url'})` +
      (ONLY === null ? '' : `, only cases ${ONLY[0]}–${ONLY[1]}`),
  );

  let timedOut = false;
  const watchdog = setTimeout(() => (timedOut = true), TIMEOUT_MS);
  const tRun = Date.now();
  // A health check after every BATCH cases, taken by the pool in turn like a case (a barrier
  // would leave the pool idle behind each batch's slowest case).
  const work: (FuzzCase | { kind: 'health'; after: string })[] = [];
  cases.forEach((c, i) => {
    work.push(c);
    if ((i + 1) % BATCH === 0 || i === cases.length - 1) work.push({ kind: 'health', after: c.label });
  });
  const runHealth = async (after: string): Promise<void> => {
    report.health.total++;
    try {
      await within(
        withScope(`health check after ${after}`, async (scope) => healthCheck(target, scope)),
        CASE_TIMEOUT_MS,
        'health check',
      );
      report.health.ok++;
    } catch (e) {
      report.failures.push(`health check after ${after}: ${String(e)}`);
    }
  };
  try {
    await pool(
      work,
      CONCURRENCY,
      async (item) => (item.kind === 'health' ? runHealth(item.after) : runCase(item, target)),
      () => timedOut || target.died() !== null, // no use going on without a worker
    );
    await Promise.all(report.deferred);
    await Promise.race([Promise.all(report.closing), sleep(DEFERRED_CLOSE_MS)]);
  } finally {
    clearTimeout(watchdog);
  }
  const elapsed = secondsSince(tRun);
  const errors = target.errors();
  const died = target.died();
  if (died !== null) {
    report.crashes.unshift(died);
    for (const line of target.log().slice(-15)) console.log(`fuzz: wrangler: ${line}`);
  }
  await target.stop();

  const workerCrashes = errors.filter((l) => /(router|room): unexpected error/.test(l));
  for (const line of workerCrashes) report.crashes.push(`worker log: ${line}`);
  if (timedOut) report.failures.unshift(`stopped by the ${TIMEOUT_MS / 1000} s timeout`);
  const problems = [...report.crashes, ...report.failures, ...report.abnormal];
  for (const line of problems.slice(0, 30)) console.log(`fuzz: ${line}`);
  if (problems.length > 30) console.log(`fuzz: … and ${problems.length - 30} more`);
  if (errors.length > workerCrashes.length) {
    console.log(
      `fuzz: runtime errors logged by wrangler (malformed HTTP/WebSocket input, not the worker's code): ${errors.length - workerCrashes.length}`,
    );
  }
  if (args.verbose) {
    for (const [kind, { n, ms, max }] of report.timing) {
      console.log(`fuzz: ${kind}: ${n} cases, ${(ms / n).toFixed(0)} ms on average, ${max} ms at most`);
    }
  }
  const h = report.http;
  console.log(
    `fuzz: seed ${SEED}, cases ${report.ran}${report.ran < cases.length ? ` of ${cases.length}` : ''}, http ${h.total} (4xx ${h.worker4xx + h.runtime4xx}, ` +
      `501 unknown method ${h.runtime501}, 5xx ${h.fivexx}, no answer ${h.noAnswer}), ` +
      `ws ${report.ws.total} (relayed ${report.ws.relayed}, ${summarizeCloses()}), ` +
      `health ${report.health.ok}/${report.health.total}, mismatches ${report.failures.length}, ` +
      `crashes ${report.crashes.length}, in ${elapsed} s`,
  );
  const unexpectedCodes = [...report.closes.keys()].filter(
    (code) =>
      !(
        isSignalingCloseCode(code) ||
        [1000, 1002, 1005, 1006, 1007].includes(code) ||
        (code >= 3000 && code < 5000)
      ),
  );
  const ok =
    report.abnormal.length === 0 &&
    problems.length === 0 &&
    unexpectedCodes.length === 0 &&
    report.health.ok === report.health.total;
  console.log(ok ? 'fuzz: OK' : `fuzz: FAILED (replay with --seed ${SEED})`);
  return ok ? 0 : 1;
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

setTimeout(() => {
  console.error('fuzz: did not finish in time; exiting');
  process.exit(2);
}, TIMEOUT_MS + 60_000).unref();

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('fuzz: FAILED', e);
    process.exit(1);
  },
);
