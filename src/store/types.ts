/**
 * What the app keeps between visits: its own identity, its contacts (each pinned to an identity
 * key), the message history and the conversation ratchet per contact. Storage is an interface with an in-memory
 * implementation for tests (`memory-store.ts`) and the IndexedDB one for the app (`idb-store.ts`);
 * both pass the same contract suite (`store-contract.test.ts`).
 *
 * Expected outcomes (no identity yet, an identity that cannot be read back, a duplicate message, a
 * ratchet another tab moved on) are returned as data; `StoreError` is thrown only when storage itself fails or a caller breaks
 * a rule (two contacts with one identity key).
 */
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import type { X25519KeyPair } from '../crypto/x25519';
import type { KeyRotation } from '../protocol/key-rotation';
import type { ChangeOutcome, MessageChange, MessageFeatureStore, MessageFeatures } from './message-changes';

/** How many of its latest key rotations an identity keeps (and announces), newest last. */
export const MAX_KEPT_ROTATIONS = 3;

/** This device's identity. Structurally a `SessionIdentity` (src/protocol/session.ts). */
export interface StoredIdentity {
  /** The long-term X25519 key pair; on WebCrypto the private key is non-extractable. */
  readonly keyPair: X25519KeyPair;
  /** The long-term ML-DSA-87 key pair (src/crypto/ml-dsa-key.ts); its seed is stored wrapped. */
  readonly signing: SigningKeyPair;
  /**
   * The latest key rotations this identity went through (at most MAX_KEPT_ROTATIONS, newest last,
   * the newest one's `next` keys being these); empty for an identity made fresh.
   */
  readonly rotations: readonly KeyRotation[];
  /**
   * 16 bytes derived from both public keys (src/protocol/user-id.ts), recomputed on every read;
   * peers recompute it too.
   */
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
  /**
   * The stored identity, if any, checked: key shapes, that each private key fits its public key,
   * the stored rotations. An identity stored before ML-DSA keys (database version 3) gets one here,
   * once: it is saved before it is returned, so every later load gives the same key.
   */
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
  /**
   * Replaces both identity key pairs with fresh ones and signs the new public keys with the old
   * ML-DSA key (src/protocol/key-rotation.ts), so contacts can follow without a key-change warning.
   * The old record is kept aside as a reset keeps it; name and creation time stay. The new identity
   * has a new user id and the rotation appended to `rotations`. Throws `StoreError('UNAVAILABLE')`
   * when there is no readable identity, and `StoreError('CONFLICT')` when another tab replaced the
   * identity meanwhile.
   */
  rotateKeys(): Promise<StoredIdentity>;
}

/**
 * How a new key for a known contact arrived, which is what lets it be recognised as theirs at all
 * (DESIGN.md, Identity and trust): through the pair's own rendezvous room (which needs the pair
 * secret), or as a rotation signed by the old ML-DSA key (src/protocol/key-rotation.ts).
 */
export type KeyEvidence = 'rendezvous' | 'signed-rotation';

/** A new identity key presented for a known contact, waiting for the user's decision. */
export interface PendingKey {
  /** The new X25519 identity public key, 32 bytes (canonical). */
  readonly identityKey: Uint8Array;
  /** The new ML-DSA-87 public key (absent on one recorded before identities carried one). */
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
  /**
   * The pinned ML-DSA-87 identity public key, pinned when the contact first presents one (contacts
   * paired before database version 4 have none until then).
   */
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
  /** Offline delivery through the worker's mailboxes (src/app/offline-delivery.ts). */
  readonly mailboxes?: ContactMailboxes;
}

export const MAX_REFUSED_KEYS = 8;

/**
 * One of this device's inbound mailboxes for one contact (src/protocol/mailbox.ts): the id is the
 * address the contact deposits to, the token reads and deletes. Kept on this device only.
 */
export interface OwnMailbox {
  /** 43 base64url characters. */
  readonly id: string;
  /** 43 base64url characters; the worker keeps only its SHA-256. */
  readonly token: string;
  /** When it was made, ms since the epoch. */
  readonly createdAt: number;
  /** When the worker confirmed the claim; not announced to the contact before. */
  readonly claimedAt?: number;
  /** Set when a newer one replaced it: still read until drained, then dropped. */
  readonly retiredAt?: number;
}

/** At most this many inbound mailboxes per contact: the current one and those being drained. */
export const MAX_OWN_MAILBOXES = 4;

export interface ContactMailboxes {
  /** This device's inbound mailboxes for the contact, oldest first; the last one not retired is current. */
  readonly own: readonly OwnMailbox[];
  /** Where the contact last said to deposit for it, and when that arrived. */
  readonly peer?: { readonly id: string; readonly at: number };
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
/**
 * How a message went: over a live session (directly, or through a relay: TURN or the worker's), or
 * through the worker's mailbox.
 */
export type MessageRoute = 'direct' | 'relayed' | 'mailbox';
/** Moves forward only: queued → sent → delivered. */
export type MessageState = 'queued' | 'sent' | 'delivered';

/** The conversation features' fields (reply, reactions, edits, tombstone, read) are in message-changes.ts. */
export interface StoredMessage extends MessageFeatures {
  readonly contactId: string;
  /** 16 bytes, unique per contact. */
  readonly messageId: Uint8Array;
  readonly direction: MessageDirection;
  readonly body: string;
  /** The sender's timestamp, ms since the epoch; history is ordered by it. */
  readonly sentAt: number;
  readonly receivedAt?: number;
  readonly state: MessageState;
  /** How it arrived ('in') or last went ('out'); absent for messages stored before routes were kept. */
  readonly route?: MessageRoute;
}

export type MessageUpdate = 'updated' | 'unchanged' | 'missing';

/** The conversation features' part (changes, the outbox of records, delete for me): message-changes.ts. */
export interface MessageStore extends MessageFeatureStore {
  /** Adds the message unless one with the same id is stored for this contact. */
  add(message: StoredMessage): Promise<'added' | 'duplicate'>;
  /** The contact's messages by `sentAt`, ties by message id. */
  list(contactId: string): Promise<StoredMessage[]>;
  /**
   * Moves the message's state forward ('unchanged' if it is already there or further) and sets
   * `receivedAt` and `route` when given.
   */
  updateState(
    contactId: string,
    messageId: Uint8Array,
    state: MessageState,
    receivedAt?: number,
    route?: MessageRoute,
  ): Promise<MessageUpdate>;
}

/** A place in a contact's history: a message's time and id (a `StoredMessage` is one). */
export interface HistoryCursor {
  readonly sentAt: number;
  readonly messageId: Uint8Array;
}

/** The most messages one history page holds. */
export const MAX_HISTORY_PAGE = 500;

/**
 * Which page of a history to read: the newest `limit` messages; or with `before`, the `limit`
 * messages just older than that one (the oldest shown, to page back); or with `after`, the `limit`
 * messages just newer (the newest shown, to catch up). Not both.
 */
export interface HistoryPageRequest {
  readonly before?: HistoryCursor;
  readonly after?: HistoryCursor;
  /** 1 … MAX_HISTORY_PAGE. */
  readonly limit: number;
}

export interface HistoryPage {
  /** Oldest first, in history order (by `sentAt`, ties by message id). */
  readonly messages: StoredMessage[];
  /** Whether more messages lie beyond this page the way it was read (older; with `after`, newer). */
  readonly more: boolean;
}

/** Unread messages are counted up to this many (a count costs a step per index key). */
export const MAX_UNREAD = 1_000;

/** What the conversation list needs of one conversation, read without reading its history. */
export interface ConversationFacts {
  readonly contactId: string;
  /** The newest message in history order, if any. */
  readonly last?: StoredMessage;
  /**
   * Incoming messages received (this device's clock) after `readAt`, all of them without it;
   * counted up to MAX_UNREAD (more count as MAX_UNREAD: the list shows "999+").
   */
  readonly unread: number;
  readonly readAt?: number;
  readonly archived: boolean;
}

/**
 * Per-conversation state beside the history: the read position and the archived mark, and the
 * reads the conversation list and a long history need, each served by an index so that none of
 * them reads a whole conversation.
 */
export interface ConversationStore {
  /**
   * The facts of each conversation, in the order asked, in one read: per conversation, its newest
   * message and the count of its unread ones (counted over an index, not read).
   */
  facts(contactIds: readonly string[]): Promise<ConversationFacts[]>;
  /** Incoming messages received up to `at` (ms since the epoch, this device's clock) count as read. */
  markRead(contactId: string, at: number): Promise<void>;
  setArchived(contactId: string, archived: boolean): Promise<void>;
  /**
   * Deletes the conversation's messages (those still queued too, so they are never sent) and its
   * read position, in one transaction; returns how many messages went. The contact, its ratchet,
   * its security log and its archived mark stay.
   */
  clear(contactId: string): Promise<number>;
  /** One page of the history (see HistoryPageRequest); reads about `limit` messages, never all. */
  page(contactId: string, request: HistoryPageRequest): Promise<HistoryPage>;
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
  /** A message from the mailbox could not be read and was deleted there. */
  | 'mailbox-refused'
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
  | 'upgrade'
  /** Keys were replaced by a rotation the old ML-DSA key signed (theirs, or ours announced to them). */
  | 'key-rotated'
  /** A key rotation that the pinned ML-DSA key did not sign was refused; nothing changed. */
  | 'rotation-refused'
  /** The contact's ML-DSA key was pinned, the first time they presented one. */
  | 'signing-key-pinned'
  /** The conversation ratchet was started again from a new session (the stored one was dropped). */
  | 'ratchet-restarted'
  /** A ratchet message was refused (malformed, replayed, failed its check); nothing changed. */
  | 'ratchet-refused';

/** A contact's stored ratchet. */
export interface StoredRatchet {
  /** How many commits made it; 0 when none is stored. */
  readonly generation: number;
  /** undefined: none stored */
  readonly state: unknown;
}

/** One step of a conversation: the new ratchet state and what it protects, written together. */
export interface RatchetCommit {
  readonly contactId: string;
  /**
   * The generation the caller read; the commit is refused as 'conflict' when the stored one moved
   * on (another tab wrote). 0 = none stored yet.
   */
  readonly expectedGeneration: number;
  /**
   * The new ratchet state: a structured-clone-safe plain object (src/protocol/ratchet.ts validates
   * it on load, not the store).
   */
  readonly state: unknown;
  /**
   * A received message to store in the same transaction; dropped as duplicate by id as
   * MessageStore.add does. Its `contactId` must be the commit's.
   */
  readonly addMessage?: StoredMessage;
  /**
   * Several received messages (a mailbox read at once), stored in the same transaction in order
   * (after `addMessage`), each dropped as duplicate by id like `addMessage` (also when an earlier one
   * of the list has its id). Each `contactId` must be the commit's.
   */
  readonly addMessages?: readonly StoredMessage[];
  /** Outgoing message ids the peer acknowledged: moved to 'delivered' in the same transaction. */
  readonly delivered?: readonly Uint8Array[];
  /** Outgoing message ids handed to the session: moved to 'sent' in the same transaction. */
  readonly sent?: readonly Uint8Array[];
  /** The route the `sent` ones took, stored with them. */
  readonly sentRoute?: MessageRoute;
  /** The peer's changes to messages (reactions, edits, deletes, receipts), applied in the same transaction. */
  readonly changes?: readonly MessageChange[];
}

export type RatchetCommitResult =
  | {
      readonly kind: 'committed';
      /** The stored generation now (expectedGeneration + 1). */
      readonly generation: number;
      /** Set when the commit carried `addMessage`. */
      readonly added?: 'added' | 'duplicate';
      /** Set when the commit carried `addMessages`: what became of each, in their order. */
      readonly addedEach?: readonly ('added' | 'duplicate')[];
      /** ids whose state actually moved */
      readonly updated: readonly Uint8Array[];
      /** Set when the commit carried `changes`: the outcome of each, in order. */
      readonly changed?: readonly ChangeOutcome[];
    }
  | { readonly kind: 'conflict' };

/**
 * The Double Ratchet state per contact (DESIGN.md, Conversation ratchet). A commit is one
 * transaction: the generation check, the new state, the received message and the state moves all
 * happen, or none of them does; so two tabs cannot fork a state, and a crash cannot keep a message
 * without the state that read it (or the reverse).
 */
export interface RatchetStore {
  /** `{ generation: 0, state: undefined }` when none is stored. */
  load(contactId: string): Promise<StoredRatchet>;
  /**
   * Throws `StoreError('BAD_ARGUMENT')` (nothing written) for a malformed commit: a message or id
   * the message store would refuse, a state that cannot be stored.
   */
  commit(c: RatchetCommit): Promise<RatchetCommitResult>;
  /** Forgets the contact's ratchet (a new one starts at the next session). */
  remove(contactId: string): Promise<void>;
}

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
  readonly ratchets: RatchetStore;
  readonly conversations: ConversationStore;
  close(): void;
  /** Deletes everything stored (identity, contacts, history, events, ratchets) and closes the store. */
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
