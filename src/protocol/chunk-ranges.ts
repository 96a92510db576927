/**
 * Ranges of chunk indexes, as a `file-chunk-ack` carries them (file-records.ts): half-open
 * [start, end), and "canonical" when non-empty, sorted and merged (no two overlap or touch). Pure
 * helpers over such lists; none changes its input.
 */
import { ProtocolError } from './errors';

/** Chunks [start, end). */
export type ChunkRange = readonly [start: number, end: number];

const MAX_U32 = 0xffffffff;

/** Any ranges (in any order, overlapping, empty) as canonical ranges. */
export function mergeRanges(ranges: readonly ChunkRange[]): ChunkRange[] {
  const sorted = ranges.filter(([s, e]) => s < e).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Index of the first canonical range whose end is ≥ `index`. */
function firstEndingAtOrAfter(ranges: readonly ChunkRange[], index: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]![1] < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Canonical `ranges` with chunk `index` added (a new array; `ranges` is left alone). */
export function addRange(ranges: readonly ChunkRange[], index: number): ChunkRange[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_U32) {
    throw new ProtocolError('BAD_ARGUMENT', 'index must be a chunk index below 2^32 - 1.');
  }
  const i = firstEndingAtOrAfter(ranges, index);
  let start = index;
  let end = index + 1;
  let j = i;
  for (; j < ranges.length && ranges[j]![0] <= end; j++) {
    start = Math.min(start, ranges[j]![0]);
    end = Math.max(end, ranges[j]![1]);
  }
  return [...ranges.slice(0, i), [start, end], ...ranges.slice(j)];
}

/** How many chunks canonical `ranges` hold. */
export function rangesCount(ranges: readonly ChunkRange[]): number {
  return ranges.reduce((n, [s, e]) => n + (e - s), 0);
}

/** Whether canonical `ranges` hold chunk `index`. */
export function contains(ranges: readonly ChunkRange[], index: number): boolean {
  const r = ranges[firstEndingAtOrAfter(ranges, index + 1)];
  return r !== undefined && r[0] <= index;
}

/** The first chunk index ≥ `from` and < `count` that canonical `ranges` lack; undefined if none. */
export function firstMissing(ranges: readonly ChunkRange[], count: number, from = 0): number | undefined {
  let i = Math.max(0, from);
  const r = ranges[firstEndingAtOrAfter(ranges, i + 1)];
  if (r !== undefined && r[0] <= i) i = r[1];
  return i < count ? i : undefined;
}

/** Whether canonical `ranges` hold every chunk of a file of `count` chunks. */
export function coversAll(ranges: readonly ChunkRange[], count: number): boolean {
  return firstMissing(ranges, count) === undefined;
}
