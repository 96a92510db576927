/**
 * Opening the database (idb-schema.ts): the upgrade steps load only when the browser's list of
 * databases says they are needed, and a list that is wrong or missing still leads to a database
 * with every store.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openDatabase } from './idb-schema';

const STORES = [
  'contacts',
  'conversations',
  'events',
  'identity',
  'messages',
  'outbox',
  'ratchets',
  'usernames',
];

/** A factory whose `databases()` answers `list` (or throws when it is an Error). */
function factoryListing(list: IDBDatabaseInfo[] | Error): IDBFactory {
  const factory = new IDBFactory();
  factory.databases = async () => (list instanceof Error ? Promise.reject(list) : Promise.resolve(list));
  return factory;
}

describe('openDatabase', () => {
  it('makes a new database with every store, and opens it again as it is', async () => {
    const factory = new IDBFactory();
    const db = await openDatabase(factory, 'fresh');
    expect([...db.objectStoreNames].sort()).toEqual(STORES);
    expect(db.version).toBe(SCHEMA_VERSION);
    db.close();
    const again = await openDatabase(factory, 'fresh');
    expect([...again.objectStoreNames].sort()).toEqual(STORES);
    again.close();
  });

  it('still makes every store when the list claims an up-to-date database that is not there', async () => {
    const factory = factoryListing([{ name: 'stale', version: SCHEMA_VERSION }]);
    const db = await openDatabase(factory, 'stale');
    expect([...db.objectStoreNames].sort()).toEqual(STORES);
    db.close();
  });

  it('makes every store when the browser cannot list its databases', async () => {
    const factory = factoryListing(new TypeError('databases is not a function'));
    const db = await openDatabase(factory, 'unlisted');
    expect([...db.objectStoreNames].sort()).toEqual(STORES);
    db.close();
  });

  it('says so in a sentence when the saved data is newer than this version', async () => {
    const factory = new IDBFactory();
    await new Promise<void>((done, fail) => {
      const r = factory.open('newer', SCHEMA_VERSION + 1);
      r.onsuccess = () => {
        r.result.close();
        done();
      };
      r.onerror = () => fail(r.error ?? new Error('The database did not open.'));
    });
    await expect(openDatabase(factory, 'newer')).rejects.toThrow(
      'The saved data was written by a newer version of SecMsg; reload to get the newest version.',
    );
  });
});
