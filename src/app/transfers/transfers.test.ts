import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBackend } from '../../store/memory-store';
import { createMemoryFileStorage, type MemoryFiles } from '../../store/memory-file-storage';
import type { FileStorage } from '../../store/file-storage';
import type { StoredFile } from '../../store/file-types';
import { FakeMailboxWorker } from '../mailbox-fake.test-util';
import { connect, connectedWithMailboxes, device, type Device } from '../messenger.test-util';
import { WRONG_HASHES } from './chunk-intake';

/** Bytes no two chunks of which are equal. */
function fileBytes(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function sha256(bytes: Uint8Array<ArrayBuffer> | Blob): Promise<string> {
  const data = bytes instanceof Blob ? await bytes.arrayBuffer() : bytes;
  return Buffer.from(await crypto.subtle.digest('SHA-256', data)).toString('hex');
}

async function pair(files?: { alice?: MemoryFiles; bob?: MemoryFiles }) {
  const alice = await device('Alice', new MemoryBackend(), {
    fileStorage: createMemoryFileStorage(files?.alice ? { files: files.alice } : {}),
  });
  const bob = await device('Bob', new MemoryBackend(), {
    fileStorage: createMemoryFileStorage(files?.bob ? { files: files.bob } : {}),
  });
  const first = await connect(alice, bob);
  return { alice, bob, first, a: first.ra.contact.id, b: first.rb.contact.id };
}

/** Every file event of `d`'s messenger, as [state, chunks held]. */
function progressOf(d: Device): [string, number][] {
  const seen: [string, number][] = [];
  d.messenger.on('file', (_c, _m, f: StoredFile) => {
    seen.push([f.state, f.have.reduce((n, [x, y]) => n + y - x, 0)]);
  });
  return seen;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('file transfers', () => {
  it('sends a 3 MiB file in 64 KiB chunks, accepted at once (small), and the bytes arrive whole', async () => {
    const { alice, bob, a, b } = await pair();
    const sent = fileBytes(3 * 1024 * 1024 + 123);
    const aliceProgress = progressOf(alice);
    const message = await alice.messenger.sendFile(
      a,
      new File([sent], 'notes.bin', { type: 'application/octet-stream' }),
    );
    expect(message.file).toMatchObject({ name: 'notes.bin', size: sent.length, state: 'offered' });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('done');
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    const got = await bob.messenger.fileBlob(b, message.messageId);
    expect(await sha256(got!)).toBe(await sha256(sent));
    // Progress from the receiver's acks only, never backwards, 100 % only at the end.
    const counts = aliceProgress.map(([, n]) => n);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(aliceProgress.at(-1)).toEqual(['done', 49]);
    expect(aliceProgress.slice(0, -1).every(([state]) => state !== 'done')).toBe(true);
  });

  it('completes when queued writes settle only with the flush after them (as the OPFS writer answers them)', async () => {
    // Bob's storage: a queued write's promise settles when the next flush does, never before,
    // so an intake that awaited its writes before asking for the flush would wait for ever.
    const memory = createMemoryFileStorage();
    const storage: FileStorage = {
      ...memory,
      openWritable: async (name) => {
        const file = await memory.openWritable(name);
        let queued: { done: Promise<void>; settle: () => void }[] = [];
        return {
          ...file,
          queueWrite: async (position, data) => {
            const written = file.write(position, data);
            let settle!: () => void;
            const answered = new Promise<void>((resolve) => (settle = resolve));
            queued.push({ done: written, settle });
            await answered;
            return written;
          },
          flush: async () => {
            const before = queued;
            queued = [];
            await Promise.all(before.map(async (q) => q.done));
            await file.flush();
            for (const q of before) q.settle();
          },
        };
      },
    };
    const alice = await device('Alice', new MemoryBackend(), { fileStorage: createMemoryFileStorage() });
    const bob = await device('Bob', new MemoryBackend(), { fileStorage: storage });
    const first = await connect(alice, bob);
    const [a, b] = [first.ra.contact.id, first.rb.contact.id];
    const sent = fileBytes(5 * 1024 * 1024 + 7, 5);
    // Small enough to be accepted at once: more than one flush's worth of chunks (64).
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'queued.bin' });
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('sends no chunk to an app that does not announce file-chunk.v2 (an older one), and goes on once it does', async () => {
    const alice = await device('Alice', new MemoryBackend(), { fileStorage: createMemoryFileStorage() });
    const bob = await device('Bob', new MemoryBackend(), { fileStorage: createMemoryFileStorage() });
    // Bob's app announces what apps from before MAC-only FILE_CHUNK frames did.
    const first = await connect(alice, bob, { bCapabilities: ['text.v1', 'ack.v1'] });
    const a = first.ra.contact.id;
    const b = first.rb.contact.id;
    const frames: string[] = [];
    first.ca.session.on('frame', (f) => frames.push(`${f.direction} ${f.header?.type ?? '?'} ${f.result}`));
    const sent = fileBytes(300 * 1024, 3);
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'small.bin' });
    await alice.messenger.send(a, 'a text still goes');
    await vi.waitFor(async () =>
      expect((await bob.messenger.history(b)).map((m) => m.body)).toContain('a text still goes'),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    // The offer waits in Alice's outbox (no session that carries files), so no chunk, nothing refused.
    expect(frames).toEqual(['out 1 ok', 'in 1 ok']); // the text and Bob's ack of it
    expect(first.ca.session.state).toBe('open');
    expect(await bob.stores.messages.get(b, message.messageId)).toBeUndefined();
    expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('offered');

    // Bob's app is updated: the next session carries the file.
    first.pair.a.close();
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('done');
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('asks before a large file, continues after the connection drops, and ends equal', async () => {
    const aliceFiles: MemoryFiles = new Map();
    const bobFiles: MemoryFiles = new Map();
    const { alice, bob, a, b, first } = await pair({ alice: aliceFiles, bob: bobFiles });
    const sent = fileBytes(20 * 1024 * 1024, 7);
    const progress = progressOf(alice);
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'big.bin' });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('offered');
    });
    await bob.messenger.acceptFile(b, message.messageId);
    // Part of it arrives, then the connection drops.
    await vi.waitFor(async () => {
      const have = (await bob.stores.messages.get(b, message.messageId))?.file?.have ?? [];
      expect(have.reduce((n, [x, y]) => n + y - x, 0)).toBeGreaterThan(16);
    }, 20_000);
    first.pair.a.close();
    const held = (await bob.stores.messages.get(b, message.messageId))!.file!;
    expect(held.state).toBe('receiving');
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 30_000);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
    const counts = progress.map(([, n]) => n);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    expect(counts.at(-1)).toBe(320);
  });

  it('refuses a chunk changed on the way and fetches it again', async () => {
    const { alice, bob, a, b } = await pair();
    const sent = fileBytes(2 * 1024 * 1024, 3);
    const encrypt = crypto.subtle.encrypt.bind(crypto.subtle);
    const label = new TextEncoder().encode('SecMsg/0.1 file chunk');
    let tampered = 0;
    vi.spyOn(crypto.subtle, 'encrypt').mockImplementation(async (algorithm, key, data) => {
      const out = await encrypt(algorithm, key, data);
      const ad = (algorithm as AesGcmParams).additionalData;
      const adBytes =
        ad && new Uint8Array(ad instanceof ArrayBuffer ? ad : (ad as Uint8Array).buffer.slice(0));
      const isChunk = adBytes && label.every((x, i) => adBytes[i] === x);
      if (isChunk && tampered < 2) {
        tampered++;
        new Uint8Array(out)[10]! ^= 1;
      }
      return out;
    });
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'x.bin' });
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    expect(tampered).toBe(2);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
    const log = await bob.messenger.securityLog(b);
    expect(log.filter((e) => e.detail.includes('file chunk')).length).toBe(2);
  });

  it('fails with a sentence when the hash list is wrong, and offers nothing as complete', async () => {
    const bobFiles: MemoryFiles = new Map();
    const { alice, bob, a, b } = await pair({ bob: bobFiles });
    const sent = fileBytes(1024 * 1024, 5);
    const digest = crypto.subtle.digest.bind(crypto.subtle);
    let leaves = 0;
    // The sender's fifth leaf hash comes out wrong: its root describes another file.
    vi.spyOn(crypto.subtle, 'digest').mockImplementation(async (algorithm, data) => {
      const out = await digest(algorithm, data);
      if ((data as ArrayBufferView).byteLength === 64 * 1024 + 1 && ++leaves === 5)
        new Uint8Array(out)[0]! ^= 1;
      return out;
    });
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'y.bin' });
    vi.restoreAllMocks();
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file).toMatchObject({
        state: 'failed',
        error: WRONG_HASHES,
      });
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('failed');
    }, 20_000);
    expect(await bob.messenger.fileBlob(b, message.messageId)).toBeUndefined();
    expect([...bobFiles.keys()]).toEqual([]);
    expect((await alice.stores.messages.get(a, message.messageId))?.file?.error).toMatch(/could not verify/);
  });

  it('cancels from the receiver: both sides stop and remove the bytes', async () => {
    const aliceFiles: MemoryFiles = new Map();
    const bobFiles: MemoryFiles = new Map();
    const { alice, bob, a, b } = await pair({ alice: aliceFiles, bob: bobFiles });
    const message = await alice.messenger.sendFile(a, new Blob([fileBytes(40 * 1024 * 1024, 9)]), {
      name: 'z.bin',
    });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('offered');
    });
    await bob.messenger.acceptFile(b, message.messageId);
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.have.length).toBe(1);
    }, 20_000);
    await bob.messenger.cancelFile(b, message.messageId);
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file).toMatchObject({
        state: 'cancelled',
        cancelledBy: 'them',
      });
    }, 20_000);
    expect((await bob.stores.messages.get(b, message.messageId))?.file).toMatchObject({
      state: 'cancelled',
      cancelledBy: 'me',
    });
    await vi.waitFor(() => {
      expect([...bobFiles.keys()]).toEqual([]);
      expect([...aliceFiles.keys()]).toEqual([]);
    });
  });

  it('sends a small file whole inside its offer', async () => {
    const { alice, bob, a, b } = await pair();
    const sent = fileBytes(100 * 1024, 11);
    const message = await alice.messenger.sendFile(a, new File([sent], 'small.bin'));
    expect(message.file?.inline?.length).toBe(sent.length);
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('done');
    });
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('removes stored bytes no message needs when transfers load (a deleted conversation)', async () => {
    const aliceFiles: MemoryFiles = new Map();
    const { alice, a } = await pair({ alice: aliceFiles });
    const message = await alice.messenger.sendFile(a, new Blob([fileBytes(400 * 1024, 13)]), {
      name: 'k.bin',
    });
    expect([...aliceFiles.keys()].length).toBe(2); // the copy and its leaf hashes
    await alice.messenger.deleteConversation(a);
    expect(await alice.stores.messages.get(a, message.messageId)).toBeUndefined();
    // The next start of the app (a new messenger over the same stores and files) sweeps them.
    const again = await device('Alice', alice.backend, {
      fileStorage: createMemoryFileStorage({ files: aliceFiles }),
    });
    await again.messenger.storageEstimate();
    await again.messenger.fileBlob(a, message.messageId); // loads the transfers, which sweep
    await vi.waitFor(() => expect([...aliceFiles.keys()]).toEqual([]));
  });

  it('stops a transfer on both sides when its message is deleted', async () => {
    const bobFiles: MemoryFiles = new Map();
    const { alice, bob, a, b } = await pair({ bob: bobFiles });
    const message = await alice.messenger.sendFile(a, new Blob([fileBytes(40 * 1024 * 1024, 17)]), {
      name: 'gone.bin',
    });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('offered');
    });
    await bob.messenger.acceptFile(b, message.messageId);
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.have.length).toBe(1);
    }, 20_000);
    await bob.messenger.deleteForMe(b, message.messageId);
    expect(await bob.stores.messages.get(b, message.messageId)).toBeUndefined();
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file).toMatchObject({
        state: 'cancelled',
        cancelledBy: 'them',
      });
      expect([...bobFiles.keys()]).toEqual([]);
    }, 20_000);
  });

  it('goes on after the sender’s page reloads, from its own stored copy', async () => {
    const aliceFiles: MemoryFiles = new Map();
    const { alice, bob, a, b, first } = await pair({ alice: aliceFiles });
    const sent = fileBytes(24 * 1024 * 1024, 19);
    const message = await alice.messenger.sendFile(a, new Blob([sent]), { name: 'reload.bin' });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('offered');
    });
    await bob.messenger.acceptFile(b, message.messageId);
    await vi.waitFor(async () => {
      const have = (await bob.stores.messages.get(b, message.messageId))?.file?.have ?? [];
      expect(have.reduce((n, [x, y]) => n + y - x, 0)).toBeGreaterThan(16);
    }, 20_000);
    // Alice's page goes away: a new messenger over the same storage, nothing in memory.
    first.pair.a.close();
    alice.messenger.dispose();
    const again = await device('Alice', alice.backend, {
      fileStorage: createMemoryFileStorage({ files: aliceFiles }),
    });
    await connect(again, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () => {
      expect((await again.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 30_000);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('sends a small photo through the mailbox while the other is away, whole', async () => {
    const worker = new FakeMailboxWorker();
    const { alice, bob, a, b } = await connectedWithMailboxes(worker);
    await alice.messenger.disconnect(a);
    await vi.waitFor(() => expect(bob.messenger.live(b)?.state).toBe('closed'));
    const sent = fileBytes(150 * 1024, 23);
    const message = await alice.messenger.sendFile(a, new File([sent], 'note.bin'));
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.route).toBe('mailbox');
    });
    await bob.messenger.checkMailboxes();
    const got = await bob.stores.messages.get(b, message.messageId);
    expect(got?.file).toMatchObject({ state: 'done', name: 'note.bin' });
    expect(got?.route).toBe('mailbox');
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('sends a large file’s offer through the mailbox; its chunks wait for both to be online', async () => {
    const worker = new FakeMailboxWorker();
    const { alice, bob, a, b } = await connectedWithMailboxes(worker);
    await alice.messenger.disconnect(a);
    await vi.waitFor(() => expect(bob.messenger.live(b)?.state).toBe('closed'));
    const sent = fileBytes(2 * 1024 * 1024, 29);
    const message = await alice.messenger.sendFile(a, new File([sent], 'later.bin'));
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.route).toBe('mailbox');
    });
    await bob.messenger.checkMailboxes();
    expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('offered');
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () => {
      expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    expect(await sha256((await bob.messenger.fileBlob(b, message.messageId))!)).toBe(await sha256(sent));
  });

  it('tells a sender that missed the last ack that the file is all here, when its chunks come again', async () => {
    const { alice, bob, a, b, first } = await pair();
    const message = await alice.messenger.sendFile(a, new Blob([fileBytes(3 * 1024 * 1024, 31)]), {
      name: 'twice.bin',
    });
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file?.state).toBe('done');
    }, 20_000);
    // As if the last ack had gone on a session that closed: Alice still thinks Bob lacks the end.
    first.pair.a.close();
    await alice.stores.messages.updateFile(a, message.messageId, (f) => ({
      ...f,
      state: 'sending',
      have: [[0, 40]],
    }));
    await connect(alice, bob, { via: { kind: 'rendezvous', a, b } });
    await vi.waitFor(async () => {
      expect((await alice.stores.messages.get(a, message.messageId))?.file).toMatchObject({
        state: 'done',
        have: [[0, 48]],
      });
    }, 20_000);
    expect((await bob.stores.messages.get(b, message.messageId))?.file?.state).toBe('done');
  });
});
