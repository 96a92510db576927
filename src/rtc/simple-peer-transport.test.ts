/**
 * The transport's own logic (signaling checks, info, flow control, close, failures, staying
 * connected, path()) over a fake simple-peer in Node. The error mapping alone is
 * simple-peer-errors.test.ts's, reading getStats() path-stats.test.ts's. The real thing, between two
 * browsers, is e2e/transport.spec.ts.
 */
import { EventEmitter } from 'node:events';
import type SimplePeer from 'simple-peer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RtcError } from './errors';
import { fixture } from './fixtures/load';
import { dtlsFingerprint } from './sdp';
import { DISCONNECTED_GRACE_MS } from './disconnected-grace';
import {
  DEFAULT_GATHER_TIMEOUT_MS,
  DEFAULT_ICE_SERVERS,
  createSimplePeerTransport,
  type PeerLike,
  type SimplePeerTransportOptions,
} from './simple-peer-transport';
import { hostLocal, prflxRemote, statsReport } from './stats-report.test-util';

const offer = fixture('chromium-mdns-offer');
const answer = fixture('chromium-mdns-answer');

/** Just enough of an RTCDataChannel: a send buffer the test drains by hand. */
class FakeChannel extends EventTarget {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readyState: RTCDataChannelState = 'open';
  sent: Uint8Array[] = [];
  failSend = false;
  onClose: (() => void) | undefined;
  send(data: Uint8Array): void {
    if (this.failSend) throw new DOMException('RTCDataChannel send queue is full', 'OperationError');
    if (this.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError');
    this.sent.push(data.slice());
    this.bufferedAmount += data.length;
  }
  close(): void {
    if (this.readyState !== 'open') return;
    this.readyState = 'closing';
    this.onClose?.();
  }
  /** The network took bytes: lower bufferedAmount, firing the event on crossing the threshold. */
  drainTo(amount: number): void {
    const was = this.bufferedAmount;
    this.bufferedAmount = amount;
    if (was > this.bufferedAmountLowThreshold && amount <= this.bufferedAmountLowThreshold) {
      this.dispatchEvent(new Event('bufferedamountlow'));
    }
  }
}

class FakePeer extends EventEmitter implements PeerLike {
  static last: FakePeer | undefined;
  readonly signals: SimplePeer.SignalData[] = [];
  destroyed: Error | null | undefined;
  _channel: FakeChannel | null = new FakeChannel();
  _pc: {
    localDescription: { type: string; sdp: string } | null;
    sctp: { maxMessageSize: number } | null;
    getStats?: () => Promise<ReadonlyMap<string, unknown>>;
  } = {
    localDescription: null,
    sctp: { maxMessageSize: 262_144 },
  };
  constructor(readonly opts: SimplePeer.Options) {
    super();
    FakePeer.last = this;
  }
  signal(data: SimplePeer.SignalData): void {
    this.signals.push(data);
  }
  /** As simple-peer: 'error' (when given one) then 'close', a microtask later. */
  destroy(error?: Error): void {
    if (this.destroyed !== undefined) return;
    this.destroyed = error ?? null;
    queueMicrotask(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
  }
}

function make(over: Partial<SimplePeerTransportOptions> = {}) {
  const conn = createSimplePeerTransport({ initiator: true, Peer: FakePeer, ...over });
  const peer = FakePeer.last!;
  return { conn, peer, channel: peer._channel! };
}

const tick = async (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** An offerer with its offer out, the answer in and the channel open. */
async function openOfferer(over: Partial<SimplePeerTransportOptions> = {}) {
  const made = make(over);
  made.peer.emit('signal', offer);
  await made.conn.localSignal();
  made.conn.acceptRemote(answer);
  made.peer.emit('connect');
  const transport = await made.conn.transport;
  return { ...made, transport };
}

async function rejection(p: Promise<unknown>): Promise<RtcError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RtcError);
    return e as RtcError;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): RtcError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RtcError);
    return e as RtcError;
  }
  throw new Error('expected a throw');
}

describe('createSimplePeerTransport: signaling', () => {
  it('asks simple-peer for non-trickle, bounded gathering, one ordered channel and whole messages', () => {
    const { peer } = make({ gatherTimeoutMs: 1234 });
    expect(peer.opts).toMatchObject({
      initiator: true,
      trickle: false,
      iceCompleteTimeout: 1234,
      config: { iceServers: DEFAULT_ICE_SERVERS },
      channelConfig: { ordered: true },
      objectMode: true,
    });
    expect(DEFAULT_ICE_SERVERS).toEqual([{ urls: 'stun:stun.l.google.com:19302' }]);
    make({ iceServers: [] });
    expect(FakePeer.last!.opts.config).toEqual({ iceServers: [] });
  });

  it('hands out the complete offer once, and ignores later signals', async () => {
    const { conn, peer } = make();
    peer.emit('signal', { type: 'renegotiate', renegotiate: true });
    peer.emit('signal', offer);
    peer.emit('signal', { type: 'offer', sdp: 'v=0\r\n' });
    expect(await conn.localSignal()).toEqual(offer);
  });

  it('checks the remote description before simple-peer sees it', () => {
    const { conn, peer } = make();
    const noFp = { type: 'answer' as const, sdp: answer.sdp.replace(/a=fingerprint:[^\r]*\r\n/, '') };
    expect(thrown(() => conn.acceptRemote(noFp)).code).toBe('NO_FINGERPRINT');
    const sha1 = {
      type: 'answer' as const,
      sdp: answer.sdp.replace('fingerprint:sha-256', 'fingerprint:sha-1'),
    };
    expect(thrown(() => conn.acceptRemote(sha1)).code).toBe('UNSUPPORTED_FINGERPRINT');
    expect(thrown(() => conn.acceptRemote(offer)).message).toBe(
      'These connection details are an invitation, but the answer to ours was expected.',
    );
    const badSize = { ...answer, sdp: answer.sdp.replace('max-message-size:262144', 'max-message-size:x') };
    expect(thrown(() => conn.acceptRemote(badSize)).code).toBe('SIGNAL_INVALID');
    expect(peer.signals).toEqual([]);
    conn.acceptRemote(answer);
    expect(peer.signals).toEqual([answer]);
    expect(thrown(() => conn.acceptRemote(answer)).code).toBe('SIGNAL_INVALID');
    expect(peer.destroyed).toBeUndefined(); // refusals do not end the attempt
  });

  it('the answerer wants an offer, and signals its answer after it', async () => {
    const { conn, peer } = make({ initiator: false });
    expect(thrown(() => conn.acceptRemote(answer)).message).toBe(
      'These connection details are an answer, but an invitation was expected.',
    );
    conn.acceptRemote(offer);
    peer.emit('signal', answer);
    expect(await conn.localSignal()).toEqual(answer);
  });
});

describe('createSimplePeerTransport: bounds in time', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the description gathered so far when gathering overruns its bound', async () => {
    const { conn, peer } = make();
    peer._pc.localDescription = { type: 'offer', sdp: offer.sdp };
    vi.advanceTimersByTime(DEFAULT_GATHER_TIMEOUT_MS + 1_000);
    expect(await conn.localSignal()).toEqual(offer);
  });

  it('fails with TIMEOUT when there is nothing to send by then', async () => {
    const { conn } = make({ gatherTimeoutMs: 100 });
    vi.advanceTimersByTime(1_100);
    const error = await rejection(conn.localSignal());
    expect(error.code).toBe('TIMEOUT');
    expect((await rejection(conn.transport)).code).toBe('TIMEOUT');
  });

  it('fails with TIMEOUT when the channel does not open in connectTimeoutMs', async () => {
    const { conn, peer } = make({ connectTimeoutMs: 5_000 });
    peer.emit('signal', offer);
    conn.acceptRemote(answer);
    vi.advanceTimersByTime(4_999);
    expect(peer.destroyed).toBeUndefined();
    vi.advanceTimersByTime(1);
    const error = await rejection(conn.transport);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: 'The other device did not connect in time.' });
  });
});

describe('createSimplePeerTransport: staying connected', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives an open connection up when its ICE stays disconnected for the grace period, so the contact is met again', async () => {
    const { transport, peer } = await openOfferer();
    vi.useFakeTimers();
    const closed = vi.fn();
    const errors: Error[] = [];
    transport.on('close', closed);
    transport.on('error', (e) => errors.push(e));
    peer.emit('iceStateChange', 'disconnected', 'complete');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS - 1);
    expect(peer.destroyed).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(peer.destroyed).toMatchObject({ code: 'ICE_FAILED' });
    vi.useRealTimers();
    await tick();
    expect(closed).toHaveBeenCalledOnce();
    expect(errors[0]?.message).toBe('The connection to the other device was lost; connecting again.');
  });

  it('keeps a connection whose ICE comes back within the grace period', async () => {
    const { peer } = await openOfferer();
    vi.useFakeTimers();
    peer.emit('iceStateChange', 'disconnected', 'complete');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS - 100);
    peer.emit('iceStateChange', 'connected', 'complete');
    vi.advanceTimersByTime(10 * DISCONNECTED_GRACE_MS);
    expect(peer.destroyed).toBeUndefined();
    // A second spell starts its own grace period.
    peer.emit('iceStateChange', 'disconnected', 'complete');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS);
    expect(peer.destroyed).toMatchObject({ code: 'ICE_FAILED' });
  });
});

describe('createSimplePeerTransport: the open channel', () => {
  it('fills info from both descriptions and emits open, even to a late listener', async () => {
    const { transport } = await openOfferer();
    expect(transport.info).toEqual({
      initiator: true,
      localFingerprint: dtlsFingerprint(offer.sdp),
      remoteFingerprint: dtlsFingerprint(answer.sdp),
      maxMessageSize: 262_144,
    });
    const seen: string[] = [];
    transport.on('open', () => seen.push('open'));
    expect(seen).toEqual(['open']);
  });

  it("caps maxMessageSize by the browser's own SCTP limit", async () => {
    const made = make();
    made.peer._pc.sctp = { maxMessageSize: 65_536 };
    made.peer.emit('signal', offer);
    made.conn.acceptRemote({
      ...answer,
      sdp: answer.sdp.replace('max-message-size:262144', 'max-message-size:0'),
    });
    made.peer.emit('connect');
    expect((await made.conn.transport).info.maxMessageSize).toBe(65_536);
  });

  it('passes messages up as plain Uint8Arrays and reports text messages as errors', async () => {
    const { transport, peer } = await openOfferer();
    const got: Uint8Array[] = [];
    const errors: RtcError[] = [];
    transport.on('message', (m) => got.push(m));
    transport.on('error', (e) => errors.push(e as RtcError));
    peer.emit('data', Buffer.from([1, 2, 3]));
    peer.emit('data', 'hello');
    expect(got).toHaveLength(1);
    expect(Object.getPrototypeOf(got[0]!)).toBe(Uint8Array.prototype);
    expect([...got[0]!]).toEqual([1, 2, 3]);
    expect(errors.map((e) => e.code)).toEqual(['CHANNEL_FAILED']);
  });

  it("takes messages straight from simple-peer's channel handler, in order, and none once destroyed", async () => {
    /** As simple-peer 9.11: the channel's onmessage calls _onChannelMessage, which feeds the stream. */
    class ChannelPeer extends FakePeer {
      _onChannelMessage(event: { data: unknown }): void {
        this.emit('data', Buffer.from(event.data as ArrayBuffer)); // the path the transport replaces
      }
    }
    const { transport, peer } = await openOfferer({ Peer: ChannelPeer });
    const direct = peer as ChannelPeer;
    const got: Uint8Array[] = [];
    const errors: RtcError[] = [];
    transport.on('message', (m) => got.push(m));
    transport.on('error', (e) => errors.push(e as RtcError));
    let viaStream = 0;
    direct.on('data', () => viaStream++);
    const buffers = [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 5, 6)].map(
      (b) => b.slice().buffer,
    );
    for (const data of buffers) direct._onChannelMessage({ data });
    direct._onChannelMessage({ data: 'text' });
    expect(viaStream).toBe(0);
    expect(got.map((m) => [...m])).toEqual([[1, 2], [3], [4, 5, 6]]);
    expect(got[0]!.buffer).toBe(buffers[0]); // the received buffer itself, the listener's (ByteChannel)
    expect(Object.getPrototypeOf(got[0]!)).toBe(Uint8Array.prototype);
    expect(errors.map((e) => e.code)).toEqual(['CHANNEL_FAILED']);
    (direct as unknown as { destroyed: boolean }).destroyed = true; // simple-peer's flag after destroy()
    direct._onChannelMessage({ data: Uint8Array.of(9).buffer });
    expect(got).toHaveLength(3);
  });

  it('refuses messages over the peer limit and sends after close', async () => {
    const { transport, conn } = await openOfferer();
    expect(thrown(() => transport.send(new Uint8Array(262_145)))).toMatchObject({
      code: 'TOO_LARGE',
      message: 'This message is 262145 bytes; the other device accepts at most 262144.',
    });
    transport.send(new Uint8Array(262_144));
    conn.close();
    expect(thrown(() => transport.send(new Uint8Array(1))).code).toBe('CHANNEL_CLOSED');
  });

  it('queues above the high-water mark, refills on bufferedamountlow, and drains', async () => {
    const { transport, channel } = await openOfferer({ highWaterMark: 1000, lowWaterMark: 100 });
    expect(channel.bufferedAmountLowThreshold).toBe(100);
    const msg = (n: number): Uint8Array => new Uint8Array(600).fill(n);
    transport.send(msg(1)); // 600 buffered
    transport.send(msg(2)); // 1200: still sent, it was at most 1000 before
    const reused = msg(3);
    transport.send(reused); // queued here
    reused.fill(9); // the caller reusing its buffer changes nothing queued
    transport.send(msg(4));
    expect(channel.sent.map((m) => m[0])).toEqual([1, 2]);
    expect(transport.bufferedAmount).toBe(2400);

    let drained = false;
    void transport.drain().then(() => (drained = true));
    channel.drainTo(100); // event: the queue goes out while the buffer is at most 1000
    expect(channel.sent.map((m) => m[0])).toEqual([1, 2, 3, 4]);
    expect(channel.bufferedAmount).toBe(1300);
    await tick();
    expect(drained).toBe(false);
    channel.drainTo(50);
    await tick();
    expect(drained).toBe(true);
    await transport.drain(); // already low: resolves at once
  });

  it('close() lets the queue out first, then closes the channel; close follows', async () => {
    const { transport, conn, channel, peer } = await openOfferer({ highWaterMark: 1000, lowWaterMark: 100 });
    channel.onClose = () => peer.destroy(); // as simple-peer does on the channel's close
    const events: string[] = [];
    transport.on('close', () => events.push('close'));
    transport.send(new Uint8Array(1500));
    transport.send(new Uint8Array(10));
    const pending = transport.drain();
    conn.close();
    expect(channel.readyState).toBe('open'); // 10 bytes still queued
    channel.drainTo(0);
    expect(channel.sent.map((m) => m.length)).toEqual([1500, 10]);
    expect(channel.readyState).toBe('closing');
    await tick();
    expect(events).toEqual(['close']);
    await pending; // drained before the close
    await expect(transport.drain()).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
  });

  it('rejects drain() waiters when the channel closes under them', async () => {
    const { transport, peer } = await openOfferer({ highWaterMark: 0, lowWaterMark: 0 });
    transport.send(new Uint8Array(10));
    transport.send(new Uint8Array(10));
    const pending = transport.drain();
    peer.destroy();
    expect((await rejection(pending)).code).toBe('CHANNEL_CLOSED');
  });

  it('a failing browser send becomes CHANNEL_FAILED: thrown, then error and close', async () => {
    const { transport, channel } = await openOfferer();
    const events: string[] = [];
    transport.on('error', (e) => events.push(`error ${(e as RtcError).code}`));
    transport.on('close', () => events.push('close'));
    channel.failSend = true;
    expect(thrown(() => transport.send(new Uint8Array(1))).code).toBe('CHANNEL_FAILED');
    await tick();
    expect(events).toEqual(['error CHANNEL_FAILED', 'close']);
  });
});

describe('createSimplePeerTransport: failures', () => {
  it('before open: rejects transport and localSignal with the mapped RtcError', async () => {
    const { conn, peer } = make();
    peer.destroy(Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' }));
    const error = await rejection(conn.transport);
    expect(error.code).toBe('ICE_FAILED');
    expect(error.cause).toBeInstanceOf(Error);
    expect((await rejection(conn.localSignal())).code).toBe('ICE_FAILED');
    expect(thrown(() => conn.acceptRemote(answer)).code).toBe('CHANNEL_CLOSED');
  });

  it('after open: error event, then close, then nothing', async () => {
    const { transport, peer } = await openOfferer();
    const events: string[] = [];
    transport.on('error', (e) => events.push(`error ${(e as RtcError).code}`));
    transport.on('close', () => events.push('close'));
    peer.destroy(Object.assign(new Error('Connection failed.'), { code: 'ERR_CONNECTION_FAILURE' }));
    await tick();
    expect(events).toEqual(['error ICE_FAILED', 'close']);
  });

  it('closing before open rejects with CHANNEL_CLOSED and destroys the peer', async () => {
    const { conn, peer } = make();
    conn.close();
    expect(peer.destroyed).toBeNull();
    expect((await rejection(conn.transport)).code).toBe('CHANNEL_CLOSED');
  });

  it('a constructor that throws (no WebRTC here) throws NO_WEBRTC at once', () => {
    class NoWebRtc extends FakePeer {
      constructor(opts: SimplePeer.Options) {
        super(opts);
        throw Object.assign(new Error('No WebRTC support'), { code: 'ERR_WEBRTC_SUPPORT' });
      }
    }
    expect(thrown(() => createSimplePeerTransport({ initiator: true, Peer: NoWebRtc })).code).toBe(
      'NO_WEBRTC',
    );
    // And the real simple-peer under Node, which has no RTCPeerConnection:
    expect(thrown(() => createSimplePeerTransport({ initiator: true })).code).toBe('NO_WEBRTC');
  });
});

describe('createSimplePeerTransport: path()', () => {
  it("reads the RTCPeerConnection's stats while open, and nothing once closed", async () => {
    const { transport, peer, conn } = await openOfferer();
    const report = statsReport(hostLocal, prflxRemote, {
      id: 'P1',
      type: 'candidate-pair',
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      state: 'succeeded',
      nominated: true,
    });
    let calls = 0;
    peer._pc.getStats = async () => {
      calls++;
      return Promise.resolve(report);
    };
    expect(await transport.path?.()).toEqual({
      local: { type: 'host', protocol: 'udp', address: '192.168.1.20', port: 54_321 },
      remote: { type: 'prflx', protocol: 'udp', address: '192.168.1.30', port: 61_000 },
    });
    peer._pc.getStats = async () => Promise.reject(new DOMException('closed', 'InvalidStateError'));
    expect(await transport.path?.()).toBeUndefined();
    conn.close();
    peer._pc.getStats = async () => Promise.resolve(report);
    expect(await transport.path?.()).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('is undefined when the peer connection offers no getStats()', async () => {
    const { transport } = await openOfferer();
    expect(await transport.path?.()).toBeUndefined();
  });
});
