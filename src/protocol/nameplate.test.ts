/**
 * The nameplate wire contract: paths, both codecs field by field, the size limits at their exact
 * edges, the close-code table, and two properties: client messages round-trip, and any text or
 * JSON value only ever decodes or throws a NameplateError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import {
  MAX_NAMEPLATE,
  MAX_NAMEPLATE_FRAME_LENGTH,
  MAX_PAKE_BYTES,
  NAMEPLATE_PATH,
  type NameplateClientMessage,
  NameplateCloseCode,
  NameplateError,
  type NameplateServerMessage,
  PING_FRAME,
  PONG_FRAME,
  decodeNameplateClientMessage,
  decodeNameplateServerMessage,
  encodeNameplateClientMessage,
  encodeNameplateServerMessage,
  isNameplate,
  isNameplateCloseCode,
  nameplateCloseReason,
  nameplateCloseSentence,
  nameplatePath,
  parseNameplatePath,
} from './nameplate';

/** The close code a call throws with, or undefined when it does not throw. */
function codeOf(f: () => unknown): NameplateCloseCode | string | undefined {
  try {
    f();
  } catch (e) {
    return NameplateError.is(e) ? e.closeCode : String(e);
  }
  return undefined;
}

const pakeOf = (n: number): string => toBase64Url(new Uint8Array(n).fill(0xa5));

describe('paths', () => {
  it('read /nameplates as "make one" and /nameplates/<n> as n, for every n', () => {
    expect(parseNameplatePath(NAMEPLATE_PATH)).toBeNull();
    expect(nameplatePath()).toBe('/nameplates');
    for (let n = 1; n <= MAX_NAMEPLATE; n++) {
      expect(nameplatePath(n)).toBe(`/nameplates/${n}`);
      expect(parseNameplatePath(nameplatePath(n))).toBe(n);
    }
  });

  it.each([
    '',
    '/',
    '/nameplates/',
    '/nameplatesx',
    '/nameplates/0',
    '/nameplates/00',
    '/nameplates/007',
    '/nameplates/07',
    '/nameplates/1000',
    '/nameplates/9999',
    '/nameplates/10000',
    '/nameplates/-1',
    '/nameplates/+7',
    '/nameplates/1e2',
    '/nameplates/7.0',
    '/nameplates/ 7',
    '/nameplates/7 ',
    '/nameplates/7/',
    '/nameplates/7/x',
    '/nameplates/x',
    '/nameplates/\uff17',
    '/Nameplates/7',
    '/nameplates//7',
  ])('refuse %j with BAD_REQUEST', (path) => {
    expect(codeOf(() => parseNameplatePath(path))).toBe(NameplateCloseCode.BAD_REQUEST);
  });

  it('refuse to build a path for anything but 1 to 999', () => {
    for (const n of [0, -1, 1000, 1.5, NaN, Infinity]) {
      expect(codeOf(() => nameplatePath(n))).toBe(NameplateCloseCode.BAD_REQUEST);
    }
    expect([1, 999, 0, 1000, 7.5, '7', null].map(isNameplate)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('client messages', () => {
  it('encode to compact JSON (the ping to PING_FRAME exactly) and decode back', () => {
    const d = pakeOf(49);
    expect(encodeNameplateClientMessage({ t: 'pake', d })).toBe(`{"t":"pake","d":"${d}"}`);
    expect(encodeNameplateClientMessage({ t: 'ping' })).toBe(PING_FRAME);
    expect(decodeNameplateClientMessage(`{"t":"pake","d":"${d}"}`)).toEqual({ t: 'pake', d });
    expect(decodeNameplateClientMessage(`{ "d": "${d}", "t": "pake" }`)).toEqual({ t: 'pake', d });
    expect(decodeNameplateClientMessage(PING_FRAME)).toEqual({ t: 'ping' });
    expect(decodeNameplateClientMessage('{ "t": "ping" }')).toEqual({ t: 'ping' });
  });

  it(`take d up to exactly ${MAX_PAKE_BYTES} bytes decoded`, () => {
    for (const n of [1, 2, 3, 49, 64, 96, MAX_PAKE_BYTES - 1, MAX_PAKE_BYTES]) {
      const d = pakeOf(n);
      expect(decodeNameplateClientMessage(encodeNameplateClientMessage({ t: 'pake', d }))).toEqual({
        t: 'pake',
        d,
      });
    }
    const over = `{"t":"pake","d":"${pakeOf(MAX_PAKE_BYTES + 1)}"}`;
    expect(codeOf(() => decodeNameplateClientMessage(over))).toBe(NameplateCloseCode.TOO_LARGE);
    expect(codeOf(() => encodeNameplateClientMessage({ t: 'pake', d: pakeOf(MAX_PAKE_BYTES + 1) }))).toBe(
      NameplateCloseCode.TOO_LARGE,
    );
  });

  it('refuse frames over the frame limit before parsing them', () => {
    const exact = `{"t":"ping"}`.padEnd(MAX_NAMEPLATE_FRAME_LENGTH, ' ');
    expect(decodeNameplateClientMessage(exact)).toEqual({ t: 'ping' });
    expect(codeOf(() => decodeNameplateClientMessage(`${exact} `))).toBe(NameplateCloseCode.TOO_LARGE);
    expect(codeOf(() => decodeNameplateClientMessage('x'.repeat(MAX_NAMEPLATE_FRAME_LENGTH + 1)))).toBe(
      NameplateCloseCode.TOO_LARGE,
    );
  });

  it.each<[string, string | ArrayBuffer]>([
    ['a binary frame', new TextEncoder().encode(PING_FRAME).buffer],
    ['not JSON', '{"t":"pake",'],
    ['an empty frame', ''],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"pake"'],
    ['an unknown type', '{"t":"claimed"}'],
    ['no type', '{"d":"AAAA"}'],
    ['an extra field on pake', '{"t":"pake","d":"AAAA","n":7}'],
    ['an extra field on ping', '{"t":"ping","d":"AAAA"}'],
    ['a missing d', '{"t":"pake"}'],
    ['a numeric d', '{"t":"pake","d":7}'],
    ['an empty d', '{"t":"pake","d":""}'],
    ['a padded d', '{"t":"pake","d":"AA=="}'],
    ['d in standard base64', '{"t":"pake","d":"a+b/"}'],
    ['d of an impossible length', '{"t":"pake","d":"AAAAA"}'],
  ])('refuse %s with MALFORMED', (_label, frame) => {
    expect(codeOf(() => decodeNameplateClientMessage(frame))).toBe(NameplateCloseCode.MALFORMED);
  });

  it('refuse to encode a malformed d', () => {
    for (const d of ['', 'a+b/', 'AAAAA', 'AA==']) {
      expect(codeOf(() => encodeNameplateClientMessage({ t: 'pake', d }))).toBe(NameplateCloseCode.MALFORMED);
    }
  });
});

describe('server messages', () => {
  it('encode and decode each type', () => {
    const d = pakeOf(96);
    const cases: [NameplateServerMessage, string][] = [
      [
        { t: 'nameplate', n: 7, expires: 1_765_000_000_000 },
        '{"t":"nameplate","n":7,"expires":1765000000000}',
      ],
      [{ t: 'claimed' }, '{"t":"claimed"}'],
      [{ t: 'unclaimed' }, '{"t":"unclaimed"}'],
      [{ t: 'pake', d }, `{"t":"pake","d":"${d}"}`],
      [{ t: 'pong' }, PONG_FRAME],
    ];
    for (const [msg, text] of cases) {
      expect(encodeNameplateServerMessage(msg)).toBe(text);
      expect(decodeNameplateServerMessage(text)).toEqual(msg);
    }
  });

  it.each([
    '{"t":"nameplate","n":0,"expires":1}',
    '{"t":"nameplate","n":1000,"expires":1}',
    '{"t":"nameplate","n":7.5,"expires":1}',
    '{"t":"nameplate","n":"7","expires":1}',
    '{"t":"nameplate","n":7,"expires":0}',
    '{"t":"nameplate","n":7,"expires":-1}',
    '{"t":"nameplate","n":7,"expires":1.5}',
    '{"t":"nameplate","n":7,"expires":1e300}',
    '{"t":"nameplate","n":7}',
    '{"t":"nameplate","n":7,"expires":1,"x":1}',
    '{"t":"claimed","n":7}',
    '{"t":"pake","d":"a+b/"}',
    '{"t":"ping"}',
    '{"t":"hello"}',
    '[]',
  ])('refuse %s', (text) => {
    expect(codeOf(() => decodeNameplateServerMessage(text))).toBe(NameplateCloseCode.MALFORMED);
  });

  it('refuse to encode a nameplate message without a nameplate or an expiry', () => {
    for (const [n, expires] of [
      [0, 1],
      [1000, 1],
      [7, 0],
      [7, 1.5],
    ] as const) {
      expect(codeOf(() => encodeNameplateServerMessage({ t: 'nameplate', n, expires }))).toBe(
        NameplateCloseCode.MALFORMED,
      );
    }
  });
});

describe('close codes', () => {
  const codes = Object.values(NameplateCloseCode);

  it('are 4300 to 4313, each with a short reason and a sentence', () => {
    expect([...codes].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => 4300 + i));
    for (const code of codes) {
      expect(isNameplateCloseCode(code)).toBe(true);
      const reason = nameplateCloseReason(code);
      expect(new TextEncoder().encode(reason).length).toBeLessThanOrEqual(123); // RFC 6455 §5.5
      expect(reason).toMatch(/^[a-z][a-z ]+$/);
      expect(nameplateCloseSentence(code)).toMatch(/^[A-Z][^]*\.$/);
    }
    expect(new Set(codes.map(nameplateCloseReason)).size).toBe(codes.length);
  });

  it('leave codes from elsewhere alone', () => {
    for (const code of [1000, 1006, 1011, 4000, 4100, 4299, 4314]) {
      expect(isNameplateCloseCode(code)).toBe(false);
      expect(nameplateCloseSentence(code)).toBeUndefined();
    }
  });
});

describe('properties', () => {
  const pake = fc.uint8Array({ minLength: 1, maxLength: MAX_PAKE_BYTES }).map((bytes) => toBase64Url(bytes));
  const clientMessage: fc.Arbitrary<NameplateClientMessage> = fc.oneof(
    pake.map((d) => ({ t: 'pake' as const, d })),
    fc.constant({ t: 'ping' as const }),
  );

  it('client messages round-trip', () => {
    fc.assert(
      fc.property(clientMessage, (msg) => {
        expect(decodeNameplateClientMessage(encodeNameplateClientMessage(msg))).toEqual(msg);
      }),
    );
  });

  it('any text or JSON value decodes or throws a NameplateError, nothing else', () => {
    const frames = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ t: 'pake', d: v })),
      fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify({ ...o, t: 'pake' })),
      fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify({ ...o, t: 'nameplate' })),
    );
    fc.assert(
      fc.property(frames, (frame) => {
        for (const decode of [decodeNameplateClientMessage, decodeNameplateServerMessage]) {
          try {
            decode(frame);
          } catch (e) {
            expect(NameplateError.is(e)).toBe(true);
          }
        }
      }),
    );
  });
});
