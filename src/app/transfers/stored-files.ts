/**
 * A file's bytes on this device (file-storage.ts) for transfers.ts: the sender's own copy, made
 * before the offer so that a transfer survives a reload of the sending page (the File the person
 * picked is gone after one), hashed chunk by chunk on the way (RFC 9162 leaves, kept beside the
 * copy as `<name>-h` so the Merkle proofs can be rebuilt after a reload); and the sweep that
 * removes bytes no message needs any more.
 */
import { fromHex } from '../../crypto/bytes';
import { buildMerkleTree, merkleLeafHash } from '../../crypto/merkle';
import type { FileStorage } from '../../store/file-storage';
import { isActiveTransfer } from '../../store/file-types';
import type { Stores } from '../../store/stores';

/** Copies `blob` into storage under `name` a chunk at a time (never all of it in memory); its Merkle root. */
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
      for (let at = 0; at < blob.size; at += chunkSize) {
        const bytes = new Uint8Array(await blob.slice(at, Math.min(blob.size, at + chunkSize)).arrayBuffer());
        leaves.push(await merkleLeafHash(bytes));
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

/** Bytes read from the stored copy at a time: a read costs a trip to the disk whatever its size. */
export const READ_BLOCK_BYTES = 1024 * 1024;

/**
 * Reads chunk `index` of `source`, a block of READ_BLOCK_BYTES at a time (the two latest kept), so
 * the sender asks the disk once per 16 chunks; chunks are views into their block.
 */
export function blockReader(
  source: Blob,
  chunkSize: number,
): (index: number) => Promise<Uint8Array<ArrayBuffer>> {
  const chunksPerBlock = Math.max(1, Math.floor(READ_BLOCK_BYTES / chunkSize));
  const blocks = new Map<number, Promise<ArrayBuffer>>();
  return async (index) => {
    const block = Math.floor(index / chunksPerBlock);
    let bytes = blocks.get(block);
    if (!bytes) {
      const start = block * chunksPerBlock * chunkSize;
      bytes = source.slice(start, Math.min(source.size, start + chunksPerBlock * chunkSize)).arrayBuffer();
      blocks.set(block, bytes);
      for (const old of blocks.keys()) if (old < block - 1 || old > block) blocks.delete(old);
    }
    const buffer = await bytes;
    const offset = (index % chunksPerBlock) * chunkSize;
    return new Uint8Array(buffer, offset, Math.min(chunkSize, buffer.byteLength - offset));
  };
}
