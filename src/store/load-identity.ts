/**
 * Reading the stored identity back, for `IdentityStore.load` in both stores: every key checked
 * against its public half, the rotations checked for shape (`readIdentity`), and a record from
 * before version 4 given its ML-DSA key once (`loadIdentity`).
 */
import { constantTimeEqual } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { ML_DSA_87_PUBLIC_KEY_LENGTH } from '../crypto/pq-lengths';
import {
  type SigningKeyPair,
  exportStorableSigningKey,
  importStorableSigningKey,
} from '../crypto/ml-dsa-key';
import {
  type X25519KeyPair,
  X25519_KEY_LENGTH,
  generateX25519KeyPair,
  importStorableKey,
  x25519SharedSecret,
} from '../crypto/x25519';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { type KeyRotation, type RotationKeys, decodeKeyRotation } from '../protocol/key-rotation';
import { deriveUserId } from '../protocol/user-id';
import { type IdentityRecord, type SigningFields, isObject, sameBytes } from './identity-records';
import { isBytes } from './records';
import { type IdentityLoad, MAX_KEPT_ROTATIONS, type StoredIdentity } from './identity-types';

/**
 * A new ML-DSA key pair for a record from before version 4; its code loads only then. (An
 * `import()` here rather than new-identity.ts's static one: this module is part of the page.)
 */
async function newSigningKeyPair(): Promise<SigningKeyPair> {
  return (await import('../crypto/ml-dsa-keygen')).generateSigningKeyPair();
}

const unreadable = (reason: string): { kind: 'unreadable'; reason: string } => ({
  kind: 'unreadable',
  reason,
});

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
