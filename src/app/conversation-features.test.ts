/**
 * The conversation features between two messengers over in-memory stores and a memory transport
 * (and a raw peer that sends exactly the records a test likes): replies, reactions, edits, deletes
 * both ways and their refusals, read receipts and the typing indicator on and off on both sides,
 * duplicates, and delivery through the mailbox while the contact is away.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import type { AppRecord } from '../protocol/records';
import { MemoryBackend } from '../store/memory-store';
import type { StoredMessage } from '../store/message-types';
import { AppError } from './errors';
import { FakeMailboxWorker } from './mailbox-fake.test-util';
import { type Device, connect, connectedWithMailboxes, device, rawPeer } from './messenger.test-util';
import type { FeatureSettings } from './record-effects';

const ON: FeatureSettings = { readReceipts: true, typingIndicator: true };

async function paired(aliceSettings = ON, bobSettings = ON) {
  const alice = await device('Alice', new MemoryBackend(), { settings: () => aliceSettings });
  const bob = await device('Bob', new MemoryBackend(), { settings: () => bobSettings });
  const { ra, rb } = await connect(alice, bob);
  return { alice, bob, a: ra.contact.id, b: rb.contact.id };
}

const hex = (id: Uint8Array) => toHex(id);
async function find(d: Device, contactId: string, id: Uint8Array): Promise<StoredMessage | undefined> {
  return (await d.messenger.history(contactId)).find((m) => hex(m.messageId) === hex(id));
}
/** Sends `body` from `from` and waits until `to` has it and `from` has its ack. */
async function exchanged(from: Device, fromId: string, to: Device, toId: string, body: string) {
  const sent = await from.messenger.send(fromId, body);
  await expect.poll(async () => (await find(to, toId, sent.messageId))?.body).toBe(body);
  await expect.poll(async () => (await find(from, fromId, sent.messageId))?.state).toBe('delivered');
  return sent.messageId;
}
const appError = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (AppError.is(e) ? e.code : String(e)),
  );

describe('replies', () => {
  it('quote a message of either side by id; the receiver shows the quote from its own copy', async () => {
    const { alice, bob, a, b } = await paired();
    const question = await exchanged(bob, b, alice, a, 'Lunch?');
    const reply = await alice.messenger.reply(a, 'Yes, at one.', question);
    expect(reply.replyTo).toEqual(question);
    await expect.poll(async () => (await find(bob, b, reply.messageId))?.replyTo).toEqual(question);
    expect((await find(bob, b, reply.messageId))?.body).toBe('Yes, at one.');
    // And Bob quotes his own message back.
    const again = await bob.messenger.reply(b, 'Great.', question);
    await expect.poll(async () => (await find(alice, a, again.messageId))?.replyTo).toEqual(question);
    await expect.poll(async () => (await find(bob, b, again.messageId))?.state).toBe('delivered');
  });

  it('are refused for a message this side does not have, and checked like any text', async () => {
    const { alice, a } = await paired();
    expect(await appError(alice.messenger.reply(a, 'hm', randomBytes(16)))).toBe('UNKNOWN_MESSAGE');
    const mine = await alice.messenger.send(a, 'hello');
    expect(await appError(alice.messenger.reply(a, '  ', mine.messageId))).toBe('EMPTY_MESSAGE');
    expect(await appError(alice.messenger.reply(a, 'x'.repeat(64 * 1024 + 1), mine.messageId))).toBe(
      'MESSAGE_TOO_LONG',
    );
  });

  it('quoting a message the receiver never had arrives with its id (the UI says so)', async () => {
    const alice = await device('Alice');
    const raw = await rawPeer(alice);
    const unknown = randomBytes(16);
    const id = randomBytes(16);
    await raw.send({ kind: 'reply', id, sentAt: Date.now(), replyTo: unknown, body: 'about that…' });
    await expect.poll(async () => (await find(alice, raw.contactId, id))?.replyTo).toEqual(unknown);
  });
});

describe('reactions', () => {
  it('one a side and message, a new one replacing the old, an empty one taking it back', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(bob, b, alice, a, 'Got the tickets');
    await alice.messenger.react(a, m, '👍');
    const reactions = async (d: Device, id: string) =>
      ((await find(d, id, m))?.reactions ?? [])
        .filter((r) => r.emoji !== '')
        .map((r) => `${r.from}:${r.emoji}`);
    await expect.poll(async () => reactions(bob, b)).toEqual(['in:👍']);
    expect(await reactions(alice, a)).toEqual(['out:👍']);
    await alice.messenger.react(a, m, '❤️');
    await bob.messenger.react(b, m, '🎉');
    await expect.poll(async () => (await reactions(bob, b)).sort()).toEqual(['in:❤️', 'out:🎉']);
    await expect.poll(async () => (await reactions(alice, a)).sort()).toEqual(['in:🎉', 'out:❤️']);
    await alice.messenger.react(a, m, '');
    await expect.poll(async () => reactions(bob, b)).toEqual(['out:🎉']);
    // Every reaction was acknowledged: nothing waits in either outbox.
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
    await expect.poll(async () => (await bob.stores.messages.queued(b)).length).toBe(0);
  });

  it('refuse what is not one emoji, and a message that is not here', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(bob, b, alice, a, 'hi');
    expect(await appError(alice.messenger.react(a, m, '👍👍'))).toBe('BAD_REACTION');
    expect(await appError(alice.messenger.react(a, m, 'ok'))).toBe('BAD_REACTION');
    expect(await appError(alice.messenger.react(a, randomBytes(16), '👍'))).toBe('UNKNOWN_MESSAGE');
    expect(await alice.stores.messages.queued(a)).toEqual([]);
  });

  it('to a message the receiver does not have is dropped, and acknowledged so it is not sent again', async () => {
    const alice = await device('Alice');
    const raw = await rawPeer(alice);
    const id = randomBytes(16);
    await raw.send({ kind: 'reaction', id, sentAt: Date.now(), target: randomBytes(16), emoji: '👍' });
    await expect
      .poll(async () => (await raw.received()).some((r) => r.kind === 'ack' && hex(r.ids[0]!) === hex(id)))
      .toBe(true);
    expect(await alice.messenger.history(raw.contactId)).toEqual([]);
  });
});

describe('edits', () => {
  it('replace the author’s text on both sides, marked edited, the previous text kept as history', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(alice, a, bob, b, 'See you at 7');
    await alice.messenger.edit(a, m, 'See you at 8');
    await expect.poll(async () => (await find(bob, b, m))?.body).toBe('See you at 8');
    await alice.messenger.edit(a, m, 'See you at 9');
    await expect.poll(async () => (await find(bob, b, m))?.body).toBe('See you at 9');
    for (const [d, id] of [
      [bob, b],
      [alice, a],
    ] as const) {
      const got = (await find(d, id, m))!;
      expect(got.editedAt).toBeTypeOf('number');
      expect(got.edits?.map((e) => e.body)).toEqual(['See you at 7', 'See you at 8']);
    }
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
  });

  it('of the other side’s message are refused here, and from a peer refused and logged', async () => {
    const { alice, bob, a, b } = await paired();
    const theirs = await exchanged(bob, b, alice, a, 'mine, not yours');
    expect(await appError(alice.messenger.edit(a, theirs, 'changed'))).toBe('NOT_YOUR_MESSAGE');
    expect(await appError(alice.messenger.edit(a, theirs, ''))).toBe('EMPTY_MESSAGE');

    const carol = await device('Carol');
    const raw = await rawPeer(carol);
    const own = await carol.messenger.send(raw.contactId, 'Carol wrote this');
    const edit: AppRecord = {
      kind: 'edit',
      id: randomBytes(16),
      sentAt: Date.now(),
      target: own.messageId,
      body: 'forged',
    };
    await raw.send(edit);
    const del: AppRecord = { kind: 'delete', id: randomBytes(16), sentAt: Date.now(), target: own.messageId };
    await raw.send(del);
    await expect
      .poll(async () =>
        (await carol.messenger.securityLog(raw.contactId)).filter((e) => e.kind === 'ratchet-refused'),
      )
      .toHaveLength(2);
    const log = await carol.messenger.securityLog(raw.contactId);
    expect(log.map((e) => e.detail)).toContain(
      'They tried to edit a message that is not theirs. Nothing was changed.',
    );
    const kept = (await find(carol, raw.contactId, own.messageId))!;
    expect(kept.body).toBe('Carol wrote this');
    expect(kept.deletedAt).toBeUndefined();
    expect(kept.edits).toBeUndefined();
    // Both were acknowledged all the same: sending them again would change nothing.
    const acked = (await raw.received()).flatMap((r) => (r.kind === 'ack' ? r.ids.map(hex) : []));
    expect(acked).toEqual(expect.arrayContaining([hex(edit.id), hex(del.id)]));
  });

  it('arriving twice apply once', async () => {
    const carol = await device('Carol');
    const raw = await rawPeer(carol);
    const theirs = randomBytes(16);
    await raw.send({ kind: 'text', id: theirs, sentAt: Date.now() - 1000, body: 'v1' });
    const edit: AppRecord = {
      kind: 'edit',
      id: randomBytes(16),
      sentAt: Date.now(),
      target: theirs,
      body: 'v2',
    };
    await raw.send(edit);
    await raw.send(edit);
    const reaction: AppRecord = {
      kind: 'reaction',
      id: randomBytes(16),
      sentAt: Date.now(),
      target: theirs,
      emoji: '👀',
    };
    await raw.send(reaction);
    await raw.send(reaction);
    await expect
      .poll(async () => (await raw.received()).filter((r) => r.kind === 'ack').length, { timeout: 5000 })
      .toBeGreaterThan(0);
    await expect.poll(async () => (await find(carol, raw.contactId, theirs))?.reactions?.length).toBe(1);
    const got = (await find(carol, raw.contactId, theirs))!;
    expect(got.body).toBe('v2');
    expect(got.edits?.map((e) => e.body)).toEqual(['v1']);
  });
});

describe('delete', () => {
  it('for everyone leaves a tombstone on both sides, erasing the text and its history', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(alice, a, bob, b, 'oops, wrong chat');
    await alice.messenger.edit(a, m, 'oops');
    await expect.poll(async () => (await find(bob, b, m))?.body).toBe('oops');
    await bob.messenger.react(b, m, '😂');
    await expect.poll(async () => (await find(alice, a, m))?.reactions?.length).toBe(1);
    await alice.messenger.deleteForEveryone(a, m);
    await expect.poll(async () => (await find(bob, b, m))?.deletedAt).toBeTypeOf('number');
    for (const [d, id] of [
      [bob, b],
      [alice, a],
    ] as const) {
      const got = (await find(d, id, m))!;
      expect(got.body).toBe('');
      expect(got.edits).toBeUndefined();
      expect(got.reactions).toBeUndefined();
      // Nothing of the text is left in storage either.
      expect(JSON.stringify([...d.backend.messages.values()].map((r) => r.body))).not.toContain('oops');
    }
    expect(await appError(alice.messenger.edit(a, m, 'back'))).toBe('UNKNOWN_MESSAGE');
    expect(await appError(bob.messenger.deleteForEveryone(b, m))).toBe('NOT_YOUR_MESSAGE');
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
  });

  it('for me removes it here only, and sends nothing', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(bob, b, alice, a, 'keep this on my side');
    await alice.messenger.deleteForMe(a, m);
    expect(await find(alice, a, m)).toBeUndefined();
    expect(await alice.stores.messages.queued(a)).toEqual([]);
    expect((await find(bob, b, m))?.body).toBe('keep this on my side');
    expect(await appError(alice.messenger.deleteForMe(a, m))).toBe('UNKNOWN_MESSAGE');
  });
});

describe('read receipts', () => {
  it('with both on: the reader marks, the writer sees its message read', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(bob, b, alice, a, 'read me');
    expect(await alice.messenger.markMessagesRead(a, [m])).toBe(1);
    expect((await find(alice, a, m))?.readAt).toBeTypeOf('number');
    await expect.poll(async () => (await find(bob, b, m))?.readAt).toBeTypeOf('number');
    // Read once: marking it again sends nothing.
    expect(await alice.messenger.markMessagesRead(a, [m])).toBe(0);
    // A message of one's own is not read by marking it.
    const own = await exchanged(alice, a, bob, b, 'mine');
    expect(await alice.messenger.markMessagesRead(a, [own])).toBe(0);
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
  });

  it.each([
    ['the reader has them off: none is sent', { ...ON, readReceipts: false }, ON],
    ['the writer has them off: theirs are not shown', ON, { ...ON, readReceipts: false }],
  ])('mutual: %s', async (_, aliceSettings, bobSettings) => {
    const { alice, bob, a, b } = await paired(aliceSettings, bobSettings);
    const m = await exchanged(bob, b, alice, a, 'read me');
    await alice.messenger.markMessagesRead(a, [m]);
    expect((await find(alice, a, m))?.readAt).toBeTypeOf('number'); // read here all the same
    // A later message shows the session carried everything before it.
    await exchanged(alice, a, bob, b, 'after');
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
    expect((await find(bob, b, m))?.readAt).toBeUndefined();
  });
});

describe('typing indicator', () => {
  it('shows the contact typing, never stored, never queued, at most one started every few seconds', async () => {
    const { alice, bob, a, b } = await paired();
    const seen: boolean[] = [];
    bob.messenger.on('typing', (id, typing) => {
      if (id === b) seen.push(typing);
    });
    const before = bob.backend.messages.size + alice.backend.messages.size;
    expect(await alice.messenger.typing(a, true)).toBe(true);
    expect(await alice.messenger.typing(a, true)).toBe(false); // too soon
    await expect.poll(() => seen).toEqual([true]);
    expect(bob.messenger.contactTyping(b)).toBe(true);
    expect(await alice.messenger.typing(a, false)).toBe(true);
    expect(await alice.messenger.typing(a, false)).toBe(false); // nothing to stop
    await expect.poll(() => seen).toEqual([true, false]);
    expect(bob.messenger.contactTyping(b)).toBe(false);
    expect(bob.backend.messages.size + alice.backend.messages.size).toBe(before);
    expect(alice.backend.outbox.size + bob.backend.outbox.size).toBe(0);
    // A message from the typist ends it too.
    expect(await alice.messenger.typing(a, true)).toBe(true);
    await expect.poll(() => seen).toEqual([true, false, true]);
    await exchanged(alice, a, bob, b, 'done typing');
    expect(seen).toEqual([true, false, true, false]);
  });

  it.each([
    ['the typist has it off: nothing is sent', { ...ON, typingIndicator: false }, ON, false],
    ['the watcher has it off: nothing is shown', ON, { ...ON, typingIndicator: false }, true],
  ])('mutual: %s', async (_, aliceSettings, bobSettings, sent) => {
    const { alice, bob, a, b } = await paired(aliceSettings, bobSettings);
    const seen: boolean[] = [];
    bob.messenger.on('typing', (_id, typing) => seen.push(typing));
    expect(await alice.messenger.typing(a, true)).toBe(sent);
    await exchanged(alice, a, bob, b, 'after');
    expect(seen).toEqual([]);
  });

  it('goes over a live session only', async () => {
    const worker = new FakeMailboxWorker();
    const alice = await device('Alice', new MemoryBackend(), { mailbox: worker });
    const bob = await device('Bob', new MemoryBackend(), { mailbox: worker });
    const { ra } = await connect(alice, bob);
    await alice.messenger.disconnect(ra.contact.id);
    expect(await alice.messenger.typing(ra.contact.id, true)).toBe(false);
    expect(worker.allBlobs().length).toBe(0);
  });
});

describe('through the mailbox', () => {
  it('edits, reactions, deletes and receipts reach a contact who is away, and their acks come back', async () => {
    const worker = new FakeMailboxWorker();
    const { alice, bob, a, b } = await connectedWithMailboxes(worker);
    const mine = await exchanged(alice, a, bob, b, 'first draft');
    const gone = await exchanged(alice, a, bob, b, 'to be deleted');
    const theirs = await exchanged(bob, b, alice, a, 'nice');
    await alice.messenger.disconnect(a);
    await expect.poll(() => bob.messenger.live(b)?.state).toBe('closed');

    await alice.messenger.edit(a, mine, 'final draft');
    await alice.messenger.react(a, theirs, '👍');
    await alice.messenger.deleteForEveryone(a, gone);
    await alice.messenger.markMessagesRead(a, [theirs]);
    await expect
      .poll(async () => (await alice.stores.messages.queued(a)).map((q) => `${q.state}/${q.route}`))
      .toEqual(['sent/mailbox', 'sent/mailbox', 'sent/mailbox', 'sent/mailbox']);

    await bob.messenger.checkMailboxes();
    expect((await find(bob, b, mine))?.body).toBe('final draft');
    expect((await find(bob, b, theirs))?.reactions?.map((r) => `${r.from}:${r.emoji}`)).toEqual(['in:👍']);
    expect((await find(bob, b, theirs))?.readAt).toBeTypeOf('number');
    expect((await find(bob, b, gone))?.deletedAt).toBeTypeOf('number');

    await alice.messenger.checkMailboxes();
    expect(await alice.stores.messages.queued(a)).toEqual([]);
  });

  it('what waited with no session and no mailbox goes on the next session, once', async () => {
    const { alice, bob, a, b } = await paired();
    const m = await exchanged(bob, b, alice, a, 'hello');
    await alice.messenger.disconnect(a);
    await expect.poll(() => bob.messenger.live(b)?.state).toBe('closed');
    await alice.messenger.react(a, m, '🙂');
    expect((await alice.stores.messages.queued(a)).map((q) => q.state)).toEqual(['queued']);
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await expect.poll(async () => (await find(bob, b, m))?.reactions?.length).toBe(1);
    await expect.poll(async () => (await alice.stores.messages.queued(a)).length).toBe(0);
  });
});
