/**
 * What the sending and the receiving side of file transfers share (transfers.ts composes them):
 * the use case's collaborators, a file message's transfer changed in one store step (and announced),
 * and the two records that go over a live session only.
 */
import { toHex } from '../../crypto/bytes';
import { randomBytes } from '../../crypto/random';
import type { FileCancelRecord, FileChunkAckRecord } from '../../protocol/file-records';
import type { StoredFile } from '../../store/file-types';
import type { TransfersDeps } from './transfers';

export interface TransferContext {
  readonly deps: TransfersDeps;
  /** Changes the file message's transfer (`change` returns undefined: nothing); tells the UI. */
  readonly update: (
    contactId: string,
    fileId: Uint8Array,
    change: (f: StoredFile) => StoredFile | undefined,
  ) => Promise<StoredFile | undefined>;
  /** Sends an ack or a cancel on the contact's live session, if one is open. */
  readonly sendRecord: (contactId: string, record: FileChunkAckRecord | FileCancelRecord) => Promise<void>;
}

export const keyOf = (contactId: string, fileId: Uint8Array): string => `${contactId} ${toHex(fileId)}`;

export const cancelRecord = (fileId: Uint8Array, reason: FileCancelRecord['reason']): FileCancelRecord => ({
  kind: 'file-cancel',
  id: randomBytes(16),
  sentAt: Date.now(),
  fileId,
  reason,
});

export function createTransferContext(deps: TransfersDeps): TransferContext {
  return {
    deps,
    async update(contactId, fileId, change) {
      let changed = false;
      const file = await deps.stores.messages.updateFile(contactId, fileId, (f) => {
        const next = change(f);
        changed = next !== undefined;
        return next;
      });
      if (file && changed) deps.fileChanged(contactId, fileId, file);
      return file;
    },
    sendRecord: async (contactId, record) =>
      deps.serial(contactId, async () => {
        const live = deps.live(contactId);
        if (live?.open()) await live.send(record);
      }),
  };
}
