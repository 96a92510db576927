import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayKey, dayLabel, formatTime, timeAttribute, type TimeStyle } from './format-time';
import { unknownDay as UNKNOWN_DAY, unknownTime as UNKNOWN_TIME } from './strings/time';

const STYLES: readonly TimeStyle[] = ['time', 'clock', 'date-time', 'precise'];
const NOON_UTC = Date.UTC(2026, 0, 15, 12, 34, 56, 789);

describe('formatTime', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['2^53 − 1 (a peer’s largest sentAt)', Number.MAX_SAFE_INTEGER],
    ['-(2^53 − 1)', -Number.MAX_SAFE_INTEGER],
    ['one past the last Date', 8.64e15 + 1],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
  ])('reads "an unknown time" for %s instead of throwing RangeError', (_label, ms) => {
    for (const style of STYLES) expect(formatTime(ms, style)).toBe(UNKNOWN_TIME);
  });

  it('reads "an unknown time" for a value that is not a number at all (a damaged record)', () => {
    expect(formatTime('soon' as unknown as number)).toBe(UNKNOWN_TIME);
    expect(formatTime(undefined as unknown as number)).toBe(UNKNOWN_TIME);
  });

  it('formats a time as toLocaleTimeString / toLocaleString do, and the inspector clock to the millisecond', () => {
    const d = new Date(NOON_UTC);
    expect(formatTime(NOON_UTC, 'time')).toBe(d.toLocaleTimeString());
    expect(formatTime(NOON_UTC, 'date-time')).toBe(d.toLocaleString());
    expect(formatTime(NOON_UTC)).toBe(d.toLocaleString());
    expect(formatTime(NOON_UTC, 'precise')).toMatch(/\b\d{2}\D\d{2}\D\d{2}\D789\b/);
  });

  it('formats times before 1970 and the last times a Date holds', () => {
    for (const ms of [-1, -8.64e15, 8.64e15, 0]) {
      for (const style of STYLES) {
        const text = formatTime(ms, style);
        expect(text).not.toBe(UNKNOWN_TIME);
        expect(text).not.toMatch(/Invalid/);
      }
    }
  });

  it('never throws and never reads "Invalid Date", for any number', () => {
    fc.assert(
      fc.property(fc.double(), fc.constantFrom(...STYLES), (ms, style) => {
        const text = formatTime(ms, style);
        expect(text).not.toBe('');
        expect(text).not.toMatch(/Invalid/);
      }),
    );
  });
});

describe('timeAttribute', () => {
  it('is the ISO time in UTC for an ordinary time', () => {
    expect(timeAttribute(NOON_UTC)).toBe('2026-01-15T12:34:56.789Z');
    expect(timeAttribute(-1)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('is undefined (no attribute) where toISOString would throw or write a year HTML cannot read', () => {
    for (const ms of [Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 8.64e15, -8.64e15]) {
      expect(timeAttribute(ms)).toBeUndefined();
    }
    expect(timeAttribute(Date.UTC(10_000, 0, 1))).toBeUndefined();
    const yearOne = new Date('0001-01-01T00:00:00.000Z').getTime();
    expect(timeAttribute(yearOne)).toBe('0001-01-01T00:00:00.000Z');
    expect(timeAttribute(yearOne - 1)).toBeUndefined();
  });

  it('never throws, for any number', () => {
    fc.assert(
      fc.property(fc.double(), (ms) => {
        const value = timeAttribute(ms);
        if (value !== undefined) expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }),
    );
  });
});

describe('dayLabel', () => {
  /** Local times, so that the test holds in any time zone. */
  const at = (y: number, m: number, d: number, h = 12, min = 0) => new Date(y, m - 1, d, h, min).getTime();
  const now = at(2026, 12, 7, 9, 30);

  it('says "Today" for any time of this local day, and "Yesterday" for any time of the one before', () => {
    expect(dayLabel(at(2026, 12, 7, 0, 0), now)).toBe('Today');
    expect(dayLabel(at(2026, 12, 7, 23, 59), now)).toBe('Today');
    expect(dayLabel(at(2026, 12, 6, 0, 0), now)).toBe('Yesterday');
    expect(dayLabel(at(2026, 12, 6, 23, 59), now)).toBe('Yesterday');
    // Across a month's and a year's end.
    expect(dayLabel(at(2026, 11, 30), at(2026, 12, 1, 0, 5))).toBe('Yesterday');
    expect(dayLabel(at(2025, 12, 31, 23, 0), at(2026, 1, 1, 0, 5))).toBe('Yesterday');
  });

  it('gives the date for older days, with the year only when it is not this year', () => {
    const older = at(2026, 12, 1);
    expect(dayLabel(older, now)).toBe(
      new Date(older).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long' }),
    );
    expect(dayLabel(older, now)).not.toMatch(/2026/);
    expect(dayLabel(at(2025, 12, 1), now)).toMatch(/2025/);
    // A message from "tomorrow" (the peer's clock runs ahead) is a date, not "Today".
    expect(dayLabel(at(2026, 12, 8), now)).not.toMatch(/^(Today|Yesterday)$/);
  });

  it('reads "Unknown date" for a time a Date cannot hold, and never throws', () => {
    expect(dayLabel(Number.MAX_SAFE_INTEGER, now)).toBe(UNKNOWN_DAY);
    expect(dayLabel(Number.NaN, now)).toBe(UNKNOWN_DAY);
    expect(dayLabel(now, Number.NaN)).toBe(UNKNOWN_DAY);
    fc.assert(
      fc.property(fc.double(), (ms) => {
        const text = dayLabel(ms, now);
        expect(text).not.toBe('');
        expect(text).not.toMatch(/Invalid/);
      }),
    );
  });
});

describe('dayKey', () => {
  it('is equal for two times on one local day and differs for the next day', () => {
    const morning = new Date(2026, 5, 1, 0, 1).getTime();
    const evening = new Date(2026, 5, 1, 23, 59).getTime();
    expect(dayKey(morning)).toBe(dayKey(evening));
    expect(dayKey(evening + 2 * 60_000)).not.toBe(dayKey(evening));
    expect(dayKey(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});
