/**
 * The conversation ratchet as a use case (DESIGN.md, Conversation ratchet; docs/ratchet.md): one
 * Double Ratchet per contact, kept in the store, through which every application record passes
 * on every route.
 *
 * - After a handshake, `start` continues the stored ratchet when both sides announced its id, and
 *   otherwise starts a new one from that session (both sides apply the same rule, so they agree).
 * - `seal` encrypts a record and commits the advanced state (with the `sent` marks it brings)
 *   before the bytes leave: a message key is never used twice, even across a crash.
 * - `open` decrypts on a copy of the state; nothing is stored until the caller commits, with the
 *   message and the delivered marks it calls for, in one transaction, and only AES-GCM-verified
 *   messages get that far. A refused message changes nothing.
 * - The state is read once and cached; a commit that finds another generation stored (another tab
 *   wrote) is refused by the store, and the cache is dropped so the next operation reads again.
 */
import { constantTimeEqual, isAllZero } from '../crypto/bytes';
import { ProtocolError } from '../protocol/errors';
import {
  type RatchetCrypto,
  type RatchetState,
  initRatchet,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetStats,
  readRatchetState,
} from '../protocol/ratchet';
import { type AppRecord, decodeRecord, encodeRecord } from '../protocol/records';
import type { RatchetStart } from '../protocol/session';
import type { MessageChange } from '../store/message-changes';
import type { MessageRoute, StoredMessage } from '../store/message-types';
import type { RatchetCommitResult } from '../store/ratchet-types';
import type { Stores } from '../store/stores';

export interface ConversationDeps {
  readonly stores: Stores;
  readonly now: () => number;
  /** For tests: the ratchet's DH and KEM. */
  readonly crypto?: RatchetCrypto;
}

/** How `start` found the contact's ratchet. */
export type RatchetStartOutcome =
  /** Both sides hold the same ratchet: it goes on. */
  | 'continued'
  /** There was none: one starts from this session. */
  | 'started'
  /** One was stored but the other side did not announce it: a new one replaces it. */
  | 'restarted';

/** What a received record changes, committed with the ratchet state in one transaction. */
export interface ReceiveEffects {
  readonly addMessage?: StoredMessage;
  readonly delivered?: readonly Uint8Array[];
  /** The peer's changes to messages (reactions, edits, deletes, receipts). */
  readonly changes?: readonly MessageChange[];
}

export interface Opened {
  readonly record: AppRecord;
  /** Commits the state this message advanced to, with `effects`, in one transaction. */
  commit(effects: ReceiveEffects): Promise<RatchetCommitResult & { kind: 'committed' }>;
}

/**
 * Several messages of one contact opened one after the other (a mailbox read at once), each on the
 * state the ones before it left, and committed together: one transaction for all of them.
 */
export interface OpenBatch {
  /**
   * Decrypts and decodes the next message; throws a ProtocolError (code and sentence) if refused,
   * and a refused message leaves the batch's state as it was.
   */
  open(message: Uint8Array): Promise<AppRecord>;
  /** What a message opened in this batch changes, committed with the batch. */
  add(effects: ReceiveEffects): void;
  /**
   * Commits the state after every message opened so far, with every effect added and `last`, in
   * one transaction; the batch goes on from the committed state. undefined (nothing written) when
   * nothing was opened since the last commit.
   */
  commit(last?: ReceiveEffects): Promise<BatchCommitted | undefined>;
  /**
   * The last message opened, as `open` gives it, for a use case that commits one message itself:
   * its commit commits the batch so far.
   */
  last(record: AppRecord): Opened;
}

export type BatchCommitted = RatchetCommitResult & {
  readonly kind: 'committed';
  /** How many of the messages added were new (not stored before). */
  readonly newMessages: number;
  /** How many of the changes added applied, and those refused (not the sender's to make). */
  readonly appliedChanges: number;
  readonly refused: readonly MessageChange[];
};

export type RatchetView = ReturnType<typeof ratchetStats>;

export interface Conversations {
  start(
    contactId: string,
    start: RatchetStart,
    localIdentityKey: Uint8Array,
    remoteIdentityKey: Uint8Array,
  ): Promise<RatchetStartOutcome>;
  /** The contact's ratchet id, to announce in a handshake; undefined when none is stored. */
  id(contactId: string): Promise<Uint8Array | undefined>;
  /**
   * Encrypts `record` for the contact; the new state is committed (with `sent`, marked with the
   * route they take) before it returns.
   */
  seal(
    contactId: string,
    record: AppRecord,
    sent?: readonly Uint8Array[],
    sentRoute?: MessageRoute,
  ): Promise<Uint8Array>;
  /** Decrypts and decodes one ratchet message; throws a ProtocolError (code and sentence) if refused. */
  open(contactId: string, message: Uint8Array): Promise<Opened>;
  /** Opens several messages of the contact in a row, to commit them in one transaction. */
  openBatch(contactId: string): Promise<OpenBatch>;
  /** What the inspector shows; undefined before a ratchet exists or is read. */
  view(contactId: string): RatchetView | undefined;
  /** Forgets the contact's cached state (after a commit by someone else). */
  forget(contactId: string): void;
}

interface Cached {
  generation: number;
  state: RatchetState | undefined;
}

export class RatchetConflictError extends Error {
  override readonly name = 'RatchetConflictError';
  constructor() {
    super(
      'Another tab of this app changed this conversation’s keys at the same moment; nothing was changed here.',
    );
  }
}

export function createConversations(deps: ConversationDeps): Conversations {
  const { stores, now } = deps;
  const cache = new Map<string, Cached>();
  const options = (): { now: number; crypto?: RatchetCrypto } =>
    deps.crypto ? { now: now(), crypto: deps.crypto } : { now: now() };

  const load = async (contactId: string): Promise<Cached> => {
    const cached = cache.get(contactId);
    if (cached) return cached;
    const stored = await stores.ratchets.load(contactId);
    let state: RatchetState | undefined;
    if (stored.state !== undefined) {
      try {
        state = readRatchetState(stored.state);
      } catch {
        state = undefined; // damaged: the next session starts a new one (both sides then agree)
      }
    }
    const entry = { generation: stored.generation, state };
    cache.set(contactId, entry);
    return entry;
  };

  const mustHave = async (contactId: string): Promise<Cached & { state: RatchetState }> => {
    const entry = await load(contactId);
    if (!entry.state) {
      throw new ProtocolError(
        'BAD_RATCHET_STATE',
        'There are no message keys for this contact yet; they start with the next connection.',
      );
    }
    return { generation: entry.generation, state: entry.state };
  };

  const committed = <T extends RatchetCommitResult>(
    contactId: string,
    result: T,
    state: RatchetState,
  ): T & { kind: 'committed' } => {
    if (result.kind !== 'committed') {
      cache.delete(contactId);
      throw new RatchetConflictError();
    }
    cache.set(contactId, { generation: result.generation, state });
    return result as T & { kind: 'committed' };
  };

  return {
    async start(contactId, start, localIdentityKey, remoteIdentityKey) {
      const entry = await load(contactId);
      const held = entry.state && ratchetStats(entry.state).ratchetId;
      if (
        held &&
        !isAllZero(start.ourId) &&
        constantTimeEqual(start.ourId, start.theirs.id) &&
        constantTimeEqual(held, start.ourId)
      ) {
        return 'continued';
      }
      const state = await initRatchet({
        initiator: start.initiator,
        rootKey: start.rootKey,
        ratchetId: start.ratchetId,
        ours: start.ours,
        theirs: { dhPublicKey: start.theirs.dhPublicKey, kemPublicKey: start.theirs.kemPublicKey },
        localIdentityKey,
        remoteIdentityKey,
        ...options(),
      });
      const result = await stores.ratchets.commit({
        contactId,
        expectedGeneration: entry.generation,
        state,
      });
      committed(contactId, result, state);
      return entry.state ? 'restarted' : 'started';
    },

    async id(contactId) {
      const entry = await load(contactId);
      return entry.state && ratchetStats(entry.state).ratchetId.slice();
    },

    async seal(contactId, record, sent, sentRoute) {
      const entry = await mustHave(contactId);
      const { state, message } = await ratchetEncrypt(entry.state, encodeRecord(record), options());
      const result = await stores.ratchets.commit({
        contactId,
        expectedGeneration: entry.generation,
        state,
        ...(sent && sent.length > 0 ? { sent, ...(sentRoute ? { sentRoute } : {}) } : {}),
      });
      committed(contactId, result, state);
      return message;
    },

    async open(contactId, message) {
      const entry = await mustHave(contactId);
      const { state, plaintext } = await ratchetDecrypt(entry.state, message, options());
      // A record that does not decode is refused like a message that does not decrypt: the
      // state it would have advanced to is never committed.
      const record = decodeRecord(plaintext);
      return {
        record,
        async commit(effects) {
          const result = await stores.ratchets.commit({
            contactId,
            expectedGeneration: entry.generation,
            state,
            ...(effects.addMessage ? { addMessage: effects.addMessage } : {}),
            ...(effects.delivered && effects.delivered.length > 0 ? { delivered: effects.delivered } : {}),
            ...(effects.changes && effects.changes.length > 0 ? { changes: effects.changes } : {}),
          });
          return committed(contactId, result, state);
        },
      };
    },

    async openBatch(contactId) {
      let base = await mustHave(contactId);
      let state = base.state;
      let opened = 0;
      let messages: StoredMessage[] = [];
      let delivered: Uint8Array[] = [];
      let changes: MessageChange[] = [];
      const collect = (e: ReceiveEffects): void => {
        if (e.addMessage) messages.push(e.addMessage);
        if (e.delivered) delivered.push(...e.delivered);
        if (e.changes) changes.push(...e.changes);
      };
      const commit = async (last?: ReceiveEffects): Promise<BatchCommitted | undefined> => {
        if (last) collect(last);
        if (opened === 0) return undefined;
        const result = committed(
          contactId,
          await stores.ratchets.commit({
            contactId,
            expectedGeneration: base.generation,
            state,
            ...(messages.length > 0 ? { addMessages: messages } : {}),
            ...(delivered.length > 0 ? { delivered } : {}),
            ...(changes.length > 0 ? { changes } : {}),
          }),
          state,
        );
        const outcomes = result.changed ?? [];
        const refused = changes.filter((_, i) => outcomes[i] === 'refused');
        base = { generation: result.generation, state };
        opened = 0;
        messages = [];
        delivered = [];
        changes = [];
        return {
          ...result,
          newMessages: (result.addedEach ?? []).filter((a) => a === 'added').length,
          appliedChanges: outcomes.filter((o) => o === 'applied').length,
          refused,
        };
      };
      return {
        async open(message) {
          const next = await ratchetDecrypt(state, message, options());
          const record = decodeRecord(next.plaintext); // as in `open`: undecodable is refused
          state = next.state;
          opened++;
          return record;
        },
        add: collect,
        commit,
        last(record) {
          return {
            record,
            async commit(effects) {
              const result = await commit(effects);
              if (!result) throw new Error('A batch commits its last message once.');
              return result;
            },
          };
        },
      };
    },

    view(contactId) {
      const state = cache.get(contactId)?.state;
      return state && ratchetStats(state);
    },

    forget(contactId) {
      cache.delete(contactId);
    },
  };
}
