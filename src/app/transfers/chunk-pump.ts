/**
 * The sending side of one file transfer over one live session: reads the stored copy a chunk at a
 * time, encrypts it with its Merkle proof under the per-file key (file-chunk.ts) and sends it as a
 * FILE_CHUNK frame, never holding more than a chunk or two in memory.
 *
 * What to send comes only from the receiver's acks (`file-chunk-ack`: the chunks it holds, verified
 * and on disk), so a new session, a route change or a reload on either side continues from there:
 *
 *   receiver ──ack(ranges)──► pump: send every chunk not in ranges, in order, within the window
 *   receiver ──ack(ranges)──► chunk i missing while one sent after it is held: i was refused
 *                             (a tampered or corrupt chunk), send it again
 *   no ack moves for STALL_MS while chunks are out: send those again (a refused last chunk)
 *
 * Flow control: at most WINDOW_CHUNKS sent and not acknowledged (the receiver's disk sets the
 * pace), and the channel's buffered amount kept under its high-water mark (`drain()` waits for the
 * browser's bufferedamountlow), so memory stays flat at any file size.
 */
import { releaseBuffer } from '../../crypto/bytes';
import { contains, rangesCount } from '../../protocol/chunk-ranges';
import { chunkFrameParts, chunkPlaintextLength, sealChunk, type FileKey } from '../../protocol/file-chunk';
import type { MerkleTree } from '../../crypto/merkle';
import type { ChunkRange } from '../../store/file-types';

/** Chunks in flight at most (32 MiB of 64 KiB chunks): four of the receiver's fullest flushes. */
export const WINDOW_CHUNKS = 512;
/** Chunks read and sealed ahead of the one going out: 1 MiB, what the channel takes after a drain. */
export const PIPELINE = 16;
/** With chunks out and no ack moving for this long, they are sent again. */
export const STALL_MS = 4_000;

/** What the pump needs of the live session. */
export interface PumpTarget {
  open(): boolean;
  /** A FILE_CHUNK's payload in parts (chunkFrameParts), unchanged until the promise settles. */
  sendChunk(parts: readonly Uint8Array[]): Promise<void>;
  /** Bytes the channel holds unsent; undefined when it cannot say (then only the window limits). */
  bufferedAmount(): number | undefined;
  /** Resolves once the channel's buffer is below its low-water mark. */
  drain(): Promise<void>;
  /** The channel's high-water mark. */
  readonly highWater: number;
}

export interface PumpOptions {
  fileId: Uint8Array;
  count: number;
  key: FileKey;
  tree: MerkleTree;
  /** Chunks of a file are this long (the last may be shorter). */
  chunkSize: number;
  /** Copies the plaintext of chunk `index` from the stored copy into `into`; resolves with its length. */
  read(index: number, into: Uint8Array<ArrayBuffer>): Promise<number>;
  target: PumpTarget;
  /** The receiver's holdings as last acknowledged. */
  have: readonly ChunkRange[];
  now?: () => number;
}

export interface ChunkPump {
  /** The receiver's newest ack. */
  acked(ranges: readonly ChunkRange[]): void;
  /** Runs until every chunk is held by the receiver ('done'), or the session or `stop` ends it. */
  run(): Promise<'done' | 'stopped'>;
  stop(): void;
}

export function createChunkPump(o: PumpOptions): ChunkPump {
  const now = o.now ?? Date.now;
  let have = o.have;
  let stopped = false;
  /** The next chunk in order not yet sent on this session. */
  let cursor = 0;
  /** Chunks sent on this session and not yet held, with the order they went in. */
  const out = new Map<number, number>();
  const resend: number[] = [];
  let order = 0;
  let lastProgress = now();
  let wake: (() => void) | undefined;

  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  /** The next chunk to send; `preparing` more are taken and not yet out. */
  const nextIndex = (preparing: number): number | undefined => {
    while (resend.length > 0) {
      const i = resend.shift()!;
      if (!contains(have, i)) return i;
    }
    if (out.size + preparing >= WINDOW_CHUNKS) return undefined;
    while (cursor < o.count && (contains(have, cursor) || out.has(cursor))) cursor++;
    return cursor < o.count ? cursor++ : undefined;
  };

  const sleep = async (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const checkStall = (): void => {
    if (out.size === 0 || now() - lastProgress < STALL_MS) return;
    lastProgress = now();
    for (const i of [...out.keys()].sort((a, b) => a - b)) if (!resend.includes(i)) resend.push(i);
  };

  return {
    acked(ranges) {
      if (rangesCount(ranges) > rangesCount(have)) lastProgress = now();
      have = ranges;
      let newestHeld = -1;
      for (const [i, seq] of out) {
        if (contains(have, i)) {
          out.delete(i);
          newestHeld = Math.max(newestHeld, seq);
        }
      }
      // Chunks sent before one the receiver holds, and not held themselves, were refused.
      for (const [i, seq] of out) {
        if (seq < newestHeld && !resend.includes(i)) resend.push(i);
      }
      resend.sort((a, b) => a - b);
      poke();
    },
    async run() {
      const { target } = o;
      // Up to PIPELINE chunks read and sealed ahead of the one going out (WebCrypto works on other
      // threads meanwhile); they go out in the order they were taken. Each is read straight into
      // its place in a plaintext buffer taken from `spare` (after k ‖ proof ‖ 0x00) and given back
      // once sealed, so a transfer allocates no new plaintext buffer per chunk (fewer 64 KiB
      // buffers for the garbage collector) and copies no chunk twice, and its frame is assembled
      // from two parts at once (chunkFrameParts, FrameProtector.seal).
      const ready: { index: number; frame: Promise<readonly Uint8Array[]> }[] = [];
      const spare: Uint8Array<ArrayBuffer>[] = [];
      const prepare = async (index: number): Promise<readonly Uint8Array[]> => {
        const proof = o.tree.proof(index);
        const at = chunkPlaintextLength(proof.length, 0);
        let scratch = spare.pop();
        if (!scratch || scratch.length < at + o.chunkSize) scratch = new Uint8Array(at + o.chunkSize);
        try {
          const length = await o.read(index, scratch.subarray(at, at + o.chunkSize));
          const chunk = scratch.subarray(at, at + length);
          const sealed = await sealChunk(o.key, o.fileId, index, o.count, proof, chunk, scratch);
          return chunkFrameParts({ fileId: o.fileId, index, sealed });
        } finally {
          spare.push(scratch);
        }
      };
      while (!stopped && target.open()) {
        if (rangesCount(have) >= o.count) return 'done';
        checkStall();
        while (ready.length < PIPELINE) {
          const index = nextIndex(ready.length);
          if (index === undefined) break;
          const frame = prepare(index);
          frame.catch(() => undefined); // awaited below, in order
          ready.push({ index, frame });
        }
        const next = ready.shift();
        if (!next) {
          await sleep(Math.min(STALL_MS, 500));
          continue;
        }
        const frame = await next.frame;
        try {
          await target.sendChunk(frame);
        } catch {
          return 'stopped'; // the session closed: the next one continues from the receiver's acks
        }
        // The sealed chunk (WebCrypto's output, the pump's own) is in the frame sent: freed now.
        releaseBuffer(frame[frame.length - 1]!);
        out.set(next.index, order++);
        const buffered = target.bufferedAmount();
        if (buffered !== undefined && buffered > target.highWater) {
          try {
            await target.drain();
          } catch {
            return 'stopped';
          }
        }
      }
      return stopped ? 'stopped' : rangesCount(have) >= o.count ? 'done' : 'stopped';
    },
    stop() {
      stopped = true;
      poke();
    },
  };
}
