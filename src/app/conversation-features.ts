/**
 * The conversation features as use cases (issue 13, scope 3; the records are
 * src/protocol/feature-records.ts, what they change on a message store/message-changes.ts):
 *
 * - reply: a text that quotes a message by id (only the id travels);
 * - react: one reaction a side and message, a new one replaces it, '' takes it back;
 * - edit and delete for everyone: of this device's own messages only; the previous bodies stay
 *   here as history, a delete leaves a tombstone and erases the body and its history;
 * - delete for me: this device only, nothing is sent;
 * - markMessagesRead: marks the contact's messages read here, and sends a read receipt when the
 *   person has them on;
 * - typing: 'started' at most every few seconds, 'stopped' after one, over a live session only.
 *
 * Each change is applied here and its record queued, in one transaction; then it goes like a text:
 * on the live session when one is open, else through the contact's mailbox, and again on every
 * session until the contact acknowledges it (delivery.ts). Loaded on first use.
 */
import { randomBytes } from '../crypto/random';
import { MAX_RECEIPT_IDS, reactionProblem } from '../protocol/feature-records';
import { MAX_TEXT_BODY_BYTES, MESSAGE_ID_LENGTH } from '../protocol/record-limits';
import { type AppRecord, encodeRecord } from '../protocol/records';
import type { Emitter } from '../protocol/events';
import type { ChangeOutcome, MessageChange } from '../store/message-changes';
import type { Contact } from '../store/contact-types';
import type { StoredMessage } from '../store/message-types';
import type { Stores } from '../store/stores';
import { type ContactOps, withDecidedKey } from './contact-ops';
import type { Delivery, DeliveryLive } from './delivery';
import { AppError } from './errors';
import type { LiveSessions } from './live-sessions';
import type { MessengerEvents } from './messenger-api';
import type { OfflineDelivery } from './offline-delivery';
import type { FeatureSettings } from './record-effects';
import { createOwnTyping } from './typing';

export interface ConversationFeatureDeps extends Pick<ContactOps, 'serial' | 'mustGet'> {
  readonly stores: Stores;
  readonly now: () => number;
  readonly delivery: Delivery;
  readonly settings: () => FeatureSettings;
  /** The contacts' live sessions. */
  readonly sessions: Pick<LiveSessions, 'get' | 'trusted'>;
  /** Offline delivery, when a worker is configured. */
  readonly offline: () => Promise<OfflineDelivery | undefined>;
  /** A deposit that failed (the records wait in the outbox). */
  readonly mailboxTrouble: (e: unknown) => void;
  /** 'messages' when the contact's history changed. */
  readonly emitter: Pick<Emitter<MessengerEvents>, 'emit'>;
}

/** What the UI calls (the messenger forwards them; messenger-api.ts). */
export interface ConversationFeatures {
  /** Sends `text` quoting the message `toMessageId` (either side's); stored like any text. */
  reply(contactId: string, text: string, toMessageId: Uint8Array): Promise<StoredMessage>;
  /** Sets this device's reaction to a message (either side's); '' takes it back. */
  react(contactId: string, messageId: Uint8Array, emoji: string): Promise<void>;
  /** Replaces the text of one of this device's messages; the previous text stays here as history. */
  edit(contactId: string, messageId: Uint8Array, body: string): Promise<void>;
  /** Deletes one of this device's messages on both sides: a tombstone stays. */
  deleteForEveryone(contactId: string, messageId: Uint8Array): Promise<void>;
  /** Deletes a message (either side's) on this device only. */
  deleteForMe(contactId: string, messageId: Uint8Array): Promise<void>;
  /**
   * Marks the contact's messages read here and, with read receipts on, tells the contact; ids of
   * this device's messages, or already read, are skipped. Resolves to how many were newly read.
   */
  markMessagesRead(contactId: string, messageIds: readonly Uint8Array[]): Promise<number>;
  /**
   * The person is typing (true) or stopped (false): tells the contact over a live session, when
   * the typing indicator is on, at most one 'started' every few seconds. Resolves to whether a
   * record went.
   */
  typing(contactId: string, typing: boolean): Promise<boolean>;
}

const UNKNOWN_MESSAGE = 'This message is no longer here.';

function checkBody(body: string): void {
  if (body.trim() === '') throw new AppError('EMPTY_MESSAGE', 'Write something to send.');
  if (new TextEncoder().encode(body).length > MAX_TEXT_BODY_BYTES) {
    throw new AppError(
      'MESSAGE_TOO_LONG',
      `This message is too long: at most ${MAX_TEXT_BODY_BYTES / 1024} KiB of text fits in one message.`,
    );
  }
}

export function createConversationFeatures(deps: ConversationFeatureDeps): ConversationFeatures {
  const { stores, now, serial } = deps;
  const changed = (contactId: string): void => deps.emitter.emit('messages', contactId);
  /** The contact's live session when one is open for the key pinned now. */
  const liveFor = (contact: Contact): DeliveryLive | undefined => {
    const l = deps.sessions.get(contact.id);
    return l?.state === 'open' && deps.sessions.trusted(contact, l) ? l : undefined;
  };
  /** Deposits what waits for the contact in its mailbox (no live session took it). */
  const deposit = (contactId: string): void => {
    deps
      .offline()
      .then(async (o) => o?.depositOutbox(contactId))
      .catch(deps.mailboxTrouble);
  };
  // withDecidedKey needs the contact's order and reads only.
  const ops: Pick<ContactOps, 'serial' | 'mustGet'> = { serial, mustGet: deps.mustGet };
  const ownTyping = createOwnTyping(now);

  /** Times of this device's records go strictly up, so that the contact orders them as sent. */
  let lastAt = 0;
  const nextAt = (): number => (lastAt = Math.max(now(), lastAt + 1));

  /** Sends a queued record now on the live session, or leaves it to the mailbox. */
  const dispatch = async (contact: Contact, record: AppRecord & { id: Uint8Array }): Promise<void> => {
    const live = liveFor(contact);
    if (live?.open()) {
      try {
        await live.send(record, [record.id]);
        return;
      } catch {
        // The session ended under us: the record waits in the outbox for the next one.
      }
    }
    deposit(contact.id);
  };

  /**
   * Applies this device's `change` and queues `record` (one transaction), then sends it. Throws
   * AppError for a message that is not here or not this device's to change.
   */
  const changeAndSend = async (
    contactId: string,
    change: MessageChange,
    record: AppRecord & { id: Uint8Array; sentAt: number },
  ): Promise<void> =>
    withDecidedKey(ops, contactId, async (contact) => {
      const queue = {
        contactId,
        id: record.id,
        sentAt: record.sentAt,
        record: encodeRecord(record),
        state: 'queued' as const,
      };
      const [outcome] = await stores.messages.change(contactId, [change], queue);
      refuseUnless(outcome);
      if (outcome !== 'applied') return;
      changed(contactId);
      await dispatch(contact, record);
    });

  const refuseUnless = (outcome: ChangeOutcome | undefined): void => {
    if (outcome === 'missing') throw new AppError('UNKNOWN_MESSAGE', UNKNOWN_MESSAGE);
    if (outcome === 'refused') {
      throw new AppError('NOT_YOUR_MESSAGE', 'Only your own messages can be edited or deleted for everyone.');
    }
  };

  const newId = (): Uint8Array => randomBytes(MESSAGE_ID_LENGTH);

  return {
    async reply(contactId, text, toMessageId) {
      checkBody(text);
      let stored: StoredMessage | undefined;
      await withDecidedKey(ops, contactId, async (contact) => {
        const quoted = (await stores.messages.list(contactId)).find((m) => sameId(m.messageId, toMessageId));
        if (!quoted || quoted.deletedAt !== undefined) throw new AppError('UNKNOWN_MESSAGE', UNKNOWN_MESSAGE);
        stored = await deps.delivery.send(contactId, text, liveFor(contact), toMessageId);
      });
      if (stored!.state === 'queued') deposit(contactId);
      return stored!;
    },

    async react(contactId, messageId, emoji) {
      const problem = reactionProblem(emoji);
      if (problem) throw new AppError('BAD_REACTION', problem);
      const id = newId();
      const at = nextAt();
      await changeAndSend(
        contactId,
        { kind: 'reaction', messageId, from: 'out', id, at, emoji },
        { kind: 'reaction', id, sentAt: at, target: messageId, emoji },
      );
    },

    async edit(contactId, messageId, body) {
      checkBody(body);
      const id = newId();
      const at = nextAt();
      await changeAndSend(
        contactId,
        { kind: 'edit', messageId, from: 'out', id, at, body },
        { kind: 'edit', id, sentAt: at, target: messageId, body },
      );
    },

    async deleteForEveryone(contactId, messageId) {
      const id = newId();
      const at = nextAt();
      await changeAndSend(
        contactId,
        { kind: 'delete', messageId, from: 'out', at },
        { kind: 'delete', id, sentAt: at, target: messageId },
      );
    },

    async deleteForMe(contactId, messageId) {
      await serial(contactId, async () => {
        if (!(await stores.messages.remove(contactId, messageId))) {
          throw new AppError('UNKNOWN_MESSAGE', UNKNOWN_MESSAGE);
        }
      });
      changed(contactId);
    },

    async markMessagesRead(contactId, messageIds) {
      if (messageIds.length === 0) return 0;
      let read = 0;
      await withDecidedKey(ops, contactId, async (contact) => {
        const at = nextAt();
        const changes: MessageChange[] = messageIds.map((messageId) => ({
          kind: 'read',
          messageId,
          from: 'out',
          at,
        }));
        const outcomes = await stores.messages.change(contactId, changes);
        const ids = messageIds.filter((_, i) => outcomes[i] === 'applied');
        read = ids.length;
        if (read === 0) return;
        changed(contactId);
        if (!deps.settings().readReceipts) return;
        for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
          const record = {
            kind: 'receipt' as const,
            id: newId(),
            sentAt: nextAt(),
            ids: ids.slice(i, i + MAX_RECEIPT_IDS),
          };
          // Queued on its own: the read marks above are this device's and stand without it.
          await stores.messages.change(contactId, [], {
            contactId,
            id: record.id,
            sentAt: record.sentAt,
            record: encodeRecord(record),
            state: 'queued',
          });
          await dispatch(contact, record);
        }
      });
      return read;
    },

    async typing(contactId, typing) {
      if (!deps.settings().typingIndicator) return false;
      return serial(contactId, async () => {
        const contact = await deps.mustGet(contactId);
        const live = liveFor(contact);
        if (contact.pendingKey || !live?.open() || !ownTyping(contactId, typing)) return false;
        await live.send({ kind: 'typing', typing });
        return true;
      });
    },
  };
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
