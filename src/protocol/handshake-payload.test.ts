/**
 * The handshake payload (DESIGN.md, Handshake: messages 2 and 3): round trips, every decode-side
 * field check, the encode-side argument checks, and random bytes → only BAD_HANDSHAKE_PAYLOAD.
 * The post-quantum part (ML-DSA key, ratchet announcement, rotations, signature) follows the
 * introduction; `tail()` builds it by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors';
import { expectCode, expectDecodesExactlyOrRefuses, thrown } from './codec.test-util';
import type { KeyRotation } from './key-rotation';
import {
  type HandshakePayload,
  MAX_CAPABILITIES,
  MAX_DISPLAY_NAME_CHARS,
  decodeHandshakePayload,
  encodeHandshakePayload,
} from './handshake-payload';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const SIGNING_KEY = Uint8Array.from({ length: 2592 }, (_, i) => i % 251);
const RATCHET_DH = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const RATCHET_KEM = Uint8Array.from({ length: 1568 }, (_, i) => (i * 7) % 256);
const SIGNATURE = Uint8Array.from({ length: 4627 }, (_, i) => (i * 13) % 256);
const NO_RATCHET = new Uint8Array(16);

/** The post-quantum part by hand: signing key ‖ ratchet id ‖ ratchet keys ‖ rotation count ‖ signature. */
function tail(rotationCount = 0): number[] {
  return [...SIGNING_KEY, ...NO_RATCHET, ...RATCHET_DH, ...RATCHET_KEM, rotationCount, ...SIGNATURE];
}

/** A payload built by hand: major ‖ minor ‖ clock (hi, lo) ‖ name ‖ count ‖ capabilities ‖ tail. */
function payloadBytes(fields: {
  clockHi?: number;
  clockLo?: number;
  name?: Uint8Array;
  count?: number;
  caps?: readonly Uint8Array[];
}): Uint8Array {
  const name = fields.name ?? utf8('Ada');
  const caps = fields.caps ?? [];
  const out: number[] = [0, 1];
  const clock = new Uint8Array(8);
  const view = new DataView(clock.buffer);
  view.setUint32(0, fields.clockHi ?? 0);
  view.setUint32(4, fields.clockLo ?? 1000);
  out.push(...clock, name.length, ...name, fields.count ?? caps.length);
  for (const c of caps) out.push(c.length, ...c);
  return Uint8Array.from([...out, ...tail()]);
}

const pq = {
  signingKey: SIGNING_KEY,
  ratchet: { id: NO_RATCHET, dhPublicKey: RATCHET_DH, kemPublicKey: RATCHET_KEM },
  rotations: [] as KeyRotation[],
  signature: SIGNATURE,
};

const sample: HandshakePayload = {
  version: { major: 0, minor: 1 },
  displayName: 'Ada',
  clock: 1000,
  capabilities: ['files', 'receipts.v1'],
  ...pq,
};

const displayName = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: MAX_DISPLAY_NAME_CHARS }),
    fc.string({ unit: 'grapheme-ascii', maxLength: MAX_DISPLAY_NAME_CHARS }),
    fc.constantFrom('', 'Zoë', '李小龍', 'أحمد', '👩‍💻 dev'),
  )
  .filter((n) => [...n].length <= MAX_DISPLAY_NAME_CHARS)
  // 64 astral characters are 256 UTF-8 bytes, which the one-byte length cannot carry: see the
  // `it.fails` test below. Kept out here so the property tests the rest.
  .filter((n) => utf8(n).length <= 255);
const capability = fc.stringMatching(/^[a-z0-9.-]{1,32}$/);
const payloads = fc.record({
  version: fc.record({ major: fc.integer({ min: 0, max: 255 }), minor: fc.integer({ min: 0, max: 255 }) }),
  displayName,
  clock: fc.oneof(
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER),
  ),
  capabilities: fc.uniqueArray(capability, { maxLength: MAX_CAPABILITIES }),
  signingKey: fc.uint8Array({ minLength: 2592, maxLength: 2592 }),
  ratchet: fc.record({
    id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    // Canonical X25519 keys only: bit 255 clear (and the few values ≥ p avoided by the top byte).
    dhPublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => {
      k[31]! &= 0x3f;
      return k;
    }),
    kemPublicKey: fc.uint8Array({ minLength: 1568, maxLength: 1568 }),
  }),
  rotations: fc.constant<KeyRotation[]>([]),
  signature: fc.uint8Array({ minLength: 4627, maxLength: 4627 }),
});

describe('handshake payload round trips', () => {
  it('round-trips any valid payload, Unicode names included', () => {
    fc.assert(
      fc.property(payloads, (p) => {
        expect(decodeHandshakePayload(encodeHandshakePayload(p))).toEqual(p);
      }),
    );
  });

  it('lays the payload out as documented', () => {
    const caps = ['files', 'receipts.v1'].map(ascii);
    expect(encodeHandshakePayload(sample)).toEqual(payloadBytes({ caps }));
  });

  it('round-trips the edges: 64 characters, 16 capabilities of 32 characters, the largest clock', () => {
    const p: HandshakePayload = {
      ...sample,
      version: { major: 255, minor: 255 },
      displayName: 'é'.repeat(MAX_DISPLAY_NAME_CHARS),
      clock: Number.MAX_SAFE_INTEGER,
      capabilities: Array.from({ length: MAX_CAPABILITIES }, (_, i) => `${i}`.padEnd(32, 'x')),
    };
    expect(decodeHandshakePayload(encodeHandshakePayload(p))).toEqual(p);
  });

  it('round-trips a name of 63 astral characters and one ASCII (253 bytes)', () => {
    const p = { ...sample, displayName: '😀'.repeat(63) + 'a' };
    expect(decodeHandshakePayload(encodeHandshakePayload(p))).toEqual(p);
  });

  // BUG (src/protocol/handshake-payload.ts, encodeHandshakePayload, `out[26] = name.length`): the
  // name may be 64 characters, and 64 astral characters (emoji) are 256 UTF-8 bytes; the one-byte
  // length wraps to 0, so the encoder emits a payload the decoder then rejects (here: "too many
  // capabilities", reading the name's first byte 0xF0 as the count). The handshake of anyone with
  // such a name fails. Encode should either refuse the name or the format must carry the length.
  it('never encodes a payload that does not decode: a name of 64 emoji is refused', () => {
    const p = { ...sample, displayName: '😀'.repeat(MAX_DISPLAY_NAME_CHARS) };
    let bytes: Uint8Array | undefined;
    try {
      bytes = encodeHandshakePayload(p);
    } catch (e) {
      expect(ProtocolError.is(e, 'BAD_ARGUMENT')).toBe(true); // refusing it would be a fix too
      return;
    }
    expect(decodeHandshakePayload(bytes)).toEqual(p);
  });
});

describe('decodeHandshakePayload rejects with BAD_HANDSHAKE_PAYLOAD', () => {
  const bad = (bytes: Uint8Array) => () => decodeHandshakePayload(bytes);

  it('accepts the hand-built baseline', () => {
    expect(decodeHandshakePayload(payloadBytes({}))).toEqual({ ...sample, capabilities: [] });
  });

  it('every truncation of a valid payload', () => {
    const full = encodeHandshakePayload(sample);
    for (let n = 0; n < full.length; n++) expectCode(bad(full.subarray(0, n)), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('a classical payload (the introduction alone) is refused with a sentence that says so', () => {
    const intro = payloadBytes({}).subarray(0, payloadBytes({}).length - tail().length);
    const e = thrown(bad(intro));
    expect(ProtocolError.is(e, 'BAD_HANDSHAKE_PAYLOAD')).toBe(true);
    expect((e as Error).message).toMatch(/post-quantum/);
  });

  it('a non-canonical ratchet key, and more than 3 rotations', () => {
    const bytes = payloadBytes({});
    const dhAt = bytes.length - tail().length + 2592 + 16;
    const nonCanonical = bytes.slice();
    nonCanonical[dhAt + 31] = 0x80;
    expectCode(bad(nonCanonical), 'BAD_HANDSHAKE_PAYLOAD');
    const tooMany = bytes.slice();
    tooMany[dhAt + 32 + 1568] = 4;
    expectCode(bad(tooMany), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('trailing bytes', () => {
    expectCode(bad(Uint8Array.of(...encodeHandshakePayload(sample), 0)), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('a clock of 2^53 or more', () => {
    expectCode(bad(payloadBytes({ clockHi: 0x200000 })), 'BAD_HANDSHAKE_PAYLOAD');
    expectCode(bad(payloadBytes({ clockHi: 0xffffffff })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('a name over 64 characters', () => {
    expect(decodeHandshakePayload(payloadBytes({ name: utf8('a'.repeat(64)) })).displayName).toHaveLength(64);
    expectCode(bad(payloadBytes({ name: utf8('a'.repeat(65)) })), 'BAD_HANDSHAKE_PAYLOAD');
    expectCode(bad(payloadBytes({ name: utf8('é'.repeat(65)) })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it.each([
    ['NUL', '\u0000'],
    ['a tab', '\t'],
    ['a newline', '\n'],
    ['U+001F', '\u001f'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['C1 U+009F', '\u009f'],
    ['LRE U+202A', '\u202a'],
    ['RLO U+202E', '\u202e'],
    ['LRI U+2066', '\u2066'],
    ['PDI U+2069', '\u2069'],
  ])('a name with %s still connects: the wire only bounds names, the app shows them safely', (_, ch) => {
    expect(decodeHandshakePayload(payloadBytes({ name: utf8(`Ada${ch}cat`) })).displayName).toBe(
      `Ada${ch}cat`,
    );
  });

  it.each([
    ['0xff', [0xff]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xb0, 0x80]],
    ['a cut 4-byte sequence', [0xf0, 0x9f, 0x98]],
  ])('a name that is not UTF-8: %s', (_, raw) => {
    expectCode(bad(payloadBytes({ name: Uint8Array.from([0x41, ...raw]) })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('more than 16 capabilities', () => {
    const caps = Array.from({ length: MAX_CAPABILITIES + 1 }, (_, i) => ascii(`c${i}`));
    expect(decodeHandshakePayload(payloadBytes({ caps: caps.slice(1) })).capabilities).toHaveLength(16);
    expectCode(bad(payloadBytes({ caps })), 'BAD_HANDSHAKE_PAYLOAD');
    expectCode(bad(payloadBytes({ count: 255 })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('a duplicate capability', () => {
    expectCode(
      bad(payloadBytes({ caps: [ascii('files'), ascii('x'), ascii('files')] })),
      'BAD_HANDSHAKE_PAYLOAD',
    );
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['upper case', ascii('Files')],
    ['a space', ascii('a b')],
    ['an underscore', ascii('a_b')],
    ['33 characters', ascii('a'.repeat(33))],
    ['non-ASCII bytes', utf8('fïles')],
    ['a NUL', Uint8Array.of(0x61, 0x00)],
  ])('an invalid capability: %s', (_, cap) => {
    expectCode(bad(payloadBytes({ caps: [ascii('ok'), cap] })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('a capability count larger than the capabilities that follow', () => {
    expectCode(bad(payloadBytes({ count: 2, caps: [ascii('files')] })), 'BAD_HANDSHAKE_PAYLOAD');
  });

  it('only throws BAD_HANDSHAKE_PAYLOAD on random bytes', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      // A valid fixed part followed by random name and capability bytes, then the PQ part.
      fc
        .uint8Array({ maxLength: 80 })
        .map((rest) => Uint8Array.of(...payloadBytes({}).subarray(0, 10), ...rest, ...tail())),
    );
    expectDecodesExactlyOrRefuses(
      anyBytes,
      decodeHandshakePayload,
      encodeHandshakePayload,
      'BAD_HANDSHAKE_PAYLOAD',
    );
  });
});

describe('encodeHandshakePayload argument checks', () => {
  it.each([
    ['a major version of 256', { ...sample, version: { major: 256, minor: 0 } }],
    ['a negative minor version', { ...sample, version: { major: 0, minor: -1 } }],
    ['a fractional minor version', { ...sample, version: { major: 0, minor: 1.5 } }],
    ['a negative clock', { ...sample, clock: -1 }],
    ['a clock of 2^53', { ...sample, clock: 2 ** 53 }],
    ['a fractional clock', { ...sample, clock: 0.5 }],
    ['a name of 65 characters', { ...sample, displayName: 'a'.repeat(65) }],
    ['a name of 65 emoji', { ...sample, displayName: '😀'.repeat(65) }],
    ['17 capabilities', { ...sample, capabilities: Array.from({ length: 17 }, (_, i) => `c${i}`) }],
    ['a duplicate capability', { ...sample, capabilities: ['files', 'files'] }],
    ['an empty capability', { ...sample, capabilities: [''] }],
    ['an upper-case capability', { ...sample, capabilities: ['Files'] }],
    ['a 33-character capability', { ...sample, capabilities: ['a'.repeat(33)] }],
    ['a short signing key', { ...sample, signingKey: new Uint8Array(2591) }],
    ['a short signature', { ...sample, signature: new Uint8Array(4626) }],
    ['a short ratchet id', { ...sample, ratchet: { ...sample.ratchet, id: new Uint8Array(15) } }],
    [
      'a short ratchet KEM key',
      { ...sample, ratchet: { ...sample.ratchet, kemPublicKey: new Uint8Array(1567) } },
    ],
  ] satisfies [string, HandshakePayload][])('refuses %s with BAD_ARGUMENT', (_, p) => {
    expectCode(() => encodeHandshakePayload(p), 'BAD_ARGUMENT');
  });
});
