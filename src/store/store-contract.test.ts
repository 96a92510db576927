/**
 * One contract for every store implementation: the in-memory one and the IndexedDB one (over
 * fake-indexeddb, a fresh `IDBFactory` injected per test). `idb` checks values against the global
 * `IDBDatabase`, `IDBTransaction`… constructors, so `fake-indexeddb/auto` provides those globals;
 * the database itself always comes from the injected factory.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../crypto/random';
import { toBase64Url, toHex, utf8 } from '../crypto/bytes';
import { mlDsa87Verify } from '../crypto/ml-dsa';
import { signWithIdentityKey } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import {
  type X25519KeyPair,
  generateStorableX25519KeyPair,
  generateX25519KeyPair,
  x25519KeyPairFromPrivate,
  x25519SharedSecret,
} from '../crypto/x25519';
import { SCHEMA_VERSION, openDatabase } from './idb-schema';
import { DB_NAME, openIdbStore } from './idb-store';
import { MemoryBackend, openMemoryStore } from './memory-store';
import { encodeKeyRotation } from '../protocol/key-rotation';
import { signKeyRotation, verifyKeyRotation } from '../protocol/key-rotation-proof';
import { deriveUserId } from '../protocol/user-id';
import { PEER_TIME_BOUND_MS } from './peer-time';
import { IDENTITY_KEY, type IdentityRecord, SET_ASIDE_PREFIX } from './identity-records';
import { identityRecord } from './new-identity';
import { contactRecord, messageRecord } from './record-checks';
import { canonicalKey, contact, message } from './fixtures.test-util';
import { type Contact, MAX_OWN_MAILBOXES, type PendingKey } from './contact-types';
import { type IdentityLoad, MAX_KEPT_ROTATIONS, type StoredIdentity } from './identity-types';
import type { RatchetCommitResult } from './ratchet-types';
import { StoreError } from './store-error';
import type { Stores } from './stores';
import type { StoredFile } from './file-types';

interface Fixture {
  /** Opens the stores over the same storage, as a page load would. */
  open(): Promise<Stores>;
  readRawIdentity(): Promise<unknown>;
  writeRawIdentity(record: unknown): Promise<void>;
  /** The identity records resets kept aside, oldest first. */
  readSetAside(): Promise<unknown[]>;
  /**
   * Makes the `at`th write (0 for the next) to the messages store fail, inside the transaction
   * that makes it; returns the function that stops doing so.
   */
  failMessageWrite(at: number): () => void;
}

const clock = 1_700_000_000_000;
const now = (): number => clock;

const harnesses: { name: string; setup(): Fixture }[] = [
  {
    name: 'memory',
    setup: () => {
      const backend = new MemoryBackend();
      return {
        open: async () => {
          await Promise.resolve();
          return openMemoryStore({ backend, now });
        },
        readRawIdentity: async () => {
          await Promise.resolve();
          return structuredClone(backend.identity.get(IDENTITY_KEY));
        },
        writeRawIdentity: async (record) => {
          await Promise.resolve();
          backend.identity.set(IDENTITY_KEY, structuredClone(record));
        },
        readSetAside: async () => {
          await Promise.resolve();
          return [...backend.identity.entries()]
            .filter(([k]) => k.startsWith(SET_ASIDE_PREFIX))
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([, v]) => structuredClone(v));
        },
        failMessageWrite: (at) => {
          const set = backend.messages.set.bind(backend.messages);
          let writes = 0;
          const spy = vi.spyOn(backend.messages, 'set').mockImplementation((key, value) => {
            if (writes++ === at) throw new Error('The disk is full.');
            return set(key, value);
          });
          return () => spy.mockRestore();
        },
      };
    },
  },
  {
    name: 'idb',
    setup: () => {
      const factory = new IDBFactory();
      return {
        open: async () => openIdbStore({ factory, now }),
        readRawIdentity: async () => {
          const db = await openDatabase(factory, DB_NAME);
          try {
            return await db.get('identity', IDENTITY_KEY);
          } finally {
            db.close();
          }
        },
        writeRawIdentity: async (record) => {
          const db = await openDatabase(factory, DB_NAME);
          try {
            await db.put('identity', record as IdentityRecord);
          } finally {
            db.close();
          }
        },
        readSetAside: async () => {
          const db = await openDatabase(factory, DB_NAME);
          try {
            const all = (await db.getAll('identity')) as unknown as { id: string }[];
            return all.filter((r) => r.id.startsWith(SET_ASIDE_PREFIX));
          } finally {
            db.close();
          }
        },
        failMessageWrite: (at) => {
          // On the fake-indexeddb object stores every connection uses. An add fails as IndexedDB
          // fails it, asynchronously with a ConstraintError that aborts the transaction (the same
          // record added twice); a put throws at once, as for a value it cannot clone.
          const proto = IDBObjectStore.prototype;
          const add = Object.getOwnPropertyDescriptor(proto, 'add')!.value as IDBObjectStore['add'];
          const put = Object.getOwnPropertyDescriptor(proto, 'put')!.value as IDBObjectStore['put'];
          let writes = 0;
          proto.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
            if (this.name === 'messages' && writes++ === at) {
              add.apply(this, args);
            }
            return add.apply(this, args);
          };
          proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
            if (this.name === 'messages' && writes++ === at) {
              throw new DOMException('The disk is full.', 'QuotaExceededError');
            }
            return put.apply(this, args);
          };
          return () => {
            proto.add = add;
            proto.put = put;
          };
        },
      };
    },
  },
];

const isSentence = (s: string): boolean => /^[A-Z].{10,}[.]$/.test(s);

function expectOk(load: IdentityLoad) {
  if (load.kind !== 'ok') throw new Error(`expected an identity, got ${JSON.stringify(load)}`);
  return load.identity;
}

/** An identity over `keyPair` with a fresh ML-DSA key, as the store makes them. */
async function identityWith(
  keyPair: X25519KeyPair,
  displayName = 'Other',
  createdAt = 1,
): Promise<StoredIdentity> {
  const signing = await generateSigningKeyPair();
  return {
    keyPair,
    signing,
    rotations: [],
    userId: deriveUserId(keyPair.publicKey, signing.publicKey),
    displayName,
    createdAt,
  };
}

/** The record as database version 3 and before wrote it: no ML-DSA key, no rotations. */
function legacyRecord(record: IdentityRecord): Record<string, unknown> {
  const { signingPublicKey, signingKey, rotations, ...legacy } = record;
  return { ...legacy, userId: deriveUserId(record.publicKey) };
}

/** Whether `identity` signs with the ML-DSA key `publicKey`. */
async function signsAs(identity: StoredIdentity, publicKey: Uint8Array): Promise<boolean> {
  const context = utf8('SecMsg store test');
  const signature = await signWithIdentityKey(identity.signing.privateKey, utf8('hello'), context);
  return mlDsa87Verify(publicKey, utf8('hello'), signature, context);
}

/** A second identity's record and a rotation between two other identities, for damage tests. */
interface Spare {
  readonly record: IdentityRecord;
  readonly rotation: Uint8Array;
}
let spare: Promise<Spare> | undefined;
async function getSpare(): Promise<Spare> {
  spare ??= (async () => {
    const a = await identityWith(await generateX25519KeyPair());
    const b = await identityWith(await generateX25519KeyPair());
    const keys = (i: StoredIdentity) => ({
      identityKey: i.keyPair.publicKey,
      signingKey: i.signing.publicKey,
    });
    const rotation = await signKeyRotation(clock, keys(a), keys(b), a.signing.privateKey);
    return { record: identityRecord(a), rotation: encodeKeyRotation(rotation) };
  })();
  return spare;
}

describe.each(harnesses)('$name store', (harness) => {
  let fixture: Fixture;
  let stores: Stores;

  beforeEach(async () => {
    fixture = harness.setup();
    stores = await fixture.open();
    return () => stores.close();
  });

  async function reopen(): Promise<Stores> {
    stores.close();
    stores = await fixture.open();
    return stores;
  }

  describe('identity', () => {
    it('has none on first run', async () => {
      expect(await stores.identity.load()).toEqual({ kind: 'none' });
    });

    it('creates one and reads back the same key after a reload', async () => {
      const created = await stores.identity.create('Alice');
      if (created.kind !== 'created') throw new Error('expected a new identity');
      const { identity } = created;
      expect(identity.displayName).toBe('Alice');
      expect(identity.userId).toHaveLength(16);
      expect(identity.keyPair.publicKey).toHaveLength(32);
      expect(identity.createdAt).toBe(clock);
      expect(identity.rotations).toEqual([]);
      expect(identity.userId).toEqual(deriveUserId(identity.keyPair.publicKey, identity.signing.publicKey));

      const peer = await generateX25519KeyPair();
      const before = await x25519SharedSecret(identity.keyPair.privateKey, peer.publicKey);

      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.keyPair.publicKey).toEqual(identity.keyPair.publicKey);
      expect(loaded.keyPair.privateKey.backend).toBe(identity.keyPair.privateKey.backend);
      expect(loaded.userId).toEqual(identity.userId);
      expect(loaded.displayName).toBe('Alice');
      expect(loaded.createdAt).toBe(identity.createdAt);
      expect(loaded.rotations).toEqual([]);
      expect(await x25519SharedSecret(loaded.keyPair.privateKey, peer.publicKey)).toEqual(before);
      expect(await x25519SharedSecret(peer.privateKey, loaded.keyPair.publicKey)).toEqual(before);
      expect(loaded.signing.publicKey).toEqual(identity.signing.publicKey);
      expect(await signsAs(loaded, identity.signing.publicKey)).toBe(true);
    });

    it('stores the private key without its bytes (a non-extractable CryptoKey)', async () => {
      await stores.identity.create('Alice');
      const raw = (await fixture.readRawIdentity()) as IdentityRecord;
      if (raw.privateKey.backend !== 'webcrypto') throw new Error('expected the webcrypto form');
      expect(raw.privateKey.key).toBeInstanceOf(CryptoKey);
      expect(raw.privateKey.key.extractable).toBe(false);
      // The ML-DSA seed is stored wrapped under a non-extractable AES key (ml-dsa-key.test.ts).
      if (raw.signingKey.form !== 'wrapped') throw new Error('expected the wrapped signing key');
      expect(raw.signingKey.wrappingKey.extractable).toBe(false);
      expect(raw.rotations).toEqual([]);
    });

    it('reads back an identity stored with the noble fallback (raw bytes)', async () => {
      const keyPair = await generateX25519KeyPair('noble');
      const identity = { ...(await identityWith(keyPair, 'Nora', 7)), userId: randomBytes(16) };
      await fixture.writeRawIdentity(identityRecord(identity));
      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.keyPair.privateKey.backend).toBe('noble');
      // Whatever user id the record holds, the one in use is derived from the keys.
      expect(loaded.userId).toEqual(deriveUserId(keyPair.publicKey, identity.signing.publicKey));
      const peer = await generateX25519KeyPair();
      expect(await x25519SharedSecret(loaded.keyPair.privateKey, peer.publicKey)).toEqual(
        await x25519SharedSecret(keyPair.privateKey, peer.publicKey),
      );
    });

    it('never replaces an identity through create', async () => {
      const first = await stores.identity.create('Alice');
      expect(first.kind).toBe('created');
      expect(await stores.identity.create('Mallory')).toEqual({ kind: 'exists' });
      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.displayName).toBe('Alice');
      if (first.kind === 'created')
        expect(loaded.keyPair.publicKey).toEqual(first.identity.keyPair.publicKey);
    });

    it('refuses a name the handshake could not carry', async () => {
      await expect(stores.identity.create('')).rejects.toSatisfy((e: unknown) =>
        StoreError.is(e, 'BAD_ARGUMENT'),
      );
      await expect(stores.identity.create('x'.repeat(65))).rejects.toSatisfy((e: unknown) =>
        StoreError.is(e, 'BAD_ARGUMENT'),
      );
      expect(await stores.identity.load()).toEqual({ kind: 'none' });
    });

    const flip = (bytes: Uint8Array, index: number) =>
      Uint8Array.from(bytes, (b, i) => (i === index ? b ^ 1 : b));
    const damage: [string, (r: IdentityRecord, other: Spare) => unknown][] = [
      ['a missing private key', (r) => ({ ...r, privateKey: undefined })],
      ['a private key that is not a key', (r) => ({ ...r, privateKey: { backend: 'webcrypto', key: 'x' } })],
      ['an unknown key backend', (r) => ({ ...r, privateKey: { ...r.privateKey, backend: 'hsm' } })],
      ['a short public key', (r) => ({ ...r, publicKey: r.publicKey.slice(0, 31) })],
      [
        'a public key with bit 255 set',
        (r) => ({ ...r, publicKey: Uint8Array.from(r.publicKey, (b, i) => (i === 31 ? b | 0x80 : b)) }),
      ],
      ['a private key from another key pair', (r, other) => ({ ...r, privateKey: other.record.privateKey })],
      ['a missing signing key', (r) => ({ ...r, signingKey: undefined })],
      ['a missing signing public key', (r) => ({ ...r, signingPublicKey: undefined })],
      ['a short signing public key', (r) => ({ ...r, signingPublicKey: r.signingPublicKey.slice(1) })],
      [
        'another identity’s signing public key',
        (r, other) => ({ ...r, signingPublicKey: other.record.signingPublicKey }),
      ],
      ['another identity’s signing key', (r, other) => ({ ...r, signingKey: other.record.signingKey })],
      [
        'a flipped byte in the wrapped signing key',
        (r) => ({
          ...r,
          signingKey:
            r.signingKey.form === 'wrapped'
              ? { ...r.signingKey, wrapped: flip(r.signingKey.wrapped, 3) }
              : {},
        }),
      ],
      ['an unknown signing key form', (r) => ({ ...r, signingKey: { ...r.signingKey, form: 'hsm' } })],
      ['missing rotations', (r) => ({ ...r, rotations: undefined })],
      ['rotations that are not a list', (r, other) => ({ ...r, rotations: other.rotation })],
      ['a truncated rotation', (r, other) => ({ ...r, rotations: [other.rotation.slice(1)] })],
      ['a rotation that is not bytes', (r) => ({ ...r, rotations: ['rotation'] })],
      [
        'a rotation that does not lead to the identity’s keys',
        (r, other) => ({ ...r, rotations: [other.rotation] }),
      ],
      [
        'more rotations than are kept',
        (r, other) => ({
          ...r,
          rotations: Array.from({ length: MAX_KEPT_ROTATIONS + 1 }, () => other.rotation),
        }),
      ],
    ];

    it.each(damage)('reports %s as unreadable, in a sentence, and keeps it', async (_label, corrupt) => {
      await stores.identity.create('Alice');
      const good = (await fixture.readRawIdentity()) as IdentityRecord;
      const bad = corrupt(good, await getSpare());
      await fixture.writeRawIdentity(bad);

      const reopened = await reopen();
      const load = await reopened.identity.load();
      expect(load.kind).toBe('unreadable');
      if (load.kind === 'unreadable') expect(isSentence(load.reason), load.reason).toBe(true);

      // Not replaced silently: create refuses, and the record is still there as it was.
      expect(await reopened.identity.create('Alice again')).toEqual({ kind: 'exists' });
      expect(await reopened.identity.rename('Alice again')).toBe('none');
      expect((await reopened.identity.load()).kind).toBe('unreadable');
      await expect(reopened.identity.rotateKeys()).rejects.toSatisfy(
        (e: unknown) => StoreError.is(e, 'UNAVAILABLE') && isSentence(e.message),
      );
      expect(await fixture.readRawIdentity()).toEqual(bad);
    });

    it('replaces an unreadable identity only on an explicit reset', async () => {
      await stores.identity.create('Alice');
      const good = (await fixture.readRawIdentity()) as IdentityRecord;
      await fixture.writeRawIdentity({ ...good, privateKey: undefined });
      expect((await (await reopen()).identity.load()).kind).toBe('unreadable');

      const fresh = await stores.identity.resetIdentity('Alice 2');
      expect(fresh.keyPair.publicKey).not.toEqual(good.publicKey);
      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.displayName).toBe('Alice 2');
      expect(loaded.keyPair.publicKey).toEqual(fresh.keyPair.publicKey);
      expect(loaded.userId).toEqual(fresh.userId);
      expect(fresh.userId).toEqual(deriveUserId(fresh.keyPair.publicKey, fresh.signing.publicKey));
      // The unreadable record is kept aside, as it was, not overwritten.
      const aside = (await fixture.readSetAside()) as (IdentityRecord & { setAsideAt: number })[];
      expect(aside).toHaveLength(1);
      expect(aside[0]?.publicKey).toEqual(good.publicKey);
      expect(aside[0]?.privateKey).toBeUndefined();
      expect(aside[0]?.id.startsWith(SET_ASIDE_PREFIX)).toBe(true);
    });

    it('replaces a readable identity on an explicit reset', async () => {
      const first = await stores.identity.create('Alice');
      if (first.kind !== 'created') throw new Error('expected a new identity');
      const fresh = await stores.identity.resetIdentity('Alice');
      expect(fresh.keyPair.publicKey).not.toEqual(first.identity.keyPair.publicKey);
      // New keys are a new user id (derived from them); the old identity is kept aside.
      expect(fresh.userId).toEqual(deriveUserId(fresh.keyPair.publicKey, fresh.signing.publicKey));
      expect(fresh.userId).not.toEqual(first.identity.userId);
      expect(fresh.signing.publicKey).not.toEqual(first.identity.signing.publicKey);
      // A reset is no rotation: nothing links the new keys to the old ones.
      expect(fresh.rotations).toEqual([]);
      const aside = (await fixture.readSetAside()) as IdentityRecord[];
      expect(aside.map((r) => toHex(r.publicKey))).toEqual([toHex(first.identity.keyPair.publicKey)]);
      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.keyPair.publicKey).toEqual(fresh.keyPair.publicKey);
    });

    it('renames the identity and keeps the key', async () => {
      expect(await stores.identity.rename('Nobody')).toBe('none');
      const first = await stores.identity.create('Alice');
      if (first.kind !== 'created') throw new Error('expected a new identity');
      expect(await stores.identity.rename('Alicia')).toBe('renamed');
      const loaded = expectOk(await (await reopen()).identity.load());
      expect(loaded.displayName).toBe('Alicia');
      expect(loaded.keyPair.publicKey).toEqual(first.identity.keyPair.publicKey);
    });

    describe('an identity stored before ML-DSA keys (database version 3)', () => {
      async function storeLegacy(displayName = 'Vera'): Promise<StoredIdentity> {
        const identity = await identityWith(await generateX25519KeyPair(), displayName, 5);
        await fixture.writeRawIdentity(legacyRecord(identityRecord(identity)));
        return identity;
      }

      it('gets an ML-DSA key on its first load, saved, so every later load gives the same key', async () => {
        const old = await storeLegacy();
        const first = expectOk(await (await reopen()).identity.load());
        expect(first.keyPair.publicKey).toEqual(old.keyPair.publicKey);
        expect(first.displayName).toBe('Vera');
        expect(first.createdAt).toBe(5);
        expect(first.rotations).toEqual([]);
        // A new ML-DSA key, so a new user id: derived from both keys.
        expect(first.signing.publicKey).not.toEqual(old.signing.publicKey);
        expect(first.userId).toEqual(deriveUserId(first.keyPair.publicKey, first.signing.publicKey));
        const raw = (await fixture.readRawIdentity()) as IdentityRecord;
        expect(raw.signingPublicKey).toEqual(first.signing.publicKey);
        expect(raw.signingKey.form).toBe('wrapped');
        expect(raw.rotations).toEqual([]);

        const second = expectOk(await (await reopen()).identity.load());
        expect(second.signing.publicKey).toEqual(first.signing.publicKey);
        expect(second.userId).toEqual(first.userId);
        expect(await signsAs(second, first.signing.publicKey)).toBe(true);
        const peer = await generateX25519KeyPair();
        expect(await x25519SharedSecret(second.keyPair.privateKey, peer.publicKey)).toEqual(
          await x25519SharedSecret(old.keyPair.privateKey, peer.publicKey),
        );
      });

      it('gets one key when two tabs load it at once', async () => {
        await storeLegacy();
        const other = await fixture.open();
        try {
          const [a, b] = await Promise.all([(await reopen()).identity.load(), other.identity.load()]);
          expect(expectOk(a).signing.publicKey).toEqual(expectOk(b).signing.publicKey);
          expect(expectOk(a).userId).toEqual(expectOk(b).userId);
          const stored = expectOk(await (await reopen()).identity.load());
          expect(stored.signing.publicKey).toEqual(expectOk(a).signing.publicKey);
        } finally {
          other.close();
        }
      });

      it('stays as it is when its X25519 key cannot be read', async () => {
        const old = await storeLegacy();
        const bad = { ...legacyRecord(identityRecord(old)), privateKey: undefined };
        await fixture.writeRawIdentity(bad);
        expect((await (await reopen()).identity.load()).kind).toBe('unreadable');
        expect(await fixture.readRawIdentity()).toEqual(bad);
      });

      it('renames and rotates like any identity', async () => {
        await storeLegacy();
        expect(await (await reopen()).identity.rename('Vera B')).toBe('renamed');
        const renamed = expectOk(await stores.identity.load());
        expect(renamed.displayName).toBe('Vera B');
        const rotated = await stores.identity.rotateKeys();
        expect(rotated.rotations).toHaveLength(1);
        expect(await verifyKeyRotation(rotated.rotations[0]!, renamed.signing.publicKey)).toBe(true);
      });
    });

    describe('key rotation', () => {
      it('refuses without a readable identity, in a sentence', async () => {
        await expect(stores.identity.rotateKeys()).rejects.toSatisfy(
          (e: unknown) => StoreError.is(e, 'UNAVAILABLE') && isSentence(e.message),
        );
        expect(await fixture.readRawIdentity()).toBeUndefined();
      });

      it('replaces both keys, signed by the old ML-DSA key, and keeps only the old public keys aside', async () => {
        const created = await stores.identity.create('Alice');
        if (created.kind !== 'created') throw new Error('expected a new identity');
        const old = created.identity;
        const oldRecord = (await fixture.readRawIdentity()) as IdentityRecord;

        const next = await stores.identity.rotateKeys();
        expect(next.keyPair.publicKey).not.toEqual(old.keyPair.publicKey);
        expect(next.signing.publicKey).not.toEqual(old.signing.publicKey);
        expect(next.userId).toEqual(deriveUserId(next.keyPair.publicKey, next.signing.publicKey));
        expect(next.displayName).toBe('Alice');
        expect(next.createdAt).toBe(old.createdAt);
        expect(next.rotations).toHaveLength(1);
        const [rotation] = next.rotations;
        expect(rotation?.at).toBe(clock);
        expect(rotation?.old).toEqual({
          identityKey: old.keyPair.publicKey,
          signingKey: old.signing.publicKey,
        });
        expect(rotation?.next).toEqual({
          identityKey: next.keyPair.publicKey,
          signingKey: next.signing.publicKey,
        });
        expect(await verifyKeyRotation(rotation!, old.signing.publicKey)).toBe(true);
        expect(await verifyKeyRotation(rotation!, next.signing.publicKey)).toBe(false);

        const aside = (await fixture.readSetAside()) as IdentityRecord[];
        expect(aside).toHaveLength(1);
        expect(aside[0]?.publicKey).toEqual(oldRecord.publicKey);
        expect(aside[0]?.signingPublicKey).toEqual(oldRecord.signingPublicKey);
        // The old private keys are gone from storage: a rotation is what someone does when a key
        // may have been copied.
        expect(aside[0]).not.toHaveProperty('privateKey');
        expect(aside[0]).not.toHaveProperty('signingKey');

        const loaded = expectOk(await (await reopen()).identity.load());
        expect(loaded.keyPair.publicKey).toEqual(next.keyPair.publicKey);
        expect(loaded.signing.publicKey).toEqual(next.signing.publicKey);
        expect(loaded.userId).toEqual(next.userId);
        expect(loaded.rotations.map(encodeKeyRotation)).toEqual(next.rotations.map(encodeKeyRotation));
        expect(await signsAs(loaded, next.signing.publicKey)).toBe(true);
        const peer = await generateX25519KeyPair();
        expect(await x25519SharedSecret(loaded.keyPair.privateKey, peer.publicKey)).toEqual(
          await x25519SharedSecret(next.keyPair.privateKey, peer.publicKey),
        );
      });

      it('keeps the latest rotations only, newest last, each leading to the next', async () => {
        const created = await stores.identity.create('Alice');
        if (created.kind !== 'created') throw new Error('expected a new identity');
        const keys = [created.identity];
        for (let i = 0; i <= MAX_KEPT_ROTATIONS; i++) keys.push(await stores.identity.rotateKeys());
        const loaded = expectOk(await (await reopen()).identity.load());
        expect(loaded.rotations).toHaveLength(MAX_KEPT_ROTATIONS);
        for (const [i, r] of loaded.rotations.entries()) {
          const from = keys[i + 1]!; // the first rotation (from keys[0]) was dropped
          expect(r.old.signingKey).toEqual(from.signing.publicKey);
          expect(await verifyKeyRotation(r, from.signing.publicKey)).toBe(true);
        }
        expect(loaded.rotations.at(-1)?.next.identityKey).toEqual(loaded.keyPair.publicKey);
        // Every replaced record is kept aside, even several at the same millisecond.
        expect(((await fixture.readSetAside()) as IdentityRecord[]).map((r) => toHex(r.publicKey))).toEqual(
          keys.slice(0, -1).map((k) => toHex(k.keyPair.publicKey)),
        );
      });

      it('never forks the identity when two tabs rotate at once', async () => {
        const created = await stores.identity.create('Alice');
        if (created.kind !== 'created') throw new Error('expected a new identity');
        const other = await fixture.open();
        try {
          const results = await Promise.allSettled([
            stores.identity.rotateKeys(),
            other.identity.rotateKeys(),
          ]);
          const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          for (const r of results) {
            if (r.status === 'rejected') expect(StoreError.is(r.reason, 'CONFLICT')).toBe(true);
          }
          expect(done.length).toBeGreaterThanOrEqual(1);
          // Whatever the interleaving: the stored identity is the last one made, and its rotations
          // lead from the first identity to it without a branch.
          const loaded = expectOk(await (await reopen()).identity.load());
          expect(loaded.rotations).toHaveLength(done.length);
          expect(loaded.rotations[0]?.old.signingKey).toEqual(created.identity.signing.publicKey);
          expect(loaded.rotations.at(-1)?.next.signingKey).toEqual(loaded.signing.publicKey);
        } finally {
          other.close();
        }
      });
    });

    // WebKit (Safari, every iPhone browser) computes X25519 in WebCrypto but cannot clone an X25519
    // CryptoKey: structuredClone throws, and so does IndexedDB (both stores clone with the global
    // structuredClone, as fake-indexeddb does). The identity must then be stored wrapped.
    describe('where X25519 CryptoKeys cannot be cloned (WebKit)', () => {
      type WrappedRecord = Extract<IdentityRecord['privateKey'], { backend: 'wrapped' }>;

      /** structuredClone as WebKit 2.50 does it: an X25519 CryptoKey anywhere in the value fails. */
      function webkitStructuredClone<T>(value: T, options?: StructuredSerializeOptions): T {
        const holdsX25519Key = (v: unknown): boolean =>
          v instanceof CryptoKey
            ? v.algorithm.name === 'X25519'
            : typeof v === 'object' &&
              v !== null &&
              !ArrayBuffer.isView(v) &&
              Object.values(v).some(holdsX25519Key);
        if (holdsX25519Key(value)) throw new TypeError('Unable to deserialize data.');
        return realStructuredClone(value, options);
      }
      const realStructuredClone = globalThis.structuredClone;

      /** Every byte array inside a stored record, however deep. */
      function byteArrays(value: unknown): Uint8Array[] {
        if (value instanceof Uint8Array) return [value];
        if (typeof value !== 'object' || value === null || value instanceof CryptoKey) return [];
        return Object.values(value).flatMap(byteArrays);
      }

      function flipped(bytes: Uint8Array, index: number): Uint8Array {
        const copy = Uint8Array.from(bytes);
        copy[index]! ^= 1;
        return copy;
      }

      beforeEach(() => {
        vi.stubGlobal('structuredClone', webkitStructuredClone);
        return () => vi.unstubAllGlobals();
      });

      it('creates an identity, stores it wrapped and reads back the same key after a reload', async () => {
        const subtle = globalThis.crypto.subtle;
        // The extractable keys wrapKey saw: the storage probe's, then the identity's.
        const seen: CryptoKey[] = [];
        const wrapKey = subtle.wrapKey.bind(subtle);
        vi.spyOn(subtle, 'wrapKey').mockImplementation(async (format, key, ...rest) => {
          seen.push(key);
          return wrapKey(format, key, ...rest);
        });
        const created = await stores.identity.create('Alice');
        vi.restoreAllMocks();
        if (created.kind !== 'created') throw new Error('expected a new identity');
        const { identity } = created;
        // The private scalar, to look for in the stored record below.
        const scalar = new Uint8Array(await subtle.exportKey('pkcs8', seen.at(-1)!)).slice(-32);
        expect(await x25519KeyPairFromPrivate(scalar, 'noble')).toMatchObject({
          publicKey: identity.keyPair.publicKey,
        });

        const raw = (await fixture.readRawIdentity()) as IdentityRecord;
        if (raw.privateKey.backend !== 'wrapped') throw new Error('expected the wrapped form');
        expect(raw.privateKey.wrappingKey).toBeInstanceOf(CryptoKey);
        expect(raw.privateKey.wrappingKey.extractable).toBe(false);
        for (const bytes of byteArrays(raw)) expect(toHex(bytes)).not.toContain(toHex(scalar));

        const peer = await generateX25519KeyPair();
        const before = await x25519SharedSecret(identity.keyPair.privateKey, peer.publicKey);
        const loaded = expectOk(await (await reopen()).identity.load());
        expect(loaded.keyPair.publicKey).toEqual(identity.keyPair.publicKey);
        expect(loaded.userId).toEqual(identity.userId);
        expect(await x25519SharedSecret(loaded.keyPair.privateKey, peer.publicKey)).toEqual(before);

        // A rename writes the record again, still wrapped, and the key still reads back.
        expect(await stores.identity.rename('Alicia')).toBe('renamed');
        const renamed = expectOk(await (await reopen()).identity.load());
        expect(renamed.displayName).toBe('Alicia');
        expect(await x25519SharedSecret(renamed.keyPair.privateKey, peer.publicKey)).toEqual(before);
      });

      it('resets to a new wrapped identity', async () => {
        const first = await stores.identity.create('Alice');
        if (first.kind !== 'created') throw new Error('expected a new identity');
        const fresh = await stores.identity.resetIdentity('Alice');
        const loaded = expectOk(await (await reopen()).identity.load());
        expect(loaded.keyPair.publicKey).toEqual(fresh.keyPair.publicKey);
        expect(loaded.keyPair.publicKey).not.toEqual(first.identity.keyPair.publicKey);
        const raw = (await fixture.readRawIdentity()) as IdentityRecord;
        expect(raw.privateKey.backend).toBe('wrapped');
      });

      const wrappedDamage: [string, (w: WrappedRecord, other: WrappedRecord) => unknown][] = [
        ['a flipped byte in the wrapped key', (w) => ({ ...w, wrapped: flipped(w.wrapped, 7) })],
        ['a flipped byte in the iv', (w) => ({ ...w, iv: flipped(w.iv, 0) })],
        ['another key’s wrapping key', (w, other) => ({ ...w, wrappingKey: other.wrappingKey })],
        ['a truncated wrapped key', (w) => ({ ...w, wrapped: w.wrapped.slice(0, 40) })],
        ['a missing wrapping key', (w) => ({ ...w, wrappingKey: undefined })],
        ['another identity’s wrapped key', (_w, other) => other],
      ];

      it.each(wrappedDamage)('reports %s as unreadable, in a sentence', async (_label, corrupt) => {
        await stores.identity.create('Alice');
        const good = (await fixture.readRawIdentity()) as IdentityRecord;
        const other = identityRecord(await identityWith(await generateStorableX25519KeyPair('wrapped')));
        if (good.privateKey.backend !== 'wrapped' || other.privateKey.backend !== 'wrapped') {
          throw new Error('expected the wrapped form');
        }
        await fixture.writeRawIdentity({ ...good, privateKey: corrupt(good.privateKey, other.privateKey) });

        const reopened = await reopen();
        const load = await reopened.identity.load();
        expect(load.kind).toBe('unreadable');
        if (load.kind === 'unreadable') expect(isSentence(load.reason), load.reason).toBe(true);
        expect(await reopened.identity.create('Alice again')).toEqual({ kind: 'exists' });
      });
    });
  });

  describe('contacts', () => {
    it('puts, gets, finds by key and lists, most recently seen first', async () => {
      const bob = contact({ announcedName: 'Bob', lastSeen: 2000 });
      const carol = contact({ announcedName: 'Carol', lastSeen: 3000 });
      const dave = contact({ announcedName: 'Dave', lastSeen: 1000 });
      for (const c of [bob, carol, dave]) await stores.contacts.put(c);

      expect(await stores.contacts.get(bob.id)).toEqual(bob);
      expect(await stores.contacts.get('nobody')).toBeUndefined();
      expect(await stores.contacts.byKey(Uint8Array.from(carol.identityKey))).toEqual(carol);
      expect(await stores.contacts.byKey(randomBytes(32))).toBeUndefined();
      expect((await stores.contacts.list()).map((c) => c.announcedName)).toEqual(['Carol', 'Bob', 'Dave']);
      expect((await (await reopen()).contacts.list()).map((c) => c.announcedName)).toEqual([
        'Carol',
        'Bob',
        'Dave',
      ]);
    });

    it('keeps the verified flag and other updates across a reload', async () => {
      const bob = contact();
      await stores.contacts.put(bob);
      const updated: Contact = {
        ...bob,
        verified: true,
        lastSeen: 9000,
        localName: 'Bobby',
        refusedKeys: [canonicalKey()],
        reconnectPaused: { at: 5, reason: 'It looked like interception.' },
        rendezvous: { secret: randomBytes(32), offerer: false, keys: randomBytes(32) },
      };
      await stores.contacts.put(updated);
      const loaded = await (await reopen()).contacts.get(bob.id);
      expect(loaded).toEqual(updated);
      expect(await stores.contacts.list()).toHaveLength(1);
    });

    it('re-pins a contact to a new key (after an accepted key change) and clears the old key', async () => {
      const bob = contact({ verified: true });
      await stores.contacts.put(bob);
      const newKey = canonicalKey();
      await stores.contacts.put({
        ...bob,
        identityKey: newKey,
        userId: deriveUserId(newKey),
        verified: false,
      });
      expect(await stores.contacts.byKey(bob.identityKey)).toBeUndefined();
      expect((await stores.contacts.byKey(newKey))?.id).toBe(bob.id);
      expect((await stores.contacts.get(bob.id))?.verified).toBe(false);
    });

    it('keeps a pending key change across a reload, and clears it', async () => {
      const bob = contact();
      const pendingKey: PendingKey = {
        identityKey: canonicalKey(),
        evidence: 'rendezvous',
        at: 3000,
        announcedName: 'Bob',
      };
      await stores.contacts.put({ ...bob, pendingKey });
      expect((await (await reopen()).contacts.get(bob.id))?.pendingKey).toEqual(pendingKey);
      await stores.contacts.put(bob);
      expect(await (await reopen()).contacts.get(bob.id)).toEqual(bob);
      for (const bad of [
        { ...pendingKey, identityKey: randomBytes(31) },
        { ...pendingKey, evidence: 'claimed' as 'rendezvous' },
      ]) {
        await expect(stores.contacts.put({ ...bob, pendingKey: bad })).rejects.toSatisfy((e: unknown) =>
          StoreError.is(e, 'BAD_ARGUMENT'),
        );
      }
    });

    it('keeps the rendezvous kept from pairing, and refuses a malformed one', async () => {
      const bob = { ...contact(), rendezvous: { secret: randomBytes(32), offerer: true } };
      await stores.contacts.put(bob);
      expect((await (await reopen()).contacts.get(bob.id))?.rendezvous).toEqual(bob.rendezvous);
      await expect(
        stores.contacts.put({ ...bob, rendezvous: { secret: randomBytes(16), offerer: true } }),
      ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'BAD_ARGUMENT'));
    });

    it('keeps the contact’s mailboxes, and refuses malformed ones', async () => {
      const id = () => toBase64Url(randomBytes(32));
      const mailboxes = {
        own: [
          { id: id(), token: id(), createdAt: 1, claimedAt: 2, retiredAt: 3 },
          { id: id(), token: id(), createdAt: 3, claimedAt: 4 },
        ],
        peer: { id: id(), at: 5 },
      };
      const bob = { ...contact(), mailboxes };
      await stores.contacts.put(bob);
      expect((await (await reopen()).contacts.get(bob.id))?.mailboxes).toEqual(mailboxes);
      const own = mailboxes.own[1]!;
      for (const bad of [
        { own: [{ ...own, id: 'short' }] },
        { own: [{ ...own, token: `${id().slice(0, 42)}B` }] },
        { own: [{ ...own, createdAt: Number.NaN }] },
        { own: [{ ...own, retiredAt: 'yesterday' as unknown as number }] },
        { own: Array.from({ length: MAX_OWN_MAILBOXES + 1 }, () => own) },
        { own: [], peer: { id: 'x', at: 1 } },
        { own: 'none' as unknown as [] },
      ]) {
        await expect(stores.contacts.put({ ...bob, mailboxes: bad })).rejects.toSatisfy((e: unknown) =>
          StoreError.is(e, 'BAD_ARGUMENT'),
        );
      }
    });

    it('refuses a second contact with the same identity key', async () => {
      const bob = contact();
      await stores.contacts.put(bob);
      await expect(stores.contacts.put(contact({ identityKey: bob.identityKey }))).rejects.toSatisfy(
        (e: unknown) => StoreError.is(e, 'CONFLICT'),
      );
      expect(await stores.contacts.list()).toEqual([bob]);
    });

    it('refuses malformed contacts', async () => {
      const nonCanonical = canonicalKey();
      nonCanonical[31]! |= 0x80; // the same X25519 key as its canonical form, another encoding
      for (const bad of [
        contact({ identityKey: randomBytes(31) }),
        contact({ userId: randomBytes(8) }),
        contact({ userId: randomBytes(16) }), // not the one derived from the key
        { ...contact(), identityKey: nonCanonical },
        contact({ identityKey: nonCanonical, userId: randomBytes(16) }),
      ]) {
        await expect(stores.contacts.put(bad)).rejects.toSatisfy((e: unknown) =>
          StoreError.is(e, 'BAD_ARGUMENT'),
        );
      }
    });

    it('hands out copies: changing one does not change what is stored', async () => {
      const bob = contact();
      await stores.contacts.put(bob);
      const got = await stores.contacts.get(bob.id);
      got?.identityKey.fill(0);
      got?.userId.fill(0);
      const again = await stores.contacts.get(bob.id);
      expect(again?.identityKey).not.toEqual(new Uint8Array(32));
      expect(again?.userId).not.toEqual(new Uint8Array(16));
    });
  });

  describe('messages', () => {
    it('keeps a file message’s transfer, changes it in one step, and indexes the ones still moving', async () => {
      const file: StoredFile = {
        name: 'a.bin',
        mime: 'application/octet-stream',
        size: 200_000,
        chunkSize: 65_536,
        media: 'file',
        key: new Uint8Array(32).fill(1),
        root: new Uint8Array(32).fill(2),
        state: 'offered',
        have: [],
      };
      const m = message('c1', { body: '', file });
      const other = message('c2', { body: '', file: { ...file, state: 'done', have: [[0, 4]] } });
      await stores.messages.add(m);
      await stores.messages.add(other);
      await stores.messages.add(message('c1'));
      expect((await stores.messages.get('c1', m.messageId))?.file).toEqual(file);
      expect((await stores.messages.activeTransfers()).map((x) => x.contactId)).toEqual(['c1']);
      const next = await stores.messages.updateFile('c1', m.messageId, (f) => ({
        ...f,
        state: 'receiving',
        have: [[0, 2]],
      }));
      expect(next).toMatchObject({ state: 'receiving', have: [[0, 2]] });
      expect(await stores.messages.updateFile('c1', m.messageId, () => undefined)).toEqual(next);
      await expect(
        stores.messages.updateFile('c1', m.messageId, (f) => ({ ...f, have: [[2, 1]] })),
      ).rejects.toThrow(/ranges/);
      const reopened = await reopen();
      expect((await reopened.messages.get('c1', m.messageId))?.file).toEqual(next);
      expect(await reopened.messages.activeTransfers('c1')).toHaveLength(1);
      expect(await reopened.messages.activeTransfers('c2')).toHaveLength(0);
      await reopened.messages.updateFile('c1', m.messageId, (f) => ({ ...f, state: 'done', have: [[0, 4]] }));
      expect(await reopened.messages.activeTransfers()).toEqual([]);
      expect(await reopened.messages.updateFile('c1', new Uint8Array(16), (f) => f)).toBeUndefined();
    });

    it('adds once per message id and contact', async () => {
      const m = message('c1');
      expect(await stores.messages.add(m)).toBe('added');
      expect(await stores.messages.add({ ...m, body: 'changed' })).toBe('duplicate');
      expect(await stores.messages.add({ ...m, contactId: 'c2' })).toBe('added');
      expect(await stores.messages.list('c1')).toEqual([m]);
      expect(await stores.messages.list('c2')).toHaveLength(1);
      expect(await (await reopen()).messages.add(m)).toBe('duplicate');
    });

    it('lists a contact’s messages by sentAt, ties by message id', async () => {
      const id = (n: number) => Uint8Array.from({ length: 16 }, () => n);
      const added = [
        message('c1', { sentAt: 300, body: 'third' }),
        message('c1', { sentAt: 100, body: 'first' }),
        message('c2', { sentAt: 150, body: 'other contact' }),
        message('c1', { sentAt: 200, body: 'second b', messageId: id(0xbb) }),
        message('c1', { sentAt: 200, body: 'second a', messageId: id(0xaa), direction: 'in' }),
        message('c1', { sentAt: -5, body: 'before the epoch' }),
      ];
      for (const m of added) await stores.messages.add(m);
      const bodies = async (s: Stores) => (await s.messages.list('c1')).map((m) => m.body);
      const expected = ['before the epoch', 'first', 'second a', 'second b', 'third'];
      expect(await bodies(stores)).toEqual(expected);
      expect(await bodies(await reopen())).toEqual(expected);
      expect(await stores.messages.list('nobody')).toEqual([]);
      expect((await stores.messages.list('c1'))[2]?.direction).toBe('in');
    });

    it('moves state forward only and records receivedAt', async () => {
      const m = message('c1');
      await stores.messages.add(m);
      const id = Uint8Array.from(m.messageId);
      expect(await stores.messages.updateState('c1', id, 'sent')).toBe('updated');
      expect(await stores.messages.updateState('c1', id, 'sent')).toBe('unchanged');
      expect(await stores.messages.updateState('c1', id, 'delivered', 6000)).toBe('updated');
      expect(await stores.messages.updateState('c1', id, 'sent')).toBe('unchanged');
      expect(await stores.messages.updateState('c1', id, 'queued')).toBe('unchanged');
      expect(await stores.messages.updateState('c2', id, 'sent')).toBe('missing');
      expect(await stores.messages.updateState('c1', randomBytes(16), 'sent')).toBe('missing');
      const [stored] = await (await reopen()).messages.list('c1');
      expect(stored).toEqual({ ...m, state: 'delivered', receivedAt: 6000 });
    });

    it('keeps how a message went, and moves it with the state until it is delivered', async () => {
      const m = message('c1', { route: 'mailbox' });
      await stores.messages.add(m);
      expect((await (await reopen()).messages.list('c1'))[0]?.route).toBe('mailbox');
      const id = Uint8Array.from(m.messageId);
      expect(await stores.messages.updateState('c1', id, 'sent', undefined, 'direct')).toBe('updated');
      expect(await stores.messages.updateState('c1', id, 'sent', undefined, 'direct')).toBe('unchanged');
      expect(await stores.messages.updateState('c1', id, 'delivered')).toBe('updated');
      expect(await stores.messages.updateState('c1', id, 'delivered', undefined, 'mailbox')).toBe(
        'unchanged',
      );
      expect((await (await reopen()).messages.list('c1'))[0]).toMatchObject({
        state: 'delivered',
        route: 'direct',
      });
      await expect(
        stores.messages.updateState('c1', id, 'sent', undefined, 'pigeon' as 'direct'),
      ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'BAD_ARGUMENT'));
    });

    it('refuses a message id that is not 16 bytes, and other malformed fields', async () => {
      for (const bad of [
        message('c1', { route: 'pigeon' as 'direct' }),
        message('c1', { messageId: randomBytes(8) }),
        message('c1', { direction: 'sideways' as 'in' }),
        message('c1', { state: 'read' as 'sent' }),
        message('c1', { body: 42 as unknown as string }),
        message('c1', { receivedAt: Number.NaN }),
      ]) {
        await expect(stores.messages.add(bad)).rejects.toSatisfy((e: unknown) =>
          StoreError.is(e, 'BAD_ARGUMENT'),
        );
      }
      expect(await stores.messages.list('c1')).toEqual([]);
    });
  });

  describe('ratchets', () => {
    /** A ratchet state as src/protocol/ratchet.ts makes them: plain data, bytes, nested lists. */
    const state = (n: number) => ({
      version: 1,
      rootKey: new Uint8Array(32).fill(n),
      sending: { chainKey: new Uint8Array(32).fill(n + 1), n },
      skipped: [{ key: new Uint8Array(32).fill(n + 2), n: 3, at: clock }],
      peerKemKey: undefined,
    });

    function committed(result: RatchetCommitResult) {
      if (result.kind !== 'committed') throw new Error(`expected a commit, got ${JSON.stringify(result)}`);
      return result;
    }

    it('has none until one is committed', async () => {
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 0, state: undefined });
    });

    it('commits and loads back the state, one generation more each time, across a reload', async () => {
      const first = state(1);
      expect(await stores.ratchets.commit({ contactId: 'c1', expectedGeneration: 0, state: first })).toEqual({
        kind: 'committed',
        generation: 1,
        updated: [],
      });
      first.rootKey.fill(9); // the caller's object is not what is stored
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 1, state: state(1) });

      const second = state(2);
      expect(
        committed(await stores.ratchets.commit({ contactId: 'c1', expectedGeneration: 1, state: second }))
          .generation,
      ).toBe(2);
      const loaded = await (await reopen()).ratchets.load('c1');
      expect(loaded).toEqual({ generation: 2, state: second });
      (loaded.state as { rootKey: Uint8Array }).rootKey.fill(0); // nor is what load hands out
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 2, state: second });
      expect(await stores.ratchets.load('c2')).toEqual({ generation: 0, state: undefined });
    });

    it('refuses a commit from a generation that moved on: two tabs cannot fork a state', async () => {
      const other = await fixture.open();
      try {
        const [a, b] = await Promise.all([stores.ratchets.load('c1'), other.ratchets.load('c1')]);
        const results = await Promise.all([
          stores.ratchets.commit({ contactId: 'c1', expectedGeneration: a.generation, state: state(1) }),
          other.ratchets.commit({
            contactId: 'c1',
            expectedGeneration: b.generation,
            state: state(2),
            addMessage: message('c1', { direction: 'in', body: 'read by the losing tab' }),
          }),
        ]);
        expect(results.map((r) => r.kind).sort()).toEqual(['committed', 'conflict']);
        const winner = results[0].kind === 'committed' ? state(1) : state(2);
        expect(await stores.ratchets.load('c1')).toEqual({ generation: 1, state: winner });
        // The loser's message was not kept without its state (nor the reverse).
        const bodies = (await stores.messages.list('c1')).map((m) => m.body);
        expect(bodies).toEqual(results[1].kind === 'committed' ? ['read by the losing tab'] : []);

        // Stale and future generations are refused alike, and change nothing.
        for (const expectedGeneration of [0, 2, 7]) {
          expect(
            await other.ratchets.commit({ contactId: 'c1', expectedGeneration, state: state(3) }),
          ).toEqual({
            kind: 'conflict',
          });
        }
        expect(await other.ratchets.load('c1')).toEqual({ generation: 1, state: winner });
      } finally {
        other.close();
      }
    });

    it('stores a received message with the state, and still commits the state for a duplicate', async () => {
      const m = message('c1', { direction: 'in', state: 'delivered', receivedAt: 6000 });
      expect(
        await stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 0,
          state: state(1),
          addMessage: m,
        }),
      ).toEqual({ kind: 'committed', generation: 1, added: 'added', updated: [] });
      const again = await stores.ratchets.commit({
        contactId: 'c1',
        expectedGeneration: 1,
        state: state(2),
        addMessage: { ...m, body: 'a replay with another body' },
      });
      expect(again).toEqual({ kind: 'committed', generation: 2, added: 'duplicate', updated: [] });
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 2, state: state(2) });
      expect(await (await reopen()).messages.list('c1')).toEqual([m]);
    });

    it('stores several received messages with the state in one commit, each once', async () => {
      const before = message('c1', { direction: 'in', state: 'delivered', receivedAt: 5000 });
      await stores.ratchets.commit({
        contactId: 'c1',
        expectedGeneration: 0,
        state: state(1),
        addMessage: before,
      });
      const read = [1, 2, 3].map((i) =>
        message('c1', { direction: 'in', state: 'delivered', sentAt: 6000 + i, receivedAt: 7000 }),
      );
      const result = committed(
        await stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 1,
          state: state(2),
          // one stored before, one twice in the list
          addMessages: [
            read[0]!,
            { ...before, body: 'a replay' },
            read[1]!,
            read[2]!,
            { ...read[1]!, body: 'again' },
          ],
        }),
      );
      expect(result).toEqual({
        kind: 'committed',
        generation: 2,
        addedEach: ['added', 'duplicate', 'added', 'added', 'duplicate'],
        updated: [],
      });
      const stored = await (await reopen()).messages.list('c1');
      expect(stored).toHaveLength(4);
      expect(stored).toEqual(expect.arrayContaining([before, ...read]));
      for (const bad of [[message('c2')], [read[0]!, message('c1', { messageId: randomBytes(8) })], 'x']) {
        await expect(
          stores.ratchets.commit({
            contactId: 'c1',
            expectedGeneration: 2,
            state: state(3),
            addMessages: bad as never,
          }),
        ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'BAD_ARGUMENT') && isSentence(e.message));
      }
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 2, state: state(2) });
    });

    it('writes none of several received messages when one of them fails inside the transaction', async () => {
      await stores.ratchets.commit({ contactId: 'c1', expectedGeneration: 0, state: state(1) });
      const read = [1, 2, 3].map((i) =>
        message('c1', { direction: 'in', state: 'delivered', sentAt: 6000 + i }),
      );
      const stop = fixture.failMessageWrite(2);
      try {
        await expect(
          stores.ratchets.commit({
            contactId: 'c1',
            expectedGeneration: 1,
            state: state(2),
            addMessages: read,
          }),
        ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'UNAVAILABLE') && isSentence(e.message));
      } finally {
        stop();
      }
      expect((await (await reopen()).ratchets.load('c1')).generation).toBe(1);
      expect(await stores.messages.list('c1')).toEqual([]);
    });

    it('moves acknowledged and handed-over messages forward, and says which moved', async () => {
      const m1 = message('c1');
      const m2 = message('c1');
      const m3 = message('c1', { state: 'delivered' });
      for (const m of [m1, m2, m3]) await stores.messages.add(m);
      await stores.messages.add(message('c2', { messageId: m1.messageId }));
      const unknown = randomBytes(16);
      const first = committed(
        await stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 0,
          state: state(1),
          sent: [m1.messageId, m2.messageId, m3.messageId, unknown],
        }),
      );
      expect(first.added).toBeUndefined();
      expect(first.updated).toEqual([m1.messageId, m2.messageId]);
      const second = committed(
        await stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 1,
          state: state(2),
          sent: [m1.messageId],
          delivered: [m1.messageId, m1.messageId, m3.messageId, unknown],
        }),
      );
      expect(second.updated).toEqual([m1.messageId]);
      const states = async (contactId: string) =>
        (await (await reopen()).messages.list(contactId)).map((m) => [toHex(m.messageId), m.state]);
      expect(Object.fromEntries(await states('c1'))).toEqual({
        [toHex(m1.messageId)]: 'delivered',
        [toHex(m2.messageId)]: 'sent',
        [toHex(m3.messageId)]: 'delivered',
      });
      expect(await states('c2')).toEqual([[toHex(m1.messageId), 'queued']]);
    });

    it('stores the route the handed-over messages took', async () => {
      const m = message('c1');
      await stores.messages.add(m);
      committed(
        await stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 0,
          state: state(1),
          sent: [m.messageId],
          sentRoute: 'relayed',
        }),
      );
      expect((await (await reopen()).messages.list('c1'))[0]).toMatchObject({
        state: 'sent',
        route: 'relayed',
      });
      await expect(
        stores.ratchets.commit({
          contactId: 'c1',
          expectedGeneration: 1,
          state: state(2),
          sent: [m.messageId],
          sentRoute: 'pigeon' as 'direct',
        }),
      ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'BAD_ARGUMENT'));
    });

    it('refuses a malformed commit before writing anything', async () => {
      const m = message('c1');
      await stores.messages.add(m);
      await stores.ratchets.commit({ contactId: 'c1', expectedGeneration: 0, state: state(1) });
      const base = { contactId: 'c1', expectedGeneration: 1, state: state(2), sent: [m.messageId] };
      for (const bad of [
        { ...base, addMessage: message('c1', { messageId: randomBytes(8) }) },
        { ...base, addMessage: message('c1', { direction: 'up' as 'in' }) },
        { ...base, addMessage: message('c2') },
        { ...base, delivered: [randomBytes(15)] },
        { ...base, state: { ...state(2), callback: () => 1 } },
        { ...base, state: undefined },
        { ...base, expectedGeneration: -1 },
        { ...base, expectedGeneration: 1.5 },
        { ...base, contactId: '' },
      ]) {
        await expect(stores.ratchets.commit(bad)).rejects.toSatisfy(
          (e: unknown) => StoreError.is(e, 'BAD_ARGUMENT') && isSentence(e.message),
        );
      }
      expect(await stores.ratchets.load('c1')).toEqual({ generation: 1, state: state(1) });
      expect(await stores.messages.list('c1')).toEqual([m]);
    });

    it.each([
      ['storing the received message', 0],
      ['moving a message after the received one was stored', 1],
    ])('writes nothing when %s fails inside the transaction', async (_label, at) => {
      const out = message('c1');
      await stores.messages.add(out);
      const first = state(1);
      await stores.ratchets.commit({ contactId: 'c1', expectedGeneration: 0, state: first });
      const received = message('c1', { direction: 'in', state: 'delivered', body: 'hi' });
      const commit = {
        contactId: 'c1',
        expectedGeneration: 1,
        state: state(2),
        addMessage: received,
        sent: [out.messageId],
      };

      const stop = fixture.failMessageWrite(at);
      try {
        await expect(stores.ratchets.commit(commit)).rejects.toSatisfy(
          (e: unknown) => StoreError.is(e, 'UNAVAILABLE') && isSentence(e.message),
        );
      } finally {
        stop();
      }
      const loaded = await (await reopen()).ratchets.load('c1');
      expect(loaded.generation).toBe(1);
      expect((loaded.state as typeof first).rootKey).toEqual(first.rootKey);
      expect(await stores.messages.list('c1')).toEqual([out]);

      // Once storage works again, the same commit goes through whole.
      expect(committed(await stores.ratchets.commit(commit))).toMatchObject({
        generation: 2,
        added: 'added',
      });
      expect((await stores.messages.list('c1')).map((m) => m.state).sort()).toEqual(['delivered', 'sent']);
    });

    it('forgets a contact’s ratchet, and a new one starts from generation 0', async () => {
      const m = message('c1', { direction: 'in' });
      await stores.ratchets.commit({
        contactId: 'c1',
        expectedGeneration: 0,
        state: state(1),
        addMessage: m,
      });
      await stores.ratchets.commit({ contactId: 'c2', expectedGeneration: 0, state: state(5) });
      await stores.ratchets.remove('c1');
      await stores.ratchets.remove('nobody');
      const again = await reopen();
      expect(await again.ratchets.load('c1')).toEqual({ generation: 0, state: undefined });
      expect((await again.ratchets.load('c2')).generation).toBe(1);
      expect(await again.messages.list('c1')).toEqual([m]);
      // A tab still holding the forgotten ratchet's generation cannot bring it back.
      expect(
        await again.ratchets.commit({ contactId: 'c1', expectedGeneration: 1, state: state(2) }),
      ).toEqual({
        kind: 'conflict',
      });
      expect(
        committed(await again.ratchets.commit({ contactId: 'c1', expectedGeneration: 0, state: state(3) }))
          .generation,
      ).toBe(1);
    });
  });

  describe('security events', () => {
    it('keeps each contact’s events, oldest first, across a reload', async () => {
      await stores.events.add({ contactId: 'b', at: 20, kind: 'key-changed', detail: 'Their key changed.' });
      await stores.events.add({ contactId: 'a', at: 30, kind: 'mac-failed', detail: 'A frame failed.' });
      await stores.events.add({ contactId: 'b', at: 10, kind: 'paired', detail: 'Paired.' });
      const again = await reopen();
      expect((await again.events.list('b')).map((e) => e.kind)).toEqual(['paired', 'key-changed']);
      expect(await again.events.list('a')).toEqual([
        { contactId: 'a', at: 30, kind: 'mac-failed', detail: 'A frame failed.' },
      ]);
      expect(await again.events.list('c')).toEqual([]);
    });

    it('refuses an unknown kind', async () => {
      await expect(
        stores.events.add({ contactId: 'a', at: 1, kind: 'nope' as 'paired', detail: '' }),
      ).rejects.toSatisfy((e: unknown) => StoreError.is(e, 'BAD_ARGUMENT'));
    });
  });

  describe('delete everything', () => {
    it('leaves nothing behind: no identity, contacts, messages or events', async () => {
      await stores.identity.create('Alice');
      const bob = contact();
      await stores.contacts.put(bob);
      await stores.messages.add(message(bob.id));
      await stores.events.add({ contactId: bob.id, at: 1, kind: 'paired', detail: 'Paired.' });
      await stores.ratchets.commit({ contactId: bob.id, expectedGeneration: 0, state: { version: 1 } });
      await stores.destroy();
      const after = await reopen();
      expect((await after.identity.load()).kind).toBe('none');
      expect(await after.contacts.list()).toEqual([]);
      expect(await after.messages.list(bob.id)).toEqual([]);
      expect(await after.events.list(bob.id)).toEqual([]);
      expect(await after.ratchets.load(bob.id)).toEqual({ generation: 0, state: undefined });
    });
  });
});

describe('idb schema', () => {
  it('builds every store and index from an empty database', async () => {
    const factory = new IDBFactory();
    expect(await factory.databases()).toEqual([]);
    const db = await openDatabase(factory, DB_NAME);
    try {
      expect(db.version).toBe(SCHEMA_VERSION);
      expect([...db.objectStoreNames].sort()).toEqual([
        'contacts',
        'conversations',
        'events',
        'identity',
        'messages',
        'outbox',
        'ratchets',
        'usernames',
      ]);
      const ratchets = db.transaction('ratchets').store;
      expect(ratchets.keyPath).toBe('contactId');
      expect(ratchets.autoIncrement).toBe(false);
      expect([...ratchets.indexNames]).toEqual([]);
      const events = db.transaction('events').store;
      expect(events.autoIncrement).toBe(true);
      expect(events.index('byContact').keyPath).toEqual(['contactId', 'at']);
      const tx = db.transaction(['identity', 'contacts', 'messages']);
      expect(tx.objectStore('identity').keyPath).toBe('id');
      const contacts = tx.objectStore('contacts');
      expect(contacts.keyPath).toBe('id');
      expect([...contacts.indexNames]).toEqual(['byIdentityKey']);
      const byKey = contacts.index('byIdentityKey');
      expect(byKey.keyPath).toBe('identityKeyHex');
      expect(byKey.unique).toBe(true);
      const messages = tx.objectStore('messages');
      expect(messages.keyPath).toEqual(['contactId', 'messageIdHex']);
      expect([...messages.indexNames]).toEqual(['byActiveTransfer', 'byContactIncoming', 'byContactSentAt']);
      expect(messages.index('byContactSentAt').keyPath).toEqual(['contactId', 'sentAt']);
      expect(messages.index('byActiveTransfer').keyPath).toBe('transferOf');
      expect(messages.index('byContactIncoming').keyPath).toEqual(['contactId', 'direction', 'receivedAt']);
      await tx.done;
    } finally {
      db.close();
    }
  });

  it('opens an existing database without upgrading or losing data', async () => {
    const factory = new IDBFactory();
    const first = await openIdbStore({ factory });
    await first.identity.create('Alice');
    const bob = contact();
    await first.contacts.put(bob);
    first.close();
    const second = await openIdbStore({ factory });
    expect((await second.identity.load()).kind).toBe('ok');
    expect(await second.contacts.byKey(bob.identityKey)).toEqual(bob);
    second.close();
    expect(await factory.databases()).toEqual([{ name: DB_NAME, version: SCHEMA_VERSION }]);
  });

  it('upgrades a version-1 database to the current schema and keeps its data', async () => {
    const factory = new IDBFactory();
    const bob = contact();
    // A database exactly as version 1 left it, with one contact in it.
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('identity', { keyPath: 'id' });
        const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byIdentityKey', 'identityKeyHex', { unique: true });
        const messages = db.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
        messages.createIndex('byContactSentAt', ['contactId', 'sentAt']);
        contacts.put(contactRecord(bob));
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the version-1 database'));
    });
    const current = await openIdbStore({ factory });
    expect(await current.contacts.get(bob.id)).toEqual(bob);
    await current.events.add({ contactId: bob.id, at: 1, kind: 'paired', detail: 'Paired.' });
    expect(await current.events.list(bob.id)).toHaveLength(1);
    current.close();
    expect(await factory.databases()).toEqual([{ name: DB_NAME, version: SCHEMA_VERSION }]);
  });

  it('upgrades a version-2 database: user ids derived from keys, names as announced, unevidenced key changes dropped, peer times bounded', async () => {
    const factory = new IDBFactory();
    const received = clock - 5_000;
    const keyPair = await generateX25519KeyPair('noble');
    const oldSelf = {
      ...legacyRecord(identityRecord(await identityWith(keyPair, 'Alice', 1))),
      userId: randomBytes(16),
    };
    const bobKey = canonicalKey();
    const carolKey = canonicalKey();
    const carolStored = Uint8Array.from(carolKey);
    carolStored[31]! |= 0x80; // stored in v2 with bit 255 set: the same X25519 key
    const v2Contact = (id: string, key: Uint8Array, name: string, extra: object = {}) => ({
      id,
      identityKey: key,
      identityKeyHex: toHex(key),
      userId: randomBytes(16),
      name,
      verified: true,
      firstSeen: 10,
      lastSeen: 20,
      ...extra,
    });
    const rendezvous = { secret: randomBytes(32), offerer: true };
    // A database exactly as version 2 left it.
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 2);
      request.onupgradeneeded = () => {
        const db = request.result;
        const identity = db.createObjectStore('identity', { keyPath: 'id' });
        const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byIdentityKey', 'identityKeyHex', { unique: true });
        const messages = db.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
        messages.createIndex('byContactSentAt', ['contactId', 'sentAt']);
        const events = db.createObjectStore('events', { autoIncrement: true });
        events.createIndex('byContact', ['contactId', 'at']);
        identity.put(oldSelf);
        contacts.put(v2Contact('bob', bobKey, 'Bob', { pendingKey: canonicalKey(), rendezvous }));
        contacts.put(v2Contact('carol', carolStored, 'Carol'));
        const m = (id: number, direction: 'in' | 'out', sentAt: number) => ({
          contactId: 'bob',
          messageId: new Uint8Array(16).fill(id),
          messageIdHex: toHex(new Uint8Array(16).fill(id)),
          direction,
          body: `m${id}`,
          sentAt,
          ...(direction === 'in' ? { receivedAt: received } : {}),
          state: direction === 'in' ? 'delivered' : 'sent',
        });
        messages.put(m(1, 'in', Number.MAX_SAFE_INTEGER));
        messages.put(m(2, 'in', received - 1000));
        messages.put(m(3, 'out', received - 500));
        events.put({ contactId: 'bob', at: 15, kind: 'paired', detail: 'Paired.' });
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the version-2 database'));
    });

    const current = await openIdbStore({ factory, now });
    const me = expectOk(await current.identity.load());
    expect(me.keyPair.publicKey).toEqual(keyPair.publicKey);
    expect(me.userId).toEqual(deriveUserId(keyPair.publicKey, me.signing.publicKey));
    const bob = await current.contacts.get('bob');
    expect(bob).toEqual({
      id: 'bob',
      identityKey: bobKey,
      userId: deriveUserId(bobKey),
      announcedName: 'Bob',
      verified: true,
      firstSeen: 10,
      lastSeen: 20,
      rendezvous,
    });
    const carol = await current.contacts.get('carol');
    expect(carol?.identityKey).toEqual(carolKey);
    expect(carol?.userId).toEqual(deriveUserId(carolKey));
    expect(await current.contacts.byKey(carolKey)).toEqual(carol);
    const history = await current.messages.list('bob');
    expect(history.map((m) => m.body)).toEqual(['m2', 'm3', 'm1']);
    expect(history.find((m) => m.body === 'm1')?.sentAt).toBe(received + PEER_TIME_BOUND_MS);
    expect(history.find((m) => m.body === 'm2')?.sentAt).toBe(received - 1000);
    const log = await current.events.list('bob');
    expect(log.map((e) => e.kind)).toEqual(['paired', 'upgrade', 'upgrade']);
    expect(log.slice(1).every((e) => isSentence(e.detail))).toBe(true);
    // Written back in the new shape, it passes the store's own checks.
    await current.contacts.put(bob!);
    current.close();
    expect(await factory.databases()).toEqual([{ name: DB_NAME, version: SCHEMA_VERSION }]);
  });

  it('upgrades a version-3 database: everything stays, an empty ratchets store, the identity gets its ML-DSA key', async () => {
    const factory = new IDBFactory();
    const self = await identityWith(await generateX25519KeyPair(), 'Alice', 1);
    const v3Self = legacyRecord(identityRecord(self));
    const bob = contact({ announcedName: 'Bob', localName: 'Bobby', verified: true });
    const history = [
      message(bob.id, { sentAt: 100, body: 'hi', state: 'delivered' }),
      message(bob.id, { sentAt: 200, body: 'hello', direction: 'in', state: 'delivered', receivedAt: 250 }),
      message(bob.id, { sentAt: 300, body: 'still queued' }),
    ];
    const paired = { contactId: bob.id, at: 15, kind: 'paired' as const, detail: 'Paired.' };
    // A database exactly as version 3 left it.
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, 3);
      request.onupgradeneeded = () => {
        const db = request.result;
        const identity = db.createObjectStore('identity', { keyPath: 'id' });
        const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byIdentityKey', 'identityKeyHex', { unique: true });
        const messages = db.createObjectStore('messages', { keyPath: ['contactId', 'messageIdHex'] });
        messages.createIndex('byContactSentAt', ['contactId', 'sentAt']);
        const events = db.createObjectStore('events', { autoIncrement: true });
        events.createIndex('byContact', ['contactId', 'at']);
        identity.put(v3Self);
        contacts.put(contactRecord(bob));
        for (const m of history) messages.put(messageRecord(m));
        events.put(paired);
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the version-3 database'));
    });

    const current = await openIdbStore({ factory, now });
    expect(await current.contacts.get(bob.id)).toEqual(bob);
    expect(await current.contacts.byKey(bob.identityKey)).toEqual(bob);
    expect(await current.messages.list(bob.id)).toEqual(history);
    expect(await current.events.list(bob.id)).toEqual([paired]);
    expect(await current.ratchets.load(bob.id)).toEqual({ generation: 0, state: undefined });
    // The identity record is as version 3 left it until its first load, which adds the ML-DSA key.
    const db = await openDatabase(factory, DB_NAME);
    try {
      expect(await db.count('ratchets')).toBe(0);
      expect(await db.get('identity', IDENTITY_KEY)).toEqual(v3Self);
    } finally {
      db.close();
    }
    const me = expectOk(await current.identity.load());
    expect(me.keyPair.publicKey).toEqual(self.keyPair.publicKey);
    expect(me.displayName).toBe('Alice');
    expect(me.userId).toEqual(deriveUserId(self.keyPair.publicKey, me.signing.publicKey));
    current.close();
    const again = await openIdbStore({ factory, now });
    expect(expectOk(await again.identity.load()).signing.publicKey).toEqual(me.signing.publicKey);
    // Ratchets commit with the messages they protect.
    const m = message(bob.id, { direction: 'in', body: 'new' });
    expect(
      await again.ratchets.commit({
        contactId: bob.id,
        expectedGeneration: 0,
        state: { version: 1 },
        addMessage: m,
      }),
    ).toMatchObject({ kind: 'committed', generation: 1, added: 'added' });
    again.close();
    expect(await factory.databases()).toEqual([{ name: DB_NAME, version: SCHEMA_VERSION }]);
  });

  it('says so in a sentence when the database is from a newer version', async () => {
    const factory = new IDBFactory();
    await new Promise<void>((resolve, reject) => {
      const request = factory.open(DB_NAME, SCHEMA_VERSION + 1);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(new Error('could not set up the newer database'));
    });
    const opening = openIdbStore({ factory });
    await expect(opening).rejects.toSatisfy(
      (e: unknown) => StoreError.is(e, 'UNAVAILABLE') && /newer version/.test(e.message),
    );
  });

  it('says so when there is no IndexedDB at all', async () => {
    await expect(openDatabase(undefined, DB_NAME)).rejects.toSatisfy((e: unknown) =>
      StoreError.is(e, 'UNAVAILABLE'),
    );
  });
});
