/**
 * The message store's conversation-feature part (message-changes.ts) as one contract for the
 * in-memory store and the IndexedDB one (over fake-indexeddb): the rules of each change, the outbox
 * of queued records, delete for me, a ratchet commit carrying the peer's changes and the acks of
 * queued records; and the database step 5 → 6 that adds the outbox.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { type IDBPDatabase, wrap } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../crypto/random';
import { type Db, SCHEMA_VERSION, type SecMsgSchema } from './idb-schema';
import { upgrade } from './idb-upgrade';
import { DB_NAME, openIdbStore } from './idb-store';
import { MemoryBackend, openMemoryStore } from './memory-store';
import { MAX_EDIT_HISTORY, type MessageChange, type QueuedRecord } from './message-changes';
import { messageRecord } from './record-checks';
import type { StoredMessage } from './message-types';
import { StoreError } from './store-error';
import type { Stores } from './stores';

const harnesses: { name: string; setup(): () => Promise<Stores> }[] = [
  {
    name: 'memory',
    setup: () => {
      const backend = new MemoryBackend();
      return async () => Promise.resolve(openMemoryStore({ backend }));
    },
  },
  {
    name: 'indexeddb',
    setup: () => {
      const factory = new IDBFactory();
      return async () => openIdbStore({ factory });
    },
  },
];

const C = 'c1';
function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    contactId: C,
    messageId: randomBytes(16),
    direction: 'out',
    body: 'hello',
    sentAt: 1000,
    state: 'delivered',
    ...overrides,
  };
}
const queued = (overrides: Partial<QueuedRecord> = {}): QueuedRecord => ({
  contactId: C,
  id: randomBytes(16),
  sentAt: 2000,
  record: Uint8Array.of(0x08, 1, 2, 3),
  state: 'queued',
  ...overrides,
});

describe.each(harnesses)('$name store: conversation features', (harness) => {
  let open: () => Promise<Stores>;
  let stores: Stores;

  beforeEach(async () => {
    open = harness.setup();
    stores = await open();
    return () => stores.close();
  });

  const get = async (id: Uint8Array) =>
    (await stores.messages.list(C)).find((m) => m.messageId.every((b, i) => b === id[i]));

  it('edits the author’s message only, keeps the previous bodies, and applies each edit once', async () => {
    const mine = message({ body: 'v1', sentAt: 1000 });
    const theirs = message({ direction: 'in', body: 'theirs', receivedAt: 1001 });
    await stores.messages.add(mine);
    await stores.messages.add(theirs);
    const edit = (m: StoredMessage, at: number, body: string, id = randomBytes(16)): MessageChange => ({
      kind: 'edit',
      messageId: m.messageId,
      from: 'out',
      id,
      at,
      body,
    });
    const second = edit(mine, 3000, 'v3');
    expect(await stores.messages.change(C, [edit(mine, 2000, 'v2'), second, second])).toEqual([
      'applied',
      'applied',
      'duplicate',
    ]);
    // An edit older than the body shown was one of the bodies in between: history only.
    expect(await stores.messages.change(C, [edit(mine, 2500, 'v2.5')])).toEqual(['applied']);
    expect(await stores.messages.change(C, [edit(theirs, 4000, 'forged')])).toEqual(['refused']);
    expect(await stores.messages.change(C, [edit(message(), 4000, 'x')])).toEqual(['missing']);
    stores.close();
    stores = await open();
    const got = (await get(mine.messageId))!;
    expect(got.body).toBe('v3');
    expect(got.editedAt).toBe(3000);
    expect(got.editId).toEqual(second.kind === 'edit' && second.id);
    expect(got.edits?.map((e) => `${e.at}:${e.body}`)).toEqual(['1000:v1', '2000:v2', '2500:v2.5']);
    expect((await get(theirs.messageId))!.body).toBe('theirs');
  });

  it(`keeps at most ${MAX_EDIT_HISTORY} previous bodies`, async () => {
    const m = message({ body: 'v0' });
    await stores.messages.add(m);
    const changes: MessageChange[] = Array.from({ length: MAX_EDIT_HISTORY + 5 }, (_, i) => ({
      kind: 'edit',
      messageId: m.messageId,
      from: 'out',
      id: randomBytes(16),
      at: 2000 + i,
      body: `v${i + 1}`,
    }));
    await stores.messages.change(C, changes);
    const got = (await get(m.messageId))!;
    expect(got.edits).toHaveLength(MAX_EDIT_HISTORY);
    expect(got.edits?.at(-1)?.body).toBe(`v${MAX_EDIT_HISTORY + 4}`);
    expect(got.body).toBe(`v${MAX_EDIT_HISTORY + 5}`);
  });

  it('keeps one reaction a side, the newest; an older one arriving late does not come back', async () => {
    const m = message({ direction: 'in', receivedAt: 1 });
    await stores.messages.add(m);
    const react = (from: 'in' | 'out', at: number, emoji: string, id = randomBytes(16)): MessageChange => ({
      kind: 'reaction',
      messageId: m.messageId,
      from,
      id,
      at,
      emoji,
    });
    const first = react('in', 100, '👍');
    expect(await stores.messages.change(C, [first, react('out', 100, '❤️'), first])).toEqual([
      'applied',
      'applied',
      'duplicate',
    ]);
    expect(await stores.messages.change(C, [react('in', 300, ''), react('in', 200, '😮')])).toEqual([
      'applied',
      'duplicate',
    ]);
    const got = (await get(m.messageId))!;
    expect(got.reactions?.map((r) => `${r.from}:${r.emoji}:${r.at}`).sort()).toEqual([
      'in::300',
      'out:❤️:100',
    ]);
  });

  it('deletes the author’s message for everyone: a tombstone, no body, history, reactions or quote', async () => {
    const m = message({ body: 'secret', replyTo: randomBytes(16) });
    const theirs = message({ direction: 'in', receivedAt: 1 });
    await stores.messages.add(m);
    await stores.messages.add(theirs);
    await stores.messages.change(C, [
      {
        kind: 'edit',
        messageId: m.messageId,
        from: 'out',
        id: randomBytes(16),
        at: 2000,
        body: 'more secret',
      },
      { kind: 'reaction', messageId: m.messageId, from: 'in', id: randomBytes(16), at: 2000, emoji: '👀' },
    ]);
    const del = (target: StoredMessage): MessageChange => ({
      kind: 'delete',
      messageId: target.messageId,
      from: 'out',
      at: 3000,
    });
    expect(await stores.messages.change(C, [del(m), del(m), del(theirs)])).toEqual([
      'applied',
      'duplicate',
      'refused',
    ]);
    const got = (await get(m.messageId))!;
    expect(got).toEqual({ ...m, body: '', deletedAt: 3000, replyTo: undefined });
    expect(
      await stores.messages.change(C, [
        { kind: 'reaction', messageId: m.messageId, from: 'in', id: randomBytes(16), at: 4000, emoji: '👍' },
      ]),
    ).toEqual(['missing']);
  });

  it('marks read: the peer reads ours (and it is delivered), we read theirs, nothing else', async () => {
    const ours = message({ state: 'sent' });
    const theirs = message({ direction: 'in', receivedAt: 1 });
    await stores.messages.add(ours);
    await stores.messages.add(theirs);
    const read = (m: StoredMessage, from: 'in' | 'out'): MessageChange => ({
      kind: 'read',
      messageId: m.messageId,
      from,
      at: 5000,
    });
    expect(
      await stores.messages.change(C, [
        read(ours, 'in'),
        read(ours, 'in'),
        read(theirs, 'in'),
        read(theirs, 'out'),
      ]),
    ).toEqual(['applied', 'duplicate', 'refused', 'applied']);
    expect(await get(ours.messageId)).toMatchObject({ readAt: 5000, state: 'delivered' });
    expect(await get(theirs.messageId)).toMatchObject({ readAt: 5000 });
  });

  it('queues a record with its change, only when the change applied, and lists the outbox oldest first', async () => {
    const m = message();
    await stores.messages.add(m);
    const later = queued({ sentAt: 3000 });
    const del: MessageChange = { kind: 'delete', messageId: m.messageId, from: 'out', at: 3000 };
    expect(await stores.messages.change(C, [del], later)).toEqual(['applied']);
    expect(await stores.messages.change(C, [del], queued({ sentAt: 4000 }))).toEqual(['duplicate']);
    const earlier = queued({ sentAt: 1500 });
    expect(await stores.messages.change(C, [], earlier)).toEqual([]);
    await stores.messages.change('c2', [], queued({ contactId: 'c2' }));
    stores.close();
    stores = await open();
    expect(await stores.messages.queued(C)).toEqual([earlier, later]);
    expect(await stores.messages.queuedSent(C, later.id, 'mailbox')).toBe(true);
    expect(await stores.messages.queuedSent(C, randomBytes(16), 'mailbox')).toBe(false);
    expect((await stores.messages.queued(C)).map((q) => `${q.state}/${q.route}`)).toEqual([
      'queued/undefined',
      'sent/mailbox',
    ]);
  });

  it('refuses malformed changes and queued records before writing anything', async () => {
    const m = message();
    await stores.messages.add(m);
    const bad: unknown[] = [
      { kind: 'edit', messageId: m.messageId, from: 'out', id: new Uint8Array(3), at: 1, body: 'x' },
      { kind: 'delete', messageId: new Uint8Array(15), from: 'out', at: 1 },
      { kind: 'read', messageId: m.messageId, from: 'sideways', at: 1 },
      { kind: 'delete', messageId: m.messageId, from: 'out', at: Number.NaN },
      { kind: 'poll', messageId: m.messageId, from: 'out', at: 1 },
    ];
    for (const c of bad) {
      await expect(stores.messages.change(C, [c as MessageChange])).rejects.toSatisfy((e) =>
        StoreError.is(e, 'BAD_ARGUMENT'),
      );
    }
    await expect(stores.messages.change(C, [], queued({ record: new Uint8Array(0) }))).rejects.toSatisfy(
      (e) => StoreError.is(e, 'BAD_ARGUMENT'),
    );
    expect(await stores.messages.queued(C)).toEqual([]);
    expect(await get(m.messageId)).toEqual(m);
    expect(() => messageRecord(message({ reactions: [1, 2, 3] as never }))).toThrow(StoreError);
    expect(() => messageRecord(message({ replyTo: new Uint8Array(4) }))).toThrow(StoreError);
  });

  it('deletes a message here only', async () => {
    const m = message();
    await stores.messages.add(m);
    expect(await stores.messages.remove(C, m.messageId)).toBe(true);
    expect(await stores.messages.remove(C, m.messageId)).toBe(false);
    expect(await stores.messages.list(C)).toEqual([]);
  });

  it('commits the peer’s changes with the ratchet state, and the acks and hand-overs of queued records', async () => {
    const m = message({ body: 'v1' });
    await stores.messages.add(m);
    const q1 = queued();
    const q2 = queued({ sentAt: 2500 });
    await stores.messages.change(C, [], q1);
    await stores.messages.change(C, [], q2);
    const result = await stores.ratchets.commit({
      contactId: C,
      expectedGeneration: 0,
      state: { version: 1 },
      changes: [
        { kind: 'reaction', messageId: m.messageId, from: 'in', id: randomBytes(16), at: 5, emoji: '🎉' },
        { kind: 'edit', messageId: m.messageId, from: 'in', id: randomBytes(16), at: 5, body: 'forged' },
      ],
      sent: [q2.id],
      sentRoute: 'relayed',
      delivered: [q1.id],
    });
    expect(result).toMatchObject({ kind: 'committed', changed: ['applied', 'refused'], updated: [] });
    expect((await get(m.messageId))?.reactions?.map((r) => r.emoji)).toEqual(['🎉']);
    expect((await get(m.messageId))?.body).toBe('v1');
    expect(await stores.messages.queued(C)).toEqual([{ ...q2, state: 'sent', route: 'relayed' }]);
    await expect(
      stores.ratchets.commit({
        contactId: C,
        expectedGeneration: 1,
        state: { version: 2 },
        changes: [{ kind: 'delete', messageId: new Uint8Array(2), from: 'in', at: 1 }],
      }),
    ).rejects.toSatisfy((e) => StoreError.is(e, 'BAD_ARGUMENT'));
    expect((await stores.ratchets.load(C)).generation).toBe(1);
  });

  it('forgets the outbox when everything is deleted', async () => {
    await stores.messages.change(C, [], queued());
    await stores.destroy();
    stores = await open();
    expect(await stores.messages.queued(C)).toEqual([]);
  });
});

describe('idb schema step 5 → 6', () => {
  it('adds an empty outbox and keeps every message as it was', async () => {
    const factory = new IDBFactory();
    const history = [message({ sentAt: 100 }), message({ sentAt: 200, direction: 'in', receivedAt: 250 })];
    // A database exactly as version 5 left it (the released steps up to 5), with two messages.
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 5);
      request.onupgradeneeded = (event) => {
        const db = wrap(request.result) as unknown as Db;
        const tx = wrap(request.transaction!) as unknown as Parameters<typeof upgrade>[3];
        upgrade(db, event.oldVersion, 5, tx);
        const messages = request.transaction!.objectStore('messages');
        for (const m of history) messages.put(messageRecord(m));
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the version-5 database'));
    });
    const current = await openIdbStore({ factory });
    expect(await current.messages.list(C)).toEqual(history);
    expect(await current.messages.queued(C)).toEqual([]);
    const q = queued();
    await current.messages.change(C, [], q);
    expect(await current.messages.queued(C)).toEqual([q]);
    current.close();
    const db = (await wrap(factory.open(DB_NAME))) as unknown as IDBPDatabase<SecMsgSchema>;
    try {
      expect(db.version).toBe(SCHEMA_VERSION);
      const outbox = db.transaction('outbox').store;
      expect(outbox.keyPath).toEqual(['contactId', 'idHex']);
      expect([...outbox.indexNames]).toEqual([]);
    } finally {
      db.close();
    }
  });
});
