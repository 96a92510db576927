/**
 * The file storage contract, run against the in-memory storage (memory-file-storage.ts). The OPFS
 * storage needs a browser: e2e/file-storage.spec.ts runs the same kinds of checks on it in Chromium.
 */
import { describe, expect, it } from 'vitest';
import {
  FILE_STORAGE_MESSAGES,
  FileStorageError,
  type FileStorage,
  toFileStorageError,
} from './file-storage';
import { type MemoryFiles, createMemoryFileStorage } from './memory-file-storage';

const KiB = 1024;

/** `length` bytes, each its index plus `seed` (mod 256), so misplaced bytes show. */
function bytes(length: number, seed = 0): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i + seed) & 0xff);
}

async function contents(storage: FileStorage, name: string): Promise<Uint8Array | undefined> {
  const blob = await storage.read(name);
  return blob ? new Uint8Array(await blob.arrayBuffer()) : undefined;
}

interface Fixture {
  /** Opens the storage over the same files, as a page load would. */
  open(): FileStorage;
}

function contract(label: string, makeFixture: () => Fixture): void {
  describe(`${label} file storage`, () => {
    it('creates a missing file empty, and lists it', async () => {
      const storage = makeFixture().open();
      expect(await storage.read('a')).toBeUndefined();
      const file = await storage.openWritable('a');
      expect(await file.size()).toBe(0);
      await file.close();
      expect(await storage.list()).toEqual(['a']);
      expect(await contents(storage, 'a')).toEqual(new Uint8Array(0));
    });

    it('writes pieces at any position, out of order, with zeros in gaps', async () => {
      const storage = makeFixture().open();
      const file = await storage.openWritable('out-of-order');
      await file.write(2 * KiB, bytes(KiB, 2));
      await file.write(0, bytes(KiB, 0));
      await file.write(4 * KiB, bytes(KiB, 4));
      expect(await file.size()).toBe(5 * KiB);
      await file.close();
      const want = new Uint8Array(5 * KiB);
      want.set(bytes(KiB, 0), 0);
      want.set(bytes(KiB, 2), 2 * KiB);
      want.set(bytes(KiB, 4), 4 * KiB);
      expect(await contents(storage, 'out-of-order')).toEqual(want);
    });

    it('keeps what was flushed for a writer opened after a reload', async () => {
      const fixture = makeFixture();
      const before = fixture.open();
      const file = await before.openWritable('resume');
      await file.write(KiB, bytes(KiB, 1));
      await file.write(0, bytes(KiB, 0));
      await file.flush();
      await file.close();
      const after = fixture.open();
      const again = await after.openWritable('resume');
      expect(await again.size()).toBe(2 * KiB);
      await again.write(2 * KiB, bytes(KiB, 2));
      await again.close();
      const want = new Uint8Array(3 * KiB);
      want.set(bytes(KiB, 0), 0);
      want.set(bytes(KiB, 1), KiB);
      want.set(bytes(KiB, 2), 2 * KiB);
      expect(await contents(after, 'resume')).toEqual(want);
    });

    it('truncates to a smaller size and extends with zeros', async () => {
      const storage = makeFixture().open();
      const file = await storage.openWritable('cut');
      await file.write(0, bytes(100));
      await file.truncate(40);
      expect(await file.size()).toBe(40);
      await file.truncate(60);
      await file.close();
      const want = new Uint8Array(60);
      want.set(bytes(40));
      expect(await contents(storage, 'cut')).toEqual(want);
    });

    it('allows one writer a name at a time, and another after close', async () => {
      const storage = makeFixture().open();
      const first = await storage.openWritable('one');
      const second = storage.openWritable('one');
      await expect(second).rejects.toSatisfy((e) => FileStorageError.is(e, 'FAILED'));
      const other = await storage.openWritable('two');
      await other.close();
      await first.close();
      const third = await storage.openWritable('one');
      await third.close();
    });

    it('refuses a writer used after close, and closing twice is harmless', async () => {
      const storage = makeFixture().open();
      const file = await storage.openWritable('closed');
      await file.close();
      await file.close();
      await expect(file.write(0, bytes(1))).rejects.toSatisfy((e) => FileStorageError.is(e, 'FAILED'));
      await expect(file.size()).rejects.toSatisfy((e) => FileStorageError.is(e, 'FAILED'));
    });

    it('reads a file that is still being written, with every write made before', async () => {
      const storage = makeFixture().open();
      const file = await storage.openWritable('growing');
      await file.write(0, bytes(KiB));
      expect(await contents(storage, 'growing')).toEqual(bytes(KiB));
      await file.close();
    });

    it('removes a file, ending its writer; removing a missing file is fine', async () => {
      const storage = makeFixture().open();
      const kept = await storage.openWritable('kept');
      await kept.close();
      const file = await storage.openWritable('gone');
      await file.write(0, bytes(10));
      await storage.remove('gone');
      await storage.remove('never-there');
      expect(await storage.read('gone')).toBeUndefined();
      expect(await storage.list()).toEqual(['kept']);
      await expect(file.write(0, bytes(1))).rejects.toSatisfy((e) => FileStorageError.is(e, 'FAILED'));
      // The name is free again.
      const again = await storage.openWritable('gone');
      expect(await again.size()).toBe(0);
      await again.close();
    });

    it('refuses malformed names and offsets with a RangeError', async () => {
      const storage = makeFixture().open();
      for (const name of ['', 'a/b', '../x', 'a.b', 'x'.repeat(81), 'é'])
        await expect(storage.openWritable(name)).rejects.toBeInstanceOf(RangeError);
      await expect(storage.read('a b')).rejects.toBeInstanceOf(RangeError);
      await expect(storage.remove('.')).rejects.toBeInstanceOf(RangeError);
      const file = await storage.openWritable('x'.repeat(80));
      for (const position of [-1, 0.5, Number.NaN, 2 ** 53])
        await expect(file.write(position, bytes(1))).rejects.toBeInstanceOf(RangeError);
      await expect(file.truncate(-1)).rejects.toBeInstanceOf(RangeError);
      await file.close();
    });

    it('readers read into the buffer they are given, two at once, and end when closed or removed', async () => {
      const storage = makeFixture().open();
      const file = await storage.openWritable('readable');
      await file.write(0, bytes(5 * KiB, 3));
      await file.close();
      expect(await storage.openReadable('missing')).toBeUndefined();
      const [first, second] = await Promise.all([
        storage.openReadable('readable'),
        storage.openReadable('readable'),
      ]);
      expect(first?.size).toBe(5 * KiB);
      let buffer = new Uint8Array(2 * KiB);
      const got: number[][] = [];
      for (let at = 0; at <= 5 * KiB; at += 2 * KiB) {
        const given = buffer;
        const piece = await first!.read(at, given);
        expect(given.byteLength).toBe(0); // given over, as to the OPFS worker
        expect(piece.buffer.byteLength).toBe(2 * KiB); // the same memory, back
        got.push([...piece]);
        buffer = new Uint8Array(piece.buffer);
      }
      expect(got.map((g) => g.length)).toEqual([2 * KiB, 2 * KiB, KiB]);
      expect(Uint8Array.from(got.flat())).toEqual(bytes(5 * KiB, 3));
      expect(await first!.read(5 * KiB, buffer)).toHaveLength(0);
      expect([...(await second!.read(KiB, new Uint8Array(4)))]).toEqual([...bytes(4, KiB + 3)]);
      await first!.close();
      const closed = await first!.read(0, new Uint8Array(4)).catch((e: unknown) => e);
      expect(closed).toMatchObject({ code: 'FAILED', message: FILE_STORAGE_MESSAGES.READ_CLOSED });
      await storage.remove('readable');
      const removed = await second!.read(0, new Uint8Array(4)).catch((e: unknown) => e);
      expect(removed).toMatchObject({ code: 'FAILED', message: FILE_STORAGE_MESSAGES.READ_CLOSED });
    });
  });
}

contract('memory', () => {
  const files: MemoryFiles = new Map();
  return { open: () => createMemoryFileStorage({ files }) };
});

describe('memory file storage', () => {
  it('refuses a write past its quota with QUOTA, and estimates usage', async () => {
    const storage = createMemoryFileStorage({ quota: 3 * KiB });
    const file = await storage.openWritable('big');
    await file.write(0, bytes(2 * KiB));
    expect(await storage.estimate()).toEqual({ usage: 2 * KiB, quota: 3 * KiB });
    const refused = file.write(2 * KiB, bytes(2 * KiB));
    await expect(refused).rejects.toSatisfy((e) => FileStorageError.is(e, 'QUOTA'));
    await expect(refused).rejects.toThrow(
      'This device is out of storage space: free some space, then try again.',
    );
    // Nothing of the refused write was kept.
    expect(await file.size()).toBe(2 * KiB);
    await file.close();
  });

  it('takes a written buffer, as the OPFS storage does', async () => {
    const storage = createMemoryFileStorage();
    const file = await storage.openWritable('taken');
    const data = bytes(8);
    await file.write(0, data);
    expect(data.byteLength).toBe(0);
    expect(await contents(storage, 'taken')).toEqual(bytes(8));
    await file.close();
  });

  it('says nothing of usage without a quota', async () => {
    expect(await createMemoryFileStorage().estimate()).toBeUndefined();
  });

  it('hands out a snapshot that later writes do not change', async () => {
    const storage = createMemoryFileStorage();
    const file = await storage.openWritable('snap');
    await file.write(0, bytes(4));
    const blob = await storage.read('snap');
    await file.write(0, bytes(4, 9));
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(bytes(4));
    await file.close();
  });
});

describe('toFileStorageError', () => {
  const dom = (name: string) => Object.assign(new Error('from the platform'), { name });

  it('maps the platform errors to codes with sentences, keeping the original as the cause', () => {
    const quota = toFileStorageError(dom('QuotaExceededError'));
    expect([quota.code, quota.message]).toEqual([
      'QUOTA',
      'This device is out of storage space: free some space, then try again.',
    ]);
    expect(quota.cause).toBeInstanceOf(Error);
    expect(toFileStorageError(dom('SecurityError')).code).toBe('UNAVAILABLE');
    expect(toFileStorageError(dom('NoModificationAllowedError')).message).toBe(
      'This file is already being written, here or in another tab.',
    );
    expect(toFileStorageError(dom('InvalidStateError')).code).toBe('FAILED');
    expect(toFileStorageError('a string').code).toBe('FAILED');
    const own = new FileStorageError('QUOTA', 'x');
    expect(toFileStorageError(own)).toBe(own);
  });
});
