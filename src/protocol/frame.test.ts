/**
 * The frame codec (DESIGN.md, Frames): the byte layout, every rejection in the order DESIGN.md
 * lists them, and two properties: encode → decode round-trips, and arbitrary bytes only ever
 * decode or throw a ProtocolError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors';
import { expectCode } from './codec.test-util';
import {
  FRAME_HEADER_LENGTH,
  FRAME_MAC_LENGTH,
  type Frame,
  FrameType,
  MAX_FRAME_PAYLOAD,
  decodeFrame,
  encodeFrame,
} from './frame';

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));

/** A header built by hand, field by field, as DESIGN.md's table lays it out. */
function header(fields: {
  id?: [number, number];
  version?: number;
  type?: number;
  flags?: number;
  seqHi?: number;
  seqLo?: number;
  tsHi?: number;
  tsLo?: number;
  length: number;
}): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  const [id0, id1] = fields.id ?? [0x53, 0x4d];
  out[0] = id0;
  out[1] = id1;
  out[2] = fields.version ?? 0x01;
  out[3] = fields.type ?? FrameType.HANDSHAKE_REQUEST;
  out[4] = fields.flags ?? 0;
  view.setUint32(5, fields.seqHi ?? 0);
  view.setUint32(9, fields.seqLo ?? 0);
  view.setUint32(13, fields.tsHi ?? 0);
  view.setUint32(17, fields.tsLo ?? 0);
  view.setUint32(21, fields.length);
  return out;
}

const join = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** A well-formed handshake frame (no MAC) with a 3-byte payload, to damage one field at a time. */
const handshakeFrame = (fields: Partial<Parameters<typeof header>[0]> = {}): Uint8Array =>
  join(header({ length: 3, ...fields }), Uint8Array.of(1, 2, 3));

const allTypes = Object.values(FrameType);
const macTypes: readonly FrameType[] = [FrameType.REGULAR_MESSAGE, FrameType.CLOSE, FrameType.FILE_CHUNK];
const handshakeTypes = [
  FrameType.HANDSHAKE_REQUEST,
  FrameType.HANDSHAKE_RESPONSE,
  FrameType.HANDSHAKE_FINISH,
];

describe('frame layout', () => {
  it('has a 25-byte header and a 256 KiB default limit', () => {
    expect(FRAME_HEADER_LENGTH).toBe(25);
    expect(FRAME_MAC_LENGTH).toBe(32);
    expect(MAX_FRAME_PAYLOAD).toBe(256 * 1024);
    expect(allTypes).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('decodes a hand-built REGULAR_MESSAGE frame', () => {
    const bytes = hexBytes(
      '534d' + // "SM"
        '01' + // version
        '01' + // REGULAR_MESSAGE
        '00' + // flags
        '0000000000000007' + // seq 7
        '0000018c2f1b3a40' + // timestamp 1_701_597_362_752
        '00000004' + // length 4
        'deadbeef' + // payload
        'aa'.repeat(32), // mac
    );
    const frame = decodeFrame(bytes);
    expect(frame.header).toEqual({
      type: FrameType.REGULAR_MESSAGE,
      flags: 0,
      seq: 7,
      timestamp: 0x18c2f1b3a40,
      length: 4,
    });
    expect(frame.payload).toEqual(hexBytes('deadbeef'));
    expect(frame.mac).toEqual(new Uint8Array(32).fill(0xaa));
    expect(frame.authenticated).toEqual(bytes.subarray(0, 29));
    expect(frame.headerBytes).toEqual(bytes.subarray(0, 25));
  });

  it('encodes the same bytes', () => {
    const frame: Frame = {
      header: { type: FrameType.REGULAR_MESSAGE, flags: 0, seq: 7, timestamp: 0x18c2f1b3a40, length: 4 },
      payload: hexBytes('deadbeef'),
      mac: new Uint8Array(32).fill(0xaa),
    };
    const expected =
      '534d010100' + '0000000000000007' + '0000018c2f1b3a40' + '00000004' + 'deadbeef' + 'aa'.repeat(32);
    expect(encodeFrame(frame)).toEqual(hexBytes(expected));
  });

  it.each(handshakeTypes)('gives a handshake frame (type %i) no MAC', (type) => {
    const frame = decodeFrame(join(header({ type, length: 2 }), Uint8Array.of(9, 9)));
    expect(frame.mac).toBeUndefined();
    expect('mac' in frame).toBe(false);
    expect(frame.payload).toEqual(Uint8Array.of(9, 9));
  });

  it.each(macTypes)('gives a MAC’d frame (type %i) a 32-byte MAC after the payload', (type) => {
    const mac = Uint8Array.from({ length: 32 }, (_, i) => i);
    const frame = decodeFrame(join(header({ type, length: 1 }), Uint8Array.of(0x42), mac));
    expect(frame.mac).toEqual(mac);
    expect(frame.payload).toEqual(Uint8Array.of(0x42));
    expect(frame.authenticated).toHaveLength(26);
  });

  it('decodes an empty payload', () => {
    const frame = decodeFrame(header({ length: 0 }));
    expect(frame.payload).toHaveLength(0);
  });

  it('returns views into the input, allocating nothing for the payload', () => {
    const bytes = join(
      header({ type: FrameType.CLOSE, length: 3 }),
      Uint8Array.of(1, 2, 3),
      new Uint8Array(32),
    );
    const frame = decodeFrame(bytes);
    for (const part of [frame.payload, frame.mac!, frame.authenticated, frame.headerBytes]) {
      expect(part.buffer).toBe(bytes.buffer);
    }
  });

  it('reads a frame that sits inside a larger buffer', () => {
    const inner = handshakeFrame({ seqLo: 5 });
    const outer = join(Uint8Array.of(0xff, 0xff, 0xff), inner, Uint8Array.of(0xee));
    const frame = decodeFrame(outer.subarray(3, 3 + inner.length));
    expect(frame.header.seq).toBe(5);
    expect(frame.payload).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('reads seq and timestamp up to 2^53 − 1', () => {
    const frame = decodeFrame(
      handshakeFrame({ seqHi: 0x1fffff, seqLo: 0xffffffff, tsHi: 0x1fffff, tsLo: 0xffffffff }),
    );
    expect(frame.header.seq).toBe(Number.MAX_SAFE_INTEGER);
    expect(frame.header.timestamp).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('decodeFrame rejects', () => {
  it('nothing at all as TRUNCATED', () => {
    expectCode(() => decodeFrame(new Uint8Array(0)), 'TRUNCATED');
  });

  it('a frame one byte shorter than the header as TRUNCATED', () => {
    expectCode(() => decodeFrame(header({ length: 0 }).subarray(0, 24)), 'TRUNCATED');
  });

  it('a wrong protocol id as BAD_PROTOCOL_ID', () => {
    expectCode(() => decodeFrame(handshakeFrame({ id: [0x53, 0x4e] })), 'BAD_PROTOCOL_ID');
    expectCode(() => decodeFrame(handshakeFrame({ id: [0x4d, 0x53] })), 'BAD_PROTOCOL_ID');
  });

  it('version 0x00 as BAD_VERSION', () => {
    expectCode(() => decodeFrame(handshakeFrame({ version: 0x00 })), 'BAD_VERSION');
  });

  it('version 0x02 as BAD_VERSION', () => {
    expectCode(() => decodeFrame(handshakeFrame({ version: 0x02 })), 'BAD_VERSION');
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7])('flag bit %i as BAD_FLAGS', (bit) => {
    expectCode(() => decodeFrame(handshakeFrame({ flags: 1 << bit })), 'BAD_FLAGS');
  });

  it.each([0, 7, 255])('type %i as UNKNOWN_TYPE', (type) => {
    expectCode(() => decodeFrame(handshakeFrame({ type })), 'UNKNOWN_TYPE');
  });

  it('a declared length of 0xFFFFFFFF as TOO_LARGE, from the 25 header bytes alone', () => {
    expectCode(() => decodeFrame(header({ length: 0xffffffff })), 'TOO_LARGE');
    expectCode(
      () => decodeFrame(header({ type: FrameType.REGULAR_MESSAGE, length: 0xffffffff })),
      'TOO_LARGE',
    );
  });

  it('a declared length of 0xFFFFFFFF under a 4 GiB limit as TRUNCATED, without allocating it', () => {
    // Were the declared length allocated or copied, this would throw a RangeError or take seconds.
    const bytes = header({ type: FrameType.REGULAR_MESSAGE, length: 0xffffffff });
    const start = performance.now();
    for (let i = 0; i < 1000; i++) expectCode(() => decodeFrame(bytes, 0xffffffff), 'TRUNCATED');
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('a payload one byte over the limit as TOO_LARGE, and accepts one at the limit', () => {
    const atLimit = join(header({ length: 16 }), new Uint8Array(16));
    expect(decodeFrame(atLimit, 16).payload).toHaveLength(16);
    expectCode(() => decodeFrame(join(header({ length: 17 }), new Uint8Array(17)), 16), 'TOO_LARGE');
    expectCode(() => decodeFrame(header({ length: MAX_FRAME_PAYLOAD + 1 })), 'TOO_LARGE');
  });

  it('a declared length larger than what arrived as TRUNCATED', () => {
    expectCode(() => decodeFrame(join(header({ length: 4 }), Uint8Array.of(1, 2, 3))), 'TRUNCATED');
  });

  it('a MAC’d frame without its MAC as TRUNCATED', () => {
    const bytes = join(header({ type: FrameType.REGULAR_MESSAGE, length: 3 }), Uint8Array.of(1, 2, 3));
    expectCode(() => decodeFrame(bytes), 'TRUNCATED');
    expectCode(() => decodeFrame(join(bytes, new Uint8Array(31))), 'TRUNCATED');
  });

  it('a declared length smaller than what arrived as BAD_LENGTH', () => {
    expectCode(() => decodeFrame(join(header({ length: 2 }), Uint8Array.of(1, 2, 3))), 'BAD_LENGTH');
  });

  it('a handshake frame carrying a MAC as BAD_LENGTH', () => {
    expectCode(() => decodeFrame(join(handshakeFrame(), new Uint8Array(32))), 'BAD_LENGTH');
  });

  it('a MAC’d frame with a byte after its MAC as BAD_LENGTH', () => {
    const bytes = join(header({ type: FrameType.CLOSE, length: 0 }), new Uint8Array(33));
    expectCode(() => decodeFrame(bytes), 'BAD_LENGTH');
  });

  it('a sequence number of 2^53 or more as BAD_LENGTH', () => {
    expectCode(() => decodeFrame(handshakeFrame({ seqHi: 0x200000 })), 'BAD_LENGTH');
    expectCode(() => decodeFrame(handshakeFrame({ seqHi: 0xffffffff, seqLo: 0xffffffff })), 'BAD_LENGTH');
  });

  it('a timestamp of 2^53 or more as BAD_LENGTH', () => {
    expectCode(() => decodeFrame(handshakeFrame({ tsHi: 0x200000 })), 'BAD_LENGTH');
    expectCode(() => decodeFrame(handshakeFrame({ tsHi: 0x80000000 })), 'BAD_LENGTH');
  });

  it('checks the fields in DESIGN.md’s order', () => {
    // Every field wrong at once: the first check in the list wins.
    const all = { id: [0, 0] as [number, number], version: 9, flags: 1, type: 9, length: 0xffffffff };
    expectCode(() => decodeFrame(header(all)), 'BAD_PROTOCOL_ID');
    expectCode(() => decodeFrame(header({ ...all, id: [0x53, 0x4d] })), 'BAD_VERSION');
    expectCode(() => decodeFrame(header({ ...all, id: [0x53, 0x4d], version: 1 })), 'BAD_FLAGS');
    expectCode(() => decodeFrame(header({ ...all, id: [0x53, 0x4d], version: 1, flags: 0 })), 'UNKNOWN_TYPE');
    expectCode(
      () => decodeFrame(header({ ...all, id: [0x53, 0x4d], version: 1, flags: 0, type: 1 })),
      'TOO_LARGE',
    );
  });
});

describe('encodeFrame argument checks', () => {
  const base = { type: FrameType.HANDSHAKE_REQUEST, flags: 0, seq: 0, timestamp: 0, length: 0 };
  const payload = new Uint8Array(0);

  it.each([
    ['a MAC’d frame without a MAC', { header: { ...base, type: FrameType.REGULAR_MESSAGE }, payload }],
    ['a handshake frame with a MAC', { header: base, payload, mac: new Uint8Array(32) }],
    ['a 31-byte MAC', { header: { ...base, type: FrameType.CLOSE }, payload, mac: new Uint8Array(31) }],
    ['a length that is not the payload’s', { header: { ...base, length: 1 }, payload }],
    ['a negative seq', { header: { ...base, seq: -1 }, payload }],
    ['a seq of 2^53', { header: { ...base, seq: 2 ** 53 }, payload }],
    ['a fractional timestamp', { header: { ...base, timestamp: 1.5 }, payload }],
  ] satisfies [string, Frame][])('refuses %s with BAD_ARGUMENT', (_, frame) => {
    expectCode(() => encodeFrame(frame), 'BAD_ARGUMENT');
  });

  it.each([0, 6])('refuses type %i with BAD_ARGUMENT', (type) => {
    const frame = { header: { ...base, type }, payload } as unknown as Frame;
    expectCode(() => encodeFrame(frame), 'BAD_ARGUMENT');
  });
});

describe('frame properties', () => {
  const safeInt = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const frames = fc
    .record({
      type: fc.constantFrom(...allTypes),
      seq: fc.oneof(safeInt, fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)),
      timestamp: safeInt,
      payload: fc.uint8Array({ maxLength: 4096 }),
      mac: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    })
    .map(({ type, seq, timestamp, payload, mac }): Frame => {
      const header = { type, flags: 0, seq, timestamp, length: payload.length };
      return macTypes.includes(type) ? { header, payload, mac } : { header, payload };
    });

  it('round-trips every valid frame', () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const bytes = encodeFrame(frame);
        const hasMac = frame.mac !== undefined;
        expect(bytes).toHaveLength(
          FRAME_HEADER_LENGTH + frame.payload.length + (hasMac ? FRAME_MAC_LENGTH : 0),
        );
        const decoded = decodeFrame(bytes);
        expect(decoded.header).toEqual(frame.header);
        expect(decoded.payload).toEqual(frame.payload);
        expect(decoded.mac).toEqual(frame.mac);
        expect(decoded.headerBytes).toEqual(bytes.subarray(0, FRAME_HEADER_LENGTH));
        expect(decoded.authenticated).toEqual(bytes.subarray(0, FRAME_HEADER_LENGTH + frame.payload.length));
        expect(encodeFrame(decoded)).toEqual(bytes);
      }),
    );
  });

  /** Decodes, or throws a ProtocolError; anything else fails the property. */
  const decodesOrProtocolError = (bytes: Uint8Array): void => {
    try {
      const frame = decodeFrame(bytes);
      expect(FRAME_HEADER_LENGTH + frame.header.length + (frame.mac ? FRAME_MAC_LENGTH : 0)).toBe(
        bytes.length,
      );
    } catch (e) {
      expect(ProtocolError.is(e), String(e)).toBe(true);
    }
  };

  it('only decodes or throws a ProtocolError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesOrProtocolError), { numRuns: 500 });
  });

  it('only decodes or throws a ProtocolError on random bytes behind a valid prefix', () => {
    // Random bytes rarely get past the protocol id; these start as a frame and then go wrong.
    const nearFrames = fc
      .tuple(
        fc.constantFrom(0, 1, 2, 3, 4, 5, 6),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 80 }),
        fc.uint8Array({ maxLength: 120 }),
      )
      .map(([type, seqAndTime, length, rest]) => {
        const h = header({ type, length });
        h.set(seqAndTime, 5);
        return join(h, rest);
      });
    fc.assert(fc.property(nearFrames, decodesOrProtocolError), { numRuns: 1000 });
  });

  it('only decodes or throws a ProtocolError when one byte of a valid frame changes', () => {
    const mutated = fc.tuple(frames, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([frame, at, mask]) => {
      const bytes = encodeFrame(frame);
      bytes[at % bytes.length]! ^= mask;
      return bytes;
    });
    fc.assert(fc.property(mutated, decodesOrProtocolError));
  });
});
