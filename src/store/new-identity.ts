/**
 * Making a new identity and its record (at first run, on a reset, on a key rotation) and what
 * replacing the stored one needs: the record kept aside, the checks of a rotation. The IndexedDB
 * store loads this module (and the ML-DSA key generation with it) only then, not with the page.
 */
import { exportStorableSigningKey, type SigningKeyPair } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { type X25519KeyPair, exportStorableKey, generateStorableX25519KeyPair } from '../crypto/x25519';
import { type RotationKeys, encodeKeyRotation } from '../protocol/key-rotation';
import { deriveUserId } from '../protocol/user-id';
import {
  IDENTITY_KEY,
  type IdentityRecord,
  SET_ASIDE_PREFIX,
  checkDisplayName,
  isObject,
  sameBytes,
} from './identity-records';
import { type IdentityLoad, MAX_KEPT_ROTATIONS, type StoredIdentity } from './identity-types';
import { StoreError } from './store-error';

/** Both key pairs, each in the form this browser proves it can store. */
async function newKeyPairs(): Promise<[X25519KeyPair, SigningKeyPair]> {
  // A wrapped X25519 key on WebKit (see StorableX25519Key); the ML-DSA seed wrapped everywhere it can be.
  return Promise.all([generateStorableX25519KeyPair(), generateSigningKeyPair()]);
}

/** A new identity and the record that stores it. */
export async function newIdentity(
  displayName: string,
  now: number,
): Promise<{ identity: StoredIdentity; record: IdentityRecord }> {
  checkDisplayName(displayName);
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
 * `setAsideId`); undefined when there is none. After a reset the whole record is kept, so that a
 * key that could not be read might still be recovered. After a rotation the identity was readable
 * and its replacement is signed by it, so nothing needs its private keys again, and someone who
 * rotates because a key may have been copied should not keep it: only the public parts stay.
 */
export function setAsideRecord(raw: unknown, id: string, now: number, after: 'reset' | 'rotation'): unknown {
  if (raw === undefined || raw === null) return undefined;
  const kept: Record<string, unknown> = typeof raw === 'object' ? { ...raw } : { value: raw };
  if (after === 'rotation') {
    delete kept['privateKey'];
    delete kept['signingKey'];
    kept['privateKeysDropped'] = true;
  }
  return { ...kept, id, setAsideAt: now };
}

/** Whether `raw` is the stored record of `identity` (it holds the same two public keys). */
export function holdsKeysOf(raw: unknown, identity: StoredIdentity): boolean {
  return (
    isObject(raw) &&
    sameBytes(raw['publicKey'], identity.keyPair.publicKey) &&
    sameBytes(raw['signingPublicKey'], identity.signing.publicKey)
  );
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
