/**
 * One client of the signaling worker for the load and fuzz scripts, on Node's built-in WebSocket:
 * frames are queued in arrival order until read (`next`) or handed to a handler (`drain`).
 */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** How a binary frame from the worker shows up in the queue (the worker never sends one). */
export const BINARY_FROM_WORKER = '<binary frame>';

export interface WsPeer {
  readonly url: string;
  /** Resolves true once open, false if the connection failed before it opened. */
  readonly opened: Promise<boolean>;
  /** Resolves when the connection has closed, however it closed. */
  readonly closed: Promise<Closed>;
  /** The close, once it happened. */
  readonly closeInfo: Closed | null;
  /** The next frame not yet read, waiting at most `timeoutMs`; rejects if the peer closes first. */
  next(timeoutMs: number): Promise<string>;
  /** From now on every frame, queued ones first, goes to `handler` instead of the queue. */
  drain(handler: (frame: string) => void): void;
  send(frame: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  readonly open: boolean;
  /** The WebSocket's readyState: CLOSING (2) as soon as the server's close frame has arrived. */
  readonly state: number;
}

export function openPeer(url: string): WsPeer {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const queue: string[] = [];
  let waiting: (() => void) | null = null;
  let handler: ((frame: string) => void) | null = null;
  let closeInfo: Closed | null = null;

  ws.addEventListener('message', (event: MessageEvent) => {
    const frame: string = typeof event.data === 'string' ? event.data : BINARY_FROM_WORKER;
    if (handler !== null) {
      handler(frame);
      return;
    }
    queue.push(frame);
    waiting?.();
  });
  const opened = new Promise<boolean>((resolve) => {
    ws.addEventListener('open', () => resolve(true));
    ws.addEventListener('close', () => resolve(false));
  });
  const closed = new Promise<Closed>((resolve) => {
    ws.addEventListener('close', (event: CloseEvent) => {
      closeInfo = { code: event.code, reason: event.reason };
      resolve(closeInfo);
      waiting?.();
    });
  });
  // An 'error' event is always followed by 'close' (code 1006); nothing to do here but keep
  // Node from treating it as unhandled.
  ws.addEventListener('error', () => undefined);

  return {
    url,
    opened,
    closed,
    get closeInfo() {
      return closeInfo;
    },
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    get state() {
      return ws.readyState;
    },
    next: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const frame = queue.shift();
        if (frame !== undefined) return frame;
        if (closeInfo !== null) {
          throw new Error(`closed (${closeInfo.code} ${closeInfo.reason}) while waiting for a frame`);
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiting = null;
      }
    },
    drain: (fn) => {
      handler = fn;
      for (const frame of queue.splice(0)) fn(frame);
    },
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}

/** Resolves with `promise`'s value, or rejects after `ms` saying what was awaited. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh, well-formed room id: unpadded base64url of 32 random bytes (the shape of a SHA-256). */
export function randomRoomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}
