/**
 * One relay room (DESIGN.md, Routes and delivery, item 3; the contract is src/protocol/relay.ts):
 * joins the WebSockets of two sides and forwards each binary frame, unchanged and in order, to the
 * other. It reads nothing: the frames are the session's ciphertext.
 *
 * Nothing lives only in memory (the runtime may evict the object between any two events while its
 * WebSockets stay open, with the hibernation API):
 *   - who is in the room is the set of accepted WebSockets (`ctx.getWebSockets()`),
 *   - each side's id, join time, last frame and rate window live in its WebSocket's attachment,
 *   - the room's creation time lives in storage, and its deadlines (age, idle, alone) are the
 *     storage alarm, which closes the room and deletes its storage.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  RELAY_ALONE_MS,
  RELAY_IDLE_MS,
  RELAY_MAX_AGE_MS,
  RELAY_MAX_FRAME_BYTES,
  RELAY_RATE_BYTES,
  RELAY_RATE_FRAMES,
  RELAY_RATE_WINDOW_MS,
  RELAY_READY,
  RelayCloseCode,
  relayCloseReason,
} from '../../src/protocol/relay';
import { readAttachment } from './attachment';
import { textResponse } from './responses';

const CREATED_KEY = 'created';
const INTERNAL_ERROR = 1011;

/** One side's bookkeeping, in its WebSocket's attachment so that it survives hibernation. */
interface Side {
  readonly id: string;
  readonly joinedAt: number;
  readonly lastFrameAt: number;
  readonly windowStart: number;
  readonly frames: number;
  readonly bytes: number;
}

function readSide(ws: WebSocket): Side | null {
  return readAttachment<Side>(ws, {
    id: 'string',
    joinedAt: 'number',
    lastFrameAt: 'number',
    windowStart: 'number',
    frames: 'number',
    bytes: 'number',
  });
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** Completes the upgrade only to close it at once with `code` (a browser can read a close code). */
function refuse(code: RelayCloseCode): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.close(code, relayCloseReason(code));
  return new Response(null, { status: 101, webSocket: client });
}

export class Relay extends DurableObject<Env> {
  /** A join: the router has already checked the method, the path and the upgrade header. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return textResponse(426, 'Expected a WebSocket upgrade.');
    }
    const present = this.sides();
    if (present.length >= 2) return refuse(RelayCloseCode.ROOM_FULL);
    const now = Date.now();
    let created = await this.ctx.storage.get<number>(CREATED_KEY);
    if (created === undefined) {
      created = now;
      await this.ctx.storage.put(CREATED_KEY, created);
    } else if (now - created >= RELAY_MAX_AGE_MS) {
      return refuse(RelayCloseCode.EXPIRED);
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const side: Side = {
      id: crypto.randomUUID(),
      joinedAt: now,
      lastFrameAt: now,
      windowStart: now,
      frames: 0,
      bytes: 0,
    };
    server.serializeAttachment(side);
    if (present.length === 1) {
      server.send(RELAY_READY);
      present[0]!.ws.send(RELAY_READY);
    }
    await this.schedule(created);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): void {
    const side = readSide(ws);
    if (side === null) {
      this.closeAll(INTERNAL_ERROR, 'no side state');
      return;
    }
    if (typeof frame === 'string' || frame.byteLength === 0) {
      this.closeAll(RelayCloseCode.MALFORMED);
      return;
    }
    if (frame.byteLength > RELAY_MAX_FRAME_BYTES) {
      this.closeAll(RelayCloseCode.TOO_LARGE);
      return;
    }
    const now = Date.now();
    const fresh = now - side.windowStart >= RELAY_RATE_WINDOW_MS || now < side.windowStart;
    const counted: Side = {
      ...side,
      lastFrameAt: now,
      windowStart: fresh ? now : side.windowStart,
      frames: (fresh ? 0 : side.frames) + 1,
      bytes: (fresh ? 0 : side.bytes) + frame.byteLength,
    };
    if (counted.frames > RELAY_RATE_FRAMES || counted.bytes > RELAY_RATE_BYTES) {
      this.closeAll(RelayCloseCode.RATE_LIMITED);
      return;
    }
    ws.serializeAttachment(counted);
    const other = this.sides().find((s) => s.side.id !== side.id);
    // Alone: the other side left (its close is on the way) or never came; the route is gone.
    if (!other) {
      closeQuietly(ws, RelayCloseCode.PEER_LEFT, relayCloseReason(RelayCloseCode.PEER_LEFT));
      return;
    }
    try {
      other.ws.send(frame);
    } catch {
      // The other side is going away: its close handler closes this one.
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    await this.left(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.left(ws);
  }

  override async alarm(): Promise<void> {
    const created = await this.ctx.storage.get<number>(CREATED_KEY);
    const sides = this.sides();
    if (created === undefined || sides.length === 0) {
      await this.forget();
      return;
    }
    const now = Date.now();
    if (
      now >=
      this.deadline(
        created,
        sides.map((s) => s.side),
      )
    ) {
      this.closeAll(RelayCloseCode.EXPIRED);
      await this.forget();
      return;
    }
    await this.schedule(created);
  }

  /** One side left: the other is closed too (the route is gone for both), and the room forgotten. */
  private async left(ws: WebSocket): Promise<void> {
    const gone = readSide(ws);
    for (const { ws: other, side } of this.sides()) {
      if (side.id !== gone?.id)
        closeQuietly(other, RelayCloseCode.PEER_LEFT, relayCloseReason(RelayCloseCode.PEER_LEFT));
    }
    await this.forget();
  }

  private async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private closeAll(code: number, reason = relayCloseReason(code as RelayCloseCode)): void {
    for (const { ws } of this.sides()) closeQuietly(ws, code, reason);
  }

  /** The accepted, still-open WebSockets with their bookkeeping. */
  private sides(): { ws: WebSocket; side: Side }[] {
    const out: { ws: WebSocket; side: Side }[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const side = readSide(ws);
      if (side) out.push({ ws, side });
    }
    return out;
  }

  /** When the room must close: its age, an idle spell, or a side left alone too long. */
  private deadline(created: number, sides: readonly Side[]): number {
    let at = created + RELAY_MAX_AGE_MS;
    const lastFrame = Math.max(...sides.map((s) => s.lastFrameAt));
    at = Math.min(at, lastFrame + RELAY_IDLE_MS);
    if (sides.length === 1) at = Math.min(at, sides[0]!.joinedAt + RELAY_ALONE_MS);
    return at;
  }

  private async schedule(created: number): Promise<void> {
    const sides = this.sides().map((s) => s.side);
    // Re-checked at least every RELAY_ALONE_MS: the idle deadline moves with every frame, and is
    // read from the attachments when the alarm fires rather than written to storage per frame.
    const next = Math.min(this.deadline(created, sides.length > 0 ? sides : []), Date.now() + RELAY_ALONE_MS);
    await this.ctx.storage.setAlarm(Number.isFinite(next) ? next : Date.now() + RELAY_ALONE_MS);
  }
}
