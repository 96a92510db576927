/**
 * The checks of contacts, messages and security events on their way into a store, and a message's
 * state moving forward, shared by the in-memory and the IndexedDB store so both behave the same
 * (records.ts has their stored shape and the copies on the way out). Loaded with the first write,
 * not with the page: showing the conversation list only reads.
 */
import { constantTimeEqual, toHex } from '../crypto/bytes';
import { X25519_KEY_LENGTH } from '../crypto/x25519';
import { assertCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { MAX_DISPLAY_NAME_BYTES } from '../protocol/display-name';
import { deriveUserId } from '../protocol/user-id';
import { checkStoredFile, isActiveTransfer } from './file-types';
import { checkFeatures } from './message-change-rules';
import {
  type ContactRecord,
  MESSAGE_ID_LENGTH,
  type MessageRecord,
  USER_ID_LENGTH,
  copyContact,
  copyMessage,
  isBytes,
  isMessageRoute,
} from './records';
import {
  type Contact,
  type ContactMailboxes,
  MAX_OWN_MAILBOXES,
  MAX_REFUSED_KEYS,
  type PendingKey,
} from './contact-types';
import type { MessageRoute, MessageState, StoredMessage } from './message-types';
import type { SecurityEvent, SecurityEventKind } from './security-event-types';
import { StoreError } from './store-error';

/** The longest local name stored, in UTF-16 code units (src/app/names.ts refuses longer ones first). */
const MAX_STORED_NAME_LENGTH = 256;

function checkContactKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!isBytes(key, X25519_KEY_LENGTH)) throw new StoreError('BAD_ARGUMENT', `${what} must be 32 bytes.`);
  try {
    assertCanonicalX25519PublicKey(key, what);
  } catch {
    throw new StoreError('BAD_ARGUMENT', `${what} is not a canonical X25519 public key.`);
  }
}

function checkPendingKey(p: PendingKey): void {
  checkContactKey(p.identityKey, 'A pending identity key');
  if (p.evidence !== 'rendezvous' && p.evidence !== 'signed-rotation') {
    throw new StoreError('BAD_ARGUMENT', 'A pending key needs the evidence it came with.');
  }
  if (!Number.isFinite(p.at) || typeof p.announcedName !== 'string') {
    throw new StoreError('BAD_ARGUMENT', 'A pending key needs a time and the name announced with it.');
  }
  if (p.signingKey !== undefined && !(p.signingKey instanceof Uint8Array)) {
    throw new StoreError('BAD_ARGUMENT', 'A pending signing key must be bytes.');
  }
}

/**
 * The stored form of a contact, checked: canonical keys, a user id that is the one derived from
 * them (a contact is its keys), names of bounded length.
 */
export function contactRecord(contact: Contact): ContactRecord {
  if (typeof contact.id !== 'string' || contact.id === '') {
    throw new StoreError('BAD_ARGUMENT', 'A contact needs an id.');
  }
  checkContactKey(contact.identityKey, 'A contact identity key');
  if (contact.signingKey !== undefined && !(contact.signingKey instanceof Uint8Array)) {
    throw new StoreError('BAD_ARGUMENT', 'A contact signing key must be bytes.');
  }
  if (
    !isBytes(contact.userId, USER_ID_LENGTH) ||
    !constantTimeEqual(contact.userId, deriveUserId(contact.identityKey, contact.signingKey))
  ) {
    throw new StoreError('BAD_ARGUMENT', 'A contact user id must be the one derived from its keys.');
  }
  if (
    typeof contact.announcedName !== 'string' ||
    new TextEncoder().encode(contact.announcedName).length > MAX_DISPLAY_NAME_BYTES
  ) {
    throw new StoreError('BAD_ARGUMENT', 'A contact announced name must be a string that fits a handshake.');
  }
  if (
    contact.localName !== undefined &&
    (typeof contact.localName !== 'string' || contact.localName.length > MAX_STORED_NAME_LENGTH)
  ) {
    throw new StoreError('BAD_ARGUMENT', 'A contact local name must be a short string.');
  }
  if (contact.pendingKey !== undefined) checkPendingKey(contact.pendingKey);
  if (contact.refusedKeys !== undefined) {
    if (!Array.isArray(contact.refusedKeys) || contact.refusedKeys.length > MAX_REFUSED_KEYS) {
      throw new StoreError('BAD_ARGUMENT', `At most ${MAX_REFUSED_KEYS} refused keys are kept.`);
    }
    for (const k of contact.refusedKeys) checkContactKey(k, 'A refused key');
  }
  const rv = contact.rendezvous;
  if (
    rv !== undefined &&
    (!isBytes(rv.secret, 32) ||
      typeof rv.offerer !== 'boolean' ||
      (rv.keys !== undefined && !isBytes(rv.keys, 32)))
  ) {
    throw new StoreError('BAD_ARGUMENT', 'A rendezvous needs a 32-byte secret and a role.');
  }
  const paused = contact.reconnectPaused;
  if (paused !== undefined && (!Number.isFinite(paused.at) || typeof paused.reason !== 'string')) {
    throw new StoreError('BAD_ARGUMENT', 'A paused reconnect needs a time and a reason.');
  }
  if (contact.mailboxes !== undefined) checkMailboxes(contact.mailboxes);
  return { ...copyContact(contact), identityKeyHex: toHex(contact.identityKey) };
}

// Unpadded base64url of 32 bytes (src/protocol/mailbox.ts, not imported: the store stays apart).
const MAILBOX_ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function checkMailboxes(m: ContactMailboxes): void {
  const ok = (id: unknown) => typeof id === 'string' && MAILBOX_ID_PATTERN.test(id);
  const time = (t: unknown) => t === undefined || Number.isFinite(t);
  const list: unknown = m.own; // checked without narrowing `m.own` to any[]
  if (!Array.isArray(list) || list.length > MAX_OWN_MAILBOXES) {
    throw new StoreError('BAD_ARGUMENT', `A contact keeps at most ${MAX_OWN_MAILBOXES} mailboxes.`);
  }
  for (const own of m.own) {
    if (!ok(own.id) || !ok(own.token) || !Number.isFinite(own.createdAt)) {
      throw new StoreError('BAD_ARGUMENT', 'A mailbox needs an id, a token and a creation time.');
    }
    if (!time(own.claimedAt) || !time(own.retiredAt)) {
      throw new StoreError('BAD_ARGUMENT', 'A mailbox’s times must be numbers.');
    }
  }
  if (m.peer !== undefined && (!ok(m.peer.id) || !Number.isFinite(m.peer.at))) {
    throw new StoreError('BAD_ARGUMENT', 'A contact’s mailbox needs an id and a time.');
  }
}

export function messageRecord(message: StoredMessage): MessageRecord {
  if (!isBytes(message.messageId, MESSAGE_ID_LENGTH)) {
    throw new StoreError('BAD_ARGUMENT', 'A message id must be 16 bytes.');
  }
  if (typeof message.contactId !== 'string' || message.contactId === '') {
    throw new StoreError('BAD_ARGUMENT', 'A message needs a contact id.');
  }
  if (!Number.isFinite(message.sentAt)) {
    throw new StoreError('BAD_ARGUMENT', 'A message needs a sent time.');
  }
  if (message.receivedAt !== undefined && !Number.isFinite(message.receivedAt)) {
    throw new StoreError('BAD_ARGUMENT', 'A message received time must be a number.');
  }
  if (message.direction !== 'in' && message.direction !== 'out') {
    throw new StoreError('BAD_ARGUMENT', 'A message direction must be in or out.');
  }
  if (!isMessageState(message.state)) {
    throw new StoreError('BAD_ARGUMENT', 'A message state must be queued, sent or delivered.');
  }
  if (typeof message.body !== 'string') throw new StoreError('BAD_ARGUMENT', 'A message body must be text.');
  if (message.route !== undefined && !isMessageRoute(message.route)) {
    throw new StoreError('BAD_ARGUMENT', 'A message route must be direct, relayed or mailbox.');
  }
  checkFeatures(message);
  const file = message.file && checkStoredFile(message.file);
  return {
    ...copyMessage(message),
    ...(file ? { file } : {}),
    messageIdHex: toHex(message.messageId),
    ...(file && isActiveTransfer(file.state) ? { transferOf: message.contactId } : {}),
  };
}

const STATE_RANK: Record<MessageState, number> = { queued: 0, sent: 1, delivered: 2 };

function isMessageState(state: unknown): state is MessageState {
  return typeof state === 'string' && Object.hasOwn(STATE_RANK, state);
}

/** The record after an update, or undefined when nothing changes. */
export function advancedMessage(
  record: MessageRecord,
  state: MessageState,
  receivedAt: number | undefined,
  route?: MessageRoute,
): MessageRecord | undefined {
  if (route !== undefined && !isMessageRoute(route)) {
    throw new StoreError('BAD_ARGUMENT', 'A message route must be direct, relayed or mailbox.');
  }
  const forward = STATE_RANK[state] > STATE_RANK[record.state];
  const newReceived = receivedAt !== undefined && receivedAt !== record.receivedAt;
  // A route changes only while the message is not delivered: it says how it went last.
  const newRoute = route !== undefined && route !== record.route && record.state !== 'delivered';
  if (!forward && !newReceived && !newRoute) return undefined;
  return {
    ...record,
    ...(forward ? { state } : {}),
    ...(newReceived ? { receivedAt } : {}),
    ...(newRoute ? { route } : {}),
  };
}

const EVENT_KINDS: ReadonlySet<string> = new Set<SecurityEventKind>([
  'paired',
  'key-changed',
  'key-change-accepted',
  'verified-by-scan',
  'verified-by-code',
  'verified-by-comparison',
  'verification-cleared',
  'verification-failed',
  'mac-failed',
  'decrypt-failed',
  'frame-refused',
  'possible-interception',
  'reconnect-resumed',
  'mailbox-refused',
  'session-closed',
  'key-refused',
  'name-announced',
  'name-set',
  'photo-matched',
  'verified-by-photo',
  'upgrade',
  'key-rotated',
  'rotation-refused',
  'signing-key-pinned',
  'ratchet-restarted',
  'ratchet-refused',
]);

/** A checked copy of a security event. */
export function eventRecord(event: SecurityEvent): SecurityEvent {
  if (typeof event.contactId !== 'string' || event.contactId === '') {
    throw new StoreError('BAD_ARGUMENT', 'A security event needs a contact id.');
  }
  if (!EVENT_KINDS.has(event.kind)) throw new StoreError('BAD_ARGUMENT', 'Unknown security event kind.');
  if (!Number.isFinite(event.at)) throw new StoreError('BAD_ARGUMENT', 'A security event needs a time.');
  return { contactId: event.contactId, at: event.at, kind: event.kind, detail: String(event.detail) };
}
