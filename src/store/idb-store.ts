/**
 * The app's stores in IndexedDB through `idb`, over the database of idb-schema.ts (which lists its
 * object stores and their records). Parts load on first use, not with the page (the conversation
 * list only reads): the ratchet store (idb-ratchet-store.ts, through lazy-ratchet-store.ts), making
 * or replacing the identity (idb-identity-writes.ts, with new-identity.ts), the checks of what is
 * written (record-checks.ts) and the conversation features' part (idb-message-features.ts, through
 * lazy-message-features.ts).
 */
import { toHex } from '../crypto/bytes';
import { IdbConversationStore } from './idb-conversation-store';
import { IdbUsernameStore } from './idb-username-store';
import { type Db, openDatabase } from './idb-schema';
import { abortQuietly, errorName, observed } from './idb-tx';
import { IDENTITY_KEY, type IdentityRecord, renamedRecord } from './identity-records';
import { lazyRatchetStore } from './lazy-ratchet-store';
import { lazyMessageFeatures } from './lazy-message-features';
import type { MessageChange, MessageFeatureStore, QueuedRecord } from './message-changes';
import { byLastSeen, copyContact, copyMessage } from './records';
import type { Contact, ContactStore } from './contact-types';
import type { IdentityCreate, IdentityLoad, IdentityStore, StoredIdentity } from './identity-types';
import type { MessageRoute, MessageState, MessageStore, MessageUpdate, StoredMessage } from './message-types';
import type { StoredFile } from './file-types';
import type { SecurityEvent, SecurityEventStore } from './security-event-types';
import { StoreError } from './store-error';
import type { Stores } from './stores';

/**
 * Reading the identity back and checking its keys (load-identity.ts): loaded as the database opens
 * (`openIdbStore`), beside the page's initial code rather than in it.
 */
const identityReading = async (): Promise<typeof import('./load-identity')> => import('./load-identity');

/** Making keys and replacing the identity: loaded at first run, on a reset or a rotation. */
const identityWrites = async (): Promise<typeof import('./idb-identity-writes')> =>
  import('./idb-identity-writes');

/**
 * The checks of what is written (contacts, messages, security events): loaded with the first
 * write or security log, before its transaction begins.
 */
const checks = async (): Promise<typeof import('./record-checks')> => import('./record-checks');

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
  // Checking the identity's keys needs their code (X25519, ML-DSA, key rotations): fetched while the
  // database opens, so that reading the identity does not wait for it.
  const identityCode = identityReading();
  identityCode.catch(() => undefined); // a failed fetch is tried again when the identity is read
  const db = await openDatabase(factory, name);
  const now = options.now ?? Date.now;
  return {
    identity: new IdbIdentityStore(db, now, identityCode),
    contacts: new IdbContactStore(db),
    messages: new IdbMessageStore(db),
    events: new IdbEventStore(db),
    ratchets: lazyRatchetStore(async () => new (await import('./idb-ratchet-store')).IdbRatchetStore(db)),
    conversations: new IdbConversationStore(db),
    usernames: new IdbUsernameStore(db),
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

export class IdbIdentityStore implements IdentityStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly identityCode: Promise<typeof import('./load-identity')> = identityReading(),
  ) {}

  async load(): Promise<IdentityLoad> {
    const { loadIdentity } = await this.identityCode.catch(identityReading);
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
    return (await identityWrites()).createIdentity(this.db, this.now, displayName);
  }

  async resetIdentity(displayName: string): Promise<StoredIdentity> {
    return (await identityWrites()).resetIdentity(this.db, this.now, displayName);
  }

  async rotateKeys(): Promise<StoredIdentity> {
    return (await identityWrites()).rotateIdentity(this.db, this.now, async () => this.load());
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
    const record = (await checks()).contactRecord(contact);
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
  /** Loaded with its first use (a session's outbox, a change in the chat), not with the page. */
  private readonly features: MessageFeatureStore;

  constructor(private readonly db: Db) {
    this.features = lazyMessageFeatures(async () =>
      (await import('./idb-message-features')).idbMessageFeatures(db),
    );
  }

  change = async (contactId: string, changes: readonly MessageChange[], queue?: QueuedRecord) =>
    this.features.change(contactId, changes, queue);
  queued = async (contactId: string) => this.features.queued(contactId);
  queuedSent = async (contactId: string, id: Uint8Array, route: MessageRoute) =>
    this.features.queuedSent(contactId, id, route);
  remove = async (contactId: string, messageId: Uint8Array) => this.features.remove(contactId, messageId);

  async add(message: StoredMessage): Promise<'added' | 'duplicate'> {
    const record = (await checks()).messageRecord(message);
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
    const { advancedMessage } = await checks();
    const tx = observed(this.db.transaction('messages', 'readwrite'));
    const record = await tx.store.get([contactId, toHex(messageId)]);
    const next = record && advancedMessage(record, state, receivedAt, route);
    if (next) await tx.store.put(next);
    await tx.done;
    return !record ? 'missing' : next ? 'updated' : 'unchanged';
  }

  async get(contactId: string, messageId: Uint8Array): Promise<StoredMessage | undefined> {
    const record = await this.db.get('messages', [contactId, toHex(messageId)]);
    return record && copyMessage(record);
  }

  async updateFile(
    contactId: string,
    messageId: Uint8Array,
    update: (file: StoredFile, message: StoredMessage) => StoredFile | undefined,
  ): Promise<StoredFile | undefined> {
    const { messageRecord } = await checks();
    const tx = observed(this.db.transaction('messages', 'readwrite'));
    const record = await tx.store.get([contactId, toHex(messageId)]);
    if (!record?.file) {
      await tx.done;
      return undefined;
    }
    const message = copyMessage(record);
    const file = update(message.file!, message);
    if (file) await tx.store.put(messageRecord({ ...message, file }));
    await tx.done;
    return file ?? message.file;
  }

  async activeTransfers(contactId?: string): Promise<StoredMessage[]> {
    const records =
      contactId === undefined
        ? await this.db.getAllFromIndex('messages', 'byActiveTransfer')
        : await this.db.getAllFromIndex('messages', 'byActiveTransfer', contactId);
    return records.map(copyMessage);
  }
}

export class IdbEventStore implements SecurityEventStore {
  constructor(private readonly db: Db) {}

  async add(event: SecurityEvent): Promise<void> {
    await this.db.add('events', (await checks()).eventRecord(event));
  }

  async list(contactId: string): Promise<SecurityEvent[]> {
    const range = IDBKeyRange.bound([contactId, -Infinity], [contactId, Infinity]);
    const { eventRecord } = await checks();
    return (await this.db.getAllFromIndex('events', 'byContact', range)).map(eventRecord);
  }
}
