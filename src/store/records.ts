/**
 * The stored shape of contacts and messages, and the copies on the way out, shared by the in-memory
 * and the IndexedDB store so both behave the same. Records hold only structured-clonable values.
 * The checks on the way in are record-checks.ts (loaded with the first write), the identity record
 * is in identity-records.ts, a ratchet commit's checks in ratchet-records.ts.
 */
import { toHex } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { copyFile } from './file-types';
import { copyFeatures } from './message-changes';
import type { Contact, ContactMailboxes, OwnMailbox, PendingKey } from './contact-types';
import type { MessageRoute, StoredMessage } from './message-types';

export const USER_ID_LENGTH = 16;
export const MESSAGE_ID_LENGTH = 16;

export interface ContactRecord extends Contact {
  /** Hex of `identityKey`, for the unique index. */
  readonly identityKeyHex: string;
}

export interface MessageRecord extends StoredMessage {
  /** Hex of `messageId`, the second half of the primary key. */
  readonly messageIdHex: string;
  /** The contact id while the message's file transfer may still move; absent otherwise (a sparse index). */
  readonly transferOf?: string;
}

/** A fresh random contact id (16 bytes, hex). */
export function newContactId(): string {
  return toHex(randomBytes(16));
}

export function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function copyOwnMailbox(m: OwnMailbox): OwnMailbox {
  return {
    id: m.id,
    token: m.token,
    createdAt: m.createdAt,
    ...(m.claimedAt === undefined ? {} : { claimedAt: m.claimedAt }),
    ...(m.retiredAt === undefined ? {} : { retiredAt: m.retiredAt }),
  };
}

function copyMailboxes(m: ContactMailboxes): ContactMailboxes {
  return {
    own: m.own.map(copyOwnMailbox),
    ...(m.peer === undefined ? {} : { peer: { id: m.peer.id, at: m.peer.at } }),
  };
}

function copyPendingKey(p: PendingKey): PendingKey {
  return {
    identityKey: Uint8Array.from(p.identityKey),
    ...(p.signingKey === undefined ? {} : { signingKey: Uint8Array.from(p.signingKey) }),
    evidence: p.evidence,
    at: p.at,
    announcedName: p.announcedName,
  };
}

export function copyContact(c: Contact): Contact {
  const rv = c.rendezvous;
  return {
    id: c.id,
    identityKey: Uint8Array.from(c.identityKey),
    ...(c.signingKey === undefined ? {} : { signingKey: Uint8Array.from(c.signingKey) }),
    userId: Uint8Array.from(c.userId),
    announcedName: c.announcedName,
    ...(c.localName === undefined ? {} : { localName: c.localName }),
    verified: c.verified,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    ...(c.pendingKey === undefined ? {} : { pendingKey: copyPendingKey(c.pendingKey) }),
    ...(c.refusedKeys === undefined ? {} : { refusedKeys: c.refusedKeys.map((k) => Uint8Array.from(k)) }),
    ...(rv === undefined
      ? {}
      : {
          rendezvous: {
            secret: Uint8Array.from(rv.secret),
            offerer: rv.offerer,
            ...(rv.keys === undefined ? {} : { keys: Uint8Array.from(rv.keys) }),
          },
        }),
    ...(c.reconnectPaused === undefined
      ? {}
      : { reconnectPaused: { at: c.reconnectPaused.at, reason: c.reconnectPaused.reason } }),
    ...(c.mailboxes === undefined ? {} : { mailboxes: copyMailboxes(c.mailboxes) }),
  };
}

/** Most recently seen first, then by id. */
export function byLastSeen(a: Contact, b: Contact): number {
  return b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function copyMessage(m: StoredMessage): StoredMessage {
  return {
    contactId: m.contactId,
    messageId: Uint8Array.from(m.messageId),
    direction: m.direction,
    body: m.body,
    sentAt: m.sentAt,
    ...(m.receivedAt === undefined ? {} : { receivedAt: m.receivedAt }),
    state: m.state,
    ...(m.route === undefined ? {} : { route: m.route }),
    ...(m.file === undefined ? {} : { file: copyFile(m.file) }),
    ...copyFeatures(m),
  };
}

const ROUTES: ReadonlySet<string> = new Set<MessageRoute>(['direct', 'relayed', 'mailbox']);

export function isMessageRoute(route: unknown): route is MessageRoute {
  return typeof route === 'string' && ROUTES.has(route);
}

/** By `sentAt`, then by message id: the order of the IndexedDB index. */
export function bySentAt(a: MessageRecord, b: MessageRecord): number {
  return (
    a.sentAt - b.sentAt || (a.messageIdHex < b.messageIdHex ? -1 : a.messageIdHex > b.messageIdHex ? 1 : 0)
  );
}
