/**
 * The Nameplates object's storage (nameplates.ts): its SQLite tables and every statement on them,
 * as functions over the object's `SqlStorage`, so that the object itself is only the protocol.
 *
 *   plates    one row a live nameplate: its number, a random id, a hash of its creator's address,
 *             its expiry, m1, the claims it had and whether the current claim's m2 went through;
 *   released  one row a number in quarantine: not handed out again before `free_at`.
 */
import { MAX_NAMEPLATE, NAMEPLATE_TTL_MS } from '../../src/protocol/nameplate';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS plates (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    client TEXT NOT NULL,
    expires INTEGER NOT NULL,
    m1 TEXT,
    claims INTEGER NOT NULL,
    m2 INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS released (
    n INTEGER PRIMARY KEY,
    free_at INTEGER NOT NULL
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
};

/** Creates the tables where they are missing (every time the object starts: it is cheap). */
export function ensureSchema(sql: SqlStorage): void {
  sql.exec(SCHEMA);
}

export function readPlate(sql: SqlStorage, n: number): Plate | null {
  return sql.exec<Plate>('SELECT * FROM plates WHERE n = ?', n).toArray()[0] ?? null;
}

export function allPlates(sql: SqlStorage): Plate[] {
  return sql.exec<Plate>('SELECT * FROM plates').toArray();
}

/** Live nameplates in all, and those of one client. */
export function countPlates(sql: SqlStorage, client: string): { total: number; mine: number } {
  return sql
    .exec<{
      total: number;
      mine: number;
    }>('SELECT count(*) AS total, coalesce(sum(client = ?), 0) AS mine FROM plates', client)
    .one();
}

/** A new nameplate `n` (free: see `freeNumber`) for `client`, live until `expires`. */
export function insertPlate(sql: SqlStorage, n: number, client: string, expires: number): Plate {
  const plate: Plate = { n, id: crypto.randomUUID(), client, expires, m1: null, claims: 0, m2: 0 };
  sql.exec('DELETE FROM released WHERE n = ?', n);
  sql.exec(
    'INSERT INTO plates (n, id, client, expires, m1, claims, m2) VALUES (?, ?, ?, ?, NULL, 0, 0)',
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

export function setM2(sql: SqlStorage, n: number): void {
  sql.exec('UPDATE plates SET m2 = 1 WHERE n = ?', n);
}

export function addClaim(sql: SqlStorage, n: number): void {
  sql.exec('UPDATE plates SET claims = claims + 1 WHERE n = ?', n);
}

/** Ends nameplate `n`: its row goes, and its number is quarantined for NAMEPLATE_TTL_MS from `now`. */
export function deletePlate(sql: SqlStorage, n: number, now: number): void {
  sql.exec('DELETE FROM plates WHERE n = ?', n);
  sql.exec('INSERT OR REPLACE INTO released (n, free_at) VALUES (?, ?)', n, now + NAMEPLATE_TTL_MS);
}

/** Forgets the quarantines that ended by `now`. */
export function forgetReleased(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM released WHERE free_at <= ?', now);
}

/** The next expiry or end of quarantine, or null when there is neither. */
export function nextDeadline(sql: SqlStorage): number | null {
  return sql
    .exec<{ at: number | null }>(
      'SELECT min(at) AS at FROM (SELECT expires AS at FROM plates UNION ALL SELECT free_at AS at FROM released)',
    )
    .one().at;
}

/** A random number that is neither live nor quarantined at `now`, or null when there is none. */
export function freeNumber(sql: SqlStorage, now: number): number | null {
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
