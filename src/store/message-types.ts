/**
 * A stored message and the message store; a history page and the conversation store that reads
 * pages, the list's facts (newest message, unread count), the read position and the archived mark.
 * The conversation features' part of a message and of the store is message-changes.ts.
 */
import type { StoredFile } from './file-types';
import type { MessageFeatureStore, MessageFeatures } from './message-changes';

export type MessageDirection = 'in' | 'out';
/**
 * How a message went: over a live session (directly, or through a relay: TURN or the worker's), or
 * through the worker's mailbox.
 */
export type MessageRoute = 'direct' | 'relayed' | 'mailbox';
/** Moves forward only: queued → sent → delivered. */
export type MessageState = 'queued' | 'sent' | 'delivered';

/** The conversation features' fields (reply, reactions, edits, tombstone, read) are in message-changes.ts. */
export interface StoredMessage extends MessageFeatures {
  readonly contactId: string;
  /** 16 bytes, unique per contact. */
  readonly messageId: Uint8Array;
  readonly direction: MessageDirection;
  readonly body: string;
  /** The sender's timestamp, ms since the epoch; history is ordered by it. */
  readonly sentAt: number;
  readonly receivedAt?: number;
  readonly state: MessageState;
  /** How it arrived ('in') or last went ('out'); absent for messages stored before routes were kept. */
  readonly route?: MessageRoute;
  /** A file, photo, video or voice note and its transfer (file-types.ts); the body is '' then. */
  readonly file?: StoredFile;
}

export type MessageUpdate = 'updated' | 'unchanged' | 'missing';

/** The conversation features' part (changes, the outbox of records, delete for me): message-changes.ts. */
export interface MessageStore extends MessageFeatureStore {
  /** Adds the message unless one with the same id is stored for this contact. */
  add(message: StoredMessage): Promise<'added' | 'duplicate'>;
  /** The contact's messages by `sentAt`, ties by message id. */
  list(contactId: string): Promise<StoredMessage[]>;
  /**
   * Moves the message's state forward ('unchanged' if it is already there or further) and sets
   * `receivedAt` and `route` when given.
   */
  updateState(
    contactId: string,
    messageId: Uint8Array,
    state: MessageState,
    receivedAt?: number,
    route?: MessageRoute,
  ): Promise<MessageUpdate>;
  /** One message, or undefined. */
  get(contactId: string, messageId: Uint8Array): Promise<StoredMessage | undefined>;
  /**
   * Changes a file message's file part in one transaction: `update` sees the stored one and returns
   * the new one (or undefined to change nothing). Returns the file part stored afterwards, or
   * undefined when there is no such file message.
   */
  updateFile(
    contactId: string,
    messageId: Uint8Array,
    update: (file: StoredFile, message: StoredMessage) => StoredFile | undefined,
  ): Promise<StoredFile | undefined>;
  /** The file messages whose transfer may still move (file-types.ts `isActiveTransfer`), from an index. */
  activeTransfers(contactId?: string): Promise<StoredMessage[]>;
}

/** A place in a contact's history: a message's time and id (a `StoredMessage` is one). */
export interface HistoryCursor {
  readonly sentAt: number;
  readonly messageId: Uint8Array;
}

/** The most messages one history page holds. */
export const MAX_HISTORY_PAGE = 500;

/**
 * Which page of a history to read: the newest `limit` messages; or with `before`, the `limit`
 * messages just older than that one (the oldest shown, to page back); or with `after`, the `limit`
 * messages just newer (the newest shown, to catch up). Not both.
 */
export interface HistoryPageRequest {
  readonly before?: HistoryCursor;
  readonly after?: HistoryCursor;
  /** 1 … MAX_HISTORY_PAGE. */
  readonly limit: number;
}

export interface HistoryPage {
  /** Oldest first, in history order (by `sentAt`, ties by message id). */
  readonly messages: StoredMessage[];
  /** Whether more messages lie beyond this page the way it was read (older; with `after`, newer). */
  readonly more: boolean;
}

/** Unread messages are counted up to this many (a count costs a step per index key). */
export const MAX_UNREAD = 1_000;

/** What the conversation list needs of one conversation, read without reading its history. */
export interface ConversationFacts {
  readonly contactId: string;
  /** The newest message in history order, if any. */
  readonly last?: StoredMessage;
  /**
   * Incoming messages received (this device's clock) after `readAt`, all of them without it;
   * counted up to MAX_UNREAD (more count as MAX_UNREAD: the list shows "999+").
   */
  readonly unread: number;
  readonly readAt?: number;
  readonly archived: boolean;
}

/**
 * Per-conversation state beside the history: the read position and the archived mark, and the
 * reads the conversation list and a long history need, each served by an index so that none of
 * them reads a whole conversation.
 */
export interface ConversationStore {
  /**
   * The facts of each conversation, in the order asked, in one read: per conversation, its newest
   * message and the count of its unread ones (counted over an index, not read).
   */
  facts(contactIds: readonly string[]): Promise<ConversationFacts[]>;
  /** Incoming messages received up to `at` (ms since the epoch, this device's clock) count as read. */
  markRead(contactId: string, at: number): Promise<void>;
  setArchived(contactId: string, archived: boolean): Promise<void>;
  /**
   * Deletes the conversation's messages (those still queued too, so they are never sent) and its
   * read position, in one transaction; returns how many messages went. The contact, its ratchet,
   * its security log and its archived mark stay.
   */
  clear(contactId: string): Promise<number>;
  /** One page of the history (see HistoryPageRequest); reads about `limit` messages, never all. */
  page(contactId: string, request: HistoryPageRequest): Promise<HistoryPage>;
}
