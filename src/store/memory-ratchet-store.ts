/**
 * The in-memory ratchet store, for tests: commits behave as the IndexedDB ones (all of a commit
 * is written, or none of it). Loaded on first use (lazy-ratchet-store.ts), as the app's is.
 */
import { toHex } from '../crypto/bytes';
import type { MemoryBackend } from './memory-store';
import { checkRatchetCommit } from './ratchet-records';
import { applyChange } from './message-change-rules';
import type { ChangeOutcome } from './message-changes';
import { advancedMessage } from './record-checks';
import type { RatchetCommit, RatchetCommitResult, RatchetStore, StoredRatchet } from './ratchet-types';
import { StoreError } from './store-error';

export class MemoryRatchetStore implements RatchetStore {
  constructor(private readonly backend: MemoryBackend) {}

  async load(contactId: string): Promise<StoredRatchet> {
    await Promise.resolve();
    const r = this.backend.ratchets.get(contactId);
    return r
      ? { generation: r.generation, state: structuredClone(r.state) }
      : { generation: 0, state: undefined };
  }

  async commit(c: RatchetCommit): Promise<RatchetCommitResult> {
    await Promise.resolve();
    const checked = checkRatchetCommit(c);
    const { contactId } = checked;
    const { ratchets, messages, outbox } = this.backend;
    // Synchronous from here on, so no other call runs in between (as in one IndexedDB transaction);
    // every write is logged, and undone if a later one fails.
    if ((ratchets.get(contactId)?.generation ?? 0) !== checked.expectedGeneration)
      return { kind: 'conflict' };
    const undo: (() => void)[] = [];
    const write = <V>(map: Map<string, V>, key: string, value: V): void => {
      const had = map.has(key);
      const before = map.get(key);
      map.set(key, structuredClone(value));
      undo.push(() => (had ? map.set(key, before as V) : map.delete(key)));
    };
    try {
      const generation = checked.expectedGeneration + 1;
      write(ratchets, contactId, { contactId, generation, state: checked.state });
      let added: 'added' | 'duplicate' | undefined;
      if (checked.message) {
        const key = `${contactId} ${checked.message.messageIdHex}`;
        added = messages.has(key) ? 'duplicate' : 'added';
        if (added === 'added') write(messages, key, checked.message);
      }
      let addedEach: ('added' | 'duplicate')[] | undefined;
      if (checked.messages) {
        addedEach = [];
        for (const m of checked.messages) {
          const key = `${contactId} ${m.messageIdHex}`;
          const had = messages.has(key);
          if (!had) write(messages, key, m);
          addedEach.push(had ? 'duplicate' : 'added');
        }
      }
      let changed: ChangeOutcome[] | undefined;
      if (checked.changes) {
        changed = [];
        for (const c of checked.changes) {
          const key = `${contactId} ${toHex(c.messageId)}`;
          const { outcome, next } = applyChange(messages.get(key), c);
          if (next) write(messages, key, next);
          changed.push(outcome);
        }
      }
      const updated = new Map<string, Uint8Array>();
      for (const move of checked.moves) {
        const key = `${contactId} ${move.messageIdHex}`;
        const queued = outbox.get(key);
        if (queued) {
          // A queued record: acknowledged, it is done with; handed over, it is 'sent'.
          if (move.state === 'delivered') {
            outbox.delete(key);
            undo.push(() => outbox.set(key, queued));
          } else
            write(outbox, key, { ...queued, state: 'sent', ...(move.route ? { route: move.route } : {}) });
          continue;
        }
        const record = messages.get(key);
        const next = record && advancedMessage(record, move.state, undefined, move.route);
        if (!next) continue;
        write(messages, key, next);
        if (!updated.has(move.messageIdHex)) updated.set(move.messageIdHex, move.messageId);
      }
      return {
        kind: 'committed',
        generation,
        ...(added ? { added } : {}),
        ...(addedEach ? { addedEach } : {}),
        updated: [...updated.values()],
        ...(changed ? { changed } : {}),
      };
    } catch (cause) {
      for (const u of undo.reverse()) u();
      throw new StoreError(
        'UNAVAILABLE',
        'The conversation could not be saved in this browser’s storage; nothing of it was changed.',
        { cause },
      );
    }
  }

  async remove(contactId: string): Promise<void> {
    await Promise.resolve();
    this.backend.ratchets.delete(contactId);
  }
}
