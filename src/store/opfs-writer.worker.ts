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
  | { op: 'flush' | 'size' | 'close'; id: number; name: string };

export type WriterReply =
  | { id: number; ok: true; value: number }
  | { id: number; ok: false; code: FileStorageErrorCode; message: string; detail: string };

/** FileSystemSyncAccessHandle, which the DOM typings this project compiles with do not declare. */
interface SyncAccessHandle {
  write(buffer: Uint8Array<ArrayBuffer>, options?: { at?: number }): number;
  flush(): void;
  truncate(size: number): void;
  getSize(): number;
  close(): void;
}

/** The parts of DedicatedWorkerGlobalScope this worker uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply): void;
}

const scope = self as unknown as WorkerScope;
const handles = new Map<string, SyncAccessHandle>();
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
    scope.postMessage(reply);
  });
};
