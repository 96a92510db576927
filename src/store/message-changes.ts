/**
 * What the conversation features (src/app/conversation-features.ts) keep on a message, and the
 * rules that change it, shared by the in-memory and the IndexedDB store so both behave the same:
 *
 * - a reply's quoted message id; reactions, one per side (a newer one replaces; an empty emoji is
 *   kept as "taken back", with its time, so an older one arriving late does not come back);
 * - an edit: only the author's side may edit its message; the previous bodies stay as local history
 *   (at most MAX_EDIT_HISTORY); an edit older than the body shown goes into the history only;
 * - delete for everyone: only the author's side; the body, its history, reactions and the quote are
 *   erased, a tombstone (`deletedAt`) stays;
 * - read: the peer read one of ours (a receipt), or we read one of theirs.
 * A change is applied once: a repeat (same id, or nothing left to change) is a 'duplicate'.
 *
 * Records queued for the peer (reactions, edits, deletes, receipts) wait in the outbox, as the
 * encoded record, until the peer acknowledges them; texts wait as messages, as before.
 */
import { toHex } from '../crypto/bytes';
import type { MessageRecord } from './records';
import { type MessageDirection, type MessageRoute, StoreError } from './types';

/** A message keeps at most this many previous bodies. */
export const MAX_EDIT_HISTORY = 50;

export interface MessageReaction {
  /** 'out': this device's reaction; 'in': the peer's. */
  readonly from: MessageDirection;
  /** One emoji; '' when taken back. */
  readonly emoji: string;
  /** When it was made (the peer's clock, bounded, for theirs). */
  readonly at: number;
  /** The reaction record's id. */
  readonly id: Uint8Array;
}

/** A body a message had before an edit, kept on this device only. */
export interface PreviousBody {
  readonly body: string;
  /** When that body was written (the message's sentAt, or the edit's time). */
  readonly at: number;
  /** The edit that wrote it; absent for the original body. */
  readonly id?: Uint8Array;
}

/** The conversation features' fields of a stored message, all optional. */
export interface MessageFeatures {
  /** The message this one quotes (a reply). */
  readonly replyTo?: Uint8Array;
  /** At most one a side; an empty emoji is one taken back. */
  readonly reactions?: readonly MessageReaction[];
  /** When the body shown was written by an edit (marked "edited"). */
  readonly editedAt?: number;
  /** The edit that wrote the body shown. */
  readonly editId?: Uint8Array;
  /** Previous bodies, oldest first. */
  readonly edits?: readonly PreviousBody[];
  /** Deleted for everyone: the body and its history are gone; shown as a tombstone. */
  readonly deletedAt?: number;
  /** Outgoing: when the peer said it read it. Incoming: when this device's person read it. */
  readonly readAt?: number;
}

export type MessageChange =
  | {
      readonly kind: 'reaction';
      readonly messageId: Uint8Array;
      readonly from: MessageDirection;
      readonly id: Uint8Array;
      readonly at: number;
      readonly emoji: string;
    }
  | {
      readonly kind: 'edit';
      readonly messageId: Uint8Array;
      readonly from: MessageDirection;
      readonly id: Uint8Array;
      readonly at: number;
      readonly body: string;
    }
  | {
      readonly kind: 'delete';
      readonly messageId: Uint8Array;
      readonly from: MessageDirection;
      readonly at: number;
    }
  | {
      readonly kind: 'read';
      readonly messageId: Uint8Array;
      readonly from: MessageDirection;
      readonly at: number;
    };

/**
 * 'refused': the side making it may not (an edit or delete of the other side's message, a receipt
 * for one's own); 'missing': no such message here, or it is deleted.
 */
export type ChangeOutcome = 'applied' | 'duplicate' | 'missing' | 'refused';

/** A record queued for the peer until it acknowledges it. */
export interface QueuedRecord {
  readonly contactId: string;
  /** The record's id (16 bytes), which the peer's ack names. */
  readonly id: Uint8Array;
  /** When it was made; the outbox sends in this order. */
  readonly sentAt: number;
  /** The encoded application record (src/protocol/records.ts). */
  readonly record: Uint8Array;
  readonly state: 'queued' | 'sent';
  /** How it last went. */
  readonly route?: MessageRoute;
}

export interface QueuedRecordRow extends QueuedRecord {
  readonly idHex: string;
}

/** The message store's part for the conversation features (see MessageStore). */
export interface MessageFeatureStore {
  /**
   * Applies this device's changes to its messages and, when at least one applied (or none were
   * given), queues `queue` for the peer, in one transaction; the outcome of each change, in order.
   */
  change(
    contactId: string,
    changes: readonly MessageChange[],
    queue?: QueuedRecord,
  ): Promise<ChangeOutcome[]>;
  /** The records queued for the peer and not acknowledged, oldest first. */
  queued(contactId: string): Promise<QueuedRecord[]>;
  /** A queued record went (a mailbox took it): 'sent' by that route. false when none is queued. */
  queuedSent(contactId: string, id: Uint8Array, route: MessageRoute): Promise<boolean>;
  /** Deletes a message on this device only (delete for me); false when there was none. */
  remove(contactId: string, messageId: Uint8Array): Promise<boolean>;
}

const isId = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 16;
const bad = (message: string): StoreError => new StoreError('BAD_ARGUMENT', message);

/** Checks a change before any transaction; throws StoreError('BAD_ARGUMENT'). */
export function checkChange(c: MessageChange): MessageChange {
  if (!isId(c.messageId)) throw bad('A message id must be 16 bytes.');
  if (c.from !== 'in' && c.from !== 'out') throw bad('A change must come from in or out.');
  if (!Number.isFinite(c.at)) throw bad('A change needs a time.');
  switch (c.kind) {
    case 'reaction':
      if (!isId(c.id) || typeof c.emoji !== 'string' || c.emoji.length > 32) {
        throw bad('A reaction needs an id and one emoji.');
      }
      return { ...c, messageId: Uint8Array.from(c.messageId), id: Uint8Array.from(c.id) };
    case 'edit':
      if (!isId(c.id) || typeof c.body !== 'string') throw bad('An edit needs an id and a body.');
      return { ...c, messageId: Uint8Array.from(c.messageId), id: Uint8Array.from(c.id) };
    case 'delete':
    case 'read':
      return { ...c, messageId: Uint8Array.from(c.messageId) };
    default:
      throw bad('Unknown kind of message change.');
  }
}

/** The stored form of a queued record, checked. */
export function queuedRow(q: QueuedRecord): QueuedRecordRow {
  if (typeof q.contactId !== 'string' || q.contactId === '') throw bad('A queued record needs a contact id.');
  if (!isId(q.id)) throw bad('A queued record id must be 16 bytes.');
  if (!Number.isFinite(q.sentAt)) throw bad('A queued record needs a time.');
  if (!(q.record instanceof Uint8Array) || q.record.length === 0)
    throw bad('A queued record needs its bytes.');
  if (q.state !== 'queued' && q.state !== 'sent') throw bad('A queued record is queued or sent.');
  return { ...copyQueued(q), idHex: toHex(q.id) };
}

export function copyQueued(q: QueuedRecord): QueuedRecord {
  return {
    contactId: q.contactId,
    id: Uint8Array.from(q.id),
    sentAt: q.sentAt,
    record: Uint8Array.from(q.record),
    state: q.state,
    ...(q.route === undefined ? {} : { route: q.route }),
  };
}

/** Oldest first, then by id. */
export function byQueuedAt(a: QueuedRecordRow, b: QueuedRecordRow): number {
  return a.sentAt - b.sentAt || (a.idHex < b.idHex ? -1 : a.idHex > b.idHex ? 1 : 0);
}

/** A copy of the feature fields present on `m`. */
export function copyFeatures(m: MessageFeatures): MessageFeatures {
  return {
    ...(m.replyTo === undefined ? {} : { replyTo: Uint8Array.from(m.replyTo) }),
    ...(m.reactions === undefined
      ? {}
      : {
          reactions: m.reactions.map((r) => ({
            from: r.from,
            emoji: r.emoji,
            at: r.at,
            id: Uint8Array.from(r.id),
          })),
        }),
    ...(m.editedAt === undefined ? {} : { editedAt: m.editedAt }),
    ...(m.editId === undefined ? {} : { editId: Uint8Array.from(m.editId) }),
    ...(m.edits === undefined
      ? {}
      : {
          edits: m.edits.map((e) => ({
            body: e.body,
            at: e.at,
            ...(e.id === undefined ? {} : { id: Uint8Array.from(e.id) }),
          })),
        }),
    ...(m.deletedAt === undefined ? {} : { deletedAt: m.deletedAt }),
    ...(m.readAt === undefined ? {} : { readAt: m.readAt }),
  };
}

/** Checks the feature fields of a message about to be stored; throws StoreError('BAD_ARGUMENT'). */
export function checkFeatures(m: MessageFeatures): void {
  const time = (t: unknown) => t === undefined || Number.isFinite(t);
  if (m.replyTo !== undefined && !isId(m.replyTo)) throw bad('A quoted message id must be 16 bytes.');
  if (!time(m.editedAt) || !time(m.deletedAt) || !time(m.readAt))
    throw bad('A message’s times must be numbers.');
  if (m.editId !== undefined && !isId(m.editId)) throw bad('An edit id must be 16 bytes.');
  const reactions: unknown = m.reactions;
  if (reactions !== undefined && (!Array.isArray(reactions) || reactions.length > 2)) {
    throw bad('A message keeps at most one reaction a side.');
  }
  for (const r of m.reactions ?? []) {
    if ((r.from !== 'in' && r.from !== 'out') || typeof r.emoji !== 'string' || !time(r.at) || !isId(r.id)) {
      throw bad('A reaction needs a side, an emoji, a time and an id.');
    }
  }
  const edits: unknown = m.edits;
  if (edits !== undefined && (!Array.isArray(edits) || edits.length > MAX_EDIT_HISTORY)) {
    throw bad(`A message keeps at most ${MAX_EDIT_HISTORY} previous bodies.`);
  }
  for (const e of m.edits ?? []) {
    if (typeof e.body !== 'string' || !time(e.at) || (e.id !== undefined && !isId(e.id))) {
      throw bad('A previous body needs its text and time.');
    }
  }
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/** What `change` does to `record` (undefined: no such message); `next` is set when it applied. */
export function applyChange(
  record: MessageRecord | undefined,
  change: MessageChange,
): { outcome: ChangeOutcome; next?: MessageRecord } {
  if (!record) return { outcome: 'missing' };
  switch (change.kind) {
    case 'reaction': {
      if (record.deletedAt !== undefined) return { outcome: 'missing' };
      const mine = record.reactions?.find((r) => r.from === change.from);
      if (mine && (same(mine.id, change.id) || mine.at > change.at)) return { outcome: 'duplicate' };
      const reaction: MessageReaction = {
        from: change.from,
        emoji: change.emoji,
        at: change.at,
        id: change.id,
      };
      const others = (record.reactions ?? []).filter((r) => r.from !== change.from);
      return { outcome: 'applied', next: { ...record, reactions: [...others, reaction] } };
    }
    case 'edit': {
      if (record.direction !== change.from) return { outcome: 'refused' };
      if (record.deletedAt !== undefined) return { outcome: 'missing' };
      const edits = record.edits ?? [];
      if (same(record.editId, change.id) || edits.some((e) => same(e.id, change.id))) {
        return { outcome: 'duplicate' };
      }
      const shownAt = record.editedAt ?? record.sentAt;
      const keep = (list: PreviousBody[]) => list.slice(-MAX_EDIT_HISTORY);
      if (change.at < shownAt) {
        // Older than the body shown: it was one of the bodies in between.
        const late: PreviousBody = { body: change.body, at: change.at, id: change.id };
        return {
          outcome: 'applied',
          next: { ...record, edits: keep([...edits, late].sort((a, b) => a.at - b.at)) },
        };
      }
      const previous: PreviousBody = {
        body: record.body,
        at: shownAt,
        ...(record.editId === undefined ? {} : { id: record.editId }),
      };
      return {
        outcome: 'applied',
        next: {
          ...record,
          body: change.body,
          editedAt: change.at,
          editId: change.id,
          edits: keep([...edits, previous]),
        },
      };
    }
    case 'delete': {
      if (record.direction !== change.from) return { outcome: 'refused' };
      if (record.deletedAt !== undefined) return { outcome: 'duplicate' };
      const { replyTo: _q, reactions: _r, editedAt: _a, editId: _i, edits: _e, ...rest } = record;
      return { outcome: 'applied', next: { ...rest, body: '', deletedAt: change.at } };
    }
    case 'read': {
      // A receipt from the peer is for one of ours; this device reads the peer's.
      if (record.direction === change.from) return { outcome: 'refused' };
      if (record.readAt !== undefined) return { outcome: 'duplicate' };
      const delivered = change.from === 'in' ? { state: 'delivered' as const } : {};
      return { outcome: 'applied', next: { ...record, ...delivered, readAt: change.at } };
    }
  }
}
