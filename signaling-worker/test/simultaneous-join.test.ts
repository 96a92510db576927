/**
 * Two peers that join a room at the same moment, as two contacts who reopen the app together do
 * (the reconnect benchmark's miss in issue 12 was suspected to be such a race): whatever order the
 * room handles the two upgrades in, exactly one hears `hello` with no peer and then `peer-joined`,
 * and the other hears `hello` with one peer, so the offerer always learns that the other is there.
 */
import { describe, expect, it } from 'vitest';
import { connect, newRoomId } from './helpers';

describe('simultaneous joins', () => {
  it.each(Array.from({ length: 20 }, (_, i) => i))('both learn of each other (round %i)', async () => {
    const roomId = newRoomId();
    const [a, b] = await Promise.all([connect(roomId), connect(roomId)]);
    const [helloA, helloB] = await Promise.all([a.next(), b.next()]);
    expect(helloA.t).toBe('hello');
    expect(helloB.t).toBe('hello');
    const peers = [helloA, helloB].map((h) => (h.t === 'hello' ? h.peers : -1)).sort();
    expect(peers).toEqual([0, 1]);
    const first = helloA.t === 'hello' && helloA.peers === 0 ? a : b;
    expect(await first.nextText()).toBe('{"t":"peer-joined"}');
  });
});
