/**
 * What the messenger lends the contact use cases kept in modules of their own (names,
 * verification): its per-contact order, checked reads and writes, and the security log.
 */
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';
import type { SecurityEventKind } from '../store/security-event-types';
import { AppError } from './errors';

export interface ContactOps {
  /** Runs `task` after every earlier task of this contact (read-modify-write never interleaves). */
  serial<T>(contactId: string, task: () => Promise<T>): Promise<T>;
  /** The contact, or AppError('UNKNOWN_CONTACT'). */
  mustGet(contactId: string): Promise<Contact>;
  /** Stores the contact and tells the UI; AppError('CONFLICT') for a key another contact pins. */
  put(contact: Contact): Promise<void>;
  log(contactId: string, kind: SecurityEventKind, detail: string): Promise<void>;
  /** Every contact. */
  contacts(): Promise<Contact[]>;
  readonly identity: StoredIdentity;
}

/** Runs `task` on the contact in its order, refused while a key change waits for a decision. */
export async function withDecidedKey(
  ops: Pick<ContactOps, 'serial' | 'mustGet'>,
  contactId: string,
  task: (c: Contact) => Promise<void>,
): Promise<void> {
  await ops.serial(contactId, async () => {
    const contact = await ops.mustGet(contactId);
    if (contact.pendingKey) {
      throw new AppError('KEY_CHANGE_PENDING', 'Accept or refuse the new identity key first.');
    }
    await task(contact);
  });
}
