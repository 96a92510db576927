import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  MAX_NAME_CHARS,
  checkName,
  confusableNames,
  localNameProblem,
  nameIssueSentences,
  type NameIssueKind,
} from './names';

/** The one issue a name has, as [kind, code points]. */
function onlyIssue(name: string): [NameIssueKind, readonly number[]] {
  const { issues } = checkName(name);
  expect(issues).toHaveLength(1);
  const [issue] = issues;
  return [issue?.kind ?? 'empty', issue?.codePoints ?? []];
}

describe('checkName flags each kind of impersonation', () => {
  it.each([
    ['ZWSP U+200B', 'A\u200Blice', 0x200b, 'A⟨U+200B⟩lice'],
    ['ZWNJ U+200C', 'Ali\u200Cce', 0x200c, 'Ali⟨U+200C⟩ce'],
    ['ZWJ U+200D between letters', 'Al\u200Dice', 0x200d, 'Al⟨U+200D⟩ice'],
    ['ZWJ U+200D after a letter before an emoji', 'a\u200D💻', 0x200d, 'a⟨U+200D⟩💻'],
    ['BOM U+FEFF', '\uFEFFAlice', 0xfeff, '⟨U+FEFF⟩Alice'],
    ['a tag character U+E0041', 'Alice\u{E0041}', 0xe0041, 'Alice⟨U+E0041⟩'],
    ['soft hyphen U+00AD', 'Ali\u00ADce', 0xad, 'Ali⟨U+00AD⟩ce'],
    ['word joiner U+2060', 'Ali\u2060ce', 0x2060, 'Ali⟨U+2060⟩ce'],
    ['Hangul filler U+3164', '\u3164', 0x3164, '⟨U+3164⟩'],
    ['VS16 U+FE0F after a letter', 'Alice\uFE0F', 0xfe0f, 'Alice⟨U+FE0F⟩'],
    ['VS15 U+FE0E after an emoji', '❤\uFE0E', 0xfe0e, '❤⟨U+FE0E⟩'],
  ])('invisible: %s', (_, name, codePoint, visible) => {
    expect(onlyIssue(name)).toEqual(['invisible', [codePoint]]);
    expect(checkName(name).visible).toBe(visible);
  });

  it('invisible: a VS16 after an emoji modifier, and the ZWJ that follows it', () => {
    expect(onlyIssue('👩🏽\uFE0F\u200D💻')).toEqual(['invisible', [0xfe0f, 0x200d]]);
    expect(onlyIssue('\u200D💻')).toEqual(['invisible', [0x200d]]);
    expect(onlyIssue('👩\u200D')).toEqual(['invisible', [0x200d]]);
  });

  it('invisible: tag characters even inside a flag tag sequence', () => {
    const england = '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';
    expect(onlyIssue(england)).toEqual(['invisible', [0xe0067, 0xe0062, 0xe0065, 0xe006e, 0xe007f]]);
    expect(checkName(england).visible).toBe('🏴⟨U+E0067⟩⟨U+E0062⟩⟨U+E0065⟩⟨U+E006E⟩⟨U+E0067⟩⟨U+E007F⟩');
  });

  it.each([
    ['RLM U+200F', '\u200FAlice', 0x200f],
    ['LRM U+200E', 'Alice\u200E', 0x200e],
    ['ALM U+061C', 'محمد\u061C', 0x061c],
    ['RLO U+202E', 'Alice\u202Egnp.exe', 0x202e],
  ])('bidi: %s', (_, name, codePoint) => {
    expect(onlyIssue(name)).toEqual(['bidi', [codePoint]]);
  });

  it('bidi: an isolate pair LRI U+2066 … PDI U+2069', () => {
    expect(onlyIssue('\u2066Alice\u2069')).toEqual(['bidi', [0x2066, 0x2069]]);
    expect(checkName('\u2066Alice\u2069').visible).toBe('⟨U+2066⟩Alice⟨U+2069⟩');
  });

  it.each([
    ['tab', 'Ana\tLopez', 0x09],
    ['newline', 'Ana\nLopez', 0x0a],
    ['line separator U+2028', 'Ana\u2028Lopez', 0x2028],
    ['paragraph separator U+2029', 'Ana\u2029Lopez', 0x2029],
    ['C1 control U+0085', 'Ana\u0085Lopez', 0x85],
  ])('control: %s', (_, name, codePoint) => {
    expect(onlyIssue(name)).toEqual(['control', [codePoint]]);
  });

  it.each([
    ['NBSP U+00A0', 'Ana\u00A0Lopez', 'Ana⟨U+00A0⟩Lopez', 0xa0],
    ['ideographic space U+3000', '山田\u3000太郎', '山田⟨U+3000⟩太郎', 0x3000],
    ['two spaces in a row', 'Ana  Lopez', 'Ana ⟨U+0020⟩Lopez', 0x20],
    ['a leading space', ' Ana', '⟨U+0020⟩Ana', 0x20],
    ['trailing spaces', 'Ana  ', 'Ana⟨U+0020⟩⟨U+0020⟩', 0x20],
  ])('unusual-space: %s', (_, name, visible, codePoint) => {
    expect(onlyIssue(name)).toEqual(['unusual-space', [codePoint]]);
    expect(checkName(name).visible).toBe(visible);
  });

  it.each([
    ['private use U+E000', 'Ana\uE000', 0xe000],
    ['a lone high surrogate', 'Ana\uD800', 0xd800],
    ['a lone low surrogate', '\uDC00Ana', 0xdc00],
    ['unassigned U+0378', 'Ana\u0378', 0x0378],
    ['noncharacter U+FFFF', 'Ana\uFFFF', 0xffff],
  ])('unassigned: %s', (_, name, codePoint) => {
    expect(onlyIssue(name)).toEqual(['unassigned', [codePoint]]);
  });

  it('empty: the empty string and blanks, with an empty visible form', () => {
    for (const name of ['', '   ', '\t\n']) {
      expect(onlyIssue(name)).toEqual(['empty', []]);
      expect(checkName(name).visible).toBe('');
    }
  });

  it('too-long: more than MAX_NAME_CHARS code points, counting an astral emoji as one', () => {
    expect(checkName('a'.repeat(MAX_NAME_CHARS)).clean).toBe(true);
    expect(checkName('😀'.repeat(MAX_NAME_CHARS)).clean).toBe(true);
    expect(onlyIssue('a'.repeat(MAX_NAME_CHARS + 1))).toEqual(['too-long', []]);
  });

  it('marks (UTS #39 §5.4): Zalgo-style stacks of more than 4 nonspacing marks', () => {
    const zalgo = 'Z\u0351\u0352\u0353\u0354\u0355ed';
    expect(onlyIssue(zalgo)).toEqual(['marks', [0x351, 0x352, 0x353, 0x354, 0x355]]);
    expect(checkName(zalgo).visible).toBe('Z⟨U+0351⟩⟨U+0352⟩⟨U+0353⟩⟨U+0354⟩⟨U+0355⟩ed');
    expect(checkName('a\u0300\u0301\u0302\u0303').clean).toBe(true);
  });

  it('marks: counted after NFD, so marks inside a precomposed letter count too', () => {
    // U+1EC6 Ệ is E + U+0323 + U+0302: three more marks make five.
    expect(onlyIssue('\u1EC6\u0301\u0300\u0309')).toEqual(['marks', [0x301, 0x300, 0x309]]);
    expect(onlyIssue('\u00E9\u0301')).toEqual(['marks', [0x301]]); // é + acute: the same mark twice
    expect(onlyIssue('e\u0301\u0301')).toEqual(['marks', [0x301]]);
    expect(checkName('Nguy\u1EC5n').clean).toBe(true);
  });

  it('mixed-script: Cyrillic А U+0410 in a Latin name, with the look-alike named', () => {
    const check = checkName('\u0410lice');
    expect(check.issues).toEqual([
      { kind: 'mixed-script', codePoints: [0x410], scripts: ['Cyrillic', 'Latin'] },
    ]);
    expect(check.visible).toBe('⟨U+0410⟩lice');
    expect(check.clean).toBe(false);
  });

  it('mixed-script: names only the look-alikes of the minority script', () => {
    // Cyrillic А, у, к look like Latin letters; Ж does not.
    const check = checkName('\u0410lice \u0416\u0443\u043A');
    expect(check.issues).toEqual([
      { kind: 'mixed-script', codePoints: [0x410, 0x443, 0x43a], scripts: ['Cyrillic', 'Latin'] },
    ]);
  });

  it('mixed-script: lists all minority letters when none of them is a look-alike', () => {
    // A Latin l among Cyrillic letters: l is a prototype itself, so it is named as the odd one out.
    const check = checkName('\u0410l\u0456\u0441\u0435');
    expect(check.issues).toEqual([
      { kind: 'mixed-script', codePoints: [0x6c], scripts: ['Cyrillic', 'Latin'] },
    ]);
    expect(check.visible).toBe('\u0410⟨U+006C⟩\u0456\u0441\u0435');
  });

  it.each([
    ['Greek Α U+0391 in Alice', '\u0391lice', ['Greek', 'Latin']],
    ['Cyrillic with Han', '\u0410\u043D\u044F東京', ['Cyrillic', 'Han']],
    ['Hiragana with Hangul', 'やまだ김', ['Hangul', 'Hiragana']],
    ['Latin, Han and Cyrillic', 'Tokyo東京\u0430', ['Cyrillic', 'Han', 'Latin']],
  ])('mixed-script (not Highly Restrictive, UTS #39 §5.2): %s', (_, name, scripts) => {
    const [issue] = checkName(name).issues;
    expect(issue?.kind).toBe('mixed-script');
    expect(issue?.scripts).toEqual(scripts);
  });

  it.each([
    'Alice',
    'Tokyo東京',
    '山田 太郎',
    'やまだ',
    '김민준',
    'Ελένη',
    'محمد',
    'José',
    'Jose\u0301',
    'Zoë',
    'Nguyễn Văn An',
    'Kim 김민준 金',
    '陳大文 Chan',
    'ㄅㄆㄇ 漢字 Li',
    'אברהם',
    'अनुराग',
    'O’Brien-Smith 2',
    '\u0408\u043E\u0455\u0435', // Јоѕе, all Cyrillic: single script, though confusable with Jose
    '👩‍💻 Ana',
    '❤️',
    '1️⃣',
    '#️⃣',
    '🏳️‍🌈',
    '👩🏽‍💻',
    '👍🏽',
    '🇺🇸 Sam',
  ])('clean: %s', (name) => {
    const check = checkName(name);
    expect(check.issues).toEqual([]);
    expect(check.clean).toBe(true);
    expect(check.visible).toBe(name);
  });

  it('keeps the name exactly as given and orders issues by kind', () => {
    const name = '\u0410lice\u202E\u200B ';
    const check = checkName(name);
    expect(check.name).toBe(name);
    expect(check.issues.map((issue) => issue.kind)).toEqual([
      'invisible',
      'bidi',
      'unusual-space',
      'mixed-script',
    ]);
    expect(check.visible).toBe('⟨U+0410⟩lice⟨U+202E⟩⟨U+200B⟩⟨U+0020⟩');
  });

  it('throws a TypeError naming the argument for a non-string', () => {
    expect(() => checkName(42 as unknown as string)).toThrow(new TypeError('name must be a string'));
    expect(() => confusableNames('a', null as unknown as string)).toThrow(
      new TypeError('b must be a string'),
    );
  });

  it('skips script names the running engine does not know', async () => {
    vi.resetModules();
    vi.doMock('./name-scripts', () => ({
      SCRIPT_NAMES: ['Not_A_Script', 'Common', 'Inherited', 'Cyrillic', 'Latin'],
    }));
    try {
      const names = await import('./names');
      expect(names.checkName('\u0410lice').issues[0]?.scripts).toEqual(['Cyrillic', 'Latin']);
      expect(names.checkName('Alice').clean).toBe(true);
    } finally {
      vi.doUnmock('./name-scripts');
      vi.resetModules();
    }
  });
});

describe('skeletons (UTS #39 §4) and confusableNames', () => {
  it('paypal and pаypal (Cyrillic а U+0430) are confusable', () => {
    expect(confusableNames('paypal', 'p\u0430ypal')).toBe(true);
    expect(checkName('p\u0430ypal').skeleton).toBe('paypal');
  });

  it('rn and m are confusable', () => {
    expect(confusableNames('rn', 'm')).toBe(true);
    expect(confusableNames('Fern', 'Fem')).toBe(true);
  });

  it('Alice, alice, Аlice and A\u200Blice are all mutually confusable; Alicia is not', () => {
    const alikes = ['Alice', 'alice', '\u0410lice', 'A\u200Blice', ' Alice  ', 'ALICE'];
    for (const a of alikes) for (const b of alikes) expect(confusableNames(a, b)).toBe(true);
    expect(confusableNames('Alice', 'Alicia')).toBe(false);
  });

  it('an all-Cyrillic Јоѕе is clean but confusable with Jose', () => {
    const cyrillic = '\u0408\u043E\u0455\u0435';
    expect(checkName(cyrillic).clean).toBe(true);
    expect(confusableNames(cyrillic, 'Jose')).toBe(true);
  });

  it('compares NFC and NFD forms, and collapses whitespace runs', () => {
    expect(confusableNames('Jos\u00E9', 'Jose\u0301')).toBe(true);
    expect(confusableNames('Ana Lopez', 'Ana \u00A0\tLopez')).toBe(true);
    expect(checkName(' Ana \u200B Lopez ').skeleton).toBe('ana lopez');
  });

  it('tells different names apart', () => {
    expect(confusableNames('Ana', 'Anna')).toBe(false);
    expect(confusableNames('山田', '山本')).toBe(false);
  });
});

describe('nameIssueSentences', () => {
  it.each([
    ['\u0410lice', 'It mixes Cyrillic and Latin letters that look alike: ⟨U+0410⟩.'],
    ['\u0410l\u0456\u0441\u0435', 'It mixes Cyrillic and Latin letters: ⟨U+006C⟩.'],
    ['A\u200Blice', 'It contains invisible characters: ⟨U+200B⟩.'],
    ['Alice\u202E', 'It contains characters that change the text direction: ⟨U+202E⟩.'],
    ['Ana\tLopez', 'It contains control characters or line breaks: ⟨U+0009⟩.'],
    ['Ana\u00A0Lopez', 'It contains extra or unusual spaces: ⟨U+00A0⟩.'],
    ['Ana\uE000', 'It contains unassigned or private-use characters: ⟨U+E000⟩.'],
    ['e\u0301\u0301', 'It stacks too many accent marks: ⟨U+0301⟩.'],
    ['', 'It is empty.'],
    ['a'.repeat(65), 'It is longer than 64 characters.'],
  ])('%j: %s', (name, sentence) => {
    expect(nameIssueSentences(checkName(name))).toEqual([sentence]);
  });

  it('one sentence per issue, none for a clean name, long lists shortened', () => {
    expect(nameIssueSentences(checkName('Alice'))).toEqual([]);
    expect(nameIssueSentences(checkName('A\u200B\u202E'))).toHaveLength(2);
    const many = String.fromCodePoint(...Array.from({ length: 10 }, (_, i) => 0xe0020 + i));
    expect(nameIssueSentences(checkName(`a${many}`))).toEqual([
      'It contains invisible characters: ⟨U+E0020⟩, ⟨U+E0021⟩, ⟨U+E0022⟩, ⟨U+E0023⟩, ⟨U+E0024⟩, ⟨U+E0025⟩, ⟨U+E0026⟩, ⟨U+E0027⟩ and 2 more.',
    ]);
  });
});

describe('localNameProblem', () => {
  it.each([
    ['', 'Pick a name.'],
    ['   ', 'Pick a name.'],
    ['a'.repeat(65), 'Use at most 64 characters.'],
    ['A\u200Blice', 'Remove the invisible characters (⟨U+200B⟩).'],
    ['Alice\u202E', 'Remove the characters that change the text direction (⟨U+202E⟩).'],
    ['Ana\nLopez', 'Remove the control characters and line breaks (⟨U+000A⟩).'],
    ['Ana ', 'Use single plain spaces between words, and none at the start or end.'],
    ['Ana\uE000', 'Remove the unassigned or private-use characters (⟨U+E000⟩).'],
    ['e\u0301\u0301', 'Use fewer accent marks on each letter (⟨U+0301⟩).'],
    [
      '\u0410lice',
      'Use letters from one script: this name mixes Cyrillic and Latin letters that look alike.',
    ],
  ])('%j: %s', (name, problem) => {
    expect(localNameProblem(name)).toBe(problem);
  });

  it('accepts clean names, emoji included', () => {
    for (const name of ['Ana', 'Mum ❤️', '👩‍💻 Ana', '山田 太郎'])
      expect(localNameProblem(name)).toBeUndefined();
  });
});

describe('properties', () => {
  /** Characters around the edge cases: look-alikes, joiners, selectors, marks, escapes' own letters. */
  const tricky = fc.constantFrom(
    ...['a', 'A', 'l', 'e', 'U', 'B', '0', '4', '+', '\u27E8', '\u27E9', ' ', ' ', '\u00A0', '\t', '1', '#'],
    ...['\u0410', '\u0430', '\u0416', '\u03B1', '東', '김', 'や', '\u0301', '\u0308', '\u034F', '\u3164'],
    ...['\u200B', '\u200D', '\uFE0F', '\uFE0E', '\u20E3', '\u202E', '\u2066', '\u2028', '\u{E0041}'],
    ...['👩', '💻', '❤', '\u{1F3FD}', '\u{1FC00}', '\uE000', '\uD800', '\uDC00', '\uFFFF', '\u0378'],
  );
  const emoji = fc.constantFrom('👩', '💻', '❤', '\u{1F3FD}', '\uFE0F', '\u200D', '1', '\u20E3', 'a', ' ');
  const names = fc.oneof(
    fc.string({ unit: emoji, maxLength: 12 }),
    fc.string({
      unit: fc.constantFrom('e', '\u00E9', '\u0301', '\u0308', '\u0323', '\u034F', '\uFE0F'),
      maxLength: 10,
    }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      maxLength: 40,
    }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: tricky, maxLength: 30 }),
  );
  const characterKinds = new Set<NameIssueKind>([
    'invisible',
    'bidi',
    'control',
    'unusual-space',
    'unassigned',
    'marks',
  ]);

  it('never throws, and its parts agree', () => {
    fc.assert(
      fc.property(names, names, (a, b) => {
        const check = checkName(a);
        expect(check.clean).toBe(check.issues.length === 0);
        expect(nameIssueSentences(check)).toHaveLength(check.issues.length);
        expect(localNameProblem(a) === undefined).toBe(check.clean);
        expect(confusableNames(a, a)).toBe(true);
        expect(confusableNames(a, b)).toBe(check.skeleton === checkName(b).skeleton);
      }),
      { numRuns: 1000 },
    );
  });

  it('visible contains no character that any issue kind flags', () => {
    fc.assert(
      fc.property(names, (name) => {
        const check = checkName(name);
        const { visible } = check;
        expect(visible).not.toMatch(
          /[\p{Bidi_Control}\p{Cc}\p{Zl}\p{Zp}\p{Cn}\p{Co}\p{Cs}\u00AD\u200B\uFEFF]/u,
        );
        expect(visible).not.toMatch(/(?! )\p{Zs}|^ | $| {2}/u);
        const again = checkName(visible);
        expect(again.issues.filter((issue) => characterKinds.has(issue.kind))).toEqual([]);
        expect(again.issues.some((issue) => issue.kind === 'empty')).toBe(visible === '');
        // Re-checking may still find minority letters that look like nothing else, never the same look-alikes.
        const flagged = new Set(check.issues.find((issue) => issue.kind === 'mixed-script')?.codePoints);
        for (const issue of again.issues.filter((i) => i.kind === 'mixed-script')) {
          expect(check.issues.some((i) => i.kind === 'mixed-script')).toBe(true);
          expect(issue.codePoints.filter((cp) => flagged.has(cp))).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a clean name is its own visible form and checks the same again', () => {
    const words = fc.constantFrom('Ana', 'Zoë', '山田', 'Ελένη', '👩‍💻', '❤️', '1️⃣', 'Jose\u0301', 'Tokyo東京');
    const cleanish = fc.array(words, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(' '));
    fc.assert(
      fc.property(fc.oneof(cleanish, names), (name) => {
        const check = checkName(name);
        if (!check.clean) return;
        expect(check.visible).toBe(name);
        expect(checkName(check.visible)).toEqual(check);
      }),
    );
  });
});
