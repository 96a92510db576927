/**
 * An in-memory pair of connected transports, for tests now and as the contract the real
 * WebRTC transport must meet. Delivery is asynchronous (a microtask later: no timer clamping, so
 * benchmarks measure the protocol, not the event loop), ordered and reliable, and every message
 * is copied, as on a real channel. An optional `tap` sees each message in flight and may change,
 * drop, duplicate or reorder it: that is how tests play the network attacker.
 */
import { randomBytes } from '../crypto/random';
import { createEmitter } from '../protocol/events';
import type { Transport, TransportEvents, TransportInfo } from './transport';

export type Side = 'a' | 'b';

/** Returns what to deliver instead: one message, several, or none. */
export type Tap = (from: Side, data: Uint8Array) => Uint8Array | readonly Uint8Array[] | null;

export interface MemoryTransportOptions {
  tap?: Tap;
  /** The DTLS fingerprints each side sees; by default both sides agree on random ones. */
  fingerprints?: { a?: Uint8Array; b?: Uint8Array; aSeesB?: Uint8Array; bSeesA?: Uint8Array };
  maxMessageSize?: number;
  /** Both sides run as over the worker relay, bound to this relay room (32 bytes). */
  relayRoomId?: Uint8Array;
}

export interface MemoryTransportPair {
  a: Transport;
  b: Transport;
  /** Every message each side sent, as sent (before the tap). */
  sent: Record<Side, Uint8Array[]>;
}

const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 + 57;

export function createMemoryTransportPair(options: MemoryTransportOptions = {}): MemoryTransportPair {
  const fpA = options.fingerprints?.a ?? randomBytes(32);
  const fpB = options.fingerprints?.b ?? randomBytes(32);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const sent: Record<Side, Uint8Array[]> = { a: [], b: [] };
  let open = true;
  const emitters = { a: createEmitter<TransportEvents>(), b: createEmitter<TransportEvents>() };

  const closeBoth = (): void => {
    if (!open) return;
    open = false;
    // Close asynchronously, after anything already in flight, like a real channel.
    queueMicrotask(() => {
      emitters.a.emit('close');
      emitters.b.emit('close');
    });
  };

  const make = (side: Side, info: TransportInfo): Transport => {
    const other: Side = side === 'a' ? 'b' : 'a';
    return {
      info,
      send(data) {
        if (!open) throw new Error('The channel is closed.');
        const copy = data.slice();
        sent[side].push(copy);
        const out = options.tap ? options.tap(side, copy.slice()) : copy;
        const list = out === null ? [] : out instanceof Uint8Array ? [out] : out;
        for (const m of list) {
          const msg = m.slice();
          // Accepted while open, so delivered even if close() follows at once, as a
          // DataChannel flushes what was queued before it closes.
          queueMicrotask(() => emitters[other].emit('message', msg));
        }
      },
      close: closeBoth,
      on: emitters[side].on,
    };
  };

  const a = make('a', {
    initiator: true,
    localFingerprint: fpA,
    remoteFingerprint: options.fingerprints?.aSeesB ?? fpB,
    maxMessageSize,
    ...(options.relayRoomId ? { relayRoomId: options.relayRoomId } : {}),
  });
  const b = make('b', {
    initiator: false,
    localFingerprint: fpB,
    remoteFingerprint: options.fingerprints?.bSeesA ?? fpA,
    maxMessageSize,
    ...(options.relayRoomId ? { relayRoomId: options.relayRoomId } : {}),
  });
  emitters.a.emit('open');
  emitters.b.emit('open');
  return { a, b, sent };
}
