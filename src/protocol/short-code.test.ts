import { describe, expect, it } from 'vitest';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { concatBytes, toHex } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import {
  M1_LENGTH,
  M2_LENGTH,
  M3_LENGTH,
  answerCreator,
  formatShortCode,
  outcomeError,
  parseShortCode,
  randomCodeWords,
  startCreatorExchange,
  type ShortCode,
  type ShortCodeOutcome,
} from './short-code';
import { FIRST_WORDS, SECOND_WORDS, wordsStartingWith } from './short-code-words';

const code: ShortCode = { nameplate: 7, words: ['aardvark', 'adroitness'] };

async function run(
  creatorCode: ShortCode,
  joinerCode: ShortCode,
  tamper: { m1?: (m: Uint8Array) => Uint8Array; m2?: (m: Uint8Array) => Uint8Array } = {},
): Promise<[ShortCodeOutcome, ShortCodeOutcome]> {
  const creator = startCreatorExchange(creatorCode);
  const joiner = await answerCreator(joinerCode, tamper.m1 ? tamper.m1(creator.m1) : creator.m1);
  const { m3, outcome } = await creator.finish(tamper.m2 ? tamper.m2(joiner.m2) : joiner.m2);
  return [outcome, await joiner.finish(m3)];
}

/** Another valid ristretto255 element in place of a share: a party in the middle's own message. */
function substituteShare(message: Uint8Array, at: number): Uint8Array {
  const out = message.slice();
  out.set(ristretto255.Point.BASE.multiply(12345n + BigInt(at)).toBytes(), at);
  return out;
}

describe('short codes', () => {
  it('formats and parses a code however it is typed', () => {
    expect(formatShortCode(code)).toBe('7-aardvark-adroitness');
    // The example the screens give is a code that parses.
    expect(formatShortCode(parseShortCode('7-orca-whimsical'))).toBe('7-orca-whimsical');
    for (const typed of [
      '7-aardvark-adroitness',
      ' 7 Aardvark ADROITNESS ',
      '7.aardvark.adroitness',
      '7 - aardvark - adroitness',
    ]) {
      expect(parseShortCode(typed)).toEqual(code);
    }
    // The list spells one word with an accent; typed without it, it is the same word.
    expect(SECOND_WORDS).toContain('yucatan');
    expect(parseShortCode('12 aardvark Yucatán').words[1]).toBe('yucatan');
  });

  it('refuses a code with a sentence naming what is wrong', () => {
    const message = (text: string) => {
      try {
        parseShortCode(text);
      } catch (e) {
        expect(ProtocolError.is(e, 'BAD_SHORT_CODE')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message('')).toMatch(/Type the code/);
    expect(message('aardvark-adroitness')).toMatch(/starts with its number/);
    expect(message('0-aardvark-adroitness')).toMatch(/starts with its number/);
    expect(message('1000-aardvark-adroitness')).toMatch(/starts with its number/);
    expect(message('7-aardvark')).toMatch(/two words/);
    expect(message('7-aardvark-adroitness-absurd')).toMatch(/only two words/);
    expect(message('7-adroitness-aardvark')).toMatch(/is a second word: check the order/);
    expect(message('7-guitar-adroitness')).toMatch(/“guitar” is not one of the code’s words/);
  });

  it('draws words from the two lists, and completes a word being typed', () => {
    expect(FIRST_WORDS).toHaveLength(256);
    expect(SECOND_WORDS).toHaveLength(256);
    expect(new Set([...FIRST_WORDS, ...SECOND_WORDS]).size).toBe(512);
    for (let i = 0; i < 50; i++) {
      const words = randomCodeWords();
      expect(parseShortCode(`5-${words[0]}-${words[1]}`).words).toEqual(words);
    }
    expect(wordsStartingWith('aa', 0)).toEqual(['aardvark']);
    expect(wordsStartingWith('AD', 1)).toEqual(['adroitness', 'adviser']);
    expect(wordsStartingWith('ad', 0)).toEqual(['adrift', 'adult']);
    expect(wordsStartingWith('b', 0, 3)).toHaveLength(3);
    expect(wordsStartingWith('', 0)).toEqual([]);
  });

  it('gives both sides the same keys when the codes match', async () => {
    const [a, b] = await run(code, code);
    expect(a.kind).toBe('match');
    expect(b.kind).toBe('match');
    if (a.kind !== 'match' || b.kind !== 'match') return;
    expect(toHex(a.roomSecret)).toBe(toHex(b.roomSecret));
    expect(toHex(a.noiseBinding)).toBe(toHex(b.noiseBinding));
    expect(a.roomSecret).toHaveLength(16);
    expect(a.noiseBinding).toHaveLength(32);
    // Fresh every run.
    const [again] = await run(code, code);
    expect(again.kind === 'match' && toHex(again.roomSecret)).not.toBe(toHex(a.roomSecret));
  });

  it('messages have their fixed lengths', async () => {
    const creator = startCreatorExchange(code);
    expect(creator.m1).toHaveLength(M1_LENGTH);
    const joiner = await answerCreator(code, creator.m1);
    expect(joiner.m2).toHaveLength(M2_LENGTH);
    const { m3 } = await creator.finish(joiner.m2);
    expect(m3).toHaveLength(M3_LENGTH);
  });

  it('a different word, or another nameplate, is a mismatch on both sides', async () => {
    expect(await run(code, { nameplate: 7, words: ['aardvark', 'adviser'] })).toEqual([
      { kind: 'mismatch' },
      { kind: 'mismatch' },
    ]);
    // The same words under another number: the CI differs, and so does the transcript.
    const [a, b] = await run(code, { nameplate: 8, words: code.words });
    expect(a.kind).not.toBe('match');
    expect(b.kind).not.toBe('match');
    expect(outcomeError({ kind: 'mismatch' }).message).toMatch(/^The codes did not match/);
  });

  it('shares substituted in the middle are reported as interception on both sides', async () => {
    expect(
      await run(code, code, { m1: (m) => substituteShare(m, 17), m2: (m) => substituteShare(m, 0) }),
    ).toEqual([{ kind: 'interception' }, { kind: 'interception' }]);
    // Only one direction changed: still both.
    expect(await run(code, code, { m2: (m) => substituteShare(m, 0) })).toEqual([
      { kind: 'interception' },
      { kind: 'interception' },
    ]);
    expect(outcomeError({ kind: 'interception' }).code).toBe('POSSIBLE_INTERCEPTION');
  });

  it('an invalid point or the identity as a share ends the exchange, never a match', async () => {
    const identity = ristretto255.Point.ZERO.toBytes();
    const invalid = new Uint8Array(32).fill(0xff);
    for (const bad of [identity, invalid]) {
      const [a, b] = await run(code, code, {
        m1: (m) => concatBytes(m.slice(0, 17), bad),
        m2: (m) => concatBytes(bad, m.slice(32)),
      });
      expect(a.kind).toBe('interception');
      expect(b.kind).toBe('interception');
    }
  });

  it('refuses a first message of the wrong shape or version before answering it', async () => {
    const creator = startCreatorExchange(code);
    await expect(answerCreator(code, creator.m1.slice(1))).rejects.toThrow(/wrong shape/);
    const v2 = creator.m1.slice();
    v2[0] = 2;
    await expect(answerCreator(code, v2)).rejects.toThrow(/another version/);
  });

  it('a malformed or missing reply still ends both sides', async () => {
    const creator = startCreatorExchange(code);
    const joiner = await answerCreator(code, creator.m1);
    const { m3, outcome } = await creator.finish(randomBytes(5));
    expect(outcome.kind).toBe('interception');
    expect(await joiner.finish(m3)).toEqual({ kind: 'interception' });
    await expect(creator.finish(joiner.m2)).rejects.toThrow(/already finished/);
    const other = await answerCreator(code, startCreatorExchange(code).m1);
    expect(await other.finish(new Uint8Array(3))).toEqual({ kind: 'interception' });
  });

  it('a reply whose transcript hash alone was changed: the creator refuses it, and the joiner learns so', async () => {
    expect(
      await run(code, code, {
        m2: (m) => {
          const out = m.slice();
          out[40]! ^= 1;
          return out;
        },
      }),
    ).toEqual([{ kind: 'interception' }, { kind: 'interception' }]);
  });

  it('a forged confirmation with the right transcript is a mismatch, not a match', async () => {
    const creator = startCreatorExchange(code);
    const joiner = await answerCreator(code, creator.m1);
    const forged = joiner.m2.slice();
    forged[M2_LENGTH - 1]! ^= 1;
    const { outcome } = await creator.finish(forged);
    expect(outcome).toEqual({ kind: 'mismatch' });
  });
});
