/**
 * The app's IndexedDB database through `idb`: its schema, the steps that upgrade it, and opening
 * it. One database, one versioned schema: each version step is a numbered case in `upgrade`, run
 * in order from the version on disk to `SCHEMA_VERSION`. Never edit a released step; add the next
 * one. The stores over it are in idb-store.ts, the ratchet store in idb-ratchet-store.ts.
 *
 * Object stores:
 * - `identity`: one record under the key 'self' (see `IdentityRecord`, identity-records.ts): the
 *   X25519 public key, its private key as `StorableX25519Key` (a non-extractable `CryptoKey` that
 *   IndexedDB clones as is, or on WebKit that key wrapped under a non-extractable AES key), the
 *   ML-DSA-87 public key and its seed wrapped under a non-extractable AES key
 *   (`StorableSigningKey`, since version 4), the latest key rotations, user id, display name,
 *   creation time. Resets and rotations keep the record they replace under SET_ASIDE_PREFIX + time.
 * - `contacts`: key `id`; unique index `byIdentityKey` on the hex of the pinned identity key.
 * - `messages`: key [contactId, messageIdHex]; index `byContactSentAt` on [contactId, sentAt].
 * - `events` (since version 2): security events, auto-incremented keys; index `byContact` on
 *   [contactId, at].
 * - `ratchets` (since version 4): key `contactId`; each contact's ratchet state and its generation
 *   (`RatchetRecord`, ratchet-records.ts), written only together with the messages it protects
 *   (`IdbRatchetStore`).
 * - `conversations` (since version 5): key `contactId`; each conversation's read position and
 *   archived mark (`ConversationStateRecord`, conversation-records.ts). The messages' index
 *   `byContactIncoming` on [contactId, direction, receivedAt] (since version 5) counts unread ones.
 * Version 3 changed records, not stores: see upgrade-v3.ts. Version 4 added `ratchets`; identity
 * records from before it get their ML-DSA key when first loaded (`loadIdentity`, load-identity.ts).
 * Version 5 added `conversations` and marked what was stored before read (upgrade-v5.ts).
 * Version 6 added `outbox`: key [contactId, idHex]; records queued for the peer until it
 * acknowledges them (reactions, edits, deletes, receipts: `QueuedRecordRow`, message-changes.ts).
 */
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, wrap } from 'idb';
import { errorName } from './idb-tx';
import type { IdentityRecord } from './identity-records';
import type { RatchetRecord } from './ratchet-records';
import type { ContactRecord, MessageRecord } from './records';
import { type SecurityEvent, StoreError } from './types';
import type { upgradeToV3 } from './upgrade-v3';
import type { QueuedRecordRow } from './message-changes';
import type { upgradeToV5 } from './upgrade-v5';
import type { ConversationStateRecord } from './conversation-records';

export const SCHEMA_VERSION = 6;

export interface SecMsgSchema extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord; indexes: { byIdentityKey: string } };
  messages: {
    key: [string, string];
    value: MessageRecord;
    indexes: { byContactSentAt: [string, number]; byContactIncoming: [string, string, number] };
  };
  events: { key: number; value: SecurityEvent; indexes: { byContact: [string, number] } };
  ratchets: { key: string; value: RatchetRecord };
  outbox: { key: [string, string]; value: QueuedRecordRow };
  conversations: { key: string; value: ConversationStateRecord };
}

export type Db = IDBPDatabase<SecMsgSchema>;
type UpgradeTx = IDBPTransaction<SecMsgSchema, StoreNames<SecMsgSchema>[], 'versionchange'>;

/** The record migrations, loaded only when a database on disk needs them (see `migrationsFor`). */
export interface Migrations {
  readonly upgradeToV3?: typeof upgradeToV3;
  readonly upgradeToV5?: typeof upgradeToV5;
}

/**
 * Brings the schema from `oldVersion` to `newVersion`, one numbered step at a time. (A loop over
 * `switch` cases rather than cases that fall through, because the compiler forbids fallthrough;
 * the effect is the same: every step after the stored version runs, in order.)
 */
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
      case 4: {
        // 4 → 5: the conversation list and long histories (upgrade-v5.ts): read positions and
        // archived marks per conversation, and an index to count unread messages without reading
        // them. What was stored before counts as read.
        tx.objectStore('messages').createIndex('byContactIncoming', ['contactId', 'direction', 'receivedAt']);
        db.createObjectStore('conversations', { keyPath: 'contactId' });
        if (oldVersion >= 1) {
          if (!migrations.upgradeToV5) {
            throw new StoreError('UNAVAILABLE', 'The step from database version 4 to 5 was not loaded.');
          }
          migrations.upgradeToV5(tx, now).catch(() => {
            try {
              tx.abort(); // the open request then fails, and the database stays at version 4
            } catch {
              // already finished
            }
          });
        }
        break;
      }
      case 5: {
        // 5 → 6: the outbox of conversation-feature records (message-changes.ts). Messages keep
        // their shape: the new fields are optional, and absent on what was stored before.
        db.createObjectStore('outbox', { keyPath: ['contactId', 'idHex'] });
        break;
      }
      // case 6: 6 → 7 goes here.
      default:
        throw new StoreError('UNAVAILABLE', `There is no upgrade step from database version ${version}.`);
    }
  }
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
    const version = found?.version ?? 0;
    if (!found || version >= SCHEMA_VERSION) return {};
    if (version >= 3) return { upgradeToV5: (await import('./upgrade-v5')).upgradeToV5 };
  } catch {
    // cannot tell: load them
  }
  const [v3, v5] = await Promise.all([import('./upgrade-v3'), import('./upgrade-v5')]);
  return { upgradeToV3: v3.upgradeToV3, upgradeToV5: v5.upgradeToV5 };
}
