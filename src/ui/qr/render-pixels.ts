/**
 * QR codes as raw pixels, for tests and the e2e fake camera: the symbol comes from `qrcode`'s
 * `create()` (no QR logic of our own), drawn black on white with a quiet zone into an 8-bit luma
 * plane, which `lumaToRgba` turns into the RGBA layout of `ImageData` and jsQR. Pure: no DOM.
 */
import QRCode from 'qrcode';

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** A QR symbol: `size` × `size` modules, `dark(row, col)` true for a black module. */
export interface QrSymbol {
  size: number;
  version: number;
  dark(row: number, col: number): boolean;
}

/** One 8-bit channel a pixel, row by row (0 black, 255 white). */
export interface LumaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Four 8-bit channels a pixel (R, G, B, A), row by row, as `ImageData.data` holds them. */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** The symbol for `content`: text as qrcode encodes it (it picks the segments), bytes as one byte segment. */
export function qrSymbol(
  content: string | Uint8Array,
  errorCorrectionLevel: QrErrorCorrection = 'M',
): QrSymbol {
  const qr =
    typeof content === 'string'
      ? QRCode.create(content, { errorCorrectionLevel })
      : QRCode.create([{ data: content, mode: 'byte' }], { errorCorrectionLevel });
  const { size } = qr.modules;
  return { size, version: qr.version, dark: (row, col) => qr.modules.get(row, col) === 1 };
}

export interface LumaQrOptions {
  /** Pixels a module (default 4). */
  moduleSize?: number;
  /** Quiet zone in modules on every side (default 4, as ISO/IEC 18004 asks). */
  margin?: number;
  /** Image size; the code is centred (default: just the code and its quiet zone). */
  width?: number;
  height?: number;
  /** Background and module values (defaults 255 and 0; swap them for an inverted code). */
  light?: number;
  dark?: number;
}

/** Draws `symbol` into a luma image; throws a RangeError if it does not fit the size asked for. */
export function renderQrLuma(symbol: QrSymbol, options: LumaQrOptions = {}): LumaImage {
  const moduleSize = options.moduleSize ?? 4;
  const margin = options.margin ?? 4;
  const light = options.light ?? 255;
  const dark = options.dark ?? 0;
  if (!Number.isInteger(moduleSize) || moduleSize < 1)
    throw new RangeError('moduleSize must be a positive integer');
  if (!Number.isInteger(margin) || margin < 0) throw new RangeError('margin must be a non-negative integer');
  const side = (symbol.size + 2 * margin) * moduleSize;
  const width = options.width ?? side;
  const height = options.height ?? side;
  if (side > width || side > height) {
    throw new RangeError(
      `a ${symbol.size}-module code at ${moduleSize} px a module does not fit ${width}×${height}`,
    );
  }
  const data = new Uint8Array(width * height).fill(light);
  const left = Math.floor((width - side) / 2) + margin * moduleSize;
  const top = Math.floor((height - side) / 2) + margin * moduleSize;
  for (let row = 0; row < symbol.size; row++) {
    for (let col = 0; col < symbol.size; col++) {
      if (!symbol.dark(row, col)) continue;
      for (let y = 0; y < moduleSize; y++) {
        const start = (top + row * moduleSize + y) * width + left + col * moduleSize;
        data.fill(dark, start, start + moduleSize);
      }
    }
  }
  return { data, width, height };
}

export function lumaToRgba(image: LumaImage): RgbaImage {
  const { data, width, height } = image;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return { data: rgba, width, height };
}

/** `content` as an RGBA QR image: the usual way tests make a picture to decode. */
export function renderQrRgba(
  content: string | Uint8Array,
  options: LumaQrOptions & { errorCorrectionLevel?: QrErrorCorrection } = {},
): RgbaImage {
  return lumaToRgba(renderQrLuma(qrSymbol(content, options.errorCorrectionLevel), options));
}
