/**
 * The words of short codes: the PGP word list (words/SOURCE.md), its "even" words for a code's
 * first word and its "odd" words for the second, as magic-wormhole does. Two words carry 16 bits;
 * the nameplate adds none (the worker hands it out), so a wrong guess has a 1 in 65,536 chance, and
 * the worker allows one guess per nameplate (nameplate.ts).
 *
 * Words are compared lowercase with diacritics removed. Every word is unique across both lists,
 * so a word typed in the wrong place is recognised and named in the error.
 */
import list from './words/pgp-word-list.json';

function normalizeWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function column(index: 0 | 1): readonly string[] {
  if (!Array.isArray(list) || list.length !== 256) throw new Error('The short-code word list is damaged.');
  return list.map((pair: unknown) => {
    const word: unknown = Array.isArray(pair) ? pair[index] : undefined;
    if (typeof word !== 'string') throw new Error('The short-code word list is damaged.');
    return normalizeWord(word);
  });
}

/** The first word of a code: the list's two-syllable "even" words. */
export const FIRST_WORDS: readonly string[] = column(0);
/** The second word of a code: the three-syllable "odd" words. */
export const SECOND_WORDS: readonly string[] = column(1);

const FIRST = new Set(FIRST_WORDS);
const SECOND = new Set(SECOND_WORDS);

/** The word as codes compare it (lowercase, no diacritics), without checking it is in a list. */
export function codeWord(word: string): string {
  return normalizeWord(word.trim());
}

export function isFirstWord(word: string): boolean {
  return FIRST.has(codeWord(word));
}

export function isSecondWord(word: string): boolean {
  return SECOND.has(codeWord(word));
}

/**
 * The words of `position` (0: first word, 1: second) starting with `prefix`, in list order, at
 * most `limit`: the completion the UI offers while a code is typed.
 */
export function wordsStartingWith(prefix: string, position: 0 | 1, limit = 6): string[] {
  const p = codeWord(prefix);
  if (!p) return [];
  const words = position === 0 ? FIRST_WORDS : SECOND_WORDS;
  const out: string[] = [];
  for (const w of words) {
    if (w.startsWith(p)) out.push(w);
    if (out.length >= limit) break;
  }
  return out;
}
