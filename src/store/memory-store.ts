/**
 * In-memory stores for tests. Records are kept as structured clones, like IndexedDB keeps them, in
 * a `MemoryBackend` that outlives the stores opened over it: open it again to simulate a reload.
 */
import { toHex } from '../crypto/bytes';
import {
  type ContactRecord,
  IDENTITY_KEY,
  type IdentityRecord,
  type MessageRecord,
  advancedMessage,
  byLastSeen,
  bySentAt,
  contactRecord,
  copyContact,
  copyMessage,
  eventRecord,
  identityRecord,
  messageRecord,
  newIdentity,
  readIdentity,
  renamedRecord,
  setAsideRecord,
} from './records';
import {
  type Contact,
  type ContactStore,
  type IdentityCreate,
  type IdentityLoad,
  type IdentityStore,
  type MessageState,
  type MessageStore,
  type MessageUpdate,
  type SecurityEvent,
  type SecurityEventStore,
  type StoredIdentity,
  type StoredMessage,
  StoreError,
  type Stores,
} from './types';

/** What a memory store keeps; tests may read and write `identity` raw to simulate damage. */
export class MemoryBackend {
  /** 'self', and the records resets kept aside (SET_ASIDE_PREFIX + time). */
  identity = new Map<string, unknown>();
  readonly contacts = new Map<string, ContactRecord>();
  /** Keyed by `${contactId} ${messageIdHex}`. */
  readonly messages = new Map<string, MessageRecord>();
  readonly events: SecurityEvent[] = [];
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
    close: () => {},
    destroy: async () => {
      await Promise.resolve();
      backend.identity.clear();
      backend.contacts.clear();
      backend.messages.clear();
      backend.events.length = 0;
    },
  };
}

export class MemoryIdentityStore implements IdentityStore {
  constructor(
    private readonly backend: MemoryBackend,
    private readonly now: () => number,
  ) {}

  async load(): Promise<IdentityLoad> {
    return readIdentity(structuredClone(this.backend.identity.get(IDENTITY_KEY)));
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
    const aside = setAsideRecord(structuredClone(this.backend.identity.get(IDENTITY_KEY)), this.now());
    if (aside !== undefined) {
      this.backend.identity.set((aside as { id: string }).id, structuredClone(aside));
    }
    this.write(record);
    return identity;
  }

  async rename(displayName: string): Promise<'renamed' | 'none'> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') return 'none';
    this.write(renamedRecord(identityRecord(loaded.identity), displayName));
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
  ): Promise<MessageUpdate> {
    await Promise.resolve();
    const key = `${contactId} ${toHex(messageId)}`;
    const record = this.backend.messages.get(key);
    if (!record) return 'missing';
    const next = advancedMessage(record, state, receivedAt);
    if (!next) return 'unchanged';
    this.backend.messages.set(key, structuredClone(next));
    return 'updated';
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
