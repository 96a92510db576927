/**
 * The stored shape of a conversation's state (read position, archived mark) and the checks on a
 * history page request, shared by the in-memory and the IndexedDB conversation stores so both
 * behave the same.
 */
import { toHex } from '../crypto/bytes';
import { MESSAGE_ID_LENGTH, isBytes } from './records';
import { type HistoryPageRequest, MAX_HISTORY_PAGE } from './message-types';
import { StoreError } from './store-error';

/** One record per conversation that has a state; none means: nothing read, not archived. */
export interface ConversationStateRecord {
  readonly contactId: string;
  readonly readAt?: number;
  readonly archived: boolean;
}

/** A page request checked, its cursor as the index compares it. */
export interface CheckedPageRequest {
  readonly limit: number;
  /** Where the page starts (exclusive); undefined: the newest end. */
  readonly from?: { readonly sentAt: number; readonly messageIdHex: string };
  /** True for older messages (the newest page, or `before`); false for newer (`after`). */
  readonly backward: boolean;
}

export function checkContactId(contactId: string): void {
  if (typeof contactId !== 'string' || contactId === '') {
    throw new StoreError('BAD_ARGUMENT', 'A conversation needs a contact id.');
  }
}

export function checkPageRequest(contactId: string, r: HistoryPageRequest): CheckedPageRequest {
  checkContactId(contactId);
  if (!Number.isInteger(r.limit) || r.limit < 1 || r.limit > MAX_HISTORY_PAGE) {
    throw new StoreError('BAD_ARGUMENT', `A history page holds 1 to ${MAX_HISTORY_PAGE} messages.`);
  }
  if (r.before !== undefined && r.after !== undefined) {
    throw new StoreError('BAD_ARGUMENT', 'A history page goes before a message or after one, not both.');
  }
  const cursor = r.before ?? r.after;
  if (cursor === undefined) return { limit: r.limit, backward: true };
  if (!Number.isFinite(cursor.sentAt) || !isBytes(cursor.messageId, MESSAGE_ID_LENGTH)) {
    throw new StoreError('BAD_ARGUMENT', 'A history page starts at a message: its sent time and 16-byte id.');
  }
  return {
    limit: r.limit,
    from: { sentAt: cursor.sentAt, messageIdHex: toHex(cursor.messageId) },
    backward: r.after === undefined,
  };
}

/**
 * Whether a message at (`sentAt`, `messageIdHex`) lies beyond the page's start the way it is read
 * (history order: by time, ties by id).
 */
export function isPast(
  request: CheckedPageRequest,
  m: { readonly sentAt: number; readonly messageIdHex: string },
): boolean {
  const from = request.from;
  if (!from) return true;
  const order =
    m.sentAt - from.sentAt ||
    (m.messageIdHex < from.messageIdHex ? -1 : m.messageIdHex > from.messageIdHex ? 1 : 0);
  return request.backward ? order < 0 : order > 0;
}

export function conversationStateRecord(
  contactId: string,
  state: { readonly readAt?: number | undefined; readonly archived: boolean },
): ConversationStateRecord {
  checkContactId(contactId);
  if (state.readAt !== undefined && !Number.isFinite(state.readAt)) {
    throw new StoreError('BAD_ARGUMENT', 'A read position must be a time.');
  }
  return {
    contactId,
    ...(state.readAt === undefined ? {} : { readAt: state.readAt }),
    archived: state.archived === true,
  };
}
