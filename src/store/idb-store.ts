/**
 * The app's stores in IndexedDB through `idb`. One database, one versioned schema: each version
 * step is a numbered case in `upgrade`, run in order from the version on disk to `SCHEMA_VERSION`.
 * Never edit a released step; add the next one.
 *
 * Object stores:
 * - `identity`: one record under the key 'self' (see `IdentityRecord`): the public key, the private
 *   key as `StorableX25519Key` (a non-extractable `CryptoKey` that IndexedDB clones as is, or on
 *   WebKit that key wrapped under a non-extractable AES key), user id, display name, creation time.
 * - `contacts`: key `id`; unique index `byIdentityKey` on the hex of the pinned identity key.
 * - `messages`: key [contactId, messageIdHex]; index `byContactSentAt` on [contactId, sentAt].
 * - `events` (since version 2): security events, auto-incremented keys; index `byContact` on
 *   [contactId, at].
 * Version 3 changed records, not stores: see upgrade-v3.ts.
 */
import type { upgradeToV3 } from './upgrade-v3';
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import { toHex } from '../crypto/bytes';
import {
  type ContactRecord,
  IDENTITY_KEY,
  type IdentityRecord,
  type MessageRecord,
  advancedMessage,
  byLastSeen,
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

export const DB_NAME = 'secmsg';
export const SCHEMA_VERSION = 3;

export interface SecMsgSchema extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord; indexes: { byIdentityKey: string } };
  messages: {
    key: [string, string];
    value: MessageRecord;
    indexes: { byContactSentAt: [string, number] };
  };
  events: { key: number; value: SecurityEvent; indexes: { byContact: [string, number] } };
}

type Db = IDBPDatabase<SecMsgSchema>;
type UpgradeTx = IDBPTransaction<SecMsgSchema, StoreNames<SecMsgSchema>[], 'versionchange'>;

/**
 * Brings the schema from `oldVersion` to `newVersion`, one numbered step at a time. (A loop over
 * `switch` cases rather than cases that fall through, because the compiler forbids fallthrough;
 * the effect is the same: every step after the stored version runs, in order.)
 */
/** The record migrations, loaded only when a database on disk needs them (see `migrationsFor`). */
export interface Migrations {
  readonly upgradeToV3?: typeof upgradeToV3;
}

export function upgrade(
  db: Db,
  oldVersion: number,
  newVersion: number,
  tx: UpgradeTx,
  migrations: Migrations = {},
  now: number = Date.now(),
): void {
  for (let version = oldVersion; version < newVersion; version++) {
    switch (version) {
      case 0: {
        // 0 → 1: the first schema.
        db.createObjectStore('identity', { keyPath: 'id' });
        const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byIdentityKey', 'identityKeyHex', { unique: true });
        const messages = db.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
        messages.createIndex('byContactSentAt', ['contactId', 'sentAt']);
        break;
      }
      case 1: {
        // 1 → 2: the per-contact security event log.
        const events = db.createObjectStore('events', { autoIncrement: true });
        events.createIndex('byContact', ['contactId', 'at']);
        break;
      }
      case 2: {
        // 2 → 3: a contact is its keys; names are suggestions; peer times bounded (upgrade-v3.ts).
        // A database made fresh has nothing to migrate; its records are written in the new shape.
        if (oldVersion >= 2) {
          if (!migrations.upgradeToV3) {
            throw new StoreError('UNAVAILABLE', 'The step from database version 2 to 3 was not loaded.');
          }
          migrations.upgradeToV3(tx, now).catch(() => {
            try {
              tx.abort(); // the open request then fails, and the database stays at version 2
            } catch {
              // already finished
            }
          });
        }
        break;
      }
      // case 3: 3 → 4 goes here.
      default:
        throw new StoreError('UNAVAILABLE', `There is no upgrade step from database version ${version}.`);
    }
  }
}

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

/**
 * `idb`'s `openDB` over a given factory (openDB itself always uses the global `indexedDB`).
 * Throws `StoreError('UNAVAILABLE')` with a sentence when the browser will not open it.
 */
export async function openDatabase(factory: IDBFactory | undefined, name: string): Promise<Db> {
  if (!factory) {
    throw new StoreError('UNAVAILABLE', 'This browser does not offer storage (IndexedDB) to this page.');
  }
  const migrations = await migrationsFor(factory, name);
  try {
    const request = factory.open(name, SCHEMA_VERSION);
    request.addEventListener('upgradeneeded', (event) => {
      const db = wrap(request.result) as unknown as Db;
      const tx = wrap(request.transaction!) as unknown as UpgradeTx;
      try {
        upgrade(db, event.oldVersion, event.newVersion ?? SCHEMA_VERSION, tx, migrations);
      } catch {
        tx.abort(); // the open request then fails, and so does this function
      }
    });
    const db = (await wrap(request)) as unknown as Db;
    // Another tab wants a newer schema: let it have the database.
    db.addEventListener('versionchange', () => db.close());
    return db;
  } catch (cause) {
    if (errorName(cause) === 'VersionError') {
      throw new StoreError(
        'UNAVAILABLE',
        'The saved data was written by a newer version of SecMsg; reload to get the newest version.',
        { cause },
      );
    }
    throw new StoreError(
      'UNAVAILABLE',
      'This browser would not open its storage for this page (private browsing can do that).',
      { cause },
    );
  }
}

/**
 * The record migrations this database may need, loaded only then (they stay out of the page's
 * initial code): none when the browser lists no older database of that name; all of them when it
 * cannot say (`indexedDB.databases` missing or failing).
 */
async function migrationsFor(factory: IDBFactory, name: string): Promise<Migrations> {
  try {
    const found = (await factory.databases()).find((d) => d.name === name);
    if (!found || (found.version ?? 0) >= 3) return {};
  } catch {
    // cannot tell: load them
  }
  return { upgradeToV3: (await import('./upgrade-v3')).upgradeToV3 };
}

function errorName(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'name' in e ? e.name : undefined;
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
    let raw: unknown;
    try {
      raw = await this.db.get('identity', IDENTITY_KEY);
    } catch {
      return {
        kind: 'unreadable',
        reason: 'The saved identity could not be read from this browser’s storage.',
      };
    }
    return readIdentity(raw);
  }

  async create(displayName: string): Promise<IdentityCreate> {
    // Keys are made before the transaction: a transaction closes when it waits on anything else.
    const { identity, record } = await newIdentity(displayName, this.now());
    const tx = this.db.transaction('identity', 'readwrite');
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
    const { identity, record } = await newIdentity(displayName, this.now());
    // One transaction: the old record is kept aside before the new one takes its place, or neither.
    const tx = this.db.transaction('identity', 'readwrite');
    try {
      let raw: unknown;
      try {
        raw = await tx.store.get(IDENTITY_KEY);
      } catch {
        raw = undefined; // the read fails as the load did: the copy the reset keeps aside is lost
      }
      const aside = setAsideRecord(raw, this.now());
      if (aside !== undefined) await tx.store.put(aside as IdentityRecord);
      await tx.store.put(record);
      await tx.done;
    } catch (cause) {
      throw notStorable(cause);
    }
    return identity;
  }

  async rename(displayName: string): Promise<'renamed' | 'none'> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') return 'none';
    await this.db.put('identity', renamedRecord(identityRecord(loaded.identity), displayName));
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

  async add(message: StoredMessage): Promise<'added' | 'duplicate'> {
    const record = messageRecord(message);
    const tx = this.db.transaction('messages', 'readwrite');
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
  ): Promise<MessageUpdate> {
    const tx = this.db.transaction('messages', 'readwrite');
    const record = await tx.store.get([contactId, toHex(messageId)]);
    const next = record && advancedMessage(record, state, receivedAt);
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
