import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtcError, type RtcErrorCode } from './errors';
import { FIXTURES, fixtureSdp } from './fixtures/load';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  UNLIMITED_MAX_MESSAGE_SIZE,
  checkDescription,
  dtlsFingerprint,
  formatFingerprint,
  iceCandidates,
  iceCredentials,
  maxMessageSize,
  mediaId,
  parseCandidate,
  sctpPort,
  setupRole,
} from './sdp';

const offer = fixtureSdp('chromium-mdns-offer');
const ipOffer = fixtureSdp('chromium-ip-offer');

/** The fingerprint line's hex as it stands in the fixture, read independently of sdp.ts. */
function fingerprintHex(sdp: string): string {
  const m = /a=fingerprint:sha-256 ([0-9A-F:]+)/.exec(sdp);
  if (!m) throw new Error('fixture without a fingerprint');
  return m[1]!.replaceAll(':', '').toLowerCase();
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function expectRtcError(fn: () => unknown, code: RtcErrorCode): RtcError {
  try {
    fn();
  } catch (e) {
    expect(RtcError.is(e, code), `expected RtcError ${code}, got ${String(e)}`).toBe(true);
    expect((e as RtcError).message).toMatch(/^[A-Z].*\.$/); // a sentence a person reads
    return e as RtcError;
  }
  throw new Error(`expected RtcError ${code}, but nothing was thrown`);
}

/** Replaces the first line that starts with `prefix` (or removes it when `by` is empty). */
function replaceLine(sdp: string, prefix: string, by: string): string {
  const lines = sdp.split('\r\n');
  const i = lines.findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line starts with ${prefix}`);
  if (by === '') lines.splice(i, 1);
  else lines[i] = by;
  return lines.join('\r\n');
}

const fingerprintLine = (sdp: string): string =>
  sdp.split('\r\n').find((l) => l.startsWith('a=fingerprint:'))!;
/** Moves a line from the media section to session level (before the first m= line). */
function toSessionLevel(sdp: string, prefix: string): string {
  const lines = sdp.split('\r\n');
  const i = lines.findIndex((l) => l.startsWith(prefix));
  const [line] = lines.splice(i, 1);
  lines.splice(
    lines.findIndex((l) => l.startsWith('m=')),
    0,
    line!,
  );
  return lines.join('\r\n');
}

describe('dtlsFingerprint', () => {
  it('reads the SHA-256 fingerprint of every captured Chromium description', () => {
    for (const name of FIXTURES) {
      const sdp = fixtureSdp(name);
      const fp = dtlsFingerprint(sdp);
      expect(fp).toHaveLength(32);
      expect(hex(fp)).toBe(fingerprintHex(sdp));
    }
    expect(hex(dtlsFingerprint(offer)).slice(0, 8)).toBe('e0ff1b70');
  });

  it('reads a session-level line, and agreeing lines at both levels', () => {
    const atSession = toSessionLevel(offer, 'a=fingerprint:');
    expect(dtlsFingerprint(atSession)).toEqual(dtlsFingerprint(offer));
    const both = atSession.replace('a=setup:', `${fingerprintLine(offer)}\r\na=setup:`);
    expect(dtlsFingerprint(both)).toEqual(dtlsFingerprint(offer));
  });

  it('accepts lower-case hex, an upper-case algorithm name and bare LF line ends', () => {
    const line = fingerprintLine(offer);
    const lowered = replaceLine(
      offer,
      'a=fingerprint:',
      `a=fingerprint:SHA-256 ${line.split(' ')[1]!.toLowerCase()}`,
    );
    expect(dtlsFingerprint(lowered)).toEqual(dtlsFingerprint(offer));
    expect(dtlsFingerprint(offer.replaceAll('\r\n', '\n'))).toEqual(dtlsFingerprint(offer));
  });

  it('refuses a description without a fingerprint', () => {
    expectRtcError(() => dtlsFingerprint(replaceLine(offer, 'a=fingerprint:', '')), 'NO_FINGERPRINT');
    expectRtcError(() => dtlsFingerprint(''), 'NO_FINGERPRINT');
  });

  it('refuses any other algorithm, alone or beside SHA-256', () => {
    const sha1 = 'a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB';
    expectRtcError(
      () => dtlsFingerprint(replaceLine(offer, 'a=fingerprint:', sha1)),
      'UNSUPPORTED_FINGERPRINT',
    );
    const sha384 = `a=fingerprint:sha-384 ${Array.from({ length: 48 }, () => 'AB').join(':')}`;
    const extra = offer.replace('a=setup:', `${sha384}\r\na=setup:`);
    expectRtcError(() => dtlsFingerprint(extra), 'UNSUPPORTED_FINGERPRINT');
  });

  it('refuses two different SHA-256 values and malformed ones', () => {
    const other = `a=fingerprint:sha-256 ${formatFingerprint(new Uint8Array(32).fill(7))}`;
    expectRtcError(
      () =>
        dtlsFingerprint(toSessionLevel(offer, 'a=fingerprint:').replace('a=setup:', `${other}\r\na=setup:`)),
      'SIGNAL_INVALID',
    );
    for (const bad of [
      'a=fingerprint:sha-256',
      'a=fingerprint:sha-256 E0:FF',
      `a=fingerprint:sha-256 ${formatFingerprint(new Uint8Array(32)).replace('00', 'G0')}`,
      `a=fingerprint:sha-256 ${formatFingerprint(new Uint8Array(32))}:00`,
      `a=fingerprint:sha-256 ${formatFingerprint(new Uint8Array(32))} trailing`,
      `a=fingerprint:sha-256 ${formatFingerprint(new Uint8Array(32)).replaceAll(':', '')}`,
    ]) {
      expectRtcError(() => dtlsFingerprint(replaceLine(offer, 'a=fingerprint:', bad)), 'SIGNAL_INVALID');
    }
  });

  it('formats fingerprints as SDP writes them', () => {
    expect(formatFingerprint(dtlsFingerprint(offer))).toBe(fingerprintLine(offer).split(' ')[1]);
    expectRtcError(() => formatFingerprint(new Uint8Array(20)), 'SIGNAL_INVALID');
  });
});

describe('maxMessageSize', () => {
  it("reads Chromium's 256 KiB", () => {
    for (const name of FIXTURES) expect(maxMessageSize(fixtureSdp(name))).toBe(262_144);
  });

  it('is 64 KiB when absent and the SecMsg ceiling when 0 ("any size"), RFC 8841 §6', () => {
    expect(maxMessageSize(replaceLine(offer, 'a=max-message-size:', ''))).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    expect(DEFAULT_MAX_MESSAGE_SIZE).toBe(65_536);
    expect(maxMessageSize(replaceLine(offer, 'a=max-message-size:', 'a=max-message-size:0'))).toBe(
      UNLIMITED_MAX_MESSAGE_SIZE,
    );
    expect(UNLIMITED_MAX_MESSAGE_SIZE).toBe(256 * 1024 + 57);
    expect(maxMessageSize(replaceLine(offer, 'a=max-message-size:', 'a=max-message-size:1073741823'))).toBe(
      1_073_741_823,
    );
    expect(
      maxMessageSize(replaceLine(offer, 'a=max-message-size:', 'a=max-message-size:99999999999999999999')),
    ).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses a malformed value', () => {
    for (const bad of [
      'a=max-message-size:',
      'a=max-message-size:-1',
      'a=max-message-size:1e6',
      'a=max-message-size:x',
    ]) {
      expectRtcError(() => maxMessageSize(replaceLine(offer, 'a=max-message-size:', bad)), 'SIGNAL_INVALID');
    }
  });
});

describe('ICE credentials, setup, mid, SCTP port', () => {
  it('reads them from the captured descriptions', () => {
    expect(iceCredentials(offer)).toEqual({ ufrag: '1OWa', pwd: 'q2+mu1ZhhLi/mznqT0dtAiBw' });
    expect(setupRole(offer)).toBe('actpass');
    expect(setupRole(fixtureSdp('chromium-mdns-answer'))).toBe('active');
    expect(mediaId(offer)).toBe('0');
    expect(sctpPort(offer)).toBe(5000);
  });

  it('falls back to session-level credentials, and to port 5000', () => {
    const moved = toSessionLevel(toSessionLevel(offer, 'a=ice-ufrag:'), 'a=ice-pwd:');
    expect(iceCredentials(moved)).toEqual(iceCredentials(offer));
    expect(sctpPort(replaceLine(offer, 'a=sctp-port:', ''))).toBe(5000);
  });

  it('refuses missing or malformed values', () => {
    expectRtcError(() => iceCredentials(replaceLine(offer, 'a=ice-pwd:', '')), 'SIGNAL_INVALID');
    expectRtcError(
      () => iceCredentials(replaceLine(offer, 'a=ice-ufrag:', 'a=ice-ufrag:abc')),
      'SIGNAL_INVALID',
    );
    expectRtcError(
      () => iceCredentials(replaceLine(offer, 'a=ice-pwd:', 'a=ice-pwd:short')),
      'SIGNAL_INVALID',
    );
    expectRtcError(
      () => iceCredentials(replaceLine(offer, 'a=ice-ufrag:', 'a=ice-ufrag:ab cd')),
      'SIGNAL_INVALID',
    );
    expectRtcError(() => setupRole(replaceLine(offer, 'a=setup:', 'a=setup:holdconn')), 'SIGNAL_INVALID');
    expectRtcError(() => setupRole(replaceLine(offer, 'a=setup:', '')), 'SIGNAL_INVALID');
    expectRtcError(() => mediaId(replaceLine(offer, 'a=mid:', '')), 'SIGNAL_INVALID');
    expectRtcError(() => mediaId(replaceLine(offer, 'a=mid:', 'a=mid:a b')), 'SIGNAL_INVALID');
    expectRtcError(() => sctpPort(replaceLine(offer, 'a=sctp-port:', 'a=sctp-port:0')), 'SIGNAL_INVALID');
    expectRtcError(() => sctpPort(replaceLine(offer, 'a=sctp-port:', 'a=sctp-port:65536')), 'SIGNAL_INVALID');
  });

  it('refuses a description without a data channel section', () => {
    const audio = offer.replace(
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    );
    for (const read of [maxMessageSize, iceCredentials, setupRole, mediaId, sctpPort, iceCandidates]) {
      expectRtcError(() => read(audio), 'SIGNAL_INVALID');
    }
  });
});

describe('iceCandidates', () => {
  it("reads Chromium's mDNS and raw-IP host candidates", () => {
    expect(iceCandidates(offer)).toEqual([
      {
        foundation: '1685230998',
        component: 1,
        protocol: 'udp',
        priority: 2_113_937_151,
        address: 'afa6783c-5fed-4f8c-9e91-f2b86e3e3860.local',
        port: 38_935,
        type: 'host',
      },
      {
        foundation: '1661008166',
        component: 1,
        protocol: 'udp',
        priority: 2_113_942_271,
        address: '9e87aed0-1e07-4924-8d87-8a8b63e39ea1.local',
        port: 57_713,
        type: 'host',
      },
    ]);
    expect(iceCandidates(ipOffer).map((c) => `${c.address} ${c.port}`)).toEqual([
      '192.0.2.2 35719',
      'fd00::2 45555',
    ]);
  });

  it('parses server-reflexive, relay and TCP candidates, with or without the "candidate:" prefix', () => {
    expect(
      parseCandidate(
        'candidate:842163049 1 udp 1677729535 203.0.113.7 61432 typ srflx raddr 0.0.0.0 rport 0 generation 0',
      ),
    ).toMatchObject({ type: 'srflx', address: '203.0.113.7', port: 61_432, protocol: 'udp' });
    expect(
      parseCandidate('3 1 UDP 41885695 2001:db8::9 3478 typ relay raddr 203.0.113.7 rport 61432'),
    ).toMatchObject({
      type: 'relay',
      protocol: 'udp',
      address: '2001:db8::9',
    });
    expect(
      parseCandidate('4 1 tcp 1518280447 192.0.2.2 9 typ host tcptype active generation 0'),
    ).toMatchObject({
      protocol: 'tcp',
      tcpType: 'active',
      port: 9,
    });
  });

  it('skips candidates SecMsg cannot use', () => {
    for (const bad of [
      '',
      '1 1 udp 1 192.0.2.2 1 typ',
      '1 1 sctp 2113937151 192.0.2.2 5000 typ host',
      '1 1 udp 2113937151 192.0.2.2 70000 typ host',
      '1 1 udp 2113937151 192.0.2.2 5000 typ unknown',
      '1 1 udp 2113937151 192.0.2.2 5000 kind host',
      '1 0 udp 2113937151 192.0.2.2 5000 typ host',
      '1 1 udp 0 192.0.2.2 5000 typ host',
      '1 1 udp 99999999999 192.0.2.2 5000 typ host',
      '1 1 udp 2113937151 bad_name!.local 5000 typ host',
      '1 1 tcp 1518280447 192.0.2.2 9 typ host',
      '1 1 tcp 1518280447 192.0.2.2 9 typ host tcptype sideways',
      'f@@ 1 udp 2113937151 192.0.2.2 5000 typ host',
    ]) {
      expect(parseCandidate(bad), bad).toBeNull();
    }
    const withJunk = offer.replace('a=ice-ufrag:', 'a=candidate:junk\r\na=ice-ufrag:');
    expect(iceCandidates(withJunk)).toHaveLength(2);
  });
});

describe('checkDescription', () => {
  it('accepts an offer or an answer and returns its fingerprint', () => {
    const { desc, fingerprint } = checkDescription({ type: 'offer', sdp: offer, extra: 1 });
    expect(desc).toEqual({ type: 'offer', sdp: offer });
    expect(fingerprint).toEqual(dtlsFingerprint(offer));
  });

  it('refuses anything else before a browser sees it', () => {
    expectRtcError(() => checkDescription(null), 'SIGNAL_INVALID');
    expectRtcError(() => checkDescription('offer'), 'SIGNAL_INVALID');
    expectRtcError(() => checkDescription({ type: 'pranswer', sdp: offer }), 'SIGNAL_INVALID');
    expectRtcError(() => checkDescription({ type: 'offer', sdp: 42 }), 'SIGNAL_INVALID');
    expectRtcError(
      () => checkDescription({ type: 'offer', sdp: replaceLine(offer, 'a=fingerprint:', '') }),
      'NO_FINGERPRINT',
    );
  });
});

describe('robustness', () => {
  const readers = [
    dtlsFingerprint,
    maxMessageSize,
    iceCredentials,
    setupRole,
    mediaId,
    sctpPort,
    iceCandidates,
    (s: string) => checkDescription({ type: 'offer', sdp: s }),
  ];
  const throwsOnlyRtcError = (sdp: string): void => {
    for (const read of readers) {
      try {
        read(sdp);
      } catch (e) {
        if (!(e instanceof RtcError)) throw e;
      }
    }
  };

  it('throws nothing but RtcError on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), throwsOnlyRtcError), {
      numRuns: 500,
    });
  });

  it('throws nothing but RtcError on random edits of a real description', () => {
    const lines = offer.split('\r\n');
    fc.assert(
      fc.property(
        fc.nat({ max: lines.length - 1 }),
        fc.string({ maxLength: 120 }),
        fc.boolean(),
        (i, text, insert) => {
          const copy = [...lines];
          if (insert) copy.splice(i, 0, text);
          else copy[i] = copy[i]!.slice(0, 2) + text;
          throwsOnlyRtcError(copy.join('\r\n'));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
