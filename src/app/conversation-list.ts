/**
 * The conversation list and long histories (issue 13, items 2 and 6), without reading whole
 * histories: each conversation's summary comes from the store's facts (its newest message and an
 * unread count over an index, conversation-store), a history is read a page at a time, and search
 * (conversation-search.ts, loaded on first use) scans a bounded number of messages a call.
 *
 * - Unread: incoming messages that arrived (this device's clock) after the conversation was last
 *   shown; `markRead` moves that position to now, and is called when the chat is shown.
 * - Order: by recent activity, newest first: the time of the newest message (arrival for an
 *   incoming one, so a peer's clock ahead of ours cannot pin it on top), else when the contact was
 *   first seen; ties by contact id.
 * - Archived conversations are in the same list, marked, for the UI to show apart; they stay
 *   archived when messages arrive, until unarchived.
 * - Deleting a conversation deletes its messages (those still waiting to go too) and its read
 *   position, on this device only. The contact stays, with its keys, its verified mark, its
 *   conversation ratchet and its security log: the person can go on writing to them, and a new
 *   message from them starts the conversation again.
 */
import type { Contact } from '../store/contact-types';
import type { StoredFile } from '../store/file-types';
import type { HistoryPage, HistoryPageRequest, StoredMessage } from '../store/message-types';
import type { Stores } from '../store/stores';
import type { Emitter } from '../protocol/events';
import type { SearchOptions, SearchResult } from './conversation-search';
import type { MessengerEvents } from './messenger-api';

/** How long a preview is, in graphemes (the list cuts it further to its width). */
export const PREVIEW_LENGTH = 80;

export interface LastMessage {
  readonly messageId: Uint8Array;
  readonly direction: StoredMessage['direction'];
  readonly state: StoredMessage['state'];
  /** When it happened on this device's clock: arrival for an incoming message, else its sent time. */
  readonly at: number;
  /** The body on one line, trimmed, at most PREVIEW_LENGTH graphemes ('…' when cut); '' when deleted. */
  readonly preview: string;
  /** Deleted for everyone: a tombstone, for the UI to word. */
  readonly deleted: boolean;
  readonly edited: boolean;
  /** A file message's kind and name (its preview is '': the UI words it). */
  readonly file?: Pick<StoredFile, 'media' | 'name'>;
}

export interface ConversationSummary {
  readonly contact: Contact;
  readonly last?: LastMessage;
  readonly unread: number;
  readonly archived: boolean;
  /** What the list is sorted by (newest first): `last.at`, else `contact.firstSeen`. */
  readonly activityAt: number;
}

export interface ConversationListDeps {
  readonly stores: Stores;
  readonly now: () => number;
  /** The contact, or AppError('UNKNOWN_CONTACT'). */
  mustGet(contactId: string): Promise<Contact>;
  serial<T>(contactId: string, task: () => Promise<T>): Promise<T>;
  /** Told 'conversation' when a summary changes while its history does not, 'messages' when it does. */
  readonly emitter: Pick<Emitter<MessengerEvents>, 'emit'>;
}

export interface ConversationList {
  summaries(): Promise<ConversationSummary[]>;
  markRead(contactId: string): Promise<void>;
  archive(contactId: string, archived: boolean): Promise<void>;
  deleteConversation(contactId: string): Promise<void>;
  historyPage(contactId: string, request: HistoryPageRequest): Promise<HistoryPage>;
  search(query: string, options?: SearchOptions): Promise<SearchResult>;
}

const segmenter =
  typeof Intl !== 'undefined' && 'Segmenter' in Intl
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

/** `body` on one line, trimmed, cut after `length` graphemes with '…'. */
export function previewText(body: string, length = PREVIEW_LENGTH): string {
  const line = body.replace(/\s+/gu, ' ').trim();
  if (line.length <= length) return line; // no more graphemes than code units
  const parts = segmenter ? [...segmenter.segment(line)].map((s) => s.segment) : [...line];
  return parts.length <= length ? line : `${parts.slice(0, length).join('').trimEnd()}…`;
}

function lastMessage(m: StoredMessage): LastMessage {
  const deleted = m.deletedAt !== undefined;
  return {
    messageId: m.messageId,
    direction: m.direction,
    state: m.state,
    at: m.direction === 'in' ? (m.receivedAt ?? m.sentAt) : m.sentAt,
    preview: deleted ? '' : previewText(m.body),
    deleted,
    edited: m.editedAt !== undefined,
    ...(m.file ? { file: { media: m.file.media, name: m.file.name } } : {}),
  };
}

/** Newest activity first, then by contact id. */
function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  return (
    b.activityAt - a.activityAt || (a.contact.id < b.contact.id ? -1 : a.contact.id > b.contact.id ? 1 : 0)
  );
}

export function createConversationList(deps: ConversationListDeps): ConversationList {
  const { stores, emitter } = deps;

  const summaries = async (): Promise<ConversationSummary[]> => {
    const contacts = await stores.contacts.list();
    const facts = await stores.conversations.facts(contacts.map((c) => c.id));
    return contacts
      .map((contact, i): ConversationSummary => {
        const f = facts[i]!;
        const last = f.last && lastMessage(f.last);
        return {
          contact,
          ...(last ? { last } : {}),
          unread: f.unread,
          archived: f.archived,
          activityAt: last?.at ?? contact.firstSeen,
        };
      })
      .sort(byActivity);
  };

  return {
    summaries,

    async markRead(contactId) {
      await deps.mustGet(contactId);
      await stores.conversations.markRead(contactId, deps.now());
      emitter.emit('conversation', contactId);
    },

    async archive(contactId, archived) {
      await deps.mustGet(contactId);
      await stores.conversations.setArchived(contactId, archived);
      emitter.emit('conversation', contactId);
    },

    async deleteConversation(contactId) {
      await deps.serial(contactId, async () => {
        await deps.mustGet(contactId);
        await stores.conversations.clear(contactId);
      });
      emitter.emit('messages', contactId);
      emitter.emit('conversation', contactId);
    },

    historyPage: async (contactId, request) => stores.conversations.page(contactId, request),

    async search(query, options) {
      const { searchConversations } = await import('./conversation-search');
      return searchConversations(
        { stores, order: async () => (await summaries()).map((s) => s.contact.id) },
        query,
        options,
      );
    },
  };
}
