/**
 * The worker relay as a Transport (DESIGN.md, Routes and delivery, item 3; the contract is
 * src/protocol/relay.ts): a WebSocket to `/relay/<relayRoomId>` at the signaling worker, which
 * forwards each binary frame to the other side's WebSocket. The transport opens when the worker
 * says both sides are in the room; every message is one binary frame, ordered and reliable as
 * the DataChannel is. The worker only ever carries the session's frames, which are ciphertext.
 *
 * There is no DTLS here: the session binds the relay room id into its Noise prologue instead
 * (`info.relayRoomId`), and the fingerprints are all zero.
 */
import { toBase64Url } from '../crypto/bytes';
import { createEmitter } from '../protocol/events';
import { RELAY_MAX_FRAME_BYTES, RELAY_PATH_PREFIX, RELAY_READY, relayCloseSentence } from '../protocol/relay';
import { RtcError } from './errors';
import type { Transport, TransportEvents } from './transport';

export const RELAY_OPEN_TIMEOUT_MS = 20_000;

export interface RelayTransportOptions {
  /** Base URL of the worker: ws(s)://host[:port] or http(s)://… (converted). */
  url: string;
  /** 32 random bytes chosen by the offerer and sent to the other side sealed. */
  roomId: Uint8Array;
  /** True on the side that chose the room (the offerer): the Noise initiator. */
  initiator: boolean;
  WebSocketImpl?: typeof WebSocket;
  openTimeoutMs?: number;
}

export interface RelayConnection {
  /** Resolves once both sides are in the relay room; rejects with a sentence otherwise. */
  transport: Promise<Transport>;
  close(): void;
}

/** ws(s) URL of a relay room from the configured base URL. */
export function relayUrl(base: string, roomId: Uint8Array): string {
  if (roomId.length !== 32) throw new RangeError('A relay room id is 32 bytes.');
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = u.pathname.replace(/\/$/, '') + RELAY_PATH_PREFIX + toBase64Url(roomId);
  u.hash = '';
  u.search = '';
  return u.toString();
}

export function connectRelay(options: RelayTransportOptions): RelayConnection {
  const Impl = options.WebSocketImpl ?? globalThis.WebSocket;
  const roomId = options.roomId.slice();
  const events = createEmitter<TransportEvents>();
  const ws = new Impl(relayUrl(options.url, roomId));
  ws.binaryType = 'arraybuffer';
  let ready = false;
  let closed = false;
  let resolveOpen!: (t: Transport) => void;
  let rejectOpen!: (e: Error) => void;
  const opened = new Promise<Transport>((resolve, reject) => {
    resolveOpen = resolve;
    rejectOpen = reject;
  });
  opened.catch(() => undefined); // a caller that never asks is not an error

  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    try {
      ws.close(1000, 'done');
    } catch {
      // already closing
    }
    if (!ready) rejectOpen(error ?? new RtcError('CHANNEL_CLOSED', 'The relay connection was closed.'));
    else {
      if (error) events.emit('error', error);
      events.emit('close');
    }
  };

  const timer = setTimeout(
    () => finish(new RtcError('TIMEOUT', 'The other device did not come to the relay in time.')),
    options.openTimeoutMs ?? RELAY_OPEN_TIMEOUT_MS,
  );

  const transport: Transport = {
    info: {
      initiator: options.initiator,
      localFingerprint: new Uint8Array(32),
      remoteFingerprint: new Uint8Array(32),
      maxMessageSize: RELAY_MAX_FRAME_BYTES,
      relayRoomId: roomId,
    },
    send(data) {
      if (closed || !ready) throw new RtcError('CHANNEL_CLOSED', 'The connection is closed.');
      if (data.length > RELAY_MAX_FRAME_BYTES) {
        throw new RtcError('TOO_LARGE', 'A message was too large for the relay.');
      }
      ws.send(data.slice());
    },
    close: () => finish(),
    on: events.on,
  };

  ws.addEventListener('message', (event: MessageEvent) => {
    if (closed) return;
    const data: unknown = event.data;
    if (typeof data === 'string') {
      if (data === RELAY_READY && !ready) {
        ready = true;
        clearTimeout(timer);
        events.emit('open');
        resolveOpen(transport);
        return;
      }
      finish(new RtcError('SIGNAL_INVALID', 'The relay sent something this app does not understand.'));
      return;
    }
    if (!ready || !(data instanceof ArrayBuffer)) {
      finish(new RtcError('SIGNAL_INVALID', 'The relay sent something this app does not understand.'));
      return;
    }
    events.emit('message', new Uint8Array(data));
  });
  ws.addEventListener('close', (event: CloseEvent) => {
    // Once open, a close is the route ending (the other side left, a limit): the session says why.
    finish(ready ? undefined : new RtcError('CHANNEL_CLOSED', relayCloseSentence(event.code)));
  });
  ws.addEventListener('error', () => {
    // A close event follows with its code.
  });

  return { transport: opened, close: () => finish() };
}
