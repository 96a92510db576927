/**
 * The app's IndexedDB database through `idb`: its schema and opening it. One database, one
 * versioned schema: each version step is a numbered case in `upgrade` (idb-upgrade.ts, loaded only
 * when a database needs it), run in order from the version on disk to `SCHEMA_VERSION`. The
 * stores over it are in idb-store.ts, the ratchet store in idb-ratchet-store.ts.
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
 * Version 7 indexed messages whose file transfer may still move (`byActiveTransfer`).
 * Version 8 added `usernames`: key `id`; the one username this device claimed (`UsernameClaim`,
 * username-types.ts) under 'claim'.
 */
import { type DBSchema, type IDBPDatabase, wrap } from 'idb';
import { errorName } from './idb-tx';
import type { IdentityRecord } from './identity-records';
import type { RatchetRecord } from './ratchet-records';
import type { ContactRecord, MessageRecord } from './records';
import type { SecurityEvent } from './security-event-types';
import type { Migrations, UpgradeTx, upgrade } from './idb-upgrade';
import { StoreError } from './store-error';
import type { QueuedRecordRow } from './message-changes';
import type { ConversationStateRecord } from './conversation-records';
import type { UsernameClaim } from './username-types';

export const SCHEMA_VERSION = 8;

export interface SecMsgSchema extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord; indexes: { byIdentityKey: string } };
  messages: {
    key: [string, string];
    value: MessageRecord;
    indexes: {
      byContactSentAt: [string, number];
      byContactIncoming: [string, string, number];
      byActiveTransfer: string;
    };
  };
  events: { key: number; value: SecurityEvent; indexes: { byContact: [string, number] } };
  ratchets: { key: string; value: RatchetRecord };
  outbox: { key: [string, string]; value: QueuedRecordRow };
  conversations: { key: string; value: ConversationStateRecord };
  usernames: { key: string; value: UsernameClaim & { id: string } };
}

export type Db = IDBPDatabase<SecMsgSchema>;

/** What upgrading the database takes: its steps and the record migrations on the way. */
interface Upgrader {
  readonly upgrade: typeof upgrade;
  readonly migrations: Migrations;
}

/**
 * `idb`'s `openDB` over a given factory (openDB itself always uses the global `indexedDB`).
 * Throws `StoreError('UNAVAILABLE')` with a sentence when the browser will not open it.
 */
export async function openDatabase(factory: IDBFactory | undefined, name: string): Promise<Db> {
  if (!factory) {
    throw new StoreError('UNAVAILABLE', 'This browser does not offer storage (IndexedDB) to this page.');
  }
  try {
    const opened = await openWith(factory, name, await upgraderFor(factory, name));
    if (opened !== 'needs-upgrade') return opened;
    // The browser's list said the database was up to date, yet it asked for an upgrade (another
    // tab deleted it meanwhile, say): nothing was changed; open it again with every step loaded.
    const again = await openWith(factory, name, await loadUpgrader(undefined));
    if (again !== 'needs-upgrade') return again;
    throw new Error('The database asked for an upgrade with the upgrade steps loaded.');
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
 * One open request at `SCHEMA_VERSION`. Without an upgrader, an upgrade the database asks for is
 * aborted (nothing changes) and reported as 'needs-upgrade'.
 */
async function openWith(
  factory: IDBFactory,
  name: string,
  upgrader: Upgrader | undefined,
): Promise<Db | 'needs-upgrade'> {
  const request = factory.open(name, SCHEMA_VERSION);
  let missedUpgrade = false;
  request.addEventListener('upgradeneeded', (event) => {
    if (!upgrader) {
      missedUpgrade = true;
      request.transaction!.abort(); // unwrapped: nothing awaits this transaction
      return;
    }
    const db = wrap(request.result) as unknown as Db;
    const tx = wrap(request.transaction!) as unknown as UpgradeTx;
    try {
      upgrader.upgrade(db, event.oldVersion, event.newVersion ?? SCHEMA_VERSION, tx, upgrader.migrations);
    } catch {
      tx.abort(); // the open request then fails, and so does this function
    }
  });
  try {
    const db = (await wrap(request)) as unknown as Db;
    // Another tab wants a newer schema: let it have the database.
    db.addEventListener('versionchange', () => db.close());
    return db;
  } catch (cause) {
    if (missedUpgrade) return 'needs-upgrade';
    throw cause;
  }
}

/**
 * What opening this database will take, from the browser's list of databases: nothing when it is
 * at `SCHEMA_VERSION` already (the upgrade code stays out of the page), else the upgrade steps
 * (`loadUpgrader`).
 */
async function upgraderFor(factory: IDBFactory, name: string): Promise<Upgrader | undefined> {
  let version: number | undefined;
  try {
    version = (await factory.databases()).find((d) => d.name === name)?.version ?? 0;
  } catch {
    version = undefined; // cannot tell (`indexedDB.databases` missing or failing)
  }
  return version !== undefined && version >= SCHEMA_VERSION ? undefined : loadUpgrader(version);
}

/**
 * The upgrade steps and the record migrations a database at `version` needs, loaded only then:
 * none for a new database (0), the step to version 5 from versions 3 and 4, all of them from
 * older ones or when the version is unknown (undefined).
 */
async function loadUpgrader(version: number | undefined): Promise<Upgrader> {
  const unknown = version === undefined;
  const [steps, v3, v5] = await Promise.all([
    import('./idb-upgrade'),
    unknown || (version >= 1 && version < 3) ? import('./upgrade-v3') : undefined,
    unknown || (version >= 1 && version < 5) ? import('./upgrade-v5') : undefined,
  ]);
  return {
    upgrade: steps.upgrade,
    migrations: {
      ...(v3 ? { upgradeToV3: v3.upgradeToV3 } : {}),
      ...(v5 ? { upgradeToV5: v5.upgradeToV5 } : {}),
    },
  };
}
