/**
 * The range helpers (chunk-ranges.ts) against a plain set of chunk indexes, and their edges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChunkRange,
  addRange,
  contains,
  coversAll,
  firstMissing,
  mergeRanges,
  rangesCount,
} from './chunk-ranges';
import { expectCode } from './codec.test-util';

describe('ranges of chunks', () => {
  /** Canonical ranges from a set of indexes, the slow way. */
  const fromSet = (set: ReadonlySet<number>): ChunkRange[] => {
    const out: [number, number][] = [];
    for (const i of [...set].sort((a, b) => a - b)) {
      const last = out[out.length - 1];
      if (last && last[1] === i) last[1] = i + 1;
      else out.push([i, i + 1]);
    }
    return out;
  };

  it('addRange, mergeRanges, contains, rangesCount, firstMissing and coversAll agree with a set', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(60), { maxLength: 80 }), fc.nat(70), fc.nat(65), (indexes, count, from) => {
        let ranges: ChunkRange[] = [];
        const set = new Set<number>();
        for (const i of indexes) {
          const before = ranges;
          ranges = addRange(ranges, i);
          set.add(i);
          expect(ranges).toEqual(fromSet(set));
          expect(before).not.toBe(ranges);
        }
        expect(mergeRanges(indexes.map((i): ChunkRange => [i, i + 1]))).toEqual(ranges);
        expect(rangesCount(ranges)).toBe(set.size);
        for (let i = 0; i < 64; i++) expect(contains(ranges, i)).toBe(set.has(i));
        let missing: number | undefined;
        for (let i = from; i < count; i++) {
          if (!set.has(i)) {
            missing = i;
            break;
          }
        }
        expect(firstMissing(ranges, count, from)).toBe(missing);
        expect(coversAll(ranges, count)).toBe([...Array(count).keys()].every((i) => set.has(i)));
      }),
    );
  });

  it('mergeRanges takes any ranges: unsorted, overlapping, touching, empty', () => {
    expect(
      mergeRanges([
        [5, 7],
        [0, 2],
        [2, 3],
        [6, 9],
        [4, 4],
        [10, 8],
      ]),
    ).toEqual([
      [0, 3],
      [5, 9],
    ]);
    expect(mergeRanges([])).toEqual([]);
  });

  it('addRange leaves its input alone and refuses an index that is not a chunk index', () => {
    const ranges: ChunkRange[] = [
      [0, 2],
      [4, 6],
    ];
    expect(addRange(ranges, 3)).toEqual([
      [0, 2],
      [3, 6],
    ]);
    expect(
      addRange(
        [
          [0, 2],
          [3, 6],
        ],
        2,
      ),
    ).toEqual([[0, 6]]);
    expect(addRange(ranges, 2)).toEqual([
      [0, 3],
      [4, 6],
    ]);
    expect(addRange(ranges, 1)).toEqual(ranges);
    expect(addRange(ranges, 9)).toEqual([
      [0, 2],
      [4, 6],
      [9, 10],
    ]);
    expect(ranges).toEqual([
      [0, 2],
      [4, 6],
    ]);
    expectCode(() => addRange(ranges, -1), 'BAD_ARGUMENT');
    expectCode(() => addRange(ranges, 0.5), 'BAD_ARGUMENT');
  });

  it('a file of no chunks is covered; firstMissing starts from `from`', () => {
    expect(coversAll([], 0)).toBe(true);
    expect(coversAll([[0, 3]], 3)).toBe(true);
    expect(coversAll([[0, 3]], 4)).toBe(false);
    expect(
      firstMissing(
        [
          [0, 3],
          [4, 9],
        ],
        10,
        4,
      ),
    ).toBe(9);
    expect(
      firstMissing(
        [
          [0, 3],
          [4, 9],
        ],
        9,
        4,
      ),
    ).toBeUndefined();
  });
});
