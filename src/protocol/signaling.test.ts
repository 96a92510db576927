/**
 * The signaling wire contract: room ids, both codecs field by field, the size limits at their
 * exact edges, the close-code table, and two properties: encode → decode round-trips, and any
 * text or JSON value only ever decodes or throws a SignalingError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import {
  type ClientMessage,
  MAX_BLOB_BYTES,
  MAX_BLOB_LENGTH,
  MAX_FRAME_LENGTH,
  PING_FRAME,
  PONG_FRAME,
  ROOM_ID_LENGTH,
  type ServerMessage,
  SignalingCloseCode,
  SignalingError,
  closeCodeMessage,
  closeReason,
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
  isRoomId,
  isSignalingCloseCode,
  roomPath,
} from './signaling';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return SignalingError.is(e) ? e.code : String(e);
  }
  return undefined;
}

const blobOf = (n: number): string => toBase64Url(new Uint8Array(n).fill(0xa5));

async function sha256RoomId(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toBase64Url(new Uint8Array(digest));
}

describe('room ids', () => {
  it('accept unpadded base64url SHA-256 hashes', async () => {
    for (let i = 0; i < 64; i++) {
      const id = await sha256RoomId(`room ${i}`);
      expect(id).toHaveLength(ROOM_ID_LENGTH);
      expect(isRoomId(id)).toBe(true);
      expect(roomPath(id)).toBe(`/rooms/${id}`);
    }
  });

  it('refuse every other shape', async () => {
    const id = await sha256RoomId('room');
    const bad: unknown[] = [
      id.slice(1),
      `${id}A`,
      `${id.slice(0, -1)}=`,
      `${id.slice(0, 42)}B`, // last character carries non-zero padding bits
      `${id.slice(0, 42)}+`,
      id.replace(/./, '/'),
      '',
      undefined,
      42,
      `${id}\n`,
    ];
    for (const value of bad) expect(isRoomId(value)).toBe(false);
    expect(codeOf(() => roomPath('nope'))).toBe('BAD_ROOM_ID');
  });
});

describe('client messages', () => {
  it('encode to compact JSON and decode back', () => {
    const d = blobOf(100);
    expect(encodeClientMessage({ t: 'blob', d })).toBe(`{"t":"blob","d":"${d}"}`);
    expect(encodeClientMessage({ t: 'done' })).toBe('{"t":"done"}');
    expect(encodeClientMessage({ t: 'ping' })).toBe(PING_FRAME);
    expect(decodeClientMessage(`{"t":"blob","d":"${d}"}`)).toEqual({ t: 'blob', d });
    expect(decodeClientMessage('{ "t" : "done" }')).toEqual({ t: 'done' });
    expect(decodeClientMessage(PING_FRAME)).toEqual({ t: 'ping' });
  });

  it('take blobs up to exactly 16 KiB decoded', () => {
    const max = blobOf(MAX_BLOB_BYTES);
    expect(max).toHaveLength(MAX_BLOB_LENGTH);
    expect(decodeClientMessage(encodeClientMessage({ t: 'blob', d: max }))).toEqual({ t: 'blob', d: max });
    expect(decodeClientMessage('{"t":"blob","d":"AA"}')).toEqual({ t: 'blob', d: 'AA' });
    const over = blobOf(MAX_BLOB_BYTES + 1);
    expect(codeOf(() => encodeClientMessage({ t: 'blob', d: over }))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeClientMessage(`{"t":"blob","d":"${over}"}`))).toBe('TOO_LARGE');
    // One character more than the limit's length, whatever it decodes to, is too large.
    expect(codeOf(() => decodeClientMessage(`{"t":"blob","d":"${max}A"}`))).toBe('TOO_LARGE');
  });

  it('refuse frames over the frame limit before parsing them', () => {
    const padded = `{"t":"done"}${' '.repeat(MAX_FRAME_LENGTH - 12)}`;
    expect(decodeClientMessage(padded)).toEqual({ t: 'done' });
    expect(codeOf(() => decodeClientMessage(`${padded} `))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeClientMessage('x'.repeat(MAX_FRAME_LENGTH + 1)))).toBe('TOO_LARGE');
  });

  it.each([
    ['binary frame', new TextEncoder().encode('{"t":"done"}').buffer],
    ['not JSON', '{"t":"done"'],
    ['empty', ''],
    ['JSON string', '"done"'],
    ['JSON null', 'null'],
    ['array', '[{"t":"done"}]'],
    ['no type', '{"d":"AA"}'],
    ['numeric type', '{"t":1}'],
    ['unknown type', '{"t":"hello","peers":0}'],
    ['extra field', '{"t":"done","x":1}'],
    ['prototype key', '{"t":"done","__proto__":{}}'],
    ['missing blob', '{"t":"blob"}'],
    ['numeric blob', '{"t":"blob","d":12}'],
    ['empty blob', '{"t":"blob","d":""}'],
    ['padded blob', '{"t":"blob","d":"AA=="}'],
    ['standard base64 blob', '{"t":"blob","d":"AA+/"}'],
    ['impossible length', '{"t":"blob","d":"AAAAA"}'],
    ['blob with space', '{"t":"blob","d":"AA AA"}'],
  ] satisfies [string, string | ArrayBuffer][])('refuse a %s as MALFORMED', (_label, frame) => {
    expect(codeOf(() => decodeClientMessage(frame))).toBe('MALFORMED');
  });

  it('refuse to encode a malformed blob', () => {
    expect(codeOf(() => encodeClientMessage({ t: 'blob', d: 'not base64!' }))).toBe('MALFORMED');
    expect(codeOf(() => encodeClientMessage({ t: 'blob', d: '' }))).toBe('MALFORMED');
  });
});

describe('server messages', () => {
  it('encode and decode each type', () => {
    const d = blobOf(33);
    const cases: [ServerMessage, string][] = [
      [{ t: 'hello', peers: 0 }, '{"t":"hello","peers":0}'],
      [{ t: 'hello', peers: 1 }, '{"t":"hello","peers":1}'],
      [{ t: 'peer-joined' }, '{"t":"peer-joined"}'],
      [{ t: 'peer-left' }, '{"t":"peer-left"}'],
      [{ t: 'blob', d }, `{"t":"blob","d":"${d}"}`],
      [{ t: 'pong' }, PONG_FRAME],
    ];
    for (const [msg, text] of cases) {
      expect(encodeServerMessage(msg)).toBe(text);
      expect(decodeServerMessage(text)).toEqual(msg);
    }
  });

  it('refuse wrong shapes', () => {
    for (const frame of [
      '{"t":"hello"}',
      '{"t":"hello","peers":2}',
      '{"t":"hello","peers":-1}',
      '{"t":"hello","peers":0.5}',
      '{"t":"hello","peers":"0"}',
      '{"t":"peer-left","peers":1}',
      '{"t":"done"}',
      '{"t":"blob","d":"%%"}',
    ]) {
      expect(codeOf(() => decodeServerMessage(frame))).toBe('MALFORMED');
    }
    expect(codeOf(() => encodeServerMessage({ t: 'hello', peers: 2 }))).toBe('MALFORMED');
  });
});

describe('close codes', () => {
  it('are 4000 to 4006, each with a short reason and a sentence', () => {
    expect(Object.values(SignalingCloseCode)).toEqual([4000, 4001, 4002, 4003, 4004, 4005, 4006]);
    for (const code of Object.values(SignalingCloseCode)) {
      expect(isSignalingCloseCode(code)).toBe(true);
      expect(new TextEncoder().encode(closeReason(code)).length).toBeLessThanOrEqual(123);
      expect(closeCodeMessage(code)).toMatch(/^[A-Z].*\.$/);
    }
    expect(closeCodeMessage(SignalingCloseCode.INVITE_USED)).toMatch(/this invite was already used/i);
    expect(isSignalingCloseCode(4999)).toBe(false);
  });

  it('word codes from elsewhere too', () => {
    for (const code of [1000, 1001, 1006, 1011]) expect(closeCodeMessage(code)).toMatch(/^[A-Z].*\.$/);
    expect(closeCodeMessage(4321)).toContain('4321');
  });

  it('follow from decode errors', () => {
    const closeOf = (frame: string): number | undefined => {
      try {
        decodeClientMessage(frame);
      } catch (e) {
        return SignalingError.is(e) ? e.closeCode : undefined;
      }
      return undefined;
    };
    expect(closeOf('nope')).toBe(4000);
    expect(closeOf('x'.repeat(MAX_FRAME_LENGTH + 1))).toBe(4002);
    expect(codeOf(() => roomPath(''))).toBe('BAD_ROOM_ID');
    expect(new SignalingError('BAD_ROOM_ID', 'x').closeCode).toBe(4006);
  });
});

describe('properties', () => {
  const blob = fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => toBase64Url(bytes));
  const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
    blob.map((d) => ({ t: 'blob' as const, d })),
    fc.constant({ t: 'done' as const }),
    fc.constant({ t: 'ping' as const }),
  );

  it('client messages round-trip', () => {
    fc.assert(
      fc.property(clientMessage, (msg) => {
        expect(decodeClientMessage(encodeClientMessage(msg))).toEqual(msg);
      }),
    );
  });

  it('any text or JSON value decodes or throws a SignalingError, nothing else', () => {
    const frames = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ t: 'blob', d: v })),
      fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify({ ...o, t: 'done' })),
    );
    fc.assert(
      fc.property(frames, (frame) => {
        for (const decode of [decodeClientMessage, decodeServerMessage]) {
          try {
            decode(frame);
          } catch (e) {
            expect(SignalingError.is(e)).toBe(true);
          }
        }
      }),
    );
  });
});
