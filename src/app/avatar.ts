/**
 * A contact's avatar, as the conversation list and the chat header draw it: initials from the
 * name shown, on a colour derived from the contact's keys. Pure functions; the UI draws them.
 *
 * - The colour is one of AVATAR_COLOURS, picked by the contact's user id (derived from its keys,
 *   src/protocol/user-id.ts): the same contact has the same colour on every device and after every
 *   reload, and a new key (a key change, a rotation) may give another. Its text colour is black or
 *   white, whichever contrasts more: at least 4.5:1 for every colour (WCAG 2.2 AA, 1.4.3).
 * - Initials are whole graphemes (an accented letter, a letter and its marks, a family emoji stay
 *   one), at most two: the first letter of the first word and of the last word; a name with no
 *   letter or digit gives its first grapheme; invisible and control characters never count.
 */

/** The avatar colours (Material Design 800 shades): 12, told apart by hue. */
export const AVATAR_COLOURS = [
  '#C62828',
  '#AD1457',
  '#6A1B9A',
  '#4527A0',
  '#283593',
  '#1565C0',
  '#00695C',
  '#2E7D32',
  '#EF6C00',
  '#F9A825',
  '#4E342E',
  '#37474F',
] as const;

export interface AvatarColour {
  /** CSS hex colour of the circle. */
  readonly background: string;
  /** '#000000' or '#FFFFFF', whichever contrasts more with `background`. */
  readonly foreground: '#000000' | '#FFFFFF';
}

/** The WCAG 2.2 relative luminance of a '#RRGGBB' colour. */
export function relativeLuminance(hex: string): number {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new TypeError('A colour must be #RRGGBB.');
  const n = parseInt(m[1]!, 16);
  const channel = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

/** The WCAG contrast ratio of two '#RRGGBB' colours, 1 … 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The avatar colour of the contact with this user id (16 bytes, from its keys). */
export function avatarColour(userId: Uint8Array): AvatarColour {
  if (userId.length < 2) throw new TypeError('A user id must have at least 2 bytes.');
  const background = AVATAR_COLOURS[((userId[0]! << 8) | userId[1]!) % AVATAR_COLOURS.length]!;
  const foreground =
    contrastRatio(background, '#FFFFFF') >= contrastRatio(background, '#000000') ? '#FFFFFF' : '#000000';
  return { background, foreground };
}

/** Characters that never make an initial: invisible, formatting, control, unassigned. */
const IGNORED = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]/gu;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]/u;

function graphemes(text: string): string[] {
  if (typeof Intl !== 'undefined' && 'Segmenter' in Intl) {
    return [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map(
      (s) => s.segment,
    );
  }
  return [...text]; // code points: never half a surrogate pair
}

/** A grapheme in capitals, unless that makes it more than one (German ß stays ß). */
function upper(g: string): string {
  const u = g.toLocaleUpperCase();
  return graphemes(u).length === 1 ? u : g;
}

/** One or two initials for the name shown; '' for a name with nothing visible in it. */
export function initials(name: string): string {
  const words: string[][] = [[]];
  for (const g of graphemes(name.normalize('NFC'))) {
    const visible = g.replace(IGNORED, '');
    if (/^[\s\p{Z}]*$/u.test(visible)) {
      // A space ends a word; an invisible character on its own is dropped.
      if (visible !== '' && words.at(-1)!.length > 0) words.push([]);
    } else {
      words.at(-1)!.push(g);
    }
  }
  // A letter's initial without the invisible characters it may carry; an emoji as it is.
  const letters = words
    .map((w) => w.map((g) => g.replace(IGNORED, '')).find((g) => LETTER_OR_DIGIT.test(g)))
    .filter((g): g is string => g !== undefined);
  if (letters.length === 0) return words[0]![0] ?? '';
  const chosen = letters.length === 1 ? [letters[0]!] : [letters[0]!, letters.at(-1)!];
  return chosen.map(upper).join('');
}
