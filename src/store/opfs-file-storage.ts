/**
 * File storage in the Origin Private File System, under the folder `secmsg-files`.
 *
 * Writes go through one dedicated Worker (opfs-writer.worker.ts), created on first use, that
 * holds a FileSystemSyncAccessHandle for each open file: its writes land in the file itself and
 * its flush() makes them durable, so a transfer resumes after a reload from what was flushed.
 * (createWritable(), the main thread's way, writes to a swap file that a reload discards before
 * close().) Each write's buffer is transferred to the worker, not copied, so memory stays flat.
 *
 * read() needs no worker: getFile() on the main thread returns a File backed by the disk, which a
 * download or a preview streams without reading it into memory. A file being written is flushed
 * first, so the File shows every write made before read(). openReadable() reads through the worker
 * too, into the caller's buffers, which go to the worker and come back filled: a sender reading its
 * copy a MiB at a time this way costs a fraction of the CPU of the same reads from getFile()'s Blob,
 * which come through the browser's process (bench: 0.4 against 6 ms a MiB on this project's
 * machines).
 */
import {
  FILE_STORAGE_MESSAGES,
  FILE_NAME,
  FileStorageError,
  type FileStorage,
  type ReadableFile,
  type WritableFile,
  OPFS_DIRECTORY,
  checkFileName,
  checkOffset,
  toFileStorageError,
} from './file-storage';
import type { WriterReply, WriterRequest } from './opfs-writer.worker';

/** A request without its id, which call() adds. */
type Request = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;
/** What a request that succeeded answers. */
type Answer = { value: number; data?: Uint8Array<ArrayBuffer> };

/** FileSystemDirectoryHandle's iteration, which the DOM typings this project compiles with leave out. */
interface IterableDirectory {
  entries(): AsyncIterable<[string, FileSystemHandle]>;
}

function unavailable(cause?: unknown): FileStorageError {
  return new FileStorageError('UNAVAILABLE', FILE_STORAGE_MESSAGES.UNAVAILABLE, { cause });
}

function isNotFound(e: unknown): boolean {
  return e instanceof Error && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
}

export function createOpfsFileStorage(): FileStorage {
  let worker: Worker | undefined;
  let nextId = 1;
  /** Requests not yet settled, in the order sent (ids grow); `quiet` ones get no answer of their own. */
  const pending = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (e: FileStorageError) => void; quiet: boolean }
  >();
  /** Names with an open writer here, each with the function that marks that writer closed. */
  const writers = new Map<string, () => void>();
  /** Open readers by name: each reader's id in the worker, with the function that marks it closed. */
  const readers = new Map<string, Map<number, () => void>>();

  /** Ends every request in flight and every writer: the worker failed or could not start. */
  function workerFailed(cause: unknown): void {
    worker?.terminate();
    worker = undefined;
    for (const { reject } of pending.values()) reject(unavailable(cause));
    pending.clear();
    for (const close of writers.values()) close();
    writers.clear();
    for (const ofName of readers.values()) for (const close of ofName.values()) close();
    readers.clear();
  }

  function startWorker(): Worker {
    if (typeof Worker === 'undefined') throw unavailable();
    const w = new Worker(new URL('./opfs-writer.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (event: MessageEvent<WriterReply>) => {
      const reply = event.data;
      // The worker runs requests in order and answers a quiet write only if it failed: every quiet
      // write sent before an answered request, and not answered itself, was written.
      for (const [id, entry] of pending) {
        if (id >= reply.id) break;
        if (!entry.quiet) continue;
        pending.delete(id);
        entry.resolve({ value: 0 });
      }
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (reply.ok)
        waiting.resolve(reply.data ? { value: reply.value, data: reply.data } : { value: reply.value });
      else
        waiting.reject(new FileStorageError(reply.code, reply.message, { cause: new Error(reply.detail) }));
    };
    // A worker script that cannot load (or a worker that dies) fires `error` on the Worker.
    w.onerror = (event) => {
      event.preventDefault();
      workerFailed(new Error(`the file writer stopped: ${event.message || 'its script did not load'}`));
    };
    w.onmessageerror = () => workerFailed(new Error('the file writer sent a message that could not be read'));
    return w;
  }

  /** Sends `request`; its answer, and the id it went with. */
  function ask(request: Request, transfer: Transferable[] = []): { id: number; answer: Promise<Answer> } {
    worker ??= startWorker();
    const id = nextId++;
    const quiet = request.op === 'write' && request.quiet === true;
    const answer = new Promise<Answer>((resolve, reject) => pending.set(id, { resolve, reject, quiet }));
    try {
      worker.postMessage({ ...request, id }, transfer);
    } catch (e) {
      // A buffer that cannot be transferred (already detached: the caller reused it) is the caller's bug.
      pending.delete(id);
      throw e;
    }
    return { id, answer };
  }

  async function call(request: Request, transfer: Transferable[] = []): Promise<number> {
    return (await ask(request, transfer).answer).value;
  }

  async function reader(name: string): Promise<ReadableFile | undefined> {
    const opened = ask({ op: 'open-read', name });
    const size = (await opened.answer).value;
    if (size < 0) return undefined;
    const readerId = opened.id;
    let open = true;
    const ofName = readers.get(name) ?? new Map<number, () => void>();
    readers.set(name, ofName);
    ofName.set(readerId, () => (open = false));
    return {
      size,
      async read(position, into) {
        checkOffset('position', position);
        if (!open) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.READ_CLOSED);
        const { value, data } = await ask({ op: 'read', reader: readerId, position, data: into }, [
          into.buffer,
        ]).answer;
        if (!data) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.FAILED);
        return data.subarray(0, value);
      },
      async close() {
        if (!open) return;
        open = false;
        ofName.delete(readerId);
        if (ofName.size === 0 && readers.get(name) === ofName) readers.delete(name);
        await call({ op: 'close-read', reader: readerId });
      },
    };
  }

  async function filesDirectory(): Promise<FileSystemDirectoryHandle> {
    if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function')
      throw unavailable();
    try {
      const root = await navigator.storage.getDirectory();
      return await root.getDirectoryHandle(OPFS_DIRECTORY, { create: true });
    } catch (e) {
      // Chromium refuses the OPFS in some profiles (SecurityError); others may throw more.
      throw e instanceof Error && e.name === 'SecurityError' ? unavailable(e) : toFileStorageError(e);
    }
  }

  function writer(name: string): WritableFile {
    let open = true;
    writers.set(name, () => (open = false));
    const live = () => {
      if (!open) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.CLOSED);
    };
    return {
      async write(position, data) {
        checkOffset('position', position);
        live();
        await call({ op: 'write', name, position, data }, [data.buffer]);
      },
      async queueWrite(position, data) {
        checkOffset('position', position);
        live();
        await call({ op: 'write', name, position, data, quiet: true }, [data.buffer]);
      },
      async flush() {
        live();
        await call({ op: 'flush', name });
      },
      async truncate(size) {
        checkOffset('size', size);
        live();
        await call({ op: 'truncate', name, size });
      },
      async size() {
        live();
        return call({ op: 'size', name });
      },
      async close() {
        if (!open) return;
        open = false;
        writers.delete(name);
        await call({ op: 'close', name });
      },
    };
  }

  return {
    async openWritable(name) {
      checkFileName(name);
      if (writers.has(name)) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.BUSY);
      // Held before the worker answers, so a second open of the name while the first waits fails.
      writers.set(name, () => undefined);
      try {
        await call({ op: 'open', name });
      } catch (e) {
        writers.delete(name);
        throw e;
      }
      return writer(name);
    },

    // Chromium lets getFile() run while the worker holds the file; a File read before later writes
    // is a snapshot of that moment (reading it afterwards may fail where the browser checks).
    async read(name) {
      checkFileName(name);
      if (writers.has(name)) await call({ op: 'flush', name });
      const dir = await filesDirectory();
      try {
        return await (await dir.getFileHandle(name)).getFile();
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw toFileStorageError(e);
      }
    },

    async openReadable(name) {
      checkFileName(name);
      return reader(name);
    },

    async remove(name) {
      checkFileName(name);
      const closeWriter = writers.get(name);
      if (closeWriter) {
        closeWriter();
        writers.delete(name);
        await call({ op: 'close', name });
      }
      // Readers end too: the browser does not remove a file an access handle holds.
      const ofName = readers.get(name);
      readers.delete(name);
      for (const [readerId, close] of ofName ?? []) {
        close();
        await call({ op: 'close-read', reader: readerId });
      }
      const dir = await filesDirectory();
      try {
        await dir.removeEntry(name);
      } catch (e) {
        if (isNotFound(e)) return;
        throw toFileStorageError(e);
      }
    },

    async destroy() {
      // The worker holds the files open; it goes first, with every writer.
      workerFailed(new Error('every file was deleted'));
      if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return;
      try {
        await (await navigator.storage.getDirectory()).removeEntry(OPFS_DIRECTORY, { recursive: true });
      } catch (e) {
        if (!isNotFound(e)) throw toFileStorageError(e);
      }
    },

    async list() {
      const dir = (await filesDirectory()) as FileSystemDirectoryHandle & IterableDirectory;
      const names: string[] = [];
      try {
        for await (const [name, handle] of dir.entries())
          if (handle.kind === 'file' && FILE_NAME.test(name)) names.push(name);
      } catch (e) {
        throw toFileStorageError(e);
      }
      return names.sort();
    },

    async estimate() {
      if (typeof navigator === 'undefined' || typeof navigator.storage?.estimate !== 'function')
        return undefined;
      try {
        const { usage, quota } = await navigator.storage.estimate();
        return usage === undefined || quota === undefined ? undefined : { usage, quota };
      } catch {
        return undefined;
      }
    },
  };
}
