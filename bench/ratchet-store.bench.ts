/**
 * Node benchmark of the conversation ratchet on the app's own path: every message encrypted by the
 * sender's Double Ratchet and its state committed to IndexedDB before the bytes leave, decrypted by
 * the receiver's and committed with the received message, in one transaction each
 * (src/app/conversation.ts over src/store/idb-store.ts, on fake-indexeddb, one database a party):
 *
 *   app:     sender   conversations.seal(contact, text record, [its id])   encrypt; commit the state
 *                                                                          and the 'sent' mark
 *            receiver conversations.open(contact, bytes), then            decrypt, decode; commit the
 *                     opened.commit({ addMessage })                        state and the message
 *   ratchet: the same records through encodeRecord, ratchetEncrypt, ratchetDecrypt and decodeRecord
 *            with the states in memory: the ratchet's own share
 *   bare:    the platform doing the same I/O and cipher work without the ratchet: WebCrypto
 *            AES-256-GCM encrypt, on the sender's database the same requests in one readwrite
 *            transaction (get, put a ratchet state of the real size, get and put the message), then
 *            AES-256-GCM decrypt and on the receiver's (get, put the state, look the message up, add it)
 *
 * Both parties start from a real hybrid session (two createSession over the in-memory transport,
 * `takeRatchetStart`, `conversations.start`); not timed. Two conversations: one way (A writes every
 * message, on one sending chain) and alternating (A and B write in turn as fast as they can, with
 * the DH and KEM steps the ratchet makes at that pace; in memory also with a DH and a KEM step on
 * every turn, which is what each turn costs when turns are a second or more apart). The outgoing
 * messages are stored as the outbox holds them (queued) before the clock starts, so the 'sent' mark
 * moves a real record. Messages go one at a time (seal, open, commit, then the next); no acks (an
 * ack is one more message of the same kind). The clock is Date.now().
 *
 * Each run measures the paths in turn (their order rotating), for both conversations, with
 * fresh databases and a fresh session; medians of 7 runs (at least 5) are reported. It reports; a
 * missed target does not fail the command (a failed check does: every run checks the receivers
 * hold every message once and the senders' are all 'sent').
 *
 *   tsx bench/ratchet-store.bench.ts [--runs N] [--messages N] [--verbose] [--profile]
 * --profile adds where the app path's time goes: seal (encrypt + commit), open, the receiver's
 * commit, and the store's own share of both commits.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { serialize } from 'node:v8';
import { parseArgs } from 'node:util';
import { createIdentity } from '../src/app/connect';
import { createConversations, type Conversations } from '../src/app/conversation';
import { toHex } from '../src/crypto/bytes';
import { randomBytes } from '../src/crypto/random';
import { initRatchet, ratchetDecrypt, ratchetEncrypt, type RatchetState } from '../src/protocol/ratchet';
import { decodeRecord, encodeRecord, type TextRecord } from '../src/protocol/records';
import {
  createSession,
  type PeerInfo,
  type RatchetStart,
  type SessionIdentity,
} from '../src/protocol/session';
import { createMemoryTransportPair } from '../src/rtc/memory-transport';
import { openIdbStore } from '../src/store/idb-store';
import type { Stores } from '../src/store/stores';

const TARGET_MESSAGES_PER_SECOND = 1_000;

type Conversation = 'one-way' | 'alternating';
type Path = 'app' | 'ratchet' | 'everyStep' | 'bare';
type Side = 'a' | 'b';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');
/** Each party's id for the other: A keeps B as contact 'b', and the reverse. */
const contactOf = (side: Side): string => other(side);

interface Planned {
  from: Side;
  record: TextRecord;
}

/** `count` text records of a chat-sized body, and who writes each. */
function plan(conversation: Conversation, count: number): Planned[] {
  return Array.from({ length: count }, (_, i) => ({
    from: conversation === 'one-way' || i % 2 === 0 ? 'a' : 'b',
    record: {
      kind: 'text',
      id: randomBytes(16),
      sentAt: Date.now() + i,
      body: `message ${String(i).padStart(5, '0')}: see you at eight by the station`,
    },
  }));
}

// --- the parties' session and ratchet start ----------------------------------------------------

let identities: Promise<Record<Side, SessionIdentity>> | undefined;

/** Two identities as the app makes them (X25519 and ML-DSA-87 keys), once for the process. */
async function parties(): Promise<Record<Side, SessionIdentity>> {
  identities ??= Promise.all([createIdentity('A'), createIdentity('B')]).then(([a, b]) => ({ a, b }));
  return identities;
}

interface Started {
  start: RatchetStart;
  peer: PeerInfo;
}

/** A real hybrid session between the two, and each side's ratchet start from it. */
async function session(): Promise<Record<Side, Started>> {
  const ids = await parties();
  const pair = createMemoryTransportPair();
  const open = (side: Side) => {
    const t = side === 'a' ? pair.a : pair.b;
    return createSession({
      channel: t,
      initiator: t.info.initiator,
      localFingerprint: t.info.localFingerprint,
      remoteFingerprint: t.info.remoteFingerprint,
      identity: ids[side],
    });
  };
  const sa = open('a');
  const sb = open('b');
  const [pa, pb] = await Promise.all([sa.ready, sb.ready]);
  const started = (s: typeof sa, peer: PeerInfo): Started => {
    const start = s.takeRatchetStart();
    if (!start) throw new Error('the session gave no ratchet start');
    return { start, peer };
  };
  const out = { a: started(sa, pa), b: started(sb, pb) };
  await sa.close();
  return out;
}

// --- app: conversations over IndexedDB ---------------------------------------------------------

let dbCounter = 0;

/** Where the app path's time went in one run, ms in all (wall time, one call at a time). */
interface Breakdown {
  /** conversations.seal: ratchetEncrypt and the sender's commit. */
  seal: number;
  /** conversations.open: ratchetDecrypt and decodeRecord. */
  open: number;
  /** opened.commit: the receiver's commit. */
  receiveCommit: number;
  /** Inside RatchetStore.commit, both sides (the store's own time). */
  storeCommit: number;
}

/** The app path's breakdown of each run, by conversation. */
const breakdowns: Record<Conversation, Breakdown[]> = { 'one-way': [], alternating: [] };

/** The store, its ratchet commits timed into `b.storeCommit`. */
function timedStore(raw: Stores, b: Breakdown): Stores {
  return {
    ...raw,
    ratchets: {
      load: async (contactId) => raw.ratchets.load(contactId),
      remove: async (contactId) => raw.ratchets.remove(contactId),
      async commit(c) {
        const t0 = performance.now();
        try {
          return await raw.ratchets.commit(c);
        } finally {
          b.storeCommit += performance.now() - t0;
        }
      },
    },
  };
}

async function appRun(planned: Planned[], conversation: Conversation): Promise<number> {
  const ids = await parties();
  const started = await session();
  const b: Breakdown = { seal: 0, open: 0, receiveCommit: 0, storeCommit: 0 };
  const raw: Record<Side, Stores> = {
    a: await openIdbStore({ factory: new IDBFactory(), name: `secmsg-ratchet-bench-${++dbCounter}` }),
    b: await openIdbStore({ factory: new IDBFactory(), name: `secmsg-ratchet-bench-${++dbCounter}` }),
  };
  const stores = { a: timedStore(raw.a, b), b: timedStore(raw.b, b) };
  try {
    const conversations: Record<Side, Conversations> = {
      a: createConversations({ stores: stores.a, now: Date.now }),
      b: createConversations({ stores: stores.b, now: Date.now }),
    };
    for (const side of ['a', 'b'] as const) {
      const { start, peer } = started[side];
      const outcome = await conversations[side].start(
        contactOf(side),
        start,
        ids[side].keyPair.publicKey,
        peer.staticKey,
      );
      if (outcome !== 'started') throw new Error(`the ratchet was ${outcome}, not started`);
    }
    // What delivery.send stores before it seals: the outgoing messages, queued.
    for (const { from, record } of planned) {
      await stores[from].messages.add({
        contactId: contactOf(from),
        messageId: record.id,
        direction: 'out',
        body: record.body,
        sentAt: record.sentAt,
        state: 'queued',
      });
    }
    b.storeCommit = 0; // the starts' commits are not timed
    const t0 = performance.now();
    for (const { from, record } of planned) {
      const to = other(from);
      const t1 = performance.now();
      const bytes = await conversations[from].seal(contactOf(from), record, [record.id]);
      const t2 = performance.now();
      const opened = await conversations[to].open(contactOf(to), bytes);
      const t3 = performance.now();
      b.seal += t2 - t1;
      b.open += t3 - t2;
      const r = opened.record;
      if (r.kind !== 'text') throw new Error('check failed: another record than text arrived');
      const receivedAt = Date.now();
      const { added } = await opened.commit({
        addMessage: {
          contactId: contactOf(to),
          messageId: r.id,
          direction: 'in',
          body: r.body,
          sentAt: r.sentAt,
          receivedAt,
          state: 'delivered',
        },
      });
      b.receiveCommit += performance.now() - t3;
      if (added !== 'added') throw new Error('check failed: a message was stored twice');
    }
    const ms = performance.now() - t0;
    breakdowns[conversation].push(b);
    await check(stores, planned);
    return ms;
  } finally {
    await raw.a.destroy();
    await raw.b.destroy();
  }
}

/** Every message stored once on the receiving side, and 'sent' on the sending side (throws otherwise). */
async function check(stores: Record<Side, Stores>, planned: Planned[]): Promise<void> {
  for (const side of ['a', 'b'] as const) {
    const history = await stores[side].messages.list(contactOf(side));
    const byId = new Map(history.map((m) => [toHex(m.messageId), m]));
    for (const { from, record } of planned) {
      const m = byId.get(toHex(record.id));
      const want = from === side ? 'sent' : 'delivered';
      if (!m || m.state !== want || m.body !== record.body) {
        throw new Error(`check failed: ${side.toUpperCase()} does not hold a message as '${want}'`);
      }
    }
    if (history.length !== planned.length)
      throw new Error('check failed: a message more or less than written');
  }
}

// --- ratchet: the same records, states in memory --------------------------------------------------

/** What conversations.start does for a new ratchet, the state kept in memory. */
async function startRatchets(): Promise<Record<Side, RatchetState>> {
  const ids = await parties();
  const started = await session();
  const init = async (side: Side) => {
    const { start, peer } = started[side];
    return initRatchet({
      initiator: start.initiator,
      rootKey: start.rootKey,
      ratchetId: start.ratchetId,
      ours: start.ours,
      theirs: { dhPublicKey: start.theirs.dhPublicKey, kemPublicKey: start.theirs.kemPublicKey },
      localIdentityKey: ids[side].keyPair.publicKey,
      remoteIdentityKey: peer.staticKey,
      now: Date.now(),
    });
  };
  return { a: await init('a'), b: await init('b') };
}

/**
 * Runs `planned` through both ratchets in memory; returns the time and the states after. With
 * `everyStep`, a DH and a KEM step on every turn (both step intervals 0, which the app never
 * passes): what each turn of a conversation at human pace (a second or more apart) costs.
 */
async function throughRatchets(
  planned: Planned[],
  everyStep = false,
): Promise<{ ms: number; states: Record<Side, RatchetState> }> {
  const states = await startRatchets();
  const t0 = performance.now();
  for (const { from, record } of planned) {
    const to = other(from);
    // Built apart from the call: the options a ratchet does not know are ignored.
    const options = { now: Date.now(), ...(everyStep ? { dhStepIntervalMs: 0, kemStepIntervalMs: 0 } : {}) };
    const sealed = await ratchetEncrypt(states[from], encodeRecord(record), options);
    states[from] = sealed.state;
    const opened = await ratchetDecrypt(states[to], sealed.message, options);
    if (decodeRecord(opened.plaintext).kind !== 'text') throw new Error('check failed: not text');
    states[to] = opened.state;
  }
  return { ms: performance.now() - t0, states };
}

async function ratchetRun(planned: Planned[], _conversation: Conversation): Promise<number> {
  return (await throughRatchets(planned)).ms;
}

async function everyStepRun(planned: Planned[], _conversation: Conversation): Promise<number> {
  return (await throughRatchets(planned, true)).ms;
}

// --- bare: AES-GCM and the same IndexedDB requests -----------------------------------------------

/** A database with the two object stores a ratchet commit touches, as the app's schema keys them. */
async function bareDatabase(): Promise<{ db: IDBDatabase; close(): void }> {
  const factory = new IDBFactory();
  const request = factory.open('secmsg-bare', 1);
  request.onupgradeneeded = () => {
    request.result.createObjectStore('ratchets', { keyPath: 'contactId' });
    request.result.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
  };
  const db = await done(request);
  return { db, close: () => db.close() };
}

async function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

async function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** A ratchet state of the real size (taken once from the ratchets after an alternating run). */
let stateOfRealSize: RatchetState | undefined;

async function bareRun(planned: Planned[], _conversation: Conversation): Promise<number> {
  const state = stateOfRealSize!;
  const dbs = { a: await bareDatabase(), b: await bareDatabase() };
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', randomBytes(32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const generation = { a: 0, b: 0 };
  try {
    for (const { from, record } of planned) {
      const tx = dbs[from].db.transaction(['messages'], 'readwrite');
      tx.objectStore('messages').add({
        contactId: contactOf(from),
        messageIdHex: toHex(record.id),
        messageId: record.id,
        direction: 'out',
        body: record.body,
        sentAt: record.sentAt,
        state: 'queued',
      });
      await committed(tx);
    }
    const t0 = performance.now();
    for (const [i, { from, record }] of planned.entries()) {
      const to = other(from);
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, i);
      const plaintext = encodeRecord(record);
      const sealed = await subtle.encrypt({ name: 'AES-GCM', iv }, key, plaintext);
      {
        const tx = dbs[from].db.transaction(['ratchets', 'messages'], 'readwrite');
        const ratchets = tx.objectStore('ratchets');
        const messages = tx.objectStore('messages');
        const contactId = contactOf(from);
        await done(ratchets.get(contactId));
        ratchets.put({ contactId, generation: ++generation[from], state });
        const stored = (await done(messages.get([contactId, toHex(record.id)]))) as Record<string, unknown>;
        messages.put({ ...stored, state: 'sent' });
        await committed(tx);
      }
      const opened = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed));
      const r = decodeRecord(opened);
      if (r.kind !== 'text') throw new Error('check failed: not text');
      {
        const tx = dbs[to].db.transaction(['ratchets', 'messages'], 'readwrite');
        const ratchets = tx.objectStore('ratchets');
        const messages = tx.objectStore('messages');
        const contactId = contactOf(to);
        await done(ratchets.get(contactId));
        ratchets.put({ contactId, generation: ++generation[to], state });
        const idHex = toHex(r.id);
        if ((await done(messages.getKey([contactId, idHex]))) !== undefined)
          throw new Error('check failed: a message twice');
        messages.add({
          contactId,
          messageIdHex: idHex,
          messageId: r.id,
          direction: 'in',
          body: r.body,
          sentAt: r.sentAt,
          receivedAt: Date.now(),
          state: 'delivered',
        });
        await committed(tx);
      }
    }
    return performance.now() - t0;
  } finally {
    dbs.a.close();
    dbs.b.close();
  }
}

// --- runs ----------------------------------------------------------------------------------------

const PATHS: Record<Path, (planned: Planned[], conversation: Conversation) => Promise<number>> = {
  app: appRun,
  ratchet: ratchetRun,
  everyStep: everyStepRun,
  bare: bareRun,
};

/** The paths each conversation measures (one way, no turn ever starts a step). */
const PATHS_OF: Record<Conversation, Path[]> = {
  'one-way': ['app', 'ratchet', 'bare'],
  alternating: ['app', 'ratchet', 'everyStep', 'bare'],
};

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      messages: { type: 'string', default: '500' },
      verbose: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(5, Number(args.runs) || 7);
  const count = Math.max(10, Number(args.messages) || 500);
  const conversations: Conversation[] = ['one-way', 'alternating'];

  // Warm-up, discarded; it also gives the bare path a state of the real size.
  stateOfRealSize = (await throughRatchets(plan('alternating', 50))).states.a;
  for (const c of conversations) for (const path of PATHS_OF[c]) await PATHS[path](plan(c, 50), c);
  for (const c of conversations) breakdowns[c].length = 0;

  const ms: Record<Conversation, Record<Path, number[]>> = {
    'one-way': { app: [], ratchet: [], everyStep: [], bare: [] },
    alternating: { app: [], ratchet: [], everyStep: [], bare: [] },
  };
  for (let r = 0; r < runs; r++) {
    for (const c of conversations) {
      const paths = PATHS_OF[c];
      const planned = plan(c, count);
      for (let i = 0; i < paths.length; i++) {
        const path = paths[(i + r) % paths.length]!;
        ms[c][path].push(await PATHS[path](planned, c));
      }
      if (args.verbose) {
        const last = (p: Path) => `${p} ${((count / ms[c][p].at(-1)!) * 1000).toFixed(0)}/s`;
        console.log(`  run ${r + 1} ${c.padEnd(11)} ${paths.map(last).join(', ')}`);
      }
    }
  }

  const stateKiB = serialize(stateOfRealSize).length / 1024;
  console.log(
    `SecMsg ratchet + store benchmark (node ${process.version}, fake-indexeddb, ${count} messages a run ` +
      `one at a time, ${runs} runs of each path taking turns, medians; a stored ratchet state is ` +
      `about ${stateKiB.toFixed(1)} KiB)`,
  );
  for (const c of conversations) {
    const rate = (p: Path) => (count / median(ms[c][p])) * 1000;
    const perRun = (p: Path) => ms[c][p].map((x) => (count / x) * 1000);
    const app = rate('app');
    const spread = `${Math.min(...perRun('app')).toFixed(0)} – ${Math.max(...perRun('app')).toFixed(0)}`;
    console.log(
      `${c === 'one-way' ? 'one way (A writes every message, one chain)' : 'alternating (A and B in turn, as fast as they go)'}: ` +
        `app path ${app.toFixed(0)} messages/s (runs ${spread}; target >= ${TARGET_MESSAGES_PER_SECOND}: ` +
        `${app >= TARGET_MESSAGES_PER_SECOND ? 'met' : 'NOT met'}), bare AES-GCM + the same IndexedDB requests ` +
        `${rate('bare').toFixed(0)}/s, ratio ${(app / rate('bare')).toFixed(2)}; ratchet alone in memory ` +
        `${rate('ratchet').toFixed(0)}/s` +
        (c === 'alternating'
          ? ` (with a DH and a KEM step every turn, as at human pace: ${rate('everyStep').toFixed(0)}/s)`
          : ''),
    );
    if (args.profile) {
      const us = (f: (b: Breakdown) => number) =>
        `${((median(breakdowns[c].map(f)) / count) * 1000).toFixed(0)} µs`;
      console.log(
        `  app path, a message (medians of the runs): seal ${us((b) => b.seal)}, open ${us((b) => b.open)}, ` +
          `receiver's commit ${us((b) => b.receiveCommit)}; of these, inside the store's commit (both ` +
          `sides) ${us((b) => b.storeCommit)}`,
      );
    }
  }
}

await main();
