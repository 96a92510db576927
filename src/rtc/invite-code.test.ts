import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE32_ALPHABET, encodeBase32 } from './base32';
import { crc32 } from './crc32';
import { RtcError, type RtcErrorCode } from './errors';
import { FIXTURES, fixture } from './fixtures/load';
import { formatIPv6, parseIPv6 } from './ip-address';
import {
  INVITE_CODE_VERSION,
  MAX_INVITE_CANDIDATES,
  decodeInviteCode,
  decodeInviteContent,
  encodeInviteCode,
  inviteSdp,
  type InviteContent,
} from './invite-code';
import {
  dtlsFingerprint,
  iceCandidates,
  iceCredentials,
  maxMessageSize,
  mediaId,
  sctpPort,
  setupRole,
  type SessionDescription,
} from './sdp';

function expectRtcError(fn: () => unknown, ...codes: RtcErrorCode[]): RtcError {
  try {
    fn();
  } catch (e) {
    expect(
      e instanceof RtcError && codes.includes(e.code),
      `expected RtcError ${codes.join('|')}, got ${String(e)}`,
    ).toBe(true);
    expect((e as RtcError).message).toMatch(/^[A-Z].*\.$/);
    return e as RtcError;
  }
  throw new Error(`expected RtcError ${codes.join('|')}, but the code decoded`);
}

const candidateKey = (c: {
  protocol: string;
  address: string;
  port: number;
  type: string;
  tcpType?: string;
}) => `${c.protocol} ${c.address} ${c.port} ${c.type}${c.tcpType ? ` ${c.tcpType}` : ''}`;

/** Adds candidate lines to a fixture's media section. */
function withCandidates(desc: SessionDescription, lines: string[]): SessionDescription {
  return {
    ...desc,
    sdp: desc.sdp.replace(
      'a=ice-ufrag:',
      `${lines.map((l) => `a=candidate:${l}`).join('\r\n')}\r\na=ice-ufrag:`,
    ),
  };
}

/** A code around an arbitrary body (length prefix and CRC added): for structure errors past the checksum. */
function codeFromBody(fields: readonly number[], version = INVITE_CODE_VERSION): string {
  const length = 2 + fields.length + 4;
  const withVersion = new Uint8Array(1 + length);
  withVersion[0] = version;
  withVersion.set([length >> 8, length & 0xff, ...fields], 1);
  new DataView(withVersion.buffer).setUint32(1 + length - 4, crc32(withVersion.subarray(0, 1 + length - 4)));
  return BASE32_ALPHABET[version]! + encodeBase32(withVersion.subarray(1));
}

/**
 * The body fields (after the length) of a valid minimal offer, for structure tests to edit.
 * Offsets: 0 flags; 1–4 ufrag (count 4, 3 bytes); 5–22 password (count 22, 17 bytes);
 * 23–54 fingerprint; 55–56 mid; 57–58 SCTP port; 59–62 max-message-size; 63 candidate count.
 */
function minimalFields(
  over: { flags?: number; count?: number; candidates?: number[]; tail?: number[] } = {},
): number[] {
  const ice = (n: number): number[] => [n, ...new Array<number>(Math.ceil((6 * n) / 8)).fill(0)]; // "AAAA…"
  return [
    over.flags ?? 0,
    ...ice(4),
    ...ice(22),
    ...new Array<number>(32).fill(0xab),
    1,
    0x30, // mid "0"
    0x13,
    0x88, // SCTP port 5000
    0,
    4,
    0,
    0, // max-message-size 262144
    over.count ?? (over.candidates ? 1 : 0),
    ...(over.candidates ?? []),
    ...(over.tail ?? []),
  ];
}

describe('invite codes on real Chromium descriptions', () => {
  it('round-trips role, fingerprint, ICE credentials, setup, mid, SCTP port, size and candidates', () => {
    for (const name of FIXTURES) {
      const original = fixture(name);
      const code = encodeInviteCode(original);
      const rebuilt = decodeInviteCode(code);
      expect(rebuilt.type).toBe(original.type);
      expect(dtlsFingerprint(rebuilt.sdp)).toEqual(dtlsFingerprint(original.sdp));
      expect(iceCredentials(rebuilt.sdp)).toEqual(iceCredentials(original.sdp));
      expect(setupRole(rebuilt.sdp)).toBe(setupRole(original.sdp));
      expect(mediaId(rebuilt.sdp)).toBe(mediaId(original.sdp));
      expect(sctpPort(rebuilt.sdp)).toBe(sctpPort(original.sdp));
      expect(maxMessageSize(rebuilt.sdp)).toBe(maxMessageSize(original.sdp));
      expect(iceCandidates(rebuilt.sdp).map(candidateKey).sort()).toEqual(
        iceCandidates(original.sdp).map(candidateKey).sort(),
      );
      // Canonical: the same description always gives the same code.
      expect(encodeInviteCode(rebuilt)).toBe(code);
    }
  });

  it('lists candidates best first with decreasing RFC 8445 priorities', () => {
    const rebuilt = decodeInviteCode(encodeInviteCode(fixture('chromium-ip-offer')));
    const candidates = iceCandidates(rebuilt.sdp);
    // Chromium ranks its IPv6 host candidate above the IPv4 one; the code keeps that order.
    expect(candidates.map((c) => c.address)).toEqual(['fd00::2', '192.0.2.2']);
    expect(candidates[0]!.priority).toBeGreaterThan(candidates[1]!.priority);
    expect(candidates[0]!.priority >>> 24).toBe(126); // host type preference
  });

  it('rebuilds a complete data-channel-only SDP in the shape Chromium writes', () => {
    const sdp = decodeInviteCode(encodeInviteCode(fixture('chromium-mdns-answer'))).sdp;
    const lines = sdp.split('\r\n');
    expect(lines.slice(0, 4)).toEqual([
      'v=0',
      expect.stringMatching(/^o=- \d+ 2 IN IP4 127\.0\.0\.1$/),
      's=-',
      't=0 0',
    ]);
    expect(lines).toContain('a=group:BUNDLE 0');
    expect(lines).toContain('m=application 9 UDP/DTLS/SCTP webrtc-datachannel');
    expect(lines).toContain('c=IN IP4 0.0.0.0');
    expect(lines).not.toContain('a=ice-options:trickle'); // every candidate is in the code
    expect(sdp.endsWith('\r\n')).toBe(true);
  });

  it('is short: measured sizes for two host candidates', () => {
    const sizes = FIXTURES.map((name) => [name, encodeInviteCode(fixture(name)).length] as const);
    // One version character, then base32 of the body: 1 + ⌈8·bytes/5⌉ characters.
    expect(Object.fromEntries(sizes)).toEqual({
      'chromium-mdns-offer': 176, // 109 bytes: two <uuid>.local names at 16 bytes each
      'chromium-mdns-answer': 176,
      'chromium-ip-offer': 157, // 97 bytes: one IPv4 and one IPv6 address
      'chromium-ip-answer': 157,
    });
  });

  it('uses only QR alphanumeric characters, starts with the version and ignores case, spaces and hyphens', () => {
    const code = encodeInviteCode(fixture('chromium-mdns-offer'));
    expect(code).toMatch(/^B[A-Z2-7]+$/);
    const typed = code
      .toLowerCase()
      .match(/.{1,5}/g)!
      .join(' - ');
    expect(decodeInviteCode(`\n ${typed}\t`)).toEqual(decodeInviteCode(code));
  });
});

describe('candidates of every kind', () => {
  const offer = fixture('chromium-mdns-offer');

  it('keeps server-reflexive, relay, TCP, IPv6 and plain hostname candidates', () => {
    const extra = [
      '11 1 udp 1677729535 203.0.113.7 61432 typ srflx raddr 0.0.0.0 rport 0 generation 0',
      '12 1 udp 41885695 2001:DB8:0:0:0:0:0:9 3478 typ relay raddr 203.0.113.7 rport 61432',
      '13 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active',
      '14 1 tcp 1518214911 [::1] 9 typ host tcptype passive', // not an address: skipped
      '15 1 tcp 1518214911 ::1 50000 typ host tcptype so',
      '16 1 udp 1845501695 198.51.100.4 40000 typ prflx',
      '17 1 udp 2113939711 my-laptop.example.org 50001 typ host',
      '18 2 udp 2113939710 192.0.2.2 50002 typ host', // component 2 (RTCP): not needed with rtcp-mux
    ];
    const content = decodeInviteContent(encodeInviteCode(withCandidates(offer, extra)));
    expect(content.candidates.map(candidateKey)).toEqual([
      'udp 9e87aed0-1e07-4924-8d87-8a8b63e39ea1.local 57713 host',
      'udp my-laptop.example.org 50001 host',
      'udp afa6783c-5fed-4f8c-9e91-f2b86e3e3860.local 38935 host',
      'udp 198.51.100.4 40000 prflx',
      'udp 203.0.113.7 61432 srflx',
      'tcp 192.0.2.2 9 host active',
      'tcp ::1 50000 host so',
      'udp 2001:db8::9 3478 relay',
    ]);
  });

  it(`keeps the ${MAX_INVITE_CANDIDATES} best candidates of more`, () => {
    const many = Array.from(
      { length: 40 },
      (_, i) => `${100 + i} 1 udp ${1000 + i} 10.0.0.${i + 1} ${4000 + i} typ host`,
    );
    const content = decodeInviteContent(encodeInviteCode(withCandidates(offer, many)));
    expect(content.candidates).toHaveLength(MAX_INVITE_CANDIDATES);
    expect(content.candidates[0]!.address).toBe('9e87aed0-1e07-4924-8d87-8a8b63e39ea1.local');
    expect(content.candidates.at(-1)!.address).toBe('10.0.0.27'); // 40, 39, … down to the 14th best
  });

  it('writes an absent max-message-size as 64 KiB and keeps 0 ("any size")', () => {
    const absent = { ...offer, sdp: offer.sdp.replace('a=max-message-size:262144\r\n', '') };
    expect(decodeInviteContent(encodeInviteCode(absent)).maxMessageSize).toBe(65_536);
    const any = { ...offer, sdp: offer.sdp.replace('a=max-message-size:262144', 'a=max-message-size:0') };
    expect(decodeInviteContent(encodeInviteCode(any)).maxMessageSize).toBe(0);
    const huge = {
      ...offer,
      sdp: offer.sdp.replace('a=max-message-size:262144', 'a=max-message-size:99999999999'),
    };
    expect(decodeInviteContent(encodeInviteCode(huge)).maxMessageSize).toBe(0xffff_ffff);
  });
});

describe('encoding errors', () => {
  const offer = fixture('chromium-mdns-offer');

  it('refuses what cannot make a usable code, with the SDP error', () => {
    expectRtcError(() => encodeInviteCode({ type: 'pranswer' as 'offer', sdp: offer.sdp }), 'SIGNAL_INVALID');
    expectRtcError(
      () => encodeInviteCode({ ...offer, sdp: offer.sdp.replace(/a=fingerprint:[^\r]*\r\n/, '') }),
      'NO_FINGERPRINT',
    );
    expectRtcError(
      () =>
        encodeInviteCode({
          ...offer,
          sdp: offer.sdp.replace('a=fingerprint:sha-256', 'a=fingerprint:sha-1'),
        }),
      'UNSUPPORTED_FINGERPRINT',
    );
    expectRtcError(
      () =>
        encodeInviteCode({ ...offer, sdp: offer.sdp.replace('a=ice-pwd:', `a=ice-pwd:${'x'.repeat(240)}`) }),
      'SIGNAL_INVALID',
    );
    expectRtcError(() => encodeInviteCode({ ...offer, sdp: 'v=0\r\n' }), 'NO_FINGERPRINT');
  });
});

describe('decoding errors', () => {
  const code = encodeInviteCode(fixture('chromium-mdns-offer'));

  it('says "incomplete" for an empty code and for every truncation', () => {
    expect(expectRtcError(() => decodeInviteCode(''), 'CODE_INCOMPLETE').message).toBe(
      'This code is empty; copy all of it, or scan it again.',
    );
    expectRtcError(() => decodeInviteCode('  - '), 'CODE_INCOMPLETE');
    for (let n = 1; n < code.length; n++) {
      expect(expectRtcError(() => decodeInviteCode(code.slice(0, n)), 'CODE_INCOMPLETE').message).toBe(
        'This code is incomplete; copy all of it, or scan it again.',
      );
    }
  });

  it('says "newer version" for a code that starts with a later version', () => {
    for (const v of ['C', 'D', 'Z', '2', '7']) {
      expect(expectRtcError(() => decodeInviteCode(v + code.slice(1)), 'CODE_TOO_NEW').message).toBe(
        'This code is from a newer version of SecMsg; update the app to use it.',
      );
    }
    // Even when what follows is gibberish: a newer version may encode differently.
    expectRtcError(() => decodeInviteCode('C'), 'CODE_TOO_NEW');
  });

  it('detects every single mistyped character and every swap of neighbours', () => {
    const seen = new Set<RtcErrorCode>();
    for (let i = 1; i < code.length; i++) {
      for (const ch of BASE32_ALPHABET) {
        if (ch === code[i]) continue;
        seen.add(
          expectRtcError(
            () => decodeInviteCode(code.slice(0, i) + ch + code.slice(i + 1)),
            'CODE_INVALID',
            'CODE_INCOMPLETE',
          ).code,
        );
      }
      if (i + 1 < code.length && code[i] !== code[i + 1]) {
        const swapped = code.slice(0, i) + code[i + 1]! + code[i]! + code.slice(i + 2);
        expectRtcError(() => decodeInviteCode(swapped), 'CODE_INVALID', 'CODE_INCOMPLETE');
      }
    }
    expect(seen).toEqual(new Set(['CODE_INVALID', 'CODE_INCOMPLETE'])); // the length field can say "more"
  });

  it('says "not valid" for extra characters, foreign characters and version 0', () => {
    const invalid = 'This is not a valid SecMsg code; check it for typos, or scan it again.';
    expect(expectRtcError(() => decodeInviteCode(code + 'A'), 'CODE_INVALID').message).toBe(invalid);
    expectRtcError(() => decodeInviteCode(code + 'AAAAAAAA'), 'CODE_INVALID');
    for (const bad of ['0', '1', '8', '9', '!', '=', 'é']) {
      expectRtcError(() => decodeInviteCode(code.slice(0, 20) + bad + code.slice(21)), 'CODE_INVALID');
    }
    expectRtcError(() => decodeInviteCode('A' + code.slice(1)), 'CODE_INVALID');
    expectRtcError(() => decodeInviteCode(42 as unknown as string), 'CODE_INVALID');
  });

  it('refuses non-zero padding bits in the last character', () => {
    // 109 body bytes = 174.4 characters: the last of 175 carries 3 bits of padding.
    const last = BASE32_ALPHABET.indexOf(code.at(-1)!);
    expect(last & 0b111).toBe(0);
    expectRtcError(() => decodeInviteCode(code.slice(0, -1) + BASE32_ALPHABET[last | 1]!), 'CODE_INVALID');
  });

  it('checks every field even when the checksum is right', () => {
    expect(decodeInviteContent(codeFromBody(minimalFields()))).toMatchObject({
      type: 'offer',
      setup: 'actpass',
    });
    const bad: [string, number[]][] = [
      ['reserved flag bits', minimalFields({ flags: 0b1000 })],
      ['setup value 3', minimalFields({ flags: 0b110 })],
      ['a trailing byte', minimalFields({ tail: [0] })],
      ['a missing candidate', minimalFields({ count: 1 })],
      ['too many candidates', minimalFields({ count: MAX_INVITE_CANDIDATES + 1 })],
      ['candidate reserved bit', minimalFields({ candidates: [0x80, 10, 0, 0, 1, 0, 80] })],
      ['UDP with a tcptype', minimalFields({ candidates: [0b01000, 10, 0, 0, 1, 0, 80] })],
      ['TCP without a tcptype', minimalFields({ candidates: [0b00100, 10, 0, 0, 1, 0, 80] })],
      ['a bad hostname', minimalFields({ candidates: [0b1100000, 3, 0x61, 0x5f, 0x62, 0, 80] })],
      [
        'an IPv4 address as a hostname',
        minimalFields({ candidates: [0b1100000, 7, ...Buffer.from('1.2.3.4'), 0, 80] }),
      ],
      ['a truncated address', minimalFields({ candidates: [0b0100000, 1, 2, 3] })],
    ];
    for (const [what, fields] of bad) {
      try {
        decodeInviteContent(codeFromBody(fields));
        throw new Error(`decoded despite ${what}`);
      } catch (e) {
        expect(e, what).toBeInstanceOf(RtcError);
      }
      expectRtcError(() => decodeInviteContent(codeFromBody(fields)), 'CODE_INVALID');
    }
    // A bad ICE string: ufrag of 3 characters; a password with non-zero padding bits.
    const short = minimalFields();
    short.splice(1, 4, 3, 0, 0, 0);
    expectRtcError(() => decodeInviteContent(codeFromBody(short)), 'CODE_INVALID');
    const padded = minimalFields();
    padded[22] = 1; // last byte of the 22-character password: its low 4 bits are padding
    expectRtcError(() => decodeInviteContent(codeFromBody(padded)), 'CODE_INVALID');
    // SCTP port 0 and a bad media id.
    const port0 = minimalFields();
    port0.splice(57, 2, 0, 0);
    expectRtcError(() => decodeInviteContent(codeFromBody(port0)), 'CODE_INVALID');
    const mid = minimalFields();
    mid[56] = 0x20;
    expectRtcError(() => decodeInviteContent(codeFromBody(mid)), 'CODE_INVALID');
  });
});

describe('properties', () => {
  const iceString = (min: number, max: number) =>
    fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
      minLength: min,
      maxLength: max,
    });
  const address = fc.oneof(
    fc.ipV4(),
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
      const g = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
      return g.join(':');
    }),
    fc.uuid({ version: 4 }).map((u) => `${u}.local`),
    fc.domain().filter((d) => !/^[0-9.]+$/.test(d)),
  );
  const candidate = fc.record({
    protocol: fc.constantFrom('udp' as const, 'tcp' as const),
    address,
    port: fc.integer({ min: 1, max: 65_535 }),
    type: fc.constantFrom('host' as const, 'srflx' as const, 'prflx' as const, 'relay' as const),
    tcpType: fc.constantFrom('active' as const, 'passive' as const, 'so' as const),
  });
  const contents: fc.Arbitrary<InviteContent> = fc.record({
    type: fc.constantFrom('offer' as const, 'answer' as const),
    setup: fc.constantFrom('actpass' as const, 'active' as const, 'passive' as const),
    ufrag: iceString(4, 255),
    pwd: iceString(22, 255),
    fingerprint: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    mid: fc.stringMatching(/^[a-z0-9]{1,8}$/),
    sctpPort: fc.integer({ min: 1, max: 65_535 }),
    maxMessageSize: fc.integer({ min: 0, max: 0xffff_ffff }),
    candidates: fc
      .array(candidate, { maxLength: MAX_INVITE_CANDIDATES })
      .map((cs) => cs.map(({ tcpType, ...c }) => (c.protocol === 'tcp' ? { ...c, tcpType } : c))),
  });

  it('decode(encode(sdp)) gives back every field, for any content', () => {
    fc.assert(
      fc.property(contents, (content) => {
        const decoded = decodeInviteContent(
          encodeInviteCode({ type: content.type, sdp: inviteSdp(content) }),
        );
        const canonical = (a: string): string => (a.includes(':') ? formatIPv6(parseIPv6(a)!) : a);
        expect(decoded).toEqual({
          ...content,
          candidates: content.candidates.map((c) => ({ ...c, address: canonical(c.address) })),
        });
      }),
      { numRuns: 300 },
    );
  });

  it('random text never throws anything but RtcError', () => {
    const decodeOnlyRtcError = (text: string): void => {
      try {
        decodeInviteCode(text);
      } catch (e) {
        if (!(e instanceof RtcError)) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), decodeOnlyRtcError), {
      numRuns: 500,
    });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...BASE32_ALPHABET), maxLength: 300 }), (s) =>
        decodeOnlyRtcError('B' + s),
      ),
      { numRuns: 500 },
    );
    // Random bodies behind a correct length and checksum reach every field check.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => decodeOnlyRtcError(codeFromBody([...body]))),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) =>
        decodeOnlyRtcError(codeFromBody([...minimalFields().slice(0, 63), ...tail])),
      ),
      { numRuns: 1000 },
    );
  });
});
