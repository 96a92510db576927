/**
 * A file message's part of a stored message (src/app/transfers/): what the `file-offer` record
 * described, the per-file key and Merkle root it carried, and how far the transfer got.
 *
 *   out: preparing → offered ──(the receiver's first chunk ack)──► sending → done
 *   in:  offered ──(accepted here)──► receiving → done
 *   either side, before done: → cancelled (by me or them) | failed (with a sentence)
 *
 * `have` is the chunks the receiver holds, verified and written to disk: on the receiving side its
 * own record, on the sending side the union of the receiver's acks (so the sender's progress never
 * goes backwards, and reaches the end only when the receiver has every chunk). A file small enough
 * to travel inside its offer (`inline`) is kept in the message record itself; a larger one in the
 * device's file storage (file-storage.ts) under `fileStorageName`.
 */
import { toHex } from '../crypto/bytes';
import { StoreError } from './store-error';

export type FileMedia = 'file' | 'image' | 'video' | 'voice';
export type TransferState =
  'preparing' | 'offered' | 'sending' | 'receiving' | 'done' | 'cancelled' | 'failed';

/** A run of chunk indexes [start, end), sorted, disjoint, merged. */
export type ChunkRange = readonly [number, number];

export interface StoredFile {
  readonly name: string;
  readonly mime: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly media: FileMedia;
  readonly durationMs?: number;
  readonly width?: number;
  readonly height?: number;
  /** A small JPEG sent with the offer (images and videos). */
  readonly thumbnail?: Uint8Array;
  /** The whole file, when it travelled inside the offer. */
  readonly inline?: Uint8Array;
  /** The per-file AES-256-GCM key and the Merkle root of its chunks (file-offer record). */
  readonly key: Uint8Array;
  readonly root: Uint8Array;
  readonly state: TransferState;
  readonly have: readonly ChunkRange[];
  /** Who cancelled, when cancelled. */
  readonly cancelledBy?: 'me' | 'them';
  /** Why it failed, in a sentence. */
  readonly error?: string;
}

/** Transfers that may still move; the store indexes messages holding one (`byActiveTransfer`). */
export function isActiveTransfer(state: TransferState): boolean {
  return state === 'preparing' || state === 'offered' || state === 'sending' || state === 'receiving';
}

/** Where a file's bytes are kept on this device (file-storage.ts names: [A-Za-z0-9_-]{1,80}). */
export function fileStorageName(direction: 'in' | 'out', contactId: string, fileId: Uint8Array): string {
  return `${direction}-${contactId}-${toHex(fileId)}`;
}

/** The chunk count of a file. */
export function fileChunkCount(file: Pick<StoredFile, 'size' | 'chunkSize'>): number {
  return Math.ceil(file.size / file.chunkSize);
}

/** Chunks covered by `ranges`. */
export function rangeTotal(ranges: readonly ChunkRange[]): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0);
}

const STATES: ReadonlySet<string> = new Set<TransferState>([
  'preparing',
  'offered',
  'sending',
  'receiving',
  'done',
  'cancelled',
  'failed',
]);
const MEDIA: ReadonlySet<string> = new Set<FileMedia>(['file', 'image', 'video', 'voice']);

function bad(message: string): StoreError {
  return new StoreError('BAD_ARGUMENT', message);
}

/** Checks a file part before it is stored; returns a copy. */
export function checkStoredFile(f: StoredFile): StoredFile {
  if (typeof f.name !== 'string' || f.name === '') throw bad('A file needs a name.');
  if (typeof f.mime !== 'string') throw bad('A file needs a type.');
  if (!Number.isSafeInteger(f.size) || f.size < 1) throw bad('A file size must be a positive integer.');
  if (!Number.isSafeInteger(f.chunkSize) || f.chunkSize < 1)
    throw bad('A chunk size must be a positive integer.');
  if (!MEDIA.has(f.media)) throw bad('A file kind must be file, image, video or voice.');
  if (!STATES.has(f.state)) throw bad('A transfer state is not one SecMsg knows.');
  if (!(f.key instanceof Uint8Array) || f.key.length !== 32) throw bad('A file key must be 32 bytes.');
  if (!(f.root instanceof Uint8Array) || f.root.length !== 32) throw bad('A file root must be 32 bytes.');
  if (f.inline !== undefined && (!(f.inline instanceof Uint8Array) || f.inline.length !== f.size)) {
    throw bad('A file kept in its message must have the size it claims.');
  }
  const count = fileChunkCount(f);
  let last = -1;
  for (const r of f.have) {
    const [a, b] = r;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a <= last || a >= b || b > count) {
      throw bad('A transfer’s chunk ranges must be sorted, separate and inside the file.');
    }
    last = b;
  }
  return copyFile(f);
}

export function copyFile(f: StoredFile): StoredFile {
  return {
    name: f.name,
    mime: f.mime,
    size: f.size,
    chunkSize: f.chunkSize,
    media: f.media,
    ...(f.durationMs === undefined ? {} : { durationMs: f.durationMs }),
    ...(f.width === undefined ? {} : { width: f.width }),
    ...(f.height === undefined ? {} : { height: f.height }),
    ...(f.thumbnail === undefined ? {} : { thumbnail: Uint8Array.from(f.thumbnail) }),
    ...(f.inline === undefined ? {} : { inline: Uint8Array.from(f.inline) }),
    key: Uint8Array.from(f.key),
    root: Uint8Array.from(f.root),
    state: f.state,
    have: f.have.map(([a, b]) => [a, b] as const),
    ...(f.cancelledBy === undefined ? {} : { cancelledBy: f.cancelledBy }),
    ...(f.error === undefined ? {} : { error: f.error }),
  };
}
