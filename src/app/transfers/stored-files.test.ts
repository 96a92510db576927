/**
 * The sender's reads of its stored copy (stored-files.ts): chunks copied out of 1 MiB blocks into
 * the caller's buffers, block buffers used again only once no read needs them, and the Blob
 * when the storage cannot open a reader.
 */
import { describe, expect, it } from 'vitest';
import { FileStorageError, type FileStorage, type ReadableFile } from '../../store/file-storage';
import { createMemoryFileStorage } from '../../store/memory-file-storage';
import { buildMerkleTree, merkleLeafHash } from '../../crypto/merkle';
import {
  READ_BLOCK_BYTES,
  blobReadable,
  blockReader,
  lazyChunkReader,
  openStoredCopy,
  storeForSending,
} from './stored-files';

const CHUNK = 64 * 1024;
const PER_BLOCK = READ_BLOCK_BYTES / CHUNK;

/** `length` bytes that differ from chunk to chunk and within one (a misplaced byte shows). */
function fileBytes(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + Math.floor(i / CHUNK)) & 0xff;
  return out;
}

/**
 * A ReadableFile over `bytes` that records the buffers it was given and answers each read only
 * when the test says (`settle`), filling the buffer then, as the OPFS worker does.
 */
function heldFile(bytes: Uint8Array) {
  const given: ArrayBuffer[] = [];
  const waiting: (() => void)[] = [];
  const file: ReadableFile = {
    size: bytes.length,
    read: async (position, into) => {
      given.push(into.buffer);
      await new Promise<void>((resolve) => waiting.push(resolve));
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return into.subarray(0, n);
    },
    close: async () => {
      await Promise.resolve();
    },
  };
  const settle = async (): Promise<void> => {
    while (waiting.length > 0) waiting.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { file, given, settle };
}

/** Where `actual` first differs from `expected` (-1 when equal): fast on MiBs, unlike toEqual. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return n;
}

async function readChunk(reader: ReturnType<typeof blockReader>, index: number): Promise<Uint8Array> {
  const into = new Uint8Array(CHUNK);
  const n = await reader.read(index, into);
  return into.subarray(0, n);
}

describe('blockReader', () => {
  it('copies every chunk out of its block, in order and out of it, the last one short', async () => {
    const size = 2 * READ_BLOCK_BYTES + 3 * CHUNK + 123;
    const bytes = fileBytes(size);
    const reader = blockReader(blobReadable(new Blob([bytes])), CHUNK);
    const count = Math.ceil(size / CHUNK);
    const order = [...Array(count).keys()];
    for (const index of [...order, ...order.reverse(), 5, 40, 0, count - 1]) {
      expect(
        firstDifference(await readChunk(reader, index), bytes.subarray(index * CHUNK, (index + 1) * CHUNK)),
      ).toBe(-1);
    }
    expect((await readChunk(reader, count - 1)).length).toBe(123);
  });

  it('reads each block once into at most three buffers for a whole file, however long', async () => {
    const blocks = 12;
    const bytes = fileBytes(blocks * READ_BLOCK_BYTES);
    const { file, given, settle } = heldFile(bytes);
    const reader = blockReader(file, CHUNK);
    for (let index = 0; index < blocks * PER_BLOCK; index++) {
      const chunk = reader.read(index, new Uint8Array(CHUNK));
      await settle();
      expect(await chunk).toBe(CHUNK);
    }
    expect(given).toHaveLength(blocks);
    expect(new Set(given).size).toBeLessThanOrEqual(3);
  });

  it('does not give a block’s buffer to another read while the block is still kept or read from', async () => {
    const bytes = fileBytes(6 * READ_BLOCK_BYTES);
    const { file, settle } = heldFile(bytes);
    const reader = blockReader(file, CHUNK);
    const want = (index: number) => bytes.subarray(index * CHUNK, (index + 1) * CHUNK);
    // Blocks 0 and 1 read whole, then a chunk of block 0 again (still kept: the two latest).
    for (let index = 0; index < 2 * PER_BLOCK; index++) {
      const chunk = readChunk(reader, index);
      await settle();
      expect(firstDifference(await chunk, want(index))).toBe(-1);
    }
    const again = readChunk(reader, 5);
    await settle();
    expect(firstDifference(await again, want(5))).toBe(-1);
    // Reads waiting on block 2 while blocks 3, 4 and 5 are asked for (2 leaves the cache meanwhile).
    const waiting = [2 * PER_BLOCK, 2 * PER_BLOCK + 7].map(async (i) => readChunk(reader, i));
    const later = [3, 4, 5].map(async (b) => readChunk(reader, b * PER_BLOCK + 1));
    await settle();
    const [w0, w1] = await Promise.all(waiting);
    expect([
      firstDifference(w0!, want(2 * PER_BLOCK)),
      firstDifference(w1!, want(2 * PER_BLOCK + 7)),
    ]).toEqual([-1, -1]);
    const got = await Promise.all(later);
    expect(got.map((g, i) => firstDifference(g, want((i + 3) * PER_BLOCK + 1)))).toEqual([-1, -1, -1]);
    for (const index of [5 * PER_BLOCK, 4 * PER_BLOCK + 3, 5 * PER_BLOCK + 15]) {
      const chunk = readChunk(reader, index);
      await settle();
      expect(firstDifference(await chunk, want(index))).toBe(-1);
    }
  });

  it('reads a block again after a read of it failed', async () => {
    const bytes = fileBytes(READ_BLOCK_BYTES);
    let fail = true;
    const inner = blobReadable(new Blob([bytes]));
    const reader = blockReader(
      {
        ...inner,
        read: async (position, into) => {
          if (fail) throw new FileStorageError('FAILED', 'The disk was busy.');
          return inner.read(position, into);
        },
      },
      CHUNK,
    );
    await expect(readChunk(reader, 3)).rejects.toThrow('The disk was busy.');
    fail = false;
    expect(firstDifference(await readChunk(reader, 3), bytes.subarray(3 * CHUNK, 4 * CHUNK))).toBe(-1);
  });
});

describe('the stored copy a pump reads', () => {
  it('opens a reader where the storage has one, the Blob where it cannot, and closes with the pump', async () => {
    const bytes = fileBytes(3 * CHUNK);
    const storage = createMemoryFileStorage();
    const w = await storage.openWritable('out-copy');
    await w.write(0, bytes.slice());
    await w.close();
    const blob = new Blob([bytes]);
    let opened = 0;
    let closed = 0;
    const counting: FileStorage = {
      ...storage,
      openReadable: async (name) => {
        opened++;
        const r = await storage.openReadable(name);
        return (
          r && {
            ...r,
            read: r.read.bind(r),
            close: async () => {
              await Promise.resolve();
              closed++;
            },
          }
        );
      },
    };
    const reader = lazyChunkReader(async () => openStoredCopy(counting, 'out-copy', blob), CHUNK);
    expect(opened).toBe(0); // not before the first read
    const into = new Uint8Array(CHUNK);
    expect(await reader.read(2, into)).toBe(CHUNK);
    expect(firstDifference(into, bytes.subarray(2 * CHUNK))).toBe(-1);
    await reader.close();
    expect([opened, closed]).toEqual([1, 1]);

    const refusing: FileStorage = {
      ...storage,
      openReadable: async () => {
        await Promise.resolve();
        throw new FileStorageError('UNAVAILABLE', 'This browser cannot keep files on this device.');
      },
    };
    const fromBlob = await openStoredCopy(refusing, 'out-copy', blob);
    expect([...(await fromBlob.read(CHUNK, new Uint8Array(4)))]).toEqual([
      ...bytes.subarray(CHUNK, CHUNK + 4),
    ]);
    const missing = await openStoredCopy(storage, 'not-there', blob);
    expect(missing.size).toBe(blob.size);
  });
});

describe('the copy made before the offer', () => {
  it('reads the picked file a MiB at a time and stores the same bytes with the root of its chunks', async () => {
    const size = 2 * READ_BLOCK_BYTES + 5 * CHUNK + 99;
    const bytes = fileBytes(size);
    const real = new Blob([bytes]);
    let slices = 0;
    const picked = {
      size,
      slice: (start?: number, end?: number) => {
        slices++;
        return real.slice(start, end);
      },
    } as Blob;
    const storage = createMemoryFileStorage();
    const root = await storeForSending(storage, 'out-copy', picked, CHUNK);
    expect(slices).toBe(3);
    const stored = new Uint8Array(await (await storage.read('out-copy'))!.arrayBuffer());
    expect(firstDifference(stored, bytes)).toBe(-1);
    const leaves: Uint8Array[] = [];
    for (let at = 0; at < size; at += CHUNK)
      leaves.push(await merkleLeafHash(bytes.subarray(at, at + CHUNK)));
    expect(root).toEqual(buildMerkleTree(leaves).root);
    const hashes = new Uint8Array(await (await storage.read('out-copy-h'))!.arrayBuffer());
    expect(hashes.length).toBe(leaves.length * 32);
    expect(hashes.subarray(32 * 37, 32 * 38)).toEqual(leaves[37]); // the last, short chunk
  });
});
