/**
 * Application records (DESIGN.md, Application records): round trips, every decode-side field
 * check, the encode-side argument checks, and random bytes → only ProtocolError BAD_RECORD.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors';
import { expectCode, expectDecodesExactlyOrRefuses, thrown } from './codec.test-util';
import {
  type AppRecord,
  MAX_ACK_IDS,
  MAX_TEXT_BODY_BYTES,
  MESSAGE_ID_LENGTH,
  decodeRecord,
  encodeRecord,
} from './records';

const id = (byte: number): Uint8Array => new Uint8Array(MESSAGE_ID_LENGTH).fill(byte);

/** A text record built by hand: 0x01 ‖ id ‖ sentAt (hi, lo) ‖ declared length ‖ body bytes. */
function textBytes(fields: {
  sentHi?: number;
  sentLo?: number;
  length?: number;
  body: Uint8Array;
}): Uint8Array {
  const out = new Uint8Array(29 + fields.body.length);
  const view = new DataView(out.buffer);
  out[0] = 0x01;
  out.set(id(0xab), 1);
  view.setUint32(17, fields.sentHi ?? 0);
  view.setUint32(21, fields.sentLo ?? 0);
  view.setUint32(25, fields.length ?? fields.body.length);
  out.set(fields.body, 29);
  return out;
}

/** An ack built by hand: 0x02 ‖ declared count ‖ `ids` ids. */
function ackBytes(count: number, ids: number): Uint8Array {
  const out = new Uint8Array(3 + ids * MESSAGE_ID_LENGTH);
  new DataView(out.buffer).setUint16(1, count);
  out[0] = 0x02;
  for (let i = 0; i < ids; i++) out.set(id(i & 0xff), 3 + i * MESSAGE_ID_LENGTH);
  return out;
}

const messageId = fc.uint8Array({ minLength: MESSAGE_ID_LENGTH, maxLength: MESSAGE_ID_LENGTH });
const sentAt = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
// 'binary' draws any Unicode scalar value (astral planes included, no lone surrogates).
const body = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
);

describe('record round trips', () => {
  it('round-trips text records with any Unicode body', () => {
    fc.assert(
      fc.property(messageId, sentAt, body, (msgId, at, text) => {
        const record: AppRecord = { kind: 'text', id: msgId, sentAt: at, body: text };
        expect(decodeRecord(encodeRecord(record))).toEqual(record);
      }),
    );
  });

  it('round-trips acks', () => {
    fc.assert(
      fc.property(fc.array(messageId, { minLength: 1, maxLength: 40 }), (ids) => {
        const record: AppRecord = { kind: 'ack', ids };
        const bytes = encodeRecord(record);
        expect(bytes).toHaveLength(3 + ids.length * MESSAGE_ID_LENGTH);
        expect(decodeRecord(bytes)).toEqual(record);
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['emoji and a ZWJ sequence', '👩‍👩‍👧 héllo 𝄞'],
    ['a leading byte order mark, kept', '\uFEFFhi'],
    ['right-to-left text', 'שלום עולם'],
    ['a NUL', 'a\u0000b'],
  ])('round-trips a body with %s', (_, text) => {
    const record: AppRecord = { kind: 'text', id: id(1), sentAt: 1_700_000_000_000, body: text };
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('lays a text record out as DESIGN.md says', () => {
    const bytes = encodeRecord({ kind: 'text', id: id(0xab), sentAt: 2 ** 32 + 5, body: 'hé' });
    expect(bytes).toEqual(textBytes({ sentHi: 1, sentLo: 5, body: Uint8Array.of(0x68, 0xc3, 0xa9) }));
  });

  it('round-trips a body of exactly the limit and an ack of exactly 1024 ids', () => {
    const longest: AppRecord = { kind: 'text', id: id(2), sentAt: 0, body: 'x'.repeat(MAX_TEXT_BODY_BYTES) };
    expect(decodeRecord(encodeRecord(longest))).toEqual(longest);
    const most: AppRecord = { kind: 'ack', ids: Array.from({ length: MAX_ACK_IDS }, (_, i) => id(i & 0xff)) };
    expect(decodeRecord(encodeRecord(most))).toEqual(most);
  });

  it('hands back ids that do not alias the input', () => {
    const bytes = textBytes({ body: new Uint8Array(0) });
    const record = decodeRecord(bytes);
    bytes.fill(0);
    expect(record.kind === 'text' && record.id).toEqual(id(0xab));
  });
});

describe('decodeRecord rejects with BAD_RECORD', () => {
  it('an empty record', () => {
    expectCode(() => decodeRecord(new Uint8Array(0)), 'BAD_RECORD');
  });

  it.each([0x00, 0x03, 0x7f, 0xff])('record type %i', (type) => {
    expectCode(() => decodeRecord(Uint8Array.of(type, ...new Uint8Array(40))), 'BAD_RECORD');
  });

  it('a text record cut inside its header', () => {
    const full = textBytes({ body: new Uint8Array(0) });
    for (let n = 1; n < 29; n++) expectCode(() => decodeRecord(full.subarray(0, n)), 'BAD_RECORD');
  });

  it('a text body shorter than declared', () => {
    expectCode(
      () => decodeRecord(textBytes({ length: 4, body: Uint8Array.of(0x61, 0x62, 0x63) })),
      'BAD_RECORD',
    );
  });

  it('trailing bytes after a text body', () => {
    expectCode(
      () => decodeRecord(textBytes({ length: 2, body: Uint8Array.of(0x61, 0x62, 0x63) })),
      'BAD_RECORD',
    );
  });

  it.each([
    ['0xff', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['a cut 3-byte sequence', [0xe2, 0x82]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('a text body with invalid UTF-8: %s', (_, raw) => {
    const bytes = textBytes({ body: Uint8Array.from([0x61, ...raw, 0x62]) });
    const e = thrown(() => decodeRecord(bytes));
    expect(ProtocolError.is(e, 'BAD_RECORD')).toBe(true);
  });

  it('a text body over the limit', () => {
    const over = MAX_TEXT_BODY_BYTES + 1;
    expectCode(() => decodeRecord(textBytes({ body: new Uint8Array(over).fill(0x61) })), 'BAD_RECORD');
  });

  it('a declared body length of 0xFFFFFFFF on a short record', () => {
    expectCode(() => decodeRecord(textBytes({ length: 0xffffffff, body: new Uint8Array(0) })), 'BAD_RECORD');
  });

  it('a sentAt of 2^53 or more', () => {
    expectCode(() => decodeRecord(textBytes({ sentHi: 0x200000, body: new Uint8Array(0) })), 'BAD_RECORD');
    expectCode(() => decodeRecord(textBytes({ sentHi: 0xffffffff, body: new Uint8Array(0) })), 'BAD_RECORD');
    const max = decodeRecord(textBytes({ sentHi: 0x1fffff, sentLo: 0xffffffff, body: new Uint8Array(0) }));
    expect(max.kind === 'text' && max.sentAt).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('an ack cut before its count', () => {
    expectCode(() => decodeRecord(Uint8Array.of(0x02)), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(0x02, 0x00)), 'BAD_RECORD');
  });

  it('an ack with count 0', () => {
    expectCode(() => decodeRecord(ackBytes(0, 0)), 'BAD_RECORD');
  });

  it('an ack with count over 1024', () => {
    expectCode(() => decodeRecord(ackBytes(MAX_ACK_IDS + 1, MAX_ACK_IDS + 1)), 'BAD_RECORD');
    expectCode(() => decodeRecord(ackBytes(0xffff, 1)), 'BAD_RECORD');
  });

  it('an ack whose count does not match its length', () => {
    expectCode(() => decodeRecord(ackBytes(2, 1)), 'BAD_RECORD');
    expectCode(() => decodeRecord(ackBytes(1, 2)), 'BAD_RECORD');
    expectCode(() => decodeRecord(ackBytes(1, 1).subarray(0, 18)), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(...ackBytes(1, 1), 0)), 'BAD_RECORD');
  });

  it('only throws BAD_RECORD on random bytes', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      // Records that start well and then go wrong.
      fc
        .tuple(fc.constantFrom(0x01, 0x02), fc.uint8Array({ maxLength: 120 }))
        .map(([t, rest]) => Uint8Array.of(t, ...rest)),
    );
    expectDecodesExactlyOrRefuses(anyBytes, decodeRecord, encodeRecord, 'BAD_RECORD');
  });
});

describe('encodeRecord argument checks', () => {
  const text = { kind: 'text', id: id(1), sentAt: 0, body: 'hi' } as const;

  it.each([
    ['a 15-byte id', { ...text, id: new Uint8Array(15) }],
    ['a 17-byte id', { ...text, id: new Uint8Array(17) }],
    ['a negative sentAt', { ...text, sentAt: -1 }],
    ['a fractional sentAt', { ...text, sentAt: 1.5 }],
    ['a sentAt of 2^53', { ...text, sentAt: 2 ** 53 }],
    ['a NaN sentAt', { ...text, sentAt: Number.NaN }],
    ['a body one byte over 64 KiB', { ...text, body: 'x'.repeat(MAX_TEXT_BODY_BYTES + 1) }],
    [
      'a body over 64 KiB in UTF-8 but not in characters',
      { ...text, body: 'é'.repeat(MAX_TEXT_BODY_BYTES / 2 + 1) },
    ],
    ['an empty ack', { kind: 'ack', ids: [] }],
    ['an ack of 1025 ids', { kind: 'ack', ids: Array.from({ length: MAX_ACK_IDS + 1 }, () => id(0)) }],
    ['an ack with a short id', { kind: 'ack', ids: [id(0), new Uint8Array(8)] }],
  ] satisfies [string, AppRecord][])('refuses %s with BAD_ARGUMENT', (_, record) => {
    expectCode(() => encodeRecord(record), 'BAD_ARGUMENT');
  });

  it('refuses an id that is not bytes with BAD_ARGUMENT', () => {
    const record = { ...text, id: Array.from(id(1)) } as unknown as AppRecord;
    expectCode(() => encodeRecord(record), 'BAD_ARGUMENT');
  });
});

describe('mailbox announcements', () => {
  it('round-trip as 0x04 ‖ the 32-byte id', () => {
    const mailboxId = Uint8Array.from({ length: 32 }, (_, i) => i);
    const bytes = encodeRecord({ kind: 'mailbox', id: mailboxId });
    expect(bytes[0]).toBe(0x04);
    expect(bytes.length).toBe(33);
    expect(decodeRecord(bytes)).toEqual({ kind: 'mailbox', id: mailboxId });
  });

  it('refuse an id of another length, both ways', () => {
    expectCode(() => encodeRecord({ kind: 'mailbox', id: new Uint8Array(31) }), 'BAD_ARGUMENT');
    expectCode(() => decodeRecord(Uint8Array.of(0x04, ...new Uint8Array(31))), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(0x04, ...new Uint8Array(33))), 'BAD_RECORD');
  });
});
