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
 *
 * This module holds the shapes and what storing any message checks (loaded with the page); the
 * rules that apply a change and queue a record are message-change-rules.ts, loaded with their use.
 */
import type { MessageDirection, MessageRoute } from './message-types';
import { StoreError } from './store-error';

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

/** A message or record id: 16 bytes. */
export const isId = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 16;
/** The store's refusal of an argument, with its sentence. */
export const bad = (message: string): StoreError => new StoreError('BAD_ARGUMENT', message);

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
