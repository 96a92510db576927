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
import { assertCanonicalX25519PublicKey, isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { MAX_DISPLAY_NAME_BYTES, displayNameProblem } from '../protocol/handshake-payload';
import { deriveUserId } from '../protocol/user-id';
import {
  type Contact,
  type IdentityLoad,
  MAX_REFUSED_KEYS,
  type PendingKey,
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
/** Identity records kept aside by a reset are stored under this prefix and the time of the reset. */
export const SET_ASIDE_PREFIX = 'set-aside-';

export interface IdentityRecord {
  /** IDENTITY_KEY for the identity in use; SET_ASIDE_PREFIX + time for one a reset kept aside. */
  readonly id: string;
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
): Promise<{ identity: StoredIdentity; record: IdentityRecord }> {
  checkName(displayName);
  // In the form this browser proves it can store (a wrapped key on WebKit; see StorableX25519Key).
  const keyPair = await generateStorableX25519KeyPair();
  const userId = deriveUserId(keyPair.publicKey);
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

/**
 * The stored identity value (whatever shape it has) as a record kept aside under its own id, so
 * that a reset never destroys a key that might still be recovered; undefined when there is none.
 */
export function setAsideRecord(raw: unknown, now: number): unknown {
  if (raw === undefined || raw === null) return undefined;
  const kept = typeof raw === 'object' ? { ...raw } : { value: raw };
  return { ...kept, id: `${SET_ASIDE_PREFIX}${now}`, setAsideAt: now };
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
    !isCanonicalX25519PublicKey(r.publicKey) ||
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
    // The user id is recomputed from the key, whatever the record says.
    identity: {
      keyPair,
      userId: deriveUserId(r.publicKey),
      displayName: r.displayName,
      createdAt: r.createdAt,
    },
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
  return { ...copyContact(contact), identityKeyHex: toHex(contact.identityKey) };
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
  'reconnect-resumed',
  'session-closed',
  'key-refused',
  'name-announced',
  'name-set',
  'photo-matched',
  'verified-by-photo',
  'upgrade',
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
