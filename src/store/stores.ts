/**
 * What the app keeps between visits: its own identity, its contacts (each pinned to an identity
 * key), the message history, the security log and the conversation ratchet per contact. `Stores`
 * is one open store, its parts over the same storage; each part's shapes and interface are in their
 * own module (identity-types.ts, contact-types.ts, message-types.ts, security-event-types.ts,
 * ratchet-types.ts). Storage is an interface with an in-memory implementation for tests
 * (`memory-store.ts`) and the IndexedDB one for the app (`idb-store.ts`); both pass the same
 * contract suite (`store-contract.test.ts`).
 *
 * Expected outcomes (no identity yet, an identity that cannot be read back, a duplicate message, a
 * ratchet another tab moved on) are returned as data; `StoreError` (store-error.ts) is thrown only
 * when storage itself fails or a caller breaks a rule (two contacts with one identity key).
 */
import type { ContactStore } from './contact-types';
import type { IdentityStore } from './identity-types';
import type { ConversationStore, MessageStore } from './message-types';
import type { RatchetStore } from './ratchet-types';
import type { SecurityEventStore } from './security-event-types';
import type { UsernameStore } from './username-types';

/** One open store: the parts over the same storage. */
export interface Stores {
  readonly identity: IdentityStore;
  readonly contacts: ContactStore;
  readonly messages: MessageStore;
  readonly events: SecurityEventStore;
  readonly ratchets: RatchetStore;
  readonly conversations: ConversationStore;
  /** The username this device claimed, if any (username-types.ts). */
  readonly usernames: UsernameStore;
  close(): void;
  /** Deletes everything stored (identity, contacts, history, events, ratchets) and closes the store. */
  destroy(): Promise<void>;
}
