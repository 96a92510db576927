/**
 * A contact as the stores keep it: the pinned identity keys, names, the verified mark, a new key
 * waiting for the user's decision, the pair's rendezvous secret and the offline-delivery mailboxes;
 * and the contact store. Its records are checked in record-checks.ts.
 */

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
