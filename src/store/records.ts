/**
 * The stored shape of each record and the checks on the way in and out, shared by the in-memory
 * and the IndexedDB store so both behave the same. Records hold only structured-clonable values.
 */
import { constantTimeEqual, toHex } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { ML_DSA_87_PUBLIC_KEY_LENGTH } from '../crypto/pq-lengths';
import {
  type SigningKeyPair,
  type StorableSigningKey,
  exportStorableSigningKey,
  importStorableSigningKey,
} from '../crypto/ml-dsa-key';
import { randomBytes } from '../crypto/random';
import {
  type StorableX25519Key,
  type X25519KeyPair,
  X25519_KEY_LENGTH,
  exportStorableKey,
  generateStorableX25519KeyPair,
  generateX25519KeyPair,
  importStorableKey,
  x25519SharedSecret,
} from '../crypto/x25519';
import { assertCanonicalX25519PublicKey, isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { MAX_DISPLAY_NAME_BYTES, displayNameProblem } from '../protocol/display-name';
import {
  type KeyRotation,
  type RotationKeys,
  decodeKeyRotation,
  encodeKeyRotation,
} from '../protocol/key-rotation';
import { deriveUserId } from '../protocol/user-id';
import {
  type Contact,
  type IdentityLoad,
  MAX_KEPT_ROTATIONS,
  MAX_REFUSED_KEYS,
  type PendingKey,
  type MessageState,
  type RatchetCommit,
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
  /**
   * The ML-DSA-87 public key and the stored form of its private key (the seed wrapped under a
   * non-extractable AES key, see StorableSigningKey). Records written before database version 4
   * have neither; `load` adds them (see `LegacyIdentity`).
   */
  readonly signingPublicKey: Uint8Array;
  readonly signingKey: StorableSigningKey;
  /** The identity's latest key rotations, `encodeKeyRotation` each, newest last. */
  readonly rotations: readonly Uint8Array[];
  /** Kept for people reading the database; never trusted: recomputed from the keys on every read. */
  readonly userId: Uint8Array;
  readonly displayName: string;
  readonly createdAt: number;
}

/** The fields a record written before version 4 lacks; `load` adds them once. */
export type SigningFields = Pick<IdentityRecord, 'signingPublicKey' | 'signingKey' | 'rotations' | 'userId'>;

export interface ContactRecord extends Contact {
  /** Hex of `identityKey`, for the unique index. */
  readonly identityKeyHex: string;
}

export interface MessageRecord extends StoredMessage {
  /** Hex of `messageId`, the second half of the primary key. */
  readonly messageIdHex: string;
}

/** A contact's ratchet, stored under its contact id. */
export interface RatchetRecord {
  readonly contactId: string;
  /** 1 for the first commit, one more for each after it. */
  readonly generation: number;
  readonly state: unknown;
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

/** A new ML-DSA key pair; its code loads here, at first run or a rotation, not with the page. */
async function newSigningKeyPair(): Promise<SigningKeyPair> {
  return (await import('../crypto/ml-dsa-keygen')).generateSigningKeyPair();
}

/** Both key pairs, each in the form this browser proves it can store. */
async function newKeyPairs(): Promise<[X25519KeyPair, SigningKeyPair]> {
  // A wrapped X25519 key on WebKit (see StorableX25519Key); the ML-DSA seed wrapped everywhere it can be.
  return Promise.all([generateStorableX25519KeyPair(), newSigningKeyPair()]);
}

/** A new identity and the record that stores it. */
export async function newIdentity(
  displayName: string,
  now: number,
): Promise<{ identity: StoredIdentity; record: IdentityRecord }> {
  checkName(displayName);
  const [keyPair, signing] = await newKeyPairs();
  const identity: StoredIdentity = {
    keyPair,
    signing,
    rotations: [],
    userId: deriveUserId(keyPair.publicKey, signing.publicKey),
    displayName,
    createdAt: now,
  };
  return { identity, record: identityRecord(identity) };
}

function keysOf(identity: StoredIdentity): RotationKeys {
  return {
    identityKey: Uint8Array.from(identity.keyPair.publicKey),
    signingKey: Uint8Array.from(identity.signing.publicKey),
  };
}

/**
 * The identity that replaces `old` in a key rotation, and its record: fresh key pairs, signed by
 * the old ML-DSA key (src/protocol/key-rotation.ts) at `now`; same name and creation time.
 */
export async function rotatedIdentity(
  old: StoredIdentity,
  now: number,
): Promise<{ identity: StoredIdentity; record: IdentityRecord }> {
  const [keyPair, signing] = await newKeyPairs();
  const next: RotationKeys = {
    identityKey: Uint8Array.from(keyPair.publicKey),
    signingKey: Uint8Array.from(signing.publicKey),
  };
  // The signing code loads here, on the user's request (it is not part of the page's first code).
  const { signKeyRotation } = await import('../protocol/key-rotation-proof');
  const rotation = await signKeyRotation(now, keysOf(old), next, old.signing.privateKey);
  const identity: StoredIdentity = {
    keyPair,
    signing,
    rotations: [...old.rotations, rotation].slice(-MAX_KEPT_ROTATIONS),
    userId: deriveUserId(keyPair.publicKey, signing.publicKey),
    displayName: old.displayName,
    createdAt: old.createdAt,
  };
  return { identity, record: identityRecord(identity) };
}

export function identityRecord(identity: StoredIdentity): IdentityRecord {
  return {
    id: IDENTITY_KEY,
    publicKey: identity.keyPair.publicKey,
    privateKey: exportStorableKey(identity.keyPair.privateKey),
    signingPublicKey: identity.signing.publicKey,
    signingKey: exportStorableSigningKey(identity.signing.privateKey),
    rotations: identity.rotations.map(encodeKeyRotation),
    userId: identity.userId,
    displayName: identity.displayName,
    createdAt: identity.createdAt,
  };
}

/** The id of the `n`th record kept aside at `now` (n = 0 for the first). */
export function setAsideId(now: number, n: number): string {
  return n === 0 ? `${SET_ASIDE_PREFIX}${now}` : `${SET_ASIDE_PREFIX}${now}-${n}`;
}

/**
 * The stored identity value (whatever shape it has) as a record kept aside under `id` (see
 * `setAsideId`), so that a reset never destroys a key that might still be recovered; undefined
 * when there is none.
 */
export function setAsideRecord(raw: unknown, id: string, now: number): unknown {
  if (raw === undefined || raw === null) return undefined;
  const kept = typeof raw === 'object' ? { ...raw } : { value: raw };
  return { ...kept, id, setAsideAt: now };
}

/** The stored record with a new display name (checked); everything else as stored. */
export function renamedRecord<T extends object>(record: T, displayName: string): T {
  checkName(displayName);
  return { ...record, displayName };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function sameBytes(a: unknown, b: Uint8Array): boolean {
  return a instanceof Uint8Array && constantTimeEqual(a, b);
}

/** Whether `raw` is the stored record of `identity` (it holds the same two public keys). */
export function holdsKeysOf(raw: unknown, identity: StoredIdentity): boolean {
  return (
    isObject(raw) &&
    sameBytes(raw['publicKey'], identity.keyPair.publicKey) &&
    sameBytes(raw['signingPublicKey'], identity.signing.publicKey)
  );
}

const unreadable = (reason: string): { kind: 'unreadable'; reason: string } => ({
  kind: 'unreadable',
  reason,
});

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/**
 * A record written before database version 4: a readable X25519 identity with no ML-DSA key yet.
 * It is used only once it has one (see `loadIdentity`).
 */
export interface LegacyIdentity {
  readonly kind: 'legacy';
  readonly keyPair: X25519KeyPair;
  readonly displayName: string;
  readonly createdAt: number;
}

export type IdentityRead = IdentityLoad | LegacyIdentity;

const DAMAGED = 'The saved identity on this device is damaged and cannot be used.';

/**
 * Reads back a stored identity record (undefined → 'none'). Anything wrong with it is
 * 'unreadable' with a sentence, including a private key that does not belong to its public key and
 * damaged key rotations. A record from before version 4 (no signing key) is 'legacy'.
 */
export async function readIdentity(value: unknown): Promise<IdentityRead> {
  if (value === undefined) return { kind: 'none' };
  if (!isObject(value)) return unreadable(DAMAGED);
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
    return unreadable(DAMAGED);
  }
  const legacy = r.signingPublicKey === undefined && r.signingKey === undefined && r.rotations === undefined;
  let signingPublicKey: Uint8Array | undefined;
  let rotations: KeyRotation[] = [];
  if (!legacy) {
    if (r.signingKey === undefined || r.signingKey === null) {
      return unreadable(
        'The signing key of the saved identity is missing; this browser may not be able to keep it.',
      );
    }
    if (!isBytes(r.signingPublicKey, ML_DSA_87_PUBLIC_KEY_LENGTH)) return unreadable(DAMAGED);
    signingPublicKey = r.signingPublicKey;
    const decoded = readRotations(r.rotations, r.publicKey, signingPublicKey);
    if (typeof decoded === 'string') return unreadable(decoded);
    rotations = decoded;
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
  if (signingPublicKey === undefined) {
    return { kind: 'legacy', keyPair, displayName: r.displayName, createdAt: r.createdAt };
  }

  let signing: SigningKeyPair;
  try {
    signing = await importStorableSigningKey(r.signingKey, signingPublicKey);
  } catch (e) {
    if (CryptoError.is(e, 'DECRYPT_FAILED')) {
      return unreadable('The signing key of the saved identity is damaged and cannot be unwrapped.');
    }
    return unreadable(
      'The signing key of the saved identity cannot be read back, or it does not belong to its public key.',
    );
  }
  return {
    kind: 'ok',
    identity: {
      keyPair,
      signing,
      rotations,
      // The user id is recomputed from the keys, whatever the record says.
      userId: deriveUserId(r.publicKey, signing.publicKey),
      displayName: r.displayName,
      createdAt: r.createdAt,
    },
  };
}

const BAD_ROTATIONS = 'The key rotations saved with the identity are damaged, so it cannot be used.';

/**
 * The stored rotations decoded and checked for shape: at most MAX_KEPT_ROTATIONS, each the
 * encoding `decodeKeyRotation` reads, each leading to the next and the newest to the identity's
 * own keys. A sentence for what is wrong otherwise. (Signatures are the contacts' to check.)
 */
function readRotations(
  value: unknown,
  publicKey: Uint8Array,
  signingPublicKey: Uint8Array,
): KeyRotation[] | string {
  if (!Array.isArray(value) || value.length > MAX_KEPT_ROTATIONS) return BAD_ROTATIONS;
  const rotations: KeyRotation[] = [];
  for (const bytes of value as unknown[]) {
    if (!(bytes instanceof Uint8Array)) return BAD_ROTATIONS;
    try {
      rotations.push(decodeKeyRotation(bytes));
    } catch {
      return BAD_ROTATIONS;
    }
  }
  const leadsTo = (keys: RotationKeys, identityKey: Uint8Array, signingKey: Uint8Array): boolean =>
    constantTimeEqual(keys.identityKey, identityKey) && constantTimeEqual(keys.signingKey, signingKey);
  for (let i = 0; i < rotations.length; i++) {
    const { next } = rotations[i]!;
    const following = rotations[i + 1];
    const ok = following
      ? leadsTo(next, following.old.identityKey, following.old.signingKey)
      : leadsTo(next, publicKey, signingPublicKey);
    if (!ok)
      return 'The key rotations saved with the identity do not lead to its keys, so it cannot be used.';
  }
  return rotations;
}

/**
 * Whether `privateKey` is the private half of `publicKey`, tested without reading the private key:
 * an ephemeral key pair must agree with it both ways.
 */
async function keyPairMatches(pair: X25519KeyPair): Promise<boolean> {
  try {
    const probe = await generateX25519KeyPair(pair.privateKey.backend);
    const a = await x25519SharedSecret(pair.privateKey, probe.publicKey);
    const b = await x25519SharedSecret(probe.privateKey, pair.publicKey);
    return constantTimeEqual(a, b);
  } catch {
    return false;
  }
}

/** How a store reads and writes its identity record for `loadIdentity`. */
export interface IdentityRecordAccess {
  /** The stored value under IDENTITY_KEY (undefined when none); throws when storage fails. */
  read(): Promise<unknown>;
  /**
   * In one transaction: when `isSame(stored value)`, stores it with `fields` added and says true;
   * otherwise writes nothing and says false.
   */
  addFields(isSame: (raw: unknown) => boolean, fields: SigningFields): Promise<boolean>;
}

/** How often `loadIdentity` reads again when another tab changed the record meanwhile. */
const LOAD_ATTEMPTS = 3;

/**
 * `IdentityStore.load` for both stores. A legacy record (before version 4) gets a fresh ML-DSA key
 * pair, saved before the identity is returned and only onto the very record that was read (another
 * tab may have given it one meanwhile: then that one is read and used), so the key and the user id
 * derived from it never change from one load to the next.
 */
export async function loadIdentity(access: IdentityRecordAccess): Promise<IdentityLoad> {
  for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
    let raw: unknown;
    try {
      raw = await access.read();
    } catch {
      return unreadable('The saved identity could not be read from this browser’s storage.');
    }
    const read = await readIdentity(raw);
    if (read.kind !== 'legacy') return read;

    const signing = await newSigningKeyPair();
    const identity: StoredIdentity = {
      keyPair: read.keyPair,
      signing,
      rotations: [],
      userId: deriveUserId(read.keyPair.publicKey, signing.publicKey),
      displayName: read.displayName,
      createdAt: read.createdAt,
    };
    const fields: SigningFields = {
      signingPublicKey: signing.publicKey,
      signingKey: exportStorableSigningKey(signing.privateKey),
      rotations: [],
      userId: identity.userId,
    };
    try {
      if (await access.addFields((stored) => isSameLegacyRecord(stored, read), fields)) {
        return { kind: 'ok', identity };
      }
    } catch {
      return unreadable('The saved identity could not be brought up to date in this browser’s storage.');
    }
  }
  return unreadable('The saved identity kept changing while it was read; reload the page to try again.');
}

/** Why `rotateKeys` cannot start. */
export function noIdentityToRotate(loaded: IdentityLoad): StoreError {
  return new StoreError(
    'UNAVAILABLE',
    loaded.kind === 'none'
      ? 'There is no identity on this device whose keys could be replaced.'
      : 'The saved identity cannot be read, so its keys cannot be replaced; only a reset can replace it.',
  );
}

/** `rotateKeys` found another identity stored than the one it rotated. */
export function identityMoved(): StoreError {
  return new StoreError(
    'CONFLICT',
    'The identity was changed in another tab while its keys were being replaced; nothing was changed here.',
  );
}

/** Whether `raw` is still the legacy record `legacy` was read from. */
function isSameLegacyRecord(raw: unknown, legacy: LegacyIdentity): boolean {
  return (
    isObject(raw) &&
    raw['signingPublicKey'] === undefined &&
    raw['signingKey'] === undefined &&
    raw['rotations'] === undefined &&
    sameBytes(raw['publicKey'], legacy.keyPair.publicKey) &&
    raw['displayName'] === legacy.displayName &&
    raw['createdAt'] === legacy.createdAt
  );
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

function isMessageState(state: unknown): state is MessageState {
  return typeof state === 'string' && Object.hasOwn(STATE_RANK, state);
}

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

/** One state move of a ratchet commit. */
export interface MessageMove {
  readonly messageId: Uint8Array;
  readonly messageIdHex: string;
  readonly state: 'sent' | 'delivered';
}

/** A ratchet commit checked and copied before any transaction starts (see `checkRatchetCommit`). */
export interface CheckedCommit {
  readonly contactId: string;
  readonly expectedGeneration: number;
  /** A structured clone of the caller's state: later changes by the caller do not reach storage. */
  readonly state: unknown;
  readonly message?: MessageRecord;
  /** 'sent' moves first, then 'delivered' ones, as the commit listed them. */
  readonly moves: readonly MessageMove[];
}

/**
 * Everything of a ratchet commit that can be checked without storage, so that a malformed commit
 * fails with `StoreError('BAD_ARGUMENT')` before its transaction and changes nothing.
 */
export function checkRatchetCommit(c: RatchetCommit): CheckedCommit {
  if (typeof c.contactId !== 'string' || c.contactId === '') {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet commit needs a contact id.');
  }
  const expected = c.expectedGeneration;
  if (!Number.isSafeInteger(expected) || expected < 0 || expected >= Number.MAX_SAFE_INTEGER) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet commit needs the generation it was read at.');
  }
  if (typeof c.state !== 'object' || c.state === null) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet state must be an object.');
  }
  let state: unknown;
  try {
    state = structuredClone(c.state);
  } catch (cause) {
    throw new StoreError('BAD_ARGUMENT', 'A ratchet state must hold only values storage can keep.', {
      cause,
    });
  }
  let message: MessageRecord | undefined;
  if (c.addMessage !== undefined) {
    message = messageRecord(c.addMessage);
    if (message.contactId !== c.contactId) {
      throw new StoreError('BAD_ARGUMENT', 'A message committed with a ratchet must be of its contact.');
    }
  }
  const moves: MessageMove[] = [];
  for (const [ids, to] of [
    [c.sent, 'sent'],
    [c.delivered, 'delivered'],
  ] as const) {
    if (ids === undefined) continue;
    if (!Array.isArray(ids)) throw new StoreError('BAD_ARGUMENT', `The ${to} message ids must be a list.`);
    for (const id of ids as readonly unknown[]) {
      if (!isBytes(id, MESSAGE_ID_LENGTH))
        throw new StoreError('BAD_ARGUMENT', 'A message id must be 16 bytes.');
      moves.push({ messageId: Uint8Array.from(id), messageIdHex: toHex(id), state: to });
    }
  }
  return {
    contactId: c.contactId,
    expectedGeneration: expected,
    state,
    ...(message === undefined ? {} : { message }),
    moves,
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
