/**
 * What the app keeps between visits: its own identity, its contacts (each pinned to an identity
 * key) and the message history per contact. Storage is an interface with an in-memory
 * implementation for tests (`memory-store.ts`) and the IndexedDB one for the app (`idb-store.ts`);
 * both pass the same contract suite (`store-contract.test.ts`).
 *
 * Expected outcomes (no identity yet, an identity that cannot be read back, a duplicate message)
 * are returned as data; `StoreError` is thrown only when storage itself fails or a caller breaks
 * a rule (two contacts with one identity key).
 */
import type { X25519KeyPair } from '../crypto/x25519';

/** This device's identity. Structurally a `SessionIdentity` (src/protocol/session.ts). */
export interface StoredIdentity {
  /** The long-term X25519 key pair; on WebCrypto the private key is non-extractable. */
  readonly keyPair: X25519KeyPair;
  /** 16 random bytes that name this user to peers. */
  readonly userId: Uint8Array;
  readonly displayName: string;
  /** When the identity was made, in ms since the epoch. */
  readonly createdAt: number;
}

export type IdentityLoad =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly identity: StoredIdentity }
  /** A record exists but cannot be used; `reason` is a sentence to show. It is never replaced silently. */
  | { readonly kind: 'unreadable'; readonly reason: string };

export type IdentityCreate =
  | { readonly kind: 'created'; readonly identity: StoredIdentity }
  /** An identity (readable or not) is already stored; only `resetIdentity` may replace it. */
  | { readonly kind: 'exists' };

export interface IdentityStore {
  /** The stored identity, if any, checked: key shapes and that the private key fits the public key. */
  load(): Promise<IdentityLoad>;
  /** Makes and stores a fresh identity on first run; never overwrites one that is stored. */
  create(displayName: string): Promise<IdentityCreate>;
  /**
   * Replaces whatever identity is stored (readable or not) with a fresh key pair: only ever on the
   * user's explicit request. A readable identity keeps its user id, so contacts see a key change
   * (not a stranger); contacts and history stay.
   */
  resetIdentity(displayName: string): Promise<StoredIdentity>;
  /** Changes the display name of the stored identity; 'none' when there is no readable identity. */
  rename(displayName: string): Promise<'renamed' | 'none'>;
}

export interface Contact {
  /** Local id (see `newContactId`). */
  readonly id: string;
  /** The pinned X25519 identity public key, 32 bytes. Unique among contacts. */
  readonly identityKey: Uint8Array;
  /** The peer's 16-byte user id. */
  readonly userId: Uint8Array;
  readonly name: string;
  /** Set only by a successful scan or the user's "the numbers match"; cleared on a key change. */
  readonly verified: boolean;
  /** ms since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /**
   * Another identity key this contact's user id presented in a handshake, waiting for the user to
   * accept it; the conversation is blocked while it is set.
   */
  readonly pendingKey?: Uint8Array;
  /**
   * What the two devices keep from pairing to meet again through the worker with no new invite
   * (src/protocol/rendezvous.ts): a 32-byte secret and whether this side makes the offer.
   */
  readonly rendezvous?: { readonly secret: Uint8Array; readonly offerer: boolean };
}

export interface ContactStore {
  get(id: string): Promise<Contact | undefined>;
  /**
   * Inserts or replaces the contact with this id. Throws `StoreError('CONFLICT')` when another
   * contact already pins the same identity key.
   */
  put(contact: Contact): Promise<void>;
  /** Every contact, most recently seen first (ties by id). */
  list(): Promise<Contact[]>;
  /** The contact pinned to this 32-byte identity key. */
  byKey(identityKey: Uint8Array): Promise<Contact | undefined>;
}

export type MessageDirection = 'in' | 'out';
/** Moves forward only: queued → sent → delivered. */
export type MessageState = 'queued' | 'sent' | 'delivered';

export interface StoredMessage {
  readonly contactId: string;
  /** 16 bytes, unique per contact. */
  readonly messageId: Uint8Array;
  readonly direction: MessageDirection;
  readonly body: string;
  /** The sender's timestamp, ms since the epoch; history is ordered by it. */
  readonly sentAt: number;
  readonly receivedAt?: number;
  readonly state: MessageState;
}

export type MessageUpdate = 'updated' | 'unchanged' | 'missing';

export interface MessageStore {
  /** Adds the message unless one with the same id is stored for this contact. */
  add(message: StoredMessage): Promise<'added' | 'duplicate'>;
  /** The contact's messages by `sentAt`, ties by message id. */
  list(contactId: string): Promise<StoredMessage[]>;
  /**
   * Moves the message's state forward ('unchanged' if it is already there or further) and sets
   * `receivedAt` when given.
   */
  updateState(
    contactId: string,
    messageId: Uint8Array,
    state: MessageState,
    receivedAt?: number,
  ): Promise<MessageUpdate>;
}

export type SecurityEventKind =
  /** The contact was first paired; `detail` says how (scanned invite, code, link). */
  | 'paired'
  /** A handshake presented another identity key than the pinned one. */
  | 'key-changed'
  /** The user accepted the new key; the old verified mark is gone. */
  | 'key-change-accepted'
  | 'verified-by-scan'
  | 'verified-by-comparison'
  | 'verification-cleared'
  /** A scanned safety-number code did not match. */
  | 'verification-failed'
  /** A frame failed its HMAC check. */
  | 'mac-failed'
  /** A frame passed its HMAC but failed AES-GCM. */
  | 'decrypt-failed'
  /** Another frame check failed (replay, order, freshness, length, record shape). */
  | 'frame-refused'
  /** The secure handshake failed as it would under interception. */
  | 'possible-interception'
  /** The session was closed after too many bad frames in a row. */
  | 'session-closed';

/** One entry in a contact's security log; `detail` is a sentence for people. */
export interface SecurityEvent {
  readonly contactId: string;
  /** ms since the epoch. */
  readonly at: number;
  readonly kind: SecurityEventKind;
  readonly detail: string;
}

export interface SecurityEventStore {
  add(event: SecurityEvent): Promise<void>;
  /** The contact's events, oldest first. */
  list(contactId: string): Promise<SecurityEvent[]>;
}

/** One open store: the parts over the same storage. */
export interface Stores {
  readonly identity: IdentityStore;
  readonly contacts: ContactStore;
  readonly messages: MessageStore;
  readonly events: SecurityEventStore;
  close(): void;
  /** Deletes everything stored (identity, contacts, history, events) and closes the store. */
  destroy(): Promise<void>;
}

export type StoreErrorCode = 'UNAVAILABLE' | 'CONFLICT' | 'BAD_ARGUMENT' | 'KEY_NOT_STORABLE';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: StoreErrorCode): e is StoreError {
    return e instanceof StoreError && (code === undefined || e.code === code);
  }
}
