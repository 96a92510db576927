/**
 * The app's side of the signaling worker: one WebSocket to `/rooms/<roomId>`, messages checked
 * with the shared contract in `src/protocol/signaling.ts`. It carries opaque blobs only; sealing
 * and opening them is the caller's business (`src/protocol/pairing.ts`).
 */
import { createEmitter } from '../protocol/events';
import {
  NORMAL_CLOSURE,
  PING_FRAME,
  SignalingError,
  closeCodeMessage,
  decodeServerMessage,
  encodeClientMessage,
  isRoomId,
  roomPath,
} from '../protocol/signaling';
import type { TurnAnswer } from '../protocol/turn';

export type SignalingClientEvents = {
  /** Connected; `peers` were already in the room. */
  hello: (peers: number) => void;
  'peer-joined': () => void;
  'peer-left': () => void;
  blob: (data: string) => void;
  /** The answer to requestTurn(): credentials, or why there are none (src/protocol/turn.ts). */
  turn: (answer: TurnAnswer) => void;
  /** The connection ended; `message` is a sentence for a person. */
  close: (info: { code: number; message: string; normal: boolean }) => void;
};

export interface SignalingClient {
  sendBlob(data: string): void;
  /** Tells the worker pairing is finished: the invite is used up. */
  done(): void;
  /** Asks the room for TURN credentials; the answer is a `turn` event. */
  requestTurn(): void;
  close(): void;
  on<K extends keyof SignalingClientEvents>(event: K, fn: SignalingClientEvents[K]): () => void;
}

export interface SignalingClientOptions {
  /** Base URL of the worker: ws(s)://host[:port] or http(s)://… (converted). */
  url: string;
  roomId: string;
  WebSocketImpl?: typeof WebSocket;
  pingIntervalMs?: number;
}

/** ws(s) URL of a room from the configured base URL. */
export function roomUrl(base: string, roomId: string): string {
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = u.pathname.replace(/\/$/, '') + roomPath(roomId);
  u.hash = '';
  u.search = '';
  return u.toString();
}

export function connectSignaling(options: SignalingClientOptions): SignalingClient {
  if (!isRoomId(options.roomId)) throw new SignalingError('BAD_ROOM_ID', 'The room id is not valid.');
  const Impl = options.WebSocketImpl ?? globalThis.WebSocket;
  const events = createEmitter<SignalingClientEvents>();
  const ws = new Impl(roomUrl(options.url, options.roomId));
  let closed = false;
  const ping = setInterval(() => {
    if (ws.readyState === Impl.OPEN) ws.send(PING_FRAME);
  }, options.pingIntervalMs ?? 25_000);

  const finish = (code: number, message: string): void => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    events.emit('close', { code, message, normal: code === NORMAL_CLOSURE });
  };

  ws.addEventListener('message', (event: MessageEvent) => {
    if (typeof event.data !== 'string') return;
    let msg;
    try {
      msg = decodeServerMessage(event.data);
    } catch {
      finish(4000, 'The signaling server sent something this app cannot read; update the app and try again.');
      ws.close(NORMAL_CLOSURE);
      return;
    }
    switch (msg.t) {
      case 'hello':
        events.emit('hello', msg.peers);
        break;
      case 'peer-joined':
        events.emit('peer-joined');
        break;
      case 'peer-left':
        events.emit('peer-left');
        break;
      case 'blob':
        events.emit('blob', msg.d);
        break;
      case 'pong':
        break;
      case 'turn':
      case 'no-turn':
        events.emit('turn', msg);
        break;
    }
  });
  ws.addEventListener('close', (event: CloseEvent) => finish(event.code, closeCodeMessage(event.code)));
  ws.addEventListener('error', () => {
    // A close event follows; if the connection never opened, say why in words.
    if (ws.readyState !== Impl.OPEN) {
      finish(
        1006,
        'The signaling server could not be reached. Check the connection and the signaling address in settings.',
      );
    }
  });

  const send = (text: string): void => {
    if (ws.readyState === Impl.OPEN) ws.send(text);
  };
  return {
    sendBlob: (d) => send(encodeClientMessage({ t: 'blob', d })),
    done: () => send(encodeClientMessage({ t: 'done' })),
    requestTurn: () => send(encodeClientMessage({ t: 'turn' })),
    close: () => {
      clearInterval(ping);
      if (ws.readyState === Impl.OPEN || ws.readyState === Impl.CONNECTING) ws.close(NORMAL_CLOSURE);
      finish(NORMAL_CLOSURE, 'Disconnected from the signaling server.');
    },
    on: events.on,
  };
}
