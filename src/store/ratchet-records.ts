/**
 * The stored ratchet record and the checks on a ratchet commit, shared by the in-memory and the
 * IndexedDB ratchet store. Loaded with them, on first use (see lazy-ratchet-store.ts), not with the
 * page.
 */
import { toHex } from '../crypto/bytes';
import { checkChange } from './message-change-rules';
import type { MessageChange } from './message-changes';
import { messageRecord } from './record-checks';
import { MESSAGE_ID_LENGTH, type MessageRecord, isBytes, isMessageRoute } from './records';
import type { MessageRoute, StoredMessage } from './message-types';
import type { RatchetCommit } from './ratchet-types';
import { StoreError } from './store-error';

/** A contact's ratchet, stored under its contact id. */
export interface RatchetRecord {
  readonly contactId: string;
  /** 1 for the first commit, one more for each after it. */
  readonly generation: number;
  readonly state: unknown;
}

/** One state move of a ratchet commit. */
export interface MessageMove {
  readonly messageId: Uint8Array;
  readonly messageIdHex: string;
  readonly state: 'sent' | 'delivered';
  /** For a 'sent' move: the route it took. */
  readonly route?: MessageRoute;
}

/** A ratchet commit checked and copied before any transaction starts (see `checkRatchetCommit`). */
export interface CheckedCommit {
  readonly contactId: string;
  readonly expectedGeneration: number;
  /** A structured clone of the caller's state: later changes by the caller do not reach storage. */
  readonly state: unknown;
  readonly message?: MessageRecord;
  /** `addMessages`, when the commit carried it. */
  readonly messages?: readonly MessageRecord[];
  /** 'sent' moves first, then 'delivered' ones, as the commit listed them. */
  readonly moves: readonly MessageMove[];
  /** The peer's changes to messages, checked and copied, applied after the messages are added. */
  readonly changes?: readonly MessageChange[];
}

/**
 * Everything of a ratchet commit that can be checked without storage, so that a malformed commit
 * fails with `StoreError('BAD_ARGUMENT')` before its transaction and changes nothing.
 */
export function checkRatchetCommit(c: RatchetCommit): CheckedCommit {
  if (typeof c.contactId !== 'string' || c.contactId === '') {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet commit needs a contact id.');
  }
  const expected = c.expectedGeneration;
  if (!Number.isSafeInteger(expected) || expected < 0 || expected >= Number.MAX_SAFE_INTEGER) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet commit needs the generation it was read at.');
  }
  if (typeof c.state !== 'object' || c.state === null) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet state must be an object.');
  }
  let state: unknown;
  try {
    state = structuredClone(c.state);
  } catch (cause) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet state must hold only values storage can keep.', {
      cause,
    });
  }
  const ofContact = (m: StoredMessage): MessageRecord => {
    const record = messageRecord(m);
    if (record.contactId !== c.contactId) {
      throw new StoreError('BAD_ARGUMENT', 'A message committed with a ratchet must be of its contact.');
    }
    return record;
  };
  const message = c.addMessage === undefined ? undefined : ofContact(c.addMessage);
  let messages: MessageRecord[] | undefined;
  if (c.addMessages !== undefined) {
    if (!Array.isArray(c.addMessages))
      throw new StoreError('BAD_ARGUMENT', 'The messages of a ratchet commit must be a list.');
    messages = (c.addMessages as readonly StoredMessage[]).map(ofContact);
  }
  if (c.sentRoute !== undefined && !isMessageRoute(c.sentRoute)) {
    throw new StoreError('BAD_ARGUMENT', 'A message route must be direct, relayed or mailbox.');
  }
  const moves: MessageMove[] = [];
  for (const [ids, to] of [
    [c.sent, 'sent'],
    [c.delivered, 'delivered'],
  ] as const) {
    if (ids === undefined) continue;
    if (!Array.isArray(ids)) throw new StoreError('BAD_ARGUMENT', `The ${to} message ids must be a list.`);
    for (const id of ids as readonly unknown[]) {
      if (!isBytes(id, MESSAGE_ID_LENGTH))
        throw new StoreError('BAD_ARGUMENT', 'A message id must be 16 bytes.');
      moves.push({
        messageId: Uint8Array.from(id),
        messageIdHex: toHex(id),
        state: to,
        ...(to === 'sent' && c.sentRoute !== undefined ? { route: c.sentRoute } : {}),
      });
    }
  }
  let changes: MessageChange[] | undefined;
  if (c.changes !== undefined) {
    if (!Array.isArray(c.changes))
      throw new StoreError('BAD_ARGUMENT', 'The changes of a ratchet commit must be a list.');
    changes = (c.changes as readonly MessageChange[]).map(checkChange);
  }
  return {
    contactId: c.contactId,
    expectedGeneration: expected,
    ...(changes === undefined ? {} : { changes }),
    state,
    ...(message === undefined ? {} : { message }),
    ...(messages === undefined ? {} : { messages }),
    moves,
  };
}
