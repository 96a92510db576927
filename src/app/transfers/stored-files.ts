/**
 * A file's bytes on this device (file-storage.ts) for transfers.ts: the sender's own copy, made
 * before the offer so that a transfer survives a reload of the sending page (the File the person
 * picked is gone after one), hashed chunk by chunk on the way (RFC 9162 leaves, kept beside the
 * copy as `<name>-h` so the Merkle proofs can be rebuilt after a reload); and the sweep that
 * removes bytes no message needs any more.
 */
import { fromHex } from '../../crypto/bytes';
import { buildMerkleTree, merkleLeafHash } from '../../crypto/merkle';
import type { FileStorage, ReadableFile } from '../../store/file-storage';
import { isActiveTransfer } from '../../store/file-types';
import type { Stores } from '../../store/stores';

/** Bytes read from the stored copy at a time: a read costs a trip to the disk whatever its size. */
export const READ_BLOCK_BYTES = 1024 * 1024;

/**
 * Copies `blob` into storage under `name` a block of READ_BLOCK_BYTES at a time (never all of it in
 * memory; a Blob read costs a trip through the browser's process whatever its size, so not one a
 * chunk), hashing each chunk of the block as a Merkle leaf; its Merkle root.
 */
export async function storeForSending(
  storage: FileStorage,
  name: string,
  blob: Blob,
  chunkSize: number,
): Promise<Uint8Array> {
  const leaves: Uint8Array[] = [];
  try {
    const writable = await storage.openWritable(name);
    try {
      await writable.truncate(0);
      const block = Math.max(1, Math.floor(READ_BLOCK_BYTES / chunkSize)) * chunkSize;
      for (let at = 0; at < blob.size; at += block) {
        const bytes = new Uint8Array(await blob.slice(at, Math.min(blob.size, at + block)).arrayBuffer());
        const hashes: Promise<Uint8Array>[] = [];
        for (let c = 0; c < bytes.length; c += chunkSize)
          hashes.push(merkleLeafHash(bytes.subarray(c, c + chunkSize)));
        leaves.push(...(await Promise.all(hashes)));
        await writable.write(at, bytes); // hands the buffer over: hashed first
      }
      await writable.flush();
    } finally {
      await writable.close();
    }
    const hashes = await storage.openWritable(`${name}-h`);
    try {
      const all = new Uint8Array(leaves.length * 32);
      leaves.forEach((l, i) => all.set(l, i * 32));
      await hashes.truncate(0);
      await hashes.write(0, all);
      await hashes.flush();
    } finally {
      await hashes.close();
    }
  } catch (e) {
    // Nothing half-made stays behind (out of space, a file that could not be read).
    await storage.remove(name).catch(() => undefined);
    await storage.remove(`${name}-h`).catch(() => undefined);
    throw e;
  }
  return buildMerkleTree(leaves).root;
}

/**
 * Removes the stored bytes no message needs any more: its message is gone (deleted for me, the
 * conversation deleted) or deleted for everyone, or its transfer ended without the file (an active
 * transfer of a deleted message is cancelled first). `preparing`: copies no message names yet.
 */
export async function sweepFiles(
  storage: FileStorage,
  stores: Stores,
  preparing: ReadonlySet<string>,
  cancel: (contactId: string, fileId: Uint8Array) => Promise<void>,
): Promise<void> {
  for (const name of await storage.list()) {
    const parts = /^(?:in|out)-([0-9a-f]+)-([0-9a-f]{32})(?:-h)?$/.exec(name);
    if (!parts || preparing.has(name.replace(/-h$/, ''))) continue;
    const contactId = parts[1]!;
    const fileId = fromHex(parts[2]!);
    const message = await stores.messages.get(contactId, fileId);
    const file = message?.file;
    if (file && message.deletedAt === undefined && (isActiveTransfer(file.state) || file.state === 'done')) {
      continue;
    }
    if (file && isActiveTransfer(file.state)) await cancel(contactId, fileId);
    await storage.remove(name).catch(() => undefined);
  }
}

/**
 * The sender's copy opened for reading into reused buffers (FileStorage.openReadable), or where the
 * browser cannot (no read-only access handles) the Blob it already has, read the same way.
 */
export async function openStoredCopy(storage: FileStorage, name: string, blob: Blob): Promise<ReadableFile> {
  try {
    const file = await storage.openReadable(name);
    if (file) return file;
  } catch {
    // UNAVAILABLE (a browser without read-only handles) or a failed open: the Blob still reads.
  }
  return blobReadable(blob);
}

/** `blob` as a ReadableFile: each read a slice of it, copied into the caller's buffer. */
export function blobReadable(blob: Blob): ReadableFile {
  return {
    size: blob.size,
    async read(position, into) {
      const bytes = new Uint8Array(await blob.slice(position, position + into.length).arrayBuffer());
      into.set(bytes);
      return into.subarray(0, bytes.length);
    },
    async close() {},
  };
}

/** Copies chunks of a stored file into the caller's buffers. */
export interface ChunkReader {
  /** Copies chunk `index` into `into` (room for a whole chunk); resolves with its length. */
  read(index: number, into: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

/**
 * Reads `file` a block of READ_BLOCK_BYTES at a time (the two latest kept), so the sender asks the
 * disk once per 16 chunks, and copies each chunk out of its block into the caller's buffer. Blocks
 * are read into buffers used again once no read is copying out of them (a count of the reads
 * waiting on each): a transfer allocates no new MiB per block.
 */
export function blockReader(file: ReadableFile, chunkSize: number): ChunkReader {
  const chunksPerBlock = Math.max(1, Math.floor(READ_BLOCK_BYTES / chunkSize));
  const blockBytes = chunksPerBlock * chunkSize;
  interface Block {
    bytes: Promise<Uint8Array<ArrayBuffer>>;
    /** Reads waiting on this block or copying out of it. */
    users: number;
    /** Out of the cache: its buffer is free once no read uses it. */
    dropped: boolean;
  }
  const blocks = new Map<number, Block>();
  const spare: Uint8Array<ArrayBuffer>[] = [];
  const recycle = (block: Block): void => {
    if (!block.dropped || block.users > 0) return;
    block.bytes.then(
      (bytes) => {
        if (spare.length < 2) spare.push(new Uint8Array(bytes.buffer));
      },
      () => undefined,
    );
  };
  const blockFor = (n: number): Block => {
    const cached = blocks.get(n);
    if (cached) return cached;
    const buffer = spare.pop() ?? new Uint8Array(blockBytes);
    const block: Block = { bytes: file.read(n * blockBytes, buffer), users: 0, dropped: false };
    // A failed read is not kept: the next read of the block tries again.
    block.bytes.catch(() => {
      if (blocks.get(n) === block) blocks.delete(n);
    });
    blocks.set(n, block);
    for (const [k, old] of blocks) {
      if (k >= n - 1 && k <= n) continue;
      blocks.delete(k);
      old.dropped = true;
      recycle(old);
    }
    return block;
  };
  return {
    async read(index, into) {
      const block = blockFor(Math.floor(index / chunksPerBlock));
      block.users++;
      try {
        const bytes = await block.bytes;
        const offset = (index % chunksPerBlock) * chunkSize;
        const piece = bytes.subarray(
          Math.min(offset, bytes.length),
          Math.min(offset + chunkSize, bytes.length),
        );
        into.set(piece);
        return piece.length;
      } finally {
        block.users--;
        recycle(block);
      }
    },
    close: async () => file.close(),
  };
}

/** A {@link blockReader} over the file `open` gives, opened at the first read (a pump starts synchronously). */
export function lazyChunkReader(open: () => Promise<ReadableFile>, chunkSize: number): ChunkReader {
  let reader: Promise<ChunkReader> | undefined;
  return {
    read: async (index, into) =>
      (await (reader ??= open().then((file) => blockReader(file, chunkSize)))).read(index, into),
    close: async () => {
      const opened = await reader?.catch(() => undefined);
      await opened?.close();
    },
  };
}
