import { describe, expect, it, vi } from 'vitest';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import { RtcError } from '../rtc/errors';
import type { AppConfig } from './config';
import { secureSession, type Connected, type KnownContactConnection } from './connect';
import type { Messenger } from './messenger';
import { messengerOf } from './messenger.test-util';
import { ProtocolError } from '../protocol/errors';
import { createReconnector } from './reconnector';

const config: AppConfig = { signalingUrl: 'ws://127.0.0.1:1', iceServers: [] };

/** A fresh session between the two, as a meeting in the rendezvous room would give. */
async function meet(a: Messenger, b: Messenger): Promise<{ forA: Connected; forB: Connected }> {
  const pair = createMemoryTransportPair();
  const [forA, forB] = await Promise.all([
    secureSession(pair.a, a.identity),
    secureSession(pair.b, b.identity),
  ]);
  return { forA, forB };
}

/** Alice and Bob, paired once (so each has the other as a contact, with a rendezvous). */
async function paired() {
  const alice = await messengerOf('Alice');
  const bob = await messengerOf('Bob');
  const first = await meet(alice, bob);
  const [ra, rb] = await Promise.all([
    alice.adopt(first.forA, { kind: 'pairing', method: 'invite-code' }),
    bob.adopt(first.forB, { kind: 'pairing', method: 'invite-code' }),
  ]);
  return { alice, bob, bobId: ra.contact.id, aliceId: rb.contact.id, first };
}

describe('reconnector', () => {
  it('backs off 1, 2, 4 s after failures, then adopts the session it gets', async () => {
    const { alice, bob, bobId, aliceId, first } = await paired();
    await first.forA.session.close('dropped');
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('closed'));

    const delays: number[] = [];
    let calls = 0;
    const connect = (): KnownContactConnection => {
      calls++;
      if (calls <= 3) {
        return {
          connected: Promise.reject(new RtcError('SIGNAL_INVALID', 'nobody there')),
          cancel: () => {},
        };
      }
      return {
        connected: meet(alice, bob).then(async ({ forA, forB }) => {
          await bob.adopt(forB, { kind: 'rendezvous', contactId: aliceId });
          return forA;
        }),
        cancel: () => {},
      };
    };
    const r = createReconnector({
      messenger: alice,
      config,
      connect,
      sleep: async (ms) => {
        delays.push(ms);
        await Promise.resolve();
      },
    });
    r.start();
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('open'));
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(r.status(bobId).state).toBe('connected');
    await alice.send(bobId, 'after the reconnect');
    await vi.waitFor(async () =>
      expect((await alice.history(bobId)).map((m) => m.state)).toEqual(['delivered']),
    );
    r.dispose();
  });

  it('comes back by itself when a session drops, and stops trying once disposed', async () => {
    const { alice, bob, bobId, aliceId, first } = await paired();
    let calls = 0;
    const r = createReconnector({
      messenger: alice,
      config,
      connect: () => {
        calls++;
        return {
          connected: meet(alice, bob).then(async ({ forA, forB }) => {
            await bob.adopt(forB, { kind: 'rendezvous', contactId: aliceId });
            return forA;
          }),
          cancel: () => {},
        };
      },
    });
    r.start(); // already connected: nothing to do
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(0);
    await first.forB.session.close('Bob reloaded');
    await vi.waitFor(() => expect(calls).toBe(1));
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('open'));
    r.dispose();
    await alice.disconnect(bobId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
  });

  it('does not try without a signaling server, and says so', async () => {
    const { alice, bobId, first } = await paired();
    await first.forA.session.close('dropped');
    let calls = 0;
    const connect = (): KnownContactConnection => {
      calls++;
      return { connected: new Promise<Connected>(() => undefined), cancel: () => {} };
    };
    const r = createReconnector({ messenger: alice, config: { ...config, signalingUrl: '' }, connect });
    r.start();
    await vi.waitFor(() => expect(r.status(bobId).state).toBe('no-server'));
    expect(calls).toBe(0);
    r.dispose();
  });

  it('stops retrying after a reconnect that looks like interception, logs it, and tries again only when the user resumes', async () => {
    const { alice, bob, bobId, aliceId, first } = await paired();
    await first.forA.session.close('dropped');
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('closed'));
    let calls = 0;
    const connect = (): KnownContactConnection => {
      calls++;
      if (calls === 1) {
        return {
          connected: Promise.reject(new ProtocolError('POSSIBLE_INTERCEPTION', 'The handshake failed.')),
          cancel: () => {},
        };
      }
      return {
        connected: meet(alice, bob).then(async ({ forA, forB }) => {
          await bob.adopt(forB, { kind: 'rendezvous', contactId: aliceId });
          return forA;
        }),
        cancel: () => {},
      };
    };
    const r = createReconnector({ messenger: alice, config, connect, sleep: async () => Promise.resolve() });
    r.start();
    await vi.waitFor(() => expect(r.status(bobId).state).toBe('paused'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(1);
    r.retryNow(); // the network coming back does not resume it either
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(1);
    expect((await alice.securityLog(bobId)).map((e) => e.kind)).toEqual(['paired', 'possible-interception']);
    expect((await alice.contact(bobId))?.reconnectPaused).toBeDefined();

    await alice.resumeReconnect(bobId);
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('open'));
    expect(calls).toBe(2);
    r.dispose();
  });

  it('keeps trying, backing off, after meeting a key the user refused, until the real contact is back', async () => {
    const { alice, bob, bobId, aliceId, first } = await paired();
    const mallory = await messengerOf('Mallory');
    await first.forA.session.close('dropped');
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('closed'));
    let calls = 0;
    const delays: number[] = [];
    const connect = (): KnownContactConnection => {
      calls++;
      const other = calls <= 2 ? mallory : bob; // someone else in Bob's room twice, then Bob
      return {
        connected: meet(alice, other).then(async ({ forA, forB }) => {
          if (other === bob) await bob.adopt(forB, { kind: 'rendezvous', contactId: aliceId });
          return forA;
        }),
        cancel: () => {},
      };
    };
    const r = createReconnector({
      messenger: alice,
      config,
      connect,
      sleep: async (ms) => {
        delays.push(ms);
        await Promise.resolve();
      },
    });
    r.start();
    await vi.waitFor(async () => expect((await alice.contact(bobId))?.pendingKey).toBeDefined());
    await alice.refuseKeyChange(bobId);
    await vi.waitFor(() => expect(calls).toBe(3));
    await vi.waitFor(() => expect(alice.live(bobId)?.state).toBe('open'));
    expect(alice.live(bobId)?.connected.peer.staticKey).toEqual(bob.identity.keyPair.publicKey);
    expect(delays).toEqual([1000]);
    r.dispose();
  });
});
