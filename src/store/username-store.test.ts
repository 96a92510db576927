import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { openDatabase } from './idb-schema';
import { DB_NAME, openIdbStore } from './idb-store';
import { upgrade } from './idb-upgrade';
import { MemoryBackend, openMemoryStore } from './memory-store';
import { StoreError } from './store-error';
import type { Stores } from './stores';
import type { UsernameClaim } from './username-types';

const claim = (): UsernameClaim => ({
  handle: 'alice.42',
  releaseSecret: randomBytes(32),
  mailbox: { id: toBase64Url(randomBytes(32)), token: toBase64Url(randomBytes(32)) },
  kemSeed: randomBytes(64),
  claimedAt: 1_700_000_000_000,
});

const harnesses: { name: string; setup: () => () => Promise<Stores> }[] = [
  {
    name: 'memory',
    setup: () => {
      const backend = new MemoryBackend();
      return async () => Promise.resolve(openMemoryStore({ backend }));
    },
  },
  {
    name: 'indexeddb',
    setup: () => {
      const factory = new IDBFactory();
      return async () => openIdbStore({ factory, name: DB_NAME });
    },
  },
];

describe.each(harnesses)('$name username store', ({ setup }) => {
  it('keeps one claim across a reopen, replaces it, and forgets it', async () => {
    const open = setup();
    let stores = await open();
    expect(await stores.usernames.get()).toBeUndefined();
    const first = claim();
    await stores.usernames.put(first);
    stores.close();
    stores = await open();
    expect(await stores.usernames.get()).toEqual(first);
    const second = { ...claim(), handle: 'alice.43' };
    await stores.usernames.put(second);
    expect(await stores.usernames.get()).toEqual(second);
    await stores.usernames.remove();
    expect(await stores.usernames.get()).toBeUndefined();
    stores.close();
  });

  it('refuses a malformed claim with a sentence, and keeps what it had', async () => {
    const stores = await setup()();
    const kept = claim();
    await stores.usernames.put(kept);
    for (const bad of [
      { ...claim(), handle: 'Alice.42' },
      { ...claim(), releaseSecret: new Uint8Array(31) },
      { ...claim(), kemSeed: new Uint8Array(32) },
      { ...claim(), mailbox: { id: 'x', token: 'y' } },
    ]) {
      await expect(stores.usernames.put(bad)).rejects.toThrow(StoreError);
    }
    expect(await stores.usernames.get()).toEqual(kept);
    await stores.destroy();
  });
});

describe('database version 8', () => {
  it('adds the usernames store to a version 7 database, keeping what it held', async () => {
    const factory = new IDBFactory();
    await new Promise<void>((resolve, reject) => {
      const request = factory.open('v7', 7);
      request.onupgradeneeded = (event) => {
        const tx = request.transaction!;
        // The real steps 0 → 7 (idb's wrappers are not needed for createObjectStore).
        upgrade(request.result as never, event.oldVersion, 7, tx as never);
        tx.objectStore('contacts');
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    const db = await openDatabase(factory, 'v7');
    expect(db.version).toBe(8);
    expect([...db.objectStoreNames]).toContain('usernames');
    db.close();
  });
});
