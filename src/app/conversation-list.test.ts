import { describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../crypto/random';
import { createEmitter } from '../protocol/events';
import { MemoryBackend, openMemoryStore } from '../store/memory-store';
import { messageRecord } from '../store/record-checks';
import { contact } from '../store/fixtures.test-util';
import type { Contact } from '../store/contact-types';
import type { StoredMessage } from '../store/message-types';
import { createConversationList, previewText } from './conversation-list';
import { MAX_SEARCH_HITS, SEARCH_SCAN_BUDGET, type MessageHit, fold } from './conversation-search';
import { AppError } from './errors';
import type { MessengerEvents } from './messenger-api';
import { connect, device } from './messenger.test-util';

const out = (
  contactId: string,
  sentAt: number,
  body = 'mine',
  extra: Partial<StoredMessage> = {},
): StoredMessage => ({
  contactId,
  messageId: randomBytes(16),
  direction: 'out',
  body,
  sentAt,
  state: 'delivered',
  ...extra,
});

const incoming = (contactId: string, sentAt: number, receivedAt: number, body = 'theirs'): StoredMessage => ({
  ...out(contactId, sentAt, body),
  direction: 'in',
  receivedAt,
});

/** The list over memory stores, with a clock the test moves and the events it emits. */
function setup() {
  const backend = new MemoryBackend();
  const stores = openMemoryStore({ backend });
  let clock = 10_000;
  const emitter = createEmitter<MessengerEvents>();
  const heard: string[] = [];
  emitter.on('conversation', (id) => heard.push(`conversation ${id}`));
  emitter.on('messages', (id) => heard.push(`messages ${id}`));
  const list = createConversationList({
    stores,
    now: () => clock,
    mustGet: async (id) => {
      const c = await stores.contacts.get(id);
      if (!c) throw new AppError('UNKNOWN_CONTACT', 'This contact no longer exists on this device.');
      return c;
    },
    serial: async (_id, task) => task(),
    emitter,
  });
  return {
    backend,
    stores,
    list,
    heard,
    setClock: (t: number) => (clock = t),
    /** Stores many messages at once. */
    bulk: (messages: readonly StoredMessage[]) => {
      for (const m of messages) {
        const r = messageRecord(m);
        backend.messages.set(`${r.contactId} ${r.messageIdHex}`, r);
      }
    },
  };
}

describe('conversation summaries', () => {
  it('sorts by the newest message (arrival for incoming ones), else when the contact was first seen', async () => {
    const { stores, list } = setup();
    const quiet = contact({ announcedName: 'Quiet', firstSeen: 5_000 });
    const older = contact({ announcedName: 'Older', firstSeen: 100 });
    const talker = contact({ announcedName: 'Talker', firstSeen: 200 });
    // A peer whose clock is far ahead: its message sorts by when it arrived here.
    const ahead = contact({ announcedName: 'Ahead', firstSeen: 300 });
    for (const c of [quiet, older, talker, ahead]) await stores.contacts.put(c);
    await stores.messages.add(out(older.id, 3_000));
    await stores.messages.add(incoming(talker.id, 6_000, 6_100, 'latest'));
    await stores.messages.add(incoming(ahead.id, 9_000_000, 4_000, 'from the future'));
    const summaries = await list.summaries();
    expect(summaries.map((s) => [s.contact.announcedName, s.activityAt])).toEqual([
      ['Talker', 6_100],
      ['Quiet', 5_000],
      ['Ahead', 4_000],
      ['Older', 3_000],
    ]);
    expect(summaries[0]!.last).toMatchObject({
      direction: 'in',
      at: 6_100,
      preview: 'latest',
      deleted: false,
    });
    expect(summaries[1]!.last).toBeUndefined();
  });

  it('counts incoming messages that arrived after the chat was last shown, never our own', async () => {
    const { stores, list, setClock, heard } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    await stores.messages.add(incoming(bob.id, 100, 1_000));
    await stores.messages.add(out(bob.id, 1_500));
    await stores.messages.add(incoming(bob.id, 200, 2_000));
    expect((await list.summaries())[0]!.unread).toBe(2);
    setClock(2_000);
    await list.markRead(bob.id);
    expect(heard).toEqual([`conversation ${bob.id}`]);
    expect((await list.summaries())[0]!.unread).toBe(0);
    await stores.messages.add(out(bob.id, 2_500));
    await stores.messages.add(incoming(bob.id, 50, 2_001)); // written long ago, arrived now
    expect((await list.summaries())[0]!).toMatchObject({ unread: 1, last: { direction: 'out' } });
    await expect(list.markRead('nobody')).rejects.toSatisfy((e) => AppError.is(e, 'UNKNOWN_CONTACT'));
  });

  it('previews the last message on one line, trimmed and cut, and marks deleted and edited ones', async () => {
    const { stores, list } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    await stores.messages.add(out(bob.id, 1, '  first\n\nline\tand   more  '));
    expect((await list.summaries())[0]!.last).toMatchObject({
      preview: 'first line and more',
      edited: false,
    });
    const tombstone = out(bob.id, 2, '', { deletedAt: 3 });
    await stores.messages.add(tombstone);
    expect((await list.summaries())[0]!.last).toMatchObject({ preview: '', deleted: true });
    expect(previewText('a'.repeat(100), 10)).toBe(`${'a'.repeat(10)}…`);
    expect(previewText('👨‍👩‍👧'.repeat(5), 3)).toBe(`${'👨‍👩‍👧'.repeat(3)}…`);
    expect(previewText('short', 10)).toBe('short');
  });
});

describe('archive and delete', () => {
  it('archives and unarchives a conversation, which stays in the list marked', async () => {
    const { stores, list, heard } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    await list.archive(bob.id, true);
    expect((await list.summaries()).map((s) => s.archived)).toEqual([true]);
    await stores.messages.add(incoming(bob.id, 1, 20_000)); // a message does not unarchive it
    expect((await list.summaries())[0]).toMatchObject({ archived: true, unread: 1 });
    await list.archive(bob.id, false);
    expect((await list.summaries())[0]!.archived).toBe(false);
    expect(heard).toEqual([`conversation ${bob.id}`, `conversation ${bob.id}`]);
    await expect(list.archive('nobody', true)).rejects.toSatisfy((e) => AppError.is(e, 'UNKNOWN_CONTACT'));
  });

  it('deletes a conversation’s messages and keeps the contact', async () => {
    const { stores, list, heard } = setup();
    const bob = contact();
    const carol = contact({ announcedName: 'Carol' });
    await stores.contacts.put(bob);
    await stores.contacts.put(carol);
    await stores.messages.add(incoming(bob.id, 1, 1));
    await stores.messages.add(out(carol.id, 1));
    await list.deleteConversation(bob.id);
    expect(heard).toEqual([`messages ${bob.id}`, `conversation ${bob.id}`]);
    expect(await stores.messages.list(bob.id)).toEqual([]);
    expect(await stores.messages.list(carol.id)).toHaveLength(1);
    expect(await stores.contacts.get(bob.id)).toEqual(bob);
    const summary = (await list.summaries()).find((s) => s.contact.id === bob.id);
    expect(summary).toEqual({ contact: bob, unread: 0, archived: false, activityAt: bob.firstSeen });
    await expect(list.deleteConversation('nobody')).rejects.toSatisfy((e) =>
      AppError.is(e, 'UNKNOWN_CONTACT'),
    );
  });

  it('goes on chatting after the conversation is deleted on one side', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob);
    await bob.messenger.send(rb.contact.id, 'before');
    await vi.waitFor(async () => expect(await alice.messenger.history(ra.contact.id)).toHaveLength(1));
    await alice.messenger.deleteConversation(ra.contact.id);
    expect(await alice.messenger.history(ra.contact.id)).toEqual([]);
    expect(await alice.messenger.contact(ra.contact.id)).toEqual(ra.contact);
    await bob.messenger.send(rb.contact.id, 'after');
    await alice.messenger.send(ra.contact.id, 'still here');
    await vi.waitFor(async () => {
      const history = await alice.messenger.history(ra.contact.id);
      expect(history.map((m) => `${m.direction}:${m.body}:${m.state}`).sort()).toEqual([
        'in:after:delivered',
        'out:still here:delivered',
      ]);
    });
    const [summary] = await alice.messenger.summaries();
    expect(summary).toMatchObject({ unread: 1 });
    await alice.messenger.markRead(ra.contact.id);
    expect((await alice.messenger.summaries())[0]!.unread).toBe(0);
    expect((await bob.messenger.summaries())[0]).toMatchObject({
      unread: 1,
      last: { preview: 'still here' },
    });
  });
});

describe('history pages through the messenger', () => {
  it('pages back through a conversation, newest first', async () => {
    const { stores, list, bulk } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    const all = Array.from({ length: 120 }, (_, i) => out(bob.id, 1_000 + i, `m${i}`));
    bulk(all);
    const newest = await list.historyPage(bob.id, { limit: 50 });
    expect(newest.messages.map((m) => m.body)).toEqual(all.slice(70).map((m) => m.body));
    const older = await list.historyPage(bob.id, { before: newest.messages[0]!, limit: 50 });
    expect(older.messages.map((m) => m.body)).toEqual(all.slice(20, 70).map((m) => m.body));
    expect(older.more).toBe(true);
  });
});

describe('search', () => {
  it('finds contacts by the name set here or the one announced, ignoring case, in NFC', async () => {
    const { stores, list } = setup();
    const rene = contact({ announcedName: 'Rene\u0301 Dupont' }); // decomposed é
    const bob = contact({ announcedName: 'Bob', localName: 'Bob from Work' });
    const ida = contact({ announcedName: 'İDA' });
    for (const c of [rene, bob, ida]) await stores.contacts.put(c);
    expect((await list.search('RENÉ')).contacts).toEqual([{ contactId: rene.id, field: 'announcedName' }]);
    expect((await list.search('work')).contacts).toEqual([{ contactId: bob.id, field: 'localName' }]);
    expect((await list.search('  ')).contacts).toEqual([]);
    expect((await list.search('i̇da')).contacts).toEqual([{ contactId: ida.id, field: 'announcedName' }]);
    expect(fold('ÅNGSTRÖM')).toBe('ångström');
  });

  it('finds messages and gives a snippet on one line with the match placed in it', async () => {
    const { stores, list } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    const long = `${'x'.repeat(50)}\nthe Café is open${'y'.repeat(100)}`;
    const m = incoming(bob.id, 1, 1, long);
    await stores.messages.add(m);
    await stores.messages.add(out(bob.id, 2, 'nothing here'));
    await stores.messages.add(out(bob.id, 3, '', { deletedAt: 4 }));
    const result = await list.search('cafe\u0301');
    expect(result.messages).toHaveLength(1);
    const hit = result.messages[0]!;
    expect(hit).toMatchObject({ contactId: bob.id, messageId: m.messageId, direction: 'in', sentAt: 1 });
    expect(hit.snippet.startsWith('…')).toBe(true);
    expect(hit.snippet.endsWith('…')).toBe(true);
    expect(hit.snippet).not.toContain('\n');
    expect(hit.snippet.slice(hit.match.start, hit.match.start + hit.match.length)).toBe('Café');
    expect(result.next).toBeUndefined();
  });

  it('places the match right when a letter’s lower case is longer (İ) or the text has emoji', async () => {
    const { stores, list } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    await stores.messages.add(out(bob.id, 1, '😀 İİ then Istanbul'));
    const hit = (await list.search('istanbul')).messages[0]!;
    expect(hit.snippet.slice(hit.match.start, hit.match.start + hit.match.length)).toBe('Istanbul');
    const dotted = (await list.search('i̇i̇')).messages[0]!;
    expect(dotted.snippet.slice(dotted.match.start, dotted.match.start + dotted.match.length)).toBe('İİ');
  });

  it('reads at most its budget a call and goes on from `next` without repeating or losing a hit', async () => {
    const { stores, list, bulk } = setup();
    const bob = contact({ announcedName: 'Bob' });
    const carol = contact({ announcedName: 'Carol' });
    await stores.contacts.put(bob);
    await stores.contacts.put(carol);
    // Every 100th message matches; Bob's conversation is the newer one, so it is searched first.
    const many = (c: Contact, n: number, start: number) =>
      Array.from({ length: n }, (_, i) =>
        out(c.id, start + i, i % 100 === 0 ? `needle ${c.announcedName} ${i}` : `hay ${i}`),
      );
    bulk(many(carol, 1_500, 1_000));
    bulk(many(bob, 3_000, 10_000));
    const found: MessageHit[] = [];
    let result = await list.search('NEEDLE');
    const calls = [result.scanned];
    found.push(...result.messages);
    while (result.next) {
      result = await list.search('needle', { after: result.next });
      expect(result.contacts).toEqual([]);
      calls.push(result.scanned);
      found.push(...result.messages);
    }
    expect(calls.every((n) => n <= SEARCH_SCAN_BUDGET)).toBe(true);
    expect(calls.reduce((a, b) => a + b)).toBe(4_500);
    expect(found.map((h) => h.snippet)).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `needle Bob ${2_900 - i * 100}`),
      ...Array.from({ length: 15 }, (_, i) => `needle Carol ${1_400 - i * 100}`),
    ]);
  });

  it('stops at its limit of hits and goes on just after the last one', async () => {
    const { stores, list, bulk } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    bulk(Array.from({ length: 120 }, (_, i) => out(bob.id, 1_000 + i, `hit ${i}`)));
    const first = await list.search('hit', { limit: 7 });
    expect(first.messages.map((h) => h.snippet)).toEqual(
      Array.from({ length: 7 }, (_, i) => `hit ${119 - i}`),
    );
    expect(first.scanned).toBe(7);
    const second = await list.search('hit', { after: first.next!, limit: 500 });
    expect(second.messages).toHaveLength(MAX_SEARCH_HITS);
    expect(second.messages[0]!.snippet).toBe('hit 112');
  });

  it('stops when its signal aborts', async () => {
    const { stores, list, bulk } = setup();
    const bob = contact();
    await stores.contacts.put(bob);
    bulk(Array.from({ length: 10 }, (_, i) => out(bob.id, i, `m ${i}`)));
    const controller = new AbortController();
    controller.abort(new Error('The search was replaced.'));
    await expect(list.search('m', { signal: controller.signal })).rejects.toThrow('The search was replaced.');
  });
});
