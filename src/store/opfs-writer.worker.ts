/**
 * The dedicated module Worker that writes the OPFS files of opfs-file-storage.ts, through
 * FileSystemSyncAccessHandle: its writes go to the file itself (createWritable()'s go to a swap
 * file that a reload loses until close()), and its flush() makes them durable, which resumable
 * transfers need. Sync access handles exist only in dedicated workers.
 *
 * It keeps one access handle a name and runs requests one at a time, in the order they came. A
 * request is `{ op, id, name, ... }` (a write's `data` arrives with its buffer transferred); the
 * reply is `{ id, ok: true, value }` (the size, for open and size; 0 otherwise) or
 * `{ id, ok: false, code, message, detail }` with a FileStorageError's code and sentence. A write
 * marked `quiet` is answered only when it fails: since requests run in order, any later answer
 * tells the page that it was written (one message fewer each way per chunk of a transfer).
 *
 * It also reads, for ReadableFile: `open-read` opens a read-only access handle under the request's
 * id and answers the file's size, or -1 when there is no such file (Chromium 121's `mode:
 * 'read-only'`, a shared lock: any number of readers, and getFile() keeps working); `read` fills the
 * buffer it was sent and sends it back (`data`), also when the read fails; `close-read` ends the
 * handle. Where the browser ignores the mode (the handle would be an exclusive one), the handle is
 * closed again and the open fails with UNAVAILABLE, so the page reads through getFile() instead.
 */
import {
  FILE_STORAGE_MESSAGES,
  FileStorageError,
  type FileStorageErrorCode,
  OPFS_DIRECTORY,
  toFileStorageError,
} from './file-storage';

export type WriterRequest =
  | { op: 'open'; id: number; name: string }
  | {
      op: 'write';
      id: number;
      name: string;
      position: number;
      data: Uint8Array<ArrayBuffer>;
      /** Answered only if it fails (WritableFile.queueWrite): a later answer says it was written. */
      quiet?: boolean;
    }
  | { op: 'truncate'; id: number; name: string; size: number }
  | { op: 'flush' | 'size' | 'close'; id: number; name: string }
  | { op: 'open-read'; id: number; name: string }
  /** Reads into `data` (transferred) at `position` for the reader opened by request `reader`. */
  | { op: 'read'; id: number; reader: number; position: number; data: Uint8Array<ArrayBuffer> }
  | { op: 'close-read'; id: number; reader: number };

export type WriterReply =
  /** `value`: the size (open, open-read, size), the bytes read (read, with `data` sent back), else 0. */
  | { id: number; ok: true; value: number; data?: Uint8Array<ArrayBuffer> }
  | {
      id: number;
      ok: false;
      code: FileStorageErrorCode;
      message: string;
      detail: string;
      data?: Uint8Array<ArrayBuffer>;
    };

/** FileSystemSyncAccessHandle, which the DOM typings this project compiles with do not declare. */
interface SyncAccessHandle {
  /** 'read-only', 'readwrite' …; absent where the browser has no modes. */
  readonly mode?: string;
  read(buffer: Uint8Array<ArrayBuffer>, options?: { at?: number }): number;
  write(buffer: Uint8Array<ArrayBuffer>, options?: { at?: number }): number;
  flush(): void;
  truncate(size: number): void;
  getSize(): number;
  close(): void;
}

/** The parts of DedicatedWorkerGlobalScope this worker uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const handles = new Map<string, SyncAccessHandle>();
/** Read-only handles, by the id of the request that opened them. */
const readers = new Map<number, SyncAccessHandle>();
let directory: Promise<FileSystemDirectoryHandle> | undefined;

function unavailable(): FileStorageError {
  return new FileStorageError('UNAVAILABLE', FILE_STORAGE_MESSAGES.UNAVAILABLE);
}

async function filesDirectory(): Promise<FileSystemDirectoryHandle> {
  if (typeof navigator.storage?.getDirectory !== 'function') throw unavailable();
  directory ??= navigator.storage
    .getDirectory()
    .then(async (root) => root.getDirectoryHandle(OPFS_DIRECTORY, { create: true }));
  try {
    return await directory;
  } catch (e) {
    directory = undefined;
    throw e;
  }
}

async function open(name: string): Promise<number> {
  if (handles.has(name)) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.BUSY);
  const file = await (await filesDirectory()).getFileHandle(name, { create: true });
  const withSync = file as FileSystemFileHandle & {
    createSyncAccessHandle?: () => Promise<SyncAccessHandle>;
  };
  if (typeof withSync.createSyncAccessHandle !== 'function') throw unavailable();
  const handle = await withSync.createSyncAccessHandle();
  handles.set(name, handle);
  return handle.getSize();
}

/** The file's size, or -1 when there is no such file. */
async function openRead(id: number, name: string): Promise<number> {
  let file: FileSystemFileHandle;
  try {
    file = await (await filesDirectory()).getFileHandle(name);
  } catch (e) {
    if (e instanceof Error && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError')) return -1;
    throw e;
  }
  const withSync = file as FileSystemFileHandle & {
    createSyncAccessHandle?: (options?: { mode?: string }) => Promise<SyncAccessHandle>;
  };
  if (typeof withSync.createSyncAccessHandle !== 'function') throw unavailable();
  const handle = await withSync.createSyncAccessHandle({ mode: 'read-only' });
  if (handle.mode !== 'read-only') {
    // A browser without lock modes gave an exclusive handle: it would lock writers and readers out.
    handle.close();
    throw unavailable();
  }
  readers.set(id, handle);
  return handle.getSize();
}

function reader(id: number): SyncAccessHandle {
  const handle = readers.get(id);
  if (!handle) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.READ_CLOSED);
  return handle;
}

function opened(name: string): SyncAccessHandle {
  const handle = handles.get(name);
  if (!handle) throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.CLOSED);
  return handle;
}

async function run(request: WriterRequest): Promise<number> {
  switch (request.op) {
    case 'open':
      return open(request.name);
    case 'write': {
      const { data, position } = request;
      const written = opened(request.name).write(data, { at: position });
      if (written !== data.byteLength)
        throw new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.FAILED, {
          cause: new Error(`wrote ${written} of ${data.byteLength} bytes at ${position}`),
        });
      return 0;
    }
    case 'truncate':
      opened(request.name).truncate(request.size);
      return 0;
    case 'flush':
      opened(request.name).flush();
      return 0;
    case 'size':
      return opened(request.name).getSize();
    case 'open-read':
      return openRead(request.id, request.name);
    case 'read':
      return reader(request.reader).read(request.data, { at: request.position });
    case 'close-read':
      readers.get(request.reader)?.close();
      readers.delete(request.reader);
      return 0;
    case 'close': {
      // Closing twice (remove() closes a writer's handle first) is not an error.
      const handle = handles.get(request.name);
      handles.delete(request.name);
      handle?.close();
      return 0;
    }
  }
}

function describe(e: unknown): string {
  const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, value: await run(request) };
      if (request.op === 'write' && request.quiet) return;
    } catch (e) {
      const error = toFileStorageError(e);
      reply = { id: request.id, ok: false, code: error.code, message: error.message, detail: describe(e) };
    }
    if (request.op === 'read') {
      // The buffer goes back whatever happened, for the page to read into again.
      scope.postMessage({ ...reply, data: request.data }, [request.data.buffer]);
      return;
    }
    scope.postMessage(reply);
  });
};
