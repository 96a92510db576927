/**
 * Test fixtures for the stores' tests and their users' (store-contract.test.ts,
 * conversation-store.test.ts, src/app/conversation-list.test.ts): a canonical identity key, a
 * contact and a message as the app stores them, each with fields to override.
 */
import { randomBytes } from '../crypto/random';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { deriveUserId } from '../protocol/user-id';
import type { Contact } from './contact-types';
import type { StoredMessage } from './message-types';
import { newContactId } from './records';

/** A random canonical X25519 public key (bit 255 clear; u ≥ p has probability 2^-250). */
export function canonicalKey(): Uint8Array {
  const key = randomBytes(32);
  key[31]! &= 0x7f;
  return key;
}

/** A contact as the app stores it: its user id derived from its key (unless overridden). */
export function contact(overrides: Partial<Contact> = {}): Contact {
  const identityKey = overrides.identityKey ?? canonicalKey();
  return {
    id: newContactId(),
    identityKey,
    userId: isCanonicalX25519PublicKey(identityKey) ? deriveUserId(identityKey) : randomBytes(16),
    announcedName: 'Bob',
    verified: false,
    firstSeen: 1000,
    lastSeen: 2000,
    ...overrides,
  };
}

/** An outgoing queued message 'hello' to `contactId`, with a fresh id. */
export function message(contactId: string, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    contactId,
    messageId: randomBytes(16),
    direction: 'out',
    body: 'hello',
    sentAt: 5000,
    state: 'queued',
    ...overrides,
  };
}
