/**
 * The IndexedDB ratchet store (see `RatchetStore`): each contact's ratchet in `ratchets`, committed
 * in one transaction with the messages it protects. Loaded on first use (lazy-ratchet-store.ts).
 */
import { abortQuietly, observed } from './idb-tx';
import type { Db } from './idb-schema';
import { checkRatchetCommit } from './ratchet-records';
import { applyChange } from './message-change-rules';
import type { ChangeOutcome } from './message-changes';
import { advancedMessage } from './record-checks';
import { toHex } from '../crypto/bytes';
import type { RatchetCommit, RatchetCommitResult, RatchetStore, StoredRatchet } from './ratchet-types';
import { StoreError } from './store-error';

export class IdbRatchetStore implements RatchetStore {
  constructor(private readonly db: Db) {}

  async load(contactId: string): Promise<StoredRatchet> {
    const r = await this.db.get('ratchets', contactId);
    return r ? { generation: r.generation, state: r.state } : { generation: 0, state: undefined };
  }

  async commit(c: RatchetCommit): Promise<RatchetCommitResult> {
    const checked = checkRatchetCommit(c);
    const { contactId } = checked;
    // One transaction over both stores, with only IndexedDB requests between its awaits (it closes
    // when it waits on anything else): all of it is written, or none of it.
    const tx = observed(this.db.transaction(['ratchets', 'messages', 'outbox'], 'readwrite'));
    try {
      const ratchets = tx.objectStore('ratchets');
      const messages = tx.objectStore('messages');
      const stored = await ratchets.get(contactId);
      if ((stored?.generation ?? 0) !== checked.expectedGeneration) {
        await tx.done;
        return { kind: 'conflict' };
      }
      const generation = checked.expectedGeneration + 1;
      await ratchets.put({ contactId, generation, state: checked.state });
      let added: 'added' | 'duplicate' | undefined;
      if (checked.message) {
        const m = checked.message;
        if ((await messages.getKey([contactId, m.messageIdHex])) !== undefined) {
          added = 'duplicate';
        } else {
          await messages.add(m);
          added = 'added';
        }
      }
      let addedEach: ('added' | 'duplicate')[] | undefined;
      if (checked.messages) {
        // All the requests at once, not one round trip to storage each (a transaction runs its
        // requests in the order they were made).
        const list = checked.messages;
        const stored = await Promise.all(list.map(async (m) => messages.getKey([contactId, m.messageIdHex])));
        const seen = new Set<string>();
        const each = list.map((m, i): 'added' | 'duplicate' => {
          if (stored[i] !== undefined || seen.has(m.messageIdHex)) return 'duplicate';
          seen.add(m.messageIdHex);
          return 'added';
        });
        await Promise.all(list.filter((_, i) => each[i] === 'added').map(async (m) => messages.add(m)));
        addedEach = each;
      }
      let changed: ChangeOutcome[] | undefined;
      if (checked.changes) {
        changed = [];
        for (const c of checked.changes) {
          const { outcome, next } = applyChange(await messages.get([contactId, toHex(c.messageId)]), c);
          if (next) await messages.put(next);
          changed.push(outcome);
        }
      }
      const outbox = tx.objectStore('outbox');
      const updated = new Map<string, Uint8Array>();
      for (const move of checked.moves) {
        const queued = await outbox.get([contactId, move.messageIdHex]);
        if (queued) {
          // A queued record: acknowledged, it is done with; handed over, it is 'sent'.
          if (move.state === 'delivered') await outbox.delete([contactId, move.messageIdHex]);
          else await outbox.put({ ...queued, state: 'sent', ...(move.route ? { route: move.route } : {}) });
          continue;
        }
        const record = await messages.get([contactId, move.messageIdHex]);
        const next = record && advancedMessage(record, move.state, undefined, move.route);
        if (!next) continue;
        await messages.put(next);
        if (!updated.has(move.messageIdHex)) updated.set(move.messageIdHex, move.messageId);
      }
      await tx.done;
      return {
        kind: 'committed',
        generation,
        ...(added ? { added } : {}),
        ...(addedEach ? { addedEach } : {}),
        updated: [...updated.values()],
        ...(changed ? { changed } : {}),
      };
    } catch (cause) {
      abortQuietly(tx);
      throw new StoreError(
        'UNAVAILABLE',
        'The conversation could not be saved in this browser’s storage; nothing of it was changed.',
        { cause },
      );
    }
  }

  async remove(contactId: string): Promise<void> {
    await this.db.delete('ratchets', contactId);
  }
}
