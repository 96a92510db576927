/**
 * The app's side of a nameplate (src/protocol/nameplate.ts): one WebSocket to `/nameplates` (to
 * make a code) or `/nameplates/<n>` (to claim one), every message checked against the contract.
 * It carries CPace's messages as bytes; what they mean is short-code.ts's business.
 *
 * Messages are read one at a time with `next()`, in order; a close ends the wait with an RtcError
 * whose message is the sentence for the worker's close code.
 */
import { fromBase64Url, toBase64Url } from '../crypto/bytes';
import {
  PING_FRAME,
  decodeNameplateServerMessage,
  encodeNameplateClientMessage,
  nameplateCloseSentence,
  nameplatePath,
  type NameplateServerMessage,
} from '../protocol/nameplate';
import { NORMAL_CLOSURE, closeCodeMessage } from '../protocol/signaling';
import { RtcError } from './errors';

/** A message from the worker, with `pake`'s payload decoded. */
export type NameplateEvent =
  | Exclude<NameplateServerMessage, { t: 'pake' } | { t: 'pong' }>
  | { readonly t: 'pake'; readonly bytes: Uint8Array };

export interface NameplateSocket {
  /** The next message from the worker; rejects once the socket closed (a sentence). */
  next(): Promise<NameplateEvent>;
  sendPake(bytes: Uint8Array): void;
  close(): void;
}

export interface NameplateSocketOptions {
  /** Base URL of the worker: ws(s)://host[:port] or http(s)://… (converted). */
  url: string;
  /** The nameplate to claim; absent: make a new one. */
  nameplate?: number;
  WebSocketImpl?: typeof WebSocket;
  pingIntervalMs?: number;
}

export function nameplateUrl(base: string, nameplate?: number): string {
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = u.pathname.replace(/\/$/, '') + nameplatePath(nameplate);
  u.hash = '';
  u.search = '';
  return u.toString();
}

export function openNameplate(options: NameplateSocketOptions): NameplateSocket {
  const Impl = options.WebSocketImpl ?? globalThis.WebSocket;
  const ws = new Impl(nameplateUrl(options.url, options.nameplate));
  const queue: NameplateEvent[] = [];
  const waiting: { resolve: (e: NameplateEvent) => void; reject: (e: Error) => void }[] = [];
  let ended: RtcError | undefined;
  const ping = setInterval(() => {
    if (ws.readyState === Impl.OPEN) ws.send(PING_FRAME);
  }, options.pingIntervalMs ?? 25_000);

  const end = (error: RtcError): void => {
    if (ended) return;
    ended = error;
    clearInterval(ping);
    for (const w of waiting.splice(0)) w.reject(error);
  };
  const deliver = (event: NameplateEvent): void => {
    const w = waiting.shift();
    if (w) w.resolve(event);
    else queue.push(event);
  };

  ws.addEventListener('message', (event: MessageEvent) => {
    if (ended) return;
    let msg: NameplateServerMessage;
    try {
      msg = decodeNameplateServerMessage(event.data as string | ArrayBuffer);
    } catch {
      end(
        new RtcError(
          'SIGNAL_INVALID',
          'The signaling server sent something this app cannot read; update the app and try again.',
        ),
      );
      ws.close(NORMAL_CLOSURE);
      return;
    }
    if (msg.t === 'pong') return;
    if (msg.t === 'pake') deliver({ t: 'pake', bytes: fromBase64Url(msg.d) });
    else deliver(msg);
  });
  ws.addEventListener('close', (event: CloseEvent) => {
    const sentence =
      event.code === NORMAL_CLOSURE
        ? 'The signaling server closed the code.'
        : (nameplateCloseSentence(event.code) ?? closeCodeMessage(event.code));
    end(new RtcError('SIGNAL_INVALID', sentence));
  });
  ws.addEventListener('error', () => {
    if (ws.readyState !== Impl.OPEN) {
      end(
        new RtcError(
          'SIGNAL_INVALID',
          'The signaling server could not be reached. Check the connection and the signaling address in settings.',
        ),
      );
    }
  });

  return {
    async next() {
      const queued = queue.shift();
      if (queued) return queued;
      if (ended) throw ended;
      return new Promise<NameplateEvent>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    sendPake(bytes) {
      if (ws.readyState === Impl.OPEN)
        ws.send(encodeNameplateClientMessage({ t: 'pake', d: toBase64Url(bytes) }));
      else if (ws.readyState === Impl.CONNECTING) {
        const text = encodeNameplateClientMessage({ t: 'pake', d: toBase64Url(bytes) });
        ws.addEventListener('open', () => ws.send(text), { once: true });
      }
    },
    close() {
      clearInterval(ping);
      if (ws.readyState === Impl.OPEN || ws.readyState === Impl.CONNECTING) ws.close(NORMAL_CLOSURE);
      end(new RtcError('SIGNAL_INVALID', 'Cancelled.'));
    },
  };
}
