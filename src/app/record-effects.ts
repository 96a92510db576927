/**
 * What a received application record asks of the store, the same whichever way it came (a live
 * session, delivery.ts; a mailbox, mailbox-read.ts): a text or a reply is a message to store; an
 * ack moves ours to delivered; a reaction, edit, delete or read receipt is a change to a stored
 * message, made as the peer ('in'), so the store refuses an edit or delete of a message that is
 * not theirs (store/message-changes.ts), and the refusal goes into the contact's security log as
 * 'ratchet-refused' with `refusalDetail`'s sentence. Every record with an id is acknowledged once
 * committed, refused or not (it was read; sending it again would change nothing). Times from the
 * peer are bounded to a year around ours (store/peer-time.ts) before they are stored.
 *
 * A change to a message this device does not have (never arrived, deleted for me) is dropped, and
 * still acknowledged: keeping it for a message that may never come would grow without bound.
 *
 * Read receipts and the typing indicator are mutual, as in Signal: with mine off, I send none and
 * theirs are dropped here.
 */
import type { AppRecord, ReplyRecord, TextRecord } from '../protocol/records';
import type { MessageChange } from '../store/message-changes';
import { boundPeerTime } from '../store/peer-time';
import type { MessageRoute, StoredMessage } from '../store/message-types';
import type { ReceiveEffects } from './conversation';
import { receivedFileMessage } from './transfers/file-offers';
import type { FeatureSettings } from './feature-settings';

export { DEFAULT_FEATURE_SETTINGS, type FeatureSettings } from './feature-settings';

export interface Received {
  readonly effects: ReceiveEffects;
  /** The record's id, to acknowledge once the effects are committed. */
  readonly ack?: Uint8Array;
}

/** A received text or reply as stored: its sender's time bounded, marked with the route it came by. */
export function receivedText(
  contactId: string,
  r: TextRecord | ReplyRecord,
  route: MessageRoute,
  receivedAt: number,
): StoredMessage {
  return {
    contactId,
    messageId: r.id,
    direction: 'in',
    body: r.body,
    sentAt: boundPeerTime(r.sentAt, receivedAt),
    receivedAt,
    state: 'delivered',
    route,
    ...(r.kind === 'reply' ? { replyTo: r.replyTo } : {}),
  };
}

/**
 * The effects of a text, reply, ack, reaction, edit, delete, receipt or typing record (nothing
 * for the last: it is never stored); undefined for the records other use cases handle (key
 * rotation, mailbox announcement).
 */
export function receivedEffects(
  contactId: string,
  r: AppRecord,
  route: MessageRoute,
  receivedAt: number,
  settings: FeatureSettings,
): Received | undefined {
  const at = (sentAt: number): number => boundPeerTime(sentAt, receivedAt);
  const change = (c: MessageChange, id: Uint8Array): Received => ({ effects: { changes: [c] }, ack: id });
  switch (r.kind) {
    case 'text':
    case 'reply':
      return { effects: { addMessage: receivedText(contactId, r, route, receivedAt) }, ack: r.id };
    case 'ack':
      return { effects: { delivered: r.ids } };
    case 'reaction':
      return change(
        { kind: 'reaction', messageId: r.target, from: 'in', id: r.id, at: at(r.sentAt), emoji: r.emoji },
        r.id,
      );
    case 'edit':
      return change(
        { kind: 'edit', messageId: r.target, from: 'in', id: r.id, at: at(r.sentAt), body: r.body },
        r.id,
      );
    case 'delete':
      return change({ kind: 'delete', messageId: r.target, from: 'in', at: at(r.sentAt) }, r.id);
    case 'receipt':
      if (!settings.readReceipts) return { effects: {}, ack: r.id };
      return {
        effects: {
          changes: r.ids.map((messageId) => ({ kind: 'read', messageId, from: 'in', at: at(r.sentAt) })),
        },
        ack: r.id,
      };
    case 'typing':
      return { effects: {} };
    case 'file-offer':
      return { effects: { addMessage: receivedFileMessage(contactId, r, route, receivedAt) }, ack: r.id };
    case 'file-chunk-ack':
    case 'file-cancel':
      // Not stored: the transfer's state follows them (transfers.ts), over a live session only.
      return { effects: {} };
    default:
      return undefined;
  }
}

/** The security log's sentence for a change the store refused. */
export function refusalDetail(c: MessageChange): string {
  switch (c.kind) {
    case 'edit':
      return 'They tried to edit a message that is not theirs. Nothing was changed.';
    case 'delete':
      return 'They tried to delete, for everyone, a message that is not theirs. Nothing was changed.';
    case 'read':
      return 'A read receipt named a message of theirs instead of one of yours. It was ignored.';
    case 'reaction':
      return 'A reaction was refused. Nothing was changed.';
  }
}
