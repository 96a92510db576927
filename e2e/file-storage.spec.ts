/**
 * Where received files live: the OPFS file storage (src/store/opfs-file-storage.ts and its writer
 * worker) in Chromium, through a test page (e2e-pages/file-storage.html) that this spec builds with
 * the project's vite.config.ts and serves on a port of its own (e2e/test-pages.ts), so the worker
 * is bundled as in the app. Flushed writes survive a reload; read() gives the disk's bytes; a
 * download through saveFile has them too; queued writes are answered by the flush after them;
 * writing 20 MiB keeps the page's heap flat; readers (openReadable) read it back into buffers that
 * go to the worker and back, two at once, and end when the file is removed.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium';
import { serveTestPages, type TestPages } from './test-pages';

const KiB = 1024;
const MiB = 1024 * KiB;
const PIECE = 64 * KiB;

let pages: TestPages | undefined;
let pageUrl = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  pages = await serveTestPages();
  pageUrl = pages.url('file-storage');
});

test.afterAll(async () => {
  await pages?.close();
});

/** The bytes the page makes for a piece (e2e-pages/file-storage-page.ts): byte i is (7·i + seed) mod 256. */
function pieceBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (7 * i + seed) & 0xff;
  return out;
}

function sha256(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
}

async function load(page: Page): Promise<void> {
  await page.goto(pageUrl);
  await page.waitForFunction(() => 'fileStorage' in window);
}

/**
 * A browser with a profile on disk: a test's usual context is off the record, where Chromium
 * keeps the OPFS in memory, and what matters here is the disk.
 */
async function onDisk(run: (context: BrowserContext) => Promise<void>): Promise<void> {
  const profile = await mkdtemp(join(tmpdir(), 'secmsg-file-storage-'));
  const context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  try {
    await run(context);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

test('flushed pieces written out of order survive a reload and a crash; read, download, list and remove', async () => {
  await onDisk(async (context) => {
    let page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await load(page);
    expect(await page.evaluate(async () => window.fileStorage.open('resume'))).toBe(0);
    // Three 64 KiB pieces, last first; each buffer goes to the worker without a copy.
    for (const [index, seed] of [
      [2, 12],
      [0, 10],
      [1, 11],
    ] as const) {
      const moved = await page.evaluate(async ([at, s, n]) => window.fileStorage.write('resume', at, n, s), [
        index * PIECE,
        seed,
        PIECE,
      ] as const);
      expect(moved).toBe(true);
    }
    await page.evaluate(async () => window.fileStorage.flush('resume'));
    expect(await page.evaluate(async () => window.fileStorage.openAgain('resume'))).toBe(
      'FAILED: This file is already being written, here or in another tab.',
    );
    const three = [pieceBytes(PIECE, 10), pieceBytes(PIECE, 11), pieceBytes(PIECE, 12)];
    // Read while the writer is still open, then reload without closing it.
    expect(await page.evaluate(async () => window.fileStorage.read('resume'))).toEqual({
      size: 3 * PIECE,
      sha256: sha256(...three),
      isFile: true,
    });
    await page.reload();
    await page.waitForFunction(() => 'fileStorage' in window);

    // The reloaded page's worker opens the file (the old page's lock went with it) and finds it
    // intact; one more piece, flushed, then the page's process crashes.
    expect(await page.evaluate(async () => window.fileStorage.open('resume'))).toBe(3 * PIECE);
    const moved = await page.evaluate(async ([at, n]) => window.fileStorage.write('resume', at, n, 13), [
      3 * PIECE,
      PIECE,
    ] as const);
    expect(moved).toBe(true);
    await page.evaluate(async () => window.fileStorage.flush('resume'));
    const crashed = page.waitForEvent('crash');
    const cdp = await context.newCDPSession(page);
    void cdp.send('Page.crash').catch(() => undefined);
    await crashed;
    await page.close();

    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await load(page);
    expect(await page.evaluate(async () => window.fileStorage.open('resume'))).toBe(4 * PIECE);
    await page.evaluate(async () => window.fileStorage.close('resume'));
    const want = sha256(...three, pieceBytes(PIECE, 13));
    expect(await page.evaluate(async () => window.fileStorage.read('resume'))).toEqual({
      size: 4 * PIECE,
      sha256: want,
      isFile: true,
    });

    const download = page.waitForEvent('download');
    await page.evaluate(async () => window.fileStorage.save('resume', 'resume.bin'));
    const saved = await download;
    expect(saved.suggestedFilename()).toBe('resume.bin');
    expect(sha256(await readFile(await saved.path()))).toBe(want);

    await page.evaluate(async () => {
      await window.fileStorage.open('other');
      await window.fileStorage.close('other');
    });
    expect(await page.evaluate(async () => window.fileStorage.list())).toEqual(['other', 'resume']);
    await page.evaluate(async () => window.fileStorage.remove('resume'));
    expect(await page.evaluate(async () => window.fileStorage.read('resume'))).toBeUndefined();
    expect(await page.evaluate(async () => window.fileStorage.list())).toEqual(['other']);
    const estimate = await page.evaluate(async () => window.fileStorage.estimate());
    expect(estimate?.quota).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});

test('queued writes are answered by the flush after them, and land', async () => {
  await onDisk(async (context) => {
    const page = await context.newPage();
    await load(page);
    await page.evaluate(async () => window.fileStorage.open('queued'));
    const total = 2 * MiB + 123;
    expect(
      await page.evaluate(async ([t, p]) => window.fileStorage.queued('queued', t, p), [
        total,
        PIECE,
      ] as const),
    ).toBe(true);
    await page.evaluate(async () => window.fileStorage.close('queued'));
    const pieces = Array.from({ length: Math.ceil(total / PIECE) }, (_, i) =>
      pieceBytes(Math.min(PIECE, total - i * PIECE), i),
    );
    expect(await page.evaluate(async () => window.fileStorage.read('queued'))).toEqual({
      size: total,
      sha256: sha256(...pieces),
      isFile: true,
    });
  });
});

test('readers read a stored file back in blocks into one buffer, two at once, and end with its removal', async () => {
  await onDisk(async (context) => {
    const page = await context.newPage();
    await load(page);
    await page.evaluate(async () => window.fileStorage.open('copy'));
    const total = 3 * MiB + 777;
    await page.evaluate(async ([t, p]) => window.fileStorage.bulk('copy', t, p), [total, PIECE] as const);
    await page.evaluate(async () => window.fileStorage.close('copy'));
    const pieces = Array.from({ length: Math.ceil(total / PIECE) }, (_, i) =>
      pieceBytes(Math.min(PIECE, total - i * PIECE), i),
    );
    expect(await page.evaluate(async () => window.fileStorage.readBlocks('copy', 1024 * 1024))).toEqual({
      size: total,
      sha256: sha256(...pieces),
      sameBuffer: true,
      secondReader: true,
      blobWhileOpen: true,
      missingIsUndefined: true,
    });
    expect(await page.evaluate(async () => window.fileStorage.removeWhileReading('copy'))).toBe(
      'FAILED: This file was closed, or removed, while it was being read.',
    );
    expect(await page.evaluate(async () => window.fileStorage.list())).toEqual([]);
  });
});

test('20 MiB written in 64 KiB pieces keeps the page heap flat', async () => {
  await onDisk(async (context) => {
    const page = await context.newPage();
    await load(page);
    await page.evaluate(async () => window.fileStorage.open('bulk'));
    const cdp = await context.newCDPSession(page);
    // JS heap plus ArrayBuffer backing stores (backingStorageSize, where Chromium reports it).
    const heap = async () => {
      const usage = (await cdp.send('Runtime.getHeapUsage')) as {
        usedSize: number;
        backingStorageSize?: number;
      };
      return usage.usedSize + (usage.backingStorageSize ?? 0);
    };
    await cdp.send('HeapProfiler.collectGarbage');
    const before = await heap();
    let peak = before;
    let writing = true;
    const sampling = (async () => {
      while (writing) {
        peak = Math.max(peak, await heap());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const total = 20 * MiB;
    const moved = await page
      .evaluate(async ([t, p]) => window.fileStorage.bulk('bulk', t, p), [total, PIECE] as const)
      .finally(() => (writing = false));
    await sampling;
    peak = Math.max(peak, await heap());
    expect(moved).toBe(true);
    expect(peak - before, `heap grew from ${before} to ${peak} bytes`).toBeLessThan(16 * MiB);

    await page.evaluate(async () => window.fileStorage.close('bulk'));
    const pieces = Array.from({ length: total / PIECE }, (_, i) => pieceBytes(PIECE, i));
    expect(await page.evaluate(async () => window.fileStorage.read('bulk'))).toEqual({
      size: total,
      sha256: sha256(...pieces),
      isFile: true,
    });
    await page.evaluate(async () => window.fileStorage.remove('bulk'));
  });
});
