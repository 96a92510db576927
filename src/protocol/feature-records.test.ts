/**
 * The conversation-feature records (feature-records.ts) through the one entry point of records.ts:
 * round trips, the layout, every field's bounds both ways, trailing bytes, unknown types, and
 * random bytes → only ProtocolError BAD_RECORD.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode, expectDecodesExactlyOrRefuses } from './codec.test-util';
import { MAX_REACTION_BYTES, MAX_RECEIPT_IDS, reactionProblem } from './feature-records';
import {
  type AppRecord,
  MAX_TEXT_BODY_BYTES,
  MESSAGE_ID_LENGTH,
  decodeRecord,
  encodeRecord,
} from './records';

const id = (byte: number): Uint8Array => new Uint8Array(MESSAGE_ID_LENGTH).fill(byte);
const messageId = fc.uint8Array({ minLength: MESSAGE_ID_LENGTH, maxLength: MESSAGE_ID_LENGTH });
const sentAt = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
const body = fc.string({ unit: 'binary', maxLength: 200 });
const emoji = fc.constantFrom('', '👍', '❤️', '😂', '👩‍👩‍👧', '🇫🇷', '👍🏽', 'A', '🏴󠁧󠁢󠁳󠁣󠁴󠁿');

const records: fc.Arbitrary<AppRecord> = fc.oneof(
  fc.record({ kind: fc.constant('reply' as const), id: messageId, sentAt, replyTo: messageId, body }),
  fc.record({ kind: fc.constant('reaction' as const), id: messageId, sentAt, target: messageId, emoji }),
  fc.record({
    kind: fc.constant('edit' as const),
    id: messageId,
    sentAt,
    target: messageId,
    body: body.filter((b) => b !== ''),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: messageId, sentAt, target: messageId }),
  fc.record({
    kind: fc.constant('receipt' as const),
    id: messageId,
    sentAt,
    ids: fc.array(messageId, { minLength: 1, maxLength: 30 }),
  }),
  fc.record({ kind: fc.constant('typing' as const), typing: fc.boolean() }),
);

describe('feature records round-trip', () => {
  it('every kind, any field', () => {
    fc.assert(
      fc.property(records, (record) => {
        expect(decodeRecord(encodeRecord(record))).toEqual(record);
      }),
    );
  });

  it('a reply of exactly the limit, and a receipt of exactly 1024 ids', () => {
    const reply: AppRecord = {
      kind: 'reply',
      id: id(1),
      sentAt: 7,
      replyTo: id(2),
      body: 'x'.repeat(MAX_TEXT_BODY_BYTES),
    };
    expect(decodeRecord(encodeRecord(reply))).toEqual(reply);
    const receipt: AppRecord = {
      kind: 'receipt',
      id: id(3),
      sentAt: 9,
      ids: Array.from({ length: MAX_RECEIPT_IDS }, (_, i) => id(i & 0xff)),
    };
    expect(decodeRecord(encodeRecord(receipt))).toEqual(receipt);
  });

  it('lays the records out as the header says', () => {
    const head = (type: number, fill: number) => [type, ...id(fill), 0, 0, 0, 1, 0, 0, 0, 5];
    expect(
      encodeRecord({ kind: 'reply', id: id(1), sentAt: 2 ** 32 + 5, replyTo: id(2), body: 'hé' }),
    ).toEqual(Uint8Array.of(...head(0x05, 1), ...id(2), 0, 0, 0, 3, 0x68, 0xc3, 0xa9));
    expect(
      encodeRecord({ kind: 'reaction', id: id(1), sentAt: 2 ** 32 + 5, target: id(2), emoji: '👍' }),
    ).toEqual(Uint8Array.of(...head(0x06, 1), ...id(2), 4, 0xf0, 0x9f, 0x91, 0x8d));
    expect(encodeRecord({ kind: 'edit', id: id(1), sentAt: 2 ** 32 + 5, target: id(2), body: 'a' })).toEqual(
      Uint8Array.of(...head(0x07, 1), ...id(2), 0, 0, 0, 1, 0x61),
    );
    expect(encodeRecord({ kind: 'delete', id: id(1), sentAt: 2 ** 32 + 5, target: id(2) })).toEqual(
      Uint8Array.of(...head(0x08, 1), ...id(2)),
    );
    expect(encodeRecord({ kind: 'receipt', id: id(1), sentAt: 2 ** 32 + 5, ids: [id(2)] })).toEqual(
      Uint8Array.of(...head(0x09, 1), 0, 1, ...id(2)),
    );
    expect(encodeRecord({ kind: 'typing', typing: true })).toEqual(Uint8Array.of(0x0a, 1));
    expect(encodeRecord({ kind: 'typing', typing: false })).toEqual(Uint8Array.of(0x0a, 0));
  });

  it('hands back ids that do not alias the input', () => {
    const bytes = encodeRecord({ kind: 'delete', id: id(1), sentAt: 0, target: id(2) });
    const record = decodeRecord(bytes);
    bytes.fill(0);
    expect(record).toEqual({ kind: 'delete', id: id(1), sentAt: 0, target: id(2) });
  });
});

describe('reactions are one emoji', () => {
  it.each(['👍', '❤️', '👩‍👩‍👧', '🇫🇷', '👍🏽', ''])('accepts %s', (e) => {
    expect(reactionProblem(e)).toBeUndefined();
  });
  it.each([
    ['two emoji', '👍👍'],
    ['a word', 'ok'],
    ['a space', ' '],
    ['an emoji and a space', '👍 '],
    ['a control character', '\u0007'],
    ['a line break', '\n'],
    ['33 bytes', '👍🏽'.repeat(4) + 'a'],
  ])('refuses %s', (_, e) => {
    expect(reactionProblem(e)).toBeTypeOf('string');
  });
});

/** type ‖ id(0xab) ‖ sentAt (hi, lo) ‖ rest. */
function raw(type: number, rest: number[], sentHi = 0, sentLo = 0): Uint8Array {
  const out = new Uint8Array(25 + rest.length);
  const view = new DataView(out.buffer);
  out[0] = type;
  out.set(id(0xab), 1);
  view.setUint32(17, sentHi);
  view.setUint32(21, sentLo);
  out.set(rest, 25);
  return out;
}
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

describe('decodeRecord refuses feature records with BAD_RECORD', () => {
  const valid: Record<string, Uint8Array> = {
    reply: raw(0x05, [...id(1), ...u32(1), 0x61]),
    reaction: raw(0x06, [...id(1), 4, 0xf0, 0x9f, 0x91, 0x8d]),
    edit: raw(0x07, [...id(1), ...u32(1), 0x61]),
    delete: raw(0x08, [...id(1)]),
    receipt: raw(0x09, [0, 1, ...id(1)]),
    typing: Uint8Array.of(0x0a, 1),
  };

  it.each(Object.entries(valid))('%s: valid as built here', (_, bytes) => {
    expect(() => decodeRecord(bytes)).not.toThrow();
  });

  it.each(Object.entries(valid))('%s: every cut and one trailing byte', (_, bytes) => {
    for (let n = 1; n < bytes.length; n++) expectCode(() => decodeRecord(bytes.subarray(0, n)), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(...bytes, 0)), 'BAD_RECORD');
  });

  it.each([0x05, 0x06, 0x07, 0x08, 0x09])('type %i: a sentAt of 2^53 or more', (type) => {
    const rest = [...valid[['reply', 'reaction', 'edit', 'delete', 'receipt'][type - 5]!]!.subarray(25)];
    expectCode(() => decodeRecord(raw(type, rest, 0x200000)), 'BAD_RECORD');
    expect(() => decodeRecord(raw(type, rest, 0x1fffff, 0xffffffff))).not.toThrow();
  });

  it.each([0x0e, 0x10, 0x7f, 0xff])('unknown record type %i', (type) => {
    expectCode(() => decodeRecord(Uint8Array.of(type, ...new Uint8Array(60))), 'BAD_RECORD');
  });

  it('a reply or an edit body over the limit, or with a length that does not match', () => {
    for (const type of [0x05, 0x07]) {
      const over = MAX_TEXT_BODY_BYTES + 1;
      expectCode(
        () => decodeRecord(raw(type, [...id(1), ...u32(over), ...new Uint8Array(over).fill(0x61)])),
        'BAD_RECORD',
      );
      expectCode(() => decodeRecord(raw(type, [...id(1), ...u32(0xffffffff)])), 'BAD_RECORD');
      expectCode(() => decodeRecord(raw(type, [...id(1), ...u32(2), 0x61])), 'BAD_RECORD');
      expectCode(() => decodeRecord(raw(type, [...id(1), ...u32(1), 0xff])), 'BAD_RECORD');
    }
  });

  it('an edit with no text, but a reply with none is kept', () => {
    expectCode(() => decodeRecord(raw(0x07, [...id(1), ...u32(0)])), 'BAD_RECORD');
    expect(decodeRecord(raw(0x05, [...id(1), ...u32(0)]))).toMatchObject({ kind: 'reply', body: '' });
  });

  it('a reaction over 32 bytes, of two emoji, with a control character or invalid UTF-8', () => {
    const long = new Uint8Array(MAX_REACTION_BYTES + 1).fill(0x61);
    expectCode(() => decodeRecord(raw(0x06, [...id(1), long.length, ...long])), 'BAD_RECORD');
    const two = [0xf0, 0x9f, 0x91, 0x8d, 0xf0, 0x9f, 0x91, 0x8d];
    expectCode(() => decodeRecord(raw(0x06, [...id(1), two.length, ...two])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(0x06, [...id(1), 1, 0x07])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(0x06, [...id(1), 2, 0xc0, 0x80])), 'BAD_RECORD');
    expect(decodeRecord(raw(0x06, [...id(1), 0]))).toMatchObject({ kind: 'reaction', emoji: '' });
  });

  it('a receipt with count 0, over 1024, or not matching its length', () => {
    expectCode(() => decodeRecord(raw(0x09, [0, 0])), 'BAD_RECORD');
    const over = MAX_RECEIPT_IDS + 1;
    expectCode(
      () => decodeRecord(raw(0x09, [over >> 8, over & 0xff, ...new Uint8Array(over * MESSAGE_ID_LENGTH)])),
      'BAD_RECORD',
    );
    expectCode(() => decodeRecord(raw(0x09, [0, 2, ...id(1)])), 'BAD_RECORD');
  });

  it('a typing indicator with a state other than 0 or 1', () => {
    expectCode(() => decodeRecord(Uint8Array.of(0x0a, 2)), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(0x0a)), 'BAD_RECORD');
  });

  it('only throws BAD_RECORD on random bytes after a feature type', () => {
    const anyBytes = fc
      .tuple(fc.integer({ min: 0x05, max: 0x0a }), fc.uint8Array({ maxLength: 120 }))
      .map(([t, rest]) => Uint8Array.of(t, ...rest));
    expectDecodesExactlyOrRefuses(anyBytes, decodeRecord, encodeRecord, 'BAD_RECORD');
  });
});

describe('encodeRecord refuses malformed feature records with BAD_ARGUMENT', () => {
  it.each([
    [
      'a reply with a short quoted id',
      { kind: 'reply', id: id(1), sentAt: 0, replyTo: new Uint8Array(15), body: 'a' },
    ],
    [
      'a reply with a long id',
      { kind: 'reply', id: new Uint8Array(17), sentAt: 0, replyTo: id(1), body: 'a' },
    ],
    [
      'a reply over the limit',
      { kind: 'reply', id: id(1), sentAt: 0, replyTo: id(1), body: 'x'.repeat(MAX_TEXT_BODY_BYTES + 1) },
    ],
    ['a reaction of two emoji', { kind: 'reaction', id: id(1), sentAt: 0, target: id(2), emoji: '👍👍' }],
    [
      'a reaction with a short target',
      { kind: 'reaction', id: id(1), sentAt: 0, target: id(2).subarray(1), emoji: '👍' },
    ],
    ['an empty edit', { kind: 'edit', id: id(1), sentAt: 0, target: id(2), body: '' }],
    ['an edit with a negative time', { kind: 'edit', id: id(1), sentAt: -1, target: id(2), body: 'a' }],
    ['a delete with a fractional time', { kind: 'delete', id: id(1), sentAt: 1.5, target: id(2) }],
    ['an empty receipt', { kind: 'receipt', id: id(1), sentAt: 0, ids: [] }],
    [
      'a receipt of 1025 ids',
      {
        kind: 'receipt',
        id: id(1),
        sentAt: 0,
        ids: Array.from({ length: MAX_RECEIPT_IDS + 1 }, () => id(0)),
      },
    ],
    ['a receipt with a short id', { kind: 'receipt', id: id(1), sentAt: 0, ids: [new Uint8Array(3)] }],
  ] satisfies [string, AppRecord][])('%s', (_, record) => {
    expectCode(() => encodeRecord(record), 'BAD_ARGUMENT');
  });

  it('a typing state that is not a boolean, and an unknown kind', () => {
    expectCode(() => encodeRecord({ kind: 'typing', typing: 1 } as unknown as AppRecord), 'BAD_ARGUMENT');
    expectCode(() => encodeRecord({ kind: 'poll' } as unknown as AppRecord), 'BAD_ARGUMENT');
  });
});
