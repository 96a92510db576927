/**
 * This device's identity as the stores hand it out, and the identity store: load it (checked),
 * make it on first run, reset it, rename it, rotate its keys. The records behind it are
 * identity-records.ts; the in-memory and the IndexedDB stores implement `IdentityStore`.
 *
 * Expected outcomes (no identity yet, an identity that cannot be read back, one already stored) are
 * returned as data; `StoreError` (store-error.ts) is thrown only when storage itself fails.
 */
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import type { X25519KeyPair } from '../crypto/x25519';
import type { KeyRotation } from '../protocol/key-rotation';

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
