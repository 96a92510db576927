/**
 * The IndexedDB conversation store (see `ConversationStore`): read positions and archived marks in
 * `conversations`, and reads of `messages` through its indexes, so that the conversation list and
 * a history page cost about what they show, not what is stored:
 * - the newest message: one step of a cursor on `byContactSentAt` from its end;
 * - the unread count: `count` over `byContactIncoming` ([contactId, 'in', receivedAt] after the
 *   read position), which reads no message, and steps over at most MAX_UNREAD index keys (a key
 *   cursor's `advance` tells first whether there are more);
 * - a page: `limit` + 1 steps of a cursor on `byContactSentAt` from where the page starts (ties
 *   at the start skipped with `continuePrimaryKey`, not stepped over one by one).
 */
import {
  type CheckedPageRequest,
  type ConversationStateRecord,
  checkContactId,
  checkPageRequest,
  conversationStateRecord,
} from './conversation-records';
import type { Db } from './idb-schema';
import { observed } from './idb-tx';
import { type MessageRecord, copyMessage } from './records';
import {
  type ConversationFacts,
  type ConversationStore,
  type HistoryPage,
  type HistoryPageRequest,
  MAX_UNREAD,
} from './message-types';

/** All of a contact's messages in `byContactSentAt`. */
const wholeHistory = (contactId: string): IDBKeyRange =>
  IDBKeyRange.bound([contactId, -Infinity], [contactId, Infinity]);

export class IdbConversationStore implements ConversationStore {
  constructor(private readonly db: Db) {}

  async facts(contactIds: readonly string[]): Promise<ConversationFacts[]> {
    for (const id of contactIds) checkContactId(id);
    const tx = observed(this.db.transaction(['messages', 'conversations']));
    const bySentAt = tx.objectStore('messages').index('byContactSentAt');
    const incoming = tx.objectStore('messages').index('byContactIncoming');
    const states = tx.objectStore('conversations');
    // Every request at once: one transaction, no round trip per conversation.
    const facts = await Promise.all(
      contactIds.map(async (contactId): Promise<ConversationFacts> => {
        const [cursor, state] = await Promise.all([
          bySentAt.openCursor(wholeHistory(contactId), 'prev'),
          states.get(contactId),
        ]);
        const readAt = state?.readAt;
        const range = IDBKeyRange.bound(
          [contactId, 'in', readAt ?? -Infinity],
          [contactId, 'in', Infinity],
          readAt !== undefined,
        );
        // Counted up to MAX_UNREAD only: past the first MAX_UNREAD keys, no need to count on.
        let past = await incoming.openKeyCursor(range);
        if (past) past = await past.advance(MAX_UNREAD);
        const unread = past ? MAX_UNREAD : await incoming.count(range);
        return {
          contactId,
          ...(cursor ? { last: copyMessage(cursor.value) } : {}),
          unread,
          ...(readAt === undefined ? {} : { readAt }),
          archived: state?.archived === true,
        };
      }),
    );
    await tx.done;
    return facts;
  }

  /** Reads the conversation's state and writes `change` of it, in one transaction. */
  private async update(
    contactId: string,
    change: (old: ConversationStateRecord) => ConversationStateRecord,
  ): Promise<void> {
    checkContactId(contactId);
    const tx = observed(this.db.transaction('conversations', 'readwrite'));
    const old = (await tx.store.get(contactId)) ?? { contactId, archived: false };
    await tx.store.put(change(old));
    await tx.done;
  }

  async markRead(contactId: string, at: number): Promise<void> {
    conversationStateRecord(contactId, { readAt: at, archived: false }); // checked before the transaction
    await this.update(contactId, (old) => conversationStateRecord(contactId, { ...old, readAt: at }));
  }

  async setArchived(contactId: string, archived: boolean): Promise<void> {
    await this.update(contactId, (old) => conversationStateRecord(contactId, { ...old, archived }));
  }

  async clear(contactId: string): Promise<number> {
    checkContactId(contactId);
    const tx = observed(this.db.transaction(['messages', 'conversations'], 'readwrite'));
    // Every primary key [contactId, messageIdHex]: a longer array sorts after a shorter one it
    // starts with, and any array after any string.
    const all = IDBKeyRange.bound([contactId], [contactId, []]);
    const messages = tx.objectStore('messages');
    const states = tx.objectStore('conversations');
    const [n, old] = await Promise.all([messages.count(all), states.get(contactId)]);
    await Promise.all([
      messages.delete(all),
      states.put(conversationStateRecord(contactId, { archived: old?.archived === true })),
    ]);
    await tx.done;
    return n;
  }

  async page(contactId: string, request: HistoryPageRequest): Promise<HistoryPage> {
    const checked = checkPageRequest(contactId, request);
    const tx = observed(this.db.transaction('messages'));
    const index = tx.store.index('byContactSentAt');
    let cursor = await index.openCursor(pageRange(contactId, checked), checked.backward ? 'prev' : 'next');
    const from = checked.from;
    if (cursor && from && cursor.key[1] === from.sentAt) {
      // Messages at the start's own time: those on the near side of its id are not in the page.
      const hex = cursor.primaryKey[1];
      if (checked.backward ? hex >= from.messageIdHex : hex <= from.messageIdHex) {
        if (hex !== from.messageIdHex) {
          cursor = await cursor.continuePrimaryKey([contactId, from.sentAt], [contactId, from.messageIdHex]);
        }
        if (cursor && cursor.key[1] === from.sentAt && cursor.primaryKey[1] === from.messageIdHex) {
          cursor = await cursor.continue();
        }
      }
    }
    const picked: MessageRecord[] = [];
    while (cursor && picked.length < checked.limit) {
      picked.push(cursor.value);
      cursor = await cursor.continue();
    }
    const more = cursor !== null;
    await tx.done;
    if (checked.backward) picked.reverse();
    return { messages: picked.map(copyMessage), more };
  }
}

function pageRange(contactId: string, r: CheckedPageRequest): IDBKeyRange {
  if (!r.from) return wholeHistory(contactId);
  return r.backward
    ? IDBKeyRange.bound([contactId, -Infinity], [contactId, r.from.sentAt])
    : IDBKeyRange.bound([contactId, r.from.sentAt], [contactId, Infinity]);
}
