/**
 * The rules that change a stored message (message-changes.ts says what each change means) and the
 * checks of a change and of a queued record, shared by the in-memory and the IndexedDB store so
 * both behave the same. Loaded with the first change or outbox read, not with the page: the
 * conversation list does not need them.
 */
import { toHex } from '../crypto/bytes';
import {
  type ChangeOutcome,
  MAX_EDIT_HISTORY,
  type MessageChange,
  type MessageFeatures,
  type MessageReaction,
  type PreviousBody,
  type QueuedRecord,
  type QueuedRecordRow,
  bad,
  isId,
} from './message-changes';
import type { MessageRecord } from './records';

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
