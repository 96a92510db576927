/**
 * The in-memory conversation store, for tests: the same answers as the IndexedDB one
 * (idb-conversation-store.ts), computed over the backend's maps (no indexes here: it holds test
 * data only).
 */
import {
  type ConversationStateRecord,
  checkContactId,
  checkPageRequest,
  conversationStateRecord,
  isPast,
} from './conversation-records';
import type { MemoryBackend } from './memory-store';
import { type MessageRecord, bySentAt, copyMessage } from './records';
import {
  type ConversationFacts,
  type ConversationStore,
  type HistoryPage,
  type HistoryPageRequest,
  MAX_UNREAD,
} from './message-types';

export class MemoryConversationStore implements ConversationStore {
  constructor(private readonly backend: MemoryBackend) {}

  private history(contactId: string): MessageRecord[] {
    return [...this.backend.messages.values()].filter((m) => m.contactId === contactId).sort(bySentAt);
  }

  private state(contactId: string): ConversationStateRecord {
    return this.backend.conversations.get(contactId) ?? { contactId, archived: false };
  }

  async facts(contactIds: readonly string[]): Promise<ConversationFacts[]> {
    await Promise.resolve();
    return contactIds.map((contactId) => {
      checkContactId(contactId);
      const history = this.history(contactId);
      const { readAt, archived } = this.state(contactId);
      const last = history.at(-1);
      const unread = Math.min(
        MAX_UNREAD,
        history.filter(
          (m) =>
            m.direction === 'in' &&
            m.receivedAt !== undefined &&
            (readAt === undefined || m.receivedAt > readAt),
        ).length,
      );
      return {
        contactId,
        ...(last ? { last: copyMessage(last) } : {}),
        unread,
        ...(readAt === undefined ? {} : { readAt }),
        archived,
      };
    });
  }

  async markRead(contactId: string, at: number): Promise<void> {
    await Promise.resolve();
    const record = conversationStateRecord(contactId, { ...this.state(contactId), readAt: at });
    this.backend.conversations.set(contactId, structuredClone(record));
  }

  async setArchived(contactId: string, archived: boolean): Promise<void> {
    await Promise.resolve();
    const record = conversationStateRecord(contactId, { ...this.state(contactId), archived });
    this.backend.conversations.set(contactId, structuredClone(record));
  }

  async clear(contactId: string): Promise<number> {
    await Promise.resolve();
    checkContactId(contactId);
    let n = 0;
    for (const [key, m] of this.backend.messages) {
      if (m.contactId === contactId) {
        this.backend.messages.delete(key);
        n++;
      }
    }
    const { archived } = this.state(contactId);
    this.backend.conversations.set(contactId, conversationStateRecord(contactId, { archived }));
    return n;
  }

  async page(contactId: string, request: HistoryPageRequest): Promise<HistoryPage> {
    await Promise.resolve();
    const checked = checkPageRequest(contactId, request);
    const beyond = this.history(contactId).filter((m) => isPast(checked, m));
    const picked = checked.backward ? beyond.slice(-checked.limit) : beyond.slice(0, checked.limit);
    return { messages: picked.map(copyMessage), more: beyond.length > checked.limit };
  }
}
