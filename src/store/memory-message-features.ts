/**
 * The in-memory message store's part for the conversation features (`MessageFeatureStore`,
 * message-changes.ts), over the backend's maps: each call is synchronous after its first await, so
 * nothing else runs in between, as in one IndexedDB transaction.
 */
import { toHex } from '../crypto/bytes';
import { applyChange, byQueuedAt, checkChange, copyQueued, queuedRow } from './message-change-rules';
import type { ChangeOutcome, MessageFeatureStore, QueuedRecord } from './message-changes';
import type { MemoryBackend } from './memory-store';
import type { MessageRoute } from './message-types';

const key = (contactId: string, id: Uint8Array): string => `${contactId} ${toHex(id)}`;

export function memoryMessageFeatures(backend: MemoryBackend): MessageFeatureStore {
  return {
    async change(contactId, changes, queue) {
      await Promise.resolve();
      const checked = changes.map(checkChange);
      const row = queue && queuedRow(queue);
      const outcomes: ChangeOutcome[] = [];
      for (const c of checked) {
        const k = key(contactId, c.messageId);
        const { outcome, next } = applyChange(backend.messages.get(k), c);
        if (next) backend.messages.set(k, structuredClone(next));
        outcomes.push(outcome);
      }
      if (row && (checked.length === 0 || outcomes.includes('applied')))
        backend.outbox.set(key(contactId, row.id), structuredClone(row));
      return outcomes;
    },

    async queued(contactId) {
      await Promise.resolve();
      return [...backend.outbox.values()]
        .filter((q) => q.contactId === contactId)
        .sort(byQueuedAt)
        .map((q): QueuedRecord => copyQueued(q));
    },

    async queuedSent(contactId: string, id: Uint8Array, route: MessageRoute) {
      await Promise.resolve();
      const k = key(contactId, id);
      const row = backend.outbox.get(k);
      if (!row) return false;
      backend.outbox.set(k, { ...row, state: 'sent', route });
      return true;
    },

    async remove(contactId, messageId) {
      await Promise.resolve();
      return backend.messages.delete(key(contactId, messageId));
    },
  };
}
