/**
 * A fake camera that shows a QR code, for browser tests of scanning. Chromium reads the picture
 * from a Y4M file (YUV4MPEG2, 4:2:0) given at launch, loops it, and hands it to getUserMedia:
 *
 *   --use-fake-device-for-media-stream --use-fake-ui-for-media-stream
 *   --use-file-for-fake-video-capture=<file>
 *
 * These are launch flags, so a test that scans launches its own browser (`launchWithFakeCamera`)
 * and grants the 'camera' permission on its context.
 */
import { chromium, type Browser } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAMERA_MAX_SIDE } from '../src/ui/qr/camera';
import { qrSymbol, renderQrLuma, type QrErrorCorrection } from '../src/ui/qr/render-pixels';
import { CHROMIUM_ARGS, chromiumLaunchOptions } from './chromium';

export interface FakeCameraOptions {
  /**
   * Frame size; by default the smallest of 640×360, 960×540, 1280×720, 1920×1080 that fits. Keep
   * it 16:9: the scanner asks for 1280×720, and Chromium crops a bigger 4:3 file to that.
   */
  width?: number;
  height?: number;
  /** Identical frames in the file (default 10; Chromium loops them). */
  frames?: number;
  framesPerSecond?: number;
  /** Default 'M'. */
  errorCorrectionLevel?: QrErrorCorrection;
  /** Pixels a module; by default the largest that fits 90% of the shorter side. */
  moduleSize?: number;
}

export interface FakeCameraFile {
  path: string;
  width: number;
  height: number;
  moduleSize: number;
  /** The QR version (1–40) of the code shown. */
  version: number;
}

const SIZES: ReadonlyArray<readonly [number, number]> = [
  [640, 360],
  [960, 540],
  [1280, 720],
  [1920, 1080],
];
const MARGIN = 4;

/**
 * Whether jsQR reliably reads modules of `moduleSize` px from a frame that the scanner shrinks by
 * `scale`: 3 px when decoded as is; after a fractional shrink, 4 px (at 3 px and 3.3 px it misses
 * most codes: measured with jsQR 1.4 on pictures drawn by render-pixels.ts).
 */
function readable(moduleSize: number, scale: number): boolean {
  return scale === 1 ? moduleSize >= 3 : moduleSize * scale >= 4;
}

/**
 * Writes a Y4M video of the QR code of `content` (text, or bytes as one byte segment such as the
 * safety-number code) to `path`: black on white, with a quiet zone of 4 modules.
 */
export async function writeFakeCameraFile(
  content: string | Uint8Array,
  path: string,
  options: FakeCameraOptions = {},
): Promise<FakeCameraFile> {
  const symbol = qrSymbol(content, options.errorCorrectionLevel ?? 'M');
  const modules = symbol.size + 2 * MARGIN;
  const fit = (w: number, h: number) => options.moduleSize ?? Math.floor((0.9 * Math.min(w, h)) / modules);
  const scale = (w: number, h: number) => Math.min(1, CAMERA_MAX_SIDE / Math.max(w, h));
  let size: readonly [number, number] | undefined;
  if (options.width !== undefined || options.height !== undefined) {
    size = [options.width ?? 640, options.height ?? 360];
  } else {
    size = SIZES.find(([w, h]) => readable(fit(w, h), scale(w, h)));
  }
  if (!size) throw new RangeError(`a ${symbol.size}-module QR code is too big for the fake camera`);
  const [width, height] = size;
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError('width and height must be even (4:2:0)');
  const moduleSize = fit(width, height);
  // Full-range luma (C420jpeg): 0 is black, 255 white; chroma 128 is grey.
  const luma = renderQrLuma(symbol, { moduleSize, margin: MARGIN, width, height });
  const chroma = new Uint8Array((width / 2) * (height / 2) * 2).fill(128);
  const fps = options.framesPerSecond ?? 30;
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frameTag = Buffer.from('FRAME\n', 'ascii');
  const frames = options.frames ?? 10;
  const parts: Uint8Array[] = [header];
  for (let i = 0; i < frames; i++) parts.push(frameTag, luma.data, chroma);
  await writeFile(path, Buffer.concat(parts));
  return { path, width, height, moduleSize, version: symbol.version };
}

/** The Chromium flags that make getUserMedia return the video in `path` without asking. */
export function fakeCameraArgs(path: string): string[] {
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${path}`,
  ];
}

/**
 * A browser whose camera shows the QR code of `content` (text or bytes). Grant the permission on
 * each context: `browser.newContext({ permissions: ['camera'] })`. Close the browser when done; its
 * temporary file goes with it.
 */
export async function launchWithFakeCamera(
  content: string | Uint8Array,
  options: FakeCameraOptions = {},
): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), 'secmsg-fake-camera-'));
  try {
    const file = await writeFakeCameraFile(content, join(dir, 'qr.y4m'), options);
    const launch = chromiumLaunchOptions();
    const browser = await chromium.launch({
      ...launch,
      args: [...CHROMIUM_ARGS, ...fakeCameraArgs(file.path)],
    });
    browser.on('disconnected', () => void rm(dir, { recursive: true, force: true }));
    return browser;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
