import { describe, expect, it } from 'vitest';
import { constantTimeEqual, toBase64Url } from '../crypto/bytes';
import { openCard, sealCard } from '../protocol/card-seal';
import { openContactCard } from '../protocol/contact-card';
import { DirectoryError, type ClaimResponse } from '../protocol/directory';
import { deriveUserId } from '../protocol/user-id';
import type { PushSubscriptionJson } from '../protocol/mailbox';
import type { DirectoryClient } from '../rtc/directory-client';
import { MemoryBackend, openMemoryStore } from '../store/memory-store';
import type { StoredIdentity } from '../store/identity-types';
import { createMemoryFileStorage } from '../store/memory-file-storage';
import { FakeMailboxWorker } from './mailbox-fake.test-util';
import { createMessenger } from './messenger';
import { type Device, connect } from './messenger.test-util';
import { UsernameError } from './username-errors';

/** The directory's rules (one owner a handle, release by secret) in memory; `swap` tampers. */
class FakeDirectory implements DirectoryClient {
  readonly held = new Map<string, { card: Uint8Array; owner: string }>();
  /** A directory that answers lookups with something else than it was given. */
  swap: ((handle: string, card: Uint8Array) => Promise<Uint8Array>) | undefined;

  async lookup(handle: string): Promise<Uint8Array> {
    await Promise.resolve();
    const held = this.held.get(handle);
    if (!held) throw new DirectoryError('NOT_FOUND');
    return this.swap ? this.swap(handle, held.card) : held.card;
  }

  async claim(handle: string, card: Uint8Array, secret: Uint8Array): Promise<ClaimResponse> {
    const owner = toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.from(secret))));
    const held = this.held.get(handle);
    if (held && held.owner !== owner) throw new DirectoryError('TAKEN');
    this.held.set(handle, { card, owner });
    return { created: !held, expires: Date.now() + 1000 };
  }

  async release(handle: string, secret: Uint8Array): Promise<void> {
    const owner = toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.from(secret))));
    const held = this.held.get(handle);
    if (!held) throw new DirectoryError('NOT_FOUND');
    if (held.owner !== owner) throw new DirectoryError('WRONG_SECRET');
    this.held.delete(handle);
  }
}

async function device(
  name: string,
  mailbox: FakeMailboxWorker,
  directory: FakeDirectory,
  now?: () => number,
  pushSubscription?: () => PushSubscriptionJson | undefined,
): Promise<Device> {
  const backend = new MemoryBackend();
  const stores = openMemoryStore({ backend });
  const created = await stores.identity.create(name);
  if (created.kind !== 'created') throw new Error('could not create an identity');
  const identity: StoredIdentity = created.identity;
  const files = createMemoryFileStorage();
  return {
    stores,
    backend,
    messenger: createMessenger({
      stores,
      identity,
      mailbox: async () => Promise.resolve(mailbox),
      directory: async () => Promise.resolve(directory),
      ...(now ? { now } : {}),
      ...(pushSubscription ? { pushSubscription } : {}),
      fileStorage: async () => Promise.resolve(files),
    }),
  };
}

async function world() {
  const mailbox = new FakeMailboxWorker();
  const directory = new FakeDirectory();
  const alice = await device('Alice', mailbox, directory);
  const bob = await device('Bob', mailbox, directory);
  return { mailbox, directory, alice, bob };
}

describe('usernames', () => {
  it('claims a handle with a signed card; another device is refused it; release frees it', async () => {
    const { directory, alice, bob } = await world();
    const bobNames = await bob.messenger.usernames();
    expect(await bobNames.claim('@Bob.42')).toBe('bob.42');
    expect(await bobNames.mine()).toBe('bob.42');
    const stored = directory.held.get('bob.42')!.card;
    const card = await openContactCard(await openCard('bob.42', stored), 'bob.42');
    expect(card.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);
    expect(card.userId).toEqual(bob.messenger.identity.userId);

    const aliceNames = await alice.messenger.usernames();
    await expect(aliceNames.claim('bob.42')).rejects.toSatisfy((e) => DirectoryError.is(e, 'TAKEN'));
    expect(await aliceNames.mine()).toBeUndefined();
    await expect(bobNames.claim('bob.43')).rejects.toSatisfy((e) => UsernameError.is(e, 'HAVE_USERNAME'));

    await bobNames.release();
    expect(await bobNames.mine()).toBeUndefined();
    await expect(aliceNames.add('@bob.42')).rejects.toSatisfy((e) => DirectoryError.is(e, 'NOT_FOUND'));
    expect(await alice.stores.contacts.list()).toEqual([]);
    await expect(aliceNames.claim('not a handle')).rejects.toSatisfy((e) =>
      DirectoryError.is(e, 'BAD_HANDLE'),
    );
  });

  it('adds by username: request, safety number, accept, then both meet in their rendezvous, unverified', async () => {
    const { alice, bob } = await world();
    const bobNames = await bob.messenger.usernames();
    await bobNames.claim('bob.42');
    const sent = await (await alice.messenger.usernames()).add('bob.42');
    expect(sent.verified).toBe(false);
    expect(sent.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);
    expect(sent.userId).toEqual(bob.messenger.identity.userId);
    expect(sent.announcedName).toBe('@bob.42');
    expect((await alice.messenger.securityLog(sent.id)).map((e) => e.kind)).toEqual(['paired']);

    const [incoming, ...more] = await bobNames.read();
    expect(more).toEqual([]);
    const aliceKeys = alice.messenger.identity;
    expect(incoming!.request.displayName).toBe('Alice');
    // The requester's user id is derived from its keys on Bob's side.
    expect(incoming!.request.userId).toEqual(
      deriveUserId(aliceKeys.keyPair.publicKey, aliceKeys.signing.publicKey),
    );
    expect(incoming!.safetyNumber).toBe((await alice.messenger.safetyNumber(sent.id)).digits);

    const accepted = await bobNames.accept(incoming!.id);
    expect(accepted.verified).toBe(false);
    expect(accepted.announcedName).toBe('Alice');
    expect(await bobNames.read()).toEqual([]);
    expect(constantTimeEqual(accepted.rendezvous!.secret, sent.rendezvous!.secret)).toBe(true);
    expect(accepted.rendezvous!.offerer).toBe(!sent.rendezvous!.offerer);
    expect(accepted.rendezvous!.keys).toEqual(sent.rendezvous!.keys);

    const [a, b] = sent.rendezvous!.offerer ? [alice, bob] : [bob, alice];
    const ids = {
      [alice.messenger.identity.displayName]: sent.id,
      [bob.messenger.identity.displayName]: accepted.id,
    };
    const { ra, rb } = await connect(a, b, {
      via: {
        kind: 'rendezvous',
        a: ids[a.messenger.identity.displayName]!,
        b: ids[b.messenger.identity.displayName]!,
      },
    });
    expect([ra.outcome, rb.outcome]).toEqual(['known-contact', 'known-contact']);
    expect(ra.contact.verified || rb.contact.verified).toBe(false);
    await alice.messenger.send(sent.id, 'hello Bob');
    await expect
      .poll(async () => (await bob.messenger.history(accepted.id)).map((m) => m.body))
      .toEqual(['hello Bob']);
    expect((await alice.messenger.contact(sent.id))?.announcedName).toBe('Bob');
  });

  it('refuses a card the directory swapped or changed, and stores no contact', async () => {
    const { directory, alice, bob } = await world();
    await (await bob.messenger.usernames()).claim('bob.42');
    const carol = await device('Carol', new FakeMailboxWorker(), directory);
    await (await carol.messenger.usernames()).claim('carol.07');
    const names = await alice.messenger.usernames();
    const carols = directory.held.get('carol.07')!.card;
    directory.swap = async () => Promise.resolve(carols);
    await expect(names.add('bob.42')).rejects.toThrow(/not this username’s/);
    // An operator who knows both handles can seal Carol's card under Bob's: its signed handle tells.
    directory.swap = async () => sealCard('bob.42', await openCard('carol.07', carols));
    await expect(names.add('bob.42')).rejects.toThrow(/card of another username/);
    directory.swap = async (handle, card) => {
      const changed = await openCard(handle, card);
      changed[40]! ^= 1;
      return sealCard(handle, changed);
    };
    await expect(names.add('bob.42')).rejects.toThrow(/not signed by the keys it names/);
    expect(await alice.stores.contacts.list()).toEqual([]);
  });

  it('a session of other keys in the new pair’s rendezvous is a key change, never the contact', async () => {
    const { mailbox, directory, alice, bob } = await world();
    await (await bob.messenger.usernames()).claim('bob.42');
    const sent = await (await alice.messenger.usernames()).add('bob.42');
    const mallory = await device('Mallory', mailbox, directory);
    const { ra } = await connect(alice, mallory, { via: { kind: 'rendezvous', a: sent.id, b: 'none' } });
    expect(ra.outcome).toBe('key-changed');
    const stored = await alice.stores.contacts.get(sent.id);
    expect(stored?.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);
    expect(stored?.pendingKey?.identityKey).toEqual(mallory.messenger.identity.keyPair.publicKey);
  });

  it('publishes the card again with the new keys when this device replaces its keys', async () => {
    const { directory, alice, bob } = await world();
    await (await bob.messenger.usernames()).claim('bob.42');
    await bob.messenger.rotateKeys();
    await expect
      .poll(
        async () =>
          (await openContactCard(await openCard('bob.42', directory.held.get('bob.42')!.card), 'bob.42'))
            .identityKey,
      )
      .toEqual(bob.messenger.identity.keyPair.publicKey);
    const sent = await (await alice.messenger.usernames()).add('bob.42');
    expect(sent.userId).toEqual(bob.messenger.identity.userId);
    expect(await (await bob.messenger.usernames()).read()).toHaveLength(1);
  });

  it('publishes the card again when it is a week old, and claims a request mailbox the worker lost', async () => {
    const mailbox = new FakeMailboxWorker();
    const directory = new FakeDirectory();
    let at = Date.now();
    const bob = await device('Bob', mailbox, directory, () => at);
    const names = await bob.messenger.usernames();
    await names.claim('bob.42');
    const first = directory.held.get('bob.42')!.card;
    await names.read();
    expect(directory.held.get('bob.42')!.card).toBe(first);
    at += 8 * 24 * 60 * 60_000;
    await names.read();
    expect(directory.held.get('bob.42')!.card).not.toBe(first);
    expect((await bob.stores.usernames.get())!.claimedAt).toBe(at);
    const { id } = (await bob.stores.usernames.get())!.mailbox;
    mailbox.boxes.delete(id);
    expect(await names.read()).toEqual([]);
    expect(mailbox.boxes.has(id)).toBe(true);
  });

  it('forgets a username that expired and went to someone else', async () => {
    const { directory, alice, bob } = await world();
    const names = await bob.messenger.usernames();
    await names.claim('bob.42');
    directory.held.delete('bob.42'); // expired
    await (await alice.messenger.usernames()).claim('bob.42');
    await expect(names.republish()).rejects.toSatisfy((e) => UsernameError.is(e, 'USERNAME_LOST'));
    expect(await names.mine()).toBeUndefined();
  });

  it('lets requests wake the browser, as messages do, when wake-ups are on', async () => {
    const mailbox = new FakeMailboxWorker();
    const subscription = { endpoint: 'https://push.example/1', keys: { p256dh: 'p', auth: 'a' } };
    let current: PushSubscriptionJson | undefined = subscription;
    const bob = await device('Bob', mailbox, new FakeDirectory(), undefined, () => current);
    await (await bob.messenger.usernames()).claim('bob.42');
    const { id } = (await bob.stores.usernames.get())!.mailbox;
    expect(mailbox.pushes.get(id)).toEqual(subscription);
    current = undefined;
    await bob.messenger.setWakeUps(undefined);
    expect(mailbox.pushes.has(id)).toBe(false);
    await bob.messenger.setWakeUps(subscription);
    expect(mailbox.pushes.get(id)).toEqual(subscription);
  });

  it('ignoring deletes the request; unreadable blobs in the request mailbox are deleted', async () => {
    const { mailbox, alice, bob } = await world();
    const bobNames = await bob.messenger.usernames();
    await bobNames.claim('bob.42');
    await (await alice.messenger.usernames()).add('bob.42');
    const claim = await bob.stores.usernames.get();
    await mailbox.deposit(claim!.mailbox.id, new Uint8Array(3000));
    const list = await bobNames.read();
    expect(list).toHaveLength(1);
    expect(mailbox.boxes.get(claim!.mailbox.id)!.blobs).toHaveLength(1);
    await bobNames.ignore(list[0]!.id);
    expect(await bobNames.read()).toEqual([]);
    expect(await bob.stores.contacts.list()).toEqual([]);
    await expect(bobNames.accept(list[0]!.id)).rejects.toSatisfy((e) => UsernameError.is(e, 'NO_REQUEST'));
  });
});
