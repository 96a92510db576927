/**
 * In-memory stores for tests. Records are kept as structured clones, like IndexedDB keeps them, in
 * a `MemoryBackend` that outlives the stores opened over it: open it again to simulate a reload.
 * The ratchet store (memory-ratchet-store.ts) loads on first use, as the IndexedDB one does.
 */
import { toHex } from '../crypto/bytes';
import { IDENTITY_KEY, type IdentityRecord, renamedRecord } from './identity-records';
import type { ConversationStateRecord } from './conversation-records';
import { lazyRatchetStore } from './lazy-ratchet-store';
import type { MessageChange, QueuedRecord, QueuedRecordRow } from './message-changes';
import { memoryMessageFeatures } from './memory-message-features';
import { MemoryConversationStore } from './memory-conversation-store';
import { loadIdentity } from './load-identity';
import {
  holdsKeysOf,
  identityMoved,
  newIdentity,
  noIdentityToRotate,
  rotatedIdentity,
  setAsideId,
  setAsideRecord,
} from './new-identity';
import type { RatchetRecord } from './ratchet-records';
import { advancedMessage, contactRecord, eventRecord, messageRecord } from './record-checks';
import {
  type ContactRecord,
  type MessageRecord,
  byLastSeen,
  bySentAt,
  copyContact,
  copyMessage,
} from './records';
import type { Contact, ContactStore } from './contact-types';
import type { IdentityCreate, IdentityLoad, IdentityStore, StoredIdentity } from './identity-types';
import type { MessageRoute, MessageState, MessageStore, MessageUpdate, StoredMessage } from './message-types';
import { type StoredFile, copyFile } from './file-types';
import type { SecurityEvent, SecurityEventStore } from './security-event-types';
import { StoreError } from './store-error';
import type { Stores } from './stores';
import { MemoryUsernameStore, type UsernameClaim } from './username-types';

/** What a memory store keeps; tests may read and write `identity` raw to simulate damage. */
export class MemoryBackend {
  /** 'self', and the records resets kept aside (SET_ASIDE_PREFIX + time). */
  identity = new Map<string, unknown>();
  readonly contacts = new Map<string, ContactRecord>();
  /** Keyed by `${contactId} ${messageIdHex}`. */
  readonly messages = new Map<string, MessageRecord>();
  readonly events: SecurityEvent[] = [];
  /** Keyed by contact id. */
  readonly ratchets = new Map<string, RatchetRecord>();
  /** Records queued for the peer (message-changes.ts), keyed by `${contactId} ${idHex}`. */
  readonly outbox = new Map<string, QueuedRecordRow>();
  /** Read positions and archived marks, keyed by contact id. */
  readonly conversations = new Map<string, ConversationStateRecord>();
  /** The username claim (username-types.ts). */
  username: UsernameClaim | undefined;
}

export interface MemoryStoreOptions {
  backend?: MemoryBackend;
  now?: () => number;
}

export function openMemoryStore(options: MemoryStoreOptions = {}): Stores {
  const backend = options.backend ?? new MemoryBackend();
  const now = options.now ?? Date.now;
  return {
    identity: new MemoryIdentityStore(backend, now),
    contacts: new MemoryContactStore(backend),
    messages: new MemoryMessageStore(backend),
    events: new MemoryEventStore(backend),
    ratchets: lazyRatchetStore(
      async () => new (await import('./memory-ratchet-store')).MemoryRatchetStore(backend),
    ),
    conversations: new MemoryConversationStore(backend),
    usernames: new MemoryUsernameStore(backend),
    close: () => {},
    destroy: async () => {
      await Promise.resolve();
      backend.identity.clear();
      backend.contacts.clear();
      backend.messages.clear();
      backend.events.length = 0;
      backend.ratchets.clear();
      backend.outbox.clear();
      backend.conversations.clear();
      backend.username = undefined;
    },
  };
}

export class MemoryIdentityStore implements IdentityStore {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly now: () => number,
  ) {}

  async load(): Promise<IdentityLoad> {
    const identities = this.backend.identity;
    return loadIdentity({
      read: async () => {
        await Promise.resolve();
        return structuredClone(identities.get(IDENTITY_KEY));
      },
      // Synchronous from the check to the write: nothing else runs in between, as in a transaction.
      addFields: async (isSame, fields) => {
        await Promise.resolve();
        const raw = structuredClone(identities.get(IDENTITY_KEY));
        if (!isSame(raw)) return false;
        identities.set(IDENTITY_KEY, structuredClone({ ...(raw as IdentityRecord), ...fields }));
        return true;
      },
    });
  }

  async create(displayName: string): Promise<IdentityCreate> {
    if (this.backend.identity.has(IDENTITY_KEY)) return { kind: 'exists' };
    const { identity, record } = await newIdentity(displayName, this.now());
    // Checked again after the await: another caller may have created one meanwhile.
    if (this.backend.identity.has(IDENTITY_KEY)) return { kind: 'exists' };
    this.write(record);
    return { kind: 'created', identity };
  }

  async resetIdentity(displayName: string): Promise<StoredIdentity> {
    const { identity, record } = await newIdentity(displayName, this.now());
    this.replace(record, 'reset');
    return identity;
  }

  async rotateKeys(): Promise<StoredIdentity> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') throw noIdentityToRotate(loaded);
    const old = loaded.identity;
    const { identity, record } = await rotatedIdentity(old, this.now());
    if (!this.replace(record, 'rotation', (raw) => holdsKeysOf(raw, old))) throw identityMoved();
    return identity;
  }

  /** The stored record is kept aside and `record` takes its place (see IdbIdentityStore). */
  private replace(
    record: IdentityRecord,
    after: 'reset' | 'rotation',
    isCurrent?: (raw: unknown) => boolean,
  ): boolean {
    const identities = this.backend.identity;
    const raw = structuredClone(identities.get(IDENTITY_KEY));
    if (isCurrent && !isCurrent(raw)) return false;
    if (raw !== undefined && raw !== null) {
      const now = this.now();
      let n = 0;
      while (identities.has(setAsideId(now, n))) n++;
      const id = setAsideId(now, n);
      identities.set(id, structuredClone(setAsideRecord(raw, id, now, after)));
    }
    this.write(record);
    return true;
  }

  async rename(displayName: string): Promise<'renamed' | 'none'> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') return 'none';
    const raw = structuredClone(this.backend.identity.get(IDENTITY_KEY));
    if (typeof raw !== 'object' || raw === null) return 'none';
    this.write(renamedRecord(raw as IdentityRecord, displayName));
    return 'renamed';
  }

  private write(record: IdentityRecord): void {
    this.backend.identity.set(IDENTITY_KEY, structuredClone(record));
  }
}

export class MemoryContactStore implements ContactStore {
  constructor(private readonly backend: MemoryBackend) {}

  async get(id: string): Promise<Contact | undefined> {
    await Promise.resolve();
    const r = this.backend.contacts.get(id);
    return r && copyContact(r);
  }

  async put(contact: Contact): Promise<void> {
    await Promise.resolve();
    const record = contactRecord(contact);
    for (const other of this.backend.contacts.values()) {
      if (other.identityKeyHex === record.identityKeyHex && other.id !== record.id) {
        throw new StoreError('CONFLICT', 'Another contact already has this identity key.');
      }
    }
    this.backend.contacts.set(record.id, structuredClone(record));
  }

  async list(): Promise<Contact[]> {
    await Promise.resolve();
    return [...this.backend.contacts.values()].map(copyContact).sort(byLastSeen);
  }

  async byKey(identityKey: Uint8Array): Promise<Contact | undefined> {
    await Promise.resolve();
    const hex = toHex(identityKey);
    for (const r of this.backend.contacts.values()) if (r.identityKeyHex === hex) return copyContact(r);
    return undefined;
  }
}

export class MemoryMessageStore implements MessageStore {
  constructor(private readonly backend: MemoryBackend) {}

  change = async (contactId: string, changes: readonly MessageChange[], queue?: QueuedRecord) =>
    memoryMessageFeatures(this.backend).change(contactId, changes, queue);
  queued = async (contactId: string) => memoryMessageFeatures(this.backend).queued(contactId);
  queuedSent = async (contactId: string, id: Uint8Array, route: MessageRoute) =>
    memoryMessageFeatures(this.backend).queuedSent(contactId, id, route);
  remove = async (contactId: string, messageId: Uint8Array) =>
    memoryMessageFeatures(this.backend).remove(contactId, messageId);

  async add(message: StoredMessage): Promise<'added' | 'duplicate'> {
    await Promise.resolve();
    const record = messageRecord(message);
    const key = `${record.contactId} ${record.messageIdHex}`;
    if (this.backend.messages.has(key)) return 'duplicate';
    this.backend.messages.set(key, structuredClone(record));
    return 'added';
  }

  async list(contactId: string): Promise<StoredMessage[]> {
    await Promise.resolve();
    return [...this.backend.messages.values()]
      .filter((m) => m.contactId === contactId)
      .sort(bySentAt)
      .map(copyMessage);
  }

  async updateState(
    contactId: string,
    messageId: Uint8Array,
    state: MessageState,
    receivedAt?: number,
    route?: MessageRoute,
  ): Promise<MessageUpdate> {
    await Promise.resolve();
    const key = `${contactId} ${toHex(messageId)}`;
    const record = this.backend.messages.get(key);
    if (!record) return 'missing';
    const next = advancedMessage(record, state, receivedAt, route);
    if (!next) return 'unchanged';
    this.backend.messages.set(key, structuredClone(next));
    return 'updated';
  }

  async get(contactId: string, messageId: Uint8Array): Promise<StoredMessage | undefined> {
    await Promise.resolve();
    const record = this.backend.messages.get(`${contactId} ${toHex(messageId)}`);
    return record && copyMessage(record);
  }

  async updateFile(
    contactId: string,
    messageId: Uint8Array,
    update: (file: StoredFile, message: StoredMessage) => StoredFile | undefined,
  ): Promise<StoredFile | undefined> {
    await Promise.resolve();
    const key = `${contactId} ${toHex(messageId)}`;
    const record = this.backend.messages.get(key);
    if (!record?.file) return undefined;
    const message = copyMessage(record);
    const file = update(message.file!, message);
    if (file) this.backend.messages.set(key, structuredClone(messageRecord({ ...message, file })));
    return file ? copyFile(file) : message.file;
  }

  async activeTransfers(contactId?: string): Promise<StoredMessage[]> {
    await Promise.resolve();
    return [...this.backend.messages.values()]
      .filter((m) => m.transferOf !== undefined && (contactId === undefined || m.transferOf === contactId))
      .sort(bySentAt)
      .map(copyMessage);
  }
}

export class MemoryEventStore implements SecurityEventStore {
  constructor(private readonly backend: MemoryBackend) {}

  async add(event: SecurityEvent): Promise<void> {
    await Promise.resolve();
    this.backend.events.push(structuredClone(eventRecord(event)));
  }

  async list(contactId: string): Promise<SecurityEvent[]> {
    await Promise.resolve();
    return this.backend.events
      .filter((e) => e.contactId === contactId)
      .sort((a, b) => a.at - b.at)
      .map((e) => structuredClone(e));
  }
}
