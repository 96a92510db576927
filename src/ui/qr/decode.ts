/**
 * QR decoding with jsQR (pure JavaScript: no worker, wasm or network), so scanning works where
 * `BarcodeDetector` is missing (Linux Chromium, Firefox, Safari) and under a CSP of `'self'` only.
 * `BarcodeDetector` is never used even where present, so every browser takes the same tested path.
 */
import jsQR from 'jsqr';
import * as text from '../strings/qr';
import { QrScanError } from './errors';

/**
 * Which codes to look for: dark on light ('normal'), light on dark ('inverted', as dark-mode
 * screens show them) or both, normal first ('both', which costs about twice as much).
 */
export type Inversion = 'normal' | 'inverted' | 'both';

/** Photos are shrunk to this many pixels on the long side before decoding. */
export const PHOTO_MAX_SIDE = 1280;

/**
 * What a QR code holds: its raw bytes (all segments, as encoded: a binary code such as the
 * 74-byte safety-number code is only this) and those bytes read as text (UTF-8 for byte
 * segments; '' when they are not text).
 */
export interface QrContent {
  text: string;
  bytes: Uint8Array;
}

/**
 * The content of the QR code in an RGBA image (`ImageData.data` layout), or undefined if none was
 * found (an empty code counts as none). A camera loop that wants each frame fast passes 'normal'
 * and 'inverted' on alternate frames.
 */
export function decodeQrContent(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  inversion: Inversion = 'both',
): QrContent | undefined {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError('width and height must be positive integers');
  }
  if (data.length !== width * height * 4) throw new RangeError('data must hold width × height RGBA pixels');
  let found: ReturnType<typeof jsQR>;
  try {
    // jsQR 1.4's own 'onlyInvert' throws (cozmo/jsQR#181), so light-on-dark alone is done by
    // inverting a copy and asking for dark-on-light.
    found =
      inversion === 'inverted'
        ? jsQR(inverted(data), width, height, { inversionAttempts: 'dontInvert' })
        : jsQR(data, width, height, {
            inversionAttempts: inversion === 'both' ? 'attemptBoth' : 'dontInvert',
          });
  } catch {
    // jsQR has thrown on odd pictures before (cozmo/jsQR#41, #181): that is "no code here", not a
    // crash that would end a camera loop.
    return undefined;
  }
  if (!found || found.binaryData.length === 0) return undefined;
  return { text: found.data, bytes: Uint8Array.from(found.binaryData) };
}

/** The text of the QR code in an RGBA image, or undefined if there is none or it holds no text. */
export function decodeQrFromImageData(
  data: Uint8ClampedArray,
  width: number,
  height: number,
  inversion: Inversion = 'both',
): string | undefined {
  const content = decodeQrContent(data, width, height, inversion);
  return content && content.text !== '' ? content.text : undefined;
}

/** A copy with R, G and B inverted (alpha kept). */
function inverted(data: Uint8ClampedArray): Uint8ClampedArray {
  const out = new Uint8ClampedArray(data.length);
  for (let i = 0; i < data.length; i += 4) {
    out[i] = 255 - data[i]!;
    out[i + 1] = 255 - data[i + 1]!;
    out[i + 2] = 255 - data[i + 2]!;
    out[i + 3] = data[i + 3]!;
  }
  return out;
}

/**
 * The sizes a photo is decoded at, in order: at most PHOTO_MAX_SIDE on the long side (never
 * enlarged), then once more at half that, which helps when a close-up photo has huge, noisy modules.
 */
export function photoDecodeSizes(width: number, height: number): Array<{ width: number; height: number }> {
  const long = Math.max(width, height);
  const first = Math.min(1, PHOTO_MAX_SIDE / long);
  const sizes = [first, first / 2]
    .map((scale) => ({
      width: Math.max(1, Math.round(width * scale)),
      height: Math.max(1, Math.round(height * scale)),
    }))
    .filter((size, i) => i === 0 || Math.max(size.width, size.height) >= 320);
  return sizes;
}

type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** A 2D context for reading pixels back: OffscreenCanvas where there is one, else a detached canvas. */
export function pixelReadingContext(width: number, height: number): Canvas2D {
  const canvas: HTMLCanvasElement | OffscreenCanvas =
    typeof OffscreenCanvas === 'function'
      ? new OffscreenCanvas(width, height)
      : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
  if (!context) throw new QrScanError('UNSUPPORTED', text.cannotReadPictures);
  return context;
}

/**
 * The content of the QR code in a photo (any format the browser decodes), or undefined if none
 * was found. Throws QrScanError('UNREADABLE_IMAGE') if the file is not a picture the browser can open.
 */
export async function decodeQrContentFromFile(file: Blob): Promise<QrContent | undefined> {
  let bitmap: ImageBitmap;
  try {
    // EXIF orientation is applied ('from-image' is the default), so a phone photo is upright.
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw new QrScanError('UNREADABLE_IMAGE', undefined, { cause: e });
  }
  try {
    for (const { width, height } of photoDecodeSizes(bitmap.width, bitmap.height)) {
      const context = pixelReadingContext(width, height);
      context.imageSmoothingEnabled = true;
      context.imageSmoothingQuality = 'high';
      context.drawImage(bitmap, 0, 0, width, height);
      const pixels = context.getImageData(0, 0, width, height);
      const content = decodeQrContent(pixels.data, width, height);
      if (content) return content;
      // Let the page breathe between attempts on a big photo.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return undefined;
  } finally {
    bitmap.close();
  }
}

/** The text of the QR code in a photo, or undefined (see decodeQrContentFromFile). */
export async function decodeQrFromFile(file: Blob): Promise<string | undefined> {
  const content = await decodeQrContentFromFile(file);
  return content && content.text !== '' ? content.text : undefined;
}
