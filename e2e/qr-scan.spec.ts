/**
 * QR scanning in real Chromium with the app's QrScanner (e2e-pages/qr-scan.html): from a fake
 * camera that shows a QR code (e2e/fake-camera.ts) and from photos chosen in the file input.
 * Decoding is jsQR's, on the page: these tests also check that nothing is fetched from anywhere
 * but the page's own origin while scanning, and that the camera is off after a scan.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import QRCode from 'qrcode';
import { crc32, deflateSync } from 'node:zlib';
import type { QrScanHarness } from '../e2e-pages/qr-scan-page';
import { qrSymbol, renderQrLuma, type LumaImage } from '../src/ui/qr/render-pixels';
import { launchWithFakeCamera } from './fake-camera';
import { serveTestPages, type TestPages } from './test-pages';

declare global {
  interface Window {
    qrScanHarness: QrScanHarness;
  }
}

/** Shaped like a worker invite link on a long app URL: 150 characters. */
const INVITE =
  'https://secmsg.example.org/pair/index.html?from=qr-pages#join=1.q3Vb9xK2mR7tY5wE1zN8pA.' +
  'fH4jL6sD0gQ2vB9nC3xM7kZ1rT5yU8iO4pW6eA2sF0h-_ZyXwVuTsRqPoNmLkJi';
/** 74 bytes shaped like the safety-number code (protobuf version 2, then two 32-byte hashes). */
const SAFETY_CODE = Uint8Array.from({ length: 74 }, (_, i) =>
  i < 2 ? [0x08, 0x02][i]! : (i * 151 + 7) & 0xff,
);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const NO_QR_SENTENCE = 'No QR code was found in that photo. Try a sharper, closer picture.';

let pages: TestPages | undefined;
let pageUrl = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  pages = await serveTestPages();
  pageUrl = pages.url('qr-scan');
});

test.afterAll(async () => {
  await pages?.close();
});

/** Every URL the page requests, to check that none leaves its origin. */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

function expectSameOrigin(urls: string[]) {
  const origin = new URL(pageUrl).origin;
  const foreign = urls.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin);
  expect(foreign, 'requests to other origins').toEqual([]);
  expect(urls.length).toBeGreaterThan(0);
}

async function open(page: Page, query = ''): Promise<void> {
  await page.goto(pageUrl + query);
  await page.waitForFunction(() => 'qrScanHarness' in window);
}

function results(page: Page) {
  return page.getByRole('list', { name: 'Results' }).getByRole('listitem');
}

/** An 8-bit greyscale PNG (the smallest honest encoder: one IDAT, filter 0 on every row). */
function greyPng({ data, width, height }: LumaImage): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const chunk = (type: string, body: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const out = Buffer.alloc(typed.length + 8);
    out.writeUInt32BE(body.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), typed.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), compression, filter and interlace all 0
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A big "photo": a grey gradient with noise, and (optionally) a QR code somewhere in it. */
function photo(width: number, height: number, text?: string): Buffer {
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) % 25;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data[y * width + x] = 90 + Math.round((100 * (x + y)) / (width + height)) + noise();
  }
  if (text !== undefined) {
    const code = renderQrLuma(qrSymbol(text, 'M'), { moduleSize: 12, margin: 4, light: 235, dark: 30 });
    const left = Math.round(width * 0.55);
    const top = Math.round(height * 0.3);
    for (let y = 0; y < code.height; y++) {
      data.set(code.data.subarray(y * code.width, (y + 1) * code.width), (top + y) * width + left);
    }
  }
  return greyPng({ data, width, height });
}

test.describe('with a fake camera showing an invite link', () => {
  let browser: Browser | undefined;

  test.beforeAll(async () => {
    browser = await launchWithFakeCamera(INVITE);
  });

  test.afterAll(async () => {
    await browser?.close();
  });

  test('the link is as long as a real invite', () => {
    expect(INVITE).toHaveLength(150);
  });

  test('scanning reads the link exactly, with jsQR, fetching nothing elsewhere, and turns the camera off', async () => {
    const context = await browser!.newContext({ permissions: ['camera'] });
    const page = await context.newPage();
    const urls = recordRequests(page);
    await open(page);

    // This Chromium (Linux) has no BarcodeDetector, which is why the app decodes with jsQR. If a
    // build ever has one, the scanner must still not use it: a detector that throws proves that.
    const hasBarcodeDetector = await page.evaluate(() => 'BarcodeDetector' in window);
    if (hasBarcodeDetector) {
      await page.evaluate(() => {
        Object.defineProperty(window, 'BarcodeDetector', {
          value: class {
            constructor() {
              throw new Error('BarcodeDetector must not be used');
            }
          },
        });
      });
    } else {
      expect(hasBarcodeDetector).toBe(false);
    }

    const group = page.getByRole('group', { name: 'Scan a QR code' });
    await group.getByRole('button', { name: 'Scan with camera' }).click();
    await expect(results(page)).toHaveText([INVITE], { timeout: 15_000 });
    await expect(group.getByRole('status')).toHaveText('QR code read.');
    expect(await page.evaluate(() => window.qrScanHarness.sources)).toEqual(['camera']);
    await expect(page.getByLabel('Camera preview')).toHaveCount(0);
    await expect(group.getByRole('button', { name: 'Scan with camera' })).toBeVisible();
    expect(await page.evaluate(() => window.qrScanHarness.streams())).toBe(1);
    expect(await page.evaluate(() => window.qrScanHarness.liveTracks())).toBe(0);
    expect(await page.evaluate(() => window.qrScanHarness.results)).toEqual([INVITE]);
    expect(await page.evaluate(() => window.qrScanHarness.cspViolations)).toEqual([]);
    expectSameOrigin(urls);
    await context.close();
  });

  test('a code that `accept` refuses is skipped, and Stop camera turns the camera off', async () => {
    const context = await browser!.newContext({ permissions: ['camera'] });
    const page = await context.newPage();
    await open(page, '?prefix=secmsg%3A');
    const group = page.getByRole('group', { name: 'Scan a QR code' });
    await group.getByRole('button', { name: 'Scan with camera' }).click();
    await expect(group.getByRole('status')).toHaveText('Point the camera at the QR code.');
    await expect(group.getByRole('button', { name: 'Stop camera' })).toBeFocused();
    const preview = page.getByLabel('Camera preview');
    await expect(preview).toBeVisible();
    expect(
      await preview.evaluate((v: HTMLVideoElement) => ({ muted: v.muted, inline: v.playsInline })),
    ).toEqual({
      muted: true,
      inline: true,
    });
    // Two seconds is ~16 frames, each showing a readable code that the filter refuses.
    await page.waitForTimeout(2_000);
    await expect(results(page)).toHaveCount(0);
    expect(await page.evaluate(() => window.qrScanHarness.liveTracks())).toBe(1);
    await group.getByRole('button', { name: 'Stop camera' }).click();
    await expect(group.getByRole('status')).toHaveText('Camera off.');
    await expect(group.getByRole('button', { name: 'Scan with camera' })).toBeFocused();
    expect(await page.evaluate(() => window.qrScanHarness.liveTracks())).toBe(0);
    await context.close();
  });
});

test.describe('with a fake camera showing a binary code', () => {
  test('its 74 bytes reach onBytes exactly (the safety-number code is binary)', async () => {
    const browser = await launchWithFakeCamera(SAFETY_CODE);
    try {
      const context = await browser.newContext({ permissions: ['camera'] });
      const page = await context.newPage();
      await open(page);
      await page.getByRole('button', { name: 'Scan with camera' }).click();
      await expect(results(page)).toHaveText(['(74 bytes that are not text)'], { timeout: 15_000 });
      expect(await page.evaluate(() => window.qrScanHarness.bytes)).toEqual([hex(SAFETY_CODE)]);
      expect(await page.evaluate(() => window.qrScanHarness.results)).toEqual(['']);
    } finally {
      await browser.close();
    }
  });
});

test('a camera that cannot be opened is reported as a sentence', async ({ page }) => {
  // The default test browser has no fake camera: getUserMedia fails, and the person reads why.
  await open(page);
  const group = page.getByRole('group', { name: 'Scan a QR code' });
  await group.getByRole('button', { name: 'Scan with camera' }).click();
  await expect(group.getByRole('alert')).toHaveText(
    /^(No camera was found on this device\.|The camera is blocked for this site\.)/,
  );
  await expect(page.getByLabel('Camera preview')).toHaveCount(0);
  await expect(group.getByRole('button', { name: 'Scan with camera' })).toBeVisible();
});

test.describe('photos', () => {
  test('a PNG of a QR code yields its text', async ({ page }) => {
    const urls = recordRequests(page);
    await open(page);
    const png = await QRCode.toBuffer(INVITE, {
      type: 'png',
      errorCorrectionLevel: 'M',
      margin: 4,
      scale: 6,
    });
    await page.getByLabel('Choose a photo of a QR code').setInputFiles({
      name: 'invite.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await expect(results(page)).toHaveText([INVITE]);
    await expect(page.getByRole('status')).toHaveText('QR code read from the picture.');
    expect(await page.evaluate(() => window.qrScanHarness.sources)).toEqual(['photo']);
    await expect(page.getByRole('alert')).toHaveCount(0);
    expect(await page.evaluate(() => window.qrScanHarness.cspViolations)).toEqual([]);
    expectSameOrigin(urls);
    // The policy is really in force: an inline script is refused (so the empty list above means something).
    await page.evaluate(() =>
      document.head.append(Object.assign(document.createElement('script'), { text: '1' })),
    );
    await expect
      .poll(async () => page.evaluate(() => window.qrScanHarness.cspViolations))
      .toEqual([expect.stringMatching(/^script-src/)]);
  });

  test('a PNG of a binary code yields its bytes', async ({ page }) => {
    await open(page);
    const png = await QRCode.toBuffer([{ data: SAFETY_CODE, mode: 'byte' }], { type: 'png', scale: 5 });
    await page.getByLabel('Choose a photo of a QR code').setInputFiles({
      name: 'safety.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await expect(page.getByRole('status')).toHaveText('QR code read from the picture.');
    expect(await page.evaluate(() => window.qrScanHarness.bytes)).toEqual([hex(SAFETY_CODE)]);
  });

  test('a big photo with a small, low-contrast QR code in a corner is shrunk and read', async ({ page }) => {
    await open(page);
    await page.getByLabel('Choose a photo of a QR code').setInputFiles({
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: photo(4000, 3000, INVITE),
    });
    await expect(results(page)).toHaveText([INVITE], { timeout: 15_000 });
  });

  test('a photo without a QR code shows the sentence as an alert', async ({ page }) => {
    const urls = recordRequests(page);
    await open(page);
    await page.getByLabel('Choose a photo of a QR code').setInputFiles({
      name: 'no-qr.png',
      mimeType: 'image/png',
      buffer: photo(1600, 1200),
    });
    await expect(page.getByRole('alert')).toHaveText(NO_QR_SENTENCE, { timeout: 15_000 });
    await expect(results(page)).toHaveCount(0);
    expectSameOrigin(urls);
  });

  test('a file that is not a picture, and a code that `accept` refuses, are explained', async ({ page }) => {
    await open(page, '?prefix=secmsg%3A');
    const input = page.getByLabel('Choose a photo of a QR code');
    await input.setInputFiles({
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not a picture'),
    });
    await expect(page.getByRole('alert')).toHaveText(
      'That file could not be opened as a picture. Choose a photo (for example PNG or JPEG).',
    );
    const png = await QRCode.toBuffer(INVITE, { type: 'png', errorCorrectionLevel: 'M', scale: 4 });
    await input.setInputFiles({ name: 'invite.png', mimeType: 'image/png', buffer: png });
    await expect(page.getByRole('alert')).toHaveText(/^That QR code is not one SecMsg can use here\./);
    await expect(results(page)).toHaveCount(0);
  });
});
