/**
 * The app's stores in IndexedDB through `idb`. One database, one versioned schema: each version
 * step is a numbered case in `upgrade`, run in order from the version on disk to `SCHEMA_VERSION`.
 * Never edit a released step; add the next one.
 *
 * Object stores:
 * - `identity`: one record under the key 'self' (see `IdentityRecord`): the X25519 public key, its
 *   private key as `StorableX25519Key` (a non-extractable `CryptoKey` that IndexedDB clones as is,
 *   or on WebKit that key wrapped under a non-extractable AES key), the ML-DSA-87 public key and
 *   its seed wrapped under a non-extractable AES key (`StorableSigningKey`, since version 4), the
 *   latest key rotations, user id, display name, creation time. Resets and rotations keep the
 *   record they replace under SET_ASIDE_PREFIX + time.
 * - `contacts`: key `id`; unique index `byIdentityKey` on the hex of the pinned identity key.
 * - `messages`: key [contactId, messageIdHex]; index `byContactSentAt` on [contactId, sentAt].
 * - `events` (since version 2): security events, auto-incremented keys; index `byContact` on
 *   [contactId, at].
 * - `ratchets` (since version 4): key `contactId`; each contact's ratchet state and its generation
 *   (`RatchetRecord`), written only together with the messages it protects (`IdbRatchetStore`).
 * Version 3 changed records, not stores: see upgrade-v3.ts. Version 4 added `ratchets`; identity
 * records from before it get their ML-DSA key when first loaded (records.ts, `loadIdentity`).
 */
import type { upgradeToV3 } from './upgrade-v3';
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import { toHex } from '../crypto/bytes';
import {
  type ContactRecord,
  IDENTITY_KEY,
  type IdentityRecord,
  type MessageRecord,
  type RatchetRecord,
  advancedMessage,
  byLastSeen,
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

export const DB_NAME = 'secmsg';
export const SCHEMA_VERSION = 4;

export interface SecMsgSchema extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord; indexes: { byIdentityKey: string } };
  messages: {
    key: [string, string];
    value: MessageRecord;
    indexes: { byContactSentAt: [string, number] };
  };
  events: { key: number; value: SecurityEvent; indexes: { byContact: [string, number] } };
  ratchets: { key: string; value: RatchetRecord };
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
      case 3: {
        // 3 → 4: the conversation ratchet per contact. Identity records stay as they are (the
        // first load gives them their ML-DSA key, which needs WebCrypto, and so cannot run inside
        // this transaction); contacts stay (their ML-DSA key is pinned when they first present one).
        db.createObjectStore('ratchets', { keyPath: 'contactId' });
        break;
      }
      // case 4: 4 → 5 goes here.
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
    ratchets: new IdbRatchetStore(db),
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

/**
 * `tx` with its `done` promise observed, so that a transaction this code aborts (or that fails
 * while nothing awaits `done`) is not reported as an unhandled rejection. Awaiting `tx.done` still
 * throws as before.
 */
function observed<T extends { readonly done: Promise<void> }>(tx: T): T {
  tx.done.catch(() => {});
  return tx;
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // already finished or aborted
  }
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
    const { identity, record } = await newIdentity(displayName, this.now());
    await this.replace(record);
    return identity;
  }

  async rotateKeys(): Promise<StoredIdentity> {
    const loaded = await this.load();
    if (loaded.kind !== 'ok') throw noIdentityToRotate(loaded);
    const old = loaded.identity;
    // Keys made and signed before the transaction, which closes when it waits on anything else.
    const { identity, record } = await rotatedIdentity(old, this.now());
    if (!(await this.replace(record, (raw) => holdsKeysOf(raw, old)))) throw identityMoved();
    return identity;
  }

  /**
   * In one transaction: the stored record (whatever its shape) is kept aside, then `record` takes
   * its place, or neither happens. With `isCurrent`, nothing is written (false) unless the stored
   * record passes it.
   */
  private async replace(record: IdentityRecord, isCurrent?: (raw: unknown) => boolean): Promise<boolean> {
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
        await tx.store.put(setAsideRecord(raw, setAsideId(now, n), now) as IdentityRecord);
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
  ): Promise<MessageUpdate> {
    const tx = observed(this.db.transaction('messages', 'readwrite'));
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

export class IdbRatchetStore implements RatchetStore {
  constructor(private readonly db: Db) {}

  async load(contactId: string): Promise<StoredRatchet> {
    const r = await this.db.get('ratchets', contactId);
    return r ? { generation: r.generation, state: r.state } : { generation: 0, state: undefined };
  }

  async commit(c: RatchetCommit): Promise<RatchetCommitResult> {
    const checked = checkRatchetCommit(c);
    const { contactId } = checked;
    // One transaction over both stores, with only IndexedDB requests between its awaits (it closes
    // when it waits on anything else): all of it is written, or none of it.
    const tx = observed(this.db.transaction(['ratchets', 'messages'], 'readwrite'));
    try {
      const ratchets = tx.objectStore('ratchets');
      const messages = tx.objectStore('messages');
      const stored = await ratchets.get(contactId);
      if ((stored?.generation ?? 0) !== checked.expectedGeneration) {
        await tx.done;
        return { kind: 'conflict' };
      }
      const generation = checked.expectedGeneration + 1;
      await ratchets.put({ contactId, generation, state: checked.state });
      let added: 'added' | 'duplicate' | undefined;
      if (checked.message) {
        const m = checked.message;
        if ((await messages.getKey([contactId, m.messageIdHex])) !== undefined) {
          added = 'duplicate';
        } else {
          await messages.add(m);
          added = 'added';
        }
      }
      const updated = new Map<string, Uint8Array>();
      for (const move of checked.moves) {
        const record = await messages.get([contactId, move.messageIdHex]);
        const next = record && advancedMessage(record, move.state, undefined);
        if (!next) continue;
        await messages.put(next);
        if (!updated.has(move.messageIdHex)) updated.set(move.messageIdHex, move.messageId);
      }
      await tx.done;
      return { kind: 'committed', generation, ...(added ? { added } : {}), updated: [...updated.values()] };
    } catch (cause) {
      abortQuietly(tx);
      throw new StoreError(
        'UNAVAILABLE',
        'The conversation could not be saved in this browser’s storage; nothing of it was changed.',
        { cause },
      );
    }
  }

  async remove(contactId: string): Promise<void> {
    await this.db.delete('ratchets', contactId);
  }
}
