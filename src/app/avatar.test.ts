import { describe, expect, it } from 'vitest';
import { randomBytes } from '../crypto/random';
import { deriveUserId } from '../protocol/user-id';
import { AVATAR_COLOURS, avatarColour, contrastRatio, initials, relativeLuminance } from './avatar';

describe('avatar colour', () => {
  it('is the same for the same keys, every time', () => {
    const key = randomBytes(32);
    key[31]! &= 0x7f;
    const a = avatarColour(deriveUserId(key));
    expect(avatarColour(deriveUserId(Uint8Array.from(key)))).toEqual(a);
    expect(AVATAR_COLOURS).toContain(a.background);
  });

  it('is picked by the first two bytes of the user id, and every colour is used', () => {
    const id = (hi: number, lo: number) => Uint8Array.from([hi, lo, ...new Uint8Array(14)]);
    expect(avatarColour(id(0, 0)).background).toBe(AVATAR_COLOURS[0]);
    expect(avatarColour(id(0, 13)).background).toBe(AVATAR_COLOURS[1]);
    expect(avatarColour(id(1, 0)).background).toBe(AVATAR_COLOURS[256 % 12]);
    const seen = new Set<string>();
    for (let n = 0; n < 24; n++) seen.add(avatarColour(id(n >> 8, n & 255)).background);
    expect(seen.size).toBe(AVATAR_COLOURS.length);
  });

  it('has text that contrasts at least 4.5:1 with every colour (WCAG AA), the better of black and white', () => {
    for (const background of AVATAR_COLOURS) {
      const hi = Math.max(parseInt(background.slice(1, 3), 16), 0);
      const { foreground } = avatarColour(Uint8Array.from([0, AVATAR_COLOURS.indexOf(background), hi]));
      expect(contrastRatio(background, foreground), background).toBeGreaterThanOrEqual(4.5);
      const other = foreground === '#FFFFFF' ? '#000000' : '#FFFFFF';
      expect(contrastRatio(background, foreground)).toBeGreaterThanOrEqual(contrastRatio(background, other));
    }
    expect(new Set(AVATAR_COLOURS).size).toBe(12);
  });

  it('computes contrast as WCAG defines it', () => {
    expect(relativeLuminance('#FFFFFF')).toBeCloseTo(1, 10);
    expect(relativeLuminance('#000000')).toBe(0);
    expect(contrastRatio('#FFFFFF', '#000000')).toBeCloseTo(21, 10);
    expect(contrastRatio('#777777', '#FFFFFF')).toBeCloseTo(4.48, 2);
    expect(() => relativeLuminance('red')).toThrow(/#RRGGBB/);
  });

  it('refuses a user id too short to pick from', () => {
    expect(() => avatarColour(new Uint8Array(1))).toThrow(/2 bytes/);
  });
});

describe('initials', () => {
  it('takes the first letter of the first and the last word, in capitals', () => {
    expect(initials('alice')).toBe('A');
    expect(initials('Bob Smith')).toBe('BS');
    expect(initials('  maria  de la   cruz ')).toBe('MC');
    expect(initials('(Bob) [work]')).toBe('BW');
    expect(initials('R2 D2')).toBe('RD');
    expect(initials('42')).toBe('4');
  });

  it('keeps whole graphemes: accents (composed or not), marks, scripts without case', () => {
    expect(initials('élodie')).toBe('É');
    expect(initials('e\u0301lodie')).toBe('É'); // NFC first
    expect(initials('ña\u0303')).toBe('Ñ');
    expect(initials('山田 太郎')).toBe('山太');
    expect(initials('Σωκράτης')).toBe('Σ');
    expect(initials('नमस्ते दुनिया')).toBe('नदु'); // द + the vowel sign ु: one grapheme
    expect(initials('ßtraße')).toBe('ß'); // its capital is two letters: kept as it is
  });

  it('gives an emoji-only name its first emoji, whole', () => {
    const family = '👨\u200d👩\u200d👧';
    expect(initials(`${family} 🙂`)).toBe(family);
    expect(initials('🙂 Bob')).toBe('B');
    expect(initials('👍🏽')).toBe('👍🏽');
  });

  it('never counts invisible, direction or control characters', () => {
    expect(initials('\u202eBob')).toBe('B');
    expect(initials('\u200bAlice \u200b \u2066Zed\u2069')).toBe('AZ');
    expect(initials('\u0007')).toBe('');
    expect(initials('')).toBe('');
    expect(initials('   ')).toBe('');
  });
});
