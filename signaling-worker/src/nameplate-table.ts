/**
 * The Nameplates object's storage (nameplates.ts): its SQLite tables and every statement on them,
 * as functions over the object's `SqlStorage`, so that the object itself is only the protocol.
 *
 *   plates     one row a live nameplate: its number, a random id, a hash of its creator's address,
 *              its expiry, m1, the claims it had, whether the current claim's m2 went through, and
 *              the current claim's deadline for m2 (CLAIM_DEADLINE_MS);
 *   released   one row a number in quarantine: not handed out again before `free_at`;
 *   claimants  one row a client address (hashed) that claimed in the last NAMEPLATE_TTL_MS: when its
 *              window began and how many claims it had since (MAX_CLAIMS_PER_CLIENT); deleted
 *              when the window ends.
 */
import {
  MAX_CLAIMS_PER_CLIENT,
  MAX_LIVE_NAMEPLATES,
  MAX_NAMEPLATE,
  MAX_NAMEPLATES_PER_CLIENT,
  NAMEPLATE_TTL_MS,
} from '../../src/protocol/nameplate';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS plates (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    client TEXT NOT NULL,
    expires INTEGER NOT NULL,
    m1 TEXT,
    claims INTEGER NOT NULL,
    m2 INTEGER NOT NULL,
    deadline INTEGER
  );
  CREATE TABLE IF NOT EXISTS released (
    n INTEGER PRIMARY KEY,
    free_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS claimants (
    client TEXT PRIMARY KEY,
    since INTEGER NOT NULL,
    claims INTEGER NOT NULL
  );
`;

/** A live nameplate, as stored. */
export type Plate = {
  readonly n: number;
  /** Random, new for each nameplate: its WebSockets' tag, so a reused number reaches no old socket. */
  readonly id: string;
  /** A hash of the creator's address (`clientKey`), for the per-client limit. */
  readonly client: string;
  readonly expires: number;
  /** The creator's CPace message, kept for each claim; null until it came. */
  readonly m1: string | null;
  /** Joiners that got m1. */
  readonly claims: number;
  /** 1 once the current claim's m2 was passed to the creator, else 0. */
  readonly m2: number;
  /** When the current claim, which has m1 but has not sent m2, times out; else null. */
  readonly deadline: number | null;
};

/**
 * Creates the tables where they are missing, and adds `plates.deadline` to a table made before it
 * existed (every time the object starts: it is cheap).
 */
export function ensureSchema(sql: SqlStorage): void {
  sql.exec(SCHEMA);
  const columns = sql.exec<{ name: string }>('PRAGMA table_info(plates)').toArray();
  if (!columns.some((c) => c.name === 'deadline')) sql.exec('ALTER TABLE plates ADD COLUMN deadline INTEGER');
}

export function readPlate(sql: SqlStorage, n: number): Plate | null {
  return sql.exec<Plate>('SELECT * FROM plates WHERE n = ?', n).toArray()[0] ?? null;
}

export function allPlates(sql: SqlStorage): Plate[] {
  return sql.exec<Plate>('SELECT * FROM plates').toArray();
}

/**
 * A new nameplate for `client`, live for NAMEPLATE_TTL_MS from `now`; null when the client has
 * MAX_NAMEPLATES_PER_CLIENT live ones, or MAX_LIVE_NAMEPLATES are live, or no number is free.
 */
export function makePlate(sql: SqlStorage, client: string, now: number): Plate | null {
  const { total, mine } = countPlates(sql, client);
  if (mine >= MAX_NAMEPLATES_PER_CLIENT || total >= MAX_LIVE_NAMEPLATES) return null;
  const n = freeNumber(sql, now);
  return n === null ? null : insertPlate(sql, n, client, now + NAMEPLATE_TTL_MS);
}

/** Live nameplates in all, and those of one client. */
function countPlates(sql: SqlStorage, client: string): { total: number; mine: number } {
  return sql
    .exec<{
      total: number;
      mine: number;
    }>('SELECT count(*) AS total, coalesce(sum(client = ?), 0) AS mine FROM plates', client)
    .one();
}

/** A new nameplate `n` (free: see `freeNumber`) for `client`, live until `expires`. */
function insertPlate(sql: SqlStorage, n: number, client: string, expires: number): Plate {
  const plate: Plate = {
    n,
    id: crypto.randomUUID(),
    client,
    expires,
    m1: null,
    claims: 0,
    m2: 0,
    deadline: null,
  };
  sql.exec('DELETE FROM released WHERE n = ?', n);
  sql.exec(
    'INSERT INTO plates (n, id, client, expires, m1, claims, m2, deadline) VALUES (?, ?, ?, ?, NULL, 0, 0, NULL)',
    n,
    plate.id,
    client,
    expires,
  );
  return plate;
}

export function setM1(sql: SqlStorage, n: number, m1: string): void {
  sql.exec('UPDATE plates SET m1 = ? WHERE n = ?', m1, n);
}

/** The current claim's m2 went through: it is no longer bound by its deadline. */
export function setM2(sql: SqlStorage, n: number): void {
  sql.exec('UPDATE plates SET m2 = 1, deadline = NULL WHERE n = ?', n);
}

/** The current claim got m1: one more claim, which must send m2 by `deadline`. */
export function addClaim(sql: SqlStorage, n: number, deadline: number): void {
  sql.exec('UPDATE plates SET claims = claims + 1, deadline = ? WHERE n = ?', deadline, n);
}

/** The current claim ended before its m2 (left, or timed out): no deadline until the next. */
export function endClaim(sql: SqlStorage, n: number): void {
  sql.exec('UPDATE plates SET deadline = NULL WHERE n = ?', n);
}

/** True when the current claim of `plate` had m1 for CLAIM_DEADLINE_MS without sending m2. */
export function isOverdue(plate: Plate, now: number): boolean {
  return plate.deadline !== null && plate.deadline <= now;
}

/** True while `client` had fewer than MAX_CLAIMS_PER_CLIENT claims in its NAMEPLATE_TTL_MS window. */
export function mayClaim(sql: SqlStorage, client: string, now: number): boolean {
  const row = sql
    .exec<{ claims: number }>(
      'SELECT claims FROM claimants WHERE client = ? AND since > ?',
      client,
      now - NAMEPLATE_TTL_MS,
    )
    .toArray()[0];
  return (row?.claims ?? 0) < MAX_CLAIMS_PER_CLIENT;
}

/** Counts an accepted claim from `client`: a new window at `now` when its last one ended. */
export function countClaim(sql: SqlStorage, client: string, now: number): void {
  const ended = now - NAMEPLATE_TTL_MS;
  sql.exec(
    `INSERT INTO claimants (client, since, claims) VALUES (?, ?, 1)
     ON CONFLICT (client) DO UPDATE SET
       since = CASE WHEN since <= ? THEN excluded.since ELSE since END,
       claims = CASE WHEN since <= ? THEN 1 ELSE claims + 1 END`,
    client,
    now,
    ended,
    ended,
  );
}

/** Ends nameplate `n`: its row goes, and its number is quarantined for NAMEPLATE_TTL_MS from `now`. */
export function deletePlate(sql: SqlStorage, n: number, now: number): void {
  sql.exec('DELETE FROM plates WHERE n = ?', n);
  sql.exec('INSERT OR REPLACE INTO released (n, free_at) VALUES (?, ?)', n, now + NAMEPLATE_TTL_MS);
}

/** Forgets the quarantines and the claim windows that ended by `now`. */
export function forgetEnded(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM released WHERE free_at <= ?', now);
  sql.exec('DELETE FROM claimants WHERE since <= ?', now - NAMEPLATE_TTL_MS);
}

/** The next expiry, claim deadline, end of quarantine or end of a claim window; null for none. */
export function nextDeadline(sql: SqlStorage): number | null {
  return sql
    .exec<{ at: number | null }>(
      `SELECT min(at) AS at FROM (
         SELECT expires AS at FROM plates
         UNION ALL SELECT deadline AS at FROM plates WHERE deadline IS NOT NULL
         UNION ALL SELECT free_at AS at FROM released
         UNION ALL SELECT since + ? AS at FROM claimants
       )`,
      NAMEPLATE_TTL_MS,
    )
    .one().at;
}

/** A random number that is neither live nor quarantined at `now`, or null when there is none. */
function freeNumber(sql: SqlStorage, now: number): number | null {
  const taken = new Set<number>();
  const rows = sql.exec<{ n: number }>(
    'SELECT n FROM plates UNION SELECT n FROM released WHERE free_at > ?',
    now,
  );
  for (const { n } of rows) taken.add(n);
  const free: number[] = [];
  for (let n = 1; n <= MAX_NAMEPLATE; n++) if (!taken.has(n)) free.push(n);
  return free.length === 0 ? null : free[randomIndex(free.length)]!;
}

/** A uniformly random integer in [0, length), from the platform's CSPRNG. */
function randomIndex(length: number): number {
  const limit = Math.floor(0x1_0000_0000 / length) * length;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    if (word[0]! < limit) return word[0]! % length;
  }
}

/**
 * The client a per-client limit counts: a hash of its address (Cloudflare's `cf-connecting-ip`),
 * so no address is stored; one shared key where there is none (local development, tests).
 */
export async function clientKey(request: Request): Promise<string> {
  const address = request.headers.get('cf-connecting-ip') ?? 'local';
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`SecMsg nameplate ${address}`),
  );
  return [...new Uint8Array(digest, 0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
