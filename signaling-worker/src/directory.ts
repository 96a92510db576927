/**
 * The username directory (issue 15, item 3; the contract is src/protocol/directory.ts), reached by
 * the router over RPC (directory-routes.ts):
 *   - one Directory per handle hash (`idFromName(hash)`) holds that handle's claim: the owner hash
 *     (SHA-256 of the claimer's release secret), the card (opaque bytes, never parsed) and the
 *     expiry, CLAIM_TTL_MS after the last PUT, which is also its storage alarm;
 *   - one DirectoryLimiter per client address (`idFromName` of a hash of the address) counts that
 *     address's lookups and its claims and releases, across all handles, each in a fixed window.
 *
 * Nothing lives only in memory: both classes keep their rows in SQLite storage and have no fields,
 * so an eviction between any two calls loses nothing. A lookup of a handle nobody holds writes
 * nothing; a limiter forgets its (hashed) address when its last window ends.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  CLAIM_LIMIT,
  CLAIM_TTL_MS,
  CLAIM_WINDOW_MS,
  type DirectoryErrorCode,
  LOOKUP_LIMIT,
  LOOKUP_WINDOW_MS,
  MAX_CARD_BYTES,
} from '../../src/protocol/directory';

/** What a call returns: the result, or a refusal the router turns into its HTTP answer. */
export type DirectoryOutcome<T> =
  ({ readonly ok: true } & T) | { readonly ok: false; readonly code: DirectoryErrorCode };

const refuse = (code: DirectoryErrorCode): { ok: false; code: DirectoryErrorCode } => ({ ok: false, code });

const CLAIM_SCHEMA = `
  CREATE TABLE IF NOT EXISTS claim (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    owner BLOB NOT NULL,
    card BLOB NOT NULL,
    expires INTEGER NOT NULL
  );
`;

interface Claim {
  readonly owner: Uint8Array;
  readonly card: Uint8Array;
  readonly expires: number;
}

function isBytes(value: unknown, min: number, max: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length >= min && value.length <= max;
}

/** Equal bytes, in time that depends only on the lengths (the owner hash is the claim's key). */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export class Directory extends DurableObject<Env> {
  /** The live claim, or null (none, or past its expiry though the alarm has not run yet). */
  #claim(now: number): Claim | null {
    const tables = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'claim'")
      .one().n;
    if (tables === 0) return null;
    const row = this.ctx.storage.sql
      .exec<{ owner: ArrayBuffer; card: ArrayBuffer; expires: number }>(
        'SELECT owner, card, expires FROM claim',
      )
      .toArray()[0];
    if (!row || row.expires <= now) return null;
    return { owner: new Uint8Array(row.owner), card: new Uint8Array(row.card), expires: row.expires };
  }

  /** The card, when someone holds this handle. */
  lookup(): DirectoryOutcome<{ card: Uint8Array }> {
    const claim = this.#claim(Date.now());
    return claim ? { ok: true, card: claim.card } : refuse('NOT_FOUND');
  }

  /**
   * Claims this handle for `owner` (an owner hash) with `card`; the same owner again replaces the
   * card and starts CLAIM_TTL_MS anew; another owner is refused while the claim lives.
   */
  async claim(
    owner: Uint8Array,
    card: Uint8Array,
  ): Promise<DirectoryOutcome<{ created: boolean; expires: number }>> {
    if (!isBytes(owner, 32, 32) || !isBytes(card, 1, MAX_CARD_BYTES)) return refuse('BAD_REQUEST');
    const now = Date.now();
    const current = this.#claim(now);
    if (current && !constantTimeEqual(current.owner, owner)) return refuse('TAKEN');
    const expires = now + CLAIM_TTL_MS;
    this.ctx.storage.sql.exec(CLAIM_SCHEMA);
    this.ctx.storage.sql.exec(
      'INSERT OR REPLACE INTO claim (one, owner, card, expires) VALUES (1, ?, ?, ?)',
      ownBuffer(owner),
      ownBuffer(card),
      expires,
    );
    await this.ctx.storage.setAlarm(expires);
    return { ok: true, created: current === null, expires };
  }

  /** Frees the handle when SHA-256(`secret`) is the owner hash. */
  async release(secret: Uint8Array): Promise<DirectoryOutcome<object>> {
    if (!isBytes(secret, 32, 32)) return refuse('BAD_REQUEST');
    const claim = this.#claim(Date.now());
    if (!claim) return refuse('NOT_FOUND');
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', ownBuffer(secret)));
    if (!constantTimeEqual(hash, claim.owner)) return refuse('WRONG_SECRET');
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return { ok: true };
  }

  /** The claim's expiry: an expired claim goes with everything; a refreshed one waits again. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const claim = this.#claim(now);
    if (claim) {
      await this.ctx.storage.setAlarm(claim.expires);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}

// ── Rate limits per client address ───────────────────────────────────────────────────────────────

export type RateKind = 'lookup' | 'claim';

const WINDOWS: Record<RateKind, { limit: number; ms: number }> = {
  lookup: { limit: LOOKUP_LIMIT, ms: LOOKUP_WINDOW_MS },
  claim: { limit: CLAIM_LIMIT, ms: CLAIM_WINDOW_MS },
};

const RATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS rate (
    kind TEXT PRIMARY KEY,
    start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    ends INTEGER NOT NULL
  );
`;

export type RateOutcome = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

export class DirectoryLimiter extends DurableObject<Env> {
  /**
   * Counts one request of `kind`, or refuses it (counting nothing) when the window is full. A
   * window opens at the first request after the previous one ended.
   */
  async take(kind: RateKind): Promise<RateOutcome> {
    if (!Object.hasOwn(WINDOWS, kind)) throw new TypeError('Unknown rate kind.');
    const window = WINDOWS[kind];
    const now = Date.now();
    this.ctx.storage.sql.exec(RATE_SCHEMA);
    const row = this.ctx.storage.sql
      .exec<{ start: number; count: number }>('SELECT start, count FROM rate WHERE kind = ?', kind)
      .toArray()[0];
    if (!row || now - row.start >= window.ms || now < row.start) {
      this.ctx.storage.sql.exec(
        'INSERT OR REPLACE INTO rate (kind, start, count, ends) VALUES (?, ?, 1, ?)',
        kind,
        now,
        now + window.ms,
      );
      await this.#scheduleAlarm();
      return { ok: true };
    }
    if (row.count >= window.limit) {
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((row.start + window.ms - now) / 1000)) };
    }
    this.ctx.storage.sql.exec('UPDATE rate SET count = count + 1 WHERE kind = ?', kind);
    return { ok: true };
  }

  /** The alarm goes off when the first open window ends. */
  async #scheduleAlarm(): Promise<void> {
    const next = this.ctx.storage.sql
      .exec<{ ends: number | null }>('SELECT min(ends) AS ends FROM rate')
      .one().ends;
    if (next === null) return;
    if ((await this.ctx.storage.getAlarm()) !== next) await this.ctx.storage.setAlarm(next);
  }

  /** Ended windows go; with none left, so does the (hashed) address this object is named by. */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec(RATE_SCHEMA);
    this.ctx.storage.sql.exec('DELETE FROM rate WHERE ends <= ?', Date.now());
    const left = this.ctx.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM rate').one().n;
    if (left === 0) {
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.#scheduleAlarm();
  }
}
