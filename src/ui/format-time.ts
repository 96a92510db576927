/**
 * The one place that turns a time (milliseconds since 1970) into the words a person reads and into
 * the value of a `<time datetime>` attribute. Times come from this device and from the peer (a
 * message's `sentAt` is theirs, up to 2^53 − 1), so any number is accepted and nothing here
 * throws: a time a `Date` cannot hold (NaN, ±Infinity, beyond ±8.64e15 ms) reads "an unknown
 * time", which fits wherever a time would stand in a sentence. The words are in strings/time.ts.
 */
import * as text from './strings/time';

/** The largest distance from 1970 a `Date` holds (ECMA-262 §21.4.1.1: 100,000,000 days). */
const MAX_DATE_MS = 8.64e15;

export type TimeStyle =
  /** The clock time, as `toLocaleTimeString()` shows it. */
  | 'time'
  /** Hours and minutes only (beside a message in the chat, whose day is said above it). */
  | 'clock'
  /** Date and time, as `toLocaleString()` shows it (a security event). */
  | 'date-time'
  /** A 24-hour clock to the millisecond (a frame in the protocol inspector). */
  | 'precise';

const OPTIONS: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  time: { hour: 'numeric', minute: '2-digit', second: '2-digit' },
  clock: { hour: 'numeric', minute: '2-digit' },
  'date-time': {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  },
  precise: {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hour12: false,
  },
};

const formatters = new Map<TimeStyle, Intl.DateTimeFormat>();

function inRange(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}

/** `ms` in this browser's language and time zone, or "an unknown time"; never throws. */
export function formatTime(ms: number, style: TimeStyle = 'date-time'): string {
  if (!inRange(ms)) return text.unknownTime;
  try {
    let formatter = formatters.get(style);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat(undefined, OPTIONS[style]);
      formatters.set(style, formatter);
    }
    return formatter.format(ms);
  } catch {
    return text.unknownTime;
  }
}

/**
 * `ms` as a `<time datetime>` value (ISO 8601 in UTC), or undefined (no attribute) for a time
 * outside the years 1 to 9999, which HTML's date strings cannot write.
 */
export function timeAttribute(ms: number): string | undefined {
  if (!inRange(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : undefined;
}

const DAY_OPTIONS: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long' };
const DAY_WITH_YEAR_OPTIONS: Intl.DateTimeFormatOptions = { ...DAY_OPTIONS, year: 'numeric' };
let dayFormatter: Intl.DateTimeFormat | undefined;
let dayWithYearFormatter: Intl.DateTimeFormat | undefined;

/**
 * The local calendar day of `ms` as one number (year·10000 + month·100 + day), or undefined for a
 * time a `Date` cannot hold. Two times are on the same day when their keys are equal.
 */
export function dayKey(ms: number): number | undefined {
  if (!inRange(ms)) return undefined;
  const d = new Date(ms);
  return d.getFullYear() * 10_000 + (d.getMonth() + 1) * 100 + d.getDate();
}

/**
 * The heading of a day in the chat, as messengers say it: "Today", "Yesterday", otherwise the
 * date ("Monday, 30 November", with the year when it is not this year's), in this browser's
 * language and time zone. `now` is this device's clock. Never throws: "Unknown date".
 */
export function dayLabel(ms: number, now: number): string {
  const day = dayKey(ms);
  const today = dayKey(now);
  if (day === undefined || today === undefined) return text.unknownDay;
  if (day === today) return text.today;
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1); // a calendar day back, across DST changes too
  if (day === dayKey(yesterday.getTime())) return text.yesterday;
  try {
    const sameYear = Math.floor(day / 10_000) === Math.floor(today / 10_000);
    const formatter = sameYear
      ? (dayFormatter ??= new Intl.DateTimeFormat(undefined, DAY_OPTIONS))
      : (dayWithYearFormatter ??= new Intl.DateTimeFormat(undefined, DAY_WITH_YEAR_OPTIONS));
    return formatter.format(ms);
  } catch {
    return text.unknownDay;
  }
}
