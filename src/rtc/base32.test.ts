import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32 } from './base32';
import { crc32 } from './crc32';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base32 (RFC 4648 §6, no padding)', () => {
  it('matches the RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase32(ascii(plain))).toBe(encoded);
      expect(decodeBase32(encoded)).toEqual({ bytes: ascii(plain), canonical: true });
      expect(decodeBase32(encoded.toLowerCase())!.bytes).toEqual(ascii(plain));
    }
  });

  it('flags non-zero leftover bits and impossible lengths, and refuses other characters', () => {
    expect(decodeBase32('MZ')!.canonical).toBe(false); // "MY" is the canonical form of "f"
    expect(decodeBase32('MZXW6Y')!.canonical).toBe(false); // 6 characters: 30 bits, 6 left over
    for (const bad of ['M1', 'M0', 'M8', 'M=', 'M Y']) expect(decodeBase32(bad)).toBeNull();
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(decodeBase32(encodeBase32(b))).toEqual({ bytes: b, canonical: true });
      }),
    );
  });
});

describe('CRC-32 (ISO-HDLC)', () => {
  it('has the catalogued check value and a known empty value', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});
