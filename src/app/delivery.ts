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
 */
import type { AppRecord, TextRecord } from '../protocol/records';
import { MESSAGE_ID_LENGTH } from '../protocol/record-limits';
import { boundPeerTime } from '../store/peer-time';
import type { MessageRoute, StoredMessage, Stores } from '../store/types';
import { randomBytes } from '../crypto/random';
import type { Opened } from './conversation';

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
}

export interface Delivery {
  /** Sends every outgoing message the peer has not acknowledged, oldest first, with its own id. */
  flushOutbox(contactId: string, live: DeliveryLive): Promise<void>;
  /**
   * Handles one decrypted text or ack of a trusted session: commits it with the ratchet state
   * (a text stored, acked messages delivered), then acknowledges a text.
   */
  receive(
    contactId: string,
    live: DeliveryLive,
    opened: Opened & { record: TextRecord | AckRecordLike },
  ): Promise<void>;
  /** Holds a message for an undecided key; false when it would pass the bounds (nothing is held then). */
  hold(held: Held, message: Uint8Array): boolean;
  /** Stores a new outgoing message, then sends it if the session is open. */
  send(contactId: string, body: string, live: DeliveryLive | undefined): Promise<StoredMessage>;
}

type AckRecordLike = Extract<AppRecord, { kind: 'ack' }>;

/** A received text as stored: its sender's time bounded, marked with the route it came by. */
export function receivedText(
  contactId: string,
  r: TextRecord,
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
  };
}

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { stores, now, changed } = deps;

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

  const receiveText = async (
    contactId: string,
    live: DeliveryLive,
    opened: Opened,
    r: TextRecord,
  ): Promise<void> => {
    const { added } = await opened.commit({ addMessage: receivedText(contactId, r, live.route, now()) });
    if (added === 'added') changed(contactId);
    // Stored (or already stored): now it may be acknowledged.
    if (live.open()) await live.send({ kind: 'ack', ids: [r.id] });
  };

  return {
    async flushOutbox(contactId, live) {
      if (!live.open()) return;
      const pending = (await stores.messages.list(contactId)).filter(
        (m) => m.direction === 'out' && m.state !== 'delivered',
      );
      for (const m of pending) {
        if (!live.open()) return;
        await live.send({ kind: 'text', id: m.messageId, sentAt: m.sentAt, body: m.body }, [m.messageId]);
        if (m.state === 'queued') changed(contactId);
      }
    },

    async receive(contactId, live, opened) {
      const r = opened.record;
      if (r.kind === 'text') {
        await receiveText(contactId, live, opened, r);
        return;
      }
      const { updated } = await opened.commit({ delivered: r.ids });
      if (updated.length > 0) changed(contactId);
    },

    hold(held, message) {
      const bytes = message.length;
      if (held.messages.length + 1 > MAX_HELD_RECORDS || held.bytes + bytes > MAX_HELD_BYTES) return false;
      held.messages.push(message);
      held.bytes += bytes;
      return true;
    },

    async send(contactId, body, live) {
      const message: StoredMessage = {
        contactId,
        messageId: randomBytes(MESSAGE_ID_LENGTH),
        direction: 'out',
        body,
        sentAt: await nextSentAt(contactId),
        state: 'queued',
      };
      await stores.messages.add(message);
      changed(contactId);
      if (live?.open()) {
        try {
          await live.send({ kind: 'text', id: message.messageId, sentAt: message.sentAt, body }, [
            message.messageId,
          ]);
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
