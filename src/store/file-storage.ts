/**
 * Where transferred files live on this device: a name-keyed store of byte files that a receiver
 * writes chunk by chunk at any position (out of order, resumed after a reload) and later reads back
 * as a disk-backed Blob without loading it into memory. The app uses the Origin Private File System
 * (opfs-file-storage.ts); tests use memory-file-storage.ts, which keeps the same contract
 * (file-storage.test.ts).
 */

export interface WritableFile {
  /** Writes `data` at byte `position` (the buffer may be transferred to a worker: the caller must not use it afterwards). */
  write(position: number, data: Uint8Array<ArrayBuffer>): Promise<void>;
  /**
   * The same write without an answer of its own, for many writes in a row (a transfer's chunks):
   * its promise settles once a later call on this file that is answered (flush, size, truncate,
   * close, write) settles, or rejects with the write's own error. So it must not be awaited before
   * such a call is made: queue writes, call flush(), then await both.
   */
  queueWrite(position: number, data: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Resolves once everything written so far is durable (survives a reload or a crash of the page). */
  flush(): Promise<void>;
  /** Cuts or extends the file to `size` bytes. */
  truncate(size: number): Promise<void>;
  /** Current size in bytes. */
  size(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A stored file opened for reading in pieces into buffers the caller keeps reusing (a sender's
 * read of its own copy, a MiB at a time): no new buffer per read, and in the OPFS storage no trip
 * through the browser's process (getFile()'s Blob reads cost several times the CPU).
 */
export interface ReadableFile {
  /** The file's size in bytes when it was opened. */
  readonly size: number;
  /**
   * Reads up to `into.length` bytes at byte `position`. `into`'s buffer is given over (the OPFS
   * storage transfers it to its worker and back): the caller must not use it until the promise
   * settles, and then uses the view it resolves with, the bytes read, in that same buffer (shorter
   * than `into` only at the end of the file; empty past it).
   */
  read(position: number, into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  close(): Promise<void>;
}

export interface FileStorage {
  /** Opens (creating when missing, keeping what is there) the file kept under `name` ([A-Za-z0-9_-]{1,80}); one writer a name at a time. */
  openWritable(name: string): Promise<WritableFile>;
  /** The stored file as a disk-backed Blob/File (never read into memory), or undefined. */
  read(name: string): Promise<Blob | undefined>;
  /**
   * Opens `name` for reading into the caller's buffers, or undefined when there is no such file;
   * several readers of a name may be open at once. Throws FileStorageError UNAVAILABLE where the
   * browser cannot read that way without locking the file against others (read() still works).
   */
  openReadable(name: string): Promise<ReadableFile | undefined>;
  remove(name: string): Promise<void>;
  /** Names kept (to clean up files no message refers to). */
  list(): Promise<string[]>;
  /** navigator.storage.estimate(): bytes used and the quota; undefined when the browser does not say. */
  estimate(): Promise<{ usage: number; quota: number } | undefined>;
  /** Removes every file kept here ("Delete everything"); writers open now end. */
  destroy(): Promise<void>;
}

export type FileStorageErrorCode = 'UNAVAILABLE' | 'QUOTA' | 'FAILED';

/**
 * What file storage throws when the platform fails: no way to keep files here (UNAVAILABLE), the
 * device or the origin's quota is full (QUOTA), anything else (FAILED). The message is a sentence
 * a person can read. A caller's mistake (a malformed name, a negative position) is a RangeError.
 */
export class FileStorageError extends Error {
  override readonly name = 'FileStorageError';
  constructor(
    readonly code: FileStorageErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: FileStorageErrorCode): e is FileStorageError {
    return e instanceof FileStorageError && (code === undefined || e.code === code);
  }
}

/** The sentences each code carries unless a more precise one applies. */
export const FILE_STORAGE_MESSAGES = {
  UNAVAILABLE: 'This browser cannot keep files on this device.',
  QUOTA: 'This device is out of storage space: free some space, then try again.',
  FAILED: 'This device could not save the file.',
  BUSY: 'This file is already being written, here or in another tab.',
  CLOSED: 'This file was closed, or removed, while it was being written.',
  READ_CLOSED: 'This file was closed, or removed, while it was being read.',
} as const;

/** The folder of navigator.storage.getDirectory() that the OPFS storage keeps files in. */
export const OPFS_DIRECTORY = 'secmsg-files';

/**
 * The FileStorageError for what a storage API threw: QuotaExceededError is QUOTA; a platform
 * without the API (SecurityError, NotSupportedError, a missing method's TypeError) is UNAVAILABLE;
 * anything else is FAILED. The original stays as the cause.
 */
export function toFileStorageError(e: unknown): FileStorageError {
  if (FileStorageError.is(e)) return e;
  const name = e instanceof Error ? e.name : '';
  if (name === 'QuotaExceededError')
    return new FileStorageError('QUOTA', FILE_STORAGE_MESSAGES.QUOTA, { cause: e });
  if (name === 'SecurityError' || name === 'NotSupportedError')
    return new FileStorageError('UNAVAILABLE', FILE_STORAGE_MESSAGES.UNAVAILABLE, { cause: e });
  if (name === 'NoModificationAllowedError')
    return new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.BUSY, { cause: e });
  return new FileStorageError('FAILED', FILE_STORAGE_MESSAGES.FAILED, { cause: e });
}

/** A stored file's name: what openWritable, read and remove accept. */
export const FILE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Throws a RangeError naming the argument unless `name` is a valid stored file name. */
export function checkFileName(name: string): void {
  if (!FILE_NAME.test(name))
    throw new RangeError(`name must be 1 to 80 of A-Z, a-z, 0-9, '-' and '_': ${name}`);
}

/** Throws a RangeError naming the argument unless `value` is a byte offset or size. */
export function checkOffset(argument: 'position' | 'size', value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${argument} must be a whole number of bytes, 0 or more: ${value}`);
}
