/**
 * The file-transfer records (file-records.ts) through the one entry point of records.ts: round
 * trips, the layout, every limit both ways, trailing bytes and cuts, bad UTF-8 and forbidden
 * characters in names, ranges out of order, mutated records → only BAD_RECORD; then chunkCount
 * and safeFileName.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../crypto/bytes';
import { expectCode, expectDecodesExactlyOrRefuses } from './codec.test-util';
import {
  type ChunkRange,
  type FileOfferRecord,
  FILE_CANCEL_REASONS,
  FILE_MEDIA,
  MAX_ACK_RANGES,
  MAX_CHUNK_BYTES,
  MAX_FILE_BYTES,
  MAX_FILE_NAME_BYTES,
  MAX_INLINE_FILE_BYTES,
  MAX_MIME_BYTES,
  MAX_THUMBNAIL_BYTES,
  MIN_CHUNK_BYTES,
  chunkCount,
  fileNameProblem,
  mergeRanges,
  mimeTypeProblem,
  safeFileName,
} from './file-records';
import { type AppRecord, MESSAGE_ID_LENGTH, decodeRecord, encodeRecord } from './records';

const id = (byte: number): Uint8Array => new Uint8Array(MESSAGE_ID_LENGTH).fill(byte);
const bytes32 = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const jpeg = (n: number): Uint8Array => {
  const out = new Uint8Array(n).fill(0x11);
  out.set([0xff, 0xd8, 0xff]);
  return out;
};
const messageId = fc.uint8Array({ minLength: MESSAGE_ID_LENGTH, maxLength: MESSAGE_ID_LENGTH });
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const sentAt = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
const mime = fc.constantFrom(
  'image/jpeg',
  'application/octet-stream',
  'audio/webm',
  'video/mp4',
  'IMAGE/PNG',
  'image/svg+xml',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
);
const name = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  )
  .map(safeFileName);

const base: FileOfferRecord = {
  kind: 'file-offer',
  id: id(1),
  sentAt: 2 ** 32 + 5,
  name: 'a.txt',
  mime: 'text/plain',
  size: 3,
  chunkSize: 64 * 1024,
  key: bytes32(2),
  root: bytes32(3),
  media: 'file',
};
const same = (x: Uint8Array | undefined, y: Uint8Array | undefined): boolean =>
  x === undefined || y === undefined ? x === y : Buffer.from(x).equals(Buffer.from(y));
const offer = (o: Partial<FileOfferRecord>): FileOfferRecord => ({ ...base, ...o });

const offers: fc.Arbitrary<FileOfferRecord> = fc
  .record({
    id: messageId,
    sentAt,
    name,
    mime,
    chunkSize: fc.integer({ min: 16, max: 192 }).map((k) => k * 1024),
    key: key32,
    root: key32,
    media: fc.constantFrom(...FILE_MEDIA),
    size: fc.oneof(fc.integer({ min: 1, max: MAX_FILE_BYTES }), fc.integer({ min: 1, max: 300 })),
  })
  .chain((o) => {
    const timed = o.media === 'voice' || o.media === 'video';
    const visual = o.media === 'image' || o.media === 'video';
    return fc
      .record({
        durationMs: timed ? fc.option(fc.integer({ min: 0, max: 0xffffffff })) : fc.constant(null),
        dims: visual
          ? fc.option(fc.tuple(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffff })))
          : fc.constant(null),
        thumbnail: fc.option(
          fc.uint8Array({ maxLength: 100 }).map((b) => Uint8Array.of(0xff, 0xd8, 0xff, ...b)),
        ),
        inline:
          o.size <= 300
            ? fc.option(fc.uint8Array({ minLength: o.size, maxLength: o.size }))
            : fc.constant(null),
      })
      .map(({ durationMs, dims, thumbnail, inline }) => {
        const r: FileOfferRecord = { kind: 'file-offer', ...o };
        if (durationMs !== null) r.durationMs = durationMs;
        if (dims !== null) [r.width, r.height] = dims;
        if (thumbnail !== null) r.thumbnail = thumbnail;
        if (inline !== null) r.inline = inline;
        return r;
      });
  });

/** Canonical ranges: merged random ranges, at most MAX_ACK_RANGES of them. */
const canonicalRanges = fc
  .array(fc.tuple(fc.nat(5000), fc.integer({ min: 1, max: 40 })), { maxLength: 60 })
  .map((rs) => mergeRanges(rs.map(([s, n]): ChunkRange => [s, s + n])));

const records: fc.Arbitrary<AppRecord> = fc.oneof(
  offers,
  fc.record({ kind: fc.constant('file-chunk-ack' as const), fileId: messageId, ranges: canonicalRanges }),
  fc.record({
    kind: fc.constant('file-cancel' as const),
    id: messageId,
    sentAt,
    fileId: messageId,
    reason: fc.constantFrom(...FILE_CANCEL_REASONS),
  }),
);

describe('file records round-trip', () => {
  it('every kind, any field', () => {
    fc.assert(
      fc.property(records, (record) => {
        expect(decodeRecord(encodeRecord(record))).toEqual(record);
      }),
    );
  });

  it('every limit at its edge', () => {
    const edges: FileOfferRecord[] = [
      offer({ size: 1, chunkSize: MIN_CHUNK_BYTES }),
      offer({ size: MAX_FILE_BYTES, chunkSize: MAX_CHUNK_BYTES }),
      offer({ name: 'é'.repeat(127) + 'a' }), // 255 bytes
      offer({ mime: 'a/' + 'b'.repeat(MAX_MIME_BYTES - 2) }),
      offer({ media: 'image', width: 65535, height: 1, thumbnail: jpeg(MAX_THUMBNAIL_BYTES) }),
      offer({ media: 'voice', durationMs: 0xffffffff }),
      offer({ size: MAX_INLINE_FILE_BYTES, inline: new Uint8Array(MAX_INLINE_FILE_BYTES).fill(7) }),
    ];
    for (const o of edges) {
      // vitest compares big typed arrays slowly (seconds for 192 KiB): those by Buffer.equals.
      const { inline, thumbnail, ...rest } = decodeRecord(encodeRecord(o)) as FileOfferRecord;
      const { inline: inline0, thumbnail: thumbnail0, ...rest0 } = o;
      expect(rest).toEqual(rest0);
      expect(same(inline, inline0) && same(thumbnail, thumbnail0)).toBe(true);
    }
    const acks: AppRecord[] = [
      { kind: 'file-chunk-ack', fileId: id(4), ranges: [] },
      { kind: 'file-chunk-ack', fileId: id(4), ranges: [[0, 0xffffffff]] },
      {
        kind: 'file-chunk-ack',
        fileId: id(4),
        ranges: Array.from({ length: MAX_ACK_RANGES }, (_, i): ChunkRange => [2 * i, 2 * i + 1]),
      },
    ];
    for (const a of acks) expect(decodeRecord(encodeRecord(a))).toEqual(a);
  });

  it('lays the records out as the header says', () => {
    const head = (type: number, fill: number) => [type, ...id(fill), 0, 0, 0, 1, 0, 0, 0, 5];
    const fixed = [0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, ...bytes32(2), ...bytes32(3)];
    const nameAndMime = [5, ...utf8('a.txt'), 10, ...utf8('text/plain')];
    expect(encodeRecord(base)).toEqual(Uint8Array.of(...head(0x0b, 1), 0, ...fixed, 0, ...nameAndMime));
    const full = offer({
      media: 'video',
      durationMs: 0x01020304,
      width: 640,
      height: 480,
      thumbnail: jpeg(4),
      inline: Uint8Array.of(9, 8, 7),
    });
    expect(encodeRecord(full)).toEqual(
      Uint8Array.of(
        ...head(0x0b, 1),
        0x0f,
        ...fixed,
        2,
        ...nameAndMime,
        1,
        2,
        3,
        4,
        0x02,
        0x80,
        0x01,
        0xe0,
        0,
        4,
        ...jpeg(4),
        9,
        8,
        7,
      ),
    );
    expect(
      encodeRecord({
        kind: 'file-chunk-ack',
        fileId: id(4),
        ranges: [
          [1, 3],
          [0x10000, 0x10002],
        ],
      }),
    ).toEqual(Uint8Array.of(0x0c, ...id(4), 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 0, 0, 1, 0, 2));
    expect(
      encodeRecord({
        kind: 'file-cancel',
        id: id(1),
        sentAt: 2 ** 32 + 5,
        fileId: id(4),
        reason: 'unavailable',
      }),
    ).toEqual(Uint8Array.of(...head(0x0d, 1), ...id(4), 2));
  });
});

/** The encoding of `o` with byte `at` replaced by `value`. */
const patched = (o: AppRecord, at: number, ...values: number[]): Uint8Array => {
  const b = encodeRecord(o);
  b.set(values, at);
  return b;
};
const NAME_AT = 25 + 1 + 8 + 4 + 32 + 32 + 1; // the name's length byte

describe('decodeRecord refuses file records with BAD_RECORD', () => {
  const valid: Record<string, AppRecord> = {
    plain: base,
    full: offer({
      media: 'video',
      durationMs: 9,
      width: 1,
      height: 2,
      thumbnail: jpeg(5),
      inline: Uint8Array.of(1, 2, 3),
    }),
    ack: {
      kind: 'file-chunk-ack',
      fileId: id(4),
      ranges: [
        [0, 2],
        [5, 9],
      ],
    },
    cancel: { kind: 'file-cancel', id: id(1), sentAt: 1, fileId: id(4), reason: 'failed' },
  };

  it.each(Object.entries(valid))('%s: every cut and one trailing byte', (_, record) => {
    const bytes = encodeRecord(record);
    for (let n = 1; n < bytes.length; n++) expectCode(() => decodeRecord(bytes.subarray(0, n)), 'BAD_RECORD');
    expectCode(() => decodeRecord(Uint8Array.of(...bytes, 0)), 'BAD_RECORD');
  });

  it('a send time of 2^53 or more', () => {
    expectCode(() => decodeRecord(patched(base, 17, 0x00, 0x20, 0, 0)), 'BAD_RECORD');
    expectCode(() => decodeRecord(patched(valid.cancel!, 17, 0x00, 0x20, 0, 0)), 'BAD_RECORD');
  });

  it('unknown flags, media or reason', () => {
    for (const flag of [0x10, 0x20, 0x80])
      expectCode(() => decodeRecord(patched(base, 25, flag)), 'BAD_RECORD');
    expectCode(() => decodeRecord(patched(base, NAME_AT - 1, 4)), 'BAD_RECORD');
    expectCode(() => decodeRecord(patched(valid.cancel!, 41, 3)), 'BAD_RECORD');
  });

  it('a size of 0 or over 1 TiB, a chunk size off the grid', () => {
    expectCode(() => decodeRecord(patched(base, 26, 0, 0, 0, 0, 0, 0, 0, 0)), 'BAD_RECORD');
    expectCode(() => decodeRecord(patched(base, 26, 0, 0, 1, 0, 0, 0, 0, 1)), 'BAD_RECORD');
    expectCode(() => decodeRecord(patched(base, 26, 0, 0, 2, 0, 0, 0, 0, 0)), 'BAD_RECORD');
    expect(decodeRecord(patched(base, 26, 0, 0, 1, 0, 0, 0, 0, 0))).toMatchObject({ size: MAX_FILE_BYTES });
    for (const chunk of [MIN_CHUNK_BYTES - 1024, MAX_CHUNK_BYTES + 1024, MIN_CHUNK_BYTES + 1, 0]) {
      expectCode(
        () =>
          decodeRecord(
            patched(base, 34, chunk >>> 24, (chunk >>> 16) & 255, (chunk >>> 8) & 255, chunk & 255),
          ),
        'BAD_RECORD',
      );
    }
  });

  it('a name that is empty, not UTF-8 or holds a forbidden character', () => {
    const withName = (name: number[]): Uint8Array => {
      const b = encodeRecord(base);
      return Uint8Array.of(...b.subarray(0, NAME_AT), name.length, ...name, ...b.subarray(NAME_AT + 6));
    };
    expect(decodeRecord(withName([...utf8('b.txt')]))).toMatchObject({ name: 'b.txt' });
    expectCode(() => decodeRecord(withName([])), 'BAD_RECORD');
    for (const bad of [[0xc0, 0x80], [0xff], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]]) {
      expectCode(() => decodeRecord(withName(bad)), 'BAD_RECORD');
    }
    for (const c of [
      '\0',
      '\n',
      '\x1f',
      '\x7f',
      '\x85',
      '\x9f',
      '/',
      '\\',
      '\u202e',
      '\u2066',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
    ]) {
      expectCode(() => decodeRecord(withName([...utf8(`a${c}b`)])), 'BAD_RECORD');
    }
    expectCode(() => decodeRecord(withName([0x2e])), 'BAD_RECORD');
    expectCode(() => decodeRecord(withName([0x2e, 0x2e])), 'BAD_RECORD');
  });

  it('a media type that is not type/subtype in RFC 6838 characters', () => {
    for (const m of [
      'textplain',
      'text/',
      '/plain',
      '-a/b',
      'a/-b',
      'text/plain; charset=utf-8',
      'a b/c',
      'a/b/c',
    ]) {
      expect(mimeTypeProblem(m), m).toBeDefined();
      const b = encodeRecord(offer({ mime: 'x/' + 'y'.repeat(m.length - 2) }));
      b.set(utf8(m), NAME_AT + 7);
      expectCode(() => decodeRecord(b), 'BAD_RECORD');
    }
    const b = encodeRecord(offer({ mime: 'x/yy' }));
    b[NAME_AT + 10] = 0xe9; // Latin-1 é
    expectCode(() => decodeRecord(b), 'BAD_RECORD');
    b[NAME_AT + 6] = 0;
    expectCode(() => decodeRecord(b.subarray(0, NAME_AT + 7)), 'BAD_RECORD');
  });

  it('optional parts that do not fit the media or the size', () => {
    const raw = (o: FileOfferRecord, flags: number, extra: ArrayLike<number>): Uint8Array => {
      const b = encodeRecord(o);
      b[25] = flags;
      return concatBytes(b, Uint8Array.from(extra));
    };
    expect(decodeRecord(raw(offer({ media: 'voice' }), 1, [0, 0, 0, 9]))).toMatchObject({ durationMs: 9 });
    expectCode(() => decodeRecord(raw(offer({ media: 'file' }), 1, [0, 0, 0, 9])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(offer({ media: 'image' }), 1, [0, 0, 0, 9])), 'BAD_RECORD');
    expect(decodeRecord(raw(offer({ media: 'image' }), 2, [0, 1, 0, 1]))).toMatchObject({
      width: 1,
      height: 1,
    });
    expectCode(() => decodeRecord(raw(offer({ media: 'voice' }), 2, [0, 1, 0, 1])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(offer({ media: 'image' }), 2, [0, 0, 0, 1])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(offer({ media: 'image' }), 2, [0, 1, 0, 0])), 'BAD_RECORD');
    expectCode(() => decodeRecord(raw(base, 4, [0, 3, 0xff, 0xd8, 0x00])), 'BAD_RECORD'); // not a JPEG
    expectCode(() => decodeRecord(raw(base, 4, [0, 0])), 'BAD_RECORD');
    const over = MAX_THUMBNAIL_BYTES + 1;
    expectCode(
      () => decodeRecord(raw(base, 4, concatBytes(Uint8Array.of(over >> 8, over & 255), jpeg(over)))),
      'BAD_RECORD',
    );
    expect(decodeRecord(raw(base, 8, [1, 2, 3]))).toMatchObject({ inline: Uint8Array.of(1, 2, 3) });
    expectCode(() => decodeRecord(raw(base, 8, [1, 2])), 'BAD_RECORD');
    const big = MAX_INLINE_FILE_BYTES + 1;
    expectCode(() => decodeRecord(raw(offer({ size: big }), 8, new Uint8Array(big))), 'BAD_RECORD');
  });

  it('an ack with too many ranges, or ranges empty, reversed, unsorted, overlapping or touching', () => {
    const ack = (ranges: number[][], count = ranges.length): Uint8Array =>
      Uint8Array.of(
        0x0c,
        ...id(4),
        count >> 8,
        count & 255,
        ...ranges.flatMap((r) => r.flatMap((n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])),
      );
    expect(
      decodeRecord(
        ack([
          [0, 1],
          [2, 3],
        ]),
      ),
    ).toEqual({
      kind: 'file-chunk-ack',
      fileId: id(4),
      ranges: [
        [0, 1],
        [2, 3],
      ],
    });
    for (const bad of [
      [[1, 1]],
      [[3, 2]],
      [
        [4, 5],
        [0, 1],
      ],
      [
        [0, 3],
        [2, 5],
      ],
      [
        [0, 2],
        [2, 4],
      ],
      [
        [0, 5],
        [1, 2],
      ],
    ]) {
      expectCode(() => decodeRecord(ack(bad)), 'BAD_RECORD');
    }
    const tooMany = Array.from({ length: MAX_ACK_RANGES + 1 }, (_, i) => [2 * i, 2 * i + 1]);
    expectCode(() => decodeRecord(ack(tooMany)), 'BAD_RECORD');
    expectCode(() => decodeRecord(ack([[0, 1]], 2)), 'BAD_RECORD');
  });

  it('only BAD_RECORD for mutated and cut records, and for random bytes after a file type', () => {
    const mutated = fc
      .tuple(records, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat())
      .map(([r, at, x, cut]) => {
        const b = encodeRecord(r);
        b[at % b.length]! ^= x;
        return b.subarray(0, b.length - (cut % 3));
      });
    expectDecodesExactlyOrRefuses(mutated, decodeRecord, encodeRecord, 'BAD_RECORD');
    const anyBytes = fc
      .tuple(fc.integer({ min: 0x0b, max: 0x0d }), fc.uint8Array({ maxLength: 200 }))
      .map(([t, rest]) => Uint8Array.of(t, ...rest));
    expectDecodesExactlyOrRefuses(anyBytes, decodeRecord, encodeRecord, 'BAD_RECORD');
  });
});

describe('encodeRecord refuses malformed file records with BAD_ARGUMENT', () => {
  it.each([
    ['a short id', offer({ id: new Uint8Array(15) })],
    ['a negative time', offer({ sentAt: -1 })],
    ['a short key', offer({ key: new Uint8Array(31) })],
    ['a long root', offer({ root: new Uint8Array(33) })],
    ['an empty file', offer({ size: 0 })],
    ['a file over 1 TiB', offer({ size: MAX_FILE_BYTES + 1 })],
    ['a fractional size', offer({ size: 1.5 })],
    ['a chunk size below 16 KiB', offer({ chunkSize: MIN_CHUNK_BYTES - 1024 })],
    ['a chunk size over 192 KiB', offer({ chunkSize: MAX_CHUNK_BYTES + 1024 })],
    ['a chunk size off the 1 KiB grid', offer({ chunkSize: MIN_CHUNK_BYTES + 512 })],
    ['an empty name', offer({ name: '' })],
    ['a name of 256 bytes', offer({ name: 'é'.repeat(128) })],
    ['a name with a slash', offer({ name: 'a/b' })],
    ['a name with a right-to-left override', offer({ name: 'a\u202eb' })],
    ['a name with a lone surrogate', offer({ name: 'a\ud800' })],
    ['a mime of 128 characters', offer({ mime: 'a/' + 'b'.repeat(MAX_MIME_BYTES - 1) })],
    ['a mime with a parameter', offer({ mime: 'text/plain;charset=utf-8' })],
    ['a non-ASCII mime', offer({ mime: 'text/plaén' })],
    ['an unknown media', offer({ media: 'audio' as FileOfferRecord['media'] })],
    ['a duration on a plain file', offer({ durationMs: 5 })],
    ['a negative duration', offer({ media: 'voice', durationMs: -1 })],
    ['a duration over u32', offer({ media: 'voice', durationMs: 2 ** 32 })],
    ['a width without a height', offer({ media: 'image', width: 5 })],
    ['a width of 0', offer({ media: 'image', width: 0, height: 5 })],
    ['a height over 65535', offer({ media: 'image', width: 5, height: 65536 })],
    ['dimensions on a voice note', offer({ media: 'voice', width: 5, height: 5 })],
    ['a thumbnail over 24 KiB', offer({ thumbnail: jpeg(MAX_THUMBNAIL_BYTES + 1) })],
    ['a thumbnail that is not a JPEG', offer({ thumbnail: Uint8Array.of(0x89, 0x50, 0x4e, 0x47) })],
    ['an inline file of the wrong length', offer({ size: 3, inline: Uint8Array.of(1, 2) })],
    [
      'an inline file over 192 KiB',
      offer({ size: MAX_INLINE_FILE_BYTES + 1, inline: new Uint8Array(MAX_INLINE_FILE_BYTES + 1) }),
    ],
    ['an ack with a short file id', { kind: 'file-chunk-ack', fileId: new Uint8Array(3), ranges: [] }],
    ['an ack with an empty range', { kind: 'file-chunk-ack', fileId: id(1), ranges: [[2, 2]] }],
    [
      'an ack with touching ranges',
      {
        kind: 'file-chunk-ack',
        fileId: id(1),
        ranges: [
          [0, 2],
          [2, 3],
        ],
      },
    ],
    [
      'an ack with unsorted ranges',
      {
        kind: 'file-chunk-ack',
        fileId: id(1),
        ranges: [
          [5, 6],
          [0, 2],
        ],
      },
    ],
    ['an ack with a range past 2^32', { kind: 'file-chunk-ack', fileId: id(1), ranges: [[0, 2 ** 32]] }],
    [
      'an ack with 513 ranges',
      {
        kind: 'file-chunk-ack',
        fileId: id(1),
        ranges: Array.from({ length: MAX_ACK_RANGES + 1 }, (_, i): ChunkRange => [2 * i, 2 * i + 1]),
      },
    ],
    [
      'a cancel with an unknown reason',
      { kind: 'file-cancel', id: id(1), sentAt: 0, fileId: id(2), reason: 'bored' as 'failed' },
    ],
    [
      'a cancel with a short file id',
      { kind: 'file-cancel', id: id(1), sentAt: 0, fileId: id(2).subarray(1), reason: 'failed' },
    ],
  ] satisfies [string, AppRecord][])('%s', (_, record) => {
    expectCode(() => encodeRecord(record), 'BAD_ARGUMENT');
  });
});

describe('chunkCount', () => {
  it('rounds up, and refuses sizes it cannot count', () => {
    expect(chunkCount(1, MIN_CHUNK_BYTES)).toBe(1);
    expect(chunkCount(MIN_CHUNK_BYTES, MIN_CHUNK_BYTES)).toBe(1);
    expect(chunkCount(MIN_CHUNK_BYTES + 1, MIN_CHUNK_BYTES)).toBe(2);
    expect(chunkCount(MAX_FILE_BYTES, MIN_CHUNK_BYTES)).toBe(2 ** 26);
    expect(chunkCount(0, MIN_CHUNK_BYTES)).toBe(0);
    expectCode(() => chunkCount(MAX_FILE_BYTES + 1, MIN_CHUNK_BYTES), 'BAD_ARGUMENT');
    expectCode(() => chunkCount(5, 0), 'BAD_ARGUMENT');
  });
});

describe('safeFileName', () => {
  it.each([
    ['photo.jpg', 'photo.jpg'],
    ['a/b\\c.txt', 'a_b_c.txt'],
    ['\u202egpj.exe', '_gpj.exe'],
    ['tab\there\u0000.png', 'tab_here_.png'],
    ['', 'file'],
    ['.', 'file'],
    ['..', 'file'],
    ['a\ud800b', 'a_b'],
    ['résumé 📄.pdf', 'résumé 📄.pdf'],
  ])('%j → %j', (input, output) => {
    expect(safeFileName(input)).toBe(output);
  });

  it('cuts a long name on a code point boundary and keeps its extension', () => {
    const long = safeFileName('😀'.repeat(100) + '.jpeg');
    expect(utf8(long).length).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(long).toBe('😀'.repeat(62) + '.jpeg');
    const noExt = safeFileName('é'.repeat(200));
    expect(noExt).toBe('é'.repeat(127));
  });

  it('always gives a name the decoder takes, and leaves a good one alone', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({
            unit: fc.constantFrom('/', '\\', '\u202e', '.', 'a', '\n', 'é', '😀'),
            maxLength: 300,
          }),
        ),
        (s) => {
          const safe = safeFileName(s);
          expect(fileNameProblem(safe)).toBeUndefined();
          if (fileNameProblem(s) === undefined) expect(safe).toBe(s);
        },
      ),
    );
  });
});
