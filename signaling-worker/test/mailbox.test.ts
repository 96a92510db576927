/**
 * The Mailbox Durable Object through the router, inside workerd: claim, deposit, list, fetch,
 * delete, drop; quotas, expiry by the storage alarm, eviction mid-use, malformed and oversized
 * input, and a wrong token that reads and deletes nothing.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  BLOB_TTL_MS,
  MAILBOX_IDLE_MS,
  MAX_BATCH_BLOBS,
  MAX_LIST_MAILBOXES,
  MAX_MAILBOX_BLOBS,
  MAX_MAILBOX_BLOB_BYTES,
  MAX_MAILBOX_BYTES,
  RATE_LIMIT_DEPOSITS,
  RATE_LIMIT_OWNER_REQUESTS,
  RATE_LIMIT_WRONG_TOKEN,
  RATE_WINDOW_MS,
  authorization,
  isMailboxErrorCode,
} from '../../src/protocol/mailbox';
import { decodeListResponse, decodeMailboxListing } from '../../src/protocol/mailbox-json';
import { encodeDepositBatch, decodeFetchResponse, encodeId16 } from '../../src/protocol/mailbox-binary';
import { ORIGIN, newRoomId } from './helpers';

const newId = newRoomId; // the same shape: base64url of 32 random bytes
const newToken = newRoomId;

function stub(id: string): DurableObjectStub<import('../src/mailbox').Mailbox> {
  return env.MAILBOXES.get(env.MAILBOXES.idFromName(id));
}

async function call(
  method: string,
  path: string,
  o: { token?: string; body?: BodyInit; json?: unknown; client?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = authorization(o.token);
  if (o.client !== undefined) headers['cf-connecting-ip'] = o.client;
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
  expect(isMailboxErrorCode(body.error.code)).toBe(true);
  expect(body.error.message).toMatch(/^[A-Z][^\n]*\.$/); // a sentence
  expect(body.error.message).not.toMatch(/Error|\bat\b|\.ts|\.js|stack/);
  return body.error.message;
}

async function claim(id = newId(), token = newToken()): Promise<{ id: string; token: string }> {
  const response = await call('PUT', `/mailboxes/${id}`, { token });
  expect(response.status).toBe(201);
  return { id, token };
}

function bytes(n: number, fill = 7): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => (fill + i) & 0xff);
}

async function deposit(id: string, data: Uint8Array<ArrayBuffer>, client?: string): Promise<Response> {
  return call('POST', `/mailboxes/${id}/blobs`, { body: data, ...(client ? { client } : {}) });
}

async function depositOk(id: string, data: Uint8Array<ArrayBuffer>): Promise<string> {
  const response = await deposit(id, data);
  expect(response.status).toBe(201);
  const body = await response.json<{ id: string; size: number; at: number }>();
  expect(body.size).toBe(data.length);
  return body.id;
}

async function listing(id: string, token: string): Promise<{ id: string; size: number; at: number }[]> {
  const response = await call('GET', `/mailboxes/${id}/blobs`, { token });
  expect(response.status).toBe(200);
  return [...decodeMailboxListing(await response.text()).blobs];
}

async function fetchBlobs(id: string, token: string, ids: string[]) {
  const response = await call('POST', `/mailboxes/${id}/fetch`, { token, json: { ids } });
  expect(response.status).toBe(200);
  return decodeFetchResponse(new Uint8Array(await response.arrayBuffer()), ids);
}

async function stored(id: string): Promise<{ blobs: number; bytes: number; tables: number }> {
  return runInDurableObject(stub(id), (_mailbox, state) => {
    const tables = state.storage.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
      )
      .one().n;
    if (tables === 0) return { blobs: 0, bytes: 0, tables };
    const row = state.storage.sql
      .exec<{ n: number; bytes: number | null }>('SELECT count(*) AS n, sum(size) AS bytes FROM blobs')
      .one();
    return { blobs: row.n, bytes: row.bytes ?? 0, tables };
  });
}

describe('mailbox: deposit, list, fetch, delete', () => {
  it('keeps blobs for the owner, oldest first, and forgets each one the owner deletes', async () => {
    const { id, token } = await claim();
    const sent = [bytes(10, 1), bytes(300, 2), bytes(MAX_MAILBOX_BLOB_BYTES, 3)];
    const ids = [];
    for (const data of sent) ids.push(await depositOk(id, data));
    const listed = await listing(id, token);
    expect(listed.map((b) => b.id)).toEqual(ids);
    expect(listed.map((b) => b.size)).toEqual(sent.map((d) => d.length));
    const fetched = await fetchBlobs(id, token, ids);
    expect(fetched.map((b) => b.id)).toEqual(ids);
    fetched.forEach((b, i) => expect(b.data).toEqual(sent[i]));

    const deleted = await call('POST', `/mailboxes/${id}/delete`, { token, json: { ids: ids.slice(0, 2) } });
    expect(await deleted.json()).toEqual({ deleted: 2 });
    expect((await listing(id, token)).map((b) => b.id)).toEqual([ids[2]]);
    // Deleting again, or fetching what is gone, is fine and finds nothing.
    expect(await (await call('POST', `/mailboxes/${id}/delete`, { token, json: { ids } })).json()).toEqual({
      deleted: 1,
    });
    expect(await fetchBlobs(id, token, ids)).toEqual([]);
    expect(await stored(id)).toMatchObject({ blobs: 0, bytes: 0 });
  });

  it('answers many mailboxes in one list request, each with its listing or its refusal', async () => {
    const boxes = await Promise.all([claim(), claim(), claim()]);
    await depositOk(boxes[1].id, bytes(5));
    const unknown = { id: newId(), token: newToken() };
    const wrong = { id: boxes[2].id, token: newToken() };
    const asked = [boxes[0], boxes[1], unknown, wrong];
    const response = await call('POST', '/mailboxes/list', { json: { mailboxes: asked } });
    expect(response.status).toBe(200);
    const results = decodeListResponse(
      await response.text(),
      asked.map((b) => b.id),
    );
    expect(results[0]).toEqual({ id: boxes[0].id, blobs: [] });
    expect(results[1]).toMatchObject({ id: boxes[1].id, blobs: [{ size: 5 }] });
    expect(results[2]).toMatchObject({ error: { code: 'NO_MAILBOX' } });
    expect(results[3]).toMatchObject({ error: { code: 'WRONG_TOKEN' } });
  });

  it('claims an id once: the same token again is fine, another token is refused', async () => {
    const { id, token } = await claim();
    expect((await call('PUT', `/mailboxes/${id}`, { token })).status).toBe(200);
    await expectError(await call('PUT', `/mailboxes/${id}`, { token: newToken() }), 409, 'ALREADY_CLAIMED');
  });

  it('drops a mailbox with everything in it; the id then takes no deposits', async () => {
    const { id, token } = await claim();
    await depositOk(id, bytes(20));
    expect((await call('DELETE', `/mailboxes/${id}`, { token })).status).toBe(204);
    expect(await stored(id)).toMatchObject({ tables: 0 });
    expect(await runInDurableObject(stub(id), async (_m, state) => state.storage.getAlarm())).toBeNull();
    await expectError(await deposit(id, bytes(3)), 404, 'NO_MAILBOX');
  });

  it('stores nothing for an id nobody claimed', async () => {
    const id = newId();
    await expectError(await deposit(id, bytes(3)), 404, 'NO_MAILBOX');
    await expectError(await call('GET', `/mailboxes/${id}/blobs`, { token: newToken() }), 404, 'NO_MAILBOX');
    expect(await stored(id)).toEqual({ blobs: 0, bytes: 0, tables: 0 });
  });
});

describe('mailbox: batch deposits', () => {
  it('stores several blobs in one request, in order, all or none', async () => {
    const { id, token } = await claim();
    const sent = [bytes(5, 1), bytes(700, 2), bytes(MAX_MAILBOX_BLOB_BYTES, 3)];
    const response = await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(sent) });
    expect(response.status).toBe(201);
    const { blobs } = await response.json<{ blobs: { id: string; size: number }[] }>();
    expect(blobs.map((b) => b.size)).toEqual([5, 700, MAX_MAILBOX_BLOB_BYTES]);
    expect((await listing(id, token)).map((b) => b.id)).toEqual(blobs.map((b) => b.id));
    const fetched = await fetchBlobs(
      id,
      token,
      blobs.map((b) => b.id),
    );
    fetched.forEach((b, i) => expect(b.data).toEqual(sent[i]));
    // A batch that would pass the quota stores nothing of it.
    const big = Array.from({ length: 16 }, () => bytes(MAX_MAILBOX_BLOB_BYTES));
    await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(big) });
    await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(big) });
    await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(big) });
    const before = await stored(id);
    await expectError(
      await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(big) }),
      507,
      'MAILBOX_FULL',
    );
    expect(await stored(id)).toEqual(before);
  });

  it.each([
    ['an empty body', new Uint8Array(0), 400, 'BAD_REQUEST'],
    ['a cut length', Uint8Array.of(0, 0, 1), 400, 'BAD_REQUEST'],
    ['a message shorter than its length', Uint8Array.of(0, 0, 0, 9, 1, 2), 400, 'BAD_REQUEST'],
    ['an empty message', Uint8Array.of(0, 0, 0, 0), 400, 'BAD_REQUEST'],
    ['a message over 256 KiB', Uint8Array.of(0, 4, 0, 1, 7), 413, 'TOO_LARGE'],
    ['101 messages', new Uint8Array(101 * 5).map((_, i) => (i % 5 === 3 ? 1 : 0)), 400, 'BAD_REQUEST'],
  ])('refuses a batch with %s, storing nothing', async (_what, body, status, code) => {
    const { id } = await claim();
    await expectError(await call('POST', `/mailboxes/${id}/batch`, { body }), status, code);
    expect(await stored(id)).toMatchObject({ blobs: 0 });
  });

  it('counts each blob of a batch in the deposit window', async () => {
    const { id } = await claim();
    const hundred = Array.from({ length: 100 }, () => bytes(1));
    expect((await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(hundred) })).status).toBe(
      201,
    );
    const rest = Array.from({ length: RATE_LIMIT_DEPOSITS - 100 + 1 }, () => bytes(1));
    await expectError(
      await call('POST', `/mailboxes/${id}/batch`, { body: encodeDepositBatch(rest) }),
      429,
      'RATE_LIMITED',
    );
    expect(await stored(id)).toMatchObject({ blobs: 100 });
  });
});

describe('mailbox: a wrong token', () => {
  it('is counted apart: wrong tokens from an address do not use up the owner’s window', async () => {
    const { id, token } = await claim();
    for (let i = 0; i < RATE_LIMIT_WRONG_TOKEN; i++) {
      await expectError(
        await call('GET', `/mailboxes/${id}/blobs`, { token: newToken() }),
        403,
        'WRONG_TOKEN',
      );
    }
    await expectError(
      await call('GET', `/mailboxes/${id}/blobs`, { token: newToken() }),
      429,
      'RATE_LIMITED',
    );
    expect((await call('GET', `/mailboxes/${id}/blobs`, { token })).status).toBe(200);
    const windows = await runInDurableObject(stub(id), (_m, state) =>
      state.storage.sql
        .exec<{ kind: string; count: number }>('SELECT kind, count FROM rate ORDER BY kind')
        .toArray(),
    );
    expect(windows.find((w) => w.kind === 'owner')?.count).toBeLessThan(RATE_LIMIT_OWNER_REQUESTS);
    expect(windows.find((w) => w.kind === 'wrong-token')?.count).toBe(RATE_LIMIT_WRONG_TOKEN);
  });

  it('reads nothing, deletes nothing, drops nothing', async () => {
    const { id, token } = await claim();
    const blobId = await depositOk(id, bytes(40));
    const other = newToken();
    const message = await expectError(
      await call('GET', `/mailboxes/${id}/blobs`, { token: other }),
      403,
      'WRONG_TOKEN',
    );
    expect(message).toMatch(/nothing was read or changed/);
    await expectError(
      await call('POST', `/mailboxes/${id}/fetch`, { token: other, json: { ids: [blobId] } }),
      403,
      'WRONG_TOKEN',
    );
    await expectError(
      await call('POST', `/mailboxes/${id}/delete`, { token: other, json: { ids: [blobId] } }),
      403,
      'WRONG_TOKEN',
    );
    await expectError(await call('DELETE', `/mailboxes/${id}`, { token: other }), 403, 'WRONG_TOKEN');
    // No token, or a malformed one, is the same refusal.
    await expectError(await call('GET', `/mailboxes/${id}/blobs`), 403, 'WRONG_TOKEN');
    const malformed = await exports.default.fetch(
      new Request(`${ORIGIN}/mailboxes/${id}/blobs`, { headers: { authorization: `Mailbox ${token}x` } }),
    );
    await expectError(malformed, 403, 'WRONG_TOKEN');
    expect((await listing(id, token)).map((b) => b.id)).toEqual([blobId]);
    expect(await stored(id)).toMatchObject({ blobs: 1, bytes: 40 });
  });
});

describe('mailbox: quotas and limits', () => {
  it('refuses a blob over 256 KiB and an empty one, storing neither', async () => {
    const { id } = await claim();
    await expectError(await deposit(id, bytes(MAX_MAILBOX_BLOB_BYTES + 1)), 413, 'TOO_LARGE');
    await expectError(await deposit(id, bytes(0)), 400, 'BAD_REQUEST');
    expect(await stored(id)).toMatchObject({ blobs: 0 });
  });

  it('refuses a streamed body that grows past the limit without a declared length', async () => {
    const { id } = await claim();
    const chunk = bytes(64 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 5) controller.close();
        else {
          sent++;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/mailboxes/${id}/blobs`, { method: 'POST', body, duplex: 'half' } as RequestInit),
    );
    await expectError(response, 413, 'TOO_LARGE');
    expect(await stored(id)).toMatchObject({ blobs: 0 });
  });

  it(`holds at most ${MAX_MAILBOX_BLOBS} blobs`, async () => {
    const { id, token } = await claim();
    // Filled directly (the deposit rate limit would take minutes); the last place by the router.
    await runInDurableObject(stub(id), (_m, state) => {
      for (let i = 0; i < MAX_MAILBOX_BLOBS - 1; i++) {
        state.storage.sql.exec(
          'INSERT INTO blobs (id, at, size, data) VALUES (?, ?, 1, ?)',
          encodeId16(crypto.getRandomValues(new Uint8Array(16))),
          Date.now(),
          new Uint8Array([i & 0xff]).buffer,
        );
      }
    });
    await depositOk(id, bytes(1));
    await expectError(await deposit(id, bytes(1)), 507, 'MAILBOX_FULL');
    expect((await listing(id, token)).length).toBe(MAX_MAILBOX_BLOBS);
  });

  it(`holds at most ${MAX_MAILBOX_BYTES / 2 ** 20} MiB`, async () => {
    const { id } = await claim();
    const blob = bytes(MAX_MAILBOX_BLOB_BYTES);
    const fits = MAX_MAILBOX_BYTES / MAX_MAILBOX_BLOB_BYTES; // 64
    for (let i = 0; i < fits - 1; i++) await depositOk(id, blob);
    await depositOk(id, bytes(MAX_MAILBOX_BLOB_BYTES - 1));
    const message = await expectError(await deposit(id, bytes(2)), 507, 'MAILBOX_FULL');
    expect(message).toMatch(/full/);
    await depositOk(id, bytes(1)); // exactly 16 MiB
    expect(await stored(id)).toMatchObject({ blobs: fits + 1, bytes: MAX_MAILBOX_BYTES });
  });

  it('limits deposits per client and says when to try again, other clients unaffected', async () => {
    const { id } = await claim();
    const one = bytes(1);
    expect((await deposit(id, one, '192.0.2.1')).status).toBe(201);
    // The rest of the window in batches (each blob counts), to keep the test short.
    for (const n of [100, RATE_LIMIT_DEPOSITS - 101]) {
      const batch = await exports.default.fetch(
        new Request(`${ORIGIN}/mailboxes/${id}/batch`, {
          method: 'POST',
          body: encodeDepositBatch(Array.from({ length: n }, () => one)),
          headers: { 'cf-connecting-ip': '192.0.2.1' },
        }),
      );
      expect(batch.status).toBe(201);
    }
    const limited = await deposit(id, one, '192.0.2.1');
    await expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await deposit(id, one, '192.0.2.2')).status).toBe(201);
    // The address itself is not stored, only a hash of it.
    const clients = await runInDurableObject(stub(id), (_m, state) =>
      state.storage.sql.exec<{ client: string }>('SELECT client FROM rate').toArray(),
    );
    expect(clients.length).toBeGreaterThan(0);
    for (const { client } of clients) expect(client).not.toContain('192.0.2');
  });
});

describe('mailbox: malformed requests', () => {
  it.each([
    ['GET', '/mailboxes/', 400, 'BAD_REQUEST'],
    ['GET', '/mailboxes/short', 400, 'BAD_REQUEST'],
    ['GET', `/mailboxes/${newId()}/nothing`, 400, 'BAD_REQUEST'],
    ['GET', `/mailboxes/${newId()}/blobs/extra`, 400, 'BAD_REQUEST'],
    ['PATCH', `/mailboxes/${newId()}`, 405, 'METHOD_NOT_ALLOWED'],
    ['GET', `/mailboxes/${newId()}`, 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/mailboxes/list', 405, 'METHOD_NOT_ALLOWED'],
  ])('%s %s → %i %s', async (method, path, status, code) => {
    await expectError(await call(method, path, { token: newToken() }), status, code);
  });

  it('has no request that lists mailboxes or says whose one is', async () => {
    for (const path of ['/mailboxes', '/mailboxes/', '/mailboxes/all', '/mailboxes/list']) {
      const response = await call('GET', path);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(await response.text()).not.toMatch(/"blobs"/);
    }
  });

  it.each([
    ['not JSON', '{'],
    ['no mailboxes', '{}'],
    ['an extra field', JSON.stringify({ mailboxes: [{ id: newId(), token: newToken() }], x: 1 })],
    ['an empty list', JSON.stringify({ mailboxes: [] })],
    [
      'too many mailboxes',
      JSON.stringify({
        mailboxes: Array.from({ length: MAX_LIST_MAILBOXES + 1 }, () => ({ id: newId(), token: newToken() })),
      }),
    ],
    ['a bad id', JSON.stringify({ mailboxes: [{ id: 'x', token: newToken() }] })],
    ['a bad token', JSON.stringify({ mailboxes: [{ id: newId(), token: 5 }] })],
  ])('refuses a list with %s', async (_what, body) => {
    await expectError(await call('POST', '/mailboxes/list', { body }), 400, 'BAD_REQUEST');
  });

  it('refuses a list body over its limit before parsing it', async () => {
    const body = JSON.stringify({ mailboxes: [], pad: 'x'.repeat(20_000) });
    await expectError(await call('POST', '/mailboxes/list', { body }), 413, 'TOO_LARGE');
  });

  it.each([
    ['no ids', {}],
    ['no blob ids', { ids: [] }],
    ['a malformed id', { ids: ['nope'] }],
    ['a number', { ids: [7] }],
    ['the same id twice', { ids: ['AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAA'] }],
    [
      'too many ids',
      { ids: Array.from({ length: MAX_BATCH_BLOBS + 1 }, (_, i) => `${String(i).padStart(21, 'A')}A`) },
    ],
  ])('refuses a fetch or delete with %s, changing nothing', async (_what, json) => {
    const { id, token } = await claim();
    await depositOk(id, bytes(9));
    for (const action of ['fetch', 'delete']) {
      await expectError(
        await call('POST', `/mailboxes/${id}/${action}`, { token, json }),
        400,
        'BAD_REQUEST',
      );
    }
    expect(await stored(id)).toMatchObject({ blobs: 1 });
  });

  it('answers a CORS preflight', async () => {
    const response = await call('OPTIONS', `/mailboxes/${newId()}/blobs`);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('mailbox: expiry and eviction', () => {
  it(`deletes blobs ${BLOB_TTL_MS / 86_400_000} days old when the alarm goes off, and keeps newer ones`, async () => {
    const { id, token } = await claim();
    const old = await depositOk(id, bytes(11));
    const fresh = await depositOk(id, bytes(12));
    const alarm = await runInDurableObject(stub(id), async (_m, state) => {
      // Age the first blob past its time to live (and end the clients' rate windows).
      state.storage.sql.exec('UPDATE blobs SET at = at - ? WHERE id = ?', BLOB_TTL_MS + 1, old);
      state.storage.sql.exec('UPDATE rate SET start = start - ?', RATE_WINDOW_MS);
      return state.storage.getAlarm();
    });
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    // The next alarm is set for the remaining blob's expiry (read before any request opens a window).
    const after = await runInDurableObject(stub(id), async (_m, state) => ({
      next: await state.storage.getAlarm(),
      at: state.storage.sql.exec<{ at: number }>('SELECT at FROM blobs').toArray(),
    }));
    expect(after.at).toHaveLength(1);
    expect(after.next).toBe(after.at[0]!.at + BLOB_TTL_MS);
    expect((await listing(id, token)).map((b) => b.id)).toEqual([fresh]);
  });

  it('forgets a client’s rate window (a hash of its address) when the window ends', async () => {
    const { id } = await claim();
    await depositOk(id, bytes(1));
    const alarm = await runInDurableObject(stub(id), async (_m, state) => {
      const start = state.storage.sql.exec<{ s: number }>('SELECT min(start) AS s FROM rate').one().s;
      return { start, alarm: await state.storage.getAlarm() };
    });
    expect(alarm.alarm).toBe(alarm.start + RATE_WINDOW_MS);
    await runInDurableObject(stub(id), (_m, state) => {
      state.storage.sql.exec('UPDATE rate SET start = start - ?', RATE_WINDOW_MS);
    });
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    const left = await runInDurableObject(stub(id), (_m, state) =>
      state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM rate').one(),
    );
    expect(left.n).toBe(0);
    expect(await stored(id)).toMatchObject({ blobs: 1 });
  });

  it('sets the alarm for a window opened by a wrong token or a refused deposit too', async () => {
    const { id } = await claim();
    await runInDurableObject(stub(id), async (_m, state) => {
      state.storage.sql.exec('DELETE FROM rate');
      await state.storage.setAlarm(Date.now() + BLOB_TTL_MS);
    });
    await expectError(await call('GET', `/mailboxes/${id}/blobs`, { token: newToken() }), 403, 'WRONG_TOKEN');
    const after = await runInDurableObject(stub(id), async (_m, state) => ({
      alarm: await state.storage.getAlarm(),
      start: state.storage.sql.exec<{ s: number }>('SELECT min(start) AS s FROM rate').one().s,
    }));
    expect(after.alarm).toBe(after.start + RATE_WINDOW_MS);
  });

  it('gives a mailbox claimed by an earlier version the tables added since', async () => {
    const { id, token } = await claim();
    await runInDurableObject(stub(id), (_m, state) => {
      state.storage.sql.exec('DROP TABLE push');
    });
    await evictDurableObject(stub(id));
    await depositOk(id, bytes(3));
    expect((await listing(id, token)).length).toBe(1);
  });

  it('deletes a mailbox whose owner has not called for the idle time', async () => {
    const { id } = await claim();
    await depositOk(id, bytes(5));
    await runInDurableObject(stub(id), (_m, state) => {
      state.storage.sql.exec('UPDATE owner SET last_call = last_call - ?', MAILBOX_IDLE_MS + 1);
    });
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    expect(await stored(id)).toMatchObject({ tables: 0 });
    await expectError(await deposit(id, bytes(1)), 404, 'NO_MAILBOX');
  });

  it('loses nothing when evicted between deposits, lists, fetches and deletes', async () => {
    const { id, token } = await claim();
    const a = await depositOk(id, bytes(100, 1));
    // (The instance is not compared across the eviction as the Room's tests do: handing a SQLite
    // object's instance out to the test leaves its statement cache in the test's I/O context.)
    await evictDurableObject(stub(id));
    const b = await depositOk(id, bytes(200, 2));
    await evictDurableObject(stub(id));
    expect((await listing(id, token)).map((x) => x.id)).toEqual([a, b]);
    await evictDurableObject(stub(id));
    const fetched = await fetchBlobs(id, token, [a, b]);
    expect(fetched.map((x) => x.data.length)).toEqual([100, 200]);
    await evictDurableObject(stub(id));
    await call('POST', `/mailboxes/${id}/delete`, { token, json: { ids: [a] } });
    await evictDurableObject(stub(id));
    expect((await listing(id, token)).map((x) => x.id)).toEqual([b]);
    // The token and the alarm survived too: a wrong token is still refused, the alarm still set.
    await expectError(await call('GET', `/mailboxes/${id}/blobs`, { token: newToken() }), 403, 'WRONG_TOKEN');
    expect(await runInDurableObject(stub(id), async (_m, state) => state.storage.getAlarm())).not.toBeNull();
  });

  it('finishes deposits that race an eviction: each one either stored or refused, none half-stored', async () => {
    const { id, token } = await claim();
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        if (i === 10) await evictDurableObject(stub(id));
        const response = await deposit(id, bytes(50 + i, i));
        return response.status === 201 ? (await response.json<{ id: string }>()).id : null;
      }),
    );
    const storedIds = new Set((await listing(id, token)).map((b) => b.id));
    for (const r of results) if (r !== null) expect(storedIds.has(r)).toBe(true);
    expect(storedIds.size).toBe(results.filter((r) => r !== null).length);
  });
});

describe('mailbox: wake-ups', () => {
  const keys = { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) };

  it('says in a sentence that this worker has no VAPID key, and takes no subscription', async () => {
    await expectError(await call('GET', '/push/key'), 503, 'PUSH_UNAVAILABLE');
    const { id, token } = await claim();
    await expectError(
      await call('PUT', `/mailboxes/${id}/push`, {
        token,
        json: { endpoint: 'https://push.example/x', keys },
      }),
      503,
      'PUSH_UNAVAILABLE',
    );
  });

  it.each([
    ['no keys', { endpoint: 'https://push.example/x' }],
    ['a plain-http endpoint', { endpoint: 'http://push.example/x', keys }],
    ['a local plain-http endpoint (only with PUSH_ALLOW_LOCAL)', { endpoint: 'http://127.0.0.1:9/x', keys }],
    ['credentials in the endpoint', { endpoint: 'https://u:p@push.example/x', keys }],
    ['a short key', { endpoint: 'https://push.example/x', keys: { ...keys, p256dh: 'AAAA' } }],
    ['a long auth secret', { endpoint: 'https://push.example/x', keys: { ...keys, auth: 'A'.repeat(40) } }],
    ['an extra field', { endpoint: 'https://push.example/x', keys, more: 1 }],
    ['an endpoint of 3,000 characters', { endpoint: `https://push.example/${'x'.repeat(3000)}`, keys }],
  ])('refuses a subscription with %s', async (_what, json) => {
    const { id, token } = await claim();
    await expectError(await call('PUT', `/mailboxes/${id}/push`, { token, json }), 400, 'BAD_REQUEST');
  });
});
