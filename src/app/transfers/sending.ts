/**
 * The sending side of file transfers: the sender's state of a file message (its stored copy, the
 * Merkle tree of its chunks rebuilt from the stored leaf hashes, the file key), loaded once and
 * again after a reload; the pump that sends over the contact's current live session
 * (chunk-pump.ts); and what the receiver's acks do (progress that never goes backwards, done only
 * when it holds every chunk, a pump on the session the ack came by).
 */
import { buildMerkleTree, type MerkleTree } from '../../crypto/merkle';
import { importFileKey, type FileKey } from '../../protocol/file-chunk';
import type { FileChunkAckRecord } from '../../protocol/file-records';
import {
  type ChunkRange,
  type StoredFile,
  fileChunkCount,
  fileStorageName,
  isActiveTransfer,
  rangeTotal,
} from '../../store/file-types';
import type { ReadableFile } from '../../store/file-storage';
import type { Live } from '../live-sessions';
import { type ChunkPump, type PumpTarget, createChunkPump } from './chunk-pump';
import { lazyChunkReader, openStoredCopy } from './stored-files';
import { type TransferContext, cancelRecord, keyOf } from './transfer-context';

/** The channel's high-water mark the pump keeps under (simple-peer-transport.ts's default). */
const HIGH_WATER = 1024 * 1024;

export interface Outgoing {
  readonly fileId: Uint8Array;
  readonly file: StoredFile;
  readonly key: FileKey;
  readonly tree: MerkleTree;
  /** The stored copy opened for a pump's reads (FileStorage.openReadable, else its Blob). */
  readonly open: () => Promise<ReadableFile>;
  pump?: { pump: ChunkPump; live: Live };
}

export interface Sending {
  /** The receiver's ack of a file of ours. */
  acked(contactId: string, r: FileChunkAckRecord): Promise<void>;
  /** Goes on with a transfer the receiver accepted, on `live`, from what it last acknowledged. */
  continue(contactId: string, fileId: Uint8Array, have: readonly ChunkRange[], live: Live): Promise<void>;
  /** Stops the file's pump and forgets its state here. */
  stop(contactId: string, fileId: Uint8Array): Promise<void>;
}

function pumpTarget(live: Live): PumpTarget {
  const t = live.connected.transport as { bufferedAmount?: unknown; drain?: () => Promise<void> };
  return {
    open: () => live.open(),
    sendChunk: async (bytes) => live.connected.session.sendChunk(bytes),
    bufferedAmount: () => (typeof t.bufferedAmount === 'number' ? t.bufferedAmount : undefined),
    drain: async () => (t.drain ? t.drain() : undefined),
    highWater: HIGH_WATER,
  };
}

export function createSending(ctx: TransferContext): Sending {
  const { deps, update, sendRecord } = ctx;
  const { stores } = deps;
  const outgoing = new Map<string, Promise<Outgoing | undefined>>();

  /** The sending side of a stored file message, loaded once (after a reload too). */
  const loadOutgoing = async (contactId: string, fileId: Uint8Array): Promise<Outgoing | undefined> => {
    const message = await stores.messages.get(contactId, fileId);
    const file = message?.direction === 'out' ? message.file : undefined;
    if (!file || !isActiveTransfer(file.state) || file.inline) return undefined;
    const storage = await deps.storage();
    const name = fileStorageName('out', contactId, fileId);
    const [source, hashes] = await Promise.all([storage.read(name), storage.read(`${name}-h`)]);
    if (!source || !hashes) return undefined;
    const bytes = new Uint8Array(await hashes.arrayBuffer());
    const leaves: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 32) leaves.push(bytes.subarray(at, at + 32));
    if (leaves.length !== fileChunkCount(file)) return undefined;
    return {
      fileId,
      file,
      key: await importFileKey(file.key),
      tree: buildMerkleTree(leaves),
      open: async () => openStoredCopy(storage, name, source),
    };
  };

  const outgoingFor = async (contactId: string, fileId: Uint8Array): Promise<Outgoing | undefined> => {
    const key = keyOf(contactId, fileId);
    let entry = outgoing.get(key);
    if (!entry) {
      entry = loadOutgoing(contactId, fileId);
      outgoing.set(key, entry);
      const loaded = await entry.catch(() => undefined);
      if (!loaded) outgoing.delete(key);
    }
    return entry;
  };

  const runPump = (out: Outgoing, live: Live, have: readonly ChunkRange[]): ChunkPump => {
    const reader = lazyChunkReader(out.open, out.file.chunkSize);
    const pump = createChunkPump({
      fileId: out.fileId,
      count: fileChunkCount(out.file),
      key: out.key,
      tree: out.tree,
      chunkSize: out.file.chunkSize,
      read: async (index, into) => reader.read(index, into),
      target: pumpTarget(live),
      have,
    });
    out.pump = { pump, live };
    const ran = pump.run();
    // The reader ends with its pump (an access handle held open would keep the file from removal).
    void ran.finally(async () => reader.close().catch(() => undefined)).catch(() => undefined);
    ran.then(
      () => {
        if (out.pump?.pump === pump) delete out.pump;
      },
      (e: unknown) => {
        if (out.pump?.pump === pump) delete out.pump;
        deps.report(e);
      },
    );
    return pump;
  };

  /** The receiver's ack: progress (never backwards), done when it holds every chunk, else send on. */
  const acked = async (contactId: string, r: FileChunkAckRecord): Promise<void> => {
    const message = await stores.messages.get(contactId, r.fileId);
    const file = message?.direction === 'out' ? message.file : undefined;
    if (!file || !isActiveTransfer(file.state)) {
      // Not a transfer of ours that can move: say so, so the other side stops too.
      if (file?.state === 'cancelled' || !file)
        await sendRecord(contactId, cancelRecord(r.fileId, 'cancelled'));
      return;
    }
    const count = fileChunkCount(file);
    const ranges = r.ranges.filter(([a, b]) => a < b && b <= count);
    const done = rangeTotal(ranges) >= count;
    await update(contactId, r.fileId, (f) => {
      const have = rangeTotal(ranges) >= rangeTotal(f.have) ? ranges : f.have;
      return { ...f, have, state: done ? 'done' : 'sending' };
    });
    const out = await outgoingFor(contactId, r.fileId);
    if (done) {
      out?.pump?.pump.stop();
      outgoing.delete(keyOf(contactId, r.fileId));
      return;
    }
    if (!out) {
      await update(contactId, r.fileId, (f) => ({
        ...f,
        state: 'failed',
        error: 'This file is no longer stored on this device, so it cannot be sent.',
      }));
      await sendRecord(contactId, cancelRecord(r.fileId, 'unavailable'));
      return;
    }
    const live = deps.live(contactId);
    if (!live?.open()) return;
    if (out.pump && out.pump.live === live) out.pump.pump.acked(ranges);
    else {
      out.pump?.pump.stop();
      runPump(out, live, ranges);
    }
  };

  return {
    acked,
    async continue(contactId, fileId, have, live) {
      const out = await outgoingFor(contactId, fileId);
      if (out && out.pump?.live !== live) {
        out.pump?.pump.stop();
        runPump(out, live, have);
      }
    },
    async stop(contactId, fileId) {
      const key = keyOf(contactId, fileId);
      const out = await outgoing.get(key)?.catch(() => undefined);
      out?.pump?.pump.stop();
      outgoing.delete(key);
    },
  };
}
