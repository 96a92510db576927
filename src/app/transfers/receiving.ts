/**
 * The receiving side of file transfers: a file message's intake (chunk-intake.ts) over its file in
 * the device's storage, opened once it is accepted (and again after a reload), storing what is
 * held with the message, acknowledging it, and ending the transfer done or failed.
 */
import { importFileKey } from '../../protocol/file-chunk';
import { fileChunkCount, fileStorageName } from '../../store/file-types';
import { type ChunkIntake, createChunkIntake } from './chunk-intake';
import { type TransferContext, cancelRecord, keyOf } from './transfer-context';

export interface Incoming {
  readonly intake: ChunkIntake;
}

export interface Receiving {
  /** The file's intake, opened if it is being received; undefined otherwise. */
  incomingFor(contactId: string, fileId: Uint8Array): Promise<Incoming | undefined>;
  /** Closes the file's intake and forgets it here. */
  stop(contactId: string, fileId: Uint8Array): Promise<void>;
}

export function createReceiving(ctx: TransferContext): Receiving {
  const { deps, update, sendRecord } = ctx;
  const { stores } = deps;
  const incoming = new Map<string, Promise<Incoming | undefined>>();

  const openIncoming = async (contactId: string, fileId: Uint8Array): Promise<Incoming | undefined> => {
    const message = await stores.messages.get(contactId, fileId);
    const file = message?.direction === 'in' ? message.file : undefined;
    if (!file || file.state !== 'receiving') return undefined;
    const storage = await deps.storage();
    const writable = await storage.openWritable(fileStorageName('in', contactId, fileId));
    const intake = createChunkIntake({
      fileId,
      size: file.size,
      chunkSize: file.chunkSize,
      count: fileChunkCount(file),
      root: file.root,
      key: await importFileKey(file.key),
      writable,
      have: file.have,
      persist: async (have) => {
        await update(contactId, fileId, (f) => ({ ...f, have }));
      },
      ack: async (have) =>
        sendRecord(contactId, { kind: 'file-chunk-ack', fileId, ranges: have.map(([a, b]) => [a, b]) }).catch(
          () => undefined,
        ),
      refused: (_index, why) => deps.refused(contactId, why),
      failed: async (sentence) => {
        await update(contactId, fileId, (f) => ({ ...f, state: 'failed', error: sentence }));
        incoming.delete(keyOf(contactId, fileId));
        await storage.remove(fileStorageName('in', contactId, fileId)).catch(() => undefined);
        await sendRecord(contactId, cancelRecord(fileId, 'failed')).catch(() => undefined);
      },
      complete: async () => {
        await update(contactId, fileId, (f) => ({ ...f, state: 'done' }));
        incoming.delete(keyOf(contactId, fileId));
      },
    });
    return { intake };
  };

  const incomingFor = async (contactId: string, fileId: Uint8Array): Promise<Incoming | undefined> => {
    const key = keyOf(contactId, fileId);
    let entry = incoming.get(key);
    if (!entry) {
      entry = openIncoming(contactId, fileId);
      incoming.set(key, entry);
      const opened = await entry.catch(() => undefined);
      if (!opened) incoming.delete(key);
    }
    return entry;
  };

  return {
    incomingFor,
    async stop(contactId, fileId) {
      const key = keyOf(contactId, fileId);
      const inc = await incoming.get(key)?.catch(() => undefined);
      await inc?.intake.close().catch(() => undefined);
      incoming.delete(key);
    },
  };
}
