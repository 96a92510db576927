/**
 * Node benchmark of "nothing lost": how long the outbox takes to deliver 1,000 messages written
 * while the contact was offline, once a session is back, against sending the same 1,000 on a live
 * session. Two messengers (src/app/messenger.ts) over real v0.1 sessions (the hybrid handshake,
 * HMAC-framed AES-GCM) on the in-memory transport pair, every record through the contact's
 * conversation ratchet and committed with its state, each with its own IndexedDB store
 * (src/store/idb-store.ts) on fake-indexeddb, in one process:
 *  live:   the session is open; 1,000 `messenger.send` calls, timed from the first call until the
 *          sender has marked all 1,000 'delivered' (the receiver's acks came back);
 *  outbox: the contact is offline; 1,000 `send` calls queue the messages (not timed); a new
 *          session is made (handshake not timed); timed from `adopt(…, 'reconnect')` on both
 *          sides (the sender's adopt flushes its outbox) until all 1,000 are 'delivered'.
 * Every run starts from two fresh devices paired once (not timed), so both modes see the same
 * history size. Runs are interleaved (live, outbox, outbox, live, …) after one discarded warm-up
 * of each; medians of 7 (at least 5) are reported, with ratio = outbox / live. Each run also checks
 * what a person relies on: the receiver holds exactly 1,000 messages, no id twice, in the order
 * written, none stored twice; the sender has all 1,000 'delivered'. It reports; a missed target
 * does not fail the command (a failed check does).
 *
 * The devices' clocks are Date.now() made strictly increasing (+1 ms on a tie): history is sorted
 * by `sentAt` (ties by random message id), and 1,000 sends share milliseconds, so with the plain
 * clock "in the order written" would not be defined. `--plain-clock` measures with Date.now().
 *
 *   tsx bench/outbox.bench.ts [--runs N] [--messages N] [--store idb|memory] [--plain-clock]
 *                             [--verbose] [--profile]
 * fake-indexeddb is slow enough to matter and no slower than the real thing: about 0.15–0.25 ms a
 * readwrite transaction here, so the store is more than half the time; a browser's IndexedDB costs as
 * much or more a transaction. --store memory uses the in-memory store instead (the rest's share);
 * --profile adds a breakdown of where the sender's time goes in each mode. A received message and
 * an ack's delivered marks are written by the ratchet store's commit (with the ratchet state), so
 * that is where the bench counts them.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { parseArgs } from 'node:util';
import { secureSession } from '../src/app/connect';
import { createMessenger, type Messenger } from '../src/app/messenger';
import { toHex } from '../src/crypto/bytes';
import { createMemoryTransportPair } from '../src/rtc/memory-transport';
import { openIdbStore } from '../src/store/idb-store';
import { openMemoryStore } from '../src/store/memory-store';
import type { ContactStore } from '../src/store/contact-types';
import type { MessageStore, StoredMessage } from '../src/store/message-types';
import type { RatchetStore } from '../src/store/ratchet-types';
import type { Stores } from '../src/store/stores';
import type { Session } from '../src/protocol/session';

const TARGET_RATIO = 1.5;

type Mode = 'live' | 'outbox';
type StoreKind = 'idb' | 'memory';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Cumulative time and call count of one instrumented function (wall time, calls may overlap). */
interface Timing {
  calls: number;
  ms: number;
}

/** What the bench watches on one device's message store. */
interface Watch {
  /** Calls that moved an outgoing message to 'delivered'. */
  delivered: number;
  /** Bodies of incoming messages as they were stored, in arrival order. */
  arrived: string[];
  /** Incoming messages that came again with a stored id. */
  duplicates: number;
  timings: Record<'add' | 'list' | 'updateState' | 'contactGet' | 'ratchetCommit', Timing>;
  /** Resolves once `delivered` reaches `n`. */
  untilDelivered(n: number): Promise<void>;
}

function watchStores(raw: Stores): { stores: Stores; watch: Watch } {
  const inner = raw.messages;
  let waiter: { n: number; resolve: () => void } | undefined;
  const watch: Watch = {
    delivered: 0,
    arrived: [],
    duplicates: 0,
    timings: {
      add: { calls: 0, ms: 0 },
      list: { calls: 0, ms: 0 },
      updateState: { calls: 0, ms: 0 },
      contactGet: { calls: 0, ms: 0 },
      ratchetCommit: { calls: 0, ms: 0 },
    },
    async untilDelivered(n) {
      if (watch.delivered >= n) return;
      await new Promise<void>((resolve) => (waiter = { n, resolve }));
    },
  };
  const timed = async <T>(name: keyof Watch['timings'], run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      watch.timings[name].calls++;
      watch.timings[name].ms += performance.now() - t0;
    }
  };
  const arrived = (m: StoredMessage, result: 'added' | 'duplicate'): void => {
    if (m.direction !== 'in') return;
    if (result === 'added') watch.arrived.push(m.body);
    else watch.duplicates++;
  };
  const delivered = (n: number): void => {
    watch.delivered += n;
    if (waiter && watch.delivered >= waiter.n) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  const messages: MessageStore = {
    async add(m: StoredMessage) {
      const result = await timed('add', async () => inner.add(m));
      arrived(m, result);
      return result;
    },
    list: async (contactId) => timed('list', async () => inner.list(contactId)),
    async updateState(contactId, messageId, state, receivedAt) {
      const result = await timed('updateState', async () =>
        inner.updateState(contactId, messageId, state, receivedAt),
      );
      if (state === 'delivered' && result === 'updated') delivered(1);
      return result;
    },
    // The conversation features' and files' part, untimed (this bench sends texts only).
    get: async (contactId, messageId) => inner.get(contactId, messageId),
    updateFile: async (contactId, messageId, update) => inner.updateFile(contactId, messageId, update),
    activeTransfers: async (contactId) => inner.activeTransfers(contactId),
    change: async (contactId, changes, queue) => inner.change(contactId, changes, queue),
    queued: async (contactId) => inner.queued(contactId),
    queuedSent: async (contactId, id, route) => inner.queuedSent(contactId, id, route),
    remove: async (contactId, messageId) => inner.remove(contactId, messageId),
  };
  // Where the messenger stores what arrives and marks what was acknowledged: one transaction with
  // the ratchet state (a commit carries a received message, or delivered marks, or sent marks).
  const ratchets: RatchetStore = {
    load: async (contactId) => raw.ratchets.load(contactId),
    remove: async (contactId) => raw.ratchets.remove(contactId),
    async commit(c) {
      const result = await timed('ratchetCommit', async () => raw.ratchets.commit(c));
      if (result.kind === 'committed') {
        if (c.addMessage && result.added) arrived(c.addMessage, result.added);
        if (c.delivered) delivered(result.updated.length);
      }
      return result;
    },
  };
  const contacts: ContactStore = {
    get: async (id) => timed('contactGet', async () => raw.contacts.get(id)),
    put: async (c) => raw.contacts.put(c),
    list: async () => raw.contacts.list(),
    byKey: async (key) => raw.contacts.byKey(key),
  };
  return { stores: { ...raw, messages, contacts, ratchets }, watch };
}

/** Date.now(), made strictly increasing. */
function monotonicClock(): () => number {
  let last = 0;
  return () => (last = Math.max(Date.now(), last + 1));
}

interface Device {
  stores: Stores;
  messenger: Messenger;
  watch: Watch;
}

let dbCounter = 0;

async function device(name: string, store: StoreKind, plainClock: boolean): Promise<Device> {
  const raw =
    store === 'idb'
      ? await openIdbStore({ factory: new IDBFactory(), name: `secmsg-bench-${++dbCounter}` })
      : openMemoryStore();
  const { stores, watch } = watchStores(raw);
  const created = await stores.identity.create(name);
  if (created.kind !== 'created') throw new Error('could not create an identity');
  const now = plainClock ? Date.now : monotonicClock();
  return { stores, watch, messenger: createMessenger({ stores, identity: created.identity, now }) };
}

/** A new session between the two (handshake done); `adopt` hands it to both messengers. */
async function session(a: Device, b: Device, method: 'invite-code' | 'reconnect') {
  const pair = createMemoryTransportPair();
  const [ca, cb] = await Promise.all([
    secureSession(pair.a, a.messenger.identity),
    secureSession(pair.b, b.messenger.identity),
  ]);
  return {
    sender: ca.session,
    adopt: async () => {
      // A reconnect arrives through the pair's rendezvous: each side names the contact it went to meet.
      const arrival = async (d: Device, other: Device) =>
        method === 'invite-code'
          ? ({ kind: 'pairing', method } as const)
          : ({
              kind: 'rendezvous',
              contactId: (await d.messenger.contacts()).find((c) =>
                c.identityKey.every((x, i) => x === other.messenger.identity.keyPair.publicKey[i]),
              )!.id,
            } as const);
      return Promise.all([
        a.messenger.adopt(ca, await arrival(a, b)),
        b.messenger.adopt(cb, await arrival(b, a)),
      ]);
    },
  };
}

const body = (i: number): string => `message ${String(i).padStart(5, '0')}`;

interface RunResult {
  ms: number;
  order: Order;
  /** The sender's store calls and session sends during the timed part. */
  profile: Watch['timings'] & { sendMs: number; sendCalls: number; totalMs: number };
}

/** Times `session.send` (a ratchet message: AES-GCM, HMAC, hand to the transport) on the sender. */
function timeSends(session: Session): Timing {
  const t: Timing = { calls: 0, ms: 0 };
  const send = session.send.bind(session);
  session.send = async (message) => {
    const t0 = performance.now();
    try {
      await send(message);
    } finally {
      t.calls++;
      t.ms += performance.now() - t0;
    }
  };
  return t;
}

function resetTimings(w: Watch): void {
  for (const t of Object.values(w.timings)) {
    t.calls = 0;
    t.ms = 0;
  }
}

async function run(mode: Mode, count: number, store: StoreKind, plainClock: boolean): Promise<RunResult> {
  const alice = await device('Alice', store, plainClock);
  const bob = await device('Bob', store, plainClock);
  try {
    const first = await session(alice, bob, 'invite-code');
    const sendTiming = timeSends(first.sender);
    const [ra, rb] = await first.adopt();
    const aliceId = ra.contact.id;
    const bobId = rb.contact.id;
    let ms: number;
    let timing = sendTiming;
    if (mode === 'live') {
      resetTimings(alice.watch);
      const t0 = performance.now();
      const sends: Promise<StoredMessage>[] = [];
      for (let i = 0; i < count; i++) sends.push(alice.messenger.send(aliceId, body(i)));
      await Promise.all(sends);
      await alice.watch.untilDelivered(count);
      ms = performance.now() - t0;
    } else {
      await alice.messenger.disconnect(aliceId);
      while (
        alice.messenger.live(aliceId)?.state !== 'closed' ||
        bob.messenger.live(bobId)?.state !== 'closed'
      )
        await new Promise((r) => setTimeout(r, 1));
      const sends: Promise<StoredMessage>[] = [];
      for (let i = 0; i < count; i++) sends.push(alice.messenger.send(aliceId, body(i)));
      const queued = await Promise.all(sends);
      if (queued.some((m) => m.state !== 'queued')) throw new Error('a message was sent while offline');
      const again = await session(alice, bob, 'reconnect');
      timing = timeSends(again.sender);
      resetTimings(alice.watch);
      const t0 = performance.now();
      const [ra2] = await again.adopt();
      if (ra2.outcome !== 'known-contact' || ra2.contact.id !== aliceId)
        throw new Error('not the known contact');
      await alice.watch.untilDelivered(count);
      ms = performance.now() - t0;
    }
    const profile = {
      ...structuredClone(alice.watch.timings),
      sendMs: timing.ms,
      sendCalls: timing.calls,
      totalMs: ms,
    };
    const order = await check(alice, bob, aliceId, bobId, count);
    if (!plainClock && (order.history || order.arrival))
      throw new Error(`check failed: ${order.history ? 'history' : 'arrival'} out of the order written`);
    return { ms, profile, order };
  } finally {
    alice.messenger.dispose();
    bob.messenger.dispose();
    await alice.stores.destroy();
    await bob.stores.destroy();
  }
}

/** Where the receiver's messages stand against the order they were written. */
interface Order {
  /** The receiver's history (sorted by sentAt, ties by id) is not in the order written. */
  history: boolean;
  /** They were not stored in the order written. */
  arrival: boolean;
}

/**
 * What a person relies on: all there, once each, and all acknowledged (throws otherwise); and
 * whether they are in the order written (returned: with the plain clock, ties can reorder them).
 */
async function check(
  alice: Device,
  bob: Device,
  aliceId: string,
  bobId: string,
  count: number,
): Promise<Order> {
  const expected = Array.from({ length: count }, (_, i) => body(i)).join('\n');
  const sent = await alice.messenger.history(aliceId);
  const got = await bob.messenger.history(bobId);
  const problems: string[] = [];
  if (sent.length !== count || sent.some((m) => m.direction !== 'out' || m.state !== 'delivered'))
    problems.push(`sender: ${sent.filter((m) => m.state === 'delivered').length}/${count} delivered`);
  if (got.length !== count || got.some((m) => m.direction !== 'in'))
    problems.push(`receiver holds ${got.length} messages, not ${count}`);
  if (new Set(got.map((m) => toHex(m.messageId))).size !== got.length) problems.push('receiver: an id twice');
  if (bob.watch.duplicates > 0) problems.push(`${bob.watch.duplicates} duplicates arrived`);
  if (problems.length > 0) throw new Error(`check failed: ${problems.join('; ')}`);
  return {
    history: got.map((m) => m.body).join('\n') !== expected,
    arrival: bob.watch.arrived.join('\n') !== expected,
  };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      messages: { type: 'string', default: '1000' },
      store: { type: 'string', default: 'idb' },
      'plain-clock': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(5, Number(args.runs) || 7);
  const count = Math.max(1, Number(args.messages) || 1000);
  const store: StoreKind = args.store === 'memory' ? 'memory' : 'idb';
  const plainClock = args['plain-clock'];

  await run('live', count, store, plainClock); // warm-up, discarded
  await run('outbox', count, store, plainClock);
  const results: Record<Mode, RunResult[]> = { live: [], outbox: [] };
  for (let i = 0; i < runs; i++) {
    const order: Mode[] = i % 2 === 0 ? ['live', 'outbox'] : ['outbox', 'live'];
    for (const mode of order) {
      const r = await run(mode, count, store, plainClock);
      results[mode].push(r);
      if (args.verbose) console.log(`  run ${i + 1} ${mode.padEnd(6)} ${r.ms.toFixed(0)} ms`);
    }
  }
  const live = median(results.live.map((r) => r.ms));
  const outbox = median(results.outbox.map((r) => r.ms));
  const ratio = outbox / live;
  const perRun = results.outbox.map((r, i) => r.ms / results.live[i]!.ms);
  const list = (rs: RunResult[]) => rs.map((r) => r.ms.toFixed(0)).join(', ');
  console.log(
    `SecMsg outbox benchmark (node ${process.version}, two messengers over hybrid sessions and ratchets on the in-memory ` +
      `transport, ${store === 'idb' ? 'IndexedDB store on fake-indexeddb' : 'memory store'}, ` +
      `${runs} interleaved runs, medians; every run checked: ${count} received once each` +
      `${plainClock ? ', plain clock' : ', in the order written'})`,
  );
  console.log(
    `flush ${count} queued after a reconnect ${outbox.toFixed(0)} ms (runs ${list(results.outbox)}), ` +
      `send ${count} on a live session ${live.toFixed(0)} ms (runs ${list(results.live)}), ` +
      `ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}; ` +
      `per-run ${Math.min(...perRun).toFixed(2)} – ${Math.max(...perRun).toFixed(2)})`,
  );
  if (plainClock) {
    const out = (mode: Mode, k: keyof Order) => results[mode].filter((r) => r.order[k]).length;
    console.log(
      `  out of the order written (plain clock, sentAt ties sort by random id): receiver history in ` +
        `${out('live', 'history')}/${runs} live and ${out('outbox', 'history')}/${runs} outbox runs; ` +
        `arrival in ${out('live', 'arrival')}/${runs} live and ${out('outbox', 'arrival')}/${runs} outbox runs`,
    );
  }
  if (args.profile) {
    for (const mode of ['live', 'outbox'] as const) {
      const p = results[mode].map((r) => r.profile);
      const m = (f: (x: RunResult['profile']) => number) => median(p.map(f)).toFixed(0);
      console.log(
        `  ${mode}, time inside the sender's calls (one at a time; the receiver's work interleaves): ` +
          `messages.add ${m((x) => x.add.calls)}× ${m((x) => x.add.ms)} ms, ` +
          `messages.list ${m((x) => x.list.calls)}× ${m((x) => x.list.ms)} ms, ` +
          `messages.updateState ${m((x) => x.updateState.calls)}× ${m((x) => x.updateState.ms)} ms, ` +
          `contacts.get ${m((x) => x.contactGet.calls)}× ${m((x) => x.contactGet.ms)} ms, ` +
          `ratchets.commit ${m((x) => x.ratchetCommit.calls)}× ${m((x) => x.ratchetCommit.ms)} ms, ` +
          `session.send ${m((x) => x.sendCalls)}× ${m((x) => x.sendMs)} ms (of ${m((x) => x.totalMs)} ms)`,
      );
    }
  }
}

await main();
