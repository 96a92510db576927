/**
 * `followsChain` (trust.ts): the rotations a session announces lead from a contact's pinned
 * ML-DSA key to the session's keys only if each was signed by the key before it. Each link's
 * signature check is async (key-rotation-proof.ts).
 */
import { describe, expect, it } from 'vitest';
import { signKeyRotation } from '../protocol/key-rotation-proof';
import { type Keys, keys } from '../protocol/key-rotation.test-util';
import { followsChain } from './trust';

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
