/**
 * `followsChain` (trust.ts): the rotations a session announces lead from a contact's pinned
 * ML-DSA key to the session's keys only if each was signed by the key before it. Each link's
 * signature check is async (key-rotation-proof.ts).
 */
import { describe, expect, it } from 'vitest';
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import type { RotationKeys } from '../protocol/key-rotation';
import { signKeyRotation } from '../protocol/key-rotation-proof';
import { generateDhKeyPair } from '../protocol/noise';
import { followsChain } from './trust';

interface Keys {
  readonly public: RotationKeys;
  readonly signing: SigningKeyPair;
}

async function keys(): Promise<Keys> {
  const dh = await generateDhKeyPair();
  const signing = await generateSigningKeyPair();
  return { public: { identityKey: dh.publicKey, signingKey: signing.publicKey }, signing };
}

const peerOf = (k: Keys) => ({ staticKey: k.public.identityKey, signingKey: k.public.signingKey });

describe('followsChain', () => {
  it('follows a chain each link of which the key before it signed, to the session’s keys only', async () => {
    const [a, b, c, mallory] = await Promise.all([keys(), keys(), keys(), keys()]);
    const ab = await signKeyRotation(1, a.public, b.public, a.signing.privateKey);
    const bc = await signKeyRotation(2, b.public, c.public, b.signing.privateKey);
    expect(await followsChain([ab, bc], a.signing.publicKey, peerOf(c))).toBe(true);
    expect(await followsChain([ab], a.signing.publicKey, peerOf(b))).toBe(true);
    expect(await followsChain([ab, bc], a.signing.publicKey, peerOf(b)), 'ends elsewhere').toBe(false);
    expect(await followsChain([bc], a.signing.publicKey, peerOf(c)), 'starts elsewhere').toBe(false);
    expect(await followsChain([], a.signing.publicKey, peerOf(a)), 'no rotation').toBe(false);

    // A second link signed by someone else in b's name breaks the chain.
    const forged = await signKeyRotation(2, b.public, c.public, mallory.signing.privateKey);
    expect(await followsChain([ab, forged], a.signing.publicKey, peerOf(c))).toBe(false);
  });
});
