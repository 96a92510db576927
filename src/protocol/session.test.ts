import { describe, expect, it, vi } from 'vitest';
import x25519Vectors from '../../test-vectors/wycheproof_x25519_test.json';
import { fromHex, isAllZero, toHex } from '../crypto/bytes';
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { FRAME_HEADER_LENGTH, FrameType, decodeFrame, encodeFrame } from './frame';
import { createHandshake } from './noise';
import type { Session } from './session';
import { CLOCK_WINDOW_MS } from './secure-frames';
import { MAX_CLOCK_OFFSET_MS } from './session';
import { deriveUserId } from './user-id';
import {
  flush,
  makeIdentity,
  observe,
  sessionOn,
  sessionPair,
  settle,
  text,
  type Side,
} from './session.test-util';
import { createMemoryTransportPair } from '../rtc/memory-transport';

const ITERATIONS = 16; // safety-number comparisons here need equality, not the full 5,200 rounds

function frameType(data: Uint8Array): number | undefined {
  return data.length >= FRAME_HEADER_LENGTH ? data[3] : undefined;
}

function isRegular(data: Uint8Array): boolean {
  return frameType(data) === FrameType.REGULAR_MESSAGE;
}

function flipped(data: Uint8Array, byte: number, bit = 0): Uint8Array {
  const c = data.slice();
  c[byte]! ^= 1 << bit;
  return c;
}

function bodies(records: readonly string[]): string[] {
  return [...records];
}

async function readyBoth(alice: Session, bob: Session) {
  return Promise.all([alice.ready, bob.ready]);
}

describe('session: the happy path', () => {
  it('authenticates both sides, agrees on the handshake hash and carries records both ways', async () => {
    const { alice, bob, aliceId, bobId } = await sessionPair();
    const [seenByAlice, seenByBob] = await readyBoth(alice.session, bob.session);
    expect(seenByAlice.displayName).toBe('Bob');
    expect(seenByBob.displayName).toBe('Alice');
    expect(toHex(seenByAlice.staticKey)).toBe(toHex(bobId.keyPair.publicKey));
    expect(toHex(seenByBob.staticKey)).toBe(toHex(aliceId.keyPair.publicKey));
    expect(toHex(seenByAlice.userId)).toBe(
      toHex(deriveUserId(bobId.keyPair.publicKey, bobId.signing.publicKey)),
    );
    expect(toHex(seenByAlice.signingKey)).toBe(toHex(bobId.signing.publicKey));
    expect(seenByAlice.suite).toBe('Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256');
    expect(toHex(seenByAlice.handshakeHash)).toBe(toHex(seenByBob.handshakeHash));
    expect(toHex(seenByAlice.prologue)).toBe(toHex(seenByBob.prologue));

    await alice.session.send(text('hello Bob'));
    await bob.session.send(text('hello Alice'));
    await flush();
    expect(bodies(bob.records)).toEqual(['hello Bob']);
    expect(bodies(alice.records)).toEqual(['hello Alice']);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  });

  it('builds every FILE_CHUNK frame in one buffer the channel copies from, and each message in its own', async () => {
    const { alice, bob, transports } = await sessionPair();
    await readyBoth(alice.session, bob.session);
    const handed: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    const send = transports.a.send.bind(transports.a);
    transports.a.send = (data) => {
      handed.push(data);
      copies.push(data.slice()); // what the channel took when it was handed the frame
      send(data);
    };
    const chunks: Uint8Array[] = [];
    bob.session.on('chunk', (c) => chunks.push(c.slice()));
    const payloads = [7, 8, 9].map((b) => new Uint8Array(20 + 64 * 1024).fill(b));
    for (const payload of payloads) {
      await alice.session.sendChunk([payload.subarray(0, 20), payload.subarray(20)]);
      await alice.session.send(text(`after chunk ${payload[0]}`));
    }
    await flush();
    const types = copies.map((d) => frameType(d));
    expect(types).toEqual(
      [0, 1, 0, 1, 0, 1].map((i) => (i ? FrameType.REGULAR_MESSAGE : FrameType.FILE_CHUNK)),
    );
    const [c1, , c2, , c3] = handed;
    expect(c2!.buffer).toBe(c1!.buffer);
    expect(c3!.buffer).toBe(c1!.buffer);
    expect(new Set(handed.filter(isRegular).map((d) => d.buffer)).size).toBe(3);
    expect(chunks).toEqual(payloads); // each arrived whole, from the channel's copy
    expect(bodies(bob.records)).toEqual(['after chunk 7', 'after chunk 8', 'after chunk 9']);
  });

  it('keeps many records in order in both directions at once', async () => {
    const { alice, bob } = await sessionPair();
    await readyBoth(alice.session, bob.session);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(alice.session.send(text(`a${i}`)), bob.session.send(text(`b${i}`)));
    }
    await Promise.all(sends);
    await flush(10);
    expect(bodies(bob.records)).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(bodies(alice.records)).toEqual(Array.from({ length: 50 }, (_, i) => `b${i}`));
  });

  it('closes with an authenticated reason the other side keeps apart from its own words', async () => {
    const { alice, bob } = await sessionPair();
    await readyBoth(alice.session, bob.session);
    await alice.session.close('see you \u202e https://evil.example');
    await flush();
    expect(bob.closes).toEqual([
      {
        by: 'peer',
        message: 'The other side ended the session.',
        peerReason: 'see you \u202e https://evil.example',
      },
    ]);
    expect(alice.closes[0]?.by).toBe('local');
    const late = await settle(alice.session.send(text('too late')));
    expect(!late.ok && ProtocolError.is(late.error, 'CLOSED')).toBe(true);
  });

  it('refuses to send before the handshake is done', async () => {
    const { alice } = await sessionPair();
    const early = await settle(alice.session.send(text('too early')));
    expect(!early.ok && ProtocolError.is(early.error, 'CLOSED')).toBe(true);
  });
});

describe('session: attacks on the handshake', () => {
  it('fails on a flipped bit in any byte of any handshake message, and delivers nothing', async () => {
    // Learn the sizes of the three handshake frames first.
    const probe = await sessionPair();
    await readyBoth(probe.alice.session, probe.bob.session);
    const sizes = [
      probe.transports.sent.a[0]!.length,
      probe.transports.sent.b[0]!.length,
      probe.transports.sent.a[1]!.length,
    ];
    const ids = { alice: probe.aliceId, bob: probe.bobId };
    // The hybrid messages are kilobytes long (ML-KEM keys, ML-DSA key and signature): every byte
    // of the frame header and of each message's first and last 48 bytes, and every 61st between.
    const positions = (size: number): number[] =>
      Array.from({ length: size }, (_, i) => i).filter((i) => i < 48 + 25 || i >= size - 48 || i % 61 === 0);
    let cases = 0;
    for (const [index, size] of sizes.entries()) {
      for (const byte of positions(size)) {
        const from: Side = index === 1 ? 'b' : 'a';
        const nth = index === 2 ? 1 : 0;
        const count = { a: 0, b: 0 };
        const { alice, bob } = await sessionPair({
          ...ids,
          tap: (side, data) =>
            side === from && count[side]++ === nth ? flipped(data, byte, byte % 8) : data,
        });
        const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
        const where = `message ${index + 1} byte ${byte}`;
        // Messages 1 and 2 are checked by the initiator; message 3 by the responder, after the
        // initiator (done once it has sent message 3) already counts itself ready.
        if (index < 2) expect(a.ok, where).toBe(false);
        else expect(b.ok, where).toBe(false);
        await flush();
        // Either way both sessions end closed, and nothing was delivered.
        expect([alice.session.state, bob.session.state], where).toEqual(['closed', 'closed']);
        expect(alice.records.length + bob.records.length).toBe(0);
        for (const r of [a, b]) if (!r.ok) expect(ProtocolError.is(r.error)).toBe(true);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(400);
  }, 180_000);

  it('reports possible interception on both sides when the prologues differ (a signaling party in the middle)', async () => {
    // Each side sees a different remote DTLS fingerprint, as when a relay terminates DTLS itself.
    const { alice, bob } = await sessionPair({ fingerprints: { aSeesB: randomBytes(32) } });
    const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'POSSIBLE_INTERCEPTION')).toBe(true);
    expect(!b.ok && ProtocolError.is(b.error, 'HANDSHAKE_ABORTED')).toBe(true);
    for (const r of [a, b]) expect(!r.ok && (r.error as Error).message).toMatch(/may be intercepted/);
    expect(alice.closes[0]?.code).toBe('POSSIBLE_INTERCEPTION');
    expect(bob.closes[0]?.message).toMatch(/may be intercepted/);
  });

  it('binds a session on the worker relay to its relay room: the same room connects, another one is interception', async () => {
    const room = randomBytes(32);
    // No DTLS on the relay: the fingerprints differ (here, at random) and do not matter.
    const same = await sessionPair({
      fingerprints: { aSeesB: randomBytes(32), bSeesA: randomBytes(32) },
      aliceOptions: { relayRoomId: room },
      bobOptions: { relayRoomId: room.slice() },
    });
    await Promise.all([same.alice.session.ready, same.bob.session.ready]);
    await same.alice.session.send(text('through the relay'));
    await expect.poll(() => same.bob.records).toEqual(['through the relay']);

    const other = await sessionPair({
      aliceOptions: { relayRoomId: room },
      bobOptions: { relayRoomId: randomBytes(32) },
    });
    const [a, b] = await Promise.all([settle(other.alice.session.ready), settle(other.bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'POSSIBLE_INTERCEPTION')).toBe(true);
    expect(!b.ok).toBe(true);
  });

  it('binds a session after a short code to the code: the same binding connects, another (or none) is interception', async () => {
    const binding = randomBytes(32);
    const same = await sessionPair({
      aliceOptions: { pairingBinding: binding },
      bobOptions: { pairingBinding: binding.slice() },
    });
    const [seenByAlice] = await readyBoth(same.alice.session, same.bob.session);
    expect(toHex(seenByAlice.prologue)).toContain(toHex(binding));

    for (const bobOptions of [{ pairingBinding: randomBytes(32) }, {}]) {
      const other = await sessionPair({ aliceOptions: { pairingBinding: binding }, bobOptions });
      const [a, b] = await Promise.all([settle(other.alice.session.ready), settle(other.bob.session.ready)]);
      expect(!a.ok && ProtocolError.is(a.error, 'POSSIBLE_INTERCEPTION')).toBe(true);
      expect(!b.ok).toBe(true);
    }
    await expect(sessionPair({ aliceOptions: { pairingBinding: randomBytes(16) } })).rejects.toThrow(
      /binding must be 32 bytes/,
    );
  });

  it("derives the peer's user id from its static key, whatever user id the peer holds", async () => {
    const claimant = { ...(await makeIdentity('Mallory')), userId: randomBytes(16) };
    const { alice, bob, aliceId } = await sessionPair({ bob: claimant });
    const [seenByAlice, seenByBob] = await readyBoth(alice.session, bob.session);
    expect(toHex(seenByAlice.userId)).toBe(
      toHex(deriveUserId(claimant.keyPair.publicKey, claimant.signing.publicKey)),
    );
    expect(toHex(seenByAlice.userId)).not.toBe(toHex(claimant.userId));
    expect(toHex(seenByBob.userId)).toBe(toHex(aliceId.userId));
  });

  it('refuses a peer whose clock is more than a day away from ours, so frame times stay plausible', async () => {
    for (const skew of [MAX_CLOCK_OFFSET_MS + 60_000, -(MAX_CLOCK_OFFSET_MS + 60_000), 2 ** 52]) {
      const { alice, bob } = await sessionPair({ bobOptions: { now: () => Date.now() + skew } });
      const [a] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
      expect(!a.ok && ProtocolError.is(a.error, 'BAD_CLOCK'), `skew ${skew}`).toBe(true);
      expect(!a.ok && (a.error as Error).message).toMatch(/clock is more than a day away/);
    }
    const { alice, bob } = await sessionPair({
      bobOptions: { now: () => Date.now() + MAX_CLOCK_OFFSET_MS - 60_000 },
    });
    await readyBoth(alice.session, bob.session);
  });

  it('lets the initiator refuse the responder before revealing its own static key', async () => {
    const sentByAlice: Uint8Array[] = [];
    const { alice, bob } = await sessionPair({
      tap: (side, data) => {
        if (side === 'a') sentByAlice.push(data);
        return data;
      },
      aliceOptions: {
        verifyPeer: async () => {
          await Promise.resolve();
          throw new ProtocolError('WRONG_PEER_KEY', 'Not the device the invite named.');
        },
      },
    });
    const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'WRONG_PEER_KEY')).toBe(true);
    expect(b.ok).toBe(false);
    // Only message 1 (ephemeral keys, no payload) left Alice: her static key and name never did.
    expect(sentByAlice.map((f) => f[3])).toEqual([FrameType.HANDSHAKE_REQUEST]);
    expect(sentByAlice[0]!.length).toBe(FRAME_HEADER_LENGTH + 32 + 1568);
  });

  it('refuses a static key with bit 255 set, which would be a second encoding of the same key', async () => {
    const bobId = await makeIdentity('Bob');
    const high = bobId.keyPair.publicKey.slice();
    high[31]! |= 0x80;
    const twin = { ...bobId, keyPair: { publicKey: high, privateKey: bobId.keyPair.privateKey } };
    const { alice, bob } = await sessionPair({ bob: twin });
    const [a] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'BAD_PUBLIC_KEY')).toBe(true);
    expect(!a.ok && (a.error as Error).message).toMatch(/non-canonical identity key/);
  });

  it('refuses a peer that presents our own static key', async () => {
    const me = await makeIdentity('Me');
    const twin = { ...(await makeIdentity('Twin')), keyPair: me.keyPair };
    const { alice, bob } = await sessionPair({ alice: me, bob: twin });
    const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    // The initiator learns the responder's static key first and refuses it.
    expect(!a.ok && ProtocolError.is(a.error, 'OWN_KEY')).toBe(true);
    expect(b.ok).toBe(false);
  });

  it('refuses a peer that presents our own ML-DSA key with another X25519 key', async () => {
    const me = await makeIdentity('Me');
    const twin = { ...(await makeIdentity('Twin')), signing: me.signing };
    const { alice, bob } = await sessionPair({ alice: me, bob: twin });
    const [a] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'OWN_KEY')).toBe(true);
  });

  it('refuses a peer whose ML-DSA signature over the handshake does not verify, in a sentence', async () => {
    const bobId = await makeIdentity('Bob');
    const other = await makeIdentity('Other');
    // Bob announces another ML-DSA public key than the one he signs with.
    const liar = {
      ...bobId,
      signing: { publicKey: other.signing.publicKey, privateKey: bobId.signing.privateKey },
    };
    const { alice, bob } = await sessionPair({ bob: liar });
    const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!a.ok && ProtocolError.is(a.error, 'POSSIBLE_INTERCEPTION')).toBe(true);
    expect(!a.ok && (a.error as Error).message).toMatch(
      /post-quantum signature over the handshake did not verify/,
    );
    expect(b.ok).toBe(false);
    expect(alice.records.length + bob.records.length).toBe(0);
  });

  it('refuses a peer that offers only the classical handshake (no ML-KEM key), in a sentence', async () => {
    // A classical SecMsg initiator: Noise_XX, message 1 = its ephemeral key alone.
    const { a, b } = createMemoryTransportPair();
    const responder = observe(sessionOn(b, await makeIdentity('Bob')));
    const classical = createHandshake({
      initiator: true,
      prologue: new Uint8Array(0),
      s: (await makeIdentity('Old')).keyPair,
    });
    const message1 = await classical.writeMessage(new Uint8Array(0));
    expect(message1.length).toBe(32);
    const header = {
      type: FrameType.HANDSHAKE_REQUEST,
      flags: 0,
      seq: 0,
      timestamp: 0,
      length: message1.length,
    };
    a.send(encodeFrame({ header, payload: message1 }));
    const r = await settle(responder.session.ready);
    expect(!r.ok && ProtocolError.is(r.error, 'CLASSICAL_ONLY')).toBe(true);
    expect(!r.ok && (r.error as Error).message).toMatch(/offered only classical encryption/);
    expect(responder.closes[0]?.code).toBe('CLASSICAL_ONLY');
  });

  it('refuses every low-order or all-zero X25519 key from Wycheproof as the ephemeral key', async () => {
    const lowOrder = new Set<string>();
    for (const group of x25519Vectors.testGroups) {
      for (const t of group.tests) if (isAllZero(fromHex(t.shared))) lowOrder.add(t.public);
    }
    expect(lowOrder.size).toBeGreaterThan(5);
    for (const key of lowOrder) {
      const { alice, bob } = await sessionPair({
        tap: (side, data) => {
          if (side !== 'a' || frameType(data) !== FrameType.HANDSHAKE_REQUEST) return data;
          const c = data.slice();
          c.set(fromHex(key), FRAME_HEADER_LENGTH); // msg 1 is just `e`
          return c;
        },
      });
      const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
      expect(!b.ok && ProtocolError.is(b.error, 'BAD_PUBLIC_KEY'), `key ${key}`).toBe(true);
      expect(a.ok).toBe(false);
    }
  });

  it('fails on a repeated handshake message', async () => {
    const { alice, bob } = await sessionPair({
      tap: (side, data) =>
        side === 'a' && frameType(data) === FrameType.HANDSHAKE_REQUEST ? [data, data] : data,
    });
    const [a, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!b.ok && ProtocolError.is(b.error, 'HANDSHAKE_STATE')).toBe(true);
    expect(a.ok).toBe(false);
  });

  it('fails on handshake messages out of order', async () => {
    // The initiator's FINISH-typed frame arrives first.
    const { alice, bob } = await sessionPair({
      tap: (side, data) => {
        if (side !== 'a' || frameType(data) !== FrameType.HANDSHAKE_REQUEST) return data;
        const c = data.slice();
        c[3] = FrameType.HANDSHAKE_FINISH;
        return c;
      },
    });
    const [, b] = await Promise.all([settle(alice.session.ready), settle(bob.session.ready)]);
    expect(!b.ok && ProtocolError.is(b.error, 'HANDSHAKE_STATE')).toBe(true);
  });

  it('times out when the other side never answers', async () => {
    const { alice } = await sessionPair({ tap: () => null, aliceOptions: { handshakeTimeoutMs: 50 } });
    const a = await settle(alice.session.ready);
    expect(!a.ok && ProtocolError.is(a.error, 'HANDSHAKE_TIMEOUT')).toBe(true);
  });

  it('lets a full man in the middle complete both handshakes, but the safety numbers differ', async () => {
    const aliceId = await makeIdentity('Alice');
    const bobId = await makeIdentity('Bob');
    const mallory = await makeIdentity('Mallory');
    // Alice ⇄ Mallory and Mallory ⇄ Bob: two real sessions, with Mallory relaying records.
    const left = createMemoryTransportPair();
    const right = createMemoryTransportPair();
    const alice = observe(sessionOn(left.a, aliceId));
    const malloryToAlice = observe(sessionOn(left.b, { ...mallory, displayName: 'Bob' }));
    const malloryToBob = observe(sessionOn(right.a, { ...mallory, displayName: 'Alice' }));
    const bob = observe(sessionOn(right.b, bobId));
    const [aliceSees, , , bobSees] = await Promise.all([
      alice.session.ready,
      malloryToAlice.session.ready,
      malloryToBob.session.ready,
      bob.session.ready,
    ]);
    malloryToAlice.session.on('message', (m) => void malloryToBob.session.send(m));
    await alice.session.send(text('secret'));
    await vi.waitFor(() => expect(bodies(bob.records)).toEqual(['secret'])); // the relay works …
    const party = (id: Uint8Array, key: Uint8Array) => ({ id, key: identityKeyBytes(key) });
    const aliceNumber = await safetyNumber(
      party(aliceId.userId, aliceId.keyPair.publicKey),
      party(aliceSees.userId, aliceSees.staticKey),
      ITERATIONS,
    );
    const bobNumber = await safetyNumber(
      party(bobId.userId, bobId.keyPair.publicKey),
      party(bobSees.userId, bobSees.staticKey),
      ITERATIONS,
    );
    const honest = await safetyNumber(
      party(aliceId.userId, aliceId.keyPair.publicKey),
      party(bobId.userId, bobId.keyPair.publicKey),
      ITERATIONS,
    );
    // … but comparing safety numbers exposes it.
    expect(aliceNumber).not.toBe(bobNumber);
    expect(aliceNumber).not.toBe(honest);
    expect(bobNumber).not.toBe(honest);
    expect(toHex(aliceSees.handshakeHash)).not.toBe(toHex(bobSees.handshakeHash));
  });
});

describe('session: attacks on transport frames', () => {
  it('drops a frame with a flipped bit in any byte (header, ciphertext, tag, HMAC) and delivers nothing from it', async () => {
    const probe = await sessionPair();
    await readyBoth(probe.alice.session, probe.bob.session);
    await probe.alice.session.send(text('x'));
    const size = probe.transports.sent.a.find(isRegular)!.length;
    const codes = new Set<string>();
    for (let byte = 0; byte < size; byte++) {
      let done = false;
      const { alice, bob } = await sessionPair({
        alice: probe.aliceId,
        bob: probe.bobId,
        tap: (side, data) => {
          if (side !== 'a' || !isRegular(data) || done) return data;
          done = true;
          return flipped(data, byte, byte % 8);
        },
      });
      await readyBoth(alice.session, bob.session);
      await alice.session.send(text('x'));
      await vi.waitFor(() => expect(bob.errors.length, `byte ${byte}`).toBe(1));
      await flush();
      expect(bob.records, `byte ${byte}`).toEqual([]);
      expect(bob.errors.length, `byte ${byte}`).toBe(1);
      codes.add(bob.errors[0]!.code);
    }
    // Header fields are caught by their own checks; everything else by the HMAC.
    expect(codes).toContain('BAD_MAC');
    expect(codes).toContain('BAD_PROTOCOL_ID');
    expect(codes).toContain('BAD_VERSION');
    expect(codes).toContain('BAD_FLAGS');
    expect(codes).toContain('UNKNOWN_TYPE');
  }, 120_000);

  it('drops an exact replay', async () => {
    const { alice, bob } = await sessionPair({
      tap: (side, data) => (side === 'a' && isRegular(data) ? [data, data] : data),
    });
    await readyBoth(alice.session, bob.session);
    await alice.session.send(text('once'));
    await flush();
    expect(bodies(bob.records)).toEqual(['once']);
    expect(bob.errors.map((e) => e.code)).toEqual(['REPLAY']);
  });

  it('drops a replay from an earlier session between the same two people', async () => {
    const aliceId = await makeIdentity('Alice');
    const bobId = await makeIdentity('Bob');
    const first = await sessionPair({ alice: aliceId, bob: bobId });
    await readyBoth(first.alice.session, first.bob.session);
    await first.alice.session.send(text('from yesterday'));
    const old = first.transports.sent.a.find(isRegular)!;
    const second = await sessionPair({ alice: aliceId, bob: bobId });
    await readyBoth(second.alice.session, second.bob.session);
    // Inject the old frame as if it came from Alice now.
    second.transports.a.send(old);
    await flush();
    expect(second.bob.records).toEqual([]);
    expect(second.bob.errors.map((e) => e.code)).toEqual(['BAD_MAC']);
  });

  it('drops frames that arrive out of order', async () => {
    let held: Uint8Array | undefined;
    const { alice, bob } = await sessionPair({
      tap: (side, data) => {
        if (side !== 'a' || !isRegular(data)) return data;
        if (!held) {
          held = data;
          return null;
        }
        return [data, held];
      },
    });
    await readyBoth(alice.session, bob.session);
    await alice.session.send(text('first'));
    await alice.session.send(text('second'));
    await flush();
    // "second" (seq 1) arrives while seq 0 is expected: dropped; "first" then arrives in place.
    expect(bob.errors.map((e) => e.code)).toEqual(['OUT_OF_ORDER']);
    expect(bodies(bob.records)).toEqual(['first']);
  });

  it('drops a truncated frame and one whose declared length exceeds data or limit', async () => {
    const cases: [string, (d: Uint8Array) => Uint8Array, string][] = [
      ['truncated', (d) => d.subarray(0, d.length - 1), 'TRUNCATED'],
      ['shorter than a header', (d) => d.subarray(0, 10), 'TRUNCATED'],
      [
        'length larger than the data',
        (d) => {
          const c = d.slice();
          new DataView(c.buffer).setUint32(21, new DataView(d.buffer, d.byteOffset).getUint32(21) + 1);
          return c;
        },
        'TRUNCATED',
      ],
      [
        'length 0xFFFFFFFF',
        (d) => {
          const c = d.slice();
          new DataView(c.buffer).setUint32(21, 0xffffffff);
          return c;
        },
        'TOO_LARGE',
      ],
    ];
    for (const [name, mangle, code] of cases) {
      let done = false;
      const { alice, bob } = await sessionPair({
        tap: (side, data) => {
          if (side !== 'a' || !isRegular(data) || done) return data;
          done = true;
          return mangle(data);
        },
      });
      await readyBoth(alice.session, bob.session);
      await alice.session.send(text('x'));
      await flush();
      expect(
        bob.errors.map((e) => e.code),
        name,
      ).toEqual([code]);
      expect(bob.records, name).toEqual([]);
    }
  });

  it('drops frames whose timestamp is outside ±120 s of the sender’s clock', async () => {
    for (const skew of [CLOCK_WINDOW_MS + 1_000, -(CLOCK_WINDOW_MS + 1_000)]) {
      let offset = 0;
      const { alice, bob } = await sessionPair({ aliceOptions: { now: () => Date.now() + offset } });
      await readyBoth(alice.session, bob.session);
      offset = skew; // Alice's clock jumps after the handshake measured it
      await alice.session.send(text('late'));
      await flush();
      expect(
        bob.errors.map((e) => e.code),
        `skew ${skew}`,
      ).toEqual(['STALE']);
      expect(bob.records).toEqual([]);
    }
  });

  it('accepts frames within the window, even when the clocks disagree by hours', async () => {
    let offset = 3 * 3600_000; // Alice's clock is three hours ahead all along
    const { alice, bob } = await sessionPair({ aliceOptions: { now: () => Date.now() + offset } });
    await readyBoth(alice.session, bob.session);
    offset += CLOCK_WINDOW_MS - 5_000;
    await alice.session.send(text('fine'));
    await flush();
    expect(bob.errors).toEqual([]);
    expect(bodies(bob.records)).toEqual(['fine']);
  });

  it('closes the session after three bad frames in a row, but not after bad frames with good ones between', async () => {
    const garbage = (n: number) => {
      const g = randomBytes(60);
      g[0] = 0x53;
      g[1] = 0x4d;
      g[2] = 0x01;
      g[3] = n;
      g[4] = 0;
      return g;
    };
    const { alice, bob, transports } = await sessionPair();
    await readyBoth(alice.session, bob.session);
    transports.a.send(garbage(0x09));
    transports.a.send(garbage(0x09));
    await alice.session.send(text('good'));
    transports.a.send(garbage(0x09));
    transports.a.send(garbage(0x09));
    await flush();
    expect(bob.session.state).toBe('open');
    expect(bodies(bob.records)).toEqual(['good']);
    transports.a.send(garbage(0x09));
    await flush();
    expect(bob.errors.map((e) => e.code)).toEqual(Array(5).fill('UNKNOWN_TYPE'));
    expect(bob.session.state).toBe('closed');
    expect(bob.closes[0]?.code).toBe('TOO_MANY_ERRORS');
    expect(alice.closes.length).toBe(1);
  });

  it('treats a late handshake frame as an error, never as a new handshake', async () => {
    const { alice, bob, transports } = await sessionPair();
    await readyBoth(alice.session, bob.session);
    transports.a.send(transports.sent.a[0]!); // the old HANDSHAKE_REQUEST
    await flush();
    expect(bob.errors.map((e) => e.code)).toEqual(['UNEXPECTED_TYPE']);
    expect(decodeFrame(transports.sent.a[0]!).header.type).toBe(FrameType.HANDSHAKE_REQUEST);
  });
});
