import { describe, expect, it } from 'vitest';
import { PHOTO_MAX_SIDE, decodeQrContent, decodeQrFromImageData, photoDecodeSizes } from './decode';
import { lumaToRgba, qrSymbol, renderQrLuma, renderQrRgba, type LumaImage } from './render-pixels';

const INVITE =
  'https://secmsg.example.org/pair/index.html?from=qr-pages#join=1.q3Vb9xK2mR7tY5wE1zN8pA.' +
  'fH4jL6sD0gQ2vB9nC3xM7kZ1rT5yU8iO4pW6eA2sF0h-_ZyXwVuTsRqPoNmLkJi';

/** A repeatable pseudo-random sequence in [0, 1), so a failing image can be reproduced. */
function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

function decode(image: { data: Uint8ClampedArray; width: number; height: number }) {
  return decodeQrFromImageData(image.data, image.width, image.height);
}

describe('decodeQrFromImageData', () => {
  it('reads back a QR code rendered from qrcode.create(), with its quiet zone', () => {
    expect(decode(renderQrRgba('hello', { moduleSize: 4 }))).toBe('hello');
    expect(decode(renderQrRgba(INVITE, { moduleSize: 3, errorCorrectionLevel: 'L' }))).toBe(INVITE);
  });

  it('finds a code in a bigger picture, off centre of nothing but white', () => {
    const image = renderQrRgba(INVITE, { moduleSize: 4, width: 640, height: 480 });
    expect(image.data).toHaveLength(640 * 480 * 4);
    expect(decode(image)).toBe(INVITE);
  });

  it('reads UTF-8 text', () => {
    const text = 'Grüße, 你好 🔐';
    expect(decode(renderQrRgba(text, { moduleSize: 4 }))).toBe(text);
  });

  it('reads a noisy, low-contrast, light-on-dark code (as a dark-mode screen shows it)', () => {
    const next = random(7);
    const code = renderQrLuma(qrSymbol(INVITE, 'M'), { moduleSize: 5, light: 40, dark: 200 });
    const noisy: LumaImage = {
      ...code,
      data: code.data.map((v) => Math.max(0, Math.min(255, v + Math.round((next() - 0.5) * 80)))),
    };
    const rgba = lumaToRgba(noisy);
    expect(decodeQrFromImageData(rgba.data, rgba.width, rgba.height)).toBe(INVITE);
    // The inversion a camera frame asks for decides whether such a code is looked for at all.
    expect(decodeQrFromImageData(rgba.data, rgba.width, rgba.height, 'inverted')).toBe(INVITE);
    expect(decodeQrFromImageData(rgba.data, rgba.width, rgba.height, 'normal')).toBeUndefined();
  });

  it('hands over a binary code (like the 74-byte safety-number code) as its exact bytes', () => {
    const next = random(3);
    const bytes = Uint8Array.from({ length: 74 }, () => Math.floor(next() * 256));
    bytes[0] = 0xff; // never valid UTF-8, so there is no text
    const image = renderQrRgba(bytes, { moduleSize: 3 });
    expect(decodeQrContent(image.data, image.width, image.height)).toEqual({ text: '', bytes });
    expect(decode(image)).toBeUndefined();
    const text = renderQrRgba('Grüße', { moduleSize: 3 });
    expect(decodeQrContent(text.data, text.width, text.height)).toEqual({
      text: 'Grüße',
      bytes: new TextEncoder().encode('Grüße'),
    });
  });

  it('returns undefined for a picture without a QR code', () => {
    const next = random(11);
    const width = 320;
    const height = 240;
    const data = new Uint8Array(width * height).map((_, i) => ((i % width) + next() * 60) & 0xff);
    expect(decode(lumaToRgba({ data, width, height }))).toBeUndefined();
    expect(
      decode(lumaToRgba({ data: new Uint8Array(width * height).fill(255), width, height })),
    ).toBeUndefined();
  });

  it('checks its arguments', () => {
    expect(() => decodeQrFromImageData(new Uint8ClampedArray(16), 2, 3)).toThrow(RangeError);
    expect(() => decodeQrFromImageData(new Uint8ClampedArray(0), 0, 0)).toThrow(RangeError);
  });
});

describe('renderQrLuma', () => {
  it('centres the code in the size asked for and refuses one that does not fit', () => {
    const symbol = qrSymbol('hi', 'L');
    expect(symbol.size).toBe(21);
    const image = renderQrLuma(symbol, { moduleSize: 2, margin: 4, width: 100, height: 80 });
    expect([image.width, image.height, image.data.length]).toEqual([100, 80, 8000]);
    const side = (21 + 8) * 2;
    const left = Math.floor((100 - side) / 2) + 8;
    const top = Math.floor((80 - side) / 2) + 8;
    // The top-left finder pattern's outer ring starts dark at the first module.
    expect(image.data[top * 100 + left]).toBe(0);
    expect(image.data[(top - 1) * 100 + left]).toBe(255);
    expect(() => renderQrLuma(symbol, { moduleSize: 4, width: 100, height: 80 })).toThrow(RangeError);
  });
});

describe('photoDecodeSizes', () => {
  it('shrinks a big photo to the maximum side, then tries half that', () => {
    expect(photoDecodeSizes(4000, 3000)).toEqual([
      { width: PHOTO_MAX_SIDE, height: 960 },
      { width: 640, height: 480 },
    ]);
    expect(photoDecodeSizes(1080, 1920)).toEqual([
      { width: 720, height: PHOTO_MAX_SIDE },
      { width: 360, height: 640 },
    ]);
  });

  it('never enlarges, and skips a second try that would be too small to read', () => {
    expect(photoDecodeSizes(800, 600)).toEqual([
      { width: 800, height: 600 },
      { width: 400, height: 300 },
    ]);
    expect(photoDecodeSizes(400, 300)).toEqual([{ width: 400, height: 300 }]);
  });
});
