/**
 * Asking the room for TURN: once, only with the other side in the room; the worker's servers after
 * the user's; a refusal, silence or a closed room means the user's servers alone, after at most
 * the wait; and the connection is made only once the servers are known, an early offer held.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEmitter } from '../protocol/events';
import type { TurnAnswer } from '../protocol/turn';
import { fixture } from '../rtc/fixtures/load';
import type { SignalingClientEvents } from '../rtc/signaling-client';
import type { SimplePeerConnection, SimplePeerTransportOptions } from '../rtc/simple-peer-transport';
import { askRoomForTurn, mergeIceServers, ownIceOptions } from './turn-servers';

const OWN: RTCIceServer[] = [{ urls: 'stun:stun.example.org:3478' }];
const GRANT: TurnAnswer = {
  t: 'turn',
  ttl: 86_400,
  servers: [
    { urls: ['turn:127.0.0.1:34780?transport=udp'], username: '1700086400:abc', credential: 'c2VjcmV0' },
  ],
};

function fakeSignaling() {
  const events = createEmitter<SignalingClientEvents>();
  const requests: number[] = [];
  return {
    events,
    requests,
    client: { on: events.on, requestTurn: () => requests.push(Date.now()) },
  };
}

function fakeCreate() {
  const made: { options: SimplePeerTransportOptions; accepted: unknown[]; closed: boolean }[] = [];
  const create = (options: SimplePeerTransportOptions): SimplePeerConnection => {
    const record = { options, accepted: [] as unknown[], closed: false };
    made.push(record);
    return {
      transport: new Promise(() => undefined),
      localSignal: async () => Promise.resolve({ type: 'offer' as const, sdp: 'v=0' }),
      acceptRemote: (desc) => void record.accepted.push(desc),
      close: () => void (record.closed = true),
    };
  };
  return { made, create };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('askRoomForTurn', () => {
  it('asks once the other side is in the room, and only once', () => {
    const s = fakeSignaling();
    askRoomForTurn(s.client, { iceServers: OWN });
    s.events.emit('hello', 0);
    expect(s.requests).toHaveLength(0); // alone: the room would refuse
    s.events.emit('peer-joined');
    s.events.emit('peer-left');
    s.events.emit('peer-joined');
    expect(s.requests).toHaveLength(1);

    const t = fakeSignaling();
    askRoomForTurn(t.client, { iceServers: OWN });
    t.events.emit('hello', 1);
    expect(t.requests).toHaveLength(1);
  });

  it("puts the worker's servers after the user's, with the relay policy", async () => {
    const s = fakeSignaling();
    const turn = askRoomForTurn(s.client, { iceServers: OWN, iceTransportPolicy: 'relay' });
    s.events.emit('hello', 1);
    s.events.emit('turn', GRANT);
    expect(await turn.iceOptions()).toEqual({
      iceTransportPolicy: 'relay',
      iceServers: [
        { urls: 'stun:stun.example.org:3478' },
        { urls: ['turn:127.0.0.1:34780?transport=udp'], username: '1700086400:abc', credential: 'c2VjcmV0' },
      ],
    });
    expect(turn.answer()).toEqual(GRANT);
  });

  it("goes ahead with the user's servers on a refusal, on silence and on a closed room", async () => {
    const refused = fakeSignaling();
    const a = askRoomForTurn(refused.client, { iceServers: OWN });
    refused.events.emit('hello', 1);
    refused.events.emit('turn', { t: 'no-turn', reason: 'unconfigured' });
    expect(await a.iceOptions()).toEqual({ iceServers: OWN });

    const silent = fakeSignaling();
    const b = askRoomForTurn(silent.client, { iceServers: OWN }, { waitMs: 2_000 });
    let done = false;
    const options = b.iceOptions().then((o) => ((done = true), o));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await options).toEqual({ iceServers: OWN });

    const closed = fakeSignaling();
    const c = askRoomForTurn(closed.client, { iceServers: [] });
    closed.events.emit('peer-joined');
    closed.events.emit('close', { code: 1006, message: 'lost', normal: false });
    expect(await c.iceOptions()).toEqual({ iceServers: [] });
  });

  it('makes the connection only once the servers are known, holding an early offer', async () => {
    const s = fakeSignaling();
    const fake = fakeCreate();
    const turn = askRoomForTurn(s.client, { iceServers: OWN }, { create: fake.create });
    s.events.emit('peer-joined');
    const conn = turn.connection(false);
    const offer = fixture('chromium-mdns-offer');
    conn.acceptRemote(offer);
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.made).toHaveLength(0);
    s.events.emit('turn', GRANT);
    expect(await conn.localSignal()).toEqual({ type: 'offer', sdp: 'v=0' });
    expect(fake.made).toHaveLength(1);
    expect(fake.made[0]!.options.initiator).toBe(false);
    expect(fake.made[0]!.options.iceServers).toHaveLength(2);
    expect(fake.made[0]!.accepted).toEqual([offer]);
  });

  it('refuses a malformed early offer at once, and makes nothing once closed', async () => {
    const s = fakeSignaling();
    const fake = fakeCreate();
    const turn = askRoomForTurn(s.client, { iceServers: OWN }, { create: fake.create });
    const conn = turn.connection(false);
    expect(() => conn.acceptRemote({ type: 'offer', sdp: 'not an sdp' })).toThrow();
    conn.close();
    s.events.emit('turn', GRANT);
    await expect(conn.transport).rejects.toThrow(/closed/);
    expect(fake.made).toHaveLength(0);
  });
});

describe('ICE options', () => {
  it('keep the user settings for connections without the worker', () => {
    expect(ownIceOptions({ iceServers: OWN })).toEqual({ iceServers: OWN });
    expect(ownIceOptions({ iceServers: [], iceTransportPolicy: 'relay' })).toEqual({
      iceServers: [],
      iceTransportPolicy: 'relay',
    });
  });

  it('copy granted servers into RTCIceServer records', () => {
    expect(mergeIceServers([], [{ urls: ['stun:stun.cloudflare.com:3478'] }])).toEqual([
      { urls: ['stun:stun.cloudflare.com:3478'] },
    ]);
  });
});
