/**
 * The username directory through the router, inside workerd: claim, lookup, refresh, release; a
 * taken handle and a wrong release secret refused; the per-address lookup and claim windows;
 * expiry by the storage alarm; eviction between calls; malformed, oversized and misdirected input.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CLAIM_LIMIT,
  CLAIM_TTL_MS,
  CLAIM_WINDOW_MS,
  LOOKUP_LIMIT,
  LOOKUP_WINDOW_MS,
  MAX_CARD_BYTES,
  MAX_DIRECTORY_BODY_BYTES,
  isDirectoryErrorCode,
} from '../../src/protocol/directory';
import { clientKey } from '../src/directory-routes';
import { ORIGIN, blob, newRoomId } from './helpers';

const newHash = newRoomId; // the same shape: base64url of 32 random bytes

/** Each test speaks from an address of its own, so the per-address windows start empty. */
let client = '';
beforeEach(() => {
  client = `2001:db8::${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}:${Date.now() % 65536}`;
});

function directory(hash: string): DurableObjectStub<import('../src/directory').Directory> {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(hash));
}

async function limiter(
  address: string | null,
): Promise<DurableObjectStub<import('../src/directory').DirectoryLimiter>> {
  const headers: Record<string, string> = address === null ? {} : { 'cf-connecting-ip': address };
  const key = await clientKey(new Request(ORIGIN, { headers }));
  return env.DIRECTORY_LIMITS.get(env.DIRECTORY_LIMITS.idFromName(key));
}

async function call(
  method: string,
  path: string,
  o: { body?: BodyInit; json?: unknown; from?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  const from = o.from === undefined ? client : o.from;
  if (from !== null) headers['cf-connecting-ip'] = from;
  let body = o.body;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['content-type'] = 'application/json';
  }
  return exports.default.fetch(new Request(ORIGIN + path, { method, headers, ...(body ? { body } : {}) }));
}

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  const body = await response.json<{ error: { code: string; message: string } }>();
  expect(body.error.code).toBe(code);
  expect(isDirectoryErrorCode(body.error.code)).toBe(true);
  expect(body.error.message).toMatch(/^[A-Z][^\n]*\.$/); // a sentence
  expect(body.error.message).not.toMatch(/Error|\bat\b|\.ts|\.js|stack/);
  return body.error.message;
}

/** An owner: the release secret and its SHA-256, both base64url. */
async function newOwner(): Promise<{ secret: string; owner: string }> {
  const secret = newRoomId();
  const raw = Uint8Array.from(atob(secret.replace(/-/g, '+').replace(/_/g, '/') + '='), (c) =>
    c.charCodeAt(0),
  );
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  let bin = '';
  for (const b of digest) bin += String.fromCharCode(b);
  return { secret, owner: btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') };
}

const put = async (hash: string, card: string, owner: string, from?: string | null) =>
  call('PUT', `/directory/${hash}`, { json: { card, owner }, ...(from === undefined ? {} : { from }) });
const lookup = async (hash: string, from?: string | null) =>
  call('GET', `/directory/${hash}`, from === undefined ? {} : { from });
const release = async (hash: string, secret: string) =>
  call('DELETE', `/directory/${hash}`, { json: { secret } });

async function claimed(
  card = blob(300),
): Promise<{ hash: string; secret: string; owner: string; card: string }> {
  const hash = newHash();
  const { secret, owner } = await newOwner();
  const response = await put(hash, card, owner);
  expect(response.status).toBe(201);
  return { hash, secret, owner, card };
}

async function cardOf(hash: string): Promise<string> {
  const response = await lookup(hash);
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  const body = await response.json<{ card: string }>();
  expect(Object.keys(body)).toEqual(['card']);
  return body.card;
}

/** The Directory's tables: none for a handle nobody holds (nothing was ever written, or all gone). */
async function tables(hash: string): Promise<number> {
  return runInDurableObject(
    directory(hash),
    (_d, state) =>
      state.storage.sql
        .exec<{ n: number }>(
          "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'claim'",
        )
        .one().n,
  );
}

describe('directory: claim, lookup, refresh, release', () => {
  it('keeps a card under a handle hash for its owner and gives it to whoever looks', async () => {
    const before = Date.now();
    const hash = newHash();
    const { secret, owner } = await newOwner();
    const response = await put(hash, blob(MAX_CARD_BYTES), owner);
    expect(response.status).toBe(201);
    const body = await response.json<{ created: boolean; expires: number }>();
    expect(body.created).toBe(true);
    expect(body.expires).toBeGreaterThanOrEqual(before + CLAIM_TTL_MS);
    expect(body.expires).toBeLessThanOrEqual(Date.now() + CLAIM_TTL_MS);
    expect(await cardOf(hash)).toBe(blob(MAX_CARD_BYTES));
    expect((await lookup(hash, '192.0.2.9')).status).toBe(200); // from anywhere
    expect((await release(hash, secret)).status).toBe(204);
    await expectError(await lookup(hash), 404, 'NOT_FOUND');
    expect(await tables(hash)).toBe(0);
    expect(
      await runInDurableObject(directory(hash), async (_d, state) => state.storage.getAlarm()),
    ).toBeNull();
  });

  it('lets the same owner put again: a new card and a new expiry, answered 200', async () => {
    const { hash, owner } = await claimed(blob(10, 1));
    const first = await runInDurableObject(directory(hash), async (_d, state) => state.storage.getAlarm());
    await runInDurableObject(directory(hash), (_d, state) => {
      state.storage.sql.exec('UPDATE claim SET expires = expires - 1000');
    });
    const again = await put(hash, blob(20, 2), owner);
    expect(again.status).toBe(200);
    const body = await again.json<{ created: boolean; expires: number }>();
    expect(body.created).toBe(false);
    expect(await cardOf(hash)).toBe(blob(20, 2));
    const alarm = await runInDurableObject(directory(hash), async (_d, state) => state.storage.getAlarm());
    expect(alarm).toBe(body.expires);
    expect(alarm).toBeGreaterThanOrEqual(first!);
  });

  it('refuses a second claim of a taken handle with a sentence, and keeps the first card', async () => {
    const { hash, card } = await claimed();
    const other = await newOwner();
    const message = await expectError(await put(hash, blob(40, 7), other.owner), 409, 'TAKEN');
    expect(message).toMatch(/someone else/i);
    expect(await cardOf(hash)).toBe(card);
  });

  it('releases only for the owner’s secret: a wrong one is refused and changes nothing', async () => {
    const { hash, secret, owner, card } = await claimed();
    await expectError(await release(hash, (await newOwner()).secret), 403, 'WRONG_SECRET');
    // The owner hash itself is no release secret.
    await expectError(await release(hash, owner), 403, 'WRONG_SECRET');
    expect(await cardOf(hash)).toBe(card);
    expect((await release(hash, secret)).status).toBe(204);
    await expectError(await release(hash, secret), 404, 'NOT_FOUND');
    // Released, the handle is anyone's again.
    expect((await put(hash, blob(5), (await newOwner()).owner)).status).toBe(201);
  });

  it('stores nothing for a handle nobody claimed', async () => {
    const hash = newHash();
    await expectError(await lookup(hash), 404, 'NOT_FOUND');
    await expectError(await release(hash, newRoomId()), 404, 'NOT_FOUND');
    expect(await tables(hash)).toBe(0);
  });
});

describe('directory: limits per client address', () => {
  it(`answers ${LOOKUP_LIMIT} lookups per ${LOOKUP_WINDOW_MS / 60_000} minutes, held or missing alike, then 429`, async () => {
    const { hash } = await claimed();
    for (let i = 0; i < LOOKUP_LIMIT; i++) {
      const response = await lookup(i % 2 === 0 ? hash : newHash());
      expect(response.status).toBe(i % 2 === 0 ? 200 : 404);
    }
    for (const target of [hash, newHash()]) {
      const response = await lookup(target);
      const message = await expectError(response, 429, 'RATE_LIMITED');
      expect(message).toBe('Too many usernames were looked up from this network; try again in 10 minutes.');
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(LOOKUP_WINDOW_MS / 1000 - 60);
      expect(retryAfter).toBeLessThanOrEqual(LOOKUP_WINDOW_MS / 1000);
    }
    // The limit is the address's, not the handle's: another address still looks up.
    expect((await lookup(hash, '192.0.2.77')).status).toBe(200);
    // Refused lookups counted nothing, and the window ends: then lookups go through again.
    const stub = await limiter(client);
    const count = await runInDurableObject(stub, (_l, state) => {
      const row = state.storage.sql
        .exec<{ count: number }>("SELECT count FROM rate WHERE kind = 'lookup'")
        .one();
      state.storage.sql.exec(
        "UPDATE rate SET start = start - ?, ends = ends - ? WHERE kind = 'lookup'",
        LOOKUP_WINDOW_MS,
        LOOKUP_WINDOW_MS,
      );
      return row.count;
    });
    expect(count).toBe(LOOKUP_LIMIT);
    expect(await cardOf(hash)).toBeTruthy();
  });

  it('counts every client without an address in one shared window', async () => {
    const hash = newHash();
    for (let i = 0; i < LOOKUP_LIMIT; i++) expect((await lookup(hash, null)).status).toBe(404);
    await expectError(await lookup(hash, null), 429, 'RATE_LIMITED');
    expect((await lookup(hash)).status).toBe(404);
  });

  it(`answers ${CLAIM_LIMIT} claims, refreshes and releases per ${CLAIM_WINDOW_MS / 60_000} minutes, then 429`, async () => {
    const { hash, secret, owner } = await claimed(); // 1
    for (let i = 1; i < CLAIM_LIMIT - 1; i++) expect((await put(hash, blob(9, i), owner)).status).toBe(200);
    expect((await release(hash, secret)).status).toBe(204); // the tenth
    const response = await put(newHash(), blob(9), owner);
    const message = await expectError(response, 429, 'RATE_LIMITED');
    expect(message).toBe(
      'Too many usernames were claimed or released from this network; try again in 60 minutes.',
    );
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(CLAIM_WINDOW_MS / 1000);
    await expectError(await release(hash, secret), 429, 'RATE_LIMITED');
    // Lookups have a window of their own.
    await expectError(await lookup(hash), 404, 'NOT_FOUND');
    // Claims from another address go through.
    expect((await put(newHash(), blob(9), owner, '192.0.2.78')).status).toBe(201);
  });

  it('forgets an address’s windows when they end (the alarm), and then counts afresh', async () => {
    const hash = newHash();
    for (let i = 0; i < LOOKUP_LIMIT; i++) await lookup(hash);
    await expectError(await lookup(hash), 429, 'RATE_LIMITED');
    const stub = await limiter(client);
    const alarm = await runInDurableObject(stub, async (_l, state) => {
      const at = await state.storage.getAlarm();
      state.storage.sql.exec(
        'UPDATE rate SET start = start - ?, ends = ends - ?',
        LOOKUP_WINDOW_MS,
        LOOKUP_WINDOW_MS,
      );
      return at;
    });
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(
      stub,
      (_l, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'rate'",
          )
          .one().n,
    );
    expect(left).toBe(0);
    for (let i = 0; i < LOOKUP_LIMIT; i++) expect((await lookup(hash)).status).toBe(404);
    await expectError(await lookup(hash), 429, 'RATE_LIMITED');
  });
});

describe('directory: expiry and eviction', () => {
  it(`deletes a claim ${CLAIM_TTL_MS / 86_400_000} days after its last put, by the storage alarm`, async () => {
    const { hash } = await claimed();
    const alarm = await runInDurableObject(directory(hash), async (_d, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + CLAIM_TTL_MS - 60_000);
    // Not yet expired: the alarm keeps the claim and waits again.
    expect(await runDurableObjectAlarm(directory(hash))).toBe(true);
    expect(await cardOf(hash)).toBeTruthy();
    await runInDurableObject(directory(hash), async (_d, state) => {
      state.storage.sql.exec('UPDATE claim SET expires = ?', Date.now() - 1);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(directory(hash))).toBe(true);
    expect(await tables(hash)).toBe(0);
    await expectError(await lookup(hash), 404, 'NOT_FOUND');
  });

  it('treats a claim past its expiry as gone before its alarm runs: anyone may claim it', async () => {
    const { hash, secret } = await claimed();
    await runInDurableObject(directory(hash), (_d, state) => {
      state.storage.sql.exec('UPDATE claim SET expires = ?', Date.now() - 1);
    });
    await expectError(await lookup(hash), 404, 'NOT_FOUND');
    await expectError(await release(hash, secret), 404, 'NOT_FOUND');
    const response = await put(hash, blob(7), (await newOwner()).owner);
    expect(response.status).toBe(201);
  });

  it('loses nothing when evicted between claim, lookup, refresh and release', async () => {
    const { hash, secret, owner, card } = await claimed();
    await evictDurableObject(directory(hash));
    expect(await cardOf(hash)).toBe(card);
    await evictDurableObject(directory(hash));
    await expectError(await put(hash, blob(8), (await newOwner()).owner), 409, 'TAKEN');
    expect((await put(hash, blob(9, 3), owner)).status).toBe(200);
    await evictDurableObject(directory(hash));
    expect(await cardOf(hash)).toBe(blob(9, 3));
    expect(
      await runInDurableObject(directory(hash), async (_d, state) => state.storage.getAlarm()),
    ).not.toBeNull();
    await evictDurableObject(directory(hash));
    expect((await release(hash, secret)).status).toBe(204);
  });

  it('keeps an address’s count across the limiter’s eviction', async () => {
    const hash = newHash();
    for (let i = 0; i < LOOKUP_LIMIT - 1; i++) await lookup(hash);
    await evictDurableObject(await limiter(client));
    expect((await lookup(hash)).status).toBe(404);
    await evictDurableObject(await limiter(client));
    await expectError(await lookup(hash), 429, 'RATE_LIMITED');
  });
});

describe('directory: malformed requests', () => {
  const hash = newHash();
  it.each([
    ['GET', '/directory/'],
    ['GET', '/directory/short'],
    ['GET', `/directory/${hash}=`],
    ['GET', `/directory/${hash.slice(0, 42)}B`], // stray bits in the last character
    ['GET', `/directory/${hash}/card`],
    ['GET', `/directory/${hash.slice(0, 20)}+${hash.slice(21)}`],
    ['GET', '/directory/alice.42'],
  ])('%s %s → 400', async (method, path) => {
    const message = await expectError(await call(method, path), 400, 'BAD_REQUEST');
    expect(message).toBe('A handle hash is 43 base64url characters.');
  });

  it.each(['POST', 'PATCH'])('%s → 405 with the methods allowed', async (method) => {
    const response = await call(method, `/directory/${newHash()}`, { json: {} });
    expect(response.headers.get('allow')).toBe('GET, PUT, DELETE, OPTIONS');
    await expectError(response, 405, 'METHOD_NOT_ALLOWED');
  });

  it('refuses HEAD too', async () => {
    const response = await call('HEAD', `/directory/${newHash()}`);
    expect(response.status).toBe(405);
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '[]'],
    ['no fields', '{}'],
    ['no owner', JSON.stringify({ card: blob(4) })],
    ['an extra field', JSON.stringify({ card: blob(4), owner: newHash(), handle: 'alice.42' })],
    ['a short owner', JSON.stringify({ card: blob(4), owner: blob(31) })],
    ['a padded card', JSON.stringify({ card: 'AQ==', owner: newHash() })],
    ['a base64 (not base64url) card', JSON.stringify({ card: 'ab+/', owner: newHash() })],
    ['stray bits in the card', JSON.stringify({ card: 'AR', owner: newHash() })],
    ['an empty card', JSON.stringify({ card: '', owner: newHash() })],
    ['a card that is a number', JSON.stringify({ card: 7, owner: newHash() })],
    ['no body', ''],
  ])('refuses a claim with %s, storing nothing', async (_what, body) => {
    const target = newHash();
    await expectError(await call('PUT', `/directory/${target}`, { body }), 400, 'BAD_REQUEST');
    expect(await tables(target)).toBe(0);
  });

  it.each([
    ['not JSON', 'secret'],
    ['no secret', '{}'],
    ['an extra field', JSON.stringify({ secret: newHash(), owner: newHash() })],
    ['a short secret', JSON.stringify({ secret: blob(16) })],
  ])('refuses a release with %s, changing nothing', async (_what, body) => {
    const { hash: target, card } = await claimed();
    await expectError(await call('DELETE', `/directory/${target}`, { body }), 400, 'BAD_REQUEST');
    expect(await cardOf(target)).toBe(card);
  });

  it('refuses a body that is not UTF-8', async () => {
    const body = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await expectError(await call('PUT', `/directory/${newHash()}`, { body }), 400, 'BAD_REQUEST');
  });

  it(`refuses a card over ${MAX_CARD_BYTES / 1024} KiB with a sentence, storing nothing`, async () => {
    const target = newHash();
    const message = await expectError(
      await put(target, blob(MAX_CARD_BYTES + 1), newHash()),
      413,
      'TOO_LARGE',
    );
    expect(message).toContain('12 KiB');
    expect(await tables(target)).toBe(0);
  });

  it('refuses a body over its limit, declared or streamed, before parsing it', async () => {
    const target = newHash();
    const big = JSON.stringify({ card: blob(MAX_CARD_BYTES), owner: newHash(), pad: 'x'.repeat(2048) });
    expect(big.length).toBeGreaterThan(MAX_DIRECTORY_BODY_BYTES);
    await expectError(await call('PUT', `/directory/${target}`, { body: big }), 413, 'TOO_LARGE');
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(8 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4) controller.close();
        else {
          sent++;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/directory/${target}`, { method: 'PUT', body, duplex: 'half' } as RequestInit),
    );
    await expectError(response, 413, 'TOO_LARGE');
    expect(await tables(target)).toBe(0);
  });

  it('does not count malformed requests in the address’s windows', async () => {
    for (let i = 0; i < LOOKUP_LIMIT + 2; i++) await call('GET', '/directory/short');
    for (let i = 0; i < CLAIM_LIMIT + 2; i++) await call('PUT', `/directory/${newHash()}`, { body: '{}' });
    expect((await lookup(newHash())).status).toBe(404);
    expect((await put(newHash(), blob(3), newHash())).status).toBe(201);
  });

  it('answers a CORS preflight for PUT and DELETE with a JSON body', async () => {
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/directory/${newHash()}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.test',
          'access-control-request-method': 'DELETE',
          'access-control-request-headers': 'content-type',
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(response.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  it('has no request that lists handles', async () => {
    for (const path of ['/directory', '/directory/', '/directory/all', '/directory/list']) {
      const response = await call('GET', path);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(await response.text()).not.toMatch(/"card"/);
    }
  });
});
