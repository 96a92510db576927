/**
 * The page side of the OPFS storage (opfs-file-storage.ts) against a stand-in for its writer
 * worker that keeps the worker's rules (requests run in order; a quiet write is answered only when
 * it fails): what settles queued writes, and when. The real worker and the disk are exercised in
 * Chromium by e2e/file-storage.spec.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_STORAGE_MESSAGES, FileStorageError } from './file-storage';
import { createOpfsFileStorage } from './opfs-file-storage';
import type { WriterReply, WriterRequest } from './opfs-writer.worker';

/** What the stand-in's readers read. */
const STORED = new Map([['stored', Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff)]]);

/** Writes at this position fail in the stand-in, as a full disk would. */
const FAILING_POSITION = 13 * 65536;

class FakeWriter {
  static last: FakeWriter | undefined;
  onmessage: ((event: { data: WriterReply }) => void) | null = null;
  onerror: unknown = null;
  onmessageerror: unknown = null;
  /** Requests in the order they arrived. */
  readonly seen: WriterRequest[] = [];
  #queue: Promise<void> = Promise.resolve();

  constructor() {
    FakeWriter.last = this;
  }

  postMessage(message: WriterRequest, transfer: Transferable[] = []): void {
    // As postMessage does: the message is cloned and its transferred buffers detached here.
    const request = structuredClone(message, { transfer });
    this.seen.push(request);
    this.#queue = this.#queue.then(async () => {
      await new Promise((r) => setTimeout(r, 1));
      let reply: WriterReply;
      if (request.op === 'open-read') {
        const file = STORED.get(request.name);
        reply = { id: request.id, ok: true, value: file ? file.length : -1 };
      } else if (request.op === 'read') {
        // Fills the buffer it was sent from the stored bytes and sends it back, as the worker does.
        const file = STORED.get('stored')!.subarray(request.position);
        const n = Math.min(file.length, request.data.length);
        request.data.set(file.subarray(0, n));
        const back = structuredClone(request.data, { transfer: [request.data.buffer] });
        reply = { id: request.id, ok: true, value: n, data: back };
      } else if (request.op === 'write' && request.position === FAILING_POSITION) {
        reply = { id: request.id, ok: false, code: 'QUOTA', message: 'The disk is full.', detail: 'test' };
      } else {
        if (request.op === 'write' && request.quiet) return;
        reply = { id: request.id, ok: true, value: 0 };
      }
      this.onmessage?.({ data: reply });
    });
  }

  terminate(): void {}
}

const original = globalThis.Worker;
afterEach(() => {
  globalThis.Worker = original;
});

function withFakeWorker(): void {
  globalThis.Worker = FakeWriter as unknown as typeof Worker;
}

function piece(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(65536);
}

describe('the OPFS storage, page side', () => {
  it('a queued write settles only once a later call is answered, and hands its buffer over', async () => {
    withFakeWorker();
    const file = await createOpfsFileStorage().openWritable('queued');
    const settled: number[] = [];
    const data = piece();
    const writes = [0, 1, 2].map(async (i) =>
      file.queueWrite(i * 65536, i === 0 ? data : piece()).then(() => void settled.push(i)),
    );
    expect(data.byteLength).toBe(0); // transferred, not copied
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toEqual([]); // no answer of their own
    await file.flush();
    await Promise.all(writes);
    expect(settled).toEqual([0, 1, 2]);
    const ops = FakeWriter.last!.seen.map((r) =>
      r.op === 'write' ? `write${r.quiet ? ' quiet' : ''}` : r.op,
    );
    expect(ops).toEqual(['open', 'write quiet', 'write quiet', 'write quiet', 'flush']);
  });

  it('a queued write that fails rejects with its own error; the ones around it are written', async () => {
    withFakeWorker();
    const file = await createOpfsFileStorage().openWritable('failing');
    const results = await Promise.allSettled([
      file.queueWrite(12 * 65536, piece()),
      file.queueWrite(FAILING_POSITION, piece()),
      file.queueWrite(14 * 65536, piece()),
      file.flush(),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const error = (results[1] as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(FileStorageError);
    expect(error).toMatchObject({ code: 'QUOTA', message: 'The disk is full.' });
  });

  it('a plain write is answered on its own', async () => {
    withFakeWorker();
    const file = await createOpfsFileStorage().openWritable('plain');
    await file.write(0, piece());
    expect(FakeWriter.last!.seen.at(-1)).toMatchObject({ op: 'write', position: 0 });
    expect(FakeWriter.last!.seen.at(-1)).not.toHaveProperty('quiet');
  });

  it('a reader sends its buffer to the worker and resolves with the bytes read in it; removal ends it', async () => {
    withFakeWorker();
    const storage = createOpfsFileStorage();
    expect(await storage.openReadable('missing')).toBeUndefined();
    const reader = (await storage.openReadable('stored'))!;
    expect(reader.size).toBe(3000);
    const buffer = new Uint8Array(2048);
    const first = await reader.read(0, buffer);
    expect(buffer.byteLength).toBe(0); // transferred, not copied
    expect(first.buffer.byteLength).toBe(2048);
    expect(first[2047]).toBe(2047 & 0xff);
    const rest = await reader.read(2048, new Uint8Array(first.buffer));
    expect(rest).toHaveLength(3000 - 2048);
    expect(rest[0]).toBe(2048 & 0xff);
    // Node has no OPFS, so the removal itself fails here, after it ended the readers.
    await storage.remove('stored').catch(() => undefined);
    const ops = FakeWriter.last!.seen.map((r) => r.op);
    expect(ops).toEqual(['open-read', 'open-read', 'read', 'read', 'close-read']);
    await expect(reader.read(0, new Uint8Array(16))).rejects.toMatchObject({
      code: 'FAILED',
      message: FILE_STORAGE_MESSAGES.READ_CLOSED,
    });
    await reader.close(); // already ended: nothing more asked of the worker
    expect(FakeWriter.last!.seen).toHaveLength(5);
  });
});
