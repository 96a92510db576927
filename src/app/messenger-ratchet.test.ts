/**
 * The messenger over the conversation ratchet and the ML-DSA identity: the ratchet goes on across
 * sessions and starts afresh only when the other side lost it; a refused ratchet message changes
 * nothing and is logged; key rotations are followed only with the old key's signature; the ML-DSA
 * key is pinned with the X25519 key.
 */
import { describe, expect, it, vi } from 'vitest';
import { text as standIn } from '../protocol/session.test-util';
import { deriveUserId } from '../protocol/user-id';
import { MemoryBackend } from '../store/memory-store';
import { bodies, connect, device, rawPeer } from './messenger.test-util';

const kinds = async (d: Awaited<ReturnType<typeof device>>, contactId: string) =>
  (await d.messenger.securityLog(contactId)).map((e) => e.kind);

describe('messenger and the conversation ratchet', () => {
  it('commits every message with the ratchet state that read it, and continues the same ratchet across sessions', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    const id = await alice.messenger.ratchetId(a);
    expect(id).toEqual(await bob.messenger.ratchetId(b));
    const before = (await bob.stores.ratchets.load(b)).generation;
    await alice.messenger.send(a, 'one');
    await vi.waitFor(async () => expect(await bodies(alice, a)).toEqual(['out:one:delivered']));
    // Bob's side: the message and the state that read it (one commit), then the ack he sent (another).
    expect((await bob.stores.ratchets.load(b)).generation).toBeGreaterThanOrEqual(before + 2);

    await alice.messenger.disconnect(a);
    await vi.waitFor(() => expect(alice.messenger.live(a)?.state).toBe('closed'));
    await alice.messenger.send(a, 'two');
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () =>
      expect(await bodies(bob, b)).toEqual(['in:one:delivered', 'in:two:delivered']),
    );
    expect(await alice.messenger.ratchetId(a)).toEqual(id);
    expect(await kinds(alice, a)).not.toContain('ratchet-restarted');
    expect(alice.messenger.ratchetView(a)?.dhSteps).toBeGreaterThan(1);
  });

  it('starts the ratchet afresh when the other side lost it, logs it, and delivers what was queued', async () => {
    const alice = await device('Alice');
    const backend = new MemoryBackend();
    const bob = await device('Bob', backend);
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    const old = await alice.messenger.ratchetId(a);
    await alice.messenger.disconnect(a);
    await vi.waitFor(() => expect(alice.messenger.live(a)?.state).toBe('closed'));
    await alice.messenger.send(a, 'while your storage was gone');
    // Bob's device loses its ratchet (a restored backup, say); he opens the app again.
    await bob.stores.ratchets.remove(b);
    bob.messenger.dispose();
    const bob2 = await device('Bob', backend);
    await connect(alice, bob2, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () =>
      expect(await bodies(bob2, b)).toEqual(['in:while your storage was gone:delivered']),
    );
    expect(await alice.messenger.ratchetId(a)).not.toEqual(old);
    expect(await alice.messenger.ratchetId(a)).toEqual(await bob2.messenger.ratchetId(b));
    expect(await kinds(alice, a)).toContain('ratchet-restarted');
  });

  it('refuses a message its ratchet cannot read: logged with why, nothing stored, the session goes on', async () => {
    const bob = await device('Bob');
    const raw = await rawPeer(bob);
    // Well-formed ratchet message, not made with the ratchet's keys.
    await raw.sendBytes(standIn('forged'));
    await vi.waitFor(async () => expect(await kinds(bob, raw.contactId)).toContain('ratchet-refused'));
    const refused = (await bob.messenger.securityLog(raw.contactId)).find(
      (e) => e.kind === 'ratchet-refused',
    );
    expect(refused?.detail).toMatch(/^[A-Z].*\.$/);
    expect(await bodies(bob, raw.contactId)).toEqual([]);
    await raw.send({ kind: 'text', id: new Uint8Array(16).fill(3), sentAt: Date.now(), body: 'real' });
    await vi.waitFor(async () => expect(await bodies(bob, raw.contactId)).toEqual(['in:real:delivered']));
  });
});

describe('messenger and identity keys', () => {
  it('follows a key rotation sent on the open session: new keys pinned, still verified, logged on both sides', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    await bob.messenger.markVerified(b);
    const oldKey = alice.messenger.identity.keyPair.publicKey;
    await alice.messenger.rotateKeys();
    const fresh = alice.messenger.identity;
    expect(fresh.keyPair.publicKey).not.toEqual(oldKey);
    expect(fresh.rotations).toHaveLength(1);
    await vi.waitFor(async () => {
      const c = await bob.messenger.contact(b);
      expect(c?.identityKey).toEqual(fresh.keyPair.publicKey);
    });
    const c = await bob.messenger.contact(b);
    expect(c?.signingKey).toEqual(fresh.signing.publicKey);
    expect(c?.userId).toEqual(deriveUserId(fresh.keyPair.publicKey, fresh.signing.publicKey));
    expect(c?.verified).toBe(true);
    expect(c?.pendingKey).toBeUndefined();
    expect(await kinds(bob, b)).toContain('key-rotated');
    expect(await kinds(alice, a)).toContain('key-rotated');
    // The old session closed; the next one, with the new keys, is the known contact, and chat goes on.
    await vi.waitFor(() => expect(bob.messenger.live(b)?.state).toBe('closed'));
    const second = await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    expect(second.rb.outcome).toBe('known-contact');
    await alice.messenger.send(a, 'with my new keys');
    await vi.waitFor(async () => expect(await bodies(bob, b)).toEqual(['in:with my new keys:delivered']));
    // Both sides rotated the pair secret to the same one.
    expect((await alice.messenger.contact(a))?.rendezvous?.secret).toEqual(
      (await bob.messenger.contact(b))?.rendezvous?.secret,
    );
  });

  it('follows a rotation announced in the handshake by a contact who missed the record, without a warning', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    await bob.messenger.markVerified(b);
    await alice.messenger.disconnect(a);
    await vi.waitFor(() => expect(bob.messenger.live(b)?.state).toBe('closed'));
    await alice.messenger.rotateKeys(); // no session open: Bob gets no record
    const second = await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    expect(second.rb.outcome).toBe('known-contact');
    const c = await bob.messenger.contact(b);
    expect(c?.identityKey).toEqual(alice.messenger.identity.keyPair.publicKey);
    expect(c?.verified).toBe(true);
    expect(c?.pendingKey).toBeUndefined();
    expect(await kinds(bob, b)).toContain('key-rotated');
    expect(await kinds(bob, b)).not.toContain('key-changed');
  });

  it('keeps the blocking warning for a new key that no pinned key signed', async () => {
    const alice = await device('Alice');
    const backend = new MemoryBackend();
    const bob = await device('Bob', backend);
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    // Bob starts a new identity instead of rotating: nothing signs the new keys.
    await bob.stores.identity.resetIdentity('Bob');
    bob.messenger.dispose();
    const bob2 = await device('Bob', backend);
    const second = await connect(alice, bob2, { via: { kind: 'rendezvous', a, b } });
    expect(second.ra.outcome).toBe('key-changed');
    expect((await alice.messenger.contact(a))?.pendingKey?.evidence).toBe('rendezvous');
  });

  it('refuses a session that presents a pinned X25519 key with another ML-DSA key', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const a = first.ra.contact.id;
    const stranger = await device('Mallory');
    // Mallory holds Bob's X25519 key (say, stolen) but not his ML-DSA key.
    const mixed = {
      ...stranger.messenger.identity,
      keyPair: bob.messenger.identity.keyPair,
    };
    const forged = { ...stranger, messenger: { ...stranger.messenger, identity: mixed } };
    const result = await connect(alice, forged);
    expect(result.ra.outcome).toBe('refused');
    expect(result.ra.contact.id).toBe(a);
    await vi.waitFor(() => expect(result.ca.session.state).toBe('closed'));
    expect(await kinds(alice, a)).toContain('possible-interception');
    expect((await alice.messenger.contact(a))?.signingKey).toEqual(bob.messenger.identity.signing.publicKey);
  });

  it('pins the ML-DSA key of a contact stored before identities had one, and logs it', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    // As a schema v3 contact: the X25519 key alone, its user id from it alone.
    const stored = (await alice.stores.contacts.get(a))!;
    const { signingKey: _, ...legacy } = stored;
    await alice.stores.contacts.put({ ...legacy, userId: deriveUserId(stored.identityKey) });
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    const c = await alice.messenger.contact(a);
    expect(c?.signingKey).toEqual(bob.messenger.identity.signing.publicKey);
    expect(c?.userId).toEqual(bob.messenger.identity.userId);
    expect(await kinds(alice, a)).toContain('signing-key-pinned');
  });
});
