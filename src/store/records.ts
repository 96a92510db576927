/**
 * The stored shape of each record and the checks on the way in and out, shared by the in-memory
 * and the IndexedDB store so both behave the same. Records hold only structured-clonable values.
 */
import { constantTimeEqual, toHex } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { randomBytes } from '../crypto/random';
import {
  type StorableX25519Key,
  X25519_KEY_LENGTH,
  exportStorableKey,
  generateStorableX25519KeyPair,
  generateX25519KeyPair,
  importStorableKey,
  x25519SharedSecret,
} from '../crypto/x25519';
import { displayNameProblem } from '../protocol/handshake-payload';
import {
  type Contact,
  type IdentityLoad,
  type MessageState,
  type SecurityEvent,
  type SecurityEventKind,
  type StoredIdentity,
  type StoredMessage,
  StoreError,
} from './types';

export const USER_ID_LENGTH = 16;
export const MESSAGE_ID_LENGTH = 16;
/** The key of the single identity record. */
export const IDENTITY_KEY = 'self';

export interface IdentityRecord {
  readonly id: typeof IDENTITY_KEY;
  readonly publicKey: Uint8Array;
  readonly privateKey: StorableX25519Key;
  readonly userId: Uint8Array;
  readonly displayName: string;
  readonly createdAt: number;
}

export interface ContactRecord extends Contact {
  /** Hex of `identityKey`, for the unique index. */
  readonly identityKeyHex: string;
}

export interface MessageRecord extends StoredMessage {
  /** Hex of `messageId`, the second half of the primary key. */
  readonly messageIdHex: string;
}

/** A fresh random contact id (16 bytes, hex). */
export function newContactId(): string {
  return toHex(randomBytes(16));
}

function checkName(displayName: string): void {
  const problem =
    typeof displayName !== 'string' || displayName.trim() === ''
      ? 'Pick a name to show to the people you talk to.'
      : displayNameProblem(displayName);
  if (problem !== undefined) throw new StoreError('BAD_ARGUMENT', problem);
}

/** A new identity and the record that stores it. */
export async function newIdentity(
  displayName: string,
  now: number,
  keepUserId?: Uint8Array,
): Promise<{ identity: StoredIdentity; record: IdentityRecord }> {
  checkName(displayName);
  // In the form this browser proves it can store (a wrapped key on WebKit; see StorableX25519Key).
  const keyPair = await generateStorableX25519KeyPair();
  const userId = keepUserId ? Uint8Array.from(keepUserId) : randomBytes(USER_ID_LENGTH);
  const identity: StoredIdentity = { keyPair, userId, displayName, createdAt: now };
  return { identity, record: identityRecord(identity) };
}

export function identityRecord(identity: StoredIdentity): IdentityRecord {
  return {
    id: IDENTITY_KEY,
    publicKey: identity.keyPair.publicKey,
    privateKey: exportStorableKey(identity.keyPair.privateKey),
    userId: identity.userId,
    displayName: identity.displayName,
    createdAt: identity.createdAt,
  };
}

/** The record with a new display name (checked). */
export function renamedRecord(record: IdentityRecord, displayName: string): IdentityRecord {
  checkName(displayName);
  return { ...record, displayName };
}

const unreadable = (reason: string): IdentityLoad => ({ kind: 'unreadable', reason });

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/**
 * Reads back a stored identity record (undefined → 'none'). Anything wrong with it is
 * 'unreadable' with a sentence, including a private key that does not belong to the public key.
 */
export async function readIdentity(value: unknown): Promise<IdentityLoad> {
  if (value === undefined) return { kind: 'none' };
  if (typeof value !== 'object' || value === null) {
    return unreadable('The saved identity on this device is damaged and cannot be used.');
  }
  const r = value as Partial<Record<keyof IdentityRecord, unknown>>;
  if (r.privateKey === undefined || r.privateKey === null) {
    return unreadable(
      'The private key of the saved identity is missing; this browser may not be able to keep it.',
    );
  }
  if (
    !isBytes(r.publicKey, X25519_KEY_LENGTH) ||
    !isBytes(r.userId, USER_ID_LENGTH) ||
    typeof r.displayName !== 'string' ||
    typeof r.createdAt !== 'number'
  ) {
    return unreadable('The saved identity on this device is damaged and cannot be used.');
  }
  let privateKey;
  try {
    privateKey = await importStorableKey(r.privateKey);
  } catch (e) {
    if (CryptoError.is(e, 'DECRYPT_FAILED')) {
      return unreadable('The private key of the saved identity is damaged and cannot be unwrapped.');
    }
    return unreadable(
      'The private key of the saved identity cannot be read back; this browser may not be able to keep it.',
    );
  }
  const keyPair = { publicKey: r.publicKey, privateKey };
  if (!(await keyPairMatches(keyPair))) {
    return unreadable('The saved private key does not belong to the saved public key.');
  }
  return {
    kind: 'ok',
    identity: { keyPair, userId: r.userId, displayName: r.displayName, createdAt: r.createdAt },
  };
}

/**
 * Whether `privateKey` is the private half of `publicKey`, tested without reading the private key:
 * an ephemeral key pair must agree with it both ways.
 */
async function keyPairMatches(pair: StoredIdentity['keyPair']): Promise<boolean> {
  try {
    const probe = await generateX25519KeyPair(pair.privateKey.backend);
    const a = await x25519SharedSecret(pair.privateKey, probe.publicKey);
    const b = await x25519SharedSecret(probe.privateKey, pair.publicKey);
    return constantTimeEqual(a, b);
  } catch {
    return false;
  }
}

export function contactRecord(contact: Contact): ContactRecord {
  if (typeof contact.id !== 'string' || contact.id === '') {
    throw new StoreError('BAD_ARGUMENT', 'A contact needs an id.');
  }
  if (!isBytes(contact.identityKey, X25519_KEY_LENGTH)) {
    throw new StoreError('BAD_ARGUMENT', 'A contact identity key must be 32 bytes.');
  }
  if (!isBytes(contact.userId, USER_ID_LENGTH)) {
    throw new StoreError('BAD_ARGUMENT', 'A contact user id must be 16 bytes.');
  }
  if (contact.pendingKey !== undefined && !isBytes(contact.pendingKey, X25519_KEY_LENGTH)) {
    throw new StoreError('BAD_ARGUMENT', 'A pending identity key must be 32 bytes.');
  }
  if (
    contact.rendezvous !== undefined &&
    (!isBytes(contact.rendezvous.secret, 32) || typeof contact.rendezvous.offerer !== 'boolean')
  ) {
    throw new StoreError('BAD_ARGUMENT', 'A rendezvous needs a 32-byte secret and a role.');
  }
  return { ...copyContact(contact), identityKeyHex: toHex(contact.identityKey) };
}

export function copyContact(c: Contact): Contact {
  return {
    id: c.id,
    identityKey: Uint8Array.from(c.identityKey),
    userId: Uint8Array.from(c.userId),
    name: c.name,
    verified: c.verified,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    ...(c.pendingKey === undefined ? {} : { pendingKey: Uint8Array.from(c.pendingKey) }),
    ...(c.rendezvous === undefined
      ? {}
      : { rendezvous: { secret: Uint8Array.from(c.rendezvous.secret), offerer: c.rendezvous.offerer } }),
  };
}

/** Most recently seen first, then by id. */
export function byLastSeen(a: Contact, b: Contact): number {
  return b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
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
  return { ...copyMessage(message), messageIdHex: toHex(message.messageId) };
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
  };
}

/** By `sentAt`, then by message id: the order of the IndexedDB index. */
export function bySentAt(a: MessageRecord, b: MessageRecord): number {
  return (
    a.sentAt - b.sentAt || (a.messageIdHex < b.messageIdHex ? -1 : a.messageIdHex > b.messageIdHex ? 1 : 0)
  );
}

const STATE_RANK: Record<MessageState, number> = { queued: 0, sent: 1, delivered: 2 };

/** The record after an update, or undefined when nothing changes. */
export function advancedMessage(
  record: MessageRecord,
  state: MessageState,
  receivedAt: number | undefined,
): MessageRecord | undefined {
  const forward = STATE_RANK[state] > STATE_RANK[record.state];
  const newReceived = receivedAt !== undefined && receivedAt !== record.receivedAt;
  if (!forward && !newReceived) return undefined;
  return {
    ...record,
    ...(forward ? { state } : {}),
    ...(newReceived ? { receivedAt } : {}),
  };
}

const EVENT_KINDS: ReadonlySet<string> = new Set<SecurityEventKind>([
  'paired',
  'key-changed',
  'key-change-accepted',
  'verified-by-scan',
  'verified-by-comparison',
  'verification-cleared',
  'verification-failed',
  'mac-failed',
  'decrypt-failed',
  'frame-refused',
  'possible-interception',
  'session-closed',
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
