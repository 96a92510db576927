import fc from 'fast-check';
import sharp, { type Sharp } from 'sharp';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MediaError } from './errors';
import { canStripLocation, hasGpsTag, stripLocation } from './exif';
import { removeTiffGps, tiffHasGps } from './tiff-gps';

const GPS = {
  GPSLatitudeRef: 'N',
  GPSLatitude: '51/1 30/1 2650/100',
  GPSLongitudeRef: 'W',
  GPSLongitude: '0/1 7/1 3930/100',
  GPSAltitude: '35/1',
};
const XMP_GPS =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.44N" ' +
  'exif:GPSLongitude="0,7.65W"/></rdf:RDF></x:xmpmeta>';

/** A 64×48 picture with a gradient, so that pixels differ from one another. */
function picture() {
  const width = 64;
  const height = 48;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) raw.set([(i * 7) & 0xff, (i >> 3) & 0xff, 128], i * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** sharp writes GPS only when the orientation comes first and the Exif is merged after it. */
const withGps = (s: Sharp) =>
  s.withMetadata({ orientation: 6 }).withExifMerge({ IFD0: { Make: 'TestCam' }, IFD3: GPS });

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const pixels = async (b: Uint8Array) => sharp(b).raw().toBuffer();

/** The positions where two equally long arrays differ. */
function differences(a: Uint8Array, b: Uint8Array): number[] {
  expect(b.length).toBe(a.length);
  return [...a.keys()].filter((i) => a[i] !== b[i]);
}

/** The [start, end) of the first APP1 Exif segment of a JPEG. */
function exifSegment(b: Uint8Array): [number, number] {
  const at = Buffer.from(b).indexOf('Exif\0\0') - 4;
  expect(b[at]).toBe(0xff);
  return [at, at + 2 + ((b[at + 2]! << 8) | b[at + 3]!)];
}

describe('stripLocation: JPEG', () => {
  it('removes the GPS IFD and keeps the orientation, the other tags and every other byte', async () => {
    const photo = u8(await withGps(picture().jpeg()).toBuffer());
    const before = Uint8Array.from(photo);
    expect(hasGpsTag(photo)).toBe(true);
    const out = stripLocation(photo, 'image/jpeg');
    expect(photo).toEqual(before); // the input is not modified
    expect(hasGpsTag(out)).toBe(false);
    const [start, end] = exifSegment(photo);
    const changed = differences(photo, out);
    expect(changed.length).toBeGreaterThan(40);
    expect(changed.every((i) => i >= start && i < end)).toBe(true);
    const meta = await sharp(out).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.exif && Buffer.from(meta.exif).includes('TestCam')).toBe(true);
    expect(await pixels(out)).toEqual(await pixels(photo));
  });

  it('drops XMP segments, which can carry GPS too', async () => {
    const photo = u8(await picture().jpeg().withXmp(XMP_GPS).toBuffer());
    expect(hasGpsTag(photo)).toBe(true);
    const out = stripLocation(photo, 'image/jpeg');
    expect(hasGpsTag(out)).toBe(false);
    expect(Buffer.from(out).includes('http://ns.adobe.com/xap/1.0/')).toBe(false);
    expect(Buffer.from(out).includes('GPSLatitude')).toBe(false);
    expect(out.length).toBeLessThan(photo.length - XMP_GPS.length);
    expect((await sharp(out).metadata()).xmp).toBeUndefined();
    expect(await pixels(out)).toEqual(await pixels(photo));
  });

  it('keeps a multi-picture file the same size: XMP after MPF is zeroed, later images stripped in place', async () => {
    const first = Buffer.from(await withGps(picture().jpeg()).toBuffer());
    const second = Buffer.from(await withGps(picture().resize(16, 12).jpeg()).withXmp(XMP_GPS).toBuffer());
    const segment = (marker: number, body: string) => {
      const head = Buffer.from([0xff, marker, 0, 0]);
      head.writeUInt16BE(body.length + 2, 2);
      return Buffer.concat([head, Buffer.from(body, 'latin1')]);
    };
    const [, exifEnd] = exifSegment(first);
    const mpf = segment(0xe2, 'MPF\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0');
    const xmp = segment(0xe1, `http://ns.adobe.com/xap/1.0/\0${XMP_GPS}`);
    const photo = u8(Buffer.concat([first.subarray(0, exifEnd), mpf, xmp, first.subarray(exifEnd), second]));
    const out = stripLocation(photo, 'image/jpeg');
    expect(out.length).toBe(photo.length);
    expect(hasGpsTag(out)).toBe(false);
    expect(Buffer.from(out).includes('MPF\0')).toBe(true);
    const secondAt = photo.length - second.length;
    const secondOut = out.subarray(secondAt);
    expect(secondOut.length).toBe(second.length);
    expect((await sharp(secondOut).metadata()).orientation).toBe(6);
    expect(await pixels(secondOut)).toEqual(await pixels(u8(second)));
    expect(await pixels(out)).toEqual(await pixels(photo));
  });

  it('reads the type from the bytes: a PNG sent as image/jpeg is stripped as a PNG', async () => {
    const photo = u8(await withGps(picture().png()).toBuffer());
    expect(hasGpsTag(stripLocation(photo, 'image/jpeg'))).toBe(false);
  });
});

/** The chunks of a PNG, with whether each one's CRC is right. */
function pngChunks(b: Uint8Array): Array<{ type: string; crcOk: boolean }> {
  const buf = Buffer.from(b);
  const chunks: Array<{ type: string; crcOk: boolean }> = [];
  for (let p = 8; p < buf.length;) {
    const length = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    const crc = buf.readUInt32BE(p + 8 + length);
    chunks.push({ type, crcOk: crc32(buf.subarray(p + 4, p + 8 + length)) === crc });
    p += length + 12;
  }
  return chunks;
}

describe('stripLocation: PNG', () => {
  it('removes the GPS IFD from eXIf, keeps its orientation, and writes its CRC again', async () => {
    const photo = u8(await withGps(picture().png()).toBuffer());
    expect(hasGpsTag(photo)).toBe(true);
    const out = stripLocation(photo, 'image/png');
    expect(hasGpsTag(out)).toBe(false);
    const chunks = pngChunks(out);
    expect(chunks.map((c) => c.type)).toEqual(pngChunks(photo).map((c) => c.type));
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    expect((await sharp(out).metadata()).orientation).toBe(6);
    expect(await pixels(out)).toEqual(await pixels(photo));
  });

  it('drops XMP text chunks', async () => {
    const photo = u8(await picture().png().withXmp(XMP_GPS).toBuffer());
    const out = stripLocation(photo, 'image/png');
    expect(Buffer.from(out).includes('XML:com.adobe.xmp')).toBe(false);
    expect(pngChunks(out).length).toBe(pngChunks(photo).length - 1);
    expect(await pixels(out)).toEqual(await pixels(photo));
  });
});

describe('stripLocation: WebP', () => {
  it('removes the GPS IFD from EXIF, drops XMP, clears its VP8X flag and fixes the RIFF size', async () => {
    const photo = u8(
      await withGps(picture().webp({ lossless: true }))
        .withXmp(XMP_GPS)
        .toBuffer(),
    );
    expect(hasGpsTag(photo)).toBe(true);
    expect(photo[20]! & 0x0c).toBe(0x0c); // VP8X: EXIF and XMP flags
    const out = stripLocation(photo, 'image/webp');
    expect(hasGpsTag(out)).toBe(false);
    expect(Buffer.from(out).includes('XMP ')).toBe(false);
    expect(out[20]! & 0x0c).toBe(0x08);
    expect(Buffer.from(out).readUInt32LE(4)).toBe(out.length - 8);
    const meta = await sharp(out).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.xmp).toBeUndefined();
    expect(await pixels(out)).toEqual(await pixels(photo));
  });
});

describe('other types', () => {
  it('come back unchanged, and canStripLocation says so', async () => {
    const gif = u8(await picture().gif().toBuffer());
    expect(stripLocation(gif, 'image/gif')).toBe(gif);
    expect(canStripLocation('image/gif')).toBe(false);
    expect(canStripLocation('image/heic')).toBe(false);
    expect(canStripLocation('IMAGE/JPEG; foo=bar')).toBe(true);
    expect(canStripLocation('image/png')).toBe(true);
    expect(canStripLocation('image/webp')).toBe(true);
  });

  it('a JPEG type on bytes of no known format is MALFORMED', () => {
    let error: unknown;
    try {
      stripLocation(new TextEncoder().encode('GIF89a...'), 'image/jpeg');
    } catch (e) {
      error = e;
    }
    expect(MediaError.is(error, 'MALFORMED')).toBe(true);
    expect((error as Error).message).toMatch(
      /^This photo's data is damaged \(.+\), so its location could not be removed\.$/,
    );
  });
});

/** A big-endian TIFF by hand: IFD0 (orientation, GPS pointer, a tag after it), GPS IFD, IFD1. */
function handTiff(): Uint8Array {
  const b = Buffer.alloc(120);
  b.write('MM', 0, 'latin1');
  b.writeUInt16BE(42, 2);
  b.writeUInt32BE(8, 4);
  // IFD0 at 8: 3 entries → ends at 8 + 2 + 36 + 4 = 50.
  b.writeUInt16BE(3, 8);
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    b.writeUInt16BE(tag, at);
    b.writeUInt16BE(type, at + 2);
    b.writeUInt32BE(count, at + 4);
    b.writeUInt32BE(value, at + 8);
  };
  entry(10, 0x0112, 3, 1, 6 << 16); // Orientation, SHORT 6 (left-justified)
  entry(22, 0x8825, 4, 1, 50); // GPS IFD at 50
  entry(34, 0xa000, 7, 4, 0x30323130); // a made-up later tag, inline
  b.writeUInt32BE(90, 46); // IFD1 at 90
  // GPS IFD at 50: 2 entries → ends at 50 + 2 + 24 + 4 = 80; latitude's 3 rationals would not fit,
  // so one RATIONAL (8 bytes) at 80.
  b.writeUInt16BE(2, 50);
  entry(52, 0x0001, 2, 2, 0x4e000000); // GPSLatitudeRef "N"
  entry(64, 0x0002, 5, 1, 80); // GPSLatitude, 1 rational at 80
  b.writeUInt32BE(0, 76);
  b.writeUInt32BE(51, 80);
  b.writeUInt32BE(1, 84);
  // IFD1 at 90: 1 entry, no next.
  b.writeUInt16BE(1, 90);
  entry(92, 0x0103, 3, 1, 6 << 16);
  b.writeUInt32BE(0, 104);
  return u8(b);
}

describe('removeTiffGps on a hand-built big-endian TIFF', () => {
  it('takes the pointer out of IFD0, zeros the GPS IFD and its values, and moves nothing else', () => {
    const before = handTiff();
    const after = Uint8Array.from(before);
    expect(removeTiffGps(after, 0, after.length)).toBe(true);
    expect(tiffHasGps(after, 0, after.length)).toBe(false);
    const expected = Buffer.from(before);
    expected.writeUInt16BE(2, 8); // two entries left
    expected.copy(expected, 22, 34, 50); // the later tag and the IFD1 offset move up 12 bytes
    expected.fill(0, 38, 50);
    expected.fill(0, 50, 88); // GPS IFD (50–80) and its rational (80–88)
    expect(Buffer.from(after).toString('hex')).toBe(expected.toString('hex'));
    expect(removeTiffGps(after, 0, after.length)).toBe(false);
  });

  it('refuses, changing nothing, a GPS value that points past the end', () => {
    const tiff = handTiff();
    Buffer.from(tiff.buffer).writeUInt32BE(116, 72); // the rational at 116: 8 bytes past 120
    const copy = Uint8Array.from(tiff);
    expect(() => removeTiffGps(copy, 0, copy.length)).toThrow(MediaError);
    expect(copy).toEqual(tiff);
  });

  it('refuses a GPS IFD that overlaps IFD0', () => {
    const tiff = handTiff();
    Buffer.from(tiff.buffer).writeUInt32BE(8, 30); // GPS IFD pointer → IFD0 itself
    expect(() => removeTiffGps(tiff, 0, tiff.length)).toThrow(MediaError);
  });
});

describe('damaged input', async () => {
  const samples = [
    ['image/jpeg', u8(await withGps(picture().jpeg()).withXmp(XMP_GPS).toBuffer())],
    ['image/png', u8(await withGps(picture().png()).withXmp(XMP_GPS).toBuffer())],
    ['image/webp', u8(await withGps(picture().webp()).withXmp(XMP_GPS).toBuffer())],
  ] as const;
  const isMalformed = (e: unknown) => MediaError.is(e, 'MALFORMED');

  /** Strips, and if that works, checks that no GPS is left: throws only MALFORMED. */
  function stripOrRefuse(bytes: Uint8Array, mime: string): void {
    let out: Uint8Array;
    try {
      out = stripLocation(bytes, mime);
    } catch (e) {
      if (!isMalformed(e)) throw e;
      return;
    }
    if (mime !== 'image/gif') expect(hasGpsTag(out)).toBe(false);
  }

  it('random bytes are stripped or refused as MALFORMED, never anything else', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('image/jpeg', 'image/png', 'image/webp', 'image/gif'),
        fc.constantFrom('', 'jpeg', 'png', 'webp'),
        (body, mime, prefix) => {
          const head = {
            '': [],
            jpeg: [0xff, 0xd8, 0xff, 0xe1],
            png: [...Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')],
            webp: [...Buffer.from('RIFF\x40\0\0\0WEBPVP8X', 'latin1')],
          }[prefix];
          stripOrRefuse(Uint8Array.from([...head, ...body]), mime);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each(samples)('%s cut short at any length is stripped or refused as MALFORMED', (mime, photo) => {
    for (let length = 0; length < Math.min(photo.length, 2000); length++)
      stripOrRefuse(photo.subarray(0, length), mime);
  });

  it.each(samples)('%s with bytes changed anywhere is stripped or refused as MALFORMED', (mime, photo) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: photo.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (changes) => {
          const bytes = Uint8Array.from(photo);
          for (const [at, value] of changes) bytes[at] = value;
          stripOrRefuse(bytes, mime);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
