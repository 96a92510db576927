/**
 * Key rotation (DESIGN.md, Identity and trust; key-rotation.ts): _Settings → Replace my keys_ makes
 * new X25519 and ML-DSA-87 identity keys and signs them with the old ML-DSA key. Contacts learn of
 * it two ways, whichever comes first:
 *
 * - a `key-rotation` record through the conversation ratchet, sent on every open session before
 *   it closes (this module), and
 * - the rotation announced in every handshake from then on (the latest three), which trust.ts
 *   checks when a new key arrives.
 *
 * A contact takes the new keys only when the signature verifies against the ML-DSA key it pinned:
 * then no warning, the verified mark stays, and the security log has a notice. Anything else stays
 * a key change (or a new contact), as before.
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { KeyRotation } from '../protocol/key-rotation';
import { verifyKeyRotation } from '../protocol/key-rotation-proof';
import { rotateRendezvous, needsRotation } from '../protocol/rendezvous';
import { deriveUserId } from '../protocol/user-id';
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';
import type { ContactOps } from './contact-ops';
import type { DeliveryLive } from './delivery';
import { ROTATED_DETAIL } from './trust';

export const ROTATION_REFUSED_DETAIL =
  'A key rotation arrived that the key you have for this contact did not sign. It was ignored; their keys stay as they were.';

export const OWN_ROTATION_DETAIL =
  'You replaced your identity keys. Your old post-quantum key signed the new ones, so this contact takes them without a warning, and a verified mark stays.';

/** An open session of a contact, as the messenger lends it to `announceOwnRotation`. */
export interface OpenSession {
  readonly live: DeliveryLive & {
    readonly connected: { readonly session: { close(reason?: string): Promise<void> } };
  };
  /** Whether it speaks for the contact's pinned key, with no decision pending. */
  readonly trusted: boolean;
}

export interface RotationOps {
  /**
   * After this device replaced its keys: every contact's log says so; each open session of a
   * contact gets the signed rotation as a record, then closes (the next one uses the new keys, and
   * its handshake announces the rotation to contacts who were not connected).
   */
  announceOwnRotation(
    identity: StoredIdentity,
    sessionOf: (contact: Contact) => OpenSession | undefined,
  ): Promise<void>;
  /**
   * A `key-rotation` record from the contact's session: the new keys pinned if their pinned ML-DSA
   * key signed them (then the session of the old keys ends; the next one uses the new keys).
   */
  receivedRotation(
    contactId: string,
    rotation: KeyRotation,
    closeOldSession: () => Promise<void>,
  ): Promise<void>;
}

export function createRotationOps(ops: ContactOps): RotationOps {
  return {
    async announceOwnRotation(identity, sessionOf) {
      const rotation = identity.rotations.at(-1);
      for (const contact of await ops.contacts()) {
        await ops.serial(contact.id, async () => {
          const open = sessionOf(contact);
          if (open?.live.open() && rotation && open.trusted) {
            try {
              await open.live.send({ kind: 'key-rotation', rotation });
            } catch {
              // The session ended under us: the next handshake announces the rotation anyway.
            }
          }
          await ops.log(contact.id, 'key-rotated', OWN_ROTATION_DETAIL);
          await open?.live.connected.session.close('keys replaced');
        });
      }
    },

    async receivedRotation(contactId, rotation, closeOldSession) {
      const contact: Contact = await ops.mustGet(contactId);
      if (
        constantTimeEqual(contact.identityKey, rotation.next.identityKey) &&
        contact.signingKey !== undefined &&
        constantTimeEqual(contact.signingKey, rotation.next.signingKey)
      ) {
        return; // already taken (the handshake announced it first)
      }
      const valid =
        contact.signingKey !== undefined &&
        constantTimeEqual(contact.identityKey, rotation.old.identityKey) &&
        (await verifyKeyRotation(rotation, contact.signingKey));
      if (!valid) {
        await ops.log(contactId, 'rotation-refused', ROTATION_REFUSED_DETAIL);
        return;
      }
      const me = ops.identity.keyPair;
      const pair =
        contact.rendezvous && (await needsRotation(contact.rendezvous, me, rotation.next.identityKey))
          ? await rotateRendezvous(contact.rendezvous, me, rotation.next.identityKey)
          : contact.rendezvous;
      await ops.put({
        ...contact,
        identityKey: rotation.next.identityKey.slice(),
        signingKey: rotation.next.signingKey.slice(),
        userId: deriveUserId(rotation.next.identityKey, rotation.next.signingKey),
        ...(pair ? { rendezvous: pair } : {}),
      });
      await ops.log(contactId, 'key-rotated', ROTATED_DETAIL);
      await closeOldSession();
    },
  };
}
