import { describe, expect, it, vi } from 'vitest';
import { deriveUserId } from '../protocol/user-id';
import { PEER_TIME_BOUND_MS } from '../store/peer-time';
import { MemoryBackend, openMemoryStore } from '../store/memory-store';
import { text as standIn } from '../protocol/session.test-util';
import { AppError } from './errors';
import { MAX_HELD_RECORDS } from './delivery';
import { createMessenger } from './messenger';
import { bodies, connect, device, rawPeer, resetBob } from './messenger.test-util';

describe('messenger', () => {
  it('makes a contact on both sides, delivers both ways and marks messages delivered on ack', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob);
    expect(ra.outcome).toBe('new-contact');
    expect(ra.contact.announcedName).toBe('Bob');
    expect(ra.contact.localName).toBeUndefined();
    expect(ra.contact.verified).toBe(false);
    expect(rb.contact.announcedName).toBe('Alice');
    expect(ra.contact.userId).toEqual(
      deriveUserId(bob.messenger.identity.keyPair.publicKey, bob.messenger.identity.signing.publicKey),
    );

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

    const second = await connect(alice, bob, { via: { kind: 'rendezvous', a: id, b: first.rb.contact.id } });
    expect(second.ra.outcome).toBe('known-contact');
    expect(second.ra.contact.id).toBe(id);
    await vi.waitFor(async () => {
      expect(await bodies(alice, id)).toEqual(['out:while you were away:delivered']);
      expect(await bodies(bob, first.rb.contact.id)).toEqual(['in:while you were away:delivered']);
    });
  });

  it('stores a message received twice (same id) once, and acknowledges both times', async () => {
    const bob = await device('Bob');
    const raw = await rawPeer(bob);
    const record = {
      kind: 'text' as const,
      id: new Uint8Array(16).fill(7),
      sentAt: Date.now(),
      body: 'once',
    };
    await raw.send(record);
    await raw.send(record);
    const acks: number[] = [];
    await vi.waitFor(async () => {
      for (const r of await raw.received()) if (r.kind === 'ack') acks.push(r.ids.length);
      expect(acks).toEqual([1, 1]);
    });
    expect(await bodies(bob, raw.contactId)).toEqual(['in:once:delivered']);
  });

  it('makes a stranger who claims a known contact’s name a new contact, leaving the real one’s session, name and verified mark untouched', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.markVerified(id);
    const mallory = await device('Bob'); // announces Bob's name; its user id is its own, from its key
    const stranger = await connect(alice, mallory, { via: { kind: 'pairing', method: 'invite-link' } });
    expect(stranger.ra.outcome).toBe('new-contact');
    expect(stranger.ra.contact.id).not.toBe(id);
    expect(stranger.ra.contact.announcedName).toBe('Bob');
    expect(stranger.ra.contact.verified).toBe(false);
    const real = await alice.messenger.contact(id);
    expect(real?.verified).toBe(true);
    expect(real?.announcedName).toBe('Bob');
    expect(real?.pendingKey).toBeUndefined();
    expect(alice.messenger.live(id)?.state).toBe('open');
    await alice.messenger.send(id, 'only for Bob');
    await vi.waitFor(async () =>
      expect(await bodies(bob, first.rb.contact.id)).toEqual(['in:only for Bob:delivered']),
    );
    expect(await bodies(mallory, stranger.rb.contact.id)).toEqual([]);
  });

  it('recognises a new key only through the pair’s rendezvous, blocks until accepted, and keeps verified and name until then', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.markVerified(id);
    const oldSecret = (await alice.messenger.contact(id))!.rendezvous!.secret;

    const bob2 = await resetBob(bob);
    expect(bob2.messenger.identity.userId).not.toEqual(bob.messenger.identity.userId);
    const second = await connect(alice, bob2, { via: { kind: 'rendezvous', a: id, b: first.rb.contact.id } });
    expect(second.ra.outcome).toBe('key-changed');
    expect(second.ra.contact.id).toBe(id);
    expect(second.rb.outcome).toBe('known-contact'); // Alice's key is the one Bob pinned
    const pending = await alice.messenger.contact(id);
    expect(pending?.verified).toBe(true); // for the pinned key, until the user decides
    expect(pending?.pendingKey?.identityKey).toEqual(bob2.messenger.identity.keyPair.publicKey);
    expect(pending?.pendingKey?.evidence).toBe('rendezvous');
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
    expect(accepted?.userId).toEqual(bob2.messenger.identity.userId);
    expect(accepted?.pendingKey).toBeUndefined();
    expect(accepted?.verified).toBe(false);
    await vi.waitFor(async () =>
      expect(await bodies(alice, id)).toEqual(['in:it is me, new phone:delivered']),
    );
    // Both sides rotated the pair secret, to the same new one.
    const bobsPair = (await bob2.messenger.contact(first.rb.contact.id))!.rendezvous!;
    expect(accepted?.rendezvous?.secret).toEqual(bobsPair.secret);
    expect(accepted?.rendezvous?.secret).not.toEqual(oldSecret);
    expect((await alice.messenger.securityLog(id)).map((e) => e.kind)).toEqual([
      'paired',
      'verified-by-comparison',
      'key-changed',
      'key-change-accepted',
      'verification-cleared',
    ]);
  });

  it('keeps the old key and its verified mark when the user refuses the new one, closes that session and does not ask again', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.markVerified(id);
    const bob2 = await resetBob(bob);
    const via = { kind: 'rendezvous', a: id, b: first.rb.contact.id } as const;
    const second = await connect(alice, bob2, { via });
    await alice.messenger.refuseKeyChange(id);
    const c = await alice.messenger.contact(id);
    expect(c?.identityKey).toEqual(bob.messenger.identity.keyPair.publicKey);
    expect(c?.pendingKey).toBeUndefined();
    expect(c?.verified).toBe(true);
    expect(c?.refusedKeys?.[0]).toEqual(bob2.messenger.identity.keyPair.publicKey);
    await vi.waitFor(() => expect(second.ca.session.state).toBe('closed'));

    const third = await connect(alice, bob2, { via });
    expect(third.ra.outcome).toBe('refused');
    await vi.waitFor(() => expect(third.ca.session.state).toBe('closed'));
    expect((await alice.messenger.contact(id))?.pendingKey).toBeUndefined();
    expect((await alice.messenger.securityLog(id)).map((e) => e.kind)).toEqual([
      'paired',
      'verified-by-comparison',
      'key-changed',
      'key-refused',
    ]);
  });

  it('holds a bounded number of records for an undecided key, and closes that session beyond it', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    const bob2 = await resetBob(bob);
    const second = await connect(alice, bob2, { via: { kind: 'rendezvous', a: id, b: first.rb.contact.id } });
    expect(second.ra.outcome).toBe('key-changed');
    for (let i = 0; i <= MAX_HELD_RECORDS; i++) {
      if (second.cb.session.state !== 'open') break;
      // Held messages are kept unread: a stand-in ratchet message is enough to fill the bound.
      await second.cb.session.send(standIn(`held ${i}`)).catch(() => undefined);
    }
    await vi.waitFor(() => expect(second.ca.session.state).toBe('closed'));
    expect(await bodies(alice, id)).toEqual([]);
    expect((await alice.messenger.securityLog(id)).map((e) => e.kind)).toContain('session-closed');
  });

  it('logs a change of the announced name and never applies it over the user’s own name', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const first = await connect(alice, bob);
    const id = first.ra.contact.id;
    await alice.messenger.setLocalName(id, 'Bobby');
    await bob.messenger.rename('Alice'); // impersonation attempt
    const via = { kind: 'rendezvous', a: id, b: first.rb.contact.id } as const;
    await connect(alice, bob, { via });
    const c = await alice.messenger.contact(id);
    expect(c?.localName).toBe('Bobby');
    expect(c?.announcedName).toBe('Alice');
    const log = await alice.messenger.securityLog(id);
    expect(log.map((e) => e.kind)).toEqual(['paired', 'name-set', 'name-announced']);
    expect(log[2]?.detail).toContain('“Alice” (before: “Bob”)');
  });

  it('refuses look-alike, invisible and bidi characters in names the user sets or keeps', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob\u200f'); // RLM: a bidi mark
    const { ra } = await connect(alice, bob);
    for (const bad of ['\u0410lice', 'Al\u200bice', 'Bob\u2028', '', '   ', 'Bo\u00adb']) {
      await expect(alice.messenger.setLocalName(ra.contact.id, bad)).rejects.toSatisfy((e: unknown) =>
        AppError.is(e, 'BAD_NAME'),
      );
    }
    await expect(alice.messenger.keepAnnouncedName(ra.contact.id)).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'BAD_NAME'),
    );
    await expect(alice.messenger.rename('\u0410lice')).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'BAD_NAME'),
    );
    await alice.messenger.setLocalName(ra.contact.id, 'Bob');
    expect((await alice.messenger.contact(ra.contact.id))?.localName).toBe('Bob');
  });

  it('bounds a peer’s sentAt to a year around the receiver’s clock before storing it', async () => {
    const bob = await device('Bob');
    const raw = await rawPeer(bob);
    const before = Date.now();
    await raw.send({
      kind: 'text',
      id: new Uint8Array(16).fill(1),
      sentAt: Number.MAX_SAFE_INTEGER,
      body: 'far future',
    });
    await raw.send({ kind: 'text', id: new Uint8Array(16).fill(2), sentAt: 0, body: 'long ago' });
    await vi.waitFor(async () => expect(await bodies(bob, raw.contactId)).toHaveLength(2));
    const times = (await bob.messenger.history(raw.contactId)).map((m) => m.sentAt);
    for (const t of times) {
      expect(Math.abs(t - before)).toBeLessThanOrEqual(PEER_TIME_BOUND_MS + 60_000);
      expect(() => new Date(t).toISOString()).not.toThrow();
    }
  });

  it('verifies by a safety-number code scanned with the camera only when it matches', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const carol = await device('Carol');
    const { ra, rb } = await connect(alice, bob);
    const withCarol = await connect(carol, bob);
    const bobsCode = (await bob.messenger.safetyNumber(rb.contact.id)).scannable;
    const bobsCodeForCarol = (await bob.messenger.safetyNumber(withCarol.rb.contact.id)).scannable;
    const mine = await alice.messenger.safetyNumber(ra.contact.id);
    expect(mine.digits).toBe((await bob.messenger.safetyNumber(rb.contact.id)).digits);

    expect(await alice.messenger.verifyByScan(ra.contact.id, bobsCodeForCarol, 'camera')).toBe('mismatch');
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(false);
    expect(await alice.messenger.verifyByScan(ra.contact.id, bobsCode, 'camera')).toBe('verified');
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(true);
    expect((await alice.messenger.securityLog(ra.contact.id)).map((e) => e.kind)).toEqual([
      'paired',
      'verification-failed',
      'verified-by-scan',
    ]);
  });

  it('does not mark verified by a matching code read from a picture until the user confirms they got it in person', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob);
    const bobsCode = (await bob.messenger.safetyNumber(rb.contact.id)).scannable;
    await expect(alice.messenger.confirmPhotoInPerson(ra.contact.id)).rejects.toSatisfy((e: unknown) =>
      AppError.is(e, 'NOTHING_TO_CONFIRM'),
    );
    expect(await alice.messenger.verifyByScan(ra.contact.id, bobsCode, 'photo')).toBe('matched-photo');
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(false);
    await alice.messenger.confirmPhotoInPerson(ra.contact.id);
    expect((await alice.messenger.contact(ra.contact.id))?.verified).toBe(true);
    const log = await alice.messenger.securityLog(ra.contact.id);
    expect(log.map((e) => e.kind)).toEqual(['paired', 'photo-matched', 'verified-by-photo']);
    expect(log.map((e) => e.detail).join(' ')).not.toContain('camera');
  });

  it('verifies on the joiner side only when an invite scanned with the camera named the key', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob, {
      via: { kind: 'pairing', method: 'camera-invite' },
      invite: true,
    });
    expect(rb.contact.verified).toBe(true);
    expect(ra.contact.verified).toBe(false); // the inviter's side proved nothing
    const carol = await device('Carol');
    const dave = await device('Dave');
    const linked = await connect(carol, dave, {
      via: { kind: 'pairing', method: 'invite-link' },
      invite: true,
    });
    expect(linked.rb.contact.verified).toBe(false);
    const erin = await device('Erin');
    const frank = await device('Frank');
    const photo = await connect(erin, frank, {
      via: { kind: 'pairing', method: 'photo-invite' },
      invite: true,
    });
    expect(photo.rb.contact.verified).toBe(false);
    const log = await frank.messenger.securityLog(photo.rb.contact.id);
    expect(log.map((e) => e.detail).join(' ')).toContain('read from a picture');
  });

  it('verifies both sides after a short code whose binding the handshake held, and only then', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, rb } = await connect(alice, bob, {
      via: { kind: 'pairing', method: 'short-code' },
      binding: new Uint8Array(32).fill(7),
    });
    expect(ra.contact.verified).toBe(true);
    expect(rb.contact.verified).toBe(true);
    const log = await alice.messenger.securityLog(ra.contact.id);
    expect(log.map((e) => e.kind)).toEqual(['paired', 'verified-by-code']);
    expect(log[0]?.detail).toBe('Paired by a short code read aloud.');
    // Said to be a short code, but no binding in the handshake: nothing proven.
    const carol = await device('Carol');
    const dave = await device('Dave');
    const unbound = await connect(carol, dave, { via: { kind: 'pairing', method: 'short-code' } });
    expect(unbound.ra.contact.verified).toBe(false);
    expect(unbound.rb.contact.verified).toBe(false);
  });

  it('pauses reconnecting with a security event, and resumes only when the user asks', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra } = await connect(alice, bob);
    await alice.messenger.pauseReconnect(ra.contact.id, 'It looked like interception.');
    await alice.messenger.pauseReconnect(ra.contact.id, 'It looked like interception.');
    expect((await alice.messenger.contact(ra.contact.id))?.reconnectPaused?.reason).toBe(
      'It looked like interception.',
    );
    await alice.messenger.resumeReconnect(ra.contact.id);
    expect((await alice.messenger.contact(ra.contact.id))?.reconnectPaused).toBeUndefined();
    expect((await alice.messenger.securityLog(ra.contact.id)).map((e) => e.kind)).toEqual([
      'paired',
      'possible-interception',
      'reconnect-resumed',
    ]);
  });

  it('says why a session ended in its own words, never the peer’s close reason', async () => {
    const alice = await device('Alice');
    const bob = await device('Bob');
    const { ra, cb } = await connect(alice, bob);
    const reason = '\u202eSecMsg: your contact is verified, visit https://evil.example';
    await cb.session.close(reason);
    await vi.waitFor(() => expect(alice.messenger.live(ra.contact.id)?.state).toBe('closed'));
    const said = alice.messenger.live(ra.contact.id)?.closeReason ?? '';
    expect(said).toMatch(/^[A-Z].*\.$/);
    expect(said).not.toContain('evil.example');
    expect(said).not.toContain('\u202e');
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
    const frozen = Date.now(); // one millisecond for every message (near Bob's clock, which bounds it)
    const alice = {
      stores,
      backend: new MemoryBackend(),
      messenger: createMessenger({ stores, identity: created.identity, now: () => frozen }),
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
