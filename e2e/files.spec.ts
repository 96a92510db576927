/**
 * Files between Alice and Bob (issue 14), in real Chromium over a real DataChannel:
 *
 * - a 50 MiB file while the connection is torn down three times and Bob's page reloads once: the
 *   saved file's SHA-256 equals the original's, Alice's progress (from Bob's acks) never goes
 *   backwards, and she sees it sent only once Bob has all of it;
 * - a chunk changed inside its frame (e2e/faults.ts: the per-file layer, so the frame's MAC holds)
 *   is refused and fetched again; a wrong hash list (Alice's root describes another file) fails on
 *   both sides with a sentence, and nothing is offered to save;
 * - a photo with a GPS tag: Bob sees the thumbnail, then the photo, and the bytes he saves have no
 *   location; a voice note recorded from Chromium's fake microphone plays on Bob's side.
 *
 * This spec launches its own Chromium, with the fake microphone and autoplay allowed.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGpsTag } from '../src/app/media/exif';
import { WRONG_HASHES } from '../src/app/transfers/chunk-intake';
import { CHROMIUM_ARGS, chromiumLaunchOptions } from './chromium';
import { corruptLeafHash, faultFlag, setFault, tamperFileChunks } from './faults';
import { ensureFixtures, PHOTO_GPS } from './fixtures/make-fixtures';
import { pairedAliceAndBob } from './paired';
import { openChat, type Person } from './people';

const MiB = 1024 * 1024;
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), 'secmsg-files-'));

test.beforeAll(async () => {
  browser = await chromium.launch({
    ...chromiumLaunchOptions(),
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

test.afterAll(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function writeRandom(name: string, size: number): { path: string; hash: string } {
  const path = join(dir, name);
  const bytes = randomBytes(size);
  writeFileSync(path, bytes);
  return { path, hash: sha256(bytes) };
}

async function attach(page: Page, path: string): Promise<void> {
  await page.getByLabel('Choose a file to send').setInputFiles(path);
}

/** Saves the file from Bob's chat and returns its bytes. */
async function save(page: Page, name: string): Promise<Buffer> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: `Save ${name}` }).click(),
  ]);
  return readFileSync(await download.path());
}

/** Closes every RTCPeerConnection of the page (e2e/people.ts records them): the DataChannel drops. */
async function tearDown(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) pc.close();
  });
}

/**
 * The receiver's progress, in bytes, as its bubble shows it: the progress bar's value while the
 * file moves, the whole size once it is all here (the bar is gone then), 0 before either.
 */
async function shown(page: Page, name: string, size: number): Promise<number> {
  return page.evaluate(
    ([label, whole]) => {
      const bar = document.querySelector<HTMLProgressElement>(`progress[aria-label="${label}"]`);
      if (bar) return bar.value;
      return document.querySelector('.file-message[data-transfer="done"]') ? whole : 0;
    },
    [`Transfer of ${name}`, size] as const,
  );
}

/** Records, every 50 ms, the value of the progress bar of `name` and whether the file shows as sent. */
async function watchProgress(page: Page, name: string): Promise<void> {
  await page.evaluate((label) => {
    const seen: [number, boolean][] = [];
    (window as unknown as { __progress: [number, boolean][] }).__progress = seen;
    setInterval(() => {
      // The file's bubble: its progress bar while it moves, its transfer state throughout.
      const bar = document.querySelector<HTMLProgressElement>(`progress[aria-label="${label}"]`);
      const file =
        bar?.closest('.file-message') ?? document.querySelector('.file-message[data-media="file"]');
      const sent = file?.getAttribute('data-transfer') === 'done';
      if (bar || sent) seen.push([bar ? bar.value : -1, sent]);
    }, 50);
  }, `Transfer of ${name}`);
}

async function close(...people: Person[]): Promise<void> {
  await Promise.all(people.map(async (p) => p.context.close()));
}

test('a 50 MiB file arrives whole through three dropped connections and a reload of the receiver', async () => {
  test.setTimeout(240_000);
  const { alice, bob } = await pairedAliceAndBob(browser);
  const size = 50 * MiB;
  const { path, hash } = writeRandom('big.bin', size);
  const connections = async (): Promise<number> =>
    alice.page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length);
  const before = await connections();
  await watchProgress(alice.page, 'big.bin');
  await attach(alice.page, path);
  // Bob is asked first (a large file), and sees its size and the free space.
  await expect(bob.page.getByText(/^50\.0 MiB · .+ free on this device$/)).toBeVisible({ timeout: 30_000 });
  await bob.page.getByRole('button', { name: 'Accept big.bin' }).click();

  // Each drop hits a connection made after the drop before it, so the transfer has to go on over
  // every one of them (two drops a moment apart would otherwise both hit the first, as when the
  // shown progress passes two marks on one ack).
  const connectedSince = async (n: number): Promise<boolean> =>
    alice.page.evaluate(
      (from) =>
        (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
          .slice(from)
          .some((pc) => pc.connectionState === 'connected'),
      n,
    );
  let last = before;
  for (const [i, fraction] of [0.15, 0.35, 0.55, 0.75].entries()) {
    if (i > 0) await expect.poll(async () => connectedSince(last), { timeout: 60_000 }).toBe(true);
    last = await connections();
    await expect
      .poll(async () => shown(bob.page, 'big.bin', size), { timeout: 60_000 })
      .toBeGreaterThan(fraction * size);
    if (i === 2) {
      await bob.page.reload(); // the receiver's page goes away mid-file
      await openChat(bob.page, 'Alice');
    } else {
      await tearDown(i % 2 === 0 ? alice.page : bob.page);
    }
  }
  await expect(bob.page.getByRole('button', { name: 'Save big.bin' })).toBeVisible({ timeout: 120_000 });
  await expect(alice.page.locator('.file-message[data-transfer="done"]')).toBeVisible({ timeout: 30_000 });

  const progress = await alice.page.evaluate(
    () => (window as unknown as { __progress: [number, boolean][] }).__progress,
  );
  const values = progress.filter(([v]) => v >= 0).map(([v]) => v);
  expect(values.length).toBeGreaterThan(5);
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
  // Never "Sent" while a bar still showed less than the whole file; done at the end.
  expect(progress.some(([v, sent]) => sent && v >= 0 && v < size)).toBe(false);
  expect(progress.at(-1)?.[1]).toBe(true);
  expect(sha256(await save(bob.page, 'big.bin'))).toBe(hash);
  // The drops were real: Alice's page (never reloaded) connected again after each of the first three.
  expect(await connections()).toBeGreaterThanOrEqual(before + 3);
  await close(alice, bob);
});

test('a changed chunk is refused and fetched again; a wrong hash list fails with a sentence', async () => {
  test.setTimeout(150_000);
  const { alice, bob } = await pairedAliceAndBob(browser);
  await alice.context.addInitScript(tamperFileChunks);
  await alice.context.addInitScript(corruptLeafHash);
  await alice.page.reload();
  await openChat(alice.page, 'Bob');

  await setFault(alice.page, 'e2e.tamperChunks', 2);
  const tampered = writeRandom('tampered.bin', 2 * MiB);
  await attach(alice.page, tampered.path);
  await expect(bob.page.getByRole('button', { name: 'Save tampered.bin' })).toBeVisible({ timeout: 60_000 });
  expect(await faultFlag(alice.page, 'e2e.tamperChunks')).toBe('0'); // both changed chunks went out
  expect(sha256(await save(bob.page, 'tampered.bin'))).toBe(tampered.hash);

  await setFault(alice.page, 'e2e.wrongLeaf', 3);
  const wrong = writeRandom('wrong.bin', MiB);
  await attach(alice.page, wrong.path);
  await expect(bob.page.getByText(WRONG_HASHES)).toBeVisible({ timeout: 60_000 });
  await expect(alice.page.getByText(/could not verify this file/)).toBeVisible({ timeout: 30_000 });
  await expect(bob.page.getByRole('button', { name: 'Save wrong.bin' })).toHaveCount(0);
  await close(alice, bob);
});

test('a photo shows as a thumbnail and then whole, without its location; a voice note plays', async () => {
  test.setTimeout(150_000);
  await ensureFixtures();
  const original = readFileSync(PHOTO_GPS);
  expect(hasGpsTag(original)).toBe(true);
  const { alice, bob } = await pairedAliceAndBob(browser);
  await alice.context.grantPermissions(['microphone']);
  // Every photo image Bob's page loads, by its natural width: the thumbnail, then the photo.
  await bob.page.evaluate(() => {
    const widths: number[] = [];
    (window as unknown as { __widths: number[] }).__widths = widths;
    document.addEventListener(
      'load',
      (e) => {
        const img = e.target;
        if (img instanceof HTMLImageElement && img.alt.startsWith('Photo: ')) widths.push(img.naturalWidth);
      },
      true,
    );
  });
  await attach(alice.page, PHOTO_GPS);
  const photo = bob.page.getByRole('img', { name: 'Photo: photo-gps.jpg' });
  await expect(photo).toBeVisible({ timeout: 60_000 });
  await expect(bob.page.getByRole('button', { name: 'Save photo-gps.jpg' })).toBeVisible({ timeout: 60_000 });
  // The thumbnail (at most 320 px) and then the photo itself (1200 px wide, upright) loaded.
  const widths = async (): Promise<number[]> =>
    bob.page.evaluate(() => (window as unknown as { __widths: number[] }).__widths);
  await expect.poll(async () => Math.max(0, ...(await widths()))).toBeGreaterThanOrEqual(1200);
  expect(Math.min(...(await widths()))).toBeLessThanOrEqual(320);
  const received = await save(bob.page, 'photo-gps.jpg');
  expect(received.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  expect(hasGpsTag(received)).toBe(false);

  await alice.page.getByRole('button', { name: 'Record a voice note' }).click();
  await expect(alice.page.getByRole('button', { name: 'Stop and send the voice note' })).toBeVisible();
  await alice.page.waitForTimeout(1_500); // a voice note of about a second and a half
  await alice.page.getByRole('button', { name: 'Stop and send the voice note' }).click();
  const audio = bob.page.locator('audio[aria-label^="Voice note, 0:0"]');
  await expect(audio).toHaveCount(1, { timeout: 60_000 });
  const played = await audio.evaluate(async (el) => {
    const a = el as HTMLAudioElement;
    await a.play();
    const start = performance.now();
    while (a.currentTime < 0.3 && performance.now() - start < 10_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return a.currentTime;
  });
  expect(played).toBeGreaterThanOrEqual(0.3);
  await close(alice, bob);
});
