/** Test clients for the signaling worker, running inside workerd next to it. */
import { env, exports } from 'cloudflare:workers';
import {
  PING_FRAME,
  PONG_FRAME,
  type ServerMessage,
  decodeServerMessage,
} from '../../src/protocol/signaling';

export const ORIGIN = 'https://signal.test';
const WAIT_MS = 3_000;

/** A fresh, well-formed room id: base64url of 32 random bytes (the shape of a SHA-256 hash). */
export function newRoomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function roomStub(roomId: string): DurableObjectStub<import('../src/room').Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(roomId));
}

/** A base64url blob of `n` bytes. */
export function blob(n: number, fill = 0x5a): string {
  let bin = '';
  for (let i = 0; i < n; i++) bin += String.fromCharCode((fill + i) & 0xff);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export interface Closed {
  code: number;
  reason: string;
}

async function timeout<T>(what: string, ms = WAIT_MS): Promise<T> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms));
}

/** One side of a room: the client end of a WebSocket, with its frames queued in arrival order. */
export class Client {
  readonly closed: Promise<Closed>;
  private readonly queue: string[] = [];
  private waiting: ((text: string) => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (event) => {
      const text = typeof event.data === 'string' ? event.data : '<binary frame>';
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = null;
        resolve(text);
      } else {
        this.queue.push(text);
      }
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
    });
  }

  /** The next text frame, exactly as the worker sent it. */
  async nextText(): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    if (this.waiting) throw new Error('Only one reader at a time');
    const next = new Promise<string>((resolve) => (this.waiting = resolve));
    return Promise.race([
      next,
      this.closed.then((c) => {
        throw new Error(`Closed (${c.code} ${c.reason}) while waiting for a message`);
      }),
      timeout<string>('a message'),
    ]);
  }

  async next(): Promise<ServerMessage> {
    return decodeServerMessage(await this.nextText());
  }

  send(frame: string | ArrayBuffer): void {
    this.ws.send(frame);
  }

  /**
   * Proves nothing else was queued for this client: a ping's pong comes back on the same socket,
   * so any frame the worker sent before it would arrive first.
   */
  async expectNothingPending(): Promise<void> {
    this.send(PING_FRAME);
    const text = await this.nextText();
    if (text !== PONG_FRAME) throw new Error(`Expected nothing but the pong, got ${text}`);
  }

  /**
   * Waits until the room has handled every frame this client sent before: a ping that is not
   * byte-for-byte PING_FRAME goes through the room (it counts against the rate limit), after them.
   */
  async expectHandled(): Promise<void> {
    this.send('{ "t": "ping" }');
    const text = await this.nextText();
    if (text !== PONG_FRAME) throw new Error(`Expected the room's pong, got ${text}`);
  }

  async closeCode(): Promise<Closed> {
    return Promise.race([this.closed, timeout<Closed>('the close')]);
  }

  close(code = 1000, reason = 'bye'): void {
    this.ws.close(code, reason);
  }
}

export async function upgrade(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('upgrade', 'websocket');
  return exports.default.fetch(new Request(ORIGIN + path, { ...init, headers }));
}

/** Opens a WebSocket to a room (the upgrade may still be refused with a close code). */
export async function connect(roomId: string): Promise<Client> {
  const response = await upgrade(`/rooms/${roomId}`);
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`Expected 101 with a WebSocket, got ${response.status}: ${await response.text()}`);
  }
  return new Client(response.webSocket);
}

/** Joins a room and reads its hello. */
export async function join(roomId: string, expectPeers: number): Promise<Client> {
  const client = await connect(roomId);
  const hello = await client.next();
  if (hello.t !== 'hello' || hello.peers !== expectPeers) {
    throw new Error(`Expected hello with ${expectPeers} peers, got ${JSON.stringify(hello)}`);
  }
  return client;
}

/** Two peers in a fresh room, the first told of the second. */
export async function pair(roomId = newRoomId()): Promise<{ roomId: string; a: Client; b: Client }> {
  const a = await join(roomId, 0);
  const b = await join(roomId, 1);
  const joined = await a.next();
  if (joined.t !== 'peer-joined') throw new Error(`Expected peer-joined, got ${JSON.stringify(joined)}`);
  return { roomId, a, b };
}
