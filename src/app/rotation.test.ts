/**
 * `receivedRotation` (rotation.ts) takes a contact's new keys only when the ML-DSA key it pinned
 * signed them. The signature check is async (key-rotation-proof.ts), so this is also what fails if
 * it is ever left un-awaited (a Promise is truthy: every rotation would pass).
 */
import { describe, expect, it } from 'vitest';
import { signKeyRotation } from '../protocol/key-rotation-proof';
import { type Keys, keys } from '../protocol/key-rotation.test-util';
import { deriveUserId } from '../protocol/user-id';
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { ContactOps } from './contact-ops';
import { ROTATION_REFUSED_DETAIL, createRotationOps } from './rotation';
import { ROTATED_DETAIL } from './trust';

/** ContactOps over one contact in memory, recording the log. */
function opsFor(contact: Contact) {
  const state = { contact, log: [] as [SecurityEventKind, string][] };
  const ops: ContactOps = {
    serial: async (_, task) => {
      const out = await task();
      return out;
    },
    mustGet: async () => {
      await Promise.resolve();
      return state.contact;
    },
    put: async (c) => {
      await Promise.resolve();
      state.contact = c;
    },
    log: async (_, kind, detail) => {
      await Promise.resolve();
      state.log.push([kind, detail]);
    },
    contacts: async () => {
      await Promise.resolve();
      return [state.contact];
    },
    identity: {} as StoredIdentity, // receivedRotation reads it only for a rendezvous pair; none here
  };
  return { ops, state };
}

function contactOf(k: Keys): Contact {
  return {
    id: 'c1',
    identityKey: k.public.identityKey,
    signingKey: k.public.signingKey,
    userId: deriveUserId(k.public.identityKey, k.public.signingKey),
    announcedName: 'Bob',
    verified: true,
    firstSeen: 1,
    lastSeen: 1,
  };
}

describe('receivedRotation', () => {
  it('takes the new keys signed by the pinned key, logs it and ends the old session', async () => {
    const [old, next] = await Promise.all([keys(), keys()]);
    const { ops, state } = opsFor(contactOf(old));
    let closed = 0;
    const rotation = await signKeyRotation(Date.now(), old.public, next.public, old.signing.privateKey);
    await createRotationOps(ops).receivedRotation('c1', rotation, async () => {
      await Promise.resolve();
      closed++;
    });
    expect(state.contact.identityKey).toEqual(next.public.identityKey);
    expect(state.contact.signingKey).toEqual(next.public.signingKey);
    expect(state.contact.verified).toBe(true);
    expect(state.log).toEqual([['key-rotated', ROTATED_DETAIL]]);
    expect(closed).toBe(1);
  });

  it('refuses new keys that another key signed in the pinned key’s name: nothing changes', async () => {
    const [old, next, mallory] = await Promise.all([keys(), keys(), keys()]);
    const contact = contactOf(old);
    const { ops, state } = opsFor(contact);
    let closed = 0;
    const forged = await signKeyRotation(Date.now(), old.public, next.public, mallory.signing.privateKey);
    await createRotationOps(ops).receivedRotation('c1', forged, async () => {
      await Promise.resolve();
      closed++;
    });
    expect(state.contact).toBe(contact);
    expect(state.log).toEqual([['rotation-refused', ROTATION_REFUSED_DETAIL]]);
    expect(closed).toBe(0);
  });
});
