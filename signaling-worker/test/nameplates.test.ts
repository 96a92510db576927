/**
 * The short code's meeting place (the contract is src/protocol/nameplate.ts): the exchange, its
 * order rules and claims, the claim deadline, the limits (per nameplate, per address), expiry by
 * the alarm, eviction, and bad input. Every test
 * talks to the one Nameplates object, so each socket comes from an address of its own unless a
 * test says otherwise, and a test that fills the number space in storage empties it again.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLAIM_DEADLINE_MS,
  MAX_CLAIMS,
  MAX_CLAIMS_PER_CLIENT,
  MAX_NAMEPLATE,
  MAX_NAMEPLATES_PER_CLIENT,
  MAX_NAMEPLATE_FRAME_LENGTH,
  MAX_PAKE_BYTES,
  NAMEPLATE_PATH,
  NAMEPLATE_TTL_MS,
  NameplateCloseCode,
  PING_FRAME,
  PONG_FRAME,
  RATE_LIMIT_MESSAGES,
  decodeNameplateServerMessage,
  encodeNameplateClientMessage,
  nameplateCloseReason,
  nameplatePath,
} from '../../src/protocol/nameplate';
import { clientKey, ensureSchema, nextDeadline } from '../src/nameplate-table';
import { Client, ORIGIN, blob, upgrade } from './helpers';

/** The messages of short-code.ts's CPace exchange are 49, 96 and 64 bytes. */
const M1 = blob(49, 1);
const M2 = blob(96, 2);
const M3 = blob(64, 3);
const CLAIMED = '{"t":"claimed"}';
const UNCLAIMED = '{"t":"unclaimed"}';
/** A ping that is not byte-for-byte PING_FRAME: the object answers it, after every earlier frame. */
const OBJECT_PING = '{ "t": "ping" }';
const FINISHED = { code: 1000, reason: 'exchange finished' };

const pake = (d: string): string => encodeNameplateClientMessage({ t: 'pake', d });
const stub = (): DurableObjectStub<import('../src/nameplates').Nameplates> =>
  env.NAMEPLATES.get(env.NAMEPLATES.idFromName('nameplates'));

let addresses = 0;
/** A client address nobody else in this file uses (documentation prefix 2001:db8::/32). */
function newAddress(): string {
  addresses += 1;
  return `2001:db8::${addresses.toString(16)}`;
}

/** Opens a nameplate socket from `address` (null: no `cf-connecting-ip` at all). */
async function open(path: string, address: string | null = newAddress()): Promise<Client> {
  const headers: Record<string, string> = address === null ? {} : { 'cf-connecting-ip': address };
  const response = await upgrade(path, { headers });
  expect(response.status).toBe(101);
  return new Client(response.webSocket!);
}

/** A new nameplate, read from its creator's first message. */
async function create(address?: string | null): Promise<{ creator: Client; n: number; expires: number }> {
  const creator = await open(NAMEPLATE_PATH, address);
  const msg = decodeNameplateServerMessage(await creator.nextText());
  if (msg.t !== 'nameplate') throw new Error(`Expected a nameplate, got ${JSON.stringify(msg)}`);
  return { creator, n: msg.n, expires: msg.expires };
}

/** A joiner's claim of `n` (from `address`), which its creator hears of. */
async function claim(n: number, creator: Client, address?: string | null): Promise<Client> {
  const joiner = await open(nameplatePath(n), address);
  expect(await creator.nextText()).toBe(CLAIMED);
  return joiner;
}

/** A nameplate with m1 given and claimed: the joiner has m1. */
async function claimed(): Promise<{ creator: Client; joiner: Client; n: number }> {
  const { creator, n } = await create();
  creator.send(pake(M1));
  const joiner = await claim(n, creator);
  expect(await joiner.nextText()).toBe(pake(M1));
  return { creator, joiner, n };
}

async function expectClosed(client: Client, code: NameplateCloseCode): Promise<void> {
  expect(await client.closeCode()).toEqual({ code, reason: nameplateCloseReason(code) });
}

/** A claim of `n` refused with `code`. */
async function expectClaimRefused(n: number, code: NameplateCloseCode): Promise<void> {
  await expectClosed(await open(nameplatePath(n)), code);
}

/** The current claim's deadline for m2, or null. */
async function deadlineOf(n: number): Promise<number | null | undefined> {
  return (await sql<{ deadline: number | null }>('SELECT deadline FROM plates WHERE n = ?', n))[0]?.deadline;
}

/** The key the per-address limits count `address` under (null: no `cf-connecting-ip`). */
async function keyOf(address: string | null): Promise<string> {
  const headers: Record<string, string> = address === null ? {} : { 'cf-connecting-ip': address };
  return clientKey(new Request(ORIGIN, { headers }));
}

async function sql<T extends Record<string, SqlStorageValue>>(
  query: string,
  ...bindings: SqlStorageValue[]
): Promise<T[]> {
  return runInDurableObject(stub(), (_object, state) =>
    state.storage.sql.exec<T>(query, ...bindings).toArray(),
  );
}

/** Numbers put in quarantine by `fillNumbers`, taken out again after each test. */
let filled: number[] = [];

/** Puts every number that is neither live nor quarantined, but `except`, in quarantine. */
async function fillNumbers(except: readonly number[] = []): Promise<void> {
  const taken = new Set(
    (await sql<{ n: number }>('SELECT n FROM plates UNION SELECT n FROM released')).map((r) => r.n),
  );
  const free: number[] = [];
  for (let n = 1; n <= MAX_NAMEPLATE; n++) if (!taken.has(n) && !except.includes(n)) free.push(n);
  await runInDurableObject(stub(), (_object, state) => {
    for (const n of free) {
      state.storage.sql.exec(
        'INSERT INTO released (n, free_at) VALUES (?, ?)',
        n,
        Date.now() + NAMEPLATE_TTL_MS,
      );
    }
  });
  filled = [...filled, ...free];
}

afterEach(async () => {
  if (filled.length === 0) return;
  const numbers = filled;
  filled = [];
  await runInDurableObject(stub(), (_object, state) => {
    for (const n of numbers) state.storage.sql.exec('DELETE FROM released WHERE n = ?', n);
  });
});

describe('the exchange', () => {
  it('passes m1 (sent before the claim), m2 and m3, then closes both with 1000 and releases the number', async () => {
    const before = Date.now();
    const { creator, n, expires } = await create();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(MAX_NAMEPLATE);
    expect(expires).toBeGreaterThanOrEqual(before + NAMEPLATE_TTL_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + NAMEPLATE_TTL_MS);
    creator.send(pake(M1));
    await creator.expectHandled();

    const joiner = await claim(n, creator);
    expect(await joiner.nextText()).toBe(pake(M1));
    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    creator.send(pake(M3));
    expect(await joiner.nextText()).toBe(pake(M3));
    expect(await joiner.closeCode()).toEqual(FINISHED);
    expect(await creator.closeCode()).toEqual(FINISHED);

    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
    expect(await sql('SELECT * FROM plates WHERE n = ?', n)).toEqual([]);
    const [released] = await sql<{ free_at: number }>('SELECT free_at FROM released WHERE n = ?', n);
    expect(released?.free_at).toBeGreaterThan(Date.now() + NAMEPLATE_TTL_MS - 60_000);
  });

  it('passes m1 sent after the claim as soon as it comes', async () => {
    const { creator, n } = await create();
    const joiner = await claim(n, creator);
    await joiner.expectNothingPending();
    creator.send(pake(M1));
    expect(await joiner.nextText()).toBe(pake(M1));
    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    creator.send(pake(M3));
    expect(await joiner.nextText()).toBe(pake(M3));
    expect(await joiner.closeCode()).toEqual(FINISHED);
    expect(await creator.closeCode()).toEqual(FINISHED);
  });

  it('allows one exchange per claim: a second m2 is out of turn and ends the nameplate', async () => {
    const { creator, joiner, n } = await claimed();
    joiner.send(pake(M2));
    joiner.send(pake(M2));
    await expectClosed(joiner, NameplateCloseCode.OUT_OF_TURN);
    expect(await creator.nextText()).toBe(pake(M2));
    await expectClosed(creator, NameplateCloseCode.JOINER_LEFT);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });

  it('refuses m2 before m1 as out of turn, and the creator may be claimed again', async () => {
    const { creator, n } = await create();
    const joiner = await claim(n, creator);
    joiner.send(pake(M2));
    await expectClosed(joiner, NameplateCloseCode.OUT_OF_TURN);
    expect(await creator.nextText()).toBe(UNCLAIMED);
    const next = await claim(n, creator);
    await next.expectNothingPending();
  });

  it("refuses the creator's second message before m2 as out of turn (the joiner hears CREATOR_LEFT)", async () => {
    const { creator, joiner, n } = await claimed();
    creator.send(pake(M3));
    await expectClosed(creator, NameplateCloseCode.OUT_OF_TURN);
    await expectClosed(joiner, NameplateCloseCode.CREATOR_LEFT);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });

  it('ends a claim whose joiner leaves before m2: the creator hears unclaimed and the next claim works', async () => {
    const { creator, joiner, n } = await claimed();
    joiner.close();
    expect(await creator.nextText()).toBe(UNCLAIMED);

    const second = await claim(n, creator);
    expect(await second.nextText()).toBe(pake(M1)); // the same m1, kept for each claim
    second.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    creator.send(pake(M3));
    expect(await second.nextText()).toBe(pake(M3));
    expect(await second.closeCode()).toEqual(FINISHED);
    expect(await creator.closeCode()).toEqual(FINISHED);
  });
});

describe('claims', () => {
  it(`counts joiners that got m1: after ${MAX_CLAIMS}, joiners hear TOO_MANY_ATTEMPTS`, async () => {
    const { creator, n } = await create();
    const early = await claim(n, creator); // gone before m1: not a claim that counts
    early.close();
    expect(await creator.nextText()).toBe(UNCLAIMED);
    creator.send(pake(M1));
    for (let i = 0; i < MAX_CLAIMS; i++) {
      const joiner = await claim(n, creator);
      expect(await joiner.nextText()).toBe(pake(M1));
      joiner.close();
      expect(await creator.nextText()).toBe(UNCLAIMED);
    }
    expect(await sql('SELECT claims FROM plates WHERE n = ?', n)).toEqual([{ claims: MAX_CLAIMS }]);
    await expectClaimRefused(n, NameplateCloseCode.TOO_MANY_ATTEMPTS);
    await expectClaimRefused(n, NameplateCloseCode.TOO_MANY_ATTEMPTS);
    await creator.expectNothingPending(); // still waiting, told nothing of the refusals
  });

  it('refuses a second joiner with BUSY and leaves the claim alone', async () => {
    const { creator, n } = await create();
    const joiner = await claim(n, creator);
    await expectClaimRefused(n, NameplateCloseCode.BUSY);
    await creator.expectNothingPending();
    creator.send(pake(M1));
    expect(await joiner.nextText()).toBe(pake(M1));
    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
  });

  it('closes the joiner with CREATOR_LEFT when the creator leaves, and releases the number', async () => {
    const { creator, joiner, n } = await claimed();
    creator.close();
    await expectClosed(joiner, NameplateCloseCode.CREATOR_LEFT);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
    expect(await sql('SELECT n FROM released WHERE n = ?', n)).toEqual([{ n }]);
  });

  it('closes the creator with JOINER_LEFT when the joiner leaves after m2', async () => {
    const { creator, joiner, n } = await claimed();
    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    joiner.close();
    await expectClosed(creator, NameplateCloseCode.JOINER_LEFT);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });

  it('refuses a claim of a number nobody holds with NO_SUCH_NAMEPLATE', async () => {
    const live = (await sql<{ n: number }>('SELECT n FROM plates')).map((r) => r.n);
    const free = Array.from({ length: MAX_NAMEPLATE }, (_, i) => i + 1).find((n) => !live.includes(n))!;
    await expectClaimRefused(free, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });
});

describe('claim deadline', () => {
  it(`closes a joiner that had m1 for ${CLAIM_DEADLINE_MS} ms without m2 with CLAIM_TIMEOUT (by the alarm); the claim still counts`, async () => {
    const before = Date.now();
    const { creator, joiner, n } = await claimed();
    const deadline = await deadlineOf(n);
    expect(deadline).toBeGreaterThanOrEqual(before + CLAIM_DEADLINE_MS);
    expect(deadline).toBeLessThanOrEqual(Date.now() + CLAIM_DEADLINE_MS);
    const alarm = await runInDurableObject(stub(), async (_object, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm).toBeLessThanOrEqual(deadline!);

    await sql('UPDATE plates SET deadline = ? WHERE n = ?', Date.now() - 1, n);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    await expectClosed(joiner, NameplateCloseCode.CLAIM_TIMEOUT);
    expect(await creator.nextText()).toBe(UNCLAIMED);
    expect(await sql('SELECT claims, deadline FROM plates WHERE n = ?', n)).toEqual([
      { claims: 1, deadline: null },
    ]);

    const next = await claim(n, creator); // the nameplate is free again
    expect(await next.nextText()).toBe(pake(M1));
    next.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    creator.send(pake(M3));
    expect(await next.nextText()).toBe(pake(M3));
    expect(await next.closeCode()).toEqual(FINISHED);
  });

  it('counts from m1 when it comes after the claim, and ends once m2 went through', async () => {
    const { creator, n } = await create();
    const joiner = await claim(n, creator);
    expect(await deadlineOf(n)).toBeNull(); // no m1 yet: no claim to time out
    const before = Date.now();
    creator.send(pake(M1));
    expect(await joiner.nextText()).toBe(pake(M1));
    expect(await deadlineOf(n)).toBeGreaterThanOrEqual(before + CLAIM_DEADLINE_MS);

    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    expect(await deadlineOf(n)).toBeNull();
    await runDurableObjectAlarm(stub());
    await joiner.expectNothingPending();
    creator.send(pake(M3));
    expect(await joiner.nextText()).toBe(pake(M3));
    expect(await joiner.closeCode()).toEqual(FINISHED);
  });

  it('refuses m2 past the deadline before the alarm came: CLAIM_TIMEOUT, and the creator hears unclaimed', async () => {
    const { creator, joiner, n } = await claimed();
    await sql('UPDATE plates SET deadline = ? WHERE n = ?', Date.now() - 1, n);
    joiner.send(pake(M2));
    await expectClosed(joiner, NameplateCloseCode.CLAIM_TIMEOUT);
    expect(await creator.nextText()).toBe(UNCLAIMED); // and not m2
    await creator.expectNothingPending();
  });

  it('keeps the deadline across a torn-down instance: a claim past it lets the next joiner in', async () => {
    const { creator, joiner, n } = await claimed();
    await evictDurableObject(stub());
    await sql('UPDATE plates SET deadline = ? WHERE n = ?', Date.now() - 1, n);
    const next = await open(nameplatePath(n)); // not BUSY: the idle claim ends first
    await expectClosed(joiner, NameplateCloseCode.CLAIM_TIMEOUT);
    expect(await creator.nextText()).toBe(UNCLAIMED);
    expect(await creator.nextText()).toBe(CLAIMED);
    expect(await next.nextText()).toBe(pake(M1));
  });
});

describe('expiry', () => {
  it('closes both with EXPIRED when the alarm finds the nameplate old, and keeps the number out of use', async () => {
    const { creator, joiner, n, expires } = await (async () => {
      const made = await create();
      const j = await claim(made.n, made.creator);
      return { ...made, joiner: j };
    })();
    const alarm = await runInDurableObject(stub(), async (_object, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm).toBeLessThanOrEqual(expires);

    await sql('UPDATE plates SET expires = ? WHERE n = ?', Date.now() - 1, n);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    await expectClosed(creator, NameplateCloseCode.EXPIRED);
    await expectClosed(joiner, NameplateCloseCode.EXPIRED);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);

    // Every other number taken: n is not handed out while quarantined, and is once that ends.
    await fillNumbers();
    await expectClosed(await open(NAMEPLATE_PATH), NameplateCloseCode.NO_FREE_NAMEPLATE);
    await sql('UPDATE released SET free_at = ? WHERE n = ?', Date.now() - 1, n);
    const again = await create();
    expect(again.n).toBe(n);
    again.creator.close();
  });

  it('forgets a quarantine when it ends', async () => {
    const { creator, n } = await create();
    creator.close();
    await creator.closeCode();
    await sql('UPDATE released SET free_at = ? WHERE n = ?', Date.now() - 1, n);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    expect(await sql('SELECT n FROM released WHERE n = ?', n)).toEqual([]);
  });
});

describe('eviction', () => {
  it('adds the deadline column to a plates table made before it', async () => {
    const columns = async (): Promise<string[]> =>
      (await sql<{ name: string }>('PRAGMA table_info(plates)')).map((c) => c.name);
    await runInDurableObject(stub(), (_object, state) => {
      state.storage.sql.exec('ALTER TABLE plates DROP COLUMN deadline');
    });
    expect(await columns()).not.toContain('deadline');
    await runInDurableObject(stub(), (_object, state) => ensureSchema(state.storage.sql));
    expect(await columns()).toContain('deadline');
  });

  it('keeps nameplates, claims and roles across torn-down instances mid-exchange', async () => {
    const { creator, joiner, n } = await claimed();
    const before = await runInDurableObject(stub(), (object) => object);
    await evictDurableObject(stub()); // the sockets hibernate; the instance and its memory are gone
    expect(await runInDurableObject(stub(), (object) => object)).not.toBe(before);

    await expectClaimRefused(n, NameplateCloseCode.BUSY);
    await evictDurableObject(stub());
    joiner.send(pake(M2));
    expect(await creator.nextText()).toBe(pake(M2));
    await evictDurableObject(stub());
    creator.send(pake(M3));
    expect(await joiner.nextText()).toBe(pake(M3));
    expect(await joiner.closeCode()).toEqual(FINISHED);
    expect(await creator.closeCode()).toEqual(FINISHED);
  });

  it('releases the nameplates whose creators vanished without a close event (a restart)', async () => {
    const address = newAddress();
    const made: { creator: Client; n: number }[] = [];
    for (let i = 0; i < MAX_NAMEPLATES_PER_CLIENT; i++) made.push(await create(address));
    await evictDurableObject(stub(), { webSockets: 'close' });
    for (const { creator } of made) await creator.closeCode();

    (await create(address)).creator.close(); // the address has its allowance back
    for (const { n } of made) await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });
});

describe('limits', () => {
  it(`gives one address at most ${MAX_NAMEPLATES_PER_CLIENT} live nameplates`, async () => {
    const address = newAddress();
    const creators: Client[] = [];
    for (let i = 0; i < MAX_NAMEPLATES_PER_CLIENT; i++) creators.push((await create(address)).creator);
    await expectClosed(await open(NAMEPLATE_PATH, address), NameplateCloseCode.NO_FREE_NAMEPLATE);
    (await create()).creator.close(); // another address still may

    const last = creators.pop()!;
    last.close();
    await last.closeCode();
    const again = await create(address);
    again.creator.close();
    for (const creator of creators) creator.close();
  });

  it('counts requests without an address in one shared bucket', async () => {
    const creators: Client[] = [];
    for (let i = 0; i < MAX_NAMEPLATES_PER_CLIENT; i++) creators.push((await create(null)).creator);
    await expectClosed(await open(NAMEPLATE_PATH, null), NameplateCloseCode.NO_FREE_NAMEPLATE);
    for (const creator of creators) creator.close();
    await Promise.all(creators.map(async (c) => c.closeCode()));
    (await create(null)).creator.close();
  });

  it(`refuses claim number ${MAX_CLAIMS_PER_CLIENT + 1} from one address in the window with TOO_MANY_CLAIMS, on any nameplate`, async () => {
    const address = newAddress();
    const key = await keyOf(address);
    const { creator, n } = await create(); // no m1: these claims do not count against MAX_CLAIMS
    const holder = await claim(n, creator);
    await expectClosed(await open(nameplatePath(n), address), NameplateCloseCode.BUSY); // not counted
    holder.close();
    expect(await creator.nextText()).toBe(UNCLAIMED);
    for (let i = 0; i < MAX_CLAIMS_PER_CLIENT; i++) {
      (await claim(n, creator, address)).close();
      expect(await creator.nextText()).toBe(UNCLAIMED);
    }
    expect(await sql('SELECT claims FROM claimants WHERE client = ?', key)).toEqual([
      { claims: MAX_CLAIMS_PER_CLIENT },
    ]);

    const other = await create();
    const live = (await sql<{ n: number }>('SELECT n FROM plates')).map((r) => r.n);
    const free = Array.from({ length: MAX_NAMEPLATE }, (_, i) => i + 1).find((m) => !live.includes(m))!;
    for (const m of [n, other.n, free]) {
      await expectClosed(await open(nameplatePath(m), address), NameplateCloseCode.TOO_MANY_CLAIMS);
    }
    await creator.expectNothingPending();
    await other.creator.expectNothingPending();
    (await claim(n, creator)).close(); // another address still may
    expect(await creator.nextText()).toBe(UNCLAIMED);

    // The window ends: its row goes (the alarm is due by then), and the address may claim again.
    const since = Date.now() - NAMEPLATE_TTL_MS - 1;
    await sql('UPDATE claimants SET since = ? WHERE client = ?', since, key);
    const due = await runInDurableObject(stub(), (_object, state) => nextDeadline(state.storage.sql));
    expect(due).toBeLessThanOrEqual(since + NAMEPLATE_TTL_MS);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    expect(await sql('SELECT * FROM claimants WHERE client = ?', key)).toEqual([]);
    (await claim(n, creator, address)).close();
    expect(await creator.nextText()).toBe(UNCLAIMED);
    expect(await sql('SELECT claims FROM claimants WHERE client = ?', key)).toEqual([{ claims: 1 }]);
    other.creator.close();
  });

  it('counts claims without an address in one shared bucket', async () => {
    const { creator, n } = await create();
    for (let i = 0; i < MAX_CLAIMS_PER_CLIENT; i++) {
      (await claim(n, creator, null)).close();
      expect(await creator.nextText()).toBe(UNCLAIMED);
    }
    await expectClosed(await open(nameplatePath(n), null), NameplateCloseCode.TOO_MANY_CLAIMS);
    await sql('DELETE FROM claimants WHERE client = ?', await keyOf(null));
    creator.close();
  });

  it('refuses a nameplate when every number is live or quarantined', async () => {
    await fillNumbers();
    await expectClosed(await open(NAMEPLATE_PATH), NameplateCloseCode.NO_FREE_NAMEPLATE);
  });

  it(`closes a socket's message number ${RATE_LIMIT_MESSAGES + 1} in the window with RATE_LIMITED`, async () => {
    const { creator, n } = await create();
    // The exact ping is answered by the runtime and counts for nothing.
    for (let i = 0; i < 2 * RATE_LIMIT_MESSAGES; i++) creator.send(PING_FRAME);
    for (let i = 0; i < 2 * RATE_LIMIT_MESSAGES; i++) expect(await creator.nextText()).toBe(PONG_FRAME);
    for (let i = 0; i < RATE_LIMIT_MESSAGES; i++) creator.send(OBJECT_PING);
    for (let i = 0; i < RATE_LIMIT_MESSAGES; i++) expect(await creator.nextText()).toBe(PONG_FRAME);
    creator.send(OBJECT_PING);
    await expectClosed(creator, NameplateCloseCode.RATE_LIMITED);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });
});

describe('bad input', () => {
  it.each([
    ['a binary frame', new Uint8Array([0x7b, 0x7d]).buffer, NameplateCloseCode.MALFORMED],
    ['not JSON', '{"t":"pake",', NameplateCloseCode.MALFORMED],
    ['a JSON array', '[]', NameplateCloseCode.MALFORMED],
    ['an unknown type', '{"t":"blob","d":"AAAA"}', NameplateCloseCode.MALFORMED],
    ['an extra field', `{"t":"pake","d":"${M1}","n":7}`, NameplateCloseCode.MALFORMED],
    ['a missing d', '{"t":"pake"}', NameplateCloseCode.MALFORMED],
    ['d that is not base64url', '{"t":"pake","d":"a+b/"}', NameplateCloseCode.MALFORMED],
    ['d of an impossible length', '{"t":"pake","d":"AAAAA"}', NameplateCloseCode.MALFORMED],
    ['an empty d', '{"t":"pake","d":""}', NameplateCloseCode.MALFORMED],
    ['d over the limit', `{"t":"pake","d":"${blob(MAX_PAKE_BYTES + 1)}"}`, NameplateCloseCode.TOO_LARGE],
    [
      'a frame over the limit',
      `{"t":"ping"}${' '.repeat(MAX_NAMEPLATE_FRAME_LENGTH)}`,
      NameplateCloseCode.TOO_LARGE,
    ],
  ])('closes a creator that sends %s (the joiner hears CREATOR_LEFT)', async (_label, frame, code) => {
    const { creator, joiner, n } = await claimed();
    creator.send(frame);
    await expectClosed(creator, code);
    await expectClosed(joiner, NameplateCloseCode.CREATOR_LEFT);
    await expectClaimRefused(n, NameplateCloseCode.NO_SUCH_NAMEPLATE);
  });

  it('closes a joiner that sends garbage, which ends only its claim, and ignores what follows', async () => {
    const { creator, joiner, n } = await claimed();
    joiner.send('hello');
    joiner.send(pake(M2)); // on its way before the close: dropped
    await expectClosed(joiner, NameplateCloseCode.MALFORMED);
    expect(await creator.nextText()).toBe(UNCLAIMED);
    await creator.expectNothingPending();
    const next = await claim(n, creator);
    expect(await next.nextText()).toBe(pake(M1));
  });
});

describe('router', () => {
  async function expectText(response: Response, status: number): Promise<void> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toMatch(/^[A-Z][^\n]*\.\n$/);
  }
  const BAD = ['/nameplates/', '/nameplates/0', '/nameplates/1000', '/nameplates/007', '/nameplates/07'];
  const ALSO_BAD = [
    '/nameplates/7/',
    '/nameplates/7/x',
    '/nameplates/x',
    '/nameplates/-1',
    '/nameplates/1e2',
  ];

  it.each([...BAD, ...ALSO_BAD])('answers an upgrade to %s with BAD_REQUEST', async (path) => {
    await expectClosed(await open(path), NameplateCloseCode.BAD_REQUEST);
  });

  const GETS: [string, number][] = [
    ...[...BAD, ...ALSO_BAD].map((path): [string, number] => [path, 400]),
    [NAMEPLATE_PATH, 426],
    ['/nameplates/7', 426],
    ['/nameplatesx', 404],
  ];
  it.each(GETS)('answers GET %s without an upgrade with %i text', async (path, status) => {
    await expectText(await exports.default.fetch(new Request(ORIGIN + path)), status);
  });

  it.each(['POST', 'PUT', 'DELETE'])('answers %s with 405 text', async (method) => {
    for (const path of [NAMEPLATE_PATH, '/nameplates/7']) {
      const response = await exports.default.fetch(new Request(ORIGIN + path, { method }));
      await expectText(response, 405);
      expect(response.headers.get('allow')).toBe('GET');
    }
  });
});
