/**
 * The stored identity record: its key, its shape, and the check of a display name written into it,
 * shared by the in-memory and the IndexedDB store. Reading it back is in load-identity.ts; making a
 * new one (first run, reset, key rotation) in new-identity.ts, which loads only then.
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { StorableSigningKey } from '../crypto/ml-dsa-key';
import type { StorableX25519Key } from '../crypto/x25519';
import { displayNameProblem } from '../protocol/display-name';
import { StoreError } from './store-error';

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
   * have neither; `loadIdentity` adds them (see `LegacyIdentity`, load-identity.ts).
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

/** The fields a record written before version 4 lacks; `loadIdentity` adds them once. */
export type SigningFields = Pick<IdentityRecord, 'signingPublicKey' | 'signingKey' | 'rotations' | 'userId'>;

/** Refuses (`StoreError('BAD_ARGUMENT')`, with a sentence) a name no identity may carry. */
export function checkDisplayName(displayName: string): void {
  const problem =
    typeof displayName !== 'string' || displayName.trim() === ''
      ? 'Pick a name to show to the people you talk to.'
      : displayNameProblem(displayName);
  if (problem !== undefined) throw new StoreError('BAD_ARGUMENT', problem);
}

/** The stored record with a new display name (checked); everything else as stored. */
export function renamedRecord<T extends object>(record: T, displayName: string): T {
  checkDisplayName(displayName);
  return { ...record, displayName };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function sameBytes(a: unknown, b: Uint8Array): boolean {
  return a instanceof Uint8Array && constantTimeEqual(a, b);
}
