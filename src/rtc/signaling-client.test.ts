import { describe, expect, it } from 'vitest';
import { connectSignaling, roomUrl } from './signaling-client';

const ROOM = 'A'.repeat(42) + 'E';

/** A scripted stand-in for the browser WebSocket. */
class FakeSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last: FakeSocket | undefined;
  readyState = FakeSocket.CONNECTING;
  sent: string[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.last = this;
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(code = 1000): void {
    this.readyState = FakeSocket.CLOSED;
    this.dispatchEvent(Object.assign(new Event('close'), { code }));
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }
  receive(data: string): void {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
}

const connect = () =>
  connectSignaling({
    url: 'http://127.0.0.1:8787',
    roomId: ROOM,
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });

describe('signaling client', () => {
  it('builds the room URL from http(s) or ws(s) bases', () => {
    expect(roomUrl('http://127.0.0.1:8787', ROOM)).toBe(`ws://127.0.0.1:8787/rooms/${ROOM}`);
    expect(roomUrl('https://sig.example/base/', ROOM)).toBe(`wss://sig.example/base/rooms/${ROOM}`);
    expect(roomUrl('wss://sig.example', ROOM)).toBe(`wss://sig.example/rooms/${ROOM}`);
  });

  it('refuses a malformed room id before connecting', () => {
    expect(() => connectSignaling({ url: 'ws://x', roomId: 'short' })).toThrow(/room id/);
  });

  it('relays server messages as events and sends blobs and done', () => {
    const client = connect();
    const ws = FakeSocket.last!;
    const seen: unknown[] = [];
    client.on('hello', (n) => seen.push(['hello', n]));
    client.on('peer-joined', () => seen.push('joined'));
    client.on('blob', (d) => seen.push(['blob', d]));
    ws.open();
    ws.receive('{"t":"hello","peers":1}');
    ws.receive('{"t":"peer-joined"}');
    ws.receive('{"t":"blob","d":"abc"}');
    client.sendBlob('xyz');
    client.done();
    expect(seen).toEqual([['hello', 1], 'joined', ['blob', 'abc']]);
    expect(ws.sent).toEqual(['{"t":"blob","d":"xyz"}', '{"t":"done"}']);
  });

  it('closes on an unreadable server message, and words close codes as sentences', () => {
    const client = connect();
    const ws = FakeSocket.last!;
    const closes: { code: number; message: string }[] = [];
    client.on('close', (c) => closes.push(c));
    ws.open();
    ws.receive('{"t":"surprise"}');
    expect(closes[0]?.code).toBe(4000);
    const other = connect();
    const ws2 = FakeSocket.last!;
    const closes2: { code: number; message: string }[] = [];
    other.on('close', (c) => closes2.push(c));
    ws2.open();
    ws2.close(4005);
    expect(closes2[0]?.message).toMatch(/already used/);
  });
});
