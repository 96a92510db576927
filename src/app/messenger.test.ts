import { describe, expect, it, vi } from 'vitest';
import { createInvite } from '../protocol/pairing';
import { createMemoryTransportPair, type Tap } from '../rtc/memory-transport';
import { MemoryBackend, openMemoryStore } from '../store/memory-store';
import type { StoredIdentity, Stores } from '../store/types';
import { secureSession } from './connect';
import { AppError } from './errors';
import { createMessenger, type Messenger, type PairingMethod } from './messenger';

interface Device {
  stores: Stores;
  backend: MemoryBackend;
  messenger: Messenger;
}

async function device(name: string, backend = new MemoryBackend()): Promise<Device> {
  const stores = openMemoryStore({ backend });
  const loaded = await stores.identity.load();
  let identity: StoredIdentity;
  if (loaded.kind === 'ok') identity = loaded.identity;
  else {
    const created = await stores.identity.create(name);
    if (created.kind !== 'created') throw new Error('could not create an identity');
    identity = created.identity;
  }
  return { stores, backend, messenger: createMessenger({ stores, identity }) };
}

/** Connects two devices over an in-memory pair; `a` is the inviter (offerer). */
async function connect(
  a: Device,
  b: Device,
  options: { method?: PairingMethod; invite?: boolean; tap?: Tap } = {},
) {
  const pair = createMemoryTransportPair(options.tap ? { tap: options.tap } : {});
  const invite = options.invite ? await createInvite(a.messenger.identity.keyPair.publicKey) : undefined;
  const [ca, cb] = await Promise.all([
    secureSession(pair.a, a.messenger.identity),
    secureSession(pair.b, b.messenger.identity, invite),
  ]);
  const method = options.method ?? 'invite-code';
  const [ra, rb] = await Promise.all([a.messenger.adopt(ca, method), b.messenger.adopt(cb, method)]);
  return { pair, ca, cb, ra, rb };
}

async function bodies(d: Device, contactId: string) {
  return (await d.messenger.history(contactId)).map((m) => `${m.direction}:${m.body}:${m.state}`);
}

describe('messenger', () => {
  it('makes a contact on both sides, delivers both ways and marks messages delivered on ack', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob);
    expect(ra.outcome).toBe('new-contact');
    expect(ra.contact.name).toBe('Bob');
    expect(ra.contact.verified).toBe(false);
    expect(rb.contact.name).toBe('Alice');

    await alice.messenger.send(ra.contact.id, 'Hello Bob');
    await bob.messenger.send(rb.contact.id, 'Hi Alice');
    await vi.waitFor(async () => {
      expect(await bodies(alice, ra.contact.id)).toEqual([
        'out:Hello Bob:delivered',
        'in:Hi Alice:delivered',
      ]);
      expect(await bodies(bob, rb.contact.id)).toEqual(['in:Hello Bob:delivered', 'out:Hi Alice:delivered']);
    });
    expect((await alice.messenger.securityLog(ra.contact.id)).map((e) => e.kind)).toEqual(['paired']);
  });

  it('keeps messages written while offline queued, and sends them once on the next session', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.disconnect(id);
    await vi.waitFor(() => expect(alice.messenger.live(id)?.state).toBe('closed'));
    await alice.messenger.send(id, 'while you were away');
    expect(await bodies(alice, id)).toEqual(['out:while you were away:queued']);

    const second = await connect(alice, bob, { method: 'reconnect' });
    expect(second.ra.outcome).toBe('known-contact');
    expect(second.ra.contact.id).toBe(id);
    await vi.waitFor(async () => {
      expect(await bodies(alice, id)).toEqual(['out:while you were away:delivered']);
      expect(await bodies(bob, first.rb.contact.id)).toEqual(['in:while you were away:delivered']);
    });
  });

  it('stores a message received twice (same id) once, and acknowledges both times', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ca, ra, rb } = await connect(alice, bob);
    const record = {
      kind: 'text' as const,
      id: new Uint8Array(16).fill(7),
      sentAt: Date.now(),
      body: 'once',
    };
    await ca.session.send(record);
    await ca.session.send(record);
    const acks: number[] = [];
    ca.session.on('record', (r) => {
      if (r.kind === 'ack') acks.push(r.ids.length);
    });
    await vi.waitFor(() => expect(acks).toEqual([1, 1]));
    expect(await bodies(bob, rb.contact.id)).toEqual(['in:once:delivered']);
    expect(ra.contact.id).toBeTruthy();
  });

  it('blocks a key change until accepted, clears verified, and logs it', async () => {
    const alice = await device('Alice');
    const bobBackend = new MemoryBackend();
    const bob = await device('Bob', bobBackend);
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.markVerified(id);
    expect((await alice.messenger.contact(id))?.verified).toBe(true);

    // Bob starts over with a new identity key (same user id), and pairs again.
    await bob.stores.identity.resetIdentity('Bob');
    const bob2 = await device('Bob', bobBackend);
    expect(bob2.messenger.identity.userId).toEqual(bob.messenger.identity.userId);
    const second = await connect(alice, bob2);
    expect(second.ra.outcome).toBe('key-changed');
    expect(second.ra.contact.id).toBe(id);
    const pending = await alice.messenger.contact(id);
    expect(pending?.verified).toBe(false);
    expect(pending?.pendingKey).toEqual(bob2.messenger.identity.keyPair.publicKey);
    expect(pending?.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);

    await expect(alice.messenger.send(id, 'blocked')).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'KEY_CHANGE_PENDING'),
    );
    await expect(alice.messenger.markVerified(id)).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'KEY_CHANGE_PENDING'),
    );
    // What Bob sends meanwhile is held, not shown.
    await bob2.messenger.send(second.rb.contact.id, 'it is me, new phone');
    await new Promise((r) => setTimeout(r, 50));
    expect(await bodies(alice, id)).toEqual([]);

    await alice.messenger.acceptKeyChange(id);
    const accepted = await alice.messenger.contact(id);
    expect(accepted?.identityKey).toEqual(bob2.messenger.identity.keyPair.publicKey);
    expect(accepted?.pendingKey).toBeUndefined();
    expect(accepted?.verified).toBe(false);
    await vi.waitFor(async () =>
      expect(await bodies(alice, id)).toEqual(['in:it is me, new phone:delivered']),
    );
    await alice.messenger.send(id, 'welcome back');
    expect((await alice.messenger.securityLog(id)).map((e) => e.kind)).toEqual([
      'paired',
      'verified-by-comparison',
      'key-changed',
      'verification-cleared',
      'key-change-accepted',
    ]);
  });

  it('keeps the old key when the user refuses the new one, and closes the session', async () => {
    const alice = await device('Alice');
    const bobBackend = new MemoryBackend();
    const bob = await device('Bob', bobBackend);
    const first = await connect(alice, bob);
    await bob.stores.identity.resetIdentity('Bob');
    const second = await connect(alice, await device('Bob', bobBackend));
    const id = first.ra.contact.id;
    await alice.messenger.refuseKeyChange(id);
    const c = await alice.messenger.contact(id);
    expect(c?.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);
    expect(c?.pendingKey).toBeUndefined();
    await vi.waitFor(() => expect(second.ca.session.state).toBe('closed'));
  });

  it('verifies by a scanned safety-number code only when it matches', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const carol = await device('Carol');
    const { ra, rb } = await connect(alice, bob);
    const withCarol = await connect(carol, bob);
    const bobsCode = (await bob.messenger.safetyNumber(rb.contact.id)).scannable;
    const bobsCodeForCarol = (await bob.messenger.safetyNumber(withCarol.rb.contact.id)).scannable;
    const mine = await alice.messenger.safetyNumber(ra.contact.id);
    expect(mine.digits).toBe((await bob.messenger.safetyNumber(rb.contact.id)).digits);

    expect(await alice.messenger.verifyByScan(ra.contact.id, bobsCodeForCarol)).toBe('mismatch');
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(false);
    expect(await alice.messenger.verifyByScan(ra.contact.id, bobsCode)).toBe('verified');
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(true);
    expect((await alice.messenger.securityLog(ra.contact.id)).map((e) => e.kind)).toEqual([
      'paired',
      'verification-failed',
      'verified-by-scan',
    ]);
  });

  it('verifies on the joiner side when a scanned invite named the key, and only then', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob, { method: 'scanned-invite', invite: true });
    expect(rb.contact.verified).toBe(true);
    expect(ra.contact.verified).toBe(false); // the inviter's side proved nothing
    const carol = await device('Carol');
    const dave = await device('Dave');
    const linked = await connect(carol, dave, { method: 'invite-link', invite: true });
    expect(linked.rb.contact.verified).toBe(false);
  });

  it('logs frames that fail their checks in the contact’s security log', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    let corrupt = false;
    const { ra, rb } = await connect(alice, bob, {
      tap: (from, data) => {
        if (corrupt && from === 'a') data[data.length - 1]! ^= 1; // the HMAC's last byte
        return data;
      },
    });
    corrupt = true;
    await alice.messenger.send(ra.contact.id, 'tampered on the way');
    await vi.waitFor(async () =>
      expect((await bob.messenger.securityLog(rb.contact.id)).map((e) => e.kind)).toContain('mac-failed'),
    );
    expect(await bodies(bob, rb.contact.id)).toEqual([]);
  });

  it('keeps the order written, even within one millisecond', async () => {
    const stores = openMemoryStore();
    const created = await stores.identity.create('Alice');
    if (created.kind !== 'created') throw new Error('no identity');
    const alice = {
      stores,
      backend: new MemoryBackend(),
      messenger: createMessenger({ stores, identity: created.identity, now: () => 1000 }),
    };
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob);
    const written = ['one', 'two', 'three', 'four', 'five', 'six'];
    for (const body of written) await alice.messenger.send(ra.contact.id, body);
    expect((await alice.messenger.history(ra.contact.id)).map((m) => m.body)).toEqual(written);
    await vi.waitFor(async () =>
      expect((await bob.messenger.history(rb.contact.id)).map((m) => m.body)).toEqual(written),
    );
  });

  it('refuses empty and oversized messages with sentences', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra } = await connect(alice, bob);
    await expect(alice.messenger.send(ra.contact.id, '  ')).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'EMPTY_MESSAGE'),
    );
    await expect(alice.messenger.send(ra.contact.id, 'x'.repeat(70_000))).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'MESSAGE_TOO_LONG'),
    );
  });
});
