import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-address';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('IPv4', () => {
  it('parses and formats dotted decimal', () => {
    expect(parseIPv4('192.0.2.2')).toEqual(bytes(192, 0, 2, 2));
    expect(parseIPv4('0.0.0.0')).toEqual(bytes(0, 0, 0, 0));
    expect(formatIPv4(bytes(255, 255, 255, 255))).toBe('255.255.255.255');
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      '1..3.4',
      ' 1.2.3.4',
      'a.b.c.d',
    ]) {
      expect(parseIPv4(bad), bad).toBeNull();
    }
  });
});

describe('IPv6', () => {
  it('parses RFC 4291 §2.2 forms and formats RFC 5952 canonical text', () => {
    const cases: [string, string][] = [
      ['fd00::2', 'fd00::2'],
      ['FD00:0:0:0:0:0:0:2', 'fd00::2'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs (§4.2.3)
      ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays (§4.2.2)
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['::192.0.2.1', '::c000:201'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:c000:201'],
    ];
    for (const [text, canonical] of cases) {
      const b = parseIPv6(text);
      expect(b, text).not.toBeNull();
      expect(formatIPv6(b!), text).toBe(canonical);
    }
  });

  it('refuses malformed text', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      'g::1',
      ':1::',
      '1:::2',
      '1:2:3:4:5:6:7:8::',
      '::1.2.3',
      '::256.1.1.1',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
    ]) {
      expect(parseIPv6(bad), bad).toBeNull();
    }
  });

  it('round-trips any 16 bytes through canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const text = formatIPv6(b);
        expect(parseIPv6(text)).toEqual(b);
        expect(formatIPv6(parseIPv6(text)!)).toBe(text);
      }),
    );
  });
});
