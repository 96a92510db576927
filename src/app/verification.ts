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
import type { Contact, StoredIdentity } from '../store/types';

import type { SafetyNumberView, ScanResult, ScanSource } from './verification-state';

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
