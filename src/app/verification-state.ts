/**
 * What verification keeps between a scan and the user's answer, and its shapes; loaded with the
 * page (verification.ts, which brings the safety-number code, loads on the first scan).
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { Contact } from '../store/contact-types';

/** How long a matched picture may be confirmed as received in person. */
export const PHOTO_CONFIRM_MS = 10 * 60_000;

export type ScanSource = 'camera' | 'photo';
export type ScanResult = 'verified' | 'matched-photo' | 'mismatch';

export interface SafetyNumberView {
  /** 60 digits. */
  digits: string;
  /** Our 74-byte CombinedFingerprints code (Signal-compatible), to show as a QR code. */
  scannable: Uint8Array;
}

/** Matched pictures waiting for "I got it in person", per contact, for PHOTO_CONFIRM_MS. */
export function createPhotoMatches(now: () => number) {
  const matched = new Map<string, { at: number; key: Uint8Array }>();
  return {
    add(contact: Contact): void {
      matched.set(contact.id, { at: now(), key: contact.identityKey });
    },
    /** True (and forgotten) when this contact's key matched a picture within the time. */
    take(contact: Contact): boolean {
      const m = matched.get(contact.id);
      matched.delete(contact.id);
      if (!m || now() - m.at > PHOTO_CONFIRM_MS) return false;
      return constantTimeEqual(m.key, contact.identityKey);
    },
    has(contactId: string): boolean {
      const m = matched.get(contactId);
      return m !== undefined && now() - m.at <= PHOTO_CONFIRM_MS;
    },
  };
}
