import { describe, expect, it } from 'vitest';
import { encodeUnder, fitWithin, type JpegEncoder, type Size } from './thumbnail';

describe('fitWithin', () => {
  it('scales the longest side down to the limit and keeps the aspect ratio', () => {
    expect(fitWithin({ width: 4032, height: 3024 }, 320)).toEqual({ width: 320, height: 240 });
    expect(fitWithin({ width: 1080, height: 1920 }, 320)).toEqual({ width: 180, height: 320 });
  });

  it('never enlarges, and never goes below 1×1', () => {
    expect(fitWithin({ width: 100, height: 50 }, 320)).toEqual({ width: 100, height: 50 });
    expect(fitWithin({ width: 10_000, height: 1 }, 320)).toEqual({ width: 320, height: 1 });
  });
});

/** A fake encoder whose JPEG grows with the pixels and the quality; it records every call. */
function fakeEncoder(bytesPerPixelAtFull: number): { encode: JpegEncoder; calls: Array<[Size, number]> } {
  const calls: Array<[Size, number]> = [];
  const encode: JpegEncoder = async (size, quality) => {
    calls.push([size, quality]);
    await Promise.resolve();
    return new Blob([new Uint8Array(Math.ceil(size.width * size.height * quality * bytesPerPixelAtFull))], {
      type: 'image/jpeg',
    });
  };
  return { encode, calls };
}

const LIMITS = { maxSide: 320, maxBytes: 24 * 1024, minSide: 32 };

describe('encodeUnder', () => {
  it('takes the first quality that fits, at the largest size', async () => {
    const { encode, calls } = fakeEncoder(0.4); // 320×240 at 0.8: 24,576 bytes, just fits
    const blob = await encodeUnder({ width: 4000, height: 3000 }, LIMITS, encode);
    expect(blob?.size).toBeLessThanOrEqual(LIMITS.maxBytes);
    expect(calls).toEqual([[{ width: 320, height: 240 }, 0.8]]);
  });

  it('lowers the quality, then the size, until it fits', async () => {
    const { encode, calls } = fakeEncoder(2);
    const blob = await encodeUnder({ width: 4000, height: 3000 }, LIMITS, encode);
    expect(blob?.size).toBeLessThanOrEqual(LIMITS.maxBytes);
    expect(calls.slice(0, 4).map(([size, q]) => [size.width, q])).toEqual([
      [320, 0.8],
      [320, 0.65],
      [320, 0.5],
      [320, 0.4],
    ]);
    expect(calls[4]?.[0]).toEqual({ width: 240, height: 180 });
    const widths = calls.map(([size]) => size.width);
    expect(widths).toEqual([...widths].sort((a, b) => b - a));
  });

  it('gives up at the smallest size', async () => {
    const { encode, calls } = fakeEncoder(2);
    expect(
      await encodeUnder({ width: 4000, height: 3000 }, { ...LIMITS, maxBytes: 100 }, encode),
    ).toBeUndefined();
    expect(calls.at(-1)?.[0]).toEqual({ width: 32, height: 24 });
  });

  it('gives up when the encoder cannot encode', async () => {
    expect(
      await encodeUnder({ width: 10, height: 10 }, LIMITS, async () => Promise.resolve(undefined)),
    ).toBeUndefined();
  });
});
