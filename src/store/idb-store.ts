/**
 * The app's stores in IndexedDB through `idb`, over the database of idb-schema.ts (which lists its
 * object stores and their records). Two parts load on first use, not with the page: the ratchet
 * store (idb-ratchet-store.ts, through lazy-ratchet-store.ts) and making or replacing the identity
 * (new-identity.ts).
 */
import { toHex } from '../crypto/bytes';
import { IdbConversationStore } from './idb-conversation-store';
import { type Db, openDatabase } from './idb-schema';
import { abortQuietly, errorName, observed } from './idb-tx';
import { IDENTITY_KEY, type IdentityRecord, renamedRecord } from './identity-records';
import { lazyRatchetStore } from './lazy-ratchet-store';
import { idbMessageFeatures } from './idb-message-features';
import type { MessageChange, QueuedRecord } from './message-changes';
import { loadIdentity } from './load-identity';
import {
  advancedMessage,
  byLastSeen,
  contactRecord,
  copyContact,
  copyMessage,
  eventRecord,
  messageRecord,
} from './records';
import {
  type Contact,
  type ContactStore,
  type IdentityCreate,
  type IdentityLoad,
  type IdentityStore,
  type MessageState,
  type MessageRoute,
  type MessageStore,
  type MessageUpdate,
  type SecurityEvent,
  type SecurityEventStore,
  type StoredIdentity,
  type StoredMessage,
  StoreError,
  type Stores,
} from './types';

type NewIdentityCode = typeof import('./new-identity');

/** Making keys and replacing the identity: loaded at first run, on a reset or a rotation. */
const newIdentityCode = async (): Promise<NewIdentityCode> => import('./new-identity');

/** The database's name, unless `IdbStoreOptions.name` gives another. */
export const DB_NAME = 'secmsg';

export interface IdbStoreOptions {
  /** The IndexedDB to use; the page's `indexedDB` by default. Tests pass a fake-indexeddb factory. */
  factory?: IDBFactory;
  name?: string;
  now?: () => number;
}

/** Opens the database (creating or upgrading its schema) and the stores over it. */
export async function openIdbStore(options: IdbStoreOptions = {}): Promise<Stores> {
  const factory = options.factory ?? globalThis.indexedDB;
  const name = options.name ?? DB_NAME;
  const db = await openDatabase(factory, name);
  const now = options.now ?? Date.now;
  return {
    identity: new IdbIdentityStore(db, now),
    contacts: new IdbContactStore(db),
    messages: new IdbMessageStore(db),
    events: new IdbEventStore(db),
    ratchets: lazyRatchetStore(async () => new (await import('./idb-ratchet-store')).IdbRatchetStore(db)),
    conversations: new IdbConversationStore(db),
    close: () => db.close(),
    destroy: async () => {
      db.close();
      await deleteDatabase(factory, name);
    },
  };
}

/** Deletes the whole database; resolves once it is gone (other tabs are asked to close it first). */
async function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () =>
      reject(
        new StoreError('UNAVAILABLE', 'The browser would not delete the saved data.', {
          cause: request.error,
        }),
      );
  });
}

function notStorable(cause: unknown): StoreError {
  // A value the browser cannot clone fails as DataCloneError; WebKit 2.50 clones an X25519
  // CryptoKey, fails to read its own copy back, and then reports that the key path ('id') "did not
  // yield a value": a DataError, though the record always has its id.
  const name = errorName(cause);
  if (name === 'DataCloneError' || name === 'DataError') {
    return new StoreError(
      'KEY_NOT_STORABLE',
      'This browser cannot save the identity key, so it would be lost when the page closes.',
      { cause },
    );
  }
  return new StoreError('UNAVAILABLE', 'The new identity could not be saved in this browser’s storage.', {
    cause,
  });
}

export class IdbIdentityStore implements IdentityStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  async load(): Promise<IdentityLoad> {
    return loadIdentity({
      read: async () => this.db.get('identity', IDENTITY_KEY),
      addFields: async (isSame, fields) => {
        const tx = observed(this.db.transaction('identity', 'readwrite'));
        const raw: unknown = await tx.store.get(IDENTITY_KEY);
        if (!isSame(raw)) {
          await tx.done;
          return false;
        }
        await tx.store.put({ ...(raw as IdentityRecord), ...fields });
        await tx.done;
        return true;
      },
    });
  }

  async create(displayName: string): Promise<IdentityCreate> {
    const { newIdentity } = await newIdentityCode();
    // Keys are made before the transaction: a transaction closes when it waits on anything else.
    const { identity, record } = await newIdentity(displayName, this.now());
    const tx = observed(this.db.transaction('identity', 'readwrite'));
    try {
      if ((await tx.store.getKey(IDENTITY_KEY)) !== undefined) {
        await tx.done;
        return { kind: 'exists' };
      }
      await tx.store.add(record);
      await tx.done;
    } catch (cause) {
      if (errorName(cause) === 'ConstraintError') return { kind: 'exists' };
      throw notStorable(cause);
    }
    return { kind: 'created', identity };
  }

  async resetIdentity(displayName: string): Promise<StoredIdentity> {
    const code = await newIdentityCode();
    const { identity, record } = await code.newIdentity(displayName, this.now());
    await this.replace(code, record, 'reset');
    return identity;
  }

  async rotateKeys(): Promise<StoredIdentity> {
    const code = await newIdentityCode();
    const loaded = await this.load();
    if (loaded.kind !== 'ok') throw code.noIdentityToRotate(loaded);
    const old = loaded.identity;
    // Keys made and signed before the transaction, which closes when it waits on anything else.
    const { identity, record } = await code.rotatedIdentity(old, this.now());
    if (!(await this.replace(code, record, 'rotation', (raw) => code.holdsKeysOf(raw, old)))) {
      throw code.identityMoved();
    }
    return identity;
  }

  /**
   * In one transaction: the stored record (whatever its shape) is kept aside, then `record` takes
   * its place, or neither happens. With `isCurrent`, nothing is written (false) unless the stored
   * record passes it. `code` is loaded already: nothing but storage is awaited inside.
   */
  private async replace(
    { setAsideId, setAsideRecord }: NewIdentityCode,
    record: IdentityRecord,
    after: 'reset' | 'rotation',
    isCurrent?: (raw: unknown) => boolean,
  ): Promise<boolean> {
    const now = this.now();
    const tx = observed(this.db.transaction('identity', 'readwrite'));
    try {
      let raw: unknown;
      try {
        raw = await tx.store.get(IDENTITY_KEY);
      } catch {
        raw = undefined; // the read fails as the load did: the copy the reset keeps aside is lost
      }
      if (isCurrent && !isCurrent(raw)) {
        await tx.done;
        return false;
      }
      if (raw !== undefined && raw !== null) {
        let n = 0;
        while ((await tx.store.getKey(setAsideId(now, n))) !== undefined) n++;
        await tx.store.put(setAsideRecord(raw, setAsideId(now, n), now, after) as IdentityRecord);
      }
      await tx.store.put(record);
      await tx.done;
    } catch (cause) {
      abortQuietly(tx);
      throw notStorable(cause);
    }
    return true;
  }

  async rename(displayName: string): Promise<'renamed' | 'none'> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') return 'none';
    const tx = observed(this.db.transaction('identity', 'readwrite'));
    // Onto the record as stored, in one transaction: a rotation in another tab is never undone.
    const raw: unknown = await tx.store.get(IDENTITY_KEY);
    if (typeof raw !== 'object' || raw === null) {
      await tx.done;
      return 'none';
    }
    try {
      await tx.store.put(renamedRecord(raw as IdentityRecord, displayName));
    } catch (e) {
      abortQuietly(tx);
      throw e;
    }
    await tx.done;
    return 'renamed';
  }
}

export class IdbContactStore implements ContactStore {
  constructor(private readonly db: Db) {}

  async get(id: string): Promise<Contact | undefined> {
    const r = await this.db.get('contacts', id);
    return r && copyContact(r);
  }

  async put(contact: Contact): Promise<void> {
    const record = contactRecord(contact);
    try {
      await this.db.put('contacts', record);
    } catch (cause) {
      if (errorName(cause) === 'ConstraintError') {
        throw new StoreError('CONFLICT', 'Another contact already has this identity key.', { cause });
      }
      throw cause;
    }
  }

  async list(): Promise<Contact[]> {
    return (await this.db.getAll('contacts')).map(copyContact).sort(byLastSeen);
  }

  async byKey(identityKey: Uint8Array): Promise<Contact | undefined> {
    const r = await this.db.getFromIndex('contacts', 'byIdentityKey', toHex(identityKey));
    return r && copyContact(r);
  }
}

export class IdbMessageStore implements MessageStore {
  constructor(private readonly db: Db) {}

  change = async (contactId: string, changes: readonly MessageChange[], queue?: QueuedRecord) =>
    idbMessageFeatures(this.db).change(contactId, changes, queue);
  queued = async (contactId: string) => idbMessageFeatures(this.db).queued(contactId);
  queuedSent = async (contactId: string, id: Uint8Array, route: MessageRoute) =>
    idbMessageFeatures(this.db).queuedSent(contactId, id, route);
  remove = async (contactId: string, messageId: Uint8Array) =>
    idbMessageFeatures(this.db).remove(contactId, messageId);

  async add(message: StoredMessage): Promise<'added' | 'duplicate'> {
    const record = messageRecord(message);
    const tx = observed(this.db.transaction('messages', 'readwrite'));
    const key: [string, string] = [record.contactId, record.messageIdHex];
    if ((await tx.store.getKey(key)) !== undefined) {
      await tx.done;
      return 'duplicate';
    }
    await tx.store.add(record);
    await tx.done;
    return 'added';
  }

  async list(contactId: string): Promise<StoredMessage[]> {
    const range = IDBKeyRange.bound([contactId, -Infinity], [contactId, Infinity]);
    return (await this.db.getAllFromIndex('messages', 'byContactSentAt', range)).map(copyMessage);
  }

  async updateState(
    contactId: string,
    messageId: Uint8Array,
    state: MessageState,
    receivedAt?: number,
    route?: MessageRoute,
  ): Promise<MessageUpdate> {
    const tx = observed(this.db.transaction('messages', 'readwrite'));
    const record = await tx.store.get([contactId, toHex(messageId)]);
    const next = record && advancedMessage(record, state, receivedAt, route);
    if (next) await tx.store.put(next);
    await tx.done;
    return !record ? 'missing' : next ? 'updated' : 'unchanged';
  }
}

export class IdbEventStore implements SecurityEventStore {
  constructor(private readonly db: Db) {}

  async add(event: SecurityEvent): Promise<void> {
    await this.db.add('events', eventRecord(event));
  }

  async list(contactId: string): Promise<SecurityEvent[]> {
    const range = IDBKeyRange.bound([contactId, -Infinity], [contactId, Infinity]);
    return (await this.db.getAllFromIndex('events', 'byContact', range)).map(eventRecord);
  }
}
