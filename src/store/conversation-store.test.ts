/**
 * The conversation store's contract, on the in-memory store and the IndexedDB one (over
 * fake-indexeddb, as store-contract.test.ts runs it): facts for the list, read positions, archive,
 * clearing a conversation, history pages; then what the IndexedDB one reads to serve them (about
 * what it returns, never a whole conversation) and its upgrade from database version 4.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openDatabase } from './idb-schema';
import { DB_NAME, openIdbStore } from './idb-store';
import { MemoryBackend, openMemoryStore } from './memory-store';
import { contactRecord, messageRecord } from './record-checks';
import { contact, message } from './fixtures.test-util';
import type { Contact } from './contact-types';
import { MAX_UNREAD, type StoredMessage } from './message-types';
import { StoreError } from './store-error';
import type { Stores } from './stores';

const clock = 1_700_000_000_000;
const now = (): number => clock;

interface Fixture {
  open(): Promise<Stores>;
  /** Stores many messages at once (faster than one `add` each). */
  bulk(messages: readonly StoredMessage[]): Promise<void>;
}

const harnesses: { name: string; setup(): Fixture }[] = [
  {
    name: 'memory',
    setup: () => {
      const backend = new MemoryBackend();
      return {
        open: async () => Promise.resolve(openMemoryStore({ backend, now })),
        bulk: async (messages) => {
          await Promise.resolve();
          for (const m of messages) {
            const r = messageRecord(m);
            backend.messages.set(`${r.contactId} ${r.messageIdHex}`, r);
          }
        },
      };
    },
  },
  {
    name: 'idb',
    setup: () => {
      const factory = new IDBFactory();
      return {
        open: async () => openIdbStore({ factory, now }),
        bulk: async (messages) => {
          const db = await openDatabase(factory, DB_NAME);
          try {
            const tx = db.transaction('messages', 'readwrite');
            await Promise.all([...messages.map(async (m) => tx.store.put(messageRecord(m))), tx.done]);
          } finally {
            db.close();
          }
        },
      };
    },
  },
];

const incoming = (contactId: string, sentAt: number, receivedAt: number, body = 'hi'): StoredMessage =>
  message(contactId, { direction: 'in', state: 'delivered', sentAt, receivedAt, body });

/** `n` messages a millisecond apart from `start`, alternating in and out. */
const conversation = (contactId: string, n: number, start = 10_000): StoredMessage[] =>
  Array.from({ length: n }, (_, i) =>
    i % 2
      ? incoming(contactId, start + i, start + i, `m${i}`)
      : message(contactId, { sentAt: start + i, body: `m${i}` }),
  );

const bodies = (ms: readonly StoredMessage[]) => ms.map((m) => m.body);

describe.each(harnesses)('$name conversation store', (harness) => {
  let fixture: Fixture;
  let stores: Stores;
  let bob: Contact;

  beforeEach(async () => {
    fixture = harness.setup();
    stores = await fixture.open();
    bob = contact();
    await stores.contacts.put(bob);
    return () => stores.close();
  });

  describe('facts', () => {
    it('says a conversation with no messages has none, nothing unread, not archived', async () => {
      expect(await stores.conversations.facts([bob.id])).toEqual([
        { contactId: bob.id, unread: 0, archived: false },
      ]);
      expect(await stores.conversations.facts([])).toEqual([]);
    });

    it('gives the newest message by sent time (ties by id) and counts only incoming ones as unread', async () => {
      const a = message(bob.id, { sentAt: 300, messageId: new Uint8Array(16).fill(1), body: 'a' });
      const b = message(bob.id, { sentAt: 300, messageId: new Uint8Array(16).fill(2), body: 'b' });
      for (const m of [b, incoming(bob.id, 100, 150), a, incoming(bob.id, 200, 250)])
        await stores.messages.add(m);
      const [facts] = await stores.conversations.facts([bob.id]);
      expect(facts).toEqual({ contactId: bob.id, last: b, unread: 2, archived: false });
    });

    it('answers for each contact asked, in that order, each from its own history', async () => {
      const carol = contact({ announcedName: 'Carol' });
      await stores.contacts.put(carol);
      await stores.messages.add(incoming(carol.id, 100, 100, 'for carol'));
      await stores.messages.add(message(bob.id, { body: 'for bob' }));
      const facts = await stores.conversations.facts([carol.id, bob.id, 'nobody']);
      expect(facts.map((f) => [f.contactId, f.last?.body, f.unread])).toEqual([
        [carol.id, 'for carol', 1],
        [bob.id, 'for bob', 0],
        ['nobody', undefined, 0],
      ]);
    });

    it('counts as unread only what arrived after the read position, which survives a reload', async () => {
      await stores.messages.add(incoming(bob.id, 100, 1000));
      await stores.messages.add(incoming(bob.id, 200, 2000));
      await stores.conversations.markRead(bob.id, 2000);
      expect((await stores.conversations.facts([bob.id]))[0]).toMatchObject({ unread: 0, readAt: 2000 });
      // Sent earlier by the peer's clock but received after the read position: unread.
      await stores.messages.add(incoming(bob.id, 50, 2001));
      expect((await stores.conversations.facts([bob.id]))[0]!.unread).toBe(1);
      stores.close();
      stores = await fixture.open();
      expect((await stores.conversations.facts([bob.id]))[0]).toMatchObject({ unread: 1, readAt: 2000 });
    });

    it('counts unread messages up to MAX_UNREAD', async () => {
      const many = (n: number, from: number) =>
        Array.from({ length: n }, (_, i) => incoming(bob.id, from + i, from + i));
      await fixture.bulk(many(MAX_UNREAD - 1, 0));
      expect((await stores.conversations.facts([bob.id]))[0]!.unread).toBe(MAX_UNREAD - 1);
      await fixture.bulk(many(1, 100_000));
      expect((await stores.conversations.facts([bob.id]))[0]!.unread).toBe(MAX_UNREAD);
      await fixture.bulk(many(5, 200_000));
      expect((await stores.conversations.facts([bob.id]))[0]!.unread).toBe(MAX_UNREAD);
      await stores.conversations.markRead(bob.id, 100_000);
      expect((await stores.conversations.facts([bob.id]))[0]!.unread).toBe(5);
    });

    it('refuses a conversation without a contact id, and a read position that is not a time', async () => {
      await expect(stores.conversations.facts([''])).rejects.toSatisfy((e) =>
        StoreError.is(e, 'BAD_ARGUMENT'),
      );
      await expect(stores.conversations.markRead(bob.id, Number.NaN)).rejects.toSatisfy((e) =>
        StoreError.is(e, 'BAD_ARGUMENT'),
      );
    });
  });

  it('archives and unarchives, keeping the read position, across a reload', async () => {
    await stores.conversations.markRead(bob.id, 5);
    await stores.conversations.setArchived(bob.id, true);
    stores.close();
    stores = await fixture.open();
    expect((await stores.conversations.facts([bob.id]))[0]).toMatchObject({ archived: true, readAt: 5 });
    await stores.conversations.setArchived(bob.id, false);
    expect((await stores.conversations.facts([bob.id]))[0]).toMatchObject({ archived: false, readAt: 5 });
  });

  it('clears one conversation: its messages and read position go; the contact, its ratchet, the archived mark and other conversations stay', async () => {
    const carol = contact({ announcedName: 'Carol' });
    await stores.contacts.put(carol);
    await fixture.bulk(conversation(bob.id, 30));
    await stores.messages.add(message(carol.id, { body: 'stays' }));
    await stores.ratchets.commit({ contactId: bob.id, expectedGeneration: 0, state: { version: 1 } });
    await stores.conversations.markRead(bob.id, 1);
    await stores.conversations.setArchived(bob.id, true);
    expect(await stores.conversations.clear(bob.id)).toBe(30);
    expect(await stores.messages.list(bob.id)).toEqual([]);
    expect(bodies(await stores.messages.list(carol.id))).toEqual(['stays']);
    expect(await stores.contacts.get(bob.id)).toEqual(bob);
    expect((await stores.ratchets.load(bob.id)).generation).toBe(1);
    expect((await stores.conversations.facts([bob.id]))[0]).toEqual({
      contactId: bob.id,
      unread: 0,
      archived: true,
    });
    // The conversation goes on.
    await stores.messages.add(incoming(bob.id, 1, 1, 'again'));
    expect((await stores.conversations.facts([bob.id]))[0]).toMatchObject({
      unread: 1,
      last: { body: 'again' },
    });
    expect(await stores.conversations.clear(bob.id)).toBe(1);
    expect(await stores.conversations.clear(bob.id)).toBe(0);
  });

  describe('history pages', () => {
    it('gives the newest messages first, oldest first within the page, then older pages until the start', async () => {
      const all = conversation(bob.id, 23);
      await fixture.bulk(all);
      const first = await stores.conversations.page(bob.id, { limit: 10 });
      expect(bodies(first.messages)).toEqual(bodies(all.slice(13)));
      expect(first.more).toBe(true);
      const second = await stores.conversations.page(bob.id, { before: first.messages[0]!, limit: 10 });
      expect(bodies(second.messages)).toEqual(bodies(all.slice(3, 13)));
      const third = await stores.conversations.page(bob.id, { before: second.messages[0]!, limit: 10 });
      expect(third).toEqual({ messages: all.slice(0, 3), more: false });
      const exact = await stores.conversations.page(bob.id, { before: all[10]!, limit: 10 });
      expect(exact).toEqual({ messages: all.slice(0, 10), more: false });
    });

    it('pages forward after a message, and says when there is nothing newer', async () => {
      const all = conversation(bob.id, 12);
      await fixture.bulk(all);
      const next = await stores.conversations.page(bob.id, { after: all[3]!, limit: 5 });
      expect(next).toEqual({ messages: all.slice(4, 9), more: true });
      expect(await stores.conversations.page(bob.id, { after: all[8]!, limit: 5 })).toEqual({
        messages: all.slice(9),
        more: false,
      });
      expect(await stores.conversations.page(bob.id, { after: all[11]!, limit: 5 })).toEqual({
        messages: [],
        more: false,
      });
    });

    it('pages through many messages sent in the same millisecond without losing or repeating one', async () => {
      const same = Array.from({ length: 40 }, (_, i) => incoming(bob.id, 7000, 7000, `s${i}`));
      const all = [...conversation(bob.id, 5, 6000), ...same, ...conversation(bob.id, 5, 8000)];
      await fixture.bulk(all);
      const history = await stores.messages.list(bob.id);
      const seen: StoredMessage[] = [];
      let page = await stores.conversations.page(bob.id, { limit: 7 });
      seen.unshift(...page.messages);
      while (page.more) {
        page = await stores.conversations.page(bob.id, { before: page.messages[0]!, limit: 7 });
        seen.unshift(...page.messages);
      }
      expect(seen).toEqual(history);
      const forward: StoredMessage[] = [];
      let at = history[0]!;
      forward.push(at);
      for (;;) {
        const p = await stores.conversations.page(bob.id, { after: at, limit: 6 });
        forward.push(...p.messages);
        if (!p.more) break;
        at = p.messages.at(-1)!;
      }
      expect(forward).toEqual(history);
      // A cursor that is not a stored message still places the page by its time and id.
      const ghost = { sentAt: 7000, messageId: history[20]!.messageId.map((b, i) => (i === 15 ? b ^ 0 : b)) };
      const around = await stores.conversations.page(bob.id, { before: ghost, limit: 3 });
      expect(around.messages).toEqual(history.slice(17, 20));
    });

    it('gives an empty page for a conversation with no messages', async () => {
      expect(await stores.conversations.page(bob.id, { limit: 50 })).toEqual({ messages: [], more: false });
    });

    it('refuses a page of no messages or too many, or one both before and after a message', async () => {
      const m = message(bob.id);
      for (const request of [
        { limit: 0 },
        { limit: 501 },
        { limit: 1.5 },
        { before: m, after: m, limit: 5 },
      ]) {
        await expect(stores.conversations.page(bob.id, request)).rejects.toSatisfy((e) =>
          StoreError.is(e, 'BAD_ARGUMENT'),
        );
      }
      await expect(
        stores.conversations.page(bob.id, { before: { sentAt: 1, messageId: new Uint8Array(3) }, limit: 5 }),
      ).rejects.toSatisfy((e) => StoreError.is(e, 'BAD_ARGUMENT'));
    });
  });
});

/**
 * Counts the cursor steps and bulk reads of every fake-indexeddb connection. Installed before any
 * cursor is used, so that `idb` takes these wrappers for the cursor methods it wraps.
 */
const reads = { steps: 0, getAll: 0 };
function counting<T extends object, K extends keyof T>(proto: T, name: K, key: keyof typeof reads): void {
  const original = proto[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(proto, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      reads[key]++;
      return original.apply(this, args);
    },
  });
}
counting(IDBCursor.prototype, 'continue', 'steps');
counting(IDBCursor.prototype, 'continuePrimaryKey', 'steps');
counting(IDBCursor.prototype, 'advance', 'steps');
counting(IDBIndex.prototype, 'getAll', 'getAll');
counting(IDBObjectStore.prototype, 'getAll', 'getAll');

describe('idb conversation store reads', () => {
  it('reads about a page, and one message per conversation for the list, out of 10,000', async () => {
    const harness = harnesses[1]!.setup();
    const stores = await harness.open();
    const bob = contact();
    await stores.contacts.put(bob);
    const all = conversation(bob.id, 10_000);
    await harness.bulk(all);
    // The same millisecond for a run of them, so that a page starts among ties.
    const ties = Array.from({ length: 30 }, (_, i) => incoming(bob.id, 15_000, 15_000, `t${i}`));
    await harness.bulk(ties);

    const history = await stores.messages.list(bob.id);
    const tieIndex = history.findIndex((m) => m.body === 't20');

    Object.assign(reads, { steps: 0, getAll: 0 });
    const first = await stores.conversations.page(bob.id, { limit: 50 });
    expect(first.messages).toEqual(history.slice(-50));
    // 50 messages: the cursor opens on the first and steps 50 times (the 51st says there are more).
    expect(reads).toEqual({ steps: 50, getAll: 0 });

    reads.steps = 0;
    const older = await stores.conversations.page(bob.id, { before: history[tieIndex]!, limit: 50 });
    expect(older.messages).toEqual(history.slice(tieIndex - 50, tieIndex));
    // 50 steps, and at most two to get past the ties on the near side of the cursor's message.
    expect(reads.steps).toBeLessThanOrEqual(52);
    expect(reads.getAll).toBe(0);

    reads.steps = 0;
    const facts = await stores.conversations.facts([bob.id]);
    // 5,030 unread, counted up to MAX_UNREAD.
    expect(facts[0]).toMatchObject({ unread: MAX_UNREAD, last: history.at(-1) });
    // One `advance` past the first MAX_UNREAD keys; no message read but the newest.
    expect(reads).toEqual({ steps: 1, getAll: 0 });
    stores.close();
  }, 60_000);
});

describe('idb upgrade to version 5', () => {
  it('upgrades a version-4 database: everything stays, what was stored counts as read, new messages as unread', async () => {
    const factory = new IDBFactory();
    const bob = contact();
    const history = [incoming(bob.id, 100, 150, 'old'), message(bob.id, { sentAt: 200, body: 'mine' })];
    // A database exactly as version 4 left it.
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 4);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('identity', { keyPath: 'id' });
        const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byIdentityKey', 'identityKeyHex', { unique: true });
        const messages = db.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
        messages.createIndex('byContactSentAt', ['contactId', 'sentAt']);
        const events = db.createObjectStore('events', { autoIncrement: true });
        events.createIndex('byContact', ['contactId', 'at']);
        db.createObjectStore('ratchets', { keyPath: 'contactId' });
        contacts.put(contactRecord(bob));
        for (const m of history) messages.put(messageRecord(m));
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the version-4 database'));
    });

    const before = Date.now();
    const current = await openIdbStore({ factory, now });
    expect(await current.contacts.get(bob.id)).toEqual(bob);
    expect(await current.messages.list(bob.id)).toEqual(history);
    const [facts] = await current.conversations.facts([bob.id]);
    expect(facts).toEqual({
      contactId: bob.id,
      last: history[1],
      unread: 0,
      readAt: facts!.readAt,
      archived: false,
    });
    // Read up to the upgrade's time (the browser's clock: the database opens before the app's).
    expect(facts!.readAt).toBeGreaterThanOrEqual(before);
    expect(facts!.readAt).toBeLessThanOrEqual(Date.now());
    await current.messages.add(incoming(bob.id, 300, Date.now() + 1, 'new'));
    expect((await current.conversations.facts([bob.id]))[0]!.unread).toBe(1);
    expect(await current.conversations.page(bob.id, { limit: 2 })).toMatchObject({ more: true });
    current.close();
    expect(await factory.databases()).toEqual([{ name: DB_NAME, version: SCHEMA_VERSION }]);
  });
});
