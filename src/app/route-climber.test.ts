import { describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from '../protocol/errors';
import { RtcError } from '../rtc/errors';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import type { AppConfig } from './config';
import { secureSession, type Connected, type KnownContactConnection } from './connect';
import type { Messenger } from './messenger';
import { messengerOf } from './messenger.test-util';
import {
  CLIMB_FAST_ATTEMPTS,
  CLIMB_SLOT_MS,
  CLIMB_SLOW_SLOT_MS,
  createRouteClimber,
  nextClimbSlot,
} from './route-climber';

const config: AppConfig = { signalingUrl: 'ws://127.0.0.1:1', iceServers: [] };

/** A session between the two: over the worker relay (bound to a relay room) or a DataChannel. */
async function meet(a: Messenger, b: Messenger, relayed: boolean) {
  const pair = createMemoryTransportPair(relayed ? { relayRoomId: randomBytes(32) } : {});
  const [forA, forB] = await Promise.all([
    secureSession(pair.a, a.identity),
    secureSession(pair.b, b.identity),
  ]);
  return { forA, forB };
}

/** Alice and Bob, paired, their conversation now running over the worker relay (or not). */
async function talking(relayed: boolean) {
  const alice = await messengerOf('Alice');
  const bob = await messengerOf('Bob');
  const first = await meet(alice, bob, false);
  const [ra, rb] = await Promise.all([
    alice.adopt(first.forA, { kind: 'pairing', method: 'invite-code' }),
    bob.adopt(first.forB, { kind: 'pairing', method: 'invite-code' }),
  ]);
  const bobId = ra.contact.id;
  const aliceId = rb.contact.id;
  const now = await meet(alice, bob, relayed);
  await Promise.all([
    alice.adopt(now.forA, { kind: 'rendezvous', contactId: bobId }),
    bob.adopt(now.forB, { kind: 'rendezvous', contactId: aliceId }),
  ]);
  return { alice, bob, bobId, aliceId, current: now };
}

/** A meeting in the rendezvous room that gives a DataChannel session (Bob adopts his side). */
function directMeeting(alice: Messenger, bob: Messenger, aliceId: string): KnownContactConnection {
  return {
    connected: meet(alice, bob, false).then(async ({ forA, forB }) => {
      await bob.adopt(forB, { kind: 'rendezvous', contactId: aliceId });
      return forA;
    }),
    cancel: () => {},
  };
}

const isRelayed = (m: Messenger, id: string): boolean =>
  m.live(id)?.connected.transport.info.relayRoomId !== undefined;

describe('climb slots', () => {
  it('start on wall-clock minutes, then on five-minute marks that are minute marks too', () => {
    const t = Date.UTC(2026, 11, 7, 10, 3, 17, 500);
    expect(nextClimbSlot(t, 0)).toBe(Date.UTC(2026, 11, 7, 10, 4));
    expect(nextClimbSlot(Date.UTC(2026, 11, 7, 10, 4), 1)).toBe(Date.UTC(2026, 11, 7, 10, 5));
    expect(nextClimbSlot(t, CLIMB_FAST_ATTEMPTS)).toBe(Date.UTC(2026, 11, 7, 10, 5));
    expect(CLIMB_SLOW_SLOT_MS % CLIMB_SLOT_MS).toBe(0);
    // Two devices a few seconds apart, one failed more often: the slow one's slot is also a fast slot.
    const slow = nextClimbSlot(t + 4_000, CLIMB_FAST_ATTEMPTS + 3);
    expect(slow % CLIMB_SLOT_MS).toBe(0);
  });
});

describe('route climber', () => {
  it('replaces a relayed session with a direct one at the next slot; messages carry on, once each', async () => {
    const { alice, bob, bobId, aliceId, current } = await talking(true);
    expect(isRelayed(alice, bobId)).toBe(true);
    await alice.send(bobId, 'over the relay');
    await vi.waitFor(async () => expect((await bob.history(aliceId)).length).toBe(1));
    const t0 = Date.UTC(2026, 11, 7, 10, 3, 17);
    const waits: number[] = [];
    const calls: boolean[] = [];
    const climber = createRouteClimber({
      messenger: alice,
      config,
      now: () => t0,
      sleep: async (ms) => {
        waits.push(ms);
        await Promise.resolve();
      },
      connect: (...args) => {
        calls.push(args[6] === true);
        return directMeeting(alice, bob, aliceId);
      },
    });
    await vi.waitFor(() => expect(isRelayed(alice, bobId)).toBe(false));
    expect(alice.live(bobId)?.state).toBe('open');
    expect(waits).toEqual([43_000]); // to 10:04:00
    expect(calls).toEqual([true]); // a climbing meeting: it never offers the relay itself
    // The relayed session was closed, the new one carries the conversation both ways.
    await vi.waitFor(() => expect(bob.live(aliceId)?.connected.session).not.toBe(current.forB.session));
    await alice.send(bobId, 'over the direct path now');
    await bob.send(aliceId, 'and back');
    await vi.waitFor(async () => {
      expect((await alice.history(bobId)).map((m) => [m.body, m.direction, m.state, m.route])).toEqual([
        ['over the relay', 'out', 'delivered', 'relayed'],
        ['over the direct path now', 'out', 'delivered', 'direct'],
        ['and back', 'in', 'delivered', 'direct'],
      ]);
    });
    expect((await bob.history(aliceId)).map((m) => m.body)).toEqual([
      'over the relay',
      'over the direct path now',
      'and back',
    ]);
    climber.dispose();
  });

  it('after failed attempts tries on later slots, and at once when woken', async () => {
    const { alice, bob, bobId, aliceId } = await talking(true);
    let clock = Date.UTC(2026, 11, 7, 10, 0, 30);
    const waits: number[] = [];
    let calls = 0;
    let woken = false;
    let release: () => void = () => undefined;
    const climber = createRouteClimber({
      messenger: alice,
      config,
      now: () => clock,
      sleep: async (ms, wake) => {
        waits.push(ms);
        if (waits.length <= CLIMB_FAST_ATTEMPTS + 1) {
          clock += ms;
          return;
        }
        // Now it would wait 5 min: it is woken instead.
        await Promise.race([wake, new Promise<void>((r) => (release = r))]);
        woken = true;
      },
      connect: () => {
        calls++;
        if (!woken) {
          return { connected: Promise.reject(new RtcError('ICE_FAILED', 'no path')), cancel: () => {} };
        }
        return directMeeting(alice, bob, aliceId);
      },
    });
    await vi.waitFor(() => expect(waits.length).toBe(CLIMB_FAST_ATTEMPTS + 2));
    expect(waits.slice(0, CLIMB_FAST_ATTEMPTS + 1)).toEqual([
      30_000,
      ...Array<number>(CLIMB_FAST_ATTEMPTS - 1).fill(CLIMB_SLOT_MS),
      // 10:05:00 → 10:10:00 after five failures
      CLIMB_SLOW_SLOT_MS,
    ]);
    expect(calls).toBe(CLIMB_FAST_ATTEMPTS + 1);
    expect(isRelayed(alice, bobId)).toBe(true);
    climber.now();
    await vi.waitFor(() => expect(isRelayed(alice, bobId)).toBe(false));
    expect(calls).toBe(CLIMB_FAST_ATTEMPTS + 2);
    release();
    climber.dispose();
  });

  it('a wake during an attempt is not lost: the next attempt starts as soon as that one fails', async () => {
    const { alice, bob, bobId, aliceId } = await talking(true);
    let slept = 0;
    let calls = 0;
    let failFirst: (e: Error) => void = () => undefined;
    const climber = createRouteClimber({
      messenger: alice,
      config,
      sleep: async () => {
        slept++;
        if (slept > 1) await new Promise(() => undefined); // only the first slot comes
      },
      connect: () => {
        calls++;
        if (calls === 1) {
          return { connected: new Promise<Connected>((_, r) => (failFirst = r)), cancel: () => {} };
        }
        return directMeeting(alice, bob, aliceId);
      },
    });
    await vi.waitFor(() => expect(calls).toBe(1));
    climber.now(); // the network came back while the slot's attempt was still running
    failFirst(new RtcError('ICE_FAILED', 'no path yet'));
    await vi.waitFor(() => expect(isRelayed(alice, bobId)).toBe(false));
    expect(calls).toBe(2);
    expect(slept).toBe(1);
    climber.dispose();
  });

  it('gives up an attempt nobody comes to', async () => {
    const { alice, bobId } = await talking(true);
    let cancelled = 0;
    let slept = 0;
    const climber = createRouteClimber({
      messenger: alice,
      config,
      waitMs: 10,
      sleep: async () => {
        slept++;
        if (slept > 1) await new Promise(() => undefined); // no second slot in this test
      },
      connect: () => {
        let reject: (e: Error) => void = () => undefined;
        const connected = new Promise<Connected>((_, r) => (reject = r));
        return {
          connected,
          cancel: () => {
            cancelled++;
            reject(new RtcError('SIGNAL_INVALID', 'Cancelled.'));
          },
        };
      },
    });
    await vi.waitFor(() => expect(cancelled).toBe(1));
    await vi.waitFor(() => expect(slept).toBe(2));
    expect(isRelayed(alice, bobId)).toBe(true);
    climber.dispose();
  });

  it('never tries for a direct session, nor with Always relay on', async () => {
    for (const [relayed, always] of [
      [false, false],
      [true, true],
    ] as const) {
      const { alice } = await talking(relayed);
      let calls = 0;
      const climber = createRouteClimber({
        messenger: alice,
        config: { ...config, ...(always ? { alwaysRelay: true } : {}) },
        sleep: async () => Promise.resolve(),
        connect: () => {
          calls++;
          return { connected: Promise.reject(new RtcError('ICE_FAILED', 'no')), cancel: () => {} };
        },
      });
      await new Promise((r) => setTimeout(r, 30));
      expect(calls).toBe(0);
      climber.dispose();
    }
  });

  it('an attempt that looks like interception pauses the contact and stops climbing', async () => {
    const { alice, bobId } = await talking(true);
    let calls = 0;
    const climber = createRouteClimber({
      messenger: alice,
      config,
      sleep: async () => Promise.resolve(),
      connect: () => {
        calls++;
        return {
          connected: Promise.reject(
            new ProtocolError('POSSIBLE_INTERCEPTION', 'The peer did not prove its key.'),
          ),
          cancel: () => {},
        };
      },
    });
    await vi.waitFor(async () => expect((await alice.contact(bobId))?.reconnectPaused).toBeTruthy());
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(1);
    expect(isRelayed(alice, bobId)).toBe(true); // the relayed conversation goes on meanwhile
    climber.dispose();
  });
});
