/**
 * The receiving side of one file transfer: every FILE_CHUNK is checked before a byte of it is
 * written (file-chunk.ts: AES-GCM under the per-file key, bound to the file id, index and count;
 * then its Merkle proof against the root the offer carried, crypto/merkle.ts), written to the
 * device's file storage at its place, and acknowledged only once durable: a batch of chunks is
 * flushed, its ranges stored with the message, then acked, so an ack never names a chunk a reload
 * could lose, and the sender's progress (which comes from these acks) never runs ahead of the disk.
 *
 * A chunk that fails a check is refused (nothing written) and the ack goes at once, so the sender
 * sends it again (chunk-pump.ts). The same chunk refused MAX_REFUSALS times means the offer's root
 * does not describe the file the sender has (a wrong hash list): the transfer fails with a sentence
 * and nothing partial is ever shown as complete.
 */
import { releaseBuffer } from '../../crypto/bytes';
import { createMerkleVerifier, merkleLeafHashPrefixed } from '../../crypto/merkle';
import { addRange, contains, rangesCount } from '../../protocol/chunk-ranges';
import { openChunk, type ChunkFrame, type FileKey, type OpenedChunk } from '../../protocol/file-chunk';
import type { WritableFile } from '../../store/file-storage';
import type { ChunkRange } from '../../store/file-types';

/**
 * Chunks written between two flushes and acks at most (8 MiB of 64 KiB chunks): each ack is a
 * flush to disk, a ratchet message and stored records on both sides, and a move of both progress
 * bars, so fewer of them leave more of the CPU to the transfer; a reload loses at most this much,
 * and the sender's window (chunk-pump.ts) holds four of them.
 */
export const ACK_EVERY_CHUNKS = 128;
/**
 * A batch is flushed and acked at the latest this long after its first chunk: on a slow link the
 * progress still moves every second; above 8 MiB/s the batch fills first. (A quarter of a second
 * meant four acks a second at any speed below 16 MiB/s, each costing both sides CPU.)
 */
export const ACK_AFTER_MS = 1_000;
/** The same chunk refused this many times fails the transfer. */
export const MAX_REFUSALS = 3;

export const WRONG_HASHES =
  'This file could not be verified: its pieces did not match the fingerprint it was sent with, so the transfer was stopped and nothing was saved.';

export interface IntakeOptions {
  fileId: Uint8Array;
  size: number;
  chunkSize: number;
  count: number;
  root: Uint8Array;
  key: FileKey;
  writable: WritableFile;
  have: readonly ChunkRange[];
  /** Stores the ranges now durable (with the message), before they are acknowledged. */
  persist(have: readonly ChunkRange[]): Promise<void>;
  /** Sends the ack; false when no session can carry it now. */
  ack(have: readonly ChunkRange[]): Promise<void>;
  /** A refused chunk, for the security log and tests. */
  refused(index: number, why: string): void;
  /** The transfer cannot succeed: `sentence` says why. */
  failed(sentence: string): Promise<void>;
  /** Every chunk is durable. */
  complete(): Promise<void>;
}

export interface ChunkIntake {
  /**
   * Takes a received FILE_CHUNK, and with it the buffer under `frame.sealed` (a frame the
   * transport received, which nothing else reads): it is released once the chunk is decrypted.
   */
  receive(frame: ChunkFrame): Promise<void>;
  /** Acknowledges what is held now (a new session asks the sender to continue from here). */
  announce(): Promise<void>;
  readonly have: readonly ChunkRange[];
  close(): Promise<void>;
}

export function createChunkIntake(o: IntakeOptions): ChunkIntake {
  let have: readonly ChunkRange[] = o.have;
  /** Chunks arrive in order, so each path is hashed only up to where it meets the one before. */
  const paths = createMerkleVerifier(o.root, o.count);
  /** Written since the last flush began. */
  let pending = new Set<number>();
  /** Written, in a flush under way: not held yet, not to be written again. */
  const flushing = new Set<number>();
  /** Writes handed to storage and not yet awaited (they run in order in its worker). */
  let writes: Promise<void>[] = [];
  const refusals = new Map<number, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  let tail: Promise<void> = Promise.resolve();
  const serial = async (task: () => Promise<void>): Promise<void> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
  /** Flushes run one after another, each after the writes before it; chunks keep coming meanwhile. */
  let flushes: Promise<void> = Promise.resolve();

  const total = (): number => rangesCount(have);
  const known = (index: number): boolean =>
    pending.has(index) || flushing.has(index) || contains(have, index);

  const fail = async (sentence: string): Promise<void> => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearTimeout(timer);
    await o.writable.close().catch(() => undefined);
    await o.failed(sentence);
  };

  /**
   * Makes what is written so far durable, stores it as held, then acknowledges it (and all held
   * before). Not awaited by the chunks that follow: the disk's flush and the store's write overlap
   * with reading the next ones.
   */
  const startFlush = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    const batchWrites = writes;
    pending = new Set();
    writes = [];
    for (const i of batch) flushing.add(i);
    const run = flushes.then(async () => {
      if (ended) return;
      if (batch.size > 0) {
        try {
          // Asked for before the writes are awaited: queued writes settle with the flush's answer.
          const flushed = o.writable.flush();
          flushed.catch(() => undefined); // awaited below, after the writes
          await Promise.all(batchWrites);
          await flushed;
        } catch (e) {
          // The disk refused (full, gone): nothing more can be written; say why.
          await fail(e instanceof Error && e.message ? e.message : 'This device could not save the file.');
          return;
        }
        let next = have;
        for (const i of batch) next = addRange(next, i);
        await o.persist(next);
        have = next;
        for (const i of batch) flushing.delete(i);
      }
      if (total() >= o.count) {
        ended = true;
        await o.writable.close();
        await o.complete();
      }
      // Not awaited: the ack goes through the conversation's ratchet while the next chunks are read.
      void o.ack(have).catch(() => undefined);
    });
    flushes = run.catch(() => undefined);
    return run;
  };

  const refuse = async (index: number, why: string): Promise<void> => {
    o.refused(index, why);
    const n = (refusals.get(index) ?? 0) + 1;
    refusals.set(index, n);
    if (n >= MAX_REFUSALS) {
      await fail(WRONG_HASHES);
      return;
    }
    // At once, so the sender learns of it and sends the chunk again.
    await startFlush();
  };

  type Checked = { plaintext: Uint8Array<ArrayBuffer> } | { refused: string } | 'repeat';

  /** Decrypts and verifies a chunk: started as it arrives, so several are checked at once. */
  const check = async (f: ChunkFrame): Promise<Checked> => {
    const { index } = f;
    if (index >= o.count) return { refused: 'A file chunk arrived with an index past the end of the file.' };
    if (known(index)) return 'repeat';
    let opened: OpenedChunk;
    try {
      opened = await openChunk(o.key, o.fileId, index, o.count, f.sealed);
    } catch {
      return { refused: 'A file chunk failed its integrity check and was refused.' };
    } finally {
      // The received frame is read whole by now (its plaintext is a buffer of its own).
      releaseBuffer(f.sealed);
    }
    const expected = index === o.count - 1 ? o.size - index * o.chunkSize : o.chunkSize;
    if (opened.chunk.length !== expected) return { refused: 'A file chunk arrived with the wrong length.' };
    const leaf = await merkleLeafHashPrefixed(opened.leafInput);
    if (!paths.verify(index, leaf, opened.proof)) {
      return { refused: 'A file chunk did not match the file’s fingerprint and was refused.' };
    }
    return { plaintext: opened.chunk };
  };

  /** Takes a checked chunk, in arrival order: written (not yet awaited), held once flushed. */
  const accept = async (index: number, checked: Checked): Promise<void> => {
    if (ended || checked === 'repeat' || known(index)) return;
    if ('refused' in checked) return refuse(index, checked.refused);
    const write = o.writable.queueWrite(index * o.chunkSize, checked.plaintext);
    write.catch(() => undefined); // awaited by its flush
    writes.push(write);
    pending.add(index);
    if (pending.size >= ACK_EVERY_CHUNKS || total() + flushing.size + pending.size >= o.count) {
      void startFlush().catch(() => undefined);
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        void serial(startFlush).catch(() => undefined);
      }, ACK_AFTER_MS);
    }
  };

  return {
    receive: async (frame) => {
      if (ended) return;
      const checked = check(frame);
      checked.catch(() => undefined); // awaited in order below
      await serial(async () => accept(frame.index, await checked));
    },
    announce: async () => serial(startFlush),
    get have() {
      return have;
    },
    close: async () =>
      serial(async () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        await flushes;
        if (!ended) {
          ended = true;
          await o.writable.close();
        }
      }),
  };
}
