/**
 * The worker relay (src/relay.ts): two sides, binary frames forwarded verbatim both ways once both
 * are in, a third refused, text and oversized frames refused, the rate limit, one side leaving
 * closes the other, eviction mid-use changes nothing, and the alarm's deadlines.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  RELAY_ALONE_MS,
  RELAY_MAX_FRAME_BYTES,
  RELAY_RATE_BYTES,
  RELAY_RATE_FRAMES,
  RELAY_READY,
  RelayCloseCode,
} from '../../src/protocol/relay';
import { newRoomId, upgrade } from './helpers';

const WAIT_MS = 3_000;

/** One side of a relay room: its frames (text or binary) queued in arrival order. */
class Side {
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: (string | Uint8Array)[] = [];
  private waiting: ((f: string | Uint8Array) => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    // Frames in arrival order, whatever form binary data takes here (an ArrayBuffer or a Blob).
    let order = Promise.resolve();
    ws.addEventListener('message', (event) => {
      const raw: unknown = event.data;
      order = order.then(async () => {
        const data =
          typeof raw === 'string'
            ? raw
            : raw instanceof Blob
              ? new Uint8Array(await raw.arrayBuffer())
              : new Uint8Array(raw as ArrayBuffer);
        if (this.waiting) {
          const resolve = this.waiting;
          this.waiting = null;
          resolve(data);
        } else this.queue.push(data);
      });
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
    );
  }

  async next(): Promise<string | Uint8Array> {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    return Promise.race([
      new Promise<string | Uint8Array>((resolve) => (this.waiting = resolve)),
      this.closed.then((c) => {
        throw new Error(`Closed (${c.code} ${c.reason}) while waiting for a frame`);
      }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('Timed out waiting for a frame')), WAIT_MS),
      ),
    ]);
  }

  async closeCode(): Promise<number> {
    return Promise.race([
      this.closed.then((c) => c.code),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('Timed out waiting for the close')), WAIT_MS),
      ),
    ]);
  }

  pending(): number {
    return this.queue.length;
  }
}

async function open(id: string): Promise<Side> {
  const response = await upgrade(`/relay/${id}`);
  expect(response.status).toBe(101);
  return new Side(response.webSocket!);
}

async function both(id = newRoomId()): Promise<{ id: string; a: Side; b: Side }> {
  const a = await open(id);
  const b = await open(id);
  expect(await a.next()).toBe(RELAY_READY);
  expect(await b.next()).toBe(RELAY_READY);
  return { id, a, b };
}

const stub = (id: string) => env.RELAYS.get(env.RELAYS.idFromName(id));

const bytes = (n: number, fill: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (fill + i) & 0xff);

describe('worker relay', () => {
  it('says ready only once both sides are in, then forwards binary frames verbatim and in order, both ways', async () => {
    const id = newRoomId();
    const a = await open(id);
    // Alone: nothing yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(a.pending()).toBe(0);
    const b = await open(id);
    expect(await a.next()).toBe(RELAY_READY);
    expect(await b.next()).toBe(RELAY_READY);
    const sent = [bytes(1, 1), bytes(1000, 2), bytes(RELAY_MAX_FRAME_BYTES, 3)];
    for (const f of sent) a.ws.send(f);
    for (const f of sent) expect(await b.next()).toEqual(f);
    b.ws.send(bytes(64, 9));
    expect(await a.next()).toEqual(bytes(64, 9));
  });

  it('keeps relay rooms apart, and refuses a third side', async () => {
    const one = await both();
    const two = await both();
    one.a.ws.send(bytes(10, 1));
    two.a.ws.send(bytes(10, 2));
    expect(await one.b.next()).toEqual(bytes(10, 1));
    expect(await two.b.next()).toEqual(bytes(10, 2));
    const third = await open(one.id);
    expect(await third.closeCode()).toBe(RelayCloseCode.ROOM_FULL);
    one.a.ws.send(bytes(3, 7));
    expect(await one.b.next()).toEqual(bytes(3, 7));
  });

  it('refuses a malformed id, a plain request and a wrong method with sentences or close codes', async () => {
    const bad = await upgrade('/relay/not-an-id');
    expect(bad.status).toBe(101);
    expect(await new Side(bad.webSocket!).closeCode()).toBe(RelayCloseCode.BAD_REQUEST);
    const { exports } = await import('cloudflare:workers');
    const plain = await exports.default.fetch(new Request(`https://signal.test/relay/${newRoomId()}`));
    expect(plain.status).toBe(426);
    expect(await plain.text()).toMatch(/WebSocket upgrade\.\n$/);
    const post = await exports.default.fetch(
      new Request(`https://signal.test/relay/${newRoomId()}`, { method: 'POST' }),
    );
    expect(post.status).toBe(405);
  });

  it.each([
    ['a text frame', 'hello', RelayCloseCode.MALFORMED],
    ['an empty frame', new Uint8Array(0), RelayCloseCode.MALFORMED],
    ['a frame over the limit', new Uint8Array(RELAY_MAX_FRAME_BYTES + 1), RelayCloseCode.TOO_LARGE],
  ] as const)('closes both sides on %s, forwarding nothing of it', async (_label, frame, code) => {
    const { a, b } = await both();
    a.ws.send(frame);
    expect(await a.closeCode()).toBe(code);
    expect(await b.closeCode()).toBe(code);
    expect(b.pending()).toBe(0);
  });

  it.each([
    ['frames', { frames: RELAY_RATE_FRAMES }],
    ['bytes', { bytes: RELAY_RATE_BYTES }],
  ])('closes both sides past the rate limit on %s', async (_label, used) => {
    const { id, a, b } = await both();
    a.ws.send(bytes(8, 1));
    expect(await b.next()).toEqual(bytes(8, 1));
    // The window already full (sending it for real takes too long here), as the attachment says.
    await runInDurableObject(stub(id), (_r, state) => {
      for (const ws of state.getWebSockets()) {
        ws.serializeAttachment({ ...(ws.deserializeAttachment() as object), ...used });
      }
    });
    a.ws.send(bytes(8, 2));
    expect(await a.closeCode()).toBe(RelayCloseCode.RATE_LIMITED);
    expect(await b.closeCode()).toBe(RelayCloseCode.RATE_LIMITED);
    expect(b.pending()).toBe(0);
  });

  it('closes the other side when one leaves, and forgets the room', async () => {
    const { id, a, b } = await both();
    a.ws.close(1000, 'bye');
    expect(await b.closeCode()).toBe(RelayCloseCode.PEER_LEFT);
    await expect
      .poll(async () => runInDurableObject(stub(id), async (_r, state) => (await state.storage.list()).size))
      .toBe(0);
    // The id can be met again afresh.
    const again = await both(id);
    again.a.ws.send(bytes(5, 5));
    expect(await again.b.next()).toEqual(bytes(5, 5));
  });

  it('keeps forwarding after the object is evicted mid-use (nothing only in memory)', async () => {
    const { id, a, b } = await both();
    a.ws.send(bytes(10, 1));
    expect(await b.next()).toEqual(bytes(10, 1));
    await evictDurableObject(stub(id));
    b.ws.send(bytes(20, 2));
    expect(await a.next()).toEqual(bytes(20, 2));
    const third = await open(id);
    expect(await third.closeCode()).toBe(RelayCloseCode.ROOM_FULL);
  });

  it('closes a side left alone too long, by the alarm', async () => {
    const id = newRoomId();
    const a = await open(id);
    // Move the side's join time back past the limit, as if it had waited that long.
    await runInDurableObject(stub(id), (_r, state) => {
      for (const ws of state.getWebSockets()) {
        const side = ws.deserializeAttachment() as Record<string, number>;
        ws.serializeAttachment({ ...side, joinedAt: side['joinedAt']! - RELAY_ALONE_MS - 1 });
      }
    });
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    expect(await a.closeCode()).toBe(RelayCloseCode.EXPIRED);
  });

  it('keeps a busy pair open when the alarm fires, and schedules the next check', async () => {
    const { id, a, b } = await both();
    expect(await runDurableObjectAlarm(stub(id))).toBe(true);
    a.ws.send(bytes(4, 4));
    expect(await b.next()).toEqual(bytes(4, 4));
    const alarm = await runInDurableObject(stub(id), async (_r, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
  });
});
