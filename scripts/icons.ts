/**
 * Renders every app icon from the one source, public/icon.svg, with the Chromium the tests use (no
 * extra image library, nothing downloaded). The PNGs are committed; run this again after editing
 * the SVG:
 *
 *   tsx scripts/icons.ts
 *
 * Variants, all derived from the SVG in the page's DOM:
 *  - "any": the SVG as drawn (rounded square, transparent corners): 192 and 512 px, favicon.ico.
 *  - "full-bleed": the background square fills the canvas (no rounded corners, no transparency),
 *    the glyph scaled about the centre. The maskable icon uses 80 % so the glyph stays inside the
 *    safe zone (the middle circle of 40 % radius, W3C "Maskable icons"); the apple-touch-icon uses
 *    100 % (iOS rounds the corners itself and fills transparency with black).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

interface IconSpec {
  file: string;
  size: number;
  /** undefined: the SVG as drawn; a number: full-bleed background, glyph at this scale. */
  glyphScale?: number;
}

/** The files the manifest and index.html name (sizes checked by e2e/pwa.spec.ts). */
const ICONS: readonly IconSpec[] = [
  { file: 'icons/icon-192.png', size: 192 },
  { file: 'icons/icon-512.png', size: 512 },
  { file: 'icons/maskable-512.png', size: 512, glyphScale: 0.8 },
  { file: 'icons/apple-touch-icon-180.png', size: 180, glyphScale: 1 },
];
const FAVICON_SIZES = [16, 32, 48];

async function render(page: Page, svg: string, size: number, glyphScale?: number): Promise<Buffer> {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<!doctype html><html><body></body></html>`);
  await page.evaluate(
    ({ svg, size, glyphScale }) => {
      document.body.style.margin = '0';
      document.body.innerHTML = svg;
      const el = document.querySelector('svg');
      if (!el) throw new Error('icon.svg has no <svg> element');
      el.setAttribute('width', String(size));
      el.setAttribute('height', String(size));
      el.style.display = 'block';
      if (glyphScale !== undefined) {
        const bg = el.querySelector('#background');
        const glyph = el.querySelector('#glyph');
        if (!bg || !glyph) throw new Error('icon.svg needs #background and #glyph');
        bg.setAttribute('rx', '0');
        glyph.setAttribute('transform', `translate(256 256) scale(${glyphScale}) translate(-256 -256)`);
      }
    },
    { svg, size, ...(glyphScale !== undefined ? { glyphScale } : {}) },
  );
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

/** An .ico holding PNG images (supported by every browser since Windows Vista's format change). */
function ico(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e); // width (0 means 256)
    header.writeUInt8(size >= 256 ? 0 : size, e + 1); // height
    header.writeUInt8(0, e + 2); // palette colours
    header.writeUInt8(0, e + 3); // reserved
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

async function main(): Promise<void> {
  const svg = await readFile(`${publicDir}icon.svg`, 'utf8');
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const icon of ICONS) {
      await writeFile(`${publicDir}${icon.file}`, await render(page, svg, icon.size, icon.glyphScale));
      console.log(`wrote public/${icon.file} (${icon.size}x${icon.size})`);
    }
    const favicons = [];
    for (const size of FAVICON_SIZES) favicons.push({ size, png: await render(page, svg, size) });
    await writeFile(`${publicDir}favicon.ico`, ico(favicons));
    console.log(`wrote public/favicon.ico (${FAVICON_SIZES.join(', ')} px)`);
  } finally {
    await browser.close();
  }
}

await main();
