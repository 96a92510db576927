/**
 * File storage in memory, for tests of the code that receives files: the same contract as the
 * OPFS store (file-storage.test.ts), including one writer a name at a time and QUOTA when a write
 * would pass `quota`. Files live in a `MemoryFiles` map that outlives the storage opened over it:
 * open another storage on the same map to simulate a reload (every write counts as flushed).
 */
import {
  FILE_STORAGE_MESSAGES,
  FileStorageError,
  type FileStorage,
  type ReadableFile,
  type WritableFile,
  checkFileName,
  checkOffset,
} from './file-storage';

/** The bytes of each file, by name; each buffer's length is the file's size. */
export type MemoryFiles = Map<string, Uint8Array<ArrayBuffer>>;

export interface MemoryFileStorageOptions {
  files?: MemoryFiles;
  /** Bytes all files together may hold; estimate() reports it. Unlimited (and estimate() undefined) when absent. */
  quota?: number;
}

/**
 * Takes `data`'s buffer as the OPFS storage does (it transfers it to its worker), so a caller that
 * reuses a written buffer fails here too; a buffer that cannot be transferred (Node's Buffer pool)
 * is copied.
 */
function take(data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  try {
    return structuredClone(data, { transfer: [data.buffer] });
  } catch {
    return data.slice();
  }
}

export function createMemoryFileStorage(options: MemoryFileStorageOptions = {}): FileStorage {
  const files: MemoryFiles = options.files ?? new Map<string, Uint8Array<ArrayBuffer>>();
  const { quota } = options;
  /** Names with an open writer, each with the function that ends that writer. */
  const writers = new Map<string, () => void>();

  const usage = () => [...files.values()].reduce((sum, b) => sum + b.length, 0);

  /** Resizes `name` to `size` bytes (zeros when it grows), refusing to pass the quota. */
  function resize(name: string, size: number): Uint8Array<ArrayBuffer> {
    const old = files.get(name) ?? new Uint8Array(0);
    if (size === old.length) return old;
    if (quota !== undefined && size > old.length && usage() - old.length + size > quota)
      throw new FileStorageError('QUOTA', FILE_STORAGE_MESSAGES.QUOTA);
    // Grows within the buffer's spare room when it can (doubling it when it cannot), so a file
    // written piece by piece costs linear time, not a copy of the whole file per piece.
    if (size > old.length && size <= old.buffer.byteLength && old.byteOffset === 0) {
      const grown = new Uint8Array(old.buffer, 0, size);
      grown.fill(0, old.length);
      files.set(name, grown);
      return grown;
    }
    const capacity = size > old.length ? Math.max(size, 2 * old.length) : size;
    const next = new Uint8Array(new ArrayBuffer(capacity), 0, size);
    next.set(size < old.length ? old.subarray(0, size) : old);
    files.set(name, next);
    return next;
  }

  function openWriter(name: string): WritableFile {
    let open = true;
    writers.set(name, () => (open = false));
    if (!files.has(name)) files.set(name, new Uint8Array(0));
    const live = () => {
      if (!open) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.CLOSED);
    };
    const write = async (position: number, data: Uint8Array<ArrayBuffer>): Promise<void> => {
      await Promise.resolve();
      checkOffset('position', position);
      live();
      const piece = take(data);
      const current = files.get(name) ?? new Uint8Array(0);
      const bytes = resize(name, Math.max(current.length, position + piece.length));
      bytes.set(piece, position);
    };
    return {
      write,
      // Here every write is done when its promise settles, so a queued one is an ordinary write.
      queueWrite: write,
      async flush() {
        await Promise.resolve();
        live();
      },
      async truncate(size) {
        await Promise.resolve();
        checkOffset('size', size);
        live();
        resize(name, size);
      },
      async size() {
        await Promise.resolve();
        live();
        return files.get(name)?.length ?? 0;
      },
      async close() {
        await Promise.resolve();
        if (!open) return;
        open = false;
        writers.delete(name);
      },
    };
  }

  /** Reads what the file holds at each read (as the OPFS reader does), into the caller's buffer, taken and given back. */
  function openReader(name: string, size: number): ReadableFile {
    let open = true;
    return {
      size,
      async read(position, into) {
        await Promise.resolve();
        checkOffset('position', position);
        if (!open) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.READ_CLOSED);
        const bytes = files.get(name);
        if (!bytes) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.READ_CLOSED);
        const back = take(into);
        const piece = bytes.subarray(
          Math.min(position, bytes.length),
          Math.min(position + back.length, bytes.length),
        );
        back.set(piece);
        return back.subarray(0, piece.length);
      },
      async close() {
        await Promise.resolve();
        open = false;
      },
    };
  }

  return {
    async openWritable(name) {
      await Promise.resolve();
      checkFileName(name);
      if (writers.has(name)) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.BUSY);
      return openWriter(name);
    },
    async read(name) {
      await Promise.resolve();
      checkFileName(name);
      const bytes = files.get(name);
      // A copy: later writes do not change a Blob already handed out, as with a File snapshot.
      return bytes ? new Blob([bytes.slice()]) : undefined;
    },
    async openReadable(name) {
      await Promise.resolve();
      checkFileName(name);
      const bytes = files.get(name);
      return bytes ? openReader(name, bytes.length) : undefined;
    },
    async remove(name) {
      await Promise.resolve();
      checkFileName(name);
      writers.get(name)?.();
      writers.delete(name);
      files.delete(name);
    },
    async destroy() {
      await Promise.resolve();
      for (const end of writers.values()) end();
      writers.clear();
      files.clear();
    },
    async list() {
      await Promise.resolve();
      return [...files.keys()].sort();
    },
    async estimate() {
      await Promise.resolve();
      return quota === undefined ? undefined : { usage: usage(), quota };
    },
  };
}
