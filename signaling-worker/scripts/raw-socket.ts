/**
 * Raw TCP clients for the fuzz script, for what Node's HTTP client and WebSocket refuse to send:
 * malformed HTTP, and WebSocket frames that break RFC 6455 (reserved bits, unknown opcodes,
 * invalid UTF-8, unmasked frames, a connection cut in the middle of a frame).
 */
import { type Socket, connect } from 'node:net';

export interface RawAnswer {
  /** Everything the server sent. */
  readonly bytes: Buffer;
  /** Status codes of the HTTP responses in `bytes`, in order. */
  readonly statuses: number[];
  /** True when the server closed the connection; false when this side gave up waiting. */
  readonly closedByServer: boolean;
}

export function statusesOf(bytes: Buffer): number[] {
  return [...bytes.toString('latin1').matchAll(/(?:^|\r\n\r\n|\n)HTTP\/1\.[01] (\d{3})/g)].map((m) =>
    Number(m[1]),
  );
}

/** Writes `request` and collects the answer until the server closes or stays quiet for `idleMs`. */
export async function rawHttp(
  host: string,
  port: number,
  request: Uint8Array,
  idleMs = 600,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let timer = setTimeout(() => finish(false), 3_000);
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      resolve({ bytes, statuses: statusesOf(bytes), closedByServer });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(request);
  });
}

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** One WebSocket frame as a client sends it (masked unless told otherwise). */
export function wsFrame(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; rsv?: number; mask?: boolean } = {},
): Buffer {
  const { fin = true, rsv = 0, mask = true } = options;
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65_536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else
    head.push(
      maskBit | 127,
      0,
      0,
      0,
      0,
      (len >>> 24) & 0xff,
      (len >>> 16) & 0xff,
      (len >>> 8) & 0xff,
      len & 0xff,
    );
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}

export interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface RawWebSocket {
  /** The HTTP status of the handshake answer (101 when upgraded). */
  readonly status: number;
  readonly frames: ServerFrame[];
  /** Text of the server's text frames, in order. */
  texts(): string[];
  /** The server's close frame, once it came: code (1005 when it had none) and reason. */
  readonly closeFrame: { code: number; reason: string } | null;
  /** Resolves when the server's close frame has arrived or the connection is gone. */
  closed: Promise<void>;
  write(bytes: Uint8Array): void;
  /** Cuts the TCP connection without a closing handshake. */
  destroy(): void;
  /** Resolves when a text frame satisfying `pred` has arrived (or rejects after `ms`). */
  waitText(pred: (text: string) => boolean, ms: number): Promise<void>;
}

/** Opens a WebSocket by hand: the upgrade request, then frames parsed from the server's bytes. */
export async function rawWebSocket(
  host: string,
  port: number,
  path: string,
  timeoutMs = 5_000,
): Promise<RawWebSocket> {
  const socket: Socket = connect(port, host);
  let buffer = Buffer.alloc(0);
  let status = 0;
  const frames: ServerFrame[] = [];
  let closeFrame: { code: number; reason: string } | null = null;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const fn of [...listeners]) fn();
  };
  let gone = false;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const parse = (): void => {
    for (;;) {
      if (buffer.length < 2) return;
      const b0 = buffer[0] as number;
      const b1 = buffer[1] as number;
      let len = b1 & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        len = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + len) return;
      const payload = buffer.subarray(offset, offset + len);
      buffer = buffer.subarray(offset + len);
      const opcode = b0 & 0x0f;
      frames.push({ opcode, payload });
      if (opcode === OPCODE.close && closeFrame === null) {
        closeFrame = {
          code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
          reason: payload.subarray(2).toString('utf8'),
        };
        resolveClosed();
      }
    }
  };

  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (status === 0) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      buffer = buffer.subarray(end + 4);
      notify();
    }
    if (status === 101) parse();
    notify();
  });
  const onGone = (): void => {
    gone = true;
    resolveClosed();
    notify();
  };
  socket.on('close', onGone);
  socket.on('error', onGone);
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );

  const waitFor = async (pred: () => boolean, ms: number, what: string): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0 || gone)
        throw new Error(`raw WebSocket: ${gone ? 'connection gone' : 'timed out'} waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          listeners.delete(done);
          resolve();
        }
        listeners.add(done);
      });
    }
  };
  await waitFor(() => status !== 0, timeoutMs, 'the handshake');
  const texts = (): string[] =>
    frames.filter((f) => f.opcode === OPCODE.text).map((f) => f.payload.toString('utf8'));

  return {
    status,
    frames,
    texts,
    get closeFrame() {
      return closeFrame;
    },
    closed,
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    destroy: () => socket.destroy(),
    waitText: async (pred, ms) => waitFor(() => texts().some(pred), ms, 'a text frame'),
  };
}
