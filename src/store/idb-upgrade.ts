/**
 * The steps that upgrade the app's IndexedDB database (idb-schema.ts lists its stores), one
 * numbered case per version. Loaded only when a database needs them — made fresh, or written by an
 * older SecMsg — so an ordinary visit leaves them out of the page's code. Never edit a released
 * step; add the next one (and raise `SCHEMA_VERSION` in idb-schema.ts).
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { Db, SecMsgSchema } from './idb-schema';
import { StoreError } from './store-error';
import type { upgradeToV3 } from './upgrade-v3';
import type { upgradeToV5 } from './upgrade-v5';

export type UpgradeTx = IDBPTransaction<SecMsgSchema, StoreNames<SecMsgSchema>[], 'versionchange'>;

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
      case 6: {
        // 6 → 7: file messages (file-types.ts). A sparse index of the messages whose transfer may
        // still move, so that resuming them never reads a whole history. Nothing stored before
        // has a file.
        tx.objectStore('messages').createIndex('byActiveTransfer', 'transferOf');
        break;
      }
      case 7: {
        // 7 → 8: the username this device claimed (username-types.ts). Nothing to migrate.
        db.createObjectStore('usernames', { keyPath: 'id' });
        break;
      }
      // case 8: 8 → 9 goes here.
      default:
        throw new StoreError('UNAVAILABLE', `There is no upgrade step from database version ${version}.`);
    }
  }
}
