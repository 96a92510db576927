/**
 * Delivery over a live session: nothing lost, nothing shown twice, nothing unbounded.
 *
 * - A message is stored before it is sent and stays not-delivered until the peer's ack for its id
 *   arrives; a received message is stored (deduplicated by id) before it is acknowledged. Messages
 *   not yet acknowledged are sent again, with the same id, on the next session.
 * - Every record is a conversation-ratchet message (conversation.ts): a received message is stored
 *   in the same transaction as the ratchet state that read it, an ack's delivered marks likewise,
 *   and a sent message's 'sent' mark with the state that encrypted it.
 * - The sender's time is bounded to a year around ours before it is stored (store/peer-time.ts).
 * - While a key change waits for the user's decision, what the session sends is held, not shown;
 *   at most MAX_HELD_RECORDS records and MAX_HELD_BYTES of text. More closes that session (the
 *   sender sends it again, unacknowledged, on the next one).
 * - The conversation features (record-effects.ts, conversation-features.ts): a reply is a text
 *   with a quoted id; reactions, edits, deletes and read receipts wait in the outbox of records
 *   until acknowledged, and are sent after the texts; a text deleted before it went is not sent.
 *   Typing records are never stored nor acknowledged; the contact's go to `peerTyping`.
 */
import type { AppRecord } from '../protocol/records';
import { MESSAGE_ID_LENGTH } from '../protocol/record-limits';
import type { MessageRoute, StoredMessage } from '../store/message-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { Stores } from '../store/stores';
import { randomBytes } from '../crypto/random';
import type { StoredFile } from '../store/file-types';
import type { Opened } from './conversation';
import { fileOfferRecord } from './transfers/file-offers';
import {
  DEFAULT_FEATURE_SETTINGS,
  type FeatureSettings,
  receivedEffects,
  refusalDetail,
} from './record-effects';

export const MAX_HELD_RECORDS = 100;
export const MAX_HELD_BYTES = 512 * 1024;

export const HELD_OVERFLOW_DETAIL =
  'The session was closed: it sent more than can be kept while you decide about the new key. Nothing it sent was shown.';

/** What delivery needs of a live session. */
export interface DeliveryLive {
  readonly open: () => boolean;
  /** How this session's messages go: directly, or through a relay. */
  readonly route: MessageRoute;
  /**
   * Encrypts `record` through the contact's ratchet (committing the state, and `sent` moved to
   * 'sent' with it) and sends it on the session.
   */
  readonly send: (record: AppRecord, sent?: readonly Uint8Array[]) => Promise<void>;
}

/** Ratchet messages held, unread, for an undecided key, with their size. */
export interface Held {
  messages: Uint8Array[];
  bytes: number;
}

export interface DeliveryDeps {
  readonly stores: Stores;
  readonly now: () => number;
  /** The contact's history changed. */
  readonly changed: (contactId: string) => void;
  /** The person's choices for receipts and typing; both on when absent. */
  readonly settings?: () => FeatureSettings;
  /** The contact's typing state, as their records (and messages) say. */
  readonly peerTyping?: (contactId: string, typing: boolean) => void;
  /** Writes the contact's security log (a change the store refused). */
  readonly log?: (contactId: string, kind: SecurityEventKind, detail: string) => Promise<void>;
}

export interface Delivery {
  /** Sends every outgoing message the peer has not acknowledged, oldest first, with its own id. */
  flushOutbox(contactId: string, live: DeliveryLive): Promise<void>;
  /**
   * Handles one decrypted record of a trusted session (any but a key rotation or a mailbox
   * announcement): commits it with the ratchet state (a text stored, acked messages delivered, a
   * change applied or refused and logged), then acknowledges it when it has an id.
   */
  receive(contactId: string, live: DeliveryLive, opened: Opened): Promise<void>;
  /** Holds a message for an undecided key; false when it would pass the bounds (nothing is held then). */
  hold(held: Held, message: Uint8Array): boolean;
  /**
   * Stores a new outgoing message (a reply when `replyTo` names the message quoted), then sends it
   * if the session is open.
   */
  send(
    contactId: string,
    body: string,
    live: DeliveryLive | undefined,
    replyTo?: Uint8Array,
    file?: { id: Uint8Array; file: StoredFile },
  ): Promise<StoredMessage>;
}

/** The record that carries an outgoing message: a text, a reply when it quotes one, a file's offer. */
export function outgoingRecord(m: StoredMessage): AppRecord {
  const { messageId: id, sentAt, body } = m;
  if (m.file) return fileOfferRecord(id, sentAt, m.file);
  return m.replyTo
    ? { kind: 'reply', id, sentAt, replyTo: m.replyTo, body }
    : { kind: 'text', id, sentAt, body };
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { stores, now, changed } = deps;
  const settings = deps.settings ?? (() => DEFAULT_FEATURE_SETTINGS);

  /**
   * The history is ordered by sentAt: a message written in the same millisecond as the one before
   * still sorts after it, so sentAt goes strictly up per contact (from what is stored).
   */
  const lastSentAt = new Map<string, number>();
  const nextSentAt = async (contactId: string): Promise<number> => {
    let last = lastSentAt.get(contactId);
    if (last === undefined) {
      const history = await stores.messages.list(contactId);
      last = history.reduce((max, m) => (m.direction === 'out' ? Math.max(max, m.sentAt) : max), 0);
    }
    const at = Math.max(now(), last + 1);
    lastSentAt.set(contactId, at);
    return at;
  };

  return {
    async flushOutbox(contactId, live) {
      if (!live.open()) return;
      const pending = (await stores.messages.list(contactId)).filter(
        (m) => m.direction === 'out' && m.state !== 'delivered' && m.deletedAt === undefined,
      );
      for (const m of pending) {
        if (!live.open()) return;
        await live.send(outgoingRecord(m), [m.messageId]);
        if (m.state === 'queued') changed(contactId);
      }
      const queued = await stores.messages.queued(contactId);
      if (queued.length === 0) return;
      // Loaded already: the session's ratchet brought it.
      const { decodeRecord } = await import('../protocol/records');
      for (const q of queued) {
        if (!live.open()) return;
        await live.send(decodeRecord(q.record), [q.id]);
      }
    },

    async receive(contactId, live, opened) {
      const r = opened.record;
      const got = receivedEffects(contactId, r, live.route, now(), settings());
      if (!got) throw new Error(`Delivery does not handle ${r.kind} records.`);
      const result = await opened.commit(got.effects);
      const outcomes = result.changed ?? [];
      if (result.added === 'added' || result.updated.length > 0 || outcomes.includes('applied')) {
        changed(contactId);
      }
      const changes = got.effects.changes ?? [];
      for (const [i, c] of changes.entries()) {
        if (outcomes[i] === 'refused') await deps.log?.(contactId, 'ratchet-refused', refusalDetail(c));
      }
      if (r.kind === 'typing' && settings().typingIndicator) deps.peerTyping?.(contactId, r.typing);
      if (r.kind === 'text' || r.kind === 'reply') deps.peerTyping?.(contactId, false);
      // Stored (or already stored): now it may be acknowledged.
      if (got.ack && live.open()) await live.send({ kind: 'ack', ids: [got.ack] });
    },

    hold(held, message) {
      const bytes = message.length;
      if (held.messages.length + 1 > MAX_HELD_RECORDS || held.bytes + bytes > MAX_HELD_BYTES) return false;
      held.messages.push(message);
      held.bytes += bytes;
      return true;
    },

    async send(contactId, body, live, replyTo, file) {
      const message: StoredMessage = {
        contactId,
        messageId: file ? Uint8Array.from(file.id) : randomBytes(MESSAGE_ID_LENGTH),
        direction: 'out',
        body,
        sentAt: await nextSentAt(contactId),
        state: 'queued',
        ...(replyTo ? { replyTo: Uint8Array.from(replyTo) } : {}),
        ...(file ? { file: file.file } : {}),
      };
      await stores.messages.add(message);
      changed(contactId);
      if (live?.open()) {
        try {
          await live.send(outgoingRecord(message), [message.messageId]);
          changed(contactId);
          return { ...message, state: 'sent' as const };
        } catch {
          // The session ended under us: the message waits, queued, for the next one.
        }
      }
      return message;
    },
  };
}
