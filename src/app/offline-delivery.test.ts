/**
 * Offline delivery through the mailboxes, two messengers over in-memory stores and the in-memory
 * worker: what is sent while the other is away arrives once and in order, acks come back through
 * the reverse mailbox, nothing is lost when the worker is away or a fetch is cut short, and the
 * worker holds nothing readable.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../crypto/bytes';
import { MemoryBackend } from '../store/memory-store';
import { FakeMailboxWorker } from './mailbox-fake.test-util';
import { bodies, connect, connectedWithMailboxes, device } from './messenger.test-util';
import { RETIRED_DROP_AFTER_MS } from './mailbox-read';
import { MAILBOX_REPLACE_AFTER_MS } from './offline-delivery';
import type { PushSubscriptionJson } from '../protocol/mailbox';

/** Alice and Bob paired over a live session, each with a mailbox the other knows; then apart. */
async function pairedThenApart(worker = new FakeMailboxWorker(), clock?: { now: number }) {
  const { alice, bob, a, b } = await connectedWithMailboxes(worker, clock ? () => clock.now : undefined);
  await alice.messenger.disconnect(a);
  await expect.poll(() => bob.messenger.live(b)?.state).toBe('closed');
  return { worker, alice, bob, a, b };
}

describe('offline delivery', () => {
  it('delivers what was written while the other was away, once and in order, and brings the acks back', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    const texts = Array.from({ length: 20 }, (_, i) => `offline message ${i + 1}`);
    for (const t of texts) await alice.messenger.send(a, t);
    await expect
      .poll(async () => (await alice.messenger.history(a)).map((m) => `${m.state}/${m.route}`))
      .toEqual(texts.map(() => 'sent/mailbox'));
    expect(worker.allBlobs()).toHaveLength(20);

    // What the worker holds: no text, no name, no key.
    const held = worker.allBlobs().map((blob) => new TextDecoder().decode(blob));
    for (const h of held) {
      expect(h).not.toContain('offline message');
      expect(h).not.toContain('Alice');
    }
    const keys = [alice.messenger.identity.keyPair.publicKey, bob.messenger.identity.keyPair.publicKey].map(
      toHex,
    );
    for (const blob of worker.allBlobs()) for (const k of keys) expect(toHex(blob)).not.toContain(k);

    const report = await bob.messenger.checkMailboxes();
    expect(report?.read).toBe(20);
    const got = await bob.messenger.history(b);
    expect(got.map((m) => m.body)).toEqual(texts);
    expect(got.every((m) => m.route === 'mailbox' && m.direction === 'in')).toBe(true);
    // Bob's mailbox is empty again; his ack waits in Alice's.
    const bobBox = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    expect(worker.boxes.get(bobBox.id)!.blobs).toEqual([]);
    expect(worker.allBlobs()).toHaveLength(1);

    await alice.messenger.checkMailboxes();
    expect(await bodies(alice, a)).toEqual(texts.map((t) => `out:${t}:delivered`));
    expect(worker.allBlobs()).toHaveLength(0);
  });

  it('stores a whole mailbox in one commit with the ratchet state, out of order and with a stranger’s blob among them', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    const texts = Array.from({ length: 20 }, (_, i) => `batched ${i + 1}`);
    for (const t of texts) await alice.messenger.send(a, t);
    await expect
      .poll(async () => (await alice.messenger.history(a)).map((m) => m.state))
      .toEqual(texts.map(() => 'sent'));
    const bobBox = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    const blobs = worker.boxes.get(bobBox.id)!.blobs;
    // The worker hands them back in another order, one not from Alice in the middle.
    [blobs[3], blobs[12]] = [blobs[12]!, blobs[3]!];
    blobs.reverse();
    await worker.deposit(bobBox.id, new TextEncoder().encode('not a ratchet message'));
    const last = blobs.pop()!;
    blobs.splice(10, 0, last);

    const commits: { added: number; generation: number }[] = [];
    const commit = bob.stores.ratchets.commit.bind(bob.stores.ratchets);
    bob.stores.ratchets.commit = async (c) => {
      commits.push({
        added: c.addMessages?.length ?? (c.addMessage ? 1 : 0),
        generation: c.expectedGeneration,
      });
      return commit(c);
    };
    const report = await bob.messenger.checkMailboxes();
    expect(report).toMatchObject({ read: 20, refused: 1 });
    // One commit stores all 20 (the next seals the ack for Alice's mailbox).
    expect(commits.filter((c) => c.added > 0)).toEqual([{ added: 20, generation: commits[0]!.generation }]);
    expect(commits).toHaveLength(2);
    const got = await bob.messenger.history(b);
    expect(got.map((m) => m.body)).toEqual(texts);
    expect(worker.boxes.get(bobBox.id)!.blobs).toEqual([]);
    await alice.messenger.checkMailboxes();
    expect(await bodies(alice, a)).toEqual(texts.map((t) => `out:${t}:delivered`));
  });

  it('shows a message once when it arrives both through the mailbox and live', async () => {
    const { alice, bob, a, b } = await pairedThenApart();
    await alice.messenger.send(a, 'twice?');
    await expect.poll(async () => (await alice.messenger.history(a))[0]?.route).toBe('mailbox');
    // They meet live before Bob read his mailbox: the outbox sends it again there.
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await expect.poll(async () => bodies(alice, a)).toEqual(['out:twice?:delivered']);
    await bob.messenger.checkMailboxes();
    expect(await bodies(bob, b)).toEqual(['in:twice?:delivered']);
    expect((await bob.messenger.history(b))[0]!.route).toBe('direct');
  });

  it('reads again, without showing twice or complaining, what a cut-short fetch left in the mailbox', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    for (const t of ['one', 'two', 'three']) await alice.messenger.send(a, t);
    await expect.poll(() => worker.allBlobs().length).toBe(3);
    worker.beforeRequest = (kind) => {
      if (kind === 'remove') throw new Error('the page closed');
    };
    await expect(bob.messenger.checkMailboxes()).rejects.toThrow('the page closed');
    expect(await bodies(bob, b)).toEqual(['in:one:delivered', 'in:two:delivered', 'in:three:delivered']);
    worker.beforeRequest = () => undefined;
    await bob.messenger.checkMailboxes();
    expect(await bodies(bob, b)).toEqual(['in:one:delivered', 'in:two:delivered', 'in:three:delivered']);
    expect((await bob.messenger.securityLog(b)).map((e) => e.kind)).not.toContain('mailbox-refused');
    const bobBox = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    expect(worker.boxes.get(bobBox.id)!.blobs).toEqual([]);
  });

  it('keeps a message queued while the worker cannot be reached, and deposits it at the next check', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    worker.reachable = false;
    await alice.messenger.send(a, 'patience');
    await expect(alice.messenger.checkMailboxes()).rejects.toThrow(/could not be reached/);
    expect(await bodies(alice, a)).toEqual(['out:patience:queued']);
    worker.reachable = true;
    await alice.messenger.checkMailboxes();
    expect((await alice.messenger.history(a))[0]).toMatchObject({ state: 'sent', route: 'mailbox' });
    await bob.messenger.checkMailboxes();
    expect(await bodies(bob, b)).toEqual(['in:patience:delivered']);
  });

  it('spends no message keys on deposits the worker refused: 70 written while it was away all arrive', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    worker.reachable = false;
    const texts = Array.from({ length: 70 }, (_, i) => `while away ${i}`);
    // Each send tries a deposit of everything waiting; each try fails. Sealing afresh every time
    // would spend 70·71/2 keys, past the 2,000 the contact accepts to skip.
    for (const t of texts) {
      await alice.messenger.send(a, t);
      await alice.messenger.checkMailboxes().catch(() => undefined);
    }
    worker.reachable = true;
    await alice.messenger.checkMailboxes();
    expect(worker.allBlobs()).toHaveLength(70);
    await bob.messenger.checkMailboxes();
    expect((await bob.messenger.history(b)).map((m) => m.body)).toEqual(texts);
    expect((await bob.messenger.securityLog(b)).map((e) => e.kind)).not.toContain('mailbox-refused');
  });

  it('refuses and deletes a blob that is no ratchet message of the contact, logging why', async () => {
    const { worker, alice, bob, b } = await pairedThenApart();
    const bobBox = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    // Alice knows the address; so would anyone she gave it to.
    await worker.deposit(bobBox.id, new TextEncoder().encode('not a ratchet message at all'));
    const report = await bob.messenger.checkMailboxes();
    expect(report).toMatchObject({ read: 0, refused: 1 });
    expect(await bob.messenger.history(b)).toEqual([]);
    expect((await bob.messenger.securityLog(b)).map((e) => e.kind)).toContain('mailbox-refused');
    expect(worker.boxes.get(bobBox.id)!.blobs).toEqual([]);
    alice.messenger.dispose();
  });

  it('replaces a mailbox after a week, reads the old one until it is empty, then drops it', async () => {
    const clock = { now: Date.now() };
    const { worker, alice, bob, a, b } = await pairedThenApart(new FakeMailboxWorker(), clock);
    const first = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    await alice.messenger.send(a, 'into the first one');
    await expect.poll(() => worker.boxes.get(first.id)?.blobs.length).toBe(1);

    clock.now += MAILBOX_REPLACE_AFTER_MS + 1;
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await expect.poll(async () => (await bob.stores.contacts.get(b))!.mailboxes!.own.length).toBe(2);
    const own = (await bob.stores.contacts.get(b))!.mailboxes!.own;
    expect(own[0]).toMatchObject({ id: first.id, retiredAt: clock.now });
    expect(own[1]!.id).not.toBe(first.id);
    await expect.poll(async () => (await alice.stores.contacts.get(a))!.mailboxes!.peer?.id).toBe(own[1]!.id);

    // The old mailbox is still read, then kept while it may still get deposits ...
    await bob.messenger.checkMailboxes();
    expect((await bob.messenger.history(b)).map((m) => m.body)).toEqual(['into the first one']);
    expect(worker.boxes.has(first.id)).toBe(true);
    // ... and dropped once it has been replaced for a day and is empty.
    clock.now += RETIRED_DROP_AFTER_MS;
    await bob.messenger.checkMailboxes();
    expect(worker.boxes.has(first.id)).toBe(false);
    expect((await bob.stores.contacts.get(b))!.mailboxes!.own.map((m) => m.id)).toEqual([own[1]!.id]);
  });

  it('replaces a mailbox the worker no longer has, and tells the contact through its mailbox', async () => {
    const { worker, alice, bob, a, b } = await pairedThenApart();
    const gone = (await bob.stores.contacts.get(b))!.mailboxes!.own.at(-1)!;
    worker.boxes.delete(gone.id); // expired after a long idle time
    await bob.messenger.checkMailboxes();
    const own = (await bob.stores.contacts.get(b))!.mailboxes!.own;
    expect(own.map((m) => m.id)).not.toContain(gone.id);
    expect(own).toHaveLength(1);
    // Alice's deposit to the old address fails: her message waits, queued, and the address goes.
    await alice.messenger.send(a, 'lost address');
    await expect.poll(async () => (await alice.stores.contacts.get(a))!.mailboxes?.peer).toBeUndefined();
    expect(await bodies(alice, a)).toEqual(['out:lost address:queued']);
    // Her next check reads Bob's announcement of the new one, and deposits there.
    await alice.messenger.checkMailboxes();
    expect((await alice.stores.contacts.get(a))!.mailboxes?.peer?.id).toBe(own[0]!.id);
    expect((await alice.messenger.history(a))[0]).toMatchObject({ state: 'sent', route: 'mailbox' });
    await bob.messenger.checkMailboxes();
    expect(await bodies(bob, b)).toEqual(['in:lost address:delivered']);
    await alice.messenger.checkMailboxes();
    expect(await bodies(alice, a)).toEqual(['out:lost address:delivered']);
  });

  it('registers the wake-up subscription with every inbound mailbox, new ones included, and takes it off', async () => {
    const worker = new FakeMailboxWorker();
    const clock = { now: Date.now() };
    let subscription: PushSubscriptionJson | undefined;
    const alice = await device('Alice', new MemoryBackend(), {
      mailbox: worker,
      now: () => clock.now,
      pushSubscription: () => subscription,
    });
    const bob = await device('Bob', new MemoryBackend(), { mailbox: worker, now: () => clock.now });
    const { ra, rb } = await connect(alice, bob);
    const a = ra.contact.id;
    const b = rb.contact.id;
    await expect.poll(async () => (await alice.stores.contacts.get(a))?.mailboxes?.own.length).toBe(1);
    const first = (await alice.stores.contacts.get(a))!.mailboxes!.own[0]!;
    expect(worker.pushes.size).toBe(0);
    subscription = { endpoint: 'https://push.example/x', keys: { p256dh: 'p', auth: 'a' } };
    await alice.messenger.setWakeUps(subscription);
    expect(worker.pushes.get(first.id)).toEqual(subscription);
    // A mailbox made later is registered when it is made.
    await alice.messenger.disconnect(a);
    clock.now += MAILBOX_REPLACE_AFTER_MS + 1;
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await expect.poll(async () => (await alice.stores.contacts.get(a))!.mailboxes!.own.length).toBe(2);
    const second = (await alice.stores.contacts.get(a))!.mailboxes!.own[1]!;
    expect(worker.pushes.get(second.id)).toEqual(subscription);
    expect(await alice.messenger.contactForMailbox(second.id)).toBe(a);
    expect(await alice.messenger.contactForMailbox('nope')).toBeUndefined();
    subscription = undefined;
    await alice.messenger.setWakeUps(undefined);
    expect(worker.pushes.size).toBe(0);
  });

  it('costs one request to open with 50 contacts and nothing waiting, and a bounded few per contact who wrote', async () => {
    const worker = new FakeMailboxWorker();
    const bob = await device('Bob', new MemoryBackend(), { mailbox: worker });
    const others: { d: Awaited<ReturnType<typeof device>>; id: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const d = await device(`Friend ${i}`, new MemoryBackend(), { mailbox: worker });
      const { ra } = await connect(d, bob);
      others.push({ d, id: ra.contact.id });
    }
    await expect
      .poll(
        async () =>
          (await bob.stores.contacts.list()).filter((c) => c.mailboxes?.peer && c.mailboxes.own.length)
            .length,
      )
      .toBe(50);
    for (const o of others) await o.d.messenger.disconnect(o.id);
    for (const c of await bob.stores.contacts.list()) {
      await expect.poll(() => bob.messenger.live(c.id)?.state).toBe('closed');
    }

    let before = worker.requests;
    await bob.messenger.checkMailboxes();
    const idle = worker.requests - before;
    expect(idle).toBe(1); // one list request for all 50 mailboxes

    // Five of them wrote two messages each while Bob was away.
    for (const o of others.slice(0, 5)) {
      await o.d.messenger.send(o.id, 'one');
      await o.d.messenger.send(o.id, 'two');
    }
    await expect.poll(() => worker.allBlobs().length).toBe(10);
    before = worker.requests;
    const report = await bob.messenger.checkMailboxes();
    const busy = worker.requests - before;
    expect(report?.read).toBe(10);
    // One list; per contact who wrote: one fetch, one delete, one ack deposit.
    expect(busy).toBe(1 + 5 * 3);
    console.log(
      `opening with 50 contacts: ${idle} request with nothing waiting, ${busy} with 10 messages from 5 of them`,
    );
  }, 60_000);
});
