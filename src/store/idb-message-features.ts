/**
 * The IndexedDB message store's part for the conversation features (`MessageFeatureStore`,
 * message-changes.ts): changes to `messages` and the record queued in `outbox` in one transaction.
 */
import { toHex } from '../crypto/bytes';
import type { Db } from './idb-schema';
import { abortQuietly, observed } from './idb-tx';
import { applyChange, byQueuedAt, checkChange, copyQueued, queuedRow } from './message-change-rules';
import type { ChangeOutcome, MessageFeatureStore } from './message-changes';
import { StoreError } from './store-error';

export function idbMessageFeatures(db: Db): MessageFeatureStore {
  return {
    async change(contactId, changes, queue) {
      const checked = changes.map(checkChange);
      const row = queue && queuedRow(queue);
      const tx = observed(db.transaction(['messages', 'outbox'], 'readwrite'));
      try {
        const messages = tx.objectStore('messages');
        const outcomes: ChangeOutcome[] = [];
        for (const c of checked) {
          const { outcome, next } = applyChange(await messages.get([contactId, toHex(c.messageId)]), c);
          if (next) await messages.put(next);
          outcomes.push(outcome);
        }
        if (row && (checked.length === 0 || outcomes.includes('applied')))
          await tx.objectStore('outbox').put(row);
        await tx.done;
        return outcomes;
      } catch (cause) {
        abortQuietly(tx);
        throw new StoreError('UNAVAILABLE', 'The change could not be saved in this browser’s storage.', {
          cause,
        });
      }
    },

    async queued(contactId) {
      const range = IDBKeyRange.bound([contactId, ''], [contactId, '\uffff']);
      return (await db.getAll('outbox', range)).sort(byQueuedAt).map(copyQueued);
    },

    async queuedSent(contactId, id, route) {
      const tx = observed(db.transaction('outbox', 'readwrite'));
      const row = await tx.store.get([contactId, toHex(id)]);
      if (row) await tx.store.put({ ...row, state: 'sent', route });
      await tx.done;
      return row !== undefined;
    },

    async remove(contactId, messageId) {
      const tx = observed(db.transaction('messages', 'readwrite'));
      const k: [string, string] = [contactId, toHex(messageId)];
      const had = (await tx.store.getKey(k)) !== undefined;
      if (had) await tx.store.delete(k);
      await tx.done;
      return had;
    },
  };
}
