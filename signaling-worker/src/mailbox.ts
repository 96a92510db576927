/**
 * One mailbox (DESIGN.md, Routes and delivery, item 4; the contract is src/protocol/mailbox.ts):
 * opaque blobs for one owner from one contact, reached by the router over RPC.
 *
 * Nothing lives only in memory: the owner's token hash, the blobs, the rate windows and the time
 * of the owner's last call are rows in this object's SQLite storage, and the next expiry is its
 * storage alarm. The class has no fields of its own, so an eviction between any two calls loses
 * nothing. An id nobody claimed stores nothing: a deposit there is refused before any write.
 *
 * The object never learns who deposits (the router passes a hash of the client's address, for
 * rate limits only, kept for one window) nor who owns it (a hash of a random token).
 */
import { DurableObject } from 'cloudflare:workers';
import {
  BLOB_TTL_MS,
  MAILBOX_IDLE_MS,
  MAX_FETCH_BYTES,
  MAX_MAILBOX_BLOBS,
  MAX_MAILBOX_BLOB_BYTES,
  MAX_MAILBOX_BYTES,
  type MailboxErrorCode,
  MAX_DEPOSIT_BATCH_BYTES,
  RATE_LIMIT_DEPOSITS,
  RATE_LIMIT_OWNER_REQUESTS,
  RATE_LIMIT_WRONG_TOKEN,
  RATE_WINDOW_MS,
  MIN_PUSH_INTERVAL_MS,
  type PushSubscriptionJson,
} from '../../src/protocol/mailbox';
import { type BlobListing } from '../../src/protocol/mailbox-json';
import { type FetchedBlob, encodeId16 } from '../../src/protocol/mailbox-binary';
import { sendWakeUp, vapidKey } from './push';

/** What every call returns: the result, or a refusal the router turns into its HTTP answer. */
export type MailboxOutcome<T> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly code: MailboxErrorCode; readonly retryAfterS?: number };

type Refusal = Extract<MailboxOutcome<object>, { ok: false }>;
const refuse = (code: MailboxErrorCode, retryAfterS?: number): Refusal =>
  retryAfterS === undefined ? { ok: false, code } : { ok: false, code, retryAfterS };

type RateKind = 'deposit' | 'owner' | 'wrong-token';
const RATE_LIMITS: Record<RateKind, number> = {
  deposit: RATE_LIMIT_DEPOSITS,
  owner: RATE_LIMIT_OWNER_REQUESTS,
  'wrong-token': RATE_LIMIT_WRONG_TOKEN,
};

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS owner (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    token_hash BLOB NOT NULL,
    last_call INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS blobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS push (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    mailbox TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    last_push INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS rate (
    client TEXT NOT NULL,
    kind TEXT NOT NULL,
    start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (client, kind)
  );
`;

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}

function randomBlobId(): string {
  return encodeId16(crypto.getRandomValues(new Uint8Array(16)));
}

export class Mailbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A mailbox claimed by an earlier version of this class gets the tables added since (all
    // CREATE … IF NOT EXISTS); an unclaimed one still stores nothing.
    if (this.#hasTables()) this.#ensureSchema();
  }

  /** The tables exist once anything was written; reading an unclaimed mailbox writes nothing. */
  #ensureSchema(): void {
    this.ctx.storage.sql.exec(SCHEMA);
  }

  #hasTables(): boolean {
    const row = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'owner'")
      .one();
    return row.n > 0;
  }

  #owner(): { tokenHash: ArrayBuffer; lastCall: number } | null {
    if (!this.#hasTables()) return null;
    const rows = this.ctx.storage.sql
      .exec<{ token_hash: ArrayBuffer; last_call: number }>('SELECT token_hash, last_call FROM owner')
      .toArray();
    const row = rows[0];
    return row ? { tokenHash: row.token_hash, lastCall: row.last_call } : null;
  }

  /** Counts `n` requests in the client's window; a refusal (counting nothing) when they do not fit. */
  #rate(client: string, kind: RateKind, now: number, n = 1): Refusal | null {
    const rows = this.ctx.storage.sql
      .exec<{ start: number; count: number }>(
        'SELECT start, count FROM rate WHERE client = ? AND kind = ?',
        client,
        kind,
      )
      .toArray();
    const row = rows[0];
    if (!row || now - row.start >= RATE_WINDOW_MS || now < row.start) {
      if (n > RATE_LIMITS[kind]) return refuse('RATE_LIMITED', Math.ceil(RATE_WINDOW_MS / 1000));
      this.ctx.storage.sql.exec(
        'INSERT OR REPLACE INTO rate (client, kind, start, count) VALUES (?, ?, ?, ?)',
        client,
        kind,
        now,
        n,
      );
      return null;
    }
    if (row.count + n > RATE_LIMITS[kind]) {
      return refuse('RATE_LIMITED', Math.max(1, Math.ceil((row.start + RATE_WINDOW_MS - now) / 1000)));
    }
    this.ctx.storage.sql.exec(
      'UPDATE rate SET count = count + ? WHERE client = ? AND kind = ?',
      n,
      client,
      kind,
    );
    return null;
  }

  /**
   * The owner's calls: the mailbox must exist, the token match and the client be within its window
   * (wrong tokens count in a window of their own, so that others behind the same address cannot use
   * up the owner's), before anything is read or changed. Marks the owner's call (the idle deadline).
   */
  async #asOwner(token: string, client: string): Promise<Refusal | null> {
    const owner = this.#owner();
    if (!owner) return refuse('NO_MAILBOX');
    const now = Date.now();
    if (!crypto.subtle.timingSafeEqual(await sha256(token), owner.tokenHash)) {
      const refusal = this.#rate(client, 'wrong-token', now) ?? refuse('WRONG_TOKEN');
      await this.#scheduleAlarm(); // the window's (hashed) address goes when it ends
      return refusal;
    }
    const limited = this.#rate(client, 'owner', now);
    if (limited) return limited;
    this.ctx.storage.sql.exec('UPDATE owner SET last_call = ?', now);
    await this.#scheduleAlarm();
    return null;
  }

  /**
   * The storage alarm goes off at the next blob's expiry, the end of the oldest rate window or the
   * idle deadline, whichever is first.
   */
  async #scheduleAlarm(): Promise<void> {
    const owner = this.#owner();
    if (!owner) return;
    const oldest = this.ctx.storage.sql
      .exec<{ at: number | null }>('SELECT min(at) AS at FROM blobs')
      .one().at;
    const window = this.ctx.storage.sql
      .exec<{ start: number | null }>('SELECT min(start) AS start FROM rate')
      .one().start;
    let next = owner.lastCall + MAILBOX_IDLE_MS;
    if (oldest !== null) next = Math.min(next, oldest + BLOB_TTL_MS);
    // A client's (hashed) address is kept no longer than its rate window.
    if (window !== null) next = Math.min(next, window + RATE_WINDOW_MS);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current !== next) await this.ctx.storage.setAlarm(next);
  }

  /** Claims this mailbox for `token`; claiming again with the same token is fine. */
  async claim(token: string, client: string): Promise<MailboxOutcome<{ created: boolean }>> {
    const owner = this.#owner();
    if (owner) {
      const refused = await this.#asOwner(token, client);
      if (refused) return refused.code === 'WRONG_TOKEN' ? refuse('ALREADY_CLAIMED') : refused;
      return { ok: true, created: false };
    }
    this.#ensureSchema();
    const now = Date.now();
    this.#rate(client, 'owner', now);
    this.ctx.storage.sql.exec(
      'INSERT INTO owner (one, token_hash, last_call) VALUES (1, ?, ?)',
      await sha256(token),
      now,
    );
    await this.#scheduleAlarm();
    return { ok: true, created: true };
  }

  /** Stores one blob, within the mailbox's quotas. */
  async deposit(data: Uint8Array, client: string): Promise<MailboxOutcome<BlobListing>> {
    const outcome = await this.depositMany([data], client);
    return outcome.ok ? { ok: true, ...outcome.blobs[0]! } : outcome;
  }

  /**
   * Stores several blobs, all or none: each counts as a deposit in the client's window, and all of
   * them must fit the mailbox's quotas.
   */
  async depositMany(
    blobs: readonly Uint8Array[],
    client: string,
  ): Promise<MailboxOutcome<{ blobs: BlobListing[] }>> {
    const list: unknown = blobs; // checked without narrowing `blobs` to any[]
    if (!Array.isArray(list) || list.length === 0) return refuse('BAD_REQUEST');
    let total = 0;
    for (const data of blobs) {
      if (!(data instanceof Uint8Array) || data.length === 0) return refuse('BAD_REQUEST');
      if (data.length > MAX_MAILBOX_BLOB_BYTES) return refuse('TOO_LARGE');
      total += data.length;
    }
    if (total > MAX_DEPOSIT_BATCH_BYTES) return refuse('TOO_LARGE');
    if (!this.#owner()) return refuse('NO_MAILBOX');
    const now = Date.now();
    const limited = this.#rate(client, 'deposit', now, blobs.length);
    if (limited) return limited;
    const held = this.ctx.storage.sql
      .exec<{ n: number; bytes: number | null }>('SELECT count(*) AS n, sum(size) AS bytes FROM blobs')
      .one();
    if (held.n + blobs.length > MAX_MAILBOX_BLOBS || (held.bytes ?? 0) + total > MAX_MAILBOX_BYTES) {
      await this.#scheduleAlarm(); // the window's (hashed) address goes when it ends
      return refuse('MAILBOX_FULL');
    }
    const stored = this.ctx.storage.transactionSync(() =>
      blobs.map((data) => {
        const id = randomBlobId();
        this.ctx.storage.sql.exec(
          'INSERT INTO blobs (id, at, size, data) VALUES (?, ?, ?, ?)',
          id,
          now,
          data.length,
          data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
        );
        return { id, size: data.length, at: now };
      }),
    );
    await this.#scheduleAlarm();
    this.#wakeOwner(now);
    return { ok: true, blobs: stored };
  }

  /**
   * After a deposit: a push to the owner's device, when it asked for them and the last one is
   * MIN_PUSH_INTERVAL_MS old. Sent after the answer (waitUntil); a subscription the push service
   * says is gone is forgotten.
   */
  #wakeOwner(now: number): void {
    const row = this.ctx.storage.sql
      .exec<{ mailbox: string; endpoint: string; p256dh: string; auth: string; last_push: number }>(
        'SELECT mailbox, endpoint, p256dh, auth, last_push FROM push',
      )
      .toArray()[0];
    if (!row || (now - row.last_push < MIN_PUSH_INTERVAL_MS && now >= row.last_push)) return;
    this.ctx.storage.sql.exec('UPDATE push SET last_push = ?', now);
    const subscription = { endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } };
    this.ctx.waitUntil(
      sendWakeUp(this.env, subscription, row.mailbox).then((outcome) => {
        if (outcome === 'gone')
          this.ctx.storage.sql.exec('DELETE FROM push WHERE endpoint = ?', row.endpoint);
      }),
    );
  }

  /** The owner asks to be woken by a push on each deposit (at most one per interval). */
  async setPush(
    token: string,
    mailboxId: string,
    subscription: PushSubscriptionJson,
    client: string,
  ): Promise<MailboxOutcome<object>> {
    if (!vapidKey(this.env)) return refuse('PUSH_UNAVAILABLE');
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO push (one, mailbox, endpoint, p256dh, auth, last_push) VALUES (1, ?, ?, ?, ?, 0)',
      mailboxId,
      subscription.endpoint,
      subscription.keys.p256dh,
      subscription.keys.auth,
    );
    return { ok: true };
  }

  /** No more pushes for this mailbox. */
  async clearPush(token: string, client: string): Promise<MailboxOutcome<object>> {
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    this.ctx.storage.sql.exec('DELETE FROM push');
    return { ok: true };
  }

  /** The blobs held, oldest first: ids, sizes and times, no content. */
  async list(token: string, client: string): Promise<MailboxOutcome<{ blobs: BlobListing[] }>> {
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    const blobs = this.ctx.storage.sql
      .exec<{ id: string; size: number; at: number }>('SELECT id, size, at FROM blobs ORDER BY seq')
      .toArray()
      .map(({ id, size, at }) => ({ id, size, at }));
    return { ok: true, blobs };
  }

  /**
   * The named blobs that are held, oldest first, up to MAX_FETCH_BYTES (at least one); a named
   * blob that is gone is left out (the owner deleted it already, or it expired).
   */
  async fetchBlobs(
    token: string,
    ids: readonly string[],
    client: string,
  ): Promise<MailboxOutcome<{ blobs: FetchedBlob[] }>> {
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    const wanted = new Set(ids);
    const blobs: FetchedBlob[] = [];
    let bytes = 0;
    const cursor = this.ctx.storage.sql.exec<{ id: string; at: number; data: ArrayBuffer }>(
      `SELECT id, at, data FROM blobs WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY seq`,
      ...ids,
    );
    for (const row of cursor) {
      if (!wanted.has(row.id)) continue;
      if (blobs.length > 0 && bytes + row.data.byteLength > MAX_FETCH_BYTES) break;
      bytes += row.data.byteLength;
      blobs.push({ id: row.id, at: row.at, data: new Uint8Array(row.data) });
    }
    return { ok: true, blobs };
  }

  /** Deletes the named blobs (the owner stored them); names of blobs already gone are fine. */
  async remove(
    token: string,
    ids: readonly string[],
    client: string,
  ): Promise<MailboxOutcome<{ deleted: number }>> {
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    const cursor = this.ctx.storage.sql.exec(
      `DELETE FROM blobs WHERE id IN (${ids.map(() => '?').join(',')})`,
      ...ids,
    );
    const deleted = cursor.rowsWritten;
    await this.#scheduleAlarm();
    return { ok: true, deleted };
  }

  /** Deletes the mailbox and everything in it (a replaced mailbox, once drained). */
  async drop(token: string, client: string): Promise<MailboxOutcome<object>> {
    const refused = await this.#asOwner(token, client);
    if (refused) return refused;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return { ok: true };
  }

  /** Expired blobs go; a mailbox idle past MAILBOX_IDLE_MS goes whole; old rate windows go. */
  override async alarm(): Promise<void> {
    const owner = this.#owner();
    if (!owner) {
      await this.ctx.storage.deleteAll();
      return;
    }
    const now = Date.now();
    if (now - owner.lastCall >= MAILBOX_IDLE_MS) {
      await this.ctx.storage.deleteAll();
      return;
    }
    this.ctx.storage.sql.exec('DELETE FROM blobs WHERE at <= ?', now - BLOB_TTL_MS);
    this.ctx.storage.sql.exec('DELETE FROM rate WHERE start <= ?', now - RATE_WINDOW_MS);
    await this.#scheduleAlarm();
  }
}
