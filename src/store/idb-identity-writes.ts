/**
 * Making or replacing the identity in IndexedDB (`IdbIdentityStore`'s create, resetIdentity and
 * rotateKeys, idb-store.ts), with the code that makes and signs keys (new-identity.ts): loaded at
 * first run, on a reset or a rotation, not with the page. Keys are made before each transaction,
 * which closes when it waits on anything but storage.
 */
import type { Db } from './idb-schema';
import { abortQuietly, errorName, observed } from './idb-tx';
import { IDENTITY_KEY, type IdentityRecord } from './identity-records';
import {
  holdsKeysOf,
  identityMoved,
  newIdentity,
  noIdentityToRotate,
  rotatedIdentity,
  setAsideId,
  setAsideRecord,
} from './new-identity';
import type { IdentityCreate, IdentityLoad, StoredIdentity } from './identity-types';
import { StoreError } from './store-error';

function notStorable(cause: unknown): StoreError {
  // A value the browser cannot clone fails as DataCloneError; WebKit 2.50 clones an X25519
  // CryptoKey, fails to read its own copy back, and then reports that the key path ('id') "did not
  // yield a value": a DataError, though the record always has its id.
  const name = errorName(cause);
  if (name === 'DataCloneError' || name === 'DataError') {
    return new StoreError(
      'KEY_NOT_STORABLE',
      'This browser cannot save the identity key, so it would be lost when the page closes.',
      { cause },
    );
  }
  return new StoreError('UNAVAILABLE', 'The new identity could not be saved in this browser’s storage.', {
    cause,
  });
}

/** A new identity, stored unless one is there already. */
export async function createIdentity(
  db: Db,
  now: () => number,
  displayName: string,
): Promise<IdentityCreate> {
  const { identity, record } = await newIdentity(displayName, now());
  const tx = observed(db.transaction('identity', 'readwrite'));
  try {
    if ((await tx.store.getKey(IDENTITY_KEY)) !== undefined) {
      await tx.done;
      return { kind: 'exists' };
    }
    await tx.store.add(record);
    await tx.done;
  } catch (cause) {
    if (errorName(cause) === 'ConstraintError') return { kind: 'exists' };
    throw notStorable(cause);
  }
  return { kind: 'created', identity };
}

/** A new identity in place of the stored one, which is kept aside. */
export async function resetIdentity(db: Db, now: () => number, displayName: string): Promise<StoredIdentity> {
  const { identity, record } = await newIdentity(displayName, now());
  await replace(db, now, record, 'reset');
  return identity;
}

/** The stored identity with new keys signed by the old ones; the old record is kept aside. */
export async function rotateIdentity(
  db: Db,
  now: () => number,
  load: () => Promise<IdentityLoad>,
): Promise<StoredIdentity> {
  const loaded = await load();
  if (loaded.kind !== 'ok') throw noIdentityToRotate(loaded);
  const old = loaded.identity;
  const { identity, record } = await rotatedIdentity(old, now());
  if (!(await replace(db, now, record, 'rotation', (raw) => holdsKeysOf(raw, old)))) {
    throw identityMoved();
  }
  return identity;
}

/**
 * In one transaction: the stored record (whatever its shape) is kept aside, then `record` takes
 * its place, or neither happens. With `isCurrent`, nothing is written (false) unless the stored
 * record passes it.
 */
async function replace(
  db: Db,
  clock: () => number,
  record: IdentityRecord,
  after: 'reset' | 'rotation',
  isCurrent?: (raw: unknown) => boolean,
): Promise<boolean> {
  const now = clock();
  const tx = observed(db.transaction('identity', 'readwrite'));
  try {
    let raw: unknown;
    try {
      raw = await tx.store.get(IDENTITY_KEY);
    } catch {
      raw = undefined; // the read fails as the load did: the copy the reset keeps aside is lost
    }
    if (isCurrent && !isCurrent(raw)) {
      await tx.done;
      return false;
    }
    if (raw !== undefined && raw !== null) {
      let n = 0;
      while ((await tx.store.getKey(setAsideId(now, n))) !== undefined) n++;
      await tx.store.put(setAsideRecord(raw, setAsideId(now, n), now, after) as IdentityRecord);
    }
    await tx.store.put(record);
    await tx.done;
  } catch (cause) {
    abortQuietly(tx);
    throw notStorable(cause);
  }
  return true;
}
