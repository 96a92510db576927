/**
 * One pairing room (DESIGN.md, Pairing and signaling; the contract is src/protocol/signaling.ts).
 *
 * Nothing lives only in memory: the runtime may evict this object between any two events while
 * its WebSockets stay open (hibernation), so
 *   - who is in the room is the set of accepted WebSockets (`ctx.getWebSockets()`),
 *   - each peer's id and rate-limit window live in its WebSocket attachment,
 *   - the ids of the peers whose `done` counted, and "used", live in storage, and the inactivity
 *     deadline is the storage alarm (whose expiry deletes all of it).
 * The class has no fields of its own.
 *
 * The worker cannot tell an invite room (two people pairing once; both send `done`) from the
 * rendezvous room of two contacts (reused every day; nobody sends `done`), so one peer alone must
 * not be able to burn a room: it is used only when two distinct peers' `done`s have counted. A
 * `done` counts when another peer is in the room or has already had its own `done` counted (so
 * the usual end still works: one side says `done` and leaves at once, the other says it a moment
 * later); a `done` from a peer alone in a room where nobody else has said it is ignored. That is
 * enough: one WebSocket alone can never burn a room. Two sockets of one party that knows the room
 * id could, but such a party can already take both places of an invite room and spoil it anyway.
 *
 * A peer may also ask for TURN credentials (`turn`): answered only while another peer is in the
 * room, within a per-room budget kept in storage (src/protocol/turn.ts says why that is the check).
 */
import { DurableObject } from 'cloudflare:workers';
import {
  INTERNAL_ERROR,
  MAX_PEERS,
  NORMAL_CLOSURE,
  PING_FRAME,
  PONG_FRAME,
  RATE_LIMIT_MESSAGES,
  RATE_LIMIT_WINDOW_MS,
  ROOM_IDLE_MS,
  SignalingCloseCode,
  SignalingError,
  USED_ROOM_RETENTION_MS,
  type ClientMessage,
  closeReason,
  decodeClientMessage,
  encodeServerMessage,
  isSignalingCloseCode,
} from '../../src/protocol/signaling';
import { TURN_ROOM_REQUESTS, TURN_ROOM_WINDOW_MS } from '../../src/protocol/turn';
import { readAttachment } from './attachment';
import { refuseWebSocket, textResponse } from './responses';
import { mintTurnCredentials } from './turn';

/** Storage key: present (true) once two distinct peers' `done`s have counted. */
const USED_KEY = 'used';
/** Storage key: the ids of the peers whose `done` counted, while the room is not yet used. */
const DONE_KEY = 'done';
/** Storage key: this room's TURN requests in the current window, `{ windowStart, count }`. */
const TURN_KEY = 'turn';

/** A peer's bookkeeping, kept in its WebSocket's attachment so that it survives hibernation. */
interface Peer {
  /** Random; tells peers apart after hibernation, when the WebSocket objects are new ones. */
  readonly id: string;
  /** Start of the current rate window, in ms since the epoch. */
  readonly windowStart: number;
  /** Messages received in the current window. */
  readonly count: number;
  /** Set when the room closes this peer; whatever it sends afterwards is ignored. */
  readonly gone: boolean;
}

function readPeer(ws: WebSocket): Peer | null {
  return readAttachment<Peer>(ws, { id: 'string', windowStart: 'number', count: 'number', gone: 'boolean' });
}

function writePeer(ws: WebSocket, peer: Peer): void {
  ws.serializeAttachment(peer);
}

export class Room extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime even while the room hibernates; never reaches webSocketMessage.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  /** A join: the router has already checked the method, the path and the upgrade header. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return textResponse(426, 'Expected a WebSocket upgrade.');
    }
    if ((await this.ctx.storage.get(USED_KEY)) === true) {
      return refuseWebSocket(SignalingCloseCode.INVITE_USED);
    }
    const present = this.peers();
    if (present.length >= MAX_PEERS) return refuseWebSocket(SignalingCloseCode.ROOM_FULL);

    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    writePeer(server, { id: crypto.randomUUID(), windowStart: Date.now(), count: 0, gone: false });
    server.send(encodeServerMessage({ t: 'hello', peers: present.length }));
    const joined = encodeServerMessage({ t: 'peer-joined' });
    for (const { ws } of present) safeSend(ws, joined);
    await this.keepAlive();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    try {
      const peer = readPeer(ws);
      if (peer === null) {
        this.expel(ws, null, INTERNAL_ERROR, 'no peer state');
        return;
      }
      if (peer.gone) return;

      const now = Date.now();
      const fresh = now - peer.windowStart >= RATE_LIMIT_WINDOW_MS || now < peer.windowStart;
      const counted: Peer = fresh
        ? { ...peer, windowStart: now, count: 1 }
        : { ...peer, count: peer.count + 1 };
      if (counted.count > RATE_LIMIT_MESSAGES) {
        this.expel(ws, counted, SignalingCloseCode.RATE_LIMITED);
        return;
      }
      writePeer(ws, counted);

      let msg: ClientMessage;
      try {
        msg = decodeClientMessage(frame);
      } catch (e) {
        if (!SignalingError.is(e)) throw e;
        this.expel(ws, counted, e.closeCode);
        return;
      }

      switch (msg.t) {
        case 'blob': {
          // Verbatim, and only to the other peer; dropped if the sender is alone.
          const relayed = encodeServerMessage({ t: 'blob', d: msg.d });
          for (const other of this.peers(peer.id)) safeSend(other.ws, relayed);
          await this.keepAlive();
          return;
        }
        case 'ping':
          // Only a ping that is not byte-for-byte PING_FRAME gets here; it counts like any message.
          ws.send(encodeServerMessage({ t: 'pong' }));
          return;
        case 'done':
          await this.done(peer.id);
          return;
        case 'turn':
          await this.turn(ws, peer.id);
          return;
      }
    } catch (e) {
      this.fail(ws, e);
    }
  }

  override webSocketClose(ws: WebSocket): void {
    this.left(ws);
  }

  override webSocketError(ws: WebSocket): void {
    this.left(ws);
  }

  /** Inactivity expiry (which forgets counted `done`s too), or the end of a used room's retention. */
  override async alarm(): Promise<void> {
    if ((await this.ctx.storage.get(USED_KEY)) !== true) {
      for (const ws of this.ctx.getWebSockets()) {
        this.expel(ws, readPeer(ws), SignalingCloseCode.ROOM_EXPIRED, undefined, false);
      }
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Peers in the room: open, not yet closed by the room, and not `exceptId`. */
  private peers(exceptId?: string): { ws: WebSocket; peer: Peer }[] {
    const out: { ws: WebSocket; peer: Peer }[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const peer = readPeer(ws);
      if (peer === null || peer.gone || peer.id === exceptId) continue;
      if (ws.readyState !== WebSocket.OPEN) continue;
      out.push({ ws, peer });
    }
    return out;
  }

  /** Any join or message pushes the inactivity deadline back. */
  private async keepAlive(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + ROOM_IDLE_MS);
  }

  /**
   * A peer said `done`. It counts only when another peer is here or has already had its `done`
   * counted (see the header), and once a peer; the second one (MAX_PEERS: both peers of a
   * pairing) uses the room.
   * An uncounted `done` is ignored: no reply, and the sender stays.
   */
  private async done(id: string): Promise<void> {
    const counted = await this.countedDone();
    if (counted.includes(id)) return;
    if (counted.length === 0 && this.peers(id).length === 0) return;
    if (counted.length + 1 >= MAX_PEERS) {
      await this.finish();
      return;
    }
    await this.ctx.storage.put(DONE_KEY, [...counted, id]);
    await this.keepAlive();
  }

  /**
   * TURN credentials (src/protocol/turn.ts), answered to the asker only: only while another peer
   * is in the room, and at most TURN_ROOM_REQUESTS times a room in each TURN_ROOM_WINDOW_MS.
   */
  private async turn(ws: WebSocket, id: string): Promise<void> {
    if (this.peers(id).length === 0) {
      ws.send(encodeServerMessage({ t: 'no-turn', reason: 'alone' }));
      return;
    }
    const now = Date.now();
    const stored: unknown = await this.ctx.storage.get(TURN_KEY);
    const start: unknown =
      typeof stored === 'object' && stored !== null ? Reflect.get(stored, 'windowStart') : 0;
    const count: unknown = typeof stored === 'object' && stored !== null ? Reflect.get(stored, 'count') : 0;
    const fresh =
      typeof start !== 'number' ||
      typeof count !== 'number' ||
      now - start >= TURN_ROOM_WINDOW_MS ||
      now < start;
    const window = fresh ? { windowStart: now, count: 1 } : { windowStart: start, count: count + 1 };
    if (window.count > TURN_ROOM_REQUESTS) {
      ws.send(encodeServerMessage({ t: 'no-turn', reason: 'rate-limited' }));
      return;
    }
    await this.ctx.storage.put(TURN_KEY, window);
    // The provider may take a moment (Cloudflare's API): the asker may be gone by then.
    safeSend(ws, encodeServerMessage(await mintTurnCredentials(this.env)));
  }

  /** The ids of the peers whose `done` counted, as stored (at most MAX_PEERS - 1 of them). */
  private async countedDone(): Promise<string[]> {
    const value: unknown = await this.ctx.storage.get(DONE_KEY);
    if (!Array.isArray(value)) return [];
    return value.filter((id): id is string => typeof id === 'string');
  }

  /** Two peers said `done`: the room is used for good; everyone is closed normally. */
  private async finish(): Promise<void> {
    await this.ctx.storage.put(USED_KEY, true);
    await this.ctx.storage.setAlarm(Date.now() + USED_ROOM_RETENTION_MS);
    // Last: a failure before it leaves a used room with a stale list, which the alarm deletes.
    await this.ctx.storage.delete(DONE_KEY);
    for (const ws of this.ctx.getWebSockets()) {
      this.expel(ws, readPeer(ws), NORMAL_CLOSURE, 'pairing finished', false);
    }
  }

  /** Closes one peer and, unless the whole room is closing, tells the other one it left. */
  private expel(
    ws: WebSocket,
    peer: Peer | null,
    code: number,
    reason = isSignalingCloseCode(code) ? closeReason(code) : '',
    announce = true,
  ): void {
    if (peer !== null) {
      if (peer.gone) return;
      writePeer(ws, { ...peer, gone: true });
    }
    try {
      ws.close(code, reason);
    } catch {
      // Already closed by the other side: nothing to do.
    }
    if (announce && peer !== null) this.announceLeft(peer.id);
  }

  /** The client closed or the connection broke. */
  private left(ws: WebSocket): void {
    const peer = readPeer(ws);
    try {
      // Complete the closing handshake (a no-op when the runtime already has).
      ws.close(NORMAL_CLOSURE, 'bye');
    } catch {
      // Already closed.
    }
    if (peer !== null && !peer.gone) this.announceLeft(peer.id);
  }

  private announceLeft(id: string): void {
    const leftMsg = encodeServerMessage({ t: 'peer-left' });
    for (const other of this.peers(id)) safeSend(other.ws, leftMsg);
  }

  /** Unexpected failure: log it here, and tell the client only that the server failed. */
  private fail(ws: WebSocket, e: unknown): void {
    console.error('room: unexpected error', e);
    this.expel(ws, readPeer(ws), INTERNAL_ERROR, 'internal error');
  }
}

/**
 * Sends to a peer whose connection may have just broken (the runtime can still report it open):
 * a lost connection is that peer's `webSocketClose`/`webSocketError` to handle, not an error here.
 */
function safeSend(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // The connection is gone; its close handler announces it.
  }
}
