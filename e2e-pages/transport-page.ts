/**
 * Test page for e2e/transport.spec.ts: one SimplePeerConnection per page, driven through
 * `window.transportHarness` with serializable arguments and results (errors come back as
 * `{ error: code }`, since an RtcError cannot cross page.evaluate as itself).
 *
 * Messages carry a kind byte: 1 = UTF-8 text; 2 = bulk chunk (4-byte index, then bytes
 * `(index + i) & 0xff`), checked as they arrive; 3 = a probe whose size is all that matters.
 */
import { RtcError } from '../src/rtc/errors';
import { decodeInviteCode, encodeInviteCode } from '../src/rtc/invite-code';
import { dtlsFingerprint, type SessionDescription } from '../src/rtc/sdp';
import {
  createSimplePeerTransport,
  type SimplePeerConnection,
  type SimplePeerTransportOptions,
  type WebRtcTransport,
} from '../src/rtc/simple-peer-transport';

export interface OpenInfo {
  initiator: boolean;
  localFingerprint: string;
  remoteFingerprint: string;
  maxMessageSize: number;
}
export type Failure = { error: string; message: string };
export interface BulkStats {
  chunks: number;
  bytes: number;
  ms: number;
  /** The largest bufferedAmount seen while sending. */
  peakBuffered: number;
}
export interface Received {
  texts: string[];
  bulkChunks: number;
  bulkBytes: number;
  bulkErrors: number;
  probes: number[];
}

export interface Harness {
  create(
    options: Pick<
      SimplePeerTransportOptions,
      'initiator' | 'iceServers' | 'gatherTimeoutMs' | 'connectTimeoutMs'
    >,
  ): void;
  localSignal(): Promise<SessionDescription | Failure>;
  localCode(): Promise<string | Failure>;
  acceptRemote(desc: SessionDescription): Failure | null;
  acceptCode(code: string): Failure | null;
  open(): Promise<OpenInfo | Failure>;
  fingerprintOf(sdp: string): string;
  sendText(text: string): Failure | null;
  sendBulk(totalBytes: number, chunkBytes: number, awaitDrain: boolean): Promise<BulkStats | Failure>;
  /** Sends without waiting, then close() at once: what was accepted must still arrive. */
  burstAndClose(totalBytes: number, chunkBytes: number): Failure | null;
  trySend(size: number): Failure | null;
  waitFor(
    check: { texts?: number; bulkChunks?: number; probes?: number },
    timeoutMs: number,
  ): Promise<Received>;
  received(): Received;
  close(): void;
  closed(): Promise<boolean>;
  events(): string[];
}

declare global {
  interface Window {
    transportHarness: Harness;
  }
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const failure = (e: unknown): Failure =>
  RtcError.is(e) ? { error: e.code, message: e.message } : { error: 'NOT_RTC_ERROR', message: String(e) };

let connection: SimplePeerConnection | undefined;
let transport: WebRtcTransport | undefined;
const received: Received = { texts: [], bulkChunks: 0, bulkBytes: 0, bulkErrors: 0, probes: [] };
const log: string[] = [];
/** Bulk chunks sent so far, over every sendBulk() call: the index the receiver expects next. */
let bulkSent = 0;
let closed = false;
let onClosed: (() => void) | undefined;
let onMessage: (() => void) | undefined;

function conn(): SimplePeerConnection {
  if (!connection) throw new Error('call create() first');
  return connection;
}

function receive(data: Uint8Array): void {
  const kind = data[0];
  if (kind === 1) received.texts.push(new TextDecoder().decode(data.subarray(1)));
  else if (kind === 2) {
    const index = new DataView(data.buffer, data.byteOffset).getUint32(1);
    let ok = index === received.bulkChunks;
    for (let i = 5; i < data.length && ok; i++) ok = data[i] === ((index + i) & 0xff);
    if (!ok) received.bulkErrors++;
    received.bulkChunks++;
    received.bulkBytes += data.length;
  } else received.probes.push(data.length);
  onMessage?.();
}

/** Fills `chunk` as the next bulk chunk (kind 2, index, pattern) and returns it. */
function nextBulkChunk(chunk: Uint8Array): Uint8Array {
  const index = bulkSent++;
  chunk[0] = 2;
  new DataView(chunk.buffer, chunk.byteOffset).setUint32(1, index);
  for (let i = 5; i < chunk.length; i++) chunk[i] = (index + i) & 0xff;
  return chunk;
}

window.transportHarness = {
  create(options) {
    connection = createSimplePeerTransport(options);
    connection.transport.then(
      (t) => {
        transport = t;
        t.on('message', receive);
        t.on('error', (e) => log.push(`error ${RtcError.is(e) ? e.code : e.name}`));
        t.on('close', () => {
          log.push('close');
          closed = true;
          onClosed?.();
        });
      },
      (e: unknown) => log.push(`failed ${failure(e).error}`),
    );
  },
  async localSignal() {
    return conn().localSignal().catch(failure);
  },
  async localCode() {
    return conn()
      .localSignal()
      .then((d) => encodeInviteCode(d))
      .catch(failure);
  },
  acceptRemote(desc) {
    try {
      conn().acceptRemote(desc);
      return null;
    } catch (e) {
      return failure(e);
    }
  },
  acceptCode(code) {
    try {
      conn().acceptRemote(decodeInviteCode(code));
      return null;
    } catch (e) {
      return failure(e);
    }
  },
  async open() {
    try {
      const t = await conn().transport;
      return {
        initiator: t.info.initiator,
        localFingerprint: hex(t.info.localFingerprint),
        remoteFingerprint: hex(t.info.remoteFingerprint),
        maxMessageSize: t.info.maxMessageSize,
      };
    } catch (e) {
      return failure(e);
    }
  },
  fingerprintOf: (sdp) => hex(dtlsFingerprint(sdp)),
  sendText(text) {
    try {
      const body = new TextEncoder().encode(text);
      const data = new Uint8Array(1 + body.length);
      data[0] = 1;
      data.set(body, 1);
      transport!.send(data);
      return null;
    } catch (e) {
      return failure(e);
    }
  },
  async sendBulk(totalBytes, chunkBytes, awaitDrain) {
    const t = transport!;
    const chunk = new Uint8Array(chunkBytes); // reused for every chunk, as a sender would
    let peakBuffered = 0;
    const start = performance.now();
    let chunks = 0;
    try {
      for (let sent = 0; sent < totalBytes; sent += chunkBytes, chunks++) {
        t.send(nextBulkChunk(chunk));
        peakBuffered = Math.max(peakBuffered, t.bufferedAmount);
        if (awaitDrain && t.bufferedAmount > 2 * 1024 * 1024) await t.drain();
      }
      await t.drain();
    } catch (e) {
      return failure(e);
    }
    return { chunks, bytes: chunks * chunkBytes, ms: performance.now() - start, peakBuffered };
  },
  burstAndClose(totalBytes, chunkBytes) {
    const chunk = new Uint8Array(chunkBytes);
    try {
      for (let sent = 0; sent < totalBytes; sent += chunkBytes) transport!.send(nextBulkChunk(chunk));
      conn().close();
      return null;
    } catch (e) {
      return failure(e);
    }
  },
  trySend(size) {
    try {
      const data = new Uint8Array(size);
      data[0] = 3;
      transport!.send(data);
      return null;
    } catch (e) {
      return failure(e);
    }
  },
  async waitFor(check, timeoutMs) {
    const done = (): boolean =>
      received.texts.length >= (check.texts ?? 0) &&
      received.bulkChunks >= (check.bulkChunks ?? 0) &&
      received.probes.length >= (check.probes ?? 0);
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        onMessage = () => {
          if (!done()) return;
          clearTimeout(timer);
          resolve();
        };
      });
      onMessage = undefined;
    }
    return structuredClone(received);
  },
  received: () => structuredClone(received),
  close: () => conn().close(),
  async closed() {
    if (!closed) await new Promise<void>((resolve) => (onClosed = resolve));
    return closed;
  },
  events: () => [...log],
};
