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
  /** 16 bytes derived from the public key (src/protocol/user-id.ts); peers recompute it. */
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
   * user's explicit request. The old record is first kept aside (never overwritten), so a key that
   * could not be read now may still be recovered. The new key has a new user id; contacts meeting it
   * through the pair's rendezvous see a key change to accept; contacts and history stay.
   */
  resetIdentity(displayName: string): Promise<StoredIdentity>;
  /** Changes the display name of the stored identity; 'none' when there is no readable identity. */
  rename(displayName: string): Promise<'renamed' | 'none'>;
}

/**
 * How a new key for a known contact arrived, which is what lets it be recognised as theirs at all
 * (DESIGN.md, Identity and trust): through the pair's own rendezvous room (which needs the pair
 * secret), or as a rotation signed by the old ML-DSA key (with the ML-DSA identity; not yet sent).
 */
export type KeyEvidence = 'rendezvous' | 'signed-rotation';

/** A new identity key presented for a known contact, waiting for the user's decision. */
export interface PendingKey {
  /** The new X25519 identity public key, 32 bytes (canonical). */
  readonly identityKey: Uint8Array;
  /** The new ML-DSA-87 public key, once identities carry one. */
  readonly signingKey?: Uint8Array;
  readonly evidence: KeyEvidence;
  /** When it was first presented, ms since the epoch. */
  readonly at: number;
  /** The name the new key's holder announced (a suggestion, never applied before acceptance). */
  readonly announcedName: string;
}

export interface Contact {
  /** Local id (see `newContactId`). */
  readonly id: string;
  /** The pinned X25519 identity public key, 32 bytes, canonical. Unique among contacts. */
  readonly identityKey: Uint8Array;
  /** The pinned ML-DSA-87 identity public key, once identities carry one. */
  readonly signingKey?: Uint8Array;
  /** The 16-byte user id, always derived here from the pinned keys (src/protocol/user-id.ts). */
  readonly userId: Uint8Array;
  /** The name the peer last announced for itself: a suggestion, shown as such. */
  readonly announcedName: string;
  /** The name the user set or kept for this contact; the one shown when present. */
  readonly localName?: string;
  /** Set only by a successful scan or the user's "the numbers match"; cleared on a key change. */
  readonly verified: boolean;
  /** ms since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /**
   * A new identity key that arrived with evidence that it is this contact's (see `KeyEvidence`),
   * waiting for the user to accept or refuse it; the conversation is blocked while it is set.
   */
  readonly pendingKey?: PendingKey;
  /** Keys the user refused for this contact (newest last, at most MAX_REFUSED_KEYS): never asked again. */
  readonly refusedKeys?: readonly Uint8Array[];
  /**
   * What the two devices keep from pairing to meet again through the worker with no new invite
   * (src/protocol/rendezvous.ts): a 32-byte secret, whether this side makes the offer, and the
   * hash of the two identity keys the secret is bound to.
   */
  readonly rendezvous?: {
    readonly secret: Uint8Array;
    readonly offerer: boolean;
    readonly keys?: Uint8Array;
  };
  /**
   * Reconnecting stopped because a handshake failed as it would under interception; no automatic
   * attempt until the user tries again. `reason` is our own sentence.
   */
  readonly reconnectPaused?: { readonly at: number; readonly reason: string };
}

export const MAX_REFUSED_KEYS = 8;

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
  /** The secure handshake failed as it would under interception; reconnecting paused. */
  | 'possible-interception'
  /** The user let reconnecting start again after it was paused. */
  | 'reconnect-resumed'
  /** The session was closed (too many bad frames in a row, too much held for a decision). */
  | 'session-closed'
  /** The user refused a new key; the old one stays pinned. */
  | 'key-refused'
  /** The peer announced another name than before. */
  | 'name-announced'
  /** The user set or kept the name shown for this contact. */
  | 'name-set'
  /** A safety-number code read from a picture matched; not verified until confirmed. */
  | 'photo-matched'
  /** The user confirmed they got the matching picture in person. */
  | 'verified-by-photo'
  /** The database was upgraded, and what it changed for this contact. */
  | 'upgrade';

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
