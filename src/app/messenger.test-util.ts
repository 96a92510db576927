/** Test helpers for the messenger: devices over in-memory stores, connected by memory transports. */
import { expect } from 'vitest';
import { createInvite } from '../protocol/pairing';
import { initRatchet, ratchetDecrypt, ratchetEncrypt } from '../protocol/ratchet';
import { type AppRecord, decodeRecord, encodeRecord } from '../protocol/records';
import { createMemoryTransportPair, type Tap } from '../rtc/memory-transport';
import { MemoryBackend, openMemoryStore } from '../store/memory-store';
import type { StoredIdentity } from '../store/identity-types';
import type { Stores } from '../store/stores';
import type { FileStorage } from '../store/file-storage';
import { createMemoryFileStorage } from '../store/memory-file-storage';
import { createIdentity, secureSession } from './connect';
import type { MailboxClient } from './mailbox-client';
import type { PushSubscriptionJson } from '../protocol/mailbox';
import type { FeatureSettings } from './record-effects';
import { createMessenger, type Arrival, type Messenger, type PairingMethod } from './messenger';

export interface Device {
  stores: Stores;
  backend: MemoryBackend;
  messenger: Messenger;
}

export async function device(
  name: string,
  backend = new MemoryBackend(),
  options: {
    mailbox?: MailboxClient;
    now?: () => number;
    pushSubscription?: () => PushSubscriptionJson | undefined;
    settings?: () => FeatureSettings;
    fileStorage?: FileStorage;
  } = {},
): Promise<Device> {
  const stores = openMemoryStore({ backend });
  const loaded = await stores.identity.load();
  let identity: StoredIdentity;
  if (loaded.kind === 'ok') identity = loaded.identity;
  else {
    const created = await stores.identity.create(name);
    if (created.kind !== 'created') throw new Error('could not create an identity');
    identity = created.identity;
  }
  const { mailbox, now, pushSubscription, settings } = options;
  const files = options.fileStorage ?? createMemoryFileStorage();
  return {
    stores,
    backend,
    messenger: createMessenger({
      stores,
      identity,
      ...(mailbox ? { mailbox: async () => Promise.resolve(mailbox) } : {}),
      ...(now ? { now } : {}),
      ...(pushSubscription ? { pushSubscription } : {}),
      ...(settings ? { settings } : {}),
      fileStorage: async () => Promise.resolve(files),
    }),
  };
}

/**
 * Alice and Bob connected over a live session, each with a mailbox at `mailbox` that the other
 * knows: each side announced its mailbox on the session, and both addresses arrived.
 */
export async function connectedWithMailboxes(mailbox: MailboxClient, now?: () => number) {
  const alice = await device('Alice', new MemoryBackend(), { mailbox, ...(now ? { now } : {}) });
  const bob = await device('Bob', new MemoryBackend(), { mailbox, ...(now ? { now } : {}) });
  const { ra, rb } = await connect(alice, bob);
  const a = ra.contact.id;
  const b = rb.contact.id;
  await expect
    .poll(async () => [
      typeof (await alice.stores.contacts.get(a))?.mailboxes?.peer?.id,
      typeof (await bob.stores.contacts.get(b))?.mailboxes?.peer?.id,
    ])
    .toEqual(['string', 'string']);
  return { alice, bob, a, b };
}

/** A fresh device's messenger alone (its own in-memory stores, an identity made for `name`). */
export async function messengerOf(name: string): Promise<Messenger> {
  return (await device(name)).messenger;
}

/** How each side's messenger is told the session arrived. */
export type Via = { kind: 'pairing'; method: PairingMethod } | { kind: 'rendezvous'; a: string; b: string };

/** Connects two devices over an in-memory pair; `a` is the offerer (Noise initiator). */
export async function connect(
  a: Device,
  b: Device,
  /** `binding`: both sides' sessions hold this short-code binding in their prologue. */
  options: {
    via?: Via;
    invite?: boolean;
    tap?: Tap;
    binding?: Uint8Array;
    /** What `b`'s app announces (an older version's list), instead of this version's. */
    bCapabilities?: readonly string[];
  } = {},
) {
  const pair = createMemoryTransportPair(options.tap ? { tap: options.tap } : {});
  const invite = options.invite ? createInvite(a.messenger.identity.userId) : undefined;
  const via = options.via ?? { kind: 'pairing', method: 'invite-code' };
  // As the reconnector does: a known contact's ratchet id is announced, so the ratchet goes on.
  const ratchetIds =
    via.kind === 'rendezvous'
      ? await Promise.all([a.messenger.ratchetId(via.a), b.messenger.ratchetId(via.b)])
      : [undefined, undefined];
  const [ca, cb] = await Promise.all([
    secureSession(pair.a, a.messenger.identity, undefined, ratchetIds[0], options.binding),
    secureSession(
      pair.b,
      b.messenger.identity,
      invite,
      ratchetIds[1],
      options.binding,
      ...(options.bCapabilities ? [options.bCapabilities] : []),
    ),
  ]);
  const arrival = (side: 'a' | 'b'): Arrival =>
    via.kind === 'pairing' ? via : { kind: 'rendezvous', contactId: via[side] };
  const [ra, rb] = await Promise.all([
    a.messenger.adopt(ca, arrival('a')),
    b.messenger.adopt(cb, arrival('b')),
  ]);
  return { pair, ca, cb, ra, rb };
}

/**
 * A peer that is not a messenger: its own session and ratchet, driven by the test, so it can send
 * exactly the records it likes (the same one twice, impossible times) to `target`, which adopts it
 * as a new contact. `received()` decrypts what the target sent back.
 */
export async function rawPeer(target: Device) {
  const pair = createMemoryTransportPair();
  const identity = await createIdentity('Raw');
  const [mine, theirs] = await Promise.all([
    secureSession(pair.a, identity),
    secureSession(pair.b, target.messenger.identity),
  ]);
  const inbox: Uint8Array[] = [];
  mine.session.on('message', (m) => inbox.push(m));
  const adopted = await target.messenger.adopt(theirs, { kind: 'pairing', method: 'invite-code' });
  const start = mine.session.takeRatchetStart()!;
  let state = await initRatchet({
    ...start,
    localIdentityKey: identity.keyPair.publicKey,
    remoteIdentityKey: mine.peer.staticKey,
    now: Date.now(),
  });
  return {
    contactId: adopted.contact.id,
    async send(record: AppRecord) {
      const sealed = await ratchetEncrypt(state, encodeRecord(record), { now: Date.now() });
      state = sealed.state;
      await mine.session.send(sealed.message);
    },
    /** Sends bytes as they are (a ratchet message not made with the ratchet, say). */
    async sendBytes(bytes: Uint8Array) {
      await mine.session.send(bytes);
    },
    async received(): Promise<AppRecord[]> {
      const out: AppRecord[] = [];
      for (const m of inbox.splice(0)) {
        const opened = await ratchetDecrypt(state, m, { now: Date.now() });
        state = opened.state;
        out.push(decodeRecord(opened.plaintext));
      }
      return out;
    },
  };
}

/** Bob starts over with a new identity key on the same device (contacts and pair secrets kept). */
export async function resetBob(bob: Device): Promise<Device> {
  await bob.stores.identity.resetIdentity('Bob');
  bob.messenger.dispose();
  return device('Bob', bob.backend);
}

export async function bodies(d: Device, contactId: string) {
  return (await d.messenger.history(contactId)).map((m) => `${m.direction}:${m.body}:${m.state}`);
}
