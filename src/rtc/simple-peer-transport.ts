/**
 * The WebRTC transport: one ordered, reliable RTCDataChannel through simple-peer (the only
 * module that imports it), with non-trickle signaling, so that one offer and one answer carry
 * everything and fit an invite code or a single relayed message.
 *
 *   offerer (initiator)                                    answerer
 *   createSimplePeerTransport({ initiator: true })
 *   localSignal() → offer, once ICE gathering
 *   completes or gatherTimeoutMs passes ─── offer ───►  createSimplePeerTransport({ initiator: false })
 *                                                       acceptRemote(offer)  (fingerprint checked first)
 *                                   ◄──── answer ────  localSignal() → answer
 *   acceptRemote(answer)
 *   ICE, DTLS, SCTP; the channel opens: `transport` resolves on both sides with
 *   info = { initiator, localFingerprint (our SDP), remoteFingerprint (theirs), maxMessageSize }
 *
 * Sending never overfills the browser's buffer (Chromium refuses a send past 16 MiB buffered,
 * "send queue is full", and older versions closed the channel): above `highWaterMark` buffered
 * bytes, messages wait in a queue here and go out on `bufferedamountlow`. A bulk sender
 * awaits `drain()` to keep that queue short. Failures reject `transport` before the channel
 * opens; after, they are an `error` event (RtcError) followed by `close`. An offerer whose
 * answer never comes waits until close(): how long a person may take to scan is the app's call.
 *
 * simple-peer 9.11 internals used: `_channel` (the RTCDataChannel, for bufferedAmount and its
 * low-water event, which simple-peer only exposes through its stream API), `_pc` (the
 * RTCPeerConnection, for the description gathered so far when gathering overruns its bound,
 * and for the SCTP transport's maxMessageSize, and its getStats() for the candidate pair in use)
 * and `_onChannelMessage` (the channel's one message handler, which this module replaces: simple-peer
 * makes each message a Buffer and pushes it through a Node stream that hands it on a tick later,
 * CPU a file transfer spends on every 64 KiB chunk; replaced, the same events in the same order
 * arrive as they are, from the first message on).
 *
 * In modules of their own: simple-peer's error codes in our words (simple-peer-errors.ts), the
 * candidate pair read from getStats() (path-stats.ts), and giving up a path that stays
 * 'disconnected' (disconnected-grace.ts).
 */
import { DEFAULT_ICE_SERVERS } from './ice-servers';
import './node-shims';
import SimplePeer from 'simple-peer';
import { bufferView } from '../crypto/bytes';
import { createEmitter } from '../protocol/events';
import { DISCONNECTED_GRACE_MS, watchDisconnected } from './disconnected-grace';
import { RtcError } from './errors';
import { pathFromStats } from './path-stats';
import { checkDescription, dtlsFingerprint, maxMessageSize, type SessionDescription } from './sdp';
import { toRtcError } from './simple-peer-errors';
import type { Transport, TransportEvents, TransportInfo } from './transport';

export { DEFAULT_ICE_SERVERS };
export const DEFAULT_GATHER_TIMEOUT_MS = 3_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Far below Chromium's 16 MiB send-queue limit, and enough in flight to fill a fast path. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
export const DEFAULT_LOW_WATER_MARK = 256 * 1024;
/** How long close() waits for queued data to leave before tearing the connection down. */
const CLOSE_FLUSH_TIMEOUT_MS = 5_000;
/** Extra time past gatherTimeoutMs before the description gathered so far is used anyway. */
const GATHER_GRACE_MS = 1_000;

export interface SimplePeerTransportOptions {
  /** True on the offerer, which is also the Noise initiator. */
  initiator: boolean;
  /** STUN/TURN servers; `[]` for host candidates only. Default: one public STUN server. */
  iceServers?: RTCIceServer[];
  /** 'relay': only TURN-relayed candidates are gathered and used (the browser's own setting). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** The longest ICE gathering may take before the offer or answer goes out with what it has. */
  gatherTimeoutMs?: number;
  /** How long an open connection's ICE may stay 'disconnected' before it is given up. */
  disconnectedGraceMs?: number;
  /** From acceptRemote() to an open channel; past it the connection fails with TIMEOUT. */
  connectTimeoutMs?: number;
  highWaterMark?: number;
  lowWaterMark?: number;
  /** A WebRTC implementation for non-browser environments (simple-peer's `wrtc` option). */
  wrtc?: SimplePeer.Options['wrtc'];
  /** The simple-peer constructor; tests pass a fake. */
  Peer?: PeerConstructor;
}

/** A Transport with the flow control a bulk sender needs. */
export interface WebRtcTransport extends Transport {
  /** Bytes accepted by send() and not yet handed to the network: the browser's buffer and the queue here. */
  readonly bufferedAmount: number;
  /** Resolves once bufferedAmount is at or below the low-water mark; rejects if the channel closes. */
  drain(): Promise<void>;
}

export interface SimplePeerConnection {
  /** Resolves when the data channel is open; rejects with an RtcError if it never opens. */
  readonly transport: Promise<WebRtcTransport>;
  /** Our complete (non-trickle) offer or answer; the answerer's comes after acceptRemote(). */
  localSignal(): Promise<SessionDescription>;
  /** Hands over the other side's answer (offerer) or offer (answerer). Throws RtcError on bad input. */
  acceptRemote(desc: SessionDescription): void;
  close(): void;
}

/** The part of simple-peer this module uses. */
export interface PeerLike {
  on(event: 'signal', fn: (data: SimplePeer.SignalData) => void): unknown;
  on(event: 'connect' | 'close', fn: () => void): unknown;
  on(event: 'data', fn: (chunk: unknown) => void): unknown;
  on(event: 'error', fn: (error: Error) => void): unknown;
  on(event: 'iceStateChange', fn: (iceConnectionState: string, iceGatheringState: string) => void): unknown;
  signal(data: SimplePeer.SignalData): void;
  destroy(error?: Error): void;
}
export type PeerConstructor = new (opts: SimplePeer.Options) => PeerLike;

/** simple-peer's private fields this module reads (see the header). */
interface PeerInternals {
  _channel?: RTCDataChannel | null;
  _pc?: RTCPeerConnection | null;
  /** Called by the channel's onmessage for every message (simple-peer 9.11: `_channel.onmessage`). */
  _onChannelMessage?: (event: MessageEvent) => void;
  destroyed?: boolean;
}

const closedError = (): RtcError => new RtcError('CHANNEL_CLOSED', 'The connection is closed.');

/** A promise that also records whether it settled, and never reports an unhandled rejection. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // callers that never ask are not an error
  return { promise, resolve, reject };
}

export function createSimplePeerTransport(options: SimplePeerTransportOptions): SimplePeerConnection {
  const { initiator } = options;
  const gatherTimeoutMs = options.gatherTimeoutMs ?? DEFAULT_GATHER_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const lowWaterMark = options.lowWaterMark ?? DEFAULT_LOW_WATER_MARK;
  if (!(lowWaterMark >= 0 && highWaterMark >= lowWaterMark)) {
    throw new RtcError('SETUP_FAILED', 'lowWaterMark must be between 0 and highWaterMark.');
  }
  const Peer: PeerConstructor = options.Peer ?? SimplePeer;

  let peer: PeerLike & PeerInternals;
  try {
    peer = new Peer({
      initiator,
      trickle: false,
      iceCompleteTimeout: gatherTimeoutMs,
      config: {
        iceServers: options.iceServers ?? DEFAULT_ICE_SERVERS,
        ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
      },
      channelConfig: { ordered: true },
      objectMode: true, // one message per 'data' event, never merged by the stream
      ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    });
  } catch (e) {
    throw toRtcError(e);
  }

  const events = createEmitter<TransportEvents>();
  const signal = deferred<SessionDescription>();
  const opened = deferred<WebRtcTransport>();
  let state: 'new' | 'open' | 'closing' | 'closed' = 'new';
  let local: { desc: SessionDescription; fingerprint: Uint8Array } | undefined;
  let remote: { fingerprint: Uint8Array; maxMessageSize: number } | undefined;
  let channel: RTCDataChannel | undefined;
  let info: TransportInfo | undefined;
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const after = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const fail = (error: RtcError): void => {
    if (state === 'closed') return;
    peer.destroy(error); // simple-peer emits it as 'error', then 'close'
  };

  // --- signaling ----------------------------------------------------------------------------

  const takeLocal = (desc: { type?: unknown; sdp?: unknown }): void => {
    if (local || state === 'closed') return; // one offer or answer; later ones (renegotiation) are not used
    if ((desc.type !== 'offer' && desc.type !== 'answer') || typeof desc.sdp !== 'string') return;
    try {
      local = { desc: { type: desc.type, sdp: desc.sdp }, fingerprint: dtlsFingerprint(desc.sdp) };
    } catch (e) {
      fail(toRtcError(e));
      return;
    }
    signal.resolve(local.desc);
  };

  /** simple-peer's own bound starts at the first candidate; this one holds even if none comes. */
  const boundGathering = (): void => {
    after(gatherTimeoutMs + GATHER_GRACE_MS, () => {
      if (local || state === 'closed') return;
      const gathered = peer._pc?.localDescription;
      if (gathered) takeLocal(gathered);
      else fail(new RtcError('TIMEOUT', "Finding this device's network addresses took too long."));
    });
  };
  if (initiator) boundGathering();

  peer.on('signal', (data) => {
    if (data.type === 'offer' || data.type === 'answer') takeLocal(data);
  });

  // --- staying connected (disconnected-grace.ts) ------------------------------------------------
  watchDisconnected(peer, {
    graceMs: options.disconnectedGraceMs ?? DISCONNECTED_GRACE_MS,
    isOpen: () => state === 'open',
    after,
    giveUp: fail,
  });

  // --- the open channel ---------------------------------------------------------------------

  const totalBuffered = (): number => (channel?.bufferedAmount ?? 0) + queuedBytes;

  const settleDrain = (): void => {
    if (drainWaiters.length === 0 || totalBuffered() > lowWaterMark) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w.resolve();
  };

  const pump = (): void => {
    if (!channel) return;
    try {
      while (queue.length > 0 && channel.bufferedAmount <= highWaterMark) {
        const next = queue.shift()!;
        queuedBytes -= next.length;
        channel.send(bufferView(next));
      }
    } catch (e) {
      fail(new RtcError('CHANNEL_FAILED', 'The connection to the other device broke down.', { cause: e }));
      return;
    }
    if (state === 'closing' && queue.length === 0) channel.close(); // the browser flushes its buffer, then closes
    settleDrain();
  };

  const transport: WebRtcTransport = {
    get info(): TransportInfo {
      if (!info) throw closedError();
      return info;
    },
    get bufferedAmount() {
      return totalBuffered();
    },
    send(data) {
      if (state !== 'open' || !channel || !info) throw closedError();
      if (data.length > info.maxMessageSize) {
        throw new RtcError(
          'TOO_LARGE',
          `This message is ${data.length} bytes; the other device accepts at most ${info.maxMessageSize}.`,
        );
      }
      if (queue.length === 0 && channel.bufferedAmount <= highWaterMark) {
        try {
          channel.send(bufferView(data));
        } catch (e) {
          const error = new RtcError('CHANNEL_FAILED', 'The connection to the other device broke down.', {
            cause: e,
          });
          fail(error);
          throw error;
        }
      } else {
        queue.push(data.slice()); // the caller may reuse its buffer once send() returns
        queuedBytes += data.length;
      }
    },
    async drain() {
      if (state !== 'open') throw closedError();
      if (totalBuffered() <= lowWaterMark) return;
      return new Promise<void>((resolve, reject) => drainWaiters.push({ resolve, reject }));
    },
    close,
    on: events.on,
    async path() {
      const pc = peer._pc;
      if (state !== 'open' || !pc || typeof pc.getStats !== 'function') return undefined;
      try {
        return pathFromStats(await pc.getStats());
      } catch {
        return undefined; // closed under us: the path is simply not known
      }
    },
  };

  peer.on('connect', () => {
    if (state !== 'new' || !local || !remote) return;
    const ch = peer._channel;
    if (!ch) {
      fail(new RtcError('CHANNEL_FAILED', 'The connection opened without a data channel.'));
      return;
    }
    channel = ch;
    channel.bufferedAmountLowThreshold = lowWaterMark;
    channel.addEventListener('bufferedamountlow', pump);
    // What the browser will send: the peer's limit, capped by our own SCTP stack's.
    const sctpLimit = peer._pc?.sctp?.maxMessageSize;
    info = {
      initiator,
      localFingerprint: local.fingerprint,
      remoteFingerprint: remote.fingerprint,
      maxMessageSize:
        sctpLimit && sctpLimit > 0 ? Math.min(remote.maxMessageSize, sctpLimit) : remote.maxMessageSize,
    };
    state = 'open';
    for (const t of timers) clearTimeout(t);
    timers.clear();
    events.emit('open');
    opened.resolve(transport);
  });

  const received = (data: unknown): void => {
    if (data instanceof ArrayBuffer) events.emit('message', new Uint8Array(data));
    else if (data instanceof Uint8Array) {
      // A plain Uint8Array over the received bytes (simple-peer's stream hands out Buffers).
      events.emit('message', new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      events.emit(
        'error',
        new RtcError('CHANNEL_FAILED', 'The other device sent a text message; it was ignored.'),
      );
    }
  };
  if (typeof peer._onChannelMessage === 'function') {
    // Straight from the channel's message event (see the header); 'data' then never fires.
    peer._onChannelMessage = (event) => {
      if (!peer.destroyed) received(event.data);
    };
  }
  peer.on('data', received);

  peer.on('error', (e) => {
    const error = toRtcError(e);
    signal.reject(error);
    opened.reject(error);
    if (state === 'open' || state === 'closing') events.emit('error', error);
  });

  peer.on('close', () => {
    const wasOpen = state === 'open' || state === 'closing';
    state = 'closed';
    for (const t of timers) clearTimeout(t);
    timers.clear();
    channel?.removeEventListener('bufferedamountlow', pump);
    queue.length = 0;
    queuedBytes = 0;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w.reject(closedError());
    signal.reject(closedError());
    opened.reject(closedError());
    if (wasOpen) events.emit('close');
  });

  function close(): void {
    if (state === 'closed' || state === 'closing') return;
    if (state === 'new' || !channel) {
      state = 'closed';
      peer.destroy();
      return;
    }
    state = 'closing';
    after(CLOSE_FLUSH_TIMEOUT_MS, () => peer.destroy());
    pump(); // closes the channel once the queue is empty; its 'close' destroys the peer
  }

  return {
    transport: opened.promise,
    localSignal: async () => signal.promise,
    acceptRemote(desc) {
      if (state !== 'new') throw closedError();
      if (remote)
        throw new RtcError('SIGNAL_INVALID', "The other device's connection details were already given.");
      const checked = checkDescription(desc);
      const expected = initiator ? 'answer' : 'offer';
      if (checked.desc.type !== expected) {
        throw new RtcError(
          'SIGNAL_INVALID',
          initiator
            ? 'These connection details are an invitation, but the answer to ours was expected.'
            : 'These connection details are an answer, but an invitation was expected.',
        );
      }
      remote = { fingerprint: checked.fingerprint, maxMessageSize: maxMessageSize(checked.desc.sdp) };
      peer.signal(checked.desc);
      if (!initiator) boundGathering();
      after(connectTimeoutMs, () => {
        if (state === 'new') fail(new RtcError('TIMEOUT', 'The other device did not connect in time.'));
      });
    },
    close,
  };
}
