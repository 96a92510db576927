/**
 * Test page for e2e/file-storage.spec.ts: the app's OPFS file storage (src/store/opfs-file-storage.ts,
 * with its writer worker) and saveFile, as the production build bundles them, driven through
 * `window.fileStorage`. Pieces are made in the page from a seed, so no bytes cross the test channel:
 * byte i of a piece with seed s is (7·i + s) mod 256.
 */
import { saveFile } from '../src/app/save-file';
import { FileStorageError, type WritableFile } from '../src/store/file-storage';
import { createOpfsFileStorage } from '../src/store/opfs-file-storage';

export interface StoredInfo {
  size: number;
  sha256: string;
  /** Whether read() gave a File (OPFS Files are backed by the disk). */
  isFile: boolean;
}

export interface FileStorageHarness {
  /** Opens a writer for `name`; its current size. */
  open(name: string): Promise<number>;
  /** Writes a piece of `length` bytes made from `seed` at `position`; whether its buffer was transferred. */
  write(name: string, position: number, length: number, seed: number): Promise<boolean>;
  flush(name: string): Promise<void>;
  size(name: string): Promise<number>;
  close(name: string): Promise<void>;
  /** The error code and sentence of opening `name` again, or 'opened'. */
  openAgain(name: string): Promise<string>;
  read(name: string): Promise<StoredInfo | undefined>;
  remove(name: string): Promise<void>;
  list(): Promise<string[]>;
  estimate(): Promise<{ usage: number; quota: number } | undefined>;
  /** Offers the stored file as a download named `as`. */
  save(name: string, as: string): Promise<void>;
  /** Writes `total` bytes in pieces of `piece` (seed: the piece's index), awaiting each; whether every buffer was transferred. */
  bulk(name: string, total: number, piece: number): Promise<boolean>;
  /**
   * The same pieces queued (queueWrite) without waiting, then one flush: whether no queued write
   * settled before the flush was asked for, every one settled with it, and every buffer was transferred.
   */
  queued(name: string, total: number, piece: number): Promise<boolean>;
  /**
   * Reads `name` through openReadable in blocks of `block` bytes, one buffer going to the worker
   * and back for every read, while a second reader of the same file is open and reads its start,
   * and read() (getFile) is called meanwhile: the bytes' hash, and what held on the way.
   */
  readBlocks(name: string, block: number): Promise<ReadBack>;
  /** Opens a reader of `name`, then removes the file with it open: the error of a read after, or 'read'. */
  removeWhileReading(name: string): Promise<string>;
}

export interface ReadBack {
  size: number;
  sha256: string;
  /** Every read resolved with a view of the buffer it was given (the same memory, sent back). */
  sameBuffer: boolean;
  /** The second reader, open at the same time, read the file's first bytes. */
  secondReader: boolean;
  /** read() worked while both readers were open. */
  blobWhileOpen: boolean;
  /** openReadable of a name never stored gave undefined. */
  missingIsUndefined: boolean;
}

declare global {
  interface Window {
    fileStorage: FileStorageHarness;
  }
}

function pieceBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (7 * i + seed) & 0xff;
  return out;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const storage = createOpfsFileStorage();
const writers = new Map<string, WritableFile>();

function writer(name: string): WritableFile {
  const w = writers.get(name);
  if (!w) throw new Error(`no writer open for ${name}`);
  return w;
}

async function write(name: string, position: number, length: number, seed: number): Promise<boolean> {
  const data = pieceBytes(length, seed);
  await writer(name).write(position, data);
  return data.buffer.byteLength === 0;
}

window.fileStorage = {
  async open(name) {
    const w = await storage.openWritable(name);
    writers.set(name, w);
    return w.size();
  },
  write,
  async flush(name) {
    await writer(name).flush();
  },
  async size(name) {
    return writer(name).size();
  },
  async close(name) {
    await writer(name).close();
    writers.delete(name);
  },
  async openAgain(name) {
    try {
      await storage.openWritable(name);
      return 'opened';
    } catch (e) {
      return FileStorageError.is(e) ? `${e.code}: ${e.message}` : String(e);
    }
  },
  async read(name) {
    const blob = await storage.read(name);
    if (!blob) return undefined;
    const sha256 = hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    return { size: blob.size, sha256, isFile: blob instanceof File };
  },
  async remove(name) {
    await storage.remove(name);
    writers.delete(name);
  },
  list: async () => storage.list(),
  estimate: async () => storage.estimate(),
  async save(name, as) {
    const blob = await storage.read(name);
    if (!blob) throw new Error(`${name} is not stored`);
    saveFile(blob, as);
  },
  async bulk(name, total, piece) {
    let transferred = true;
    for (let at = 0, i = 0; at < total; at += piece, i++)
      transferred = (await write(name, at, Math.min(piece, total - at), i)) && transferred;
    return transferred;
  },
  async queued(name, total, piece) {
    const w = writer(name);
    let settledEarly = false;
    let flushAsked = false;
    const buffers: Uint8Array[] = [];
    const writes: Promise<void>[] = [];
    for (let at = 0, i = 0; at < total; at += piece, i++) {
      const data = pieceBytes(Math.min(piece, total - at), i);
      buffers.push(data);
      writes.push(
        w.queueWrite(at, data).then(() => {
          if (!flushAsked) settledEarly = true;
        }),
      );
    }
    // Give answers time to come back, if the worker (wrongly) sent any for queued writes.
    await new Promise((r) => setTimeout(r, 200));
    flushAsked = true;
    await Promise.all([w.flush(), ...writes]);
    return !settledEarly && buffers.every((b) => b.byteLength === 0);
  },
  async readBlocks(name, block) {
    const first = await storage.openReadable(name);
    const second = await storage.openReadable(name);
    if (!first || !second) throw new Error(`${name} is not stored`);
    const whole = new Uint8Array(first.size);
    let buffer = new Uint8Array(block);
    const memory = buffer.byteLength;
    let sameBuffer = true;
    for (let at = 0; at < first.size; at += block) {
      const got = await first.read(at, buffer);
      sameBuffer &&= got.buffer.byteLength === memory && got.byteOffset === 0;
      whole.set(got, at);
      buffer = new Uint8Array(got.buffer);
    }
    const past = await first.read(first.size, buffer);
    const start = await second.read(0, new Uint8Array(16));
    const secondReader = start.every((b, i) => b === whole[i]);
    const blob = await storage.read(name);
    const blobWhileOpen = blob?.size === first.size;
    await Promise.all([first.close(), second.close()]);
    return {
      size: first.size,
      sha256: hex(await crypto.subtle.digest('SHA-256', whole)),
      sameBuffer: sameBuffer && past.length === 0,
      secondReader,
      blobWhileOpen,
      missingIsUndefined: (await storage.openReadable('never-stored')) === undefined,
    };
  },
  async removeWhileReading(name) {
    const reader = await storage.openReadable(name);
    if (!reader) throw new Error(`${name} is not stored`);
    await storage.remove(name);
    try {
      await reader.read(0, new Uint8Array(16));
      return 'read';
    } catch (e) {
      return FileStorageError.is(e) ? `${e.code}: ${e.message}` : String(e);
    }
  },
};
