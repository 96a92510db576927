/**
 * The conversation ratchet as the stores keep it: the stored state with its generation, a commit
 * (the new state and the messages, state moves and changes it protects, written in one
 * transaction), its result, and the ratchet store.
 */
import type { ChangeOutcome, MessageChange } from './message-changes';
import type { MessageRoute, StoredMessage } from './message-types';

/** A contact's stored ratchet. */
export interface StoredRatchet {
  /** How many commits made it; 0 when none is stored. */
  readonly generation: number;
  /** undefined: none stored */
  readonly state: unknown;
}

/** One step of a conversation: the new ratchet state and what it protects, written together. */
export interface RatchetCommit {
  readonly contactId: string;
  /**
   * The generation the caller read; the commit is refused as 'conflict' when the stored one moved
   * on (another tab wrote). 0 = none stored yet.
   */
  readonly expectedGeneration: number;
  /**
   * The new ratchet state: a structured-clone-safe plain object (src/protocol/ratchet.ts validates
   * it on load, not the store).
   */
  readonly state: unknown;
  /**
   * A received message to store in the same transaction; dropped as duplicate by id as
   * MessageStore.add does. Its `contactId` must be the commit's.
   */
  readonly addMessage?: StoredMessage;
  /**
   * Several received messages (a mailbox read at once), stored in the same transaction in order
   * (after `addMessage`), each dropped as duplicate by id like `addMessage` (also when an earlier one
   * of the list has its id). Each `contactId` must be the commit's.
   */
  readonly addMessages?: readonly StoredMessage[];
  /** Outgoing message ids the peer acknowledged: moved to 'delivered' in the same transaction. */
  readonly delivered?: readonly Uint8Array[];
  /** Outgoing message ids handed to the session: moved to 'sent' in the same transaction. */
  readonly sent?: readonly Uint8Array[];
  /** The route the `sent` ones took, stored with them. */
  readonly sentRoute?: MessageRoute;
  /** The peer's changes to messages (reactions, edits, deletes, receipts), applied in the same transaction. */
  readonly changes?: readonly MessageChange[];
}

export type RatchetCommitResult =
  | {
      readonly kind: 'committed';
      /** The stored generation now (expectedGeneration + 1). */
      readonly generation: number;
      /** Set when the commit carried `addMessage`. */
      readonly added?: 'added' | 'duplicate';
      /** Set when the commit carried `addMessages`: what became of each, in their order. */
      readonly addedEach?: readonly ('added' | 'duplicate')[];
      /** ids whose state actually moved */
      readonly updated: readonly Uint8Array[];
      /** Set when the commit carried `changes`: the outcome of each, in order. */
      readonly changed?: readonly ChangeOutcome[];
    }
  | { readonly kind: 'conflict' };

/**
 * The Double Ratchet state per contact (DESIGN.md, Conversation ratchet). A commit is one
 * transaction: the generation check, the new state, the received message and the state moves all
 * happen, or none of them does; so two tabs cannot fork a state, and a crash cannot keep a message
 * without the state that read it (or the reverse).
 */
export interface RatchetStore {
  /** `{ generation: 0, state: undefined }` when none is stored. */
  load(contactId: string): Promise<StoredRatchet>;
  /**
   * Throws `StoreError('BAD_ARGUMENT')` (nothing written) for a malformed commit: a message or id
   * the message store would refuse, a state that cannot be stored.
   */
  commit(c: RatchetCommit): Promise<RatchetCommitResult>;
  /** Forgets the contact's ratchet (a new one starts at the next session). */
  remove(contactId: string): Promise<void>;
}
