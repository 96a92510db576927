/**
 * Signing a key rotation with the old ML-DSA-87 key, and checking that signature against the key a
 * contact pinned (key-rotation.ts has the statement and the wire form). Apart from the codec so that
 * reading a stored rotation does not load the ML-DSA code.
 */
import { constantTimeEqual } from '../crypto/bytes';
import { mlDsa87VerifyAsync } from '../crypto/ml-dsa';
import { type SigningPrivateKey, signWithIdentityKey } from '../crypto/ml-dsa-key';
import { type KeyRotation, ROTATION_CONTEXT, type RotationKeys, rotationStatement } from './key-rotation';

/** A rotation from `old` to `next`, signed with the old ML-DSA-87 private key. */
export async function signKeyRotation(
  at: number,
  old: RotationKeys,
  next: RotationKeys,
  oldPrivateKey: SigningPrivateKey,
): Promise<KeyRotation> {
  const signature = await signWithIdentityKey(
    oldPrivateKey,
    rotationStatement(at, old, next),
    ROTATION_CONTEXT,
  );
  return { at, old, next, signature };
}

/**
 * Whether `rotation` is a valid rotation away from `pinnedSigningKey` (the ML-DSA key this device
 * has pinned for the contact): the old key it names is that one and it signed the statement. False,
 * never a rejection, for anything else.
 */
export async function verifyKeyRotation(
  rotation: KeyRotation,
  pinnedSigningKey: Uint8Array,
): Promise<boolean> {
  try {
    if (!constantTimeEqual(rotation.old.signingKey, pinnedSigningKey)) return false;
    if (constantTimeEqual(rotation.old.identityKey, rotation.next.identityKey)) return false;
    const statement = rotationStatement(rotation.at, rotation.old, rotation.next);
    return await mlDsa87VerifyAsync(rotation.old.signingKey, statement, rotation.signature, ROTATION_CONTEXT);
  } catch {
    return false;
  }
}
