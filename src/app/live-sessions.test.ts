import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import type { PathInfo, Transport } from '../rtc/transport';
import { secureSession } from './connect';
import { messengerOf } from './messenger.test-util';

const TURN_PATH: PathInfo = {
  local: { type: 'relay', protocol: 'udp', relayProtocol: 'udp' },
  remote: { type: 'host', protocol: 'udp' },
};
const HOST_PATH: PathInfo = {
  local: { type: 'host', protocol: 'udp' },
  remote: { type: 'host', protocol: 'udp' },
};

/** A transport whose stats say it takes `path` (as a DataChannel's getStats would). */
const withPath = (t: Transport, path: () => PathInfo): Transport => ({
  ...t,
  path: async () => Promise.resolve(path()),
});

describe('live sessions: the route messages are stored with', () => {
  afterEach(() => vi.useRealTimers());

  it('is relayed for a DataChannel through TURN, read from its stats, and direct again when ICE moves', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const alice = await messengerOf('Alice');
    const bob = await messengerOf('Bob');
    let path = TURN_PATH;
    const pair = createMemoryTransportPair();
    const [forA, forB] = await Promise.all([
      secureSession(
        withPath(pair.a, () => path),
        alice.identity,
      ),
      secureSession(
        withPath(pair.b, () => path),
        bob.identity,
      ),
    ]);
    const [ra, rb] = await Promise.all([
      alice.adopt(forA, { kind: 'pairing', method: 'invite-code' }),
      bob.adopt(forB, { kind: 'pairing', method: 'invite-code' }),
    ]);
    const bobId = ra.contact.id;
    const aliceId = rb.contact.id;
    await alice.send(bobId, 'through TURN');
    await vi.waitFor(async () => expect((await bob.history(aliceId)).length).toBe(1));
    expect((await bob.history(aliceId))[0]?.route).toBe('relayed');
    expect((await alice.history(bobId))[0]?.route).toBe('relayed');

    path = HOST_PATH;
    await vi.advanceTimersByTimeAsync(5_000);
    vi.useRealTimers();
    await bob.send(aliceId, 'directly now');
    await vi.waitFor(async () => expect((await alice.history(bobId)).length).toBe(2));
    expect((await alice.history(bobId)).map((m) => [m.body, m.route])).toEqual([
      ['through TURN', 'relayed'],
      ['directly now', 'direct'],
    ]);
  });
});
