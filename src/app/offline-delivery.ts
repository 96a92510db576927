/**
 * Delivery through the worker's mailboxes when a contact has no live session (DESIGN.md, Routes
 * and delivery, item 4; the wire contract is src/protocol/mailbox.ts).
 *
 * - Each side keeps an inbound mailbox per contact: a random id (the address) and a random read
 *   token, claimed at the worker, the id announced to the contact inside the ratchet (a `mailbox`
 *   record) on every live session and through the contact's own mailbox when there is none. After
 *   MAILBOX_REPLACE_AFTER_MS a new one replaces it; the old one is still read until it is empty,
 *   then dropped, so the worker cannot link one mailbox to the next.
 * - Sending: a message that no live session carried goes, as a ratchet message, into the mailbox
 *   the contact announced; it is 'sent' (by mailbox) once the worker took it, 'delivered' when the
 *   contact's ack comes back, live or through this side's mailbox. A deposit that fails leaves it
 *   queued: nothing is lost, and it goes again later or on the next live session.
 * - Receiving: `fetchAll` reads every inbound mailbox through the ratchet (mailbox-read.ts), and
 *   acknowledges the texts: live when a session is open, else through the contact's mailbox.
 *   The addresses it learns and the mailboxes it finds gone are kept here.
 * - Every ratchet step for a contact runs in the messenger's per-contact chain (`serial`).
 */
import { fromBase64Url, toBase64Url, toHex } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import {
  MAX_BATCH_BLOBS,
  MAX_DEPOSIT_BATCH_BYTES,
  MailboxError,
  type PushSubscriptionJson,
} from '../protocol/mailbox';
import { type AppRecord, MAX_ACK_IDS, type MailboxRecord, decodeRecord } from '../protocol/records';
import {
  type Contact,
  type ContactMailboxes,
  MAX_OWN_MAILBOXES,
  type OwnMailbox,
} from '../store/contact-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { Stores } from '../store/stores';
import type { Conversations, Opened } from './conversation';
import { type DeliveryLive, outgoingRecord } from './delivery';
import type { FeatureSettings } from './record-effects';
import { type MailboxClient, MailboxUnreachableError } from './mailbox-client';
import { access, createMailboxReader } from './mailbox-read';

/** A new inbound mailbox replaces the current one after this long. */
export const MAILBOX_REPLACE_AFTER_MS = 7 * 24 * 60 * 60_000;
/** A sealed text's size beyond its body: record, ratchet header and KEM block, tag (an estimate). */
const SEALED_OVERHEAD_BYTES = 4096;

export interface OfflineDeps {
  readonly stores: Stores;
  readonly now: () => number;
  readonly client: MailboxClient;
  readonly conversations: () => Promise<Conversations>;
  /** The messenger's per-contact chain: read-modify-write of a contact and its ratchet never interleave. */
  readonly serial: <T>(contactId: string, task: () => Promise<T>) => Promise<T>;
  /** The contact's live session when one is open and trusted now. */
  readonly live: (contactId: string) => DeliveryLive | undefined;
  readonly log: (contactId: string, kind: SecurityEventKind, detail: string) => Promise<void>;
  /** The contact's history changed. */
  readonly changed: (contactId: string) => void;
  /** A key-rotation record read from a mailbox: the messenger's rotation use case commits it. */
  readonly rotation: (contactId: string, opened: Opened) => Promise<void>;
  /** This browser's push subscription when the person turned wake-ups on (wake-ups.ts). */
  readonly pushSubscription?: () => PushSubscriptionJson | undefined;
  /** The person's choices for receipts and typing (record-effects.ts); both on when absent. */
  readonly settings?: () => FeatureSettings;
}

export interface FetchReport {
  /** Ratchet messages read and stored (texts, acks, announcements). */
  readonly read: number;
  /** Messages refused (never readable) and deleted. */
  readonly refused: number;
  /** Mailboxes listed. */
  readonly mailboxes: number;
}

export interface OfflineDelivery {
  /**
   * On a trusted live session (in the contact's chain): makes sure this side has a claimed inbound
   * mailbox for the contact and announces it on the session.
   */
  announce(contactId: string, live: DeliveryLive): Promise<void>;
  /** A `mailbox` record arrived live (in the contact's chain): commits it and keeps the address. */
  receivedAnnouncement(contactId: string, opened: Opened & { record: MailboxRecord }): Promise<void>;
  /** Deposits the contact's undelivered messages no mailbox holds yet, when no session is open. */
  depositOutbox(contactId: string): Promise<number>;
  /** depositOutbox for every contact. */
  depositAll(): Promise<void>;
  /** Reads every inbound mailbox; calls made while one runs share it, and one more follows. */
  fetchAll(): Promise<FetchReport>;
  /**
   * Registers `subscription` with every inbound mailbox (or, undefined, takes it off them all), so
   * that a deposit wakes this browser. New mailboxes get the current one when they are made.
   */
  setWakeUps(subscription: PushSubscriptionJson | undefined): Promise<void>;
}

/** A text or a queued record waiting for a deposit. */
interface Outgoing {
  readonly messageId: Uint8Array;
  /** Its body's size, for the estimate of a batch before it is sealed. */
  readonly size: number;
  readonly record: () => AppRecord;
  /** Marks it 'sent' by mailbox once the worker took it. */
  readonly sent: () => Promise<unknown>;
}

const current = (own: readonly OwnMailbox[]): OwnMailbox | undefined =>
  own.findLast((m) => m.retiredAt === undefined);

export function createOfflineDelivery(deps: OfflineDeps): OfflineDelivery {
  const { stores, now, client, serial, changed } = deps;

  const contactOf = async (contactId: string): Promise<Contact | undefined> => stores.contacts.get(contactId);

  const saveMailboxes = async (contact: Contact, mailboxes: ContactMailboxes): Promise<Contact> => {
    const next = { ...contact, mailboxes };
    await stores.contacts.put(next);
    return next;
  };

  /**
   * The contact's current inbound mailbox, claimed at the worker; a new one when there is none or
   * it is due for replacement (the one it replaces is retired, read until empty). Throws when the
   * worker cannot be reached or refuses.
   */
  const ensureCurrent = async (
    contact: Contact,
  ): Promise<{ contact: Contact; box: OwnMailbox; fresh: boolean }> => {
    const own = contact.mailboxes?.own ?? [];
    const at = now();
    const existing = current(own);
    if (existing && at - existing.createdAt < MAILBOX_REPLACE_AFTER_MS && existing.createdAt <= at) {
      return { contact, box: existing, fresh: false };
    }
    const box: OwnMailbox = {
      id: toBase64Url(randomBytes(32)),
      token: toBase64Url(randomBytes(32)),
      createdAt: at,
    };
    await client.claim(access(box));
    let kept = own.map((m) => (m === existing ? { ...m, retiredAt: at } : m));
    // Keep at most MAX_OWN_MAILBOXES: the oldest replaced ones go (dropped at the worker if it can).
    while (kept.length + 1 > MAX_OWN_MAILBOXES) {
      const [oldest, ...rest] = kept;
      kept = rest;
      if (oldest) await client.drop(access(oldest)).catch(() => undefined);
    }
    const wake = deps.pushSubscription?.();
    if (wake) await client.setPush(access(box), wake).catch(() => undefined); // best effort: the next setWakeUps retries
    const claimed = { ...box, claimedAt: at };
    const next = await saveMailboxes(contact, {
      ...(contact.mailboxes ?? {}),
      own: [...kept, claimed],
    });
    return { contact: next, box: claimed, fresh: true };
  };

  const announcement = (box: OwnMailbox): AppRecord => ({ kind: 'mailbox', id: fromBase64Url(box.id) });

  /** The contact's mailbox refused a deposit for good: forget the address until a new one is announced. */
  const forgetPeer = async (contactId: string, id: string): Promise<void> => {
    const contact = await contactOf(contactId);
    const mailboxes = contact?.mailboxes;
    if (!contact || mailboxes?.peer?.id !== id) return;
    const { peer: _, ...rest } = mailboxes;
    await saveMailboxes(contact, rest);
  };

  /** Seals `record` and deposits it in the contact's mailbox; false when that cannot be done now. */
  const depositRecord = async (contactId: string, peerId: string, record: AppRecord): Promise<boolean> => {
    const bytes = await (await deps.conversations()).seal(contactId, record);
    try {
      await client.deposit(peerId, bytes);
      return true;
    } catch (e) {
      if (e instanceof MailboxError && e.code === 'NO_MAILBOX') await forgetPeer(contactId, peerId);
      if (e instanceof MailboxError || e instanceof MailboxUnreachableError) return false;
      throw e;
    }
  };

  /** Acknowledges texts read from a mailbox: live when a session is open, else by mailbox. */
  const acknowledge = async (contactId: string, ids: readonly Uint8Array[]): Promise<void> => {
    for (let i = 0; i < ids.length; i += MAX_ACK_IDS) {
      const record: AppRecord = { kind: 'ack', ids: ids.slice(i, i + MAX_ACK_IDS) };
      const live = deps.live(contactId);
      if (live?.open()) {
        await live.send(record);
        continue;
      }
      const peer = (await contactOf(contactId))?.mailboxes?.peer;
      // No address: the sender keeps the messages and sends them again; they are stored once.
      if (!peer || !(await depositRecord(contactId, peer.id, record))) return;
    }
  };

  const keepPeerAddress = async (contactId: string, id: Uint8Array): Promise<void> => {
    const contact = await contactOf(contactId);
    if (!contact) return;
    const address = toBase64Url(id);
    if (contact.mailboxes?.peer?.id === address) return;
    await saveMailboxes(contact, { own: contact.mailboxes?.own ?? [], peer: { id: address, at: now() } });
  };

  /** Announces this side's current mailbox through the contact's one, when due (no live session). */
  const announceByMailbox = async (contactId: string): Promise<void> => {
    const contact = await contactOf(contactId);
    const peer = contact?.mailboxes?.peer;
    if (!contact || !peer || contact.pendingKey) return;
    const { box, fresh } = await ensureCurrent(contact);
    if (fresh) await depositRecord(contactId, peer.id, announcement(box));
  };

  /**
   * Ratchet messages sealed for deposits the worker has not taken yet, per contact and ratchet: a
   * failed try (the worker away, a full mailbox, the rate limit) keeps them, and the next try sends
   * the same bytes. Sealing afresh on every try would spend a message key each time, and past
   * MAX_SKIP spent keys the contact would refuse the chain. Kept in memory only: a reload seals
   * each waiting message once more.
   */
  const sealedByContact = new Map<string, { ratchet: string; sealed: Map<string, Uint8Array> }>();
  const sealedCache = async (
    contactId: string,
    pending: readonly { readonly messageId: Uint8Array }[],
  ): Promise<Map<string, Uint8Array>> => {
    const ratchet = toHex((await (await deps.conversations()).id(contactId)) ?? new Uint8Array(0));
    let entry = sealedByContact.get(contactId);
    if (!entry || entry.ratchet !== ratchet) {
      entry = { ratchet, sealed: new Map() };
      sealedByContact.set(contactId, entry);
    }
    const waiting = new Set(pending.map((m) => toHex(m.messageId)));
    for (const hex of entry.sealed.keys()) if (!waiting.has(hex)) entry.sealed.delete(hex);
    return entry.sealed;
  };

  const depositOutbox = async (contactId: string): Promise<number> =>
    serial(contactId, async () => {
      const contact = await contactOf(contactId);
      const peer = contact?.mailboxes?.peer;
      if (!contact || !peer || contact.pendingKey || deps.live(contactId)?.open()) return 0;
      // Texts (not those deleted before they went), then the records queued (reactions, edits…).
      const texts = (await stores.messages.list(contactId)).filter(
        (m) =>
          m.direction === 'out' &&
          m.state !== 'delivered' &&
          m.route !== 'mailbox' &&
          m.deletedAt === undefined,
      );
      const pending: Outgoing[] = [
        ...texts.map((m) => ({
          messageId: m.messageId,
          size: new TextEncoder().encode(m.body).length,
          record: () => outgoingRecord(m),
          sent: async () => stores.messages.updateState(contactId, m.messageId, 'sent', undefined, 'mailbox'),
        })),
        ...(await stores.messages.queued(contactId))
          .filter((q) => q.route !== 'mailbox')
          .map((q) => ({
            messageId: q.id,
            size: q.record.length,
            record: () => decodeRecord(q.record),
            sent: async () => stores.messages.queuedSent(contactId, q.id, 'mailbox'),
          })),
      ];
      const conversations = await deps.conversations();
      const sealed = await sealedCache(contactId, pending);
      let deposited = 0;
      // In batches (one request each), oldest first; a batch the worker does not take stays queued,
      // and its sealed messages are kept for the next try, so no try spends message keys.
      for (let i = 0; i < pending.length;) {
        const batch: { id: Uint8Array; hex: string; bytes: Uint8Array; sent: () => Promise<unknown> }[] = [];
        let size = 0;
        while (i < pending.length && batch.length < MAX_BATCH_BLOBS) {
          const m = pending[i]!;
          const hex = toHex(m.messageId);
          const kept = sealed.get(hex);
          const estimate = kept?.length ?? m.size + SEALED_OVERHEAD_BYTES;
          if (batch.length > 0 && size + estimate > MAX_DEPOSIT_BATCH_BYTES) break;
          let bytes = kept;
          if (!bytes) {
            bytes = await conversations.seal(contactId, m.record());
            sealed.set(hex, bytes);
          }
          batch.push({ id: m.messageId, hex, bytes, sent: m.sent });
          size += bytes.length;
          i++;
        }
        try {
          await client.depositMany(
            peer.id,
            batch.map((b) => b.bytes),
          );
        } catch (e) {
          if (e instanceof MailboxError && e.code === 'NO_MAILBOX') await forgetPeer(contactId, peer.id);
          if (e instanceof MailboxError || e instanceof MailboxUnreachableError) break;
          throw e;
        }
        for (const b of batch) {
          await b.sent();
          sealed.delete(b.hex);
        }
        deposited += batch.length;
        changed(contactId);
      }
      await announceByMailbox(contactId).catch(() => undefined);
      return deposited;
    });

  /** Forgets an inbound mailbox the worker no longer has (expired, or dropped). */
  const dropOwn = async (contactId: string, id: string): Promise<void> => {
    const contact = await contactOf(contactId);
    const mailboxes = contact?.mailboxes;
    if (!contact || !mailboxes?.own.some((m) => m.id === id)) return;
    await saveMailboxes(contact, { ...mailboxes, own: mailboxes.own.filter((m) => m.id !== id) });
  };

  const reader = createMailboxReader({ ...deps, acknowledge, keepPeerAddress, dropOwn });

  return {
    async announce(contactId, live) {
      const contact = await contactOf(contactId);
      if (!contact || contact.pendingKey) return;
      const { box } = await ensureCurrent(contact);
      await live.send(announcement(box));
    },

    async receivedAnnouncement(contactId, opened) {
      await opened.commit({});
      await keepPeerAddress(contactId, opened.record.id);
    },

    depositOutbox,

    async setWakeUps(subscription) {
      for (const c of await stores.contacts.list()) {
        for (const box of c.mailboxes?.own ?? []) {
          if (box.claimedAt === undefined) continue;
          if (subscription) await client.setPush(access(box), subscription);
          else await client.clearPush(access(box)).catch(() => undefined);
        }
      }
    },

    async depositAll() {
      for (const c of await stores.contacts.list()) {
        if (c.mailboxes?.peer) await depositOutbox(c.id);
      }
    },

    fetchAll: async () => reader.fetchAll(),
  };
}
