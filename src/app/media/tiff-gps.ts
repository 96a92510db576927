/**
 * Finds and removes the GPS IFD of an Exif block, in place. Exif metadata is a TIFF structure
 * (TIFF 6.0, section 2 "TIFF Structure"; Exif 2.32 / CIPA DC-008-2019, 4.6.2 "IFD Structure"):
 *
 *   header:  "II" (little-endian) or "MM" (big-endian), 42, offset of IFD0 (4 bytes)
 *   IFD:     count (2 bytes), count × entry (12 bytes: tag 2, type 2, count 4, value-or-offset 4),
 *            offset of the next IFD (4 bytes; 0 ends the chain: IFD0 → IFD1, the thumbnail's)
 *
 * Every offset counts from the start of the header, so an edit that keeps every byte where it is
 * keeps every other pointer valid. The GPS attributes live in their own IFD (Exif 2.32, 4.6.6),
 * found through tag 0x8825 (GPSInfoIFDPointer) in IFD0. To remove them:
 *
 * 1. every value a GPS entry stores outside its entry (more than 4 bytes: the rationals of
 *    latitude, longitude, altitude, the date stamp…) is overwritten with zeros, then the GPS IFD
 *    itself (count, entries, next offset);
 * 2. the 0x8825 entry is taken out of its IFD: the entries after it and the next-IFD offset move
 *    up 12 bytes, the count drops by one, and the 12 bytes freed at the end become zeros.
 *
 * Taking the entry out (rather than renaming it to some other tag) leaves a directory that any
 * TIFF reader accepts as written: tags stay in ascending order (TIFF 6.0 requires it), nothing
 * points at the zeroed bytes, and no made-up tag is left for a reader to puzzle over. The file's
 * size does not change, so nothing else (the Exif sub-IFD, the thumbnail, a JPEG's MPF offsets)
 * moves. Every read is bounds-checked: a pointer past the end is MALFORMED, never a RangeError.
 */
import { MediaError } from './errors';

/** TIFF 6.0 section 2 and Exif 2.32 4.6.2: the size of one value of each field type. */
const TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
};

export const GPS_IFD_POINTER = 0x8825;
/** IFD0 and IFD1 are all Exif defines; a few more allow for writers that chain others. */
const MAX_IFDS = 8;

export function malformed(what: string): MediaError {
  return new MediaError(
    'MALFORMED',
    `This photo's data is damaged (${what}), so its location could not be removed.`,
  );
}

/** A TIFF structure at bytes[start, end). */
class Tiff {
  private readonly le: boolean;
  constructor(
    private readonly b: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {
    if (end - start < 8) throw malformed('the Exif block is too short');
    const order = String.fromCharCode(b[start] ?? 0, b[start + 1] ?? 0);
    if (order !== 'II' && order !== 'MM') throw malformed('the Exif block has no byte order');
    this.le = order === 'II';
    if (this.u16(2) !== 42) throw malformed('the Exif block is not TIFF');
  }

  get length(): number {
    return this.end - this.start;
  }

  private at(off: number, size: number): number {
    if (off < 0 || off + size > this.length) throw malformed('an Exif offset points past its end');
    return this.start + off;
  }

  u16(off: number): number {
    const p = this.at(off, 2);
    const [x, y] = [this.b[p]!, this.b[p + 1]!];
    return this.le ? x | (y << 8) : (x << 8) | y;
  }

  u32(off: number): number {
    const hi = this.u16(this.le ? off + 2 : off);
    const lo = this.u16(this.le ? off : off + 2);
    return hi * 0x10000 + lo;
  }

  set16(off: number, value: number): void {
    const p = this.at(off, 2);
    this.b[p] = this.le ? value & 0xff : value >> 8;
    this.b[p + 1] = this.le ? value >> 8 : value & 0xff;
  }

  zero(off: number, size: number): void {
    const p = this.at(off, size);
    this.b.fill(0, p, p + size);
  }

  /** Moves [from, from + size) to `to`, within the structure. */
  move(to: number, from: number, size: number): void {
    const src = this.at(from, size);
    const dst = this.at(to, size);
    this.b.copyWithin(dst, src, src + size);
  }

  /** The offsets of the IFD chain from IFD0, each checked to hold its entries. */
  ifds(): number[] {
    const found: number[] = [];
    let off = this.u32(4);
    while (off !== 0) {
      if (found.includes(off) || found.length >= MAX_IFDS) throw malformed('the Exif directories loop');
      const count = this.u16(off);
      this.at(off, 2 + 12 * count + 4);
      found.push(off);
      off = this.u32(off + 2 + 12 * count);
    }
    return found;
  }
}

/** Where each 0x8825 entry is: [IFD offset, entry index]. */
function gpsPointers(t: Tiff): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (const ifd of t.ifds()) {
    const count = t.u16(ifd);
    for (let i = 0; i < count; i++) if (t.u16(ifd + 2 + 12 * i) === GPS_IFD_POINTER) found.push([ifd, i]);
  }
  return found;
}

/** Whether the TIFF structure at bytes[start, end) points to a GPS IFD. */
export function tiffHasGps(bytes: Uint8Array, start: number, end: number): boolean {
  return gpsPointers(new Tiff(bytes, start, end)).length > 0;
}

/**
 * Removes the GPS IFD from the TIFF structure at bytes[start, end), in place (steps 1 and 2
 * above). Returns whether there was one. Throws MALFORMED, changing nothing, if any offset it
 * needs points outside the structure.
 */
export function removeTiffGps(bytes: Uint8Array, start: number, end: number): boolean {
  const t = new Tiff(bytes, start, end);
  const pointers = gpsPointers(t);
  if (pointers.length === 0) return false;
  // Plan every write before making any, so a bad offset throws with the bytes untouched.
  const zeros: Array<[number, number]> = [];
  for (const [ifd, i] of pointers) {
    const gps = t.u32(ifd + 2 + 12 * i + 8);
    if (gps === 0) continue;
    const count = t.u16(gps);
    t.u32(gps + 2 + 12 * count); // the directory fits
    for (let k = 0; k < count; k++) {
      const entry = gps + 2 + 12 * k;
      const valueSize = (TYPE_SIZE[t.u16(entry + 2)] ?? 0) * t.u32(entry + 4);
      if (valueSize > 4) {
        const valueOff = t.u32(entry + 8);
        if (valueOff + valueSize > t.length) throw malformed('a GPS value points past the end');
        zeros.push([valueOff, valueSize]);
      }
    }
    zeros.push([gps, 2 + 12 * count + 4]);
  }
  const directories = t.ifds().map((ifd) => [ifd, 2 + 12 * t.u16(ifd) + 4] as const);
  for (const [off, size] of zeros) {
    if (directories.some(([d, dSize]) => off < d + dSize && d < off + size))
      throw malformed('the GPS data overlaps another Exif directory');
  }
  for (const [off, size] of zeros) t.zero(off, size);
  // Take the entries out, last first, so the earlier ones stay where gpsPointers() found them.
  for (const [ifd, i] of [...pointers].reverse()) {
    const count = t.u16(ifd);
    const entry = ifd + 2 + 12 * i;
    const tail = ifd + 2 + 12 * count + 4 - (entry + 12);
    t.move(entry, entry + 12, tail);
    t.zero(ifd + 2 + 12 * (count - 1) + 4, 12);
    t.set16(ifd, count - 1);
  }
  return true;
}
