/**
 * `verifyKeyRotation` (key-rotation-proof.ts): true only for a rotation the pinned ML-DSA-87 key
 * signed, false (never a rejection) for anything else. It is async, on the platform's ML-DSA
 * backend (ml-dsa.ts: WebCrypto in Node 24), so each case awaits it: a caller that forgot to would
 * see a Promise, which is truthy.
 */
import { describe, expect, it } from 'vitest';
import type { KeyRotation } from './key-rotation';
import { signKeyRotation, verifyKeyRotation } from './key-rotation-proof';
import { keys } from './key-rotation.test-util';

const AT = 1_760_000_000_000;

describe('verifyKeyRotation', () => {
  it('is true for a rotation the pinned key signed, and false for every change to it', async () => {
    const [old, next, other] = await Promise.all([keys(), keys(), keys()]);
    const rotation = await signKeyRotation(AT, old.public, next.public, old.signing.privateKey);
    const pinned = old.signing.publicKey;
    const result = verifyKeyRotation(rotation, pinned);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(true);

    const flipped = rotation.signature.slice();
    flipped[100]! ^= 1;
    const changed: [string, KeyRotation, Uint8Array][] = [
      ['pinned: the new key', rotation, next.signing.publicKey],
      ['pinned: another key', rotation, other.signing.publicKey],
      ['a flipped signature bit', { ...rotation, signature: flipped }, pinned],
      ['another time', { ...rotation, at: AT + 1 }, pinned],
      ['other new keys', { ...rotation, next: other.public }, pinned],
      ['a short signature', { ...rotation, signature: rotation.signature.subarray(1) }, pinned],
    ];
    for (const [what, r, key] of changed) expect(await verifyKeyRotation(r, key), what).toBe(false);
  });

  it('is false for a rotation naming the pinned key but signed by another one', async () => {
    const [old, next, mallory] = await Promise.all([keys(), keys(), keys()]);
    const forged = await signKeyRotation(AT, old.public, next.public, mallory.signing.privateKey);
    expect(await verifyKeyRotation(forged, old.signing.publicKey)).toBe(false);
  });

  it('is false for a rotation that keeps the X25519 key, even when signed', async () => {
    const [old, next] = await Promise.all([keys(), keys()]);
    const same = { ...next.public, identityKey: old.public.identityKey };
    const rotation = await signKeyRotation(AT, old.public, same, old.signing.privateKey);
    expect(await verifyKeyRotation(rotation, old.signing.publicKey)).toBe(false);
  });
});
