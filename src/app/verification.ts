/**
 * Verification (DESIGN.md, Identity and trust): verified means the user compared the safety number
 * in person or on a call, or scanned a code with the camera in person.
 *
 * - A safety-number code scanned with the camera that matches marks the contact verified.
 * - A code read from a picture file proves the code, not the channel it came through: a match is
 *   reported and logged as such, and marks the contact verified only if the user then confirms,
 *   within PHOTO_CONFIRM_MS, that they got the picture in person.
 * - The user's explicit "the numbers match" marks it verified.
 */
import {
  SCANNABLE_FINGERPRINT_VERSION,
  compareScannable,
  identityKeyBytes,
  safetyNumber,
  scannableFingerprint,
} from '../crypto/fingerprint';
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';

import { type ContactOps, withDecidedKey } from './contact-ops';
import { AppError } from './errors';
import {
  type SafetyNumberView,
  type ScanResult,
  type ScanSource,
  createPhotoMatches,
} from './verification-state';

export const SCAN_DETAIL = {
  camera: 'Verified: their safety-number code, scanned with the camera, matched yours.',
  photo:
    'The safety-number code read from a picture matched yours. A picture proves the code, not who sent it, so the contact is verified only once you confirm you got it in person.',
  mismatch:
    'The scanned safety-number code did not match. This is not the person you paired with, or someone sits in the middle.',
  confirmed: 'Verified: the safety-number picture matched, and you confirmed you got it in person.',
  compared: 'Verified: you confirmed that the safety numbers match.',
} as const;

export async function safetyNumberOf(identity: StoredIdentity, contact: Contact): Promise<SafetyNumberView> {
  const me = { id: identity.userId, key: identityKeyBytes(identity.keyPair.publicKey) };
  const them = { id: contact.userId, key: identityKeyBytes(contact.identityKey) };
  const digits = await safetyNumber(me, them);
  const scannable = await scannableFingerprint(SCANNABLE_FINGERPRINT_VERSION, me, them);
  return { digits, scannable };
}

/** Whether their scanned code matches ours, and what that makes of the scan. */
export async function judgeScan(
  identity: StoredIdentity,
  contact: Contact,
  scanned: Uint8Array,
  source: ScanSource,
): Promise<ScanResult> {
  const { scannable } = await safetyNumberOf(identity, contact);
  if (!compareScannable(scannable, scanned)) return 'mismatch';
  return source === 'camera' ? 'verified' : 'matched-photo';
}

/** The verification use cases over the messenger's contact operations. */
export function createVerificationOps(ops: ContactOps, now: () => number) {
  const photoMatches = createPhotoMatches(now);
  return {
    async safetyNumber(contactId: string): Promise<SafetyNumberView> {
      return safetyNumberOf(ops.identity, await ops.mustGet(contactId));
    },

    async verifyByScan(contactId: string, scanned: Uint8Array, source: ScanSource): Promise<ScanResult> {
      let result: ScanResult = 'mismatch';
      await withDecidedKey(ops, contactId, async (contact) => {
        result = await judgeScan(ops.identity, contact, scanned, source);
        if (result === 'verified') {
          await ops.put({ ...contact, verified: true });
          await ops.log(contactId, 'verified-by-scan', SCAN_DETAIL.camera);
        } else if (result === 'matched-photo') {
          photoMatches.add(contact);
          await ops.log(contactId, 'photo-matched', SCAN_DETAIL.photo);
        } else {
          await ops.log(contactId, 'verification-failed', SCAN_DETAIL.mismatch);
        }
      });
      return result;
    },

    async confirmPhotoInPerson(contactId: string): Promise<void> {
      await withDecidedKey(ops, contactId, async (contact) => {
        if (!photoMatches.take(contact)) {
          throw new AppError(
            'NOTHING_TO_CONFIRM',
            'There is no matching picture to confirm (it is confirmed within 10 minutes of reading it). Read the code again.',
          );
        }
        await ops.put({ ...contact, verified: true });
        await ops.log(contactId, 'verified-by-photo', SCAN_DETAIL.confirmed);
      });
    },

    async markVerified(contactId: string): Promise<void> {
      await withDecidedKey(ops, contactId, async (contact) => {
        await ops.put({ ...contact, verified: true });
        await ops.log(contactId, 'verified-by-comparison', SCAN_DETAIL.compared);
      });
    },

    async clearVerified(contactId: string): Promise<void> {
      await ops.serial(contactId, async () => {
        const contact = await ops.mustGet(contactId);
        if (!contact.verified) return;
        await ops.put({ ...contact, verified: false });
        await ops.log(contactId, 'verification-cleared', 'You removed the verified mark.');
      });
    },
  };
}
