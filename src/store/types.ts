/**
 * The store's shapes and interfaces under their old address, for the UI's importers
 * (src/ui/); code elsewhere imports the module that holds what it needs: identity-types.ts,
 * contact-types.ts, message-types.ts, security-event-types.ts, ratchet-types.ts, stores.ts and
 * store-error.ts.
 */
export type { IdentityCreate, IdentityLoad, IdentityStore, StoredIdentity } from './identity-types';
export { MAX_KEPT_ROTATIONS } from './identity-types';
export type {
  Contact,
  ContactMailboxes,
  ContactStore,
  KeyEvidence,
  OwnMailbox,
  PendingKey,
} from './contact-types';
export { MAX_OWN_MAILBOXES, MAX_REFUSED_KEYS } from './contact-types';
export type {
  ConversationFacts,
  ConversationStore,
  HistoryCursor,
  HistoryPage,
  HistoryPageRequest,
  MessageDirection,
  MessageRoute,
  MessageState,
  MessageStore,
  MessageUpdate,
  StoredMessage,
} from './message-types';
export { MAX_HISTORY_PAGE, MAX_UNREAD } from './message-types';
export type { SecurityEvent, SecurityEventKind, SecurityEventStore } from './security-event-types';
export type { RatchetCommit, RatchetCommitResult, RatchetStore, StoredRatchet } from './ratchet-types';
export type { Stores } from './stores';
export { StoreError, type StoreErrorCode } from './store-error';
