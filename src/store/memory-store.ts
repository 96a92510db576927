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
  type RatchetRecord,
  advancedMessage,
  byLastSeen,
  bySentAt,
  checkRatchetCommit,
  contactRecord,
  copyContact,
  copyMessage,
  eventRecord,
  holdsKeysOf,
  identityMoved,
  loadIdentity,
  messageRecord,
  newIdentity,
  noIdentityToRotate,
  renamedRecord,
  rotatedIdentity,
  setAsideId,
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
  type RatchetCommit,
  type RatchetCommitResult,
  type RatchetStore,
  type SecurityEvent,
  type SecurityEventStore,
  type StoredIdentity,
  type StoredMessage,
  type StoredRatchet,
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
  /** Keyed by contact id. */
  readonly ratchets = new Map<string, RatchetRecord>();
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
    ratchets: new MemoryRatchetStore(backend),
    close: () => {},
    destroy: async () => {
      await Promise.resolve();
      backend.identity.clear();
      backend.contacts.clear();
      backend.messages.clear();
      backend.events.length = 0;
      backend.ratchets.clear();
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
    this.replace(record);
    return identity;
  }

  async rotateKeys(): Promise<StoredIdentity> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') throw noIdentityToRotate(loaded);
    const old = loaded.identity;
    const { identity, record } = await rotatedIdentity(old, this.now());
    if (!this.replace(record, (raw) => holdsKeysOf(raw, old))) throw identityMoved();
    return identity;
  }

  /** The stored record is kept aside and `record` takes its place (see IdbIdentityStore). */
  private replace(record: IdentityRecord, isCurrent?: (raw: unknown) => boolean): boolean {
    const identities = this.backend.identity;
    const raw = structuredClone(identities.get(IDENTITY_KEY));
    if (isCurrent && !isCurrent(raw)) return false;
    if (raw !== undefined && raw !== null) {
      const now = this.now();
      let n = 0;
      while (identities.has(setAsideId(now, n))) n++;
      const id = setAsideId(now, n);
      identities.set(id, structuredClone(setAsideRecord(raw, id, now)));
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

export class MemoryRatchetStore implements RatchetStore {
  constructor(private readonly backend: MemoryBackend) {}

  async load(contactId: string): Promise<StoredRatchet> {
    await Promise.resolve();
    const r = this.backend.ratchets.get(contactId);
    return r
      ? { generation: r.generation, state: structuredClone(r.state) }
      : { generation: 0, state: undefined };
  }

  async commit(c: RatchetCommit): Promise<RatchetCommitResult> {
    await Promise.resolve();
    const checked = checkRatchetCommit(c);
    const { contactId } = checked;
    const { ratchets, messages } = this.backend;
    // Synchronous from here on, so no other call runs in between (as in one IndexedDB transaction);
    // every write is logged, and undone if a later one fails.
    if ((ratchets.get(contactId)?.generation ?? 0) !== checked.expectedGeneration)
      return { kind: 'conflict' };
    const undo: (() => void)[] = [];
    const write = <V>(map: Map<string, V>, key: string, value: V): void => {
      const had = map.has(key);
      const before = map.get(key);
      map.set(key, structuredClone(value));
      undo.push(() => (had ? map.set(key, before as V) : map.delete(key)));
    };
    try {
      const generation = checked.expectedGeneration + 1;
      write(ratchets, contactId, { contactId, generation, state: checked.state });
      let added: 'added' | 'duplicate' | undefined;
      if (checked.message) {
        const key = `${contactId} ${checked.message.messageIdHex}`;
        added = messages.has(key) ? 'duplicate' : 'added';
        if (added === 'added') write(messages, key, checked.message);
      }
      const updated = new Map<string, Uint8Array>();
      for (const move of checked.moves) {
        const key = `${contactId} ${move.messageIdHex}`;
        const record = messages.get(key);
        const next = record && advancedMessage(record, move.state, undefined);
        if (!next) continue;
        write(messages, key, next);
        if (!updated.has(move.messageIdHex)) updated.set(move.messageIdHex, move.messageId);
      }
      return { kind: 'committed', generation, ...(added ? { added } : {}), updated: [...updated.values()] };
    } catch (cause) {
      for (const u of undo.reverse()) u();
      throw new StoreError(
        'UNAVAILABLE',
        'The conversation could not be saved in this browser’s storage; nothing of it was changed.',
        { cause },
      );
    }
  }

  async remove(contactId: string): Promise<void> {
    await Promise.resolve();
    this.backend.ratchets.delete(contactId);
  }
}
