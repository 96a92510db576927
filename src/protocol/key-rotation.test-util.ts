/**
 * Test helpers for key rotations (key-rotation-proof.test.ts, src/app/trust.test.ts,
 * src/app/rotation.test.ts): a fresh pair of identity keys, their public halves as a rotation
 * names them and the ML-DSA pair that signs.
 */
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import type { RotationKeys } from './key-rotation';
import { generateDhKeyPair } from './noise';

export interface Keys {
  readonly public: RotationKeys;
  readonly signing: SigningKeyPair;
}

export async function keys(): Promise<Keys> {
  const dh = await generateDhKeyPair();
  const signing = await generateSigningKeyPair();
  return { public: { identityKey: dh.publicKey, signingKey: signing.publicKey }, signing };
}
