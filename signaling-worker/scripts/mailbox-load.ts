/**
 * Load test of the worker's mailbox HTTP API (DESIGN.md, Routes and delivery, item 4; the contract
 * is src/protocol/mailbox.ts): N pairs on loopback. In each pair the recipient claims a fresh
 * mailbox (a random id and read token) and the sender deposits M blobs of random sizes, each tagged
 * with the run, its pair and its number and ending in a SHA-256 of the rest: the first `--singles`
 * one at a time (`POST /mailboxes/<id>/blobs`), the rest in batch deposits of `--batch` blobs
 * (`POST /mailboxes/<id>/batch`), whose answer must name the blobs in the order sent with their
 * sizes. The recipients then open as the app does: `POST /mailboxes/list` for up to
 * MAX_LIST_MAILBOXES mailboxes a request, fetches of at most MAX_BATCH_BLOBS ids (asked again for
 * whatever an answer left out over MAX_FETCH_BYTES), a delete of what each answer held, and a last
 * list that must find every mailbox empty. Checks that every blob reaches its own recipient exactly
 * once, unchanged and in deposit order, listed and fetched with the id, size and time its deposit
 * was answered with; that nothing of another pair (or run) turns up; and that the deletes count
 * exactly what was deposited.
 *
 * Alongside the deposits, mailboxes of their own check the quotas and the token: a blob of
 * MAX_MAILBOX_BLOB_BYTES + 1 bytes is refused (413 TOO_LARGE) and leaves nothing, alone or inside a
 * batch, and so is a batch of more than MAX_DEPOSIT_BATCH_BYTES (413) or of more than
 * MAX_BATCH_BLOBS blobs (400); one blob of exactly the limit is taken, and so is a batch of exactly
 * MAX_DEPOSIT_BATCH_BYTES. A mailbox filled in batches to one blob short of MAX_MAILBOX_BYTES with
 * blobs of the largest size refuses a batch of two (507 MAILBOX_FULL) and keeps none of it (all or
 * none), takes the one that fits, refuses one byte more, alone or batched (507), is drained through
 * several partial fetch answers and then takes a blob again. A wrong token lists, fetches, deletes
 * and drops nothing (403 WRONG_TOKEN, also as a list entry), claiming the id with it is refused
 * (409 ALREADY_CLAIMED), and a dropped mailbox takes no deposit, single or batched (404 NO_MAILBOX).
 *
 *   npx tsx signaling-worker/scripts/mailbox-load.ts [--pairs 200] [--messages 100] [--batch 10]
 *        [--singles 1] [--concurrency 24] [--min-blob 64] [--max-blob 4096] [--list-batch 100]
 *        [--timeout 600] [--url http://127.0.0.1:8787]
 *
 * Without `--url` it starts its own `wrangler dev` on free ports and stops it at the end. At most
 * `--concurrency` requests are in flight. It stays within the rate limits honestly: every request
 * comes from this one client (no `cf-connecting-ip` of its own making), and the windows are per
 * mailbox, so M ≤ RATE_LIMIT_DEPOSITS deposits to a mailbox fit one window (a batch counts each of
 * its blobs); a 429 would be counted as a failure, not retried. Exits non-zero on any mismatch.
 *
 * `wrangler dev` answers roughly 90–150 requests a second on a 2-core machine however many are in
 * flight (each write a few fsyncs of the local workerd's SQLite, behind wrangler's dev proxy), and a
 * batch of ten small blobs costs about as much as a single deposit. So the defaults' 20,000 blobs go
 * in 2,200 deposit requests (one single and ten batches a pair), some 2,860 requests in all: 25–28 s
 * (30–33 s with wrangler's start and stop) on an otherwise idle 2-core machine, two to four times
 * that while other tests load it. `--batch 1 --singles 100` deposits one blob a request as before
 * batches existed: some 20,860 requests, three to four minutes.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  MAILBOX_LIST_PATH,
  MAILBOX_PATH_PREFIX,
  MAX_BATCH_BLOBS,
  MAX_DEPOSIT_BATCH_BODY,
  MAX_DEPOSIT_BATCH_BYTES,
  MAX_FETCH_BYTES,
  MAX_LIST_MAILBOXES,
  MAX_MAILBOX_BLOBS,
  MAX_MAILBOX_BLOB_BYTES,
  MAX_MAILBOX_BYTES,
  type MailboxErrorCode,
  RATE_LIMIT_DEPOSITS,
  authorization,
  isBlobId,
  isMailboxId,
  isMailboxToken,
  mailboxErrorStatus,
} from '../../src/protocol/mailbox';
import {
  type BlobListing,
  decodeError,
  decodeListResponse,
  decodeMailboxListing,
} from '../../src/protocol/mailbox-json';
import { type FetchedBlob, decodeFetchResponse, encodeDepositBatch } from '../../src/protocol/mailbox-binary';
import { type WorkerTarget, startWorker } from './worker-process';

/** One request's own deadline (the whole run has `--timeout`). */
const REQUEST_TIMEOUT_MS = 30_000;
/** A blob: magic ‖ run (6 bytes) ‖ box number (4) ‖ message number (4) ‖ filler ‖ SHA-256 of the rest. */
const MAGIC = Buffer.from('SMB1', 'latin1');
const RUN_BYTES = 6;
const HEAD_BYTES = MAGIC.length + RUN_BYTES + 4 + 4;
const HASH_BYTES = 32;
const SMALLEST_BLOB = HEAD_BYTES + HASH_BYTES;
const MAX_PROBLEMS_KEPT = 1_000;

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    pairs: { type: 'string', default: '200' },
    messages: { type: 'string', default: '100' },
    batch: { type: 'string', default: '10' },
    singles: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '24' },
    'min-blob': { type: 'string', default: '64' },
    'max-blob': { type: 'string', default: '4096' },
    'list-batch': { type: 'string', default: String(MAX_LIST_MAILBOXES) },
    timeout: { type: 'string', default: '600' },
  },
});

function positive(name: string, value: string, max = Number.MAX_SAFE_INTEGER, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

const PAIRS = positive('pairs', args.pairs, 1_000_000);
// More than one window's worth would be refused (429), and this script does not wait windows out.
const MESSAGES = positive('messages', args.messages, Math.min(RATE_LIMIT_DEPOSITS, MAX_MAILBOX_BLOBS));
const BATCH = positive('batch', args.batch, MAX_BATCH_BLOBS);
const SINGLES = positive('singles', args.singles, MESSAGES, 0);
const CONCURRENCY = positive('concurrency', args.concurrency, 1_000);
const MIN_BLOB = positive('min-blob', args['min-blob'], MAX_MAILBOX_BLOB_BYTES, SMALLEST_BLOB);
const MAX_BLOB = positive('max-blob', args['max-blob'], MAX_MAILBOX_BLOB_BYTES, MIN_BLOB);
const LIST_BATCH = positive('list-batch', args['list-batch'], MAX_LIST_MAILBOXES);
const TIMEOUT_MS = positive('timeout', args.timeout) * 1000;
if (MESSAGES * MAX_BLOB > MAX_MAILBOX_BYTES) {
  throw new Error(`--messages × --max-blob must stay within a mailbox's ${MAX_MAILBOX_BYTES} bytes`);
}
if (BATCH * MAX_BLOB > MAX_DEPOSIT_BATCH_BYTES) {
  throw new Error(`--batch × --max-blob must stay within a batch's ${MAX_DEPOSIT_BATCH_BYTES} bytes`);
}

// ── Requests ─────────────────────────────────────────────────────────────────────────────────────

type Kind = 'claim' | 'deposit' | 'batch' | 'list' | 'get' | 'fetch' | 'delete' | 'drop';
const KINDS: readonly Kind[] = ['claim', 'deposit', 'batch', 'list', 'get', 'fetch', 'delete', 'drop'];

interface Reply {
  readonly status: number;
  readonly body: Uint8Array;
  text(): string;
}

interface CallOptions {
  readonly token?: string;
  readonly body?: Uint8Array<ArrayBuffer>;
  readonly json?: unknown;
}

type Call = (kind: Kind, method: string, path: string, o?: CallOptions) => Promise<Reply>;

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

/** The mailbox id in a path, shortened for messages. */
function shortPath(path: string): string {
  return path.replace(/[A-Za-z0-9_-]{43}/, (id) => `${id.slice(0, 8)}…`);
}

function createClient(
  target: WorkerTarget,
  signal: AbortSignal,
): { call: Call; requests: Map<Kind, number> } {
  const gate = createGate(CONCURRENCY);
  const requests = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  const call: Call = async (kind, method, path, o = {}) =>
    gate.run(async () => {
      requests.set(kind, (requests.get(kind) ?? 0) + 1);
      const headers: Record<string, string> = {};
      if (o.token !== undefined) headers.authorization = authorization(o.token);
      let body: Uint8Array<ArrayBuffer> | string | undefined = o.body;
      if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        headers['content-type'] = 'application/json';
      } else if (body !== undefined) {
        headers['content-type'] = 'application/octet-stream';
      }
      try {
        const response = await fetch(`${target.httpUrl}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        const bytes = new Uint8Array(await response.arrayBuffer());
        return { status: response.status, body: bytes, text: () => new TextDecoder().decode(bytes) };
      } catch (e) {
        throw new Error(`${method} ${shortPath(path)} got no answer: ${String(e)}`, { cause: e });
      }
    });
  return { call, requests };
}

function describe(reply: Reply): string {
  return `${reply.status} ${reply.text().slice(0, 160)}`;
}

function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${describe(reply)}`);
}

/** The refusal the contract names: its status and its code in the JSON body. */
function expectRefusal(reply: Reply, code: MailboxErrorCode, what: string): void {
  const status = mailboxErrorStatus(code);
  if (reply.status !== status || decodeError(reply.text()).code !== code) {
    throw new Error(`${what}: expected ${status} ${code}, got ${describe(reply)}`);
  }
}

function parseJson(reply: Reply, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(reply.text());
  } catch {
    throw new Error(`${what}: the answer is not JSON: ${describe(reply)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what}: the answer is not a JSON object: ${describe(reply)}`);
  }
  return value as Record<string, unknown>;
}

// ── Mailboxes and their blobs ────────────────────────────────────────────────────────────────────

interface Sent {
  readonly id: string;
  readonly size: number;
  readonly at: number;
  readonly hash: string;
}

interface Box {
  /** `pair 17`, `quota mailbox`, … */
  readonly label: string;
  /** The number in its blobs' tags: the pair's index, or PAIRS + k for the checks' mailboxes. */
  readonly number: number;
  readonly id: string;
  readonly token: string;
  /** In deposit order; a blob's tag numbers its place here. */
  readonly sent: Sent[];
  readonly received: Set<number>;
  /** The message number the next fetched blob should have. */
  next: number;
}

interface Tallies {
  deposited: number;
  depositedBytes: number;
  /** Blobs deposited one a request. */
  singles: number;
  /** Batch deposits taken, and the blobs they held. */
  batches: number;
  batched: number;
  listed: number;
  delivered: number;
  fetchedBytes: number;
  deleted: number;
  fetches: number;
  partialFetches: number;
  wrongMailbox: number;
  foreign: number;
  duplicated: number;
  corrupted: number;
  outOfOrder: number;
  /** Fetched under another blob id or deposit time than its deposit was answered with. */
  misfiled: number;
  /** Blobs the last list still found. */
  leftOver: number;
  readonly problems: string[];
}

function newTallies(): Tallies {
  return {
    deposited: 0,
    depositedBytes: 0,
    singles: 0,
    batches: 0,
    batched: 0,
    listed: 0,
    delivered: 0,
    fetchedBytes: 0,
    deleted: 0,
    fetches: 0,
    partialFetches: 0,
    wrongMailbox: 0,
    foreign: 0,
    duplicated: 0,
    corrupted: 0,
    outOfOrder: 0,
    misfiled: 0,
    leftOver: 0,
    problems: [],
  };
}

function problem(t: Tallies, line: string): void {
  if (t.problems.length < MAX_PROBLEMS_KEPT) t.problems.push(line);
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

function newBox(label: string, number: number): Box {
  const id = randomBytes(32).toString('base64url');
  const token = randomBytes(32).toString('base64url');
  if (!isMailboxId(id) || !isMailboxToken(token)) throw new Error('a fresh id or token is malformed');
  return { label, number, id, token, sent: [], received: new Set(), next: 0 };
}

function makeBlob(run: Buffer, box: number, seq: number, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const head = Buffer.from(out.buffer, 0, HEAD_BYTES);
  MAGIC.copy(head, 0);
  run.copy(head, MAGIC.length);
  head.writeUInt32BE(box, MAGIC.length + RUN_BYTES);
  head.writeUInt32BE(seq, MAGIC.length + RUN_BYTES + 4);
  out.set(randomBytes(size - SMALLEST_BLOB), HEAD_BYTES);
  out.set(sha256(out.subarray(0, size - HASH_BYTES)), size - HASH_BYTES);
  return out;
}

/** A blob's tag, and whether its bytes still match its hash; null when it is not a tagged blob. */
function readBlob(data: Uint8Array): { run: Buffer; box: number; seq: number; intact: boolean } | null {
  if (data.length < SMALLEST_BLOB) return null;
  const head = Buffer.from(data.buffer, data.byteOffset, HEAD_BYTES);
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const body = data.subarray(0, data.length - HASH_BYTES);
  return {
    run: head.subarray(MAGIC.length, MAGIC.length + RUN_BYTES),
    box: head.readUInt32BE(MAGIC.length + RUN_BYTES),
    seq: head.readUInt32BE(MAGIC.length + RUN_BYTES + 4),
    intact: sha256(body).equals(data.subarray(data.length - HASH_BYTES)),
  };
}

/** Where a fetched blob belongs, and whether it is the one deposited there, counted in `t`. */
function receive(box: Box, blob: FetchedBlob, run: Buffer, t: Tallies): void {
  const tag = readBlob(blob.data);
  if (tag === null || !tag.run.equals(run)) {
    t.foreign++;
    problem(t, `${box.label}: fetched a blob this run did not deposit (${blob.data.length} B)`);
    return;
  }
  if (tag.box !== box.number) {
    t.wrongMailbox++;
    problem(t, `${box.label}: fetched blob ${tag.seq} deposited for mailbox number ${tag.box}`);
    return;
  }
  const sent = box.sent[tag.seq];
  if (sent === undefined) {
    t.foreign++;
    problem(t, `${box.label}: fetched a blob numbered ${tag.seq}, which was never deposited`);
    return;
  }
  if (box.received.has(tag.seq)) {
    t.duplicated++;
    problem(t, `${box.label}: fetched blob ${tag.seq} a second time`);
    return;
  }
  box.received.add(tag.seq);
  t.fetchedBytes += blob.data.length;
  if (tag.seq !== box.next) {
    t.outOfOrder++;
    problem(t, `${box.label}: blob ${tag.seq} fetched where ${box.next} was due`);
  }
  box.next = Math.max(box.next, tag.seq + 1);
  if (!tag.intact || blob.data.length !== sent.size || sha256(blob.data).toString('hex') !== sent.hash) {
    t.corrupted++;
    problem(
      t,
      `${box.label}: blob ${tag.seq} came back changed (${blob.data.length} B, ${sent.size} B sent)`,
    );
    return;
  }
  t.delivered++;
  if (blob.id !== sent.id || blob.at !== sent.at) {
    t.misfiled++;
    problem(
      t,
      `${box.label}: blob ${tag.seq} fetched as ${blob.id} at ${blob.at}, deposited as ${sent.id} at ${sent.at}`,
    );
  }
}

/** A listing against what was deposited: the same ids, sizes and times, in deposit order. */
function compareListing(box: Box, blobs: readonly BlobListing[], what: string): void {
  const want = box.sent;
  const differs = (b: BlobListing | undefined, s: Sent | undefined): boolean =>
    b === undefined || s === undefined || b.id !== s.id || b.size !== s.size || b.at !== s.at;
  const first = Array.from({ length: Math.max(blobs.length, want.length) }, (_, i) => i).find((i) =>
    differs(blobs[i], want[i]),
  );
  if (first !== undefined) {
    throw new Error(
      `${box.label}: ${what} named ${blobs.length} blobs where ${want.length} were deposited, ` +
        `first difference at #${first}: listed ${JSON.stringify(blobs[first] ?? null)}, ` +
        `deposited ${JSON.stringify(want[first] ?? null)}`,
    );
  }
}

// ── The requests of one mailbox ──────────────────────────────────────────────────────────────────

const boxPath = (box: Box, action = ''): string =>
  `${MAILBOX_PATH_PREFIX}${box.id}${action === '' ? '' : `/${action}`}`;

async function claim(call: Call, box: Box): Promise<void> {
  expectStatus(await call('claim', 'PUT', boxPath(box), { token: box.token }), 201, `${box.label}: claim`);
}

async function deposit(call: Call, box: Box, data: Uint8Array<ArrayBuffer>, t: Tallies): Promise<void> {
  const what = `${box.label}: deposit ${box.sent.length}`;
  const reply = await call('deposit', 'POST', boxPath(box, 'blobs'), { body: data });
  expectStatus(reply, 201, what);
  const { id, size, at } = parseJson(reply, what);
  if (!isBlobId(id) || size !== data.length || !Number.isSafeInteger(at)) {
    throw new Error(`${what}: the answer is not {id, size, at} of this blob: ${describe(reply)}`);
  }
  box.sent.push({ id, size: data.length, at: at as number, hash: sha256(data).toString('hex') });
  t.deposited++;
  t.depositedBytes += data.length;
  t.singles++;
}

/**
 * One batch deposit of `blobs`: the answer must name each of them, in the order sent, with its size
 * and a fresh id.
 */
async function depositBatch(
  call: Call,
  box: Box,
  blobs: readonly Uint8Array<ArrayBuffer>[],
  t: Tallies,
): Promise<void> {
  const what = `${box.label}: batch of ${blobs.length} from deposit ${box.sent.length}`;
  const reply = await call('batch', 'POST', boxPath(box, 'batch'), { body: encodeDepositBatch(blobs) });
  expectStatus(reply, 201, what);
  let listed: readonly BlobListing[];
  try {
    listed = decodeMailboxListing(reply.text()).blobs;
  } catch {
    throw new Error(`${what}: the answer is not {"blobs": [{id, size, at}, …]}: ${describe(reply)}`);
  }
  if (listed.length !== blobs.length) {
    throw new Error(`${what}: the answer names ${listed.length} blobs: ${describe(reply)}`);
  }
  const known = new Set(box.sent.map((s) => s.id));
  blobs.forEach((data, i) => {
    const { id, size, at } = listed[i]!;
    if (size !== data.length) {
      throw new Error(`${what}: the answer's #${i} has ${size} B where ${data.length} B were sent`);
    }
    if (known.has(id)) throw new Error(`${what}: the answer's #${i} has an id already given (${id})`);
    known.add(id);
    box.sent.push({ id, size, at, hash: sha256(data).toString('hex') });
    t.deposited++;
    t.depositedBytes += size;
  });
  t.batches++;
  t.batched += blobs.length;
}

/** A batch body as the contract lays it out, without encodeDepositBatch's checks (for refusals). */
function rawBatch(blobs: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(blobs.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of blobs) {
    view.setUint32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

async function listOne(call: Call, box: Box): Promise<readonly BlobListing[]> {
  const reply = await call('get', 'GET', boxPath(box, 'blobs'), { token: box.token });
  expectStatus(reply, 200, `${box.label}: list`);
  return decodeMailboxListing(reply.text()).blobs;
}

/**
 * Fetches `ids` (listed, oldest first) at most MAX_BATCH_BLOBS a request, asking again for what an
 * answer left out, and deletes what each answer held. Returns its fetches, and how many of them
 * were partial.
 */
async function drain(
  call: Call,
  box: Box,
  ids: readonly string[],
  run: Buffer,
  t: Tallies,
): Promise<{ fetches: number; partial: number }> {
  const mine = { fetches: 0, partial: 0 };
  const sizes = new Map(box.sent.map((s) => [s.id, s.size]));
  let pending = [...ids];
  while (pending.length > 0) {
    const asked = pending.slice(0, MAX_BATCH_BLOBS);
    const what = `${box.label}: fetch of ${asked.length}`;
    const reply = await call('fetch', 'POST', boxPath(box, 'fetch'), {
      token: box.token,
      json: { ids: asked },
    });
    expectStatus(reply, 200, what);
    const blobs = decodeFetchResponse(reply.body, asked);
    t.fetches++;
    mine.fetches++;
    // Oldest first and none skipped: the answer is the start of what was asked, cut only where the
    // next blob would take it over MAX_FETCH_BYTES.
    if (blobs.length === 0) throw new Error(`${what}: the answer held none of them`);
    const prefix = blobs.every((b, i) => b.id === asked[i]);
    if (!prefix) throw new Error(`${what}: the answer is not the first ${blobs.length} of the ids asked`);
    const bytes = blobs.reduce((n, b) => n + b.data.length, 0);
    if (blobs.length > 1 && bytes > MAX_FETCH_BYTES) {
      throw new Error(`${what}: the answer holds ${bytes} B of blobs, over ${MAX_FETCH_BYTES}`);
    }
    if (blobs.length < asked.length) {
      t.partialFetches++;
      mine.partial++;
      const nextSize = sizes.get(asked[blobs.length]!) ?? 0;
      if (bytes + nextSize <= MAX_FETCH_BYTES) {
        throw new Error(
          `${what}: the answer stopped after ${blobs.length} (${bytes} B) though the next fits`,
        );
      }
    }
    for (const blob of blobs) receive(box, blob, run, t);
    const got = blobs.map((b) => b.id);
    const removed = await call('delete', 'POST', boxPath(box, 'delete'), {
      token: box.token,
      json: { ids: got },
    });
    expectStatus(removed, 200, `${box.label}: delete of ${got.length}`);
    const { deleted } = parseJson(removed, `${box.label}: delete`);
    if (deleted !== got.length) {
      throw new Error(`${box.label}: delete of ${got.length} blobs answered ${describe(removed)}`);
    }
    t.deleted += got.length;
    pending = pending.slice(got.length);
  }
  return mine;
}

/** `POST /mailboxes/list` for `boxes` (at most MAX_LIST_MAILBOXES), with `tokens` when given. */
async function listMany(
  call: Call,
  boxes: readonly Box[],
  tokens: readonly string[] = boxes.map((b) => b.token),
): Promise<ReturnType<typeof decodeListResponse>> {
  const mailboxes = boxes.map((b, i) => ({ id: b.id, token: tokens[i]! }));
  const reply = await call('list', 'POST', MAILBOX_LIST_PATH, { json: { mailboxes } });
  expectStatus(reply, 200, `list of ${boxes.length} mailboxes`);
  return decodeListResponse(
    reply.text(),
    boxes.map((b) => b.id),
  );
}

// ── The checks' own mailboxes ────────────────────────────────────────────────────────────────────

/** Quotas and the token, alongside the load; returns what it saw, in a few words. */
async function runChecks(call: Call, run: Buffer, t: Tallies): Promise<string> {
  const seen: string[] = [];
  /** The most blobs of the largest size one batch may carry. */
  const perBatch = Math.floor(MAX_DEPOSIT_BATCH_BYTES / MAX_MAILBOX_BLOB_BYTES);
  const refusedBatch = async (
    box: Box,
    blobs: readonly Uint8Array[],
    code: MailboxErrorCode,
    what: string,
  ) => {
    const reply = await call('batch', 'POST', boxPath(box, 'batch'), { body: rawBatch(blobs) });
    expectRefusal(reply, code, `${box.label}: ${what}`);
    return reply.status;
  };
  await Promise.all([
    (async () => {
      // One byte over the largest blob is refused and leaves nothing, alone or in a batch, and so is
      // a batch over its bytes or its count; the largest blob, and a batch of the most bytes, are taken.
      const box = newBox('too-large mailbox', PAIRS);
      await claim(call, box);
      const over = randomBytes(MAX_MAILBOX_BLOB_BYTES + 1);
      const refused = await call('deposit', 'POST', boxPath(box, 'blobs'), { body: new Uint8Array(over) });
      expectRefusal(refused, 'TOO_LARGE', `${box.label}: a blob of ${over.length} B`);
      const small = makeBlob(run, box.number, 0, SMALLEST_BLOB);
      const inBatch = await refusedBatch(box, [small, over], 'TOO_LARGE', `a batch holding ${over.length} B`);
      // Within the body's limit (its lengths take the rest), but over MAX_DEPOSIT_BATCH_BYTES of blobs.
      const largest = Array.from({ length: perBatch }, (_, i) =>
        makeBlob(run, box.number, 1 + i, MAX_MAILBOX_BLOB_BYTES),
      );
      const heavy = [...largest, small];
      const heavyBytes = heavy.reduce((n, b) => n + b.length, 0);
      if (rawBatch(heavy).length > MAX_DEPOSIT_BATCH_BODY || heavyBytes <= MAX_DEPOSIT_BATCH_BYTES) {
        throw new Error(`${box.label}: the over-heavy batch is not what it should be`);
      }
      const tooHeavy = await refusedBatch(box, heavy, 'TOO_LARGE', `a batch of ${heavyBytes} B`);
      const many = Array.from({ length: MAX_BATCH_BLOBS + 1 }, (_, i) =>
        makeBlob(run, box.number, i, SMALLEST_BLOB),
      );
      const tooMany = await refusedBatch(box, many, 'BAD_REQUEST', `a batch of ${many.length} blobs`);
      compareListing(box, await listOne(call, box), 'the list after refused deposits');
      await deposit(call, box, makeBlob(run, box.number, 0, MAX_MAILBOX_BLOB_BYTES), t);
      await depositBatch(call, box, largest, t);
      compareListing(box, await listOne(call, box), 'the list');
      const { fetches } = await drain(
        call,
        box,
        box.sent.map((s) => s.id),
        run,
        t,
      );
      if ((await listOne(call, box)).length !== 0) throw new Error(`${box.label}: not empty when drained`);
      seen.push(
        `${over.length} B → ${refused.status}, in a batch → ${inBatch}; batch of ${heavyBytes} B → ${tooHeavy}, ` +
          `of ${many.length} blobs → ${tooMany}; 1 + a batch of ${perBatch} × ${MAX_MAILBOX_BLOB_BYTES} B ` +
          `taken, drained in ${fetches} fetches`,
      );
    })(),
    (async () => {
      // Filled in batches to one blob short of full, a batch of two is refused whole; one more blob
      // fills it to the byte, and one byte more is refused, alone or batched; drained, it takes more.
      const box = newBox('quota mailbox', PAIRS + 1);
      await claim(call, box);
      const fits = MAX_MAILBOX_BYTES / MAX_MAILBOX_BLOB_BYTES;
      const largest = (seq: number): Uint8Array<ArrayBuffer> =>
        makeBlob(run, box.number, seq, MAX_MAILBOX_BLOB_BYTES);
      for (let seq = 0; seq < fits - 1; seq += perBatch) {
        const n = Math.min(perBatch, fits - 1 - seq);
        await depositBatch(
          call,
          box,
          Array.from({ length: n }, (_, i) => largest(seq + i)),
          t,
        );
      }
      const pair = await refusedBatch(
        box,
        [largest(fits - 1), largest(fits)],
        'MAILBOX_FULL',
        `a batch of 2 × ${MAX_MAILBOX_BLOB_BYTES} B with room for one`,
      );
      compareListing(box, await listOne(call, box), 'the list after a refused batch');
      await deposit(call, box, largest(fits - 1), t);
      const full = await call('deposit', 'POST', boxPath(box, 'blobs'), { body: new Uint8Array([1]) });
      expectRefusal(full, 'MAILBOX_FULL', `${box.label}: one byte over ${MAX_MAILBOX_BYTES} B`);
      const fullBatch = await refusedBatch(
        box,
        [new Uint8Array([1])],
        'MAILBOX_FULL',
        `a batch of one byte over ${MAX_MAILBOX_BYTES} B`,
      );
      const listed = await listOne(call, box);
      compareListing(box, listed, 'the list of a full mailbox');
      const { fetches, partial } = await drain(
        call,
        box,
        listed.map((b) => b.id),
        run,
        t,
      );
      if (partial === 0) throw new Error(`${box.label}: ${MAX_MAILBOX_BYTES} B came in whole fetch answers`);
      await deposit(call, box, makeBlob(run, box.number, fits, MIN_BLOB), t);
      await drain(call, box, [box.sent[fits]!.id], run, t);
      if ((await listOne(call, box)).length !== 0) throw new Error(`${box.label}: not empty when drained`);
      seen.push(
        `${fits - 1} × ${MAX_MAILBOX_BLOB_BYTES} B then a batch of 2 → ${pair} (none kept), 1 more taken, ` +
          `then 1 B → ${full.status}, batched → ${fullBatch}, drained in ${fetches} fetches (${partial} partial)`,
      );
    })(),
    (async () => {
      // A wrong token reads, deletes and drops nothing, and cannot claim the id.
      const box = newBox('wrong-token mailbox', PAIRS + 2);
      await claim(call, box);
      const some = (seq: number): Uint8Array<ArrayBuffer> =>
        makeBlob(run, box.number, seq, randomInt(MIN_BLOB, MAX_BLOB + 1));
      await deposit(call, box, some(0), t);
      await depositBatch(call, box, [some(1), some(2)], t);
      const other = randomBytes(32).toString('base64url');
      const ids = box.sent.map((s) => s.id);
      const tries: [Kind, string, string, CallOptions, MailboxErrorCode][] = [
        ['get', 'GET', boxPath(box, 'blobs'), { token: other }, 'WRONG_TOKEN'],
        ['get', 'GET', boxPath(box, 'blobs'), {}, 'WRONG_TOKEN'],
        ['fetch', 'POST', boxPath(box, 'fetch'), { token: other, json: { ids } }, 'WRONG_TOKEN'],
        ['delete', 'POST', boxPath(box, 'delete'), { token: other, json: { ids } }, 'WRONG_TOKEN'],
        ['drop', 'DELETE', boxPath(box), { token: other }, 'WRONG_TOKEN'],
        ['claim', 'PUT', boxPath(box), { token: other }, 'ALREADY_CLAIMED'],
      ];
      for (const [kind, method, path, o, code] of tries) {
        const reply = await call(kind, method, path, o);
        expectRefusal(reply, code, `${box.label}: ${method} ${shortPath(path)} with a wrong or no token`);
      }
      const [entry] = await listMany(call, [box], [other]);
      if (entry === undefined || !('error' in entry) || entry.error.code !== 'WRONG_TOKEN') {
        throw new Error(`${box.label}: a list with a wrong token answered ${JSON.stringify(entry)}`);
      }
      const listed = await listOne(call, box);
      compareListing(box, listed, 'the list after the wrong token');
      await drain(call, box, ids, run, t);
      const dropped = await call('drop', 'DELETE', boxPath(box), { token: box.token });
      expectStatus(dropped, 204, `${box.label}: drop`);
      const gone = await call('deposit', 'POST', boxPath(box, 'blobs'), { body: new Uint8Array([1]) });
      expectRefusal(gone, 'NO_MAILBOX', `${box.label}: a deposit once dropped`);
      await refusedBatch(box, [new Uint8Array([1])], 'NO_MAILBOX', 'a batch once dropped');
      seen.push(
        `wrong token → 403 ×${tries.length - 1} + list entry, 409 on claim, 404 once dropped (single and batch)`,
      );
    })(),
  ]);
  return seen.join('; ');
}

// ── The pairs ────────────────────────────────────────────────────────────────────────────────────

interface Phases {
  claim: number;
  deposit: number;
  list: number;
  drain: number;
  finalList: number;
}

/** Runs `fn` for every box; false (with the failures in `t`) when any failed. */
async function phase<T>(items: readonly T[], fn: (item: T) => Promise<void>, t: Tallies): Promise<boolean> {
  const results = await Promise.allSettled(items.map(fn));
  let ok = true;
  for (const r of results) {
    if (r.status === 'rejected') {
      ok = false;
      problem(t, r.reason instanceof Error ? r.reason.message : String(r.reason));
    }
  }
  return ok;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

async function runPairs(
  call: Call,
  boxes: readonly Box[],
  run: Buffer,
  t: Tallies,
  phases: Phases,
  opening: { requests: number },
): Promise<void> {
  let t0 = Date.now();
  const lap = (): number => {
    const now = Date.now();
    const s = (now - t0) / 1000;
    t0 = now;
    return s;
  };
  if (!(await phase(boxes, async (box) => claim(call, box), t))) return;
  phases.claim = lap();

  const sent = await phase(
    boxes,
    async (box) => {
      // In order: the first SINGLES one a request, the rest BATCH a request.
      const blob = (seq: number): Uint8Array<ArrayBuffer> =>
        makeBlob(run, box.number, seq, randomInt(MIN_BLOB, MAX_BLOB + 1));
      for (let seq = 0; seq < SINGLES; seq++) await deposit(call, box, blob(seq), t);
      for (let seq = SINGLES; seq < MESSAGES; seq += BATCH) {
        const n = Math.min(BATCH, MESSAGES - seq);
        await depositBatch(
          call,
          box,
          Array.from({ length: n }, (_, i) => blob(seq + i)),
          t,
        );
      }
    },
    t,
  );
  phases.deposit = lap();
  if (!sent) return;

  // The recipients open: every mailbox listed, LIST_BATCH at a time.
  const listings = new Map<Box, readonly BlobListing[]>();
  const batches = chunks(boxes, LIST_BATCH);
  const listed = await phase(
    batches,
    async (batch) => {
      const results = await listMany(call, batch);
      opening.requests++;
      results.forEach((r, i) => {
        const box = batch[i]!;
        if ('error' in r) throw new Error(`${box.label}: the list answered ${r.error.code}`);
        compareListing(box, r.blobs, 'the opening list');
        t.listed += r.blobs.length;
        listings.set(box, r.blobs);
      });
    },
    t,
  );
  phases.list = lap();
  if (!listed) return;

  const drained = await phase(
    boxes,
    async (box) => {
      await drain(
        call,
        box,
        (listings.get(box) ?? []).map((b) => b.id),
        run,
        t,
      );
    },
    t,
  );
  phases.drain = lap();
  if (!drained) return;

  await phase(
    batches,
    async (batch) => {
      const results = await listMany(call, batch);
      results.forEach((r, i) => {
        const box = batch[i]!;
        if ('error' in r) throw new Error(`${box.label}: the last list answered ${r.error.code}`);
        t.leftOver += r.blobs.length;
        if (r.blobs.length > 0)
          throw new Error(`${box.label}: ${r.blobs.length} blobs left after the deletes`);
      });
    },
    t,
  );
  phases.finalList = lap();
}

async function main(): Promise<number> {
  const started = Date.now();
  const target = await startWorker(args.url);
  const workerNote = target.spawned ? `own wrangler dev, up in ${secondsSince(started)} s` : 'given by --url';
  console.log(
    `mailbox-load: worker ${target.httpUrl} (${workerNote}); ${PAIRS} pairs × ${MESSAGES} blobs of ` +
      `${MIN_BLOB}–${MAX_BLOB} B (${SINGLES} single, then batches of ${BATCH}), ` +
      `at most ${CONCURRENCY} requests in flight`,
  );

  const run = randomBytes(RUN_BYTES);
  const t = newTallies();
  /** The checks' own mailboxes, counted apart from the pairs'. */
  const tc = newTallies();
  const phases: Phases = { claim: 0, deposit: 0, list: 0, drain: 0, finalList: 0 };
  const opening = { requests: 0 };
  const abort = new AbortController();
  const { call, requests } = createClient(target, abort.signal);
  const boxes = Array.from({ length: PAIRS }, (_, i) => newBox(`pair ${i}`, i));
  let checks = '';
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, TIMEOUT_MS);

  const t0 = Date.now();
  let elapsed: string;
  let workerErrors: readonly string[];
  let died: string | null;
  let wranglerSaid: readonly string[];
  try {
    await Promise.all([
      runPairs(call, boxes, run, t, phases, opening),
      runChecks(call, run, tc).then(
        (seen) => {
          checks = seen;
        },
        (e: unknown) => problem(tc, e instanceof Error ? e.message : String(e)),
      ),
    ]);
  } finally {
    clearTimeout(watchdog);
    elapsed = secondsSince(t0);
    workerErrors = target.errors();
    died = target.died();
    // What came after its start, request lines left out (they fill the log and say nothing the
    // script did not see): the first lines, where a reload or a crash begins, then the last.
    const said = target
      .log()
      .filter((line) => !/\[wrangler:info\] (GET|POST|PUT|DELETE|OPTIONS) \//.test(line));
    const after = said.slice(said.findLastIndex((line) => line.includes('Ready on')) + 1);
    wranglerSaid = after.length <= 20 ? after : [...after.slice(0, 12), '…', ...after.slice(-8)];
    await target.stop();
  }

  const pairBlobs = PAIRS * MESSAGES;
  const pairDeposits = boxes.reduce((n, b) => n + b.sent.length, 0);
  const lost = t.deposited - t.delivered - t.corrupted;
  const seenProblems = [...t.problems, ...tc.problems];
  if (died !== null) seenProblems.unshift(died);
  if (timedOut) seenProblems.unshift(`stopped by the ${TIMEOUT_MS / 1000} s timeout`);
  const logged = workerErrors.map((line) => `worker log: ${line}`);
  const problems = [...seenProblems, ...logged];
  // The first of each: the script's own findings, then what the worker logged (often the cause).
  const shown = [...seenProblems.slice(0, 15), ...logged.slice(0, 20 - Math.min(15, seenProblems.length))];
  for (const line of shown) console.log(`mailbox-load: ${line}`);
  if (problems.length > shown.length)
    console.log(`mailbox-load: … and ${problems.length - shown.length} more`);

  const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
  const perSecond = (n: number): number => (phases.deposit > 0 ? Math.round(n / phases.deposit) : 0);
  const pairRequests = t.singles + t.batches;
  const wantRequests = PAIRS * (SINGLES + Math.ceil((MESSAGES - SINGLES) / BATCH));
  console.log(
    `mailbox-load: pairs ${PAIRS}, deposited ${t.deposited} blobs (${mib(t.depositedBytes)} MiB), ` +
      `listed ${t.listed}, fetched ${t.delivered} (${mib(t.fetchedBytes)} MiB) in ${t.fetches} fetches ` +
      `(${t.partialFetches} partial), deleted ${t.deleted}; wrong mailbox ${t.wrongMailbox}, foreign ${t.foreign}, ` +
      `duplicated ${t.duplicated}, corrupted ${t.corrupted}, out of order ${t.outOfOrder}, misfiled ${t.misfiled}, ` +
      `lost ${lost}, left over ${t.leftOver}; opening listed ${PAIRS} mailboxes in ${opening.requests} list ` +
      `requests; ${pairDeposits} pair blobs (${t.singles} single, ${t.batched} in ${t.batches} batches) ` +
      `in ${pairRequests} requests in ${phases.deposit.toFixed(1)} s = ${perSecond(pairDeposits)} blobs/s, ` +
      `${perSecond(pairRequests)} requests/s; checks' mailboxes: deposited ${tc.deposited} ` +
      `(${tc.singles} single, ${tc.batched} in ${tc.batches} batches), fetched ${tc.delivered}, ` +
      `deleted ${tc.deleted}; in ${elapsed} s`,
  );
  const total = [...requests.values()].reduce((a, b) => a + b, 0);
  const kinds = KINDS.map((k) => `${k} ${requests.get(k) ?? 0}`).join(', ');
  const laps = `claim ${phases.claim.toFixed(1)} s, deposit ${phases.deposit.toFixed(1)} s, list ${phases.list.toFixed(1)} s, drain ${phases.drain.toFixed(1)} s, last list ${phases.finalList.toFixed(1)} s`;
  console.log(
    `mailbox-load: requests ${total} (${kinds}); phases ${laps}; checks: ${checks || 'did not finish'}`,
  );
  const ok =
    problems.length === 0 &&
    checks !== '' &&
    pairDeposits === pairBlobs &&
    t.singles === PAIRS * SINGLES &&
    t.batched === PAIRS * (MESSAGES - SINGLES) &&
    pairRequests === wantRequests &&
    t.delivered === t.deposited &&
    t.deleted === t.deposited &&
    t.listed === pairBlobs &&
    lost === 0 &&
    tc.delivered === tc.deposited &&
    tc.deleted === tc.deposited &&
    t.leftOver === 0 &&
    opening.requests === Math.ceil(PAIRS / LIST_BATCH);
  // What wrangler said while in use (a reload or a crash shows there), when something went wrong.
  if (!ok) for (const line of wranglerSaid) console.log(`mailbox-load: wrangler: ${line}`);
  console.log(ok ? 'mailbox-load: OK' : 'mailbox-load: FAILED');
  return ok ? 0 : 1;
}

function secondsSince(t: number): string {
  return ((Date.now() - t) / 1000).toFixed(1);
}

// The last resort: whatever happens, the script ends (and the finally block above stops wrangler).
setTimeout(() => {
  console.error('mailbox-load: did not finish in time; exiting');
  process.exit(2);
}, TIMEOUT_MS + 60_000).unref();

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('mailbox-load: FAILED', e);
    process.exit(1);
  },
);
