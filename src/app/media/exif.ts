/**
 * Removes location data from a photo's bytes before it is sent, leaving the pixels, the
 * orientation and every other piece of metadata as they were. Pure: no DOM, works on bytes.
 *
 * - JPEG (ITU-T T.81 Annex B, B.1.1 markers and segments; JFIF 1.02): the segments are walked to
 *   the end of the image, through the scans (B.1.1.5: in entropy-coded data 0xFF is followed by
 *   0x00 or an RSTn marker). In an APP1 "Exif\0\0" segment the GPS IFD is removed in place
 *   (tiff-gps.ts: Exif 2.32 / CIPA DC-008-2019 4.5.4 and 4.6; TIFF 6.0 section 2). APP1 XMP
 *   segments ("http://ns.adobe.com/xap/1.0/\0", and Extended XMP "http://ns.adobe.com/xmp/
 *   extension/\0"; XMP Specification Part 3, 1.1.3), which can carry exif:GPSLatitude and the
 *   like, are dropped. One exception keeps multi-picture files whole: after an APP2 "MPF\0"
 *   segment (CIPA DC-007, Multi-Picture Format), whose offsets to the images that follow the
 *   first one count from inside that segment, an XMP segment is overwritten with zeros instead
 *   of dropped, so those offsets still hold. Such images (a gain map, a depth map) come after the
 *   first image's EOI; each is stripped the same way, in place.
 * - PNG (PNG Third Edition, 5.3 chunk layout with CRC-32 over type and data, 11.3.3.6 eXIf): the
 *   eXIf chunk keeps its place and its orientation: its GPS IFD is removed in place and the CRC
 *   written again. iTXt/tEXt/zTXt chunks with XMP ("XML:com.adobe.xmp", XMP Part 3, 1.1.5) or
 *   with ImageMagick's hex copies of Exif/XMP ("Raw profile type exif|app1|xmp") are dropped.
 * - WebP (RIFF container, "WebP Container Specification", extended format): the EXIF chunk's GPS
 *   IFD is removed in place (some writers begin it with "Exif\0\0"); the "XMP " chunk is dropped,
 *   its VP8X flag cleared and the RIFF size written again.
 *
 * Any other type is returned unchanged: canStripLocation() tells the caller, which then re-encodes
 * the picture through a canvas (compressImage in thumbnail.ts), which drops all metadata.
 *
 * Damaged input (a length or offset past the end, a missing signature) throws MediaError
 * 'MALFORMED' with a sentence: returning it unchanged could send a location the person meant to
 * remove, so the caller decides (re-encode, or ask). Nothing else is ever thrown. The input array
 * is never modified.
 */
import { malformed, removeTiffGps, tiffHasGps } from './tiff-gps';

type Format = 'jpeg' | 'png' | 'webp';

const MIME_FORMATS: Readonly<Record<string, Format>> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Whether stripLocation() understands this type; for any other, re-encode the picture instead. */
export function canStripLocation(mime: string): boolean {
  return formatOfMime(mime) !== undefined;
}

function formatOfMime(mime: string): Format | undefined {
  return MIME_FORMATS[(mime.split(';')[0] ?? '').trim().toLowerCase()];
}

const ascii = (b: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...b.subarray(start, Math.min(end, b.length)));

/** The format the bytes say they are (a photo named .jpg may well be a PNG). */
function sniff(b: Uint8Array): Format | undefined {
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * The photo's bytes without location data (see the header). Unknown types come back unchanged;
 * a known type whose bytes are damaged throws MediaError 'MALFORMED'.
 */
export function stripLocation(bytes: Uint8Array, mime: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (formatOfMime(mime) === undefined) return bytes;
  return walk(bytes.slice(), true).out;
}

/** Whether the photo has an Exif GPS IFD pointer, or XMP with GPS fields, anywhere it is looked for. */
export function hasGpsTag(bytes: Uint8Array): boolean {
  return walk(bytes, false).gps;
}

interface Walked {
  /** The stripped bytes (strip mode only; may share `b`, which the walk may edit in place). */
  out: Uint8Array;
  /** Whether location data was found (before stripping). */
  gps: boolean;
}

function walk(b: Uint8Array, strip: boolean): Walked {
  const format = sniff(b);
  if (format === 'jpeg') return walkJpeg(b, strip);
  if (format === 'png') return walkPng(b, strip);
  if (format === 'webp') return walkWebp(b, strip);
  if (!strip) return { out: b, gps: false };
  throw malformed('it is not the JPEG, PNG or WebP its type says');
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const XMP_JPEG = ['http://ns.adobe.com/xap/1.0/\0', 'http://ns.adobe.com/xmp/extension/\0'];
const XMP_GPS = /GPS(Latitude|Longitude|Altitude|Coordinates|Position)/;

/** Whether the bytes, as Latin-1 text, mention a GPS field (XMP's exif:GPSLatitude and others). */
const mentionsGps = (b: Uint8Array, start: number, end: number): boolean => {
  for (let p = start; p < end; p += 65536) {
    // Overlapping windows, so a field name split across two windows is still seen.
    if (XMP_GPS.test(ascii(b, p, Math.min(end, p + 65536 + 32)))) return true;
  }
  return false;
};

/**
 * One JPEG from `start` to the end of its EOI, stripped in `b` where sizes stay the same; returns
 * the pieces to keep and where the image ended. `inPlace` never drops (images after the first).
 */
function jpegImage(
  b: Uint8Array,
  start: number,
  strip: boolean,
  inPlace: boolean,
): { keep: Uint8Array[]; end: number; gps: boolean } {
  if (b[start] !== 0xff || b[start + 1] !== 0xd8) throw malformed('a JPEG start marker is missing');
  const keep: Uint8Array[] = [];
  let gps = false;
  let mpf = inPlace;
  let kept = start; // bytes from `kept` up to the segment in hand are kept as they are
  let p = start + 2;
  for (;;) {
    if (p >= b.length) return { keep: [...keep, b.subarray(kept)], end: b.length, gps }; // no EOI
    if (b[p] !== 0xff) throw malformed('a JPEG marker is missing');
    let m = p + 1;
    while (b[m] === 0xff) m++; // fill bytes (B.1.1.2)
    const marker = b[m];
    if (marker === undefined || marker === 0x00) throw malformed('a JPEG marker is damaged');
    if (marker === 0xd9) return { keep: [...keep, b.subarray(kept, m + 1)], end: m + 1, gps }; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p = m + 1; // TEM, RSTn: no length
      continue;
    }
    if (m + 3 > b.length) throw malformed('a JPEG segment is cut short');
    const end = m + 1 + ((b[m + 1]! << 8) | b[m + 2]!);
    if (end < m + 3 || end > b.length) throw malformed('a JPEG segment runs past the end');
    const payload = m + 3;
    if (marker === 0xe1 && ascii(b, payload, payload + 6) === 'Exif\0\0') {
      if (tiffHasGps(b, payload + 6, end)) {
        gps = true;
        if (strip) removeTiffGps(b, payload + 6, end);
      }
    } else if (marker === 0xe1 && XMP_JPEG.some((id) => ascii(b, payload, payload + id.length) === id)) {
      gps ||= mentionsGps(b, payload, end);
      if (strip && mpf) b.fill(0, payload, end);
      else if (strip) {
        keep.push(b.subarray(kept, p));
        kept = end;
      }
    } else if (marker === 0xe2 && ascii(b, payload, payload + 4) === 'MPF\0') {
      mpf = true;
    }
    p = end;
    if (marker === 0xda) {
      // SOS: entropy-coded data follows, up to the next marker that is not RSTn (B.1.1.5).
      for (;;) {
        p = b.indexOf(0xff, p);
        if (p < 0 || p + 1 >= b.length) return { keep: [...keep, b.subarray(kept)], end: b.length, gps };
        const next = b[p + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) p += 2;
        else if (next === 0xff) p += 1;
        else break;
      }
    }
  }
}

function walkJpeg(b: Uint8Array, strip: boolean): Walked {
  const first = jpegImage(b, 0, strip, false);
  const parts = first.keep;
  let gps = first.gps;
  let p = first.end;
  // Images after the first (Multi-Picture Format, or files simply appended): stripped in place.
  while (b[p] === 0xff && b[p + 1] === 0xd8) {
    const next = jpegImage(b, p, strip, true);
    gps ||= next.gps;
    p = next.end;
  }
  return { out: strip ? concat([...parts, b.subarray(first.end)]) : b, gps };
}

const u32be = (b: Uint8Array, p: number) =>
  b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
const u32le = (b: Uint8Array, p: number) =>
  b[p + 3]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 1]! << 8) | b[p]!);

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309, as PNG Third Edition Annex D computes it). */
function crc32(b: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const byte of b) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_XMP_KEYWORDS = /^(XML:com\.adobe\.xmp|Raw profile type (exif|app1|xmp))$/i;

/** Where a TIFF structure starts in an eXIf/EXIF payload ("Exif\0\0" first is a common mistake). */
const tiffStart = (b: Uint8Array, payload: number) =>
  ascii(b, payload, payload + 6) === 'Exif\0\0' ? payload + 6 : payload;

function walkPng(b: Uint8Array, strip: boolean): Walked {
  const parts: Uint8Array[] = [];
  let gps = false;
  let kept = 0;
  let p = 8;
  for (;;) {
    if (p + 12 > b.length) throw malformed('a PNG chunk is cut short');
    const length = u32be(b, p);
    const type = ascii(b, p + 4, p + 8);
    const data = p + 8;
    const end = data + length + 4;
    if (length > 0x7fffffff || end > b.length) throw malformed('a PNG chunk runs past the end');
    if (type === 'eXIf') {
      const tiff = tiffStart(b, data);
      if (tiffHasGps(b, tiff, data + length)) {
        gps = true;
        if (strip) {
          removeTiffGps(b, tiff, data + length);
          const crc = crc32(b.subarray(p + 4, data + length));
          b.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], data + length);
        }
      }
    } else if (type === 'tEXt' || type === 'iTXt' || type === 'zTXt') {
      const nul = b.subarray(data, data + Math.min(length, 80)).indexOf(0);
      if (nul > 0 && PNG_XMP_KEYWORDS.test(ascii(b, data, data + nul))) {
        gps ||= type !== 'zTXt' && mentionsGps(b, data, data + length);
        if (strip) {
          parts.push(b.subarray(kept, p));
          kept = end;
        }
      }
    }
    p = end;
    if (type === 'IEND') break;
  }
  return { out: strip ? concat([...parts, b.subarray(kept)]) : b, gps };
}

const VP8X_XMP_FLAG = 0x04;

function walkWebp(b: Uint8Array, strip: boolean): Walked {
  if (b.length < 12) throw malformed('the WebP header is cut short');
  const riffEnd = 8 + u32le(b, 4);
  if (riffEnd > b.length) throw malformed('the WebP file is cut short');
  const parts: Uint8Array[] = [];
  let gps = false;
  let kept = 0;
  let vp8x: number | undefined;
  let droppedXmp = false;
  let p = 12;
  while (p < riffEnd) {
    if (p + 8 > riffEnd) throw malformed('a WebP chunk is cut short');
    const fourcc = ascii(b, p, p + 4);
    const size = u32le(b, p + 4);
    const data = p + 8;
    // Chunks are padded to an even size; a missing last pad byte is forgiven.
    const end = Math.min(data + size + (size & 1), riffEnd);
    if (data + size > riffEnd) throw malformed('a WebP chunk runs past the end');
    if (fourcc === 'VP8X' && size >= 1) vp8x = data;
    if (fourcc === 'EXIF') {
      const tiff = tiffStart(b, data);
      if (tiffHasGps(b, tiff, data + size)) {
        gps = true;
        if (strip) removeTiffGps(b, tiff, data + size);
      }
    } else if (fourcc === 'XMP ') {
      gps ||= mentionsGps(b, data, data + size);
      if (strip) {
        parts.push(b.subarray(kept, p));
        kept = end;
        droppedXmp = true;
      }
    }
    p = end;
  }
  if (!strip) return { out: b, gps };
  if (droppedXmp && vp8x !== undefined) b[vp8x] = b[vp8x]! & ~VP8X_XMP_FLAG;
  const riff = concat([...parts, b.subarray(kept, riffEnd)]);
  const size = riff.length - 8;
  riff.set([size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24], 4);
  return { out: concat([riff, b.subarray(riffEnd)]), gps };
}
