/**
 * The meeting's route ladder with the worker, WebRTC and the relay replaced by in-memory fakes: a
 * room that passes blobs between its two clients, connections that open (or find no path) when
 * offer and answer have crossed, and relay rooms that pair their two sides.
 */
import { describe, expect, it } from 'vitest';
import { createEmitter } from '../protocol/events';
import type { SignalingCipher } from '../protocol/pairing';
import { RtcError } from '../rtc/errors';
import { fixtureSdp } from '../rtc/fixtures/load';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import type { RelayConnection } from '../rtc/relay-transport';
import type { SessionDescription } from '../rtc/sdp';
import type { SignalingClient, SignalingClientEvents } from '../rtc/signaling-client';
import type { SimplePeerConnection, WebRtcTransport } from '../rtc/simple-peer-transport';
import type { Transport } from '../rtc/transport';
import type { AppConfig } from './config';
import type { Connected } from './connect';
import { meetThroughWorker, NO_BETTER_ROUTE, type MeetingDeps, type WorkerMeeting } from './worker-meeting';

const config: AppConfig = { signalingUrl: 'ws://127.0.0.1:1', iceServers: [] };

/** Sealing is not under test here: JSON through as is. */
const cipher: SignalingCipher = {
  roomId: 'room',
  seal: async (m) => Promise.resolve(JSON.stringify(m)),
  open: async (b) => Promise.resolve(JSON.parse(b) as unknown),
};

interface Client extends SignalingClient {
  emit: <K extends keyof SignalingClientEvents>(k: K, ...a: Parameters<SignalingClientEvents[K]>) => void;
  closed: boolean;
}

/** Two meeting sides, the worker and the network between them. */
function world(options: { path: boolean }) {
  const clients: Client[] = [];
  const sentSignals: string[] = [];
  const relayRooms = new Map<string, { initiator: boolean; resolve: (t: Transport) => void }[]>();
  let relayCalls = 0;
  const conns: { initiator: boolean; open: (t: Transport) => void; fail: (e: Error) => void }[] = [];

  const connectSignaling: NonNullable<MeetingDeps['connectSignaling']> = () => {
    const events = createEmitter<SignalingClientEvents>();
    const others = (): Client[] => clients.filter((c) => c !== client && !c.closed);
    const client: Client = {
      closed: false,
      emit: events.emit,
      on: events.on,
      sendBlob(data) {
        sentSignals.push((JSON.parse(data) as { type: string }).type);
        for (const o of others()) queueMicrotask(() => o.emit('blob', data));
      },
      done() {},
      requestTurn() {
        queueMicrotask(() => client.emit('turn', { t: 'no-turn', reason: 'unconfigured' }));
      },
      close() {
        if (client.closed) return;
        client.closed = true;
        for (const o of others()) queueMicrotask(() => o.emit('peer-left'));
      },
    };
    const already = others().length;
    clients.push(client);
    queueMicrotask(() => {
      client.emit('hello', already);
      for (const o of clients) if (o !== client && !o.closed) o.emit('peer-joined');
    });
    return client;
  };

  const createConnection: NonNullable<MeetingDeps['createConnection']> = ({ initiator }) => {
    let open: (t: Transport) => void = () => undefined;
    let fail: (e: Error) => void = () => undefined;
    const transport = new Promise<WebRtcTransport>((resolve, reject) => {
      open = (t) => resolve(t as WebRtcTransport);
      fail = reject;
    });
    transport.catch(() => undefined);
    conns.push({ initiator, open, fail });
    const c: SimplePeerConnection = {
      transport,
      localSignal: async (): Promise<SessionDescription> =>
        Promise.resolve({
          // A real description (the fake connection ignores it; the meeting checks its shape).
          type: initiator ? 'offer' : 'answer',
          sdp: fixtureSdp('chromium-mdns-offer'),
        }),
      acceptRemote(desc) {
        if (!initiator || desc.type !== 'answer') return;
        // Offer and answer have crossed: ICE finds a path, or finds none.
        if (!options.path) return;
        const pair = createMemoryTransportPair();
        for (const k of conns) k.open(k.initiator ? pair.a : pair.b);
      },
      close() {
        fail(new RtcError('ICE_FAILED', 'closed'));
      },
    };
    return c;
  };

  const connectRelay: NonNullable<MeetingDeps['connectRelay']> = ({ roomId, initiator }): RelayConnection => {
    relayCalls++;
    const key = Buffer.from(roomId).toString('hex');
    const transport = new Promise<Transport>((resolve) => {
      const waiting = relayRooms.get(key) ?? [];
      waiting.push({ initiator, resolve });
      relayRooms.set(key, waiting);
      if (waiting.length === 2) {
        const pair = createMemoryTransportPair({ relayRoomId: roomId });
        for (const w of waiting) w.resolve(w.initiator ? pair.a : pair.b);
      }
    });
    return { transport, close: () => {} };
  };

  const deps: MeetingDeps = { connectSignaling, connectRelay, createConnection, relayFallbackMs: 50 };
  return { deps, clients, sentSignals, relayCalls: () => relayCalls };
}

/** A side whose "handshake" is the transport itself, released when `gate` resolves. */
function side(offerer: boolean, extra: Partial<WorkerMeeting> = {}, gate: Promise<void> = Promise.resolve()) {
  const secured: Transport[] = [];
  const meeting: WorkerMeeting = {
    offerer,
    cipher,
    useUp: false,
    secure: async (t) => {
      secured.push(t);
      await gate;
      return { transport: t, session: { close: async () => {} } } as unknown as Connected;
    },
    peerLeft: () => new RtcError('SIGNAL_INVALID', 'They left before the connection was made.'),
    ...extra,
  };
  return { meeting, secured };
}

const meet = async (meeting: WorkerMeeting, deps: MeetingDeps, cfg: AppConfig = config): Promise<Connected> =>
  meetThroughWorker(meeting, cfg, () => undefined, deps);

describe('meeting through the worker', () => {
  it('a signaling connection lost once the channel is open does not fail the meeting', async () => {
    const w = world({ path: true });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const a = side(true, {}, gate);
    const b = side(false, {}, gate);
    const meetings = [meet(a.meeting, w.deps), meet(b.meeting, w.deps)] as const;
    await expect.poll(() => a.secured.length + b.secured.length).toBe(2);
    // The worker goes away mid-handshake (wrangler restarted, the network blinked).
    for (const c of w.clients) {
      c.closed = true;
      c.emit('close', { code: 1006, message: 'The signaling server connection was lost.', normal: false });
    }
    release();
    const [ca, cb] = await Promise.all(meetings);
    expect(ca.transport.info.relayRoomId).toBeUndefined();
    expect(cb.transport.info.initiator).toBe(false);
  });

  it('a signaling connection lost before any channel fails the meeting with its sentence', async () => {
    const w = world({ path: false });
    const a = meet(side(true).meeting, { ...w.deps, relayFallbackMs: 60_000 });
    await expect.poll(() => w.clients.length).toBe(1);
    w.clients[0]!.emit('close', {
      code: 1006,
      message: 'The signaling server connection was lost.',
      normal: false,
    });
    await expect(a).rejects.toThrow('The signaling server connection was lost.');
  });

  it('with no path, the offerer moves both sides to one relay room', async () => {
    const w = world({ path: false });
    const [ca, cb] = await Promise.all([meet(side(true).meeting, w.deps), meet(side(false).meeting, w.deps)]);
    expect(ca.transport.info.relayRoomId).toBeDefined();
    expect(cb.transport.info.relayRoomId).toEqual(ca.transport.info.relayRoomId);
    expect(w.sentSignals).toEqual(['offer', 'answer', 'relay']);
  });

  it('climbing with no path fails on both sides and never proposes the relay', async () => {
    const w = world({ path: false });
    const a = meet(side(true, { climbing: true }).meeting, w.deps);
    const b = meet(side(false, { climbing: true }).meeting, w.deps);
    await expect(a).rejects.toThrow(NO_BETTER_ROUTE);
    await expect(b).rejects.toThrow('They left before the connection was made.');
    expect(w.relayCalls()).toBe(0);
    expect(w.sentSignals).toEqual(['offer', 'answer']);
  });

  it('climbing towards a side that always relays fails rather than going to the relay', async () => {
    const w = world({ path: true });
    const a = meet(side(true, { climbing: true }).meeting, w.deps);
    const b = meet(side(false).meeting, w.deps, { ...config, alwaysRelay: true });
    await expect(a).rejects.toThrow(NO_BETTER_ROUTE);
    await expect(b).rejects.toThrow('They left before the connection was made.');
    expect(w.relayCalls()).toBe(0);
    expect(w.sentSignals).toEqual(['offer', 'relay-please']);
  });
});
