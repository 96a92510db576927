/**
 * Database step 4 → 5: conversations have a read position (idb-schema.ts adds the store and the
 * index). Every contact stored before gets one at the time of the upgrade, so that its history,
 * which was all seen in the versions that kept no read position, does not show as unread.
 *
 * Runs inside the versionchange transaction, with IndexedDB requests only between its awaits (a
 * transaction closes when it waits on anything else), so it all happens or none of it does.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { SecMsgSchema } from './idb-schema';

type UpgradeTx = IDBPTransaction<SecMsgSchema, StoreNames<SecMsgSchema>[], 'versionchange'>;

export async function upgradeToV5(tx: UpgradeTx, now: number): Promise<void> {
  const conversations = tx.objectStore('conversations');
  let cursor = await tx.objectStore('contacts').openKeyCursor();
  while (cursor) {
    const contactId = cursor.key;
    if (typeof contactId === 'string' && contactId !== '') {
      await conversations.put({ contactId, readAt: now, archived: false });
    }
    cursor = await cursor.continue();
  }
}
