/**
 * Load test of the signaling worker ("Nothing lost", item 5): N rooms × 2 peers on loopback, each
 * peer sending M blobs over the real protocol, then `done` once it has all of the other's (the
 * room is used when both have said it). Checks that every blob reaches the other peer of its own
 * room exactly once, unchanged and in order, that nothing else arrives, and that every peer is
 * closed with 1000 "pairing finished" once both have said `done`, and by nothing before.
 *
 *   npx tsx signaling-worker/scripts/load.ts [--rooms 200] [--messages 50] [--timeout 120]
 *                                            [--joins 10] [--max-blob 1024] [--url http://127.0.0.1:8787]
 *
 * Without `--url` it starts its own `wrangler dev` on free ports and stops it at the end. It stays
 * within the worker's rate limit (RATE_LIMIT_MESSAGES per RATE_LIMIT_WINDOW_MS per peer): a peer
 * sends at most one limit's worth, waits until the other peer has all of it, and starts the next
 * burst a full window after the last one arrived — by then the server's window has surely ended.
 * A peer the worker refuses anyway is counted, not hidden. Exits non-zero on any mismatch.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  MAX_BLOB_BYTES,
  NORMAL_CLOSURE,
  RATE_LIMIT_MESSAGES,
  RATE_LIMIT_WINDOW_MS,
  ROOM_PATH_PREFIX,
  type ServerMessage,
  decodeServerMessage,
  encodeClientMessage,
  isSignalingCloseCode,
} from '../../src/protocol/signaling';
import { type RelayLedger, type Side, createRelayLedger, makeBlob } from './relay-ledger';
import { type WorkerTarget, sleep, startWorker } from './worker-process';
import { type Closed, type WsPeer, openPeer, randomRoomId, within } from './ws-peer';

/** Clock granularity between this process and workerd, on top of a full rate window. */
const WINDOW_MARGIN_MS = 250;
const JOIN_TIMEOUT_MS = 15_000;
const DELIVERY_TIMEOUT_MS = 30_000;
/**
 * Generous: after the worker closes a peer from another socket's event (here: the other peer's
 * `done`, when it is the second), workerd sends the close frame at once but keeps the TCP
 * connection ~10 s longer, and Node's WebSocket reports the close only when the connection is gone.
 */
const CLOSE_TIMEOUT_MS = 20_000;
const FINISHED_REASON = 'pairing finished';
/** Room for a blob's tag (`makeBlob`), so that tag and filler together stay within MAX_BLOB_BYTES. */
const TAG_BYTES = 48;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    rooms: { type: 'string', default: '200' },
    messages: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '120' },
    joins: { type: 'string', default: '10' },
    'max-blob': { type: 'string', default: '1024' },
  },
});

function positive(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

const ROOMS = positive('rooms', args.rooms);
const MESSAGES = positive('messages', args.messages);
const TIMEOUT_MS = positive('timeout', args.timeout) * 1000;
const JOINS = positive('joins', args.joins);
const MAX_BLOB = positive('max-blob', args['max-blob'], MAX_BLOB_BYTES);

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/** Waits for conditions that change when a frame arrives or a socket closes. */
function createWatch(signal: AbortSignal): {
  poke(): void;
  until(pred: () => boolean, what: string): Promise<void>;
} {
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const wake of [...waiters]) wake();
  };
  signal.addEventListener('abort', poke);
  return {
    poke,
    until: async (pred, what) => {
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while (!pred()) {
        if (signal.aborted) throw new Error(`stopped while waiting for ${what}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${DELIVERY_TIMEOUT_MS} ms waiting for ${what}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, left);
          function wake(): void {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          }
          waiters.add(wake);
        });
      }
    },
  };
}

async function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && Date.now() < at) await sleep(Math.min(200, at - Date.now()));
}

interface Tallies {
  /** When the last room had both peers in, the last blob arrived, the last peer closed. */
  readonly phases: { joined: number; relayed: number; closed: number };
  readonly closes: Map<string, number>;
  /** Peers the worker closed with one of its refusal codes (4000–4006) before the end. */
  refused: number;
  /** Frames that were not a blob (or not readable), and closes other than the final 1000. */
  readonly unexpected: string[];
  /** Rooms that could not finish (join failed, a wait timed out, …). */
  readonly failures: string[];
  readonly misrouted: string[];
}

function createGate(limit: number): { run<T>(fn: () => Promise<T>): Promise<T> } {
  let active = 0;
  const queue: (() => void)[] = [];
  return {
    run: async <T>(fn: () => Promise<T>): Promise<T> => {
      // A freed slot is handed to the next in line, so `active` never goes over `limit`.
      if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
      else active++;
      try {
        return await fn();
      } finally {
        const next = queue.shift();
        if (next === undefined) active--;
        else next();
      }
    },
  };
}

function expectMessage(frame: string, want: ServerMessage, who: string): void {
  const got = decodeServerMessage(frame);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`${who}: expected ${JSON.stringify(want)}, got ${frame.slice(0, 80)}`);
  }
}

async function runRoom(
  index: number,
  target: WorkerTarget,
  ledger: RelayLedger,
  tallies: Tallies,
  joinGate: ReturnType<typeof createGate>,
  all: Set<WsPeer>,
  signal: AbortSignal,
  run: string,
): Promise<void> {
  const url = `${target.wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
  const peers = await joinGate.run(async () => {
    const a = openPeer(url);
    all.add(a);
    expectMessage(await a.next(JOIN_TIMEOUT_MS), { t: 'hello', peers: 0 }, `room ${index} a`);
    const b = openPeer(url);
    all.add(b);
    expectMessage(await b.next(JOIN_TIMEOUT_MS), { t: 'hello', peers: 1 }, `room ${index} b`);
    expectMessage(await a.next(JOIN_TIMEOUT_MS), { t: 'peer-joined' }, `room ${index} a`);
    tallies.phases.joined = Date.now();
    return { a, b };
  });

  const watch = createWatch(signal);
  /** When the latest blob from each side reached the other side. */
  const lastArrival = { a: 0, b: 0 };
  /** Which sides have sent `done`: the worker closes nobody before both have. */
  const doneSent = { a: false, b: false };
  const closedEarly: string[] = [];

  for (const side of ['a', 'b'] as const) {
    const peer = peers[side];
    peer.drain((frame) => {
      let msg: ServerMessage;
      try {
        msg = decodeServerMessage(frame);
      } catch {
        tallies.unexpected.push(`room ${index} ${side}: unreadable frame ${frame.slice(0, 60)}`);
        return;
      }
      if (msg.t === 'blob') {
        const receipt = ledger.recordReceived(index, side, msg.d);
        if (receipt !== 'ok') tallies.misrouted.push(`room ${index} ${side}: ${receipt} blob`);
        lastArrival[other(side)] = tallies.phases.relayed = Date.now();
      } else {
        tallies.unexpected.push(`room ${index} ${side}: unexpected ${JSON.stringify(msg)}`);
      }
      watch.poke();
    });
    void peer.closed.then((closed: Closed) => {
      const key = `${closed.code}${closed.reason === '' ? '' : ` ${closed.reason}`}`;
      tallies.closes.set(key, (tallies.closes.get(key) ?? 0) + 1);
      tallies.phases.closed = Date.now();
      if (!doneSent.a || !doneSent.b) {
        closedEarly.push(`${side} closed with ${key}`);
        if (isSignalingCloseCode(closed.code)) tallies.refused++;
      }
      watch.poke();
    });
  }

  const stillOpen = (): void => {
    if (closedEarly.length > 0) throw new Error(`room ${index}: ${closedEarly.join(', ')}`);
  };

  const sendAll = async (from: Side): Promise<void> => {
    const peer = peers[from];
    // Each side ends the pairing with `done`, which counts against its rate limit like a blob.
    const items = MESSAGES + 1;
    for (let first = 0; first < items; first += RATE_LIMIT_MESSAGES) {
      if (first > 0) await sleepUntil(lastArrival[from] + RATE_LIMIT_WINDOW_MS + WINDOW_MARGIN_MS, signal);
      if (signal.aborted) throw new Error(`room ${index}: stopped before ${from}'s blob ${first}`);
      const end = Math.min(items, first + RATE_LIMIT_MESSAGES);
      for (let seq = first; seq < end && seq < MESSAGES; seq++) {
        // Mostly small blobs; every 50th one as large as the worker allows.
        const size = seq % 50 === 49 ? MAX_BLOB_BYTES : 1 + Math.floor(Math.random() * MAX_BLOB);
        const d = makeBlob({ run, room: index, from, seq }, randomBytes(Math.max(0, size - TAG_BYTES)));
        ledger.recordSent(index, from, seq, d);
        peer.send(encodeClientMessage({ t: 'blob', d }));
      }
      const upTo = Math.min(end, MESSAGES);
      await watch.until(
        () => {
          stillOpen();
          return ledger.delivered(index, from) >= upTo;
        },
        `room ${index}: ${from}'s blobs up to ${upTo} at ${other(from)}`,
      );
      if (end > MESSAGES) {
        await watch.until(
          () => {
            stillOpen();
            return ledger.delivered(index, other(from)) >= MESSAGES;
          },
          `room ${index}: all of ${other(from)}'s blobs at ${from}`,
        );
        doneSent[from] = true;
        peer.send(encodeClientMessage({ t: 'done' }));
      }
    }
  };

  try {
    await Promise.all([sendAll('a'), sendAll('b')]);
    for (const side of ['a', 'b'] as const) {
      const closed = await within(peers[side].closed, CLOSE_TIMEOUT_MS, `room ${index} ${side} to close`);
      if (closed.code !== NORMAL_CLOSURE || closed.reason !== FINISHED_REASON) {
        tallies.unexpected.push(`room ${index} ${side}: closed ${closed.code} ${closed.reason} after done`);
      }
    }
  } finally {
    peers.a.close(NORMAL_CLOSURE);
    peers.b.close(NORMAL_CLOSURE);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const target = await startWorker(args.url);
  const workerNote = target.spawned ? `own wrangler dev, up in ${secondsSince(started)} s` : 'given by --url';
  console.log(`load: worker ${target.httpUrl} (${workerNote}); ${ROOMS} rooms × 2 peers × ${MESSAGES} blobs`);

  const run = randomBytes(6).toString('base64url');
  const ledger = createRelayLedger(run);
  const tallies: Tallies = {
    phases: { joined: 0, relayed: 0, closed: 0 },
    closes: new Map(),
    refused: 0,
    unexpected: [],
    failures: [],
    misrouted: [],
  };
  const all = new Set<WsPeer>();
  const abort = new AbortController();
  const joinGate = createGate(JOINS);
  const t0 = Date.now();
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    abort.abort();
    for (const peer of all) peer.close(NORMAL_CLOSURE, 'load test timed out');
  }, TIMEOUT_MS);

  try {
    const results = await Promise.allSettled(
      Array.from({ length: ROOMS }, async (_, i) =>
        runRoom(i, target, ledger, tallies, joinGate, all, abort.signal, run),
      ),
    );
    for (const result of results) {
      if (result.status === 'rejected') tallies.failures.push(String(result.reason));
    }
  } finally {
    clearTimeout(watchdog);
    for (const peer of all) peer.close(NORMAL_CLOSURE);
    await Promise.race([Promise.all([...all].map(async (p) => p.closed)), sleep(3_000)]);
  }
  const elapsed = secondsSince(t0);
  const workerErrors = target.errors();
  await target.stop();

  const c = ledger.counts();
  const problems: string[] = [
    ...tallies.misrouted,
    ...tallies.unexpected,
    ...tallies.failures,
    ...workerErrors.map((line) => `worker log: ${line}`),
  ];
  if (timedOut) problems.unshift(`stopped by the ${TIMEOUT_MS / 1000} s timeout`);
  for (const line of problems.slice(0, 20)) console.log(`load: ${line}`);
  if (problems.length > 20) console.log(`load: … and ${problems.length - 20} more`);
  const closes = [...tallies.closes].map(([k, n]) => `${k}×${n}`).join(', ');
  console.log(`load: closes seen: ${closes || 'none'}`);
  const { joined, relayed, closed } = tallies.phases;
  const at = (t: number): string => (t === 0 ? '-' : `${((t - t0) / 1000).toFixed(1)} s`);
  console.log(`load: all joined at ${at(joined)}, last blob at ${at(relayed)}, last close at ${at(closed)}`);
  console.log(
    `load: rooms ${ROOMS}, peers ${ROOMS * 2}, sent ${c.sent}, relayed ${c.relayed}, wrong room ${c.wrongRoom}, ` +
      `duplicated ${c.duplicated}, lost ${c.lost}, refused ${tallies.refused}, ` +
      `echoed ${c.echoed}, corrupted ${c.corrupted}, out of order ${c.outOfOrder}, foreign ${c.foreign}, ` +
      `unexpected ${tallies.unexpected.length}, failed rooms ${tallies.failures.length}, ` +
      `worker errors ${workerErrors.length}, in ${elapsed} s`,
  );
  const ok =
    problems.length === 0 &&
    c.sent === ROOMS * 2 * MESSAGES &&
    c.relayed === c.sent &&
    c.lost === 0 &&
    tallies.refused === 0;
  console.log(ok ? 'load: OK' : 'load: FAILED');
  return ok ? 0 : 1;
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

// The last resort: whatever happens, the script ends (and the finally blocks above stop wrangler).
setTimeout(() => {
  console.error('load: did not finish in time; exiting');
  process.exit(2);
}, TIMEOUT_MS + 60_000).unref();

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('load: FAILED', e);
    process.exit(1);
  },
);
