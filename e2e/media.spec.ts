/**
 * src/app/media in real Chromium: a photo's thumbnail and mailbox-size copy (small JPEGs of the
 * right shape, upright, without the photo's GPS), a video's thumbnail, and a voice note recorded
 * from Chromium's fake microphone that plays back.
 *
 * The page (e2e/fixtures/media-page.ts) is bundled here with Vite (no config file: these modules
 * need no plugin) and served through page.route() on http://127.0.0.1:9450, a secure context for
 * getUserMedia with no server listening. The browser is this spec's own, launched with Chromium's
 * fake media flags.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { hasGpsTag } from '../src/app/media/exif';
import { CHROMIUM_ARGS, chromiumLaunchOptions } from './chromium';
import { ensureFixtures, PHOTO_GPS, PHOTO_STORED } from './fixtures/make-fixtures';

const ORIGIN = 'http://127.0.0.1:9450';
let browser: Browser | undefined;
let script = '';
let photo: Buffer;

/** The harness as one ES module. */
async function bundle(): Promise<string> {
  const out = await build({
    configFile: false,
    root: fileURLToPath(new URL('..', import.meta.url)),
    logLevel: 'warn',
    build: {
      write: false,
      target: 'es2022',
      minify: false,
      lib: { entry: fileURLToPath(new URL('fixtures/media-page.ts', import.meta.url)), formats: ['es'] },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk' && o.isEntry);
  if (chunk?.type !== 'chunk') throw new Error('Vite built no entry chunk for the media page');
  return chunk.code;
}

test.beforeAll(async () => {
  test.setTimeout(60_000);
  await ensureFixtures();
  photo = await readFile(PHOTO_GPS);
  script = await bundle();
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
  await browser?.close();
});

async function open(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ permissions: ['microphone'] });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/media.js') return route.fulfill({ contentType: 'text/javascript', body: script });
    if (path === '/photo-gps.jpg') return route.fulfill({ contentType: 'image/jpeg', body: photo });
    if (path === '/') {
      return route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>media</title><script type="module" src="/media.js"></script>',
      });
    }
    return route.fulfill({ status: 404 });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => 'mediaHarness' in window);
  return { page, errors };
}

test('a photo with GPS gives a small upright thumbnail and mailbox copy, neither with GPS', async () => {
  expect(hasGpsTag(photo), 'the fixture has a GPS tag').toBe(true);
  const { page, errors } = await open();
  // Orientation 6: the 1600×1200 pixels show as 1200×1600.
  const shown = { width: PHOTO_STORED.height, height: PHOTO_STORED.width };

  const thumbnail = await page.evaluate(async () => window.mediaHarness.thumbnail('/photo-gps.jpg'));
  expect(thumbnail).toMatchObject({ isJpeg: true, hasGps: false, ...shown, madeWidth: 240, madeHeight: 320 });
  expect(thumbnail!.bytes).toBeLessThanOrEqual(24 * 1024);

  const compressed = await page.evaluate(async () => window.mediaHarness.compressed('/photo-gps.jpg'));
  expect(compressed).toMatchObject({ isJpeg: true, hasGps: false, ...shown });
  expect(compressed!.bytes).toBeLessThanOrEqual(192 * 1024);
  expect(Math.max(compressed!.madeWidth, compressed!.madeHeight)).toBeLessThanOrEqual(2048);
  expect(compressed!.madeWidth / compressed!.madeHeight).toBeCloseTo(shown.width / shown.height, 2);

  const video = await page.evaluate(async () => window.mediaHarness.videoThumbnail());
  expect(video).toMatchObject({ isJpeg: true, width: 640, height: 360, madeWidth: 320, madeHeight: 180 });
  expect(video!.bytes).toBeLessThanOrEqual(24 * 1024);

  expect(await page.evaluate(async () => window.mediaHarness.notAPicture())).toBe(true);
  expect(errors).toEqual([]);
});

test('a voice note recorded from the fake microphone plays back', async () => {
  const { page, errors } = await open();
  const note = await page.evaluate(async () => window.mediaHarness.voice(1000));
  expect(note.mime).toBe('audio/webm;codecs=opus');
  expect(note.canPlay).toBe(true);
  expect(note.elementDuration).toBeGreaterThan(0);
  expect(note.durationMs).toBeGreaterThanOrEqual(1000);
  expect(note.durationMs).toBeLessThan(3000);
  expect(note.decodedSeconds).toBeGreaterThan(0.5);
  expect(note.decodedSeconds).toBeLessThan(3);
  expect(note.bytes).toBeGreaterThan(1000);
  expect(note.peak, 'the fake microphone tone is in the recording').toBeGreaterThan(0.05);
  expect(errors).toEqual([]);
});
