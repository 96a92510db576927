/**
 * CPACE-RISTR255-SHA512 against the vectors of draft-irtf-cfrg-cpace-21
 * (test-vectors/cpace-ristretto255-sha512.json, see SOURCES.md): the string utilities, the
 * generator, both shares, K, ISK_IR, ISK_SY, the session id outputs, the valid scalar_mult case and
 * the two inputs scalar_mult_vfy must refuse. Then properties over random runs: both sides agree on
 * K and ISK, a different PRS (or sid, or CI) gives a different ISK, and malformed inputs are refused.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VectorFormatError, array, field, object, string } from '../../test-vectors/load';
import vectorJson from '../../test-vectors/cpace-ristretto255-sha512.json';
import { concatBytes, utf8 } from './bytes';
import { thrown } from './crypto-error.test-util';
import {
  CPACE_RISTRETTO255_DSI,
  CPACE_SHA512_S_IN_BYTES,
  cpaceCalculateGenerator,
  cpaceGeneratorString,
  cpaceIskIr,
  cpaceIskSy,
  cpaceLexiographicallyLarger,
  cpaceLvCat,
  cpaceOCat,
  cpacePrependLen,
  cpaceScalarMult,
  cpaceScalarMultVfy,
  cpaceSidOutputIr,
  cpaceSidOutputOc,
  cpaceTranscriptIr,
  cpaceTranscriptOc,
} from './cpace';
import { CryptoError } from './errors';

// --- the vectors, read with the typed checks of test-vectors/load.ts ------------------------------

function hexOf(value: unknown, at: string): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) {
    throw new VectorFormatError(`${at} must be an even number of hex digits.`);
  }
  return Uint8Array.from({ length: value.length / 2 }, (_, i) =>
    Number.parseInt(value.slice(2 * i, 2 * i + 2), 16),
  );
}
const hex = (o: object, key: string, at: string): Uint8Array => hexOf(field(o, key, at), `${at}.${key}`);
const section = (key: string): object => object(field(vectors, key, 'vectors'), `vectors.${key}`);

const vectors = object(vectorJson, 'vectors');
string(vectors, 'name', 'vectors');

const prependLen = section('prependLen');
const lvCat = section('lvCat');
const oCat = section('oCat');
const transcriptIr = section('transcriptIr');
const transcriptOc = section('transcriptOc');
const gen = section('calculateGenerator');
const run = section('protocol');
const mult = section('scalarMult');
const multValid = object(field(mult, 'Valid', 'vectors.scalarMult'), 'vectors.scalarMult.Valid');
const larger = array(vectors, 'lexiographicallyLarger', 'vectors').map((v, i) => {
  const at = `vectors.lexiographicallyLarger[${i}]`;
  const o = object(v, at);
  const result = field(o, 'larger', at);
  if (typeof result !== 'boolean') throw new VectorFormatError(`${at}.larger must be a boolean.`);
  return { bytes1: hex(o, 'bytes1', at), bytes2: hex(o, 'bytes2', at), larger: result };
});

const r = (key: string): Uint8Array => hex(run, key, 'vectors.protocol');
const [PRS, CI, sid, g] = [r('PRS'), r('CI'), r('sid'), r('g')];
const [ya, ADa, Ya] = [r('ya'), r('ADa'), r('Ya')];
const [yb, ADb, Yb] = [r('yb'), r('ADb'), r('Yb')];
const K = r('K');

const range = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);
const b = (s: string): Uint8Array => utf8(s);

// --- string utilities ------------------------------------------------------------------------------

describe('CPace string utilities, the draft appendix "CPace function definitions"', () => {
  it('prepend_len', () => {
    const at = 'vectors.prependLen';
    expect(cpacePrependLen(new Uint8Array(0))).toEqual(hex(prependLen, "prepend_len(b'')", at));
    expect(cpacePrependLen(b('1234'))).toEqual(hex(prependLen, "prepend_len(b'1234')", at));
    expect(cpacePrependLen(range(127))).toEqual(hex(prependLen, 'prepend_len(bytes(range(127)))', at));
    expect(cpacePrependLen(range(128))).toEqual(hex(prependLen, 'prepend_len(bytes(range(128)))', at));
  });

  it('prepend_len writes LEB128 lengths beyond two bytes', () => {
    expect(cpacePrependLen(new Uint8Array(16384)).subarray(0, 3)).toEqual(Uint8Array.of(0x80, 0x80, 0x01));
    expect(cpacePrependLen(new Uint8Array(300)).subarray(0, 2)).toEqual(Uint8Array.of(0xac, 0x02));
  });

  it('lv_cat', () => {
    expect(cpaceLvCat(b('1234'), b('5'), new Uint8Array(0), b('678'))).toEqual(
      hex(lvCat, "lv_cat(b'1234',b'5',b'',b'678')", 'vectors.lvCat'),
    );
  });

  it.each(larger)('lexiographically_larger %#', (t) => {
    expect(cpaceLexiographicallyLarger(t.bytes1, t.bytes2)).toBe(t.larger);
  });

  it('o_cat', () => {
    expect(cpaceOCat(b('ABCD'), b('BCD'))).toEqual(hex(oCat, "o_cat(b'ABCD',b'BCD')", 'vectors.oCat'));
    expect(cpaceOCat(b('BCD'), b('ABCDE'))).toEqual(hex(oCat, "o_cat(b'BCD',b'ABCDE')", 'vectors.oCat'));
  });

  it('transcript_ir and transcript_oc', () => {
    const [A, B] = [b('PartyA'), b('PartyB')];
    const ir = (k: string) => hex(transcriptIr, k, 'vectors.transcriptIr');
    const oc = (k: string) => hex(transcriptOc, k, 'vectors.transcriptOc');
    expect(cpaceTranscriptIr(b('123'), A, b('234'), B)).toEqual(
      ir("transcript_ir(b'123',b'PartyA',b'234',b'PartyB')"),
    );
    expect(cpaceTranscriptIr(b('3456'), A, b('2345'), B)).toEqual(
      ir("transcript_ir(b'3456',b'PartyA',b'2345',b'PartyB')"),
    );
    expect(cpaceTranscriptOc(b('123'), A, b('234'), B)).toEqual(
      oc("transcript_oc(b'123',b'PartyA',b'234',b'PartyB')"),
    );
    expect(cpaceTranscriptOc(b('3456'), A, b('2345'), B)).toEqual(
      oc("transcript_oc(b'3456',b'PartyA',b'2345',b'PartyB')"),
    );
  });
});

// --- the ristretto255 / SHA-512 run ----------------------------------------------------------------

describe('CPACE-RISTR255-SHA512, the draft\'s "Test vector for CPace using group ristretto255 and hash SHA-512"', () => {
  const at = 'vectors.calculateGenerator';

  it('uses the draft inputs and DSI', () => {
    expect(hex(gen, 'DSI', at)).toEqual(CPACE_RISTRETTO255_DSI);
    expect(field(gen, 'H.s_in_bytes', at)).toBe(CPACE_SHA512_S_IN_BYTES);
    expect(hex(gen, 'PRS', at)).toEqual(PRS);
    expect(hex(gen, 'CI', at)).toEqual(CI);
    expect(hex(gen, 'sid', at)).toEqual(sid);
  });

  it('generator string, its hash and the generator g', () => {
    const genStr = cpaceGeneratorString(CPACE_RISTRETTO255_DSI, PRS, CI, sid, CPACE_SHA512_S_IN_BYTES);
    expect(genStr).toEqual(hex(gen, 'generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes)', at));
    // ZPAD length 100: the zero field's length byte sits after DSI's 18 and PRS's 9 bytes.
    expect(genStr[18 + 9]).toBe(field(gen, 'ZPAD length', at));
    expect(sha512(genStr)).toEqual(hex(gen, 'hash result', at));
    expect(cpaceCalculateGenerator(PRS, CI, sid)).toEqual(hex(gen, 'encoded generator g', at));
    expect(cpaceCalculateGenerator(PRS, CI, sid)).toEqual(g);
  });

  it('message from A and message from B', () => {
    expect(cpaceScalarMult(ya, g)).toEqual(Ya);
    expect(cpaceScalarMult(yb, g)).toEqual(Yb);
  });

  it('secret point K on both sides', () => {
    expect(cpaceScalarMultVfy(ya, Yb)).toEqual(K);
    expect(cpaceScalarMultVfy(yb, Ya)).toEqual(K);
  });

  it('ISK, initiator/responder and parallel (symmetric) execution', () => {
    expect(cpaceIskIr(sid, K, Ya, ADa, Yb, ADb)).toEqual(r('ISK_IR'));
    expect(cpaceIskSy(sid, K, Ya, ADa, Yb, ADb)).toEqual(r('ISK_SY'));
    // Symmetric mode does not depend on who is called A.
    expect(cpaceIskSy(sid, K, Yb, ADb, Ya, ADa)).toEqual(r('ISK_SY'));
  });

  it('optional output of session id', () => {
    expect(cpaceSidOutputIr(Ya, ADa, Yb, ADb)).toEqual(r('sid_output_ir'));
    expect(cpaceSidOutputOc(Ya, ADa, Yb, ADb)).toEqual(r('sid_output_oc'));
  });

  it('scalar_mult with valid inputs', () => {
    const m = (k: string) => hex(multValid, k, 'vectors.scalarMult.Valid');
    expect(cpaceScalarMult(m('s'), m('X'))).toEqual(m('G.scalar_mult(s,decode(X))'));
    expect(cpaceScalarMultVfy(m('s'), m('X'))).toEqual(m('G.scalar_mult_vfy(s,X)'));
  });

  it('scalar_mult_vfy refuses an invalid encoding (Y_i1) and the identity (Y_i2)', () => {
    const s = hex(multValid, 's', 'vectors.scalarMult.Valid');
    const y1 = hex(mult, 'Invalid Y1', 'vectors.scalarMult');
    const y2 = hex(mult, 'Invalid Y2', 'vectors.scalarMult');
    expect(cpaceScalarMultVfy(s, y1)).toBeNull();
    expect(cpaceScalarMultVfy(s, y2)).toBeNull();
    expect(cpaceScalarMultVfy(ya, y1)).toBeNull();
    expect(cpaceScalarMultVfy(yb, y2)).toBeNull();
    // Neither may be used as a generator either.
    expect(thrown(() => cpaceScalarMult(s, y1))).toSatisfy((e) => CryptoError.is(e, 'BAD_ARGUMENT'));
    expect(thrown(() => cpaceScalarMult(s, y2))).toSatisfy((e) => CryptoError.is(e, 'BAD_ARGUMENT'));
  });
});

// --- properties ------------------------------------------------------------------------------------

const bytes = (max = 40) => fc.uint8Array({ maxLength: max });
const scalar = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((s) => s.some((x) => x !== 0));

/** One full run with both parties' inputs; null where a party aborted. */
function runBoth(
  prsA: Uint8Array,
  prsB: Uint8Array,
  ci: Uint8Array,
  s: Uint8Array,
  a: Uint8Array,
  bb: Uint8Array,
) {
  const [adA, adB] = [b('ADa'), b('ADb')];
  const yA = cpaceScalarMult(a, cpaceCalculateGenerator(prsA, ci, s));
  const yB = cpaceScalarMult(bb, cpaceCalculateGenerator(prsB, ci, s));
  const kA = cpaceScalarMultVfy(a, yB);
  const kB = cpaceScalarMultVfy(bb, yA);
  if (kA === null || kB === null) return null;
  return {
    kA,
    kB,
    irA: cpaceIskIr(s, kA, yA, adA, yB, adB),
    irB: cpaceIskIr(s, kB, yA, adA, yB, adB),
    syA: cpaceIskSy(s, kA, yA, adA, yB, adB),
    syB: cpaceIskSy(s, kB, yB, adB, yA, adA), // B calls itself "a" in symmetric mode
  };
}

describe('CPace properties', () => {
  it('both sides of a run agree on K and on ISK in both modes', () => {
    fc.assert(
      fc.property(bytes(), bytes(), bytes(16), scalar, scalar, (prs, ci, s, a, bb) => {
        const out = runBoth(prs, prs, ci, s, a, bb);
        expect(out).not.toBeNull();
        expect(out!.kA).toEqual(out!.kB);
        expect(out!.irA).toHaveLength(64);
        expect(out!.irA).toEqual(out!.irB);
        expect(out!.syA).toEqual(out!.syB);
        expect(out!.syA).not.toEqual(out!.irA);
      }),
      { numRuns: 25 },
    );
  });

  it('a different PRS gives a different K and ISK', () => {
    fc.assert(
      fc.property(bytes(), bytes(), bytes(), bytes(16), scalar, scalar, (prsA, prsB, ci, s, a, bb) => {
        fc.pre(!equal(prsA, prsB));
        const out = runBoth(prsA, prsB, ci, s, a, bb);
        expect(out).not.toBeNull();
        expect(out!.kA).not.toEqual(out!.kB);
        expect(out!.irA).not.toEqual(out!.irB);
        expect(out!.syA).not.toEqual(out!.syB);
      }),
      { numRuns: 25 },
    );
  });

  it('the generator depends on each of PRS, CI and sid', () => {
    const base = cpaceCalculateGenerator(PRS, CI, sid);
    expect(cpaceCalculateGenerator(concatBytes(PRS, Uint8Array.of(0)), CI, sid)).not.toEqual(base);
    expect(cpaceCalculateGenerator(PRS, CI.subarray(1), sid)).not.toEqual(base);
    expect(cpaceCalculateGenerator(PRS, CI, new Uint8Array(16))).not.toEqual(base);
    // lv_cat keeps field boundaries: moving a byte from PRS to CI changes the generator.
    expect(cpaceCalculateGenerator(utf8('ab'), utf8('c'), sid)).not.toEqual(
      cpaceCalculateGenerator(utf8('a'), utf8('bc'), sid),
    );
  });

  it('the generator string keeps PRS in the first SHA-512 block while it fits, and pads nothing after', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), (n) => {
        const prs = new Uint8Array(n).fill(0xaa);
        const str = cpaceGeneratorString(CPACE_RISTRETTO255_DSI, prs, CI, sid, 128);
        const head = cpacePrependLen(CPACE_RISTRETTO255_DSI).length + cpacePrependLen(prs).length;
        const zpad = Math.max(0, 128 - 1 - head);
        expect(str).toEqual(cpaceLvCat(CPACE_RISTRETTO255_DSI, prs, new Uint8Array(zpad), CI, sid));
        if (zpad > 0) expect(head + 1 + zpad).toBe(128);
      }),
      { numRuns: 40 },
    );
  });

  it('scalar_mult_vfy returns null for any non-canonical encoding: s with the top bit set', () => {
    const s = hex(multValid, 's', 'vectors.scalarMult.Valid');
    const X = hex(multValid, 'X', 'vectors.scalarMult.Valid');
    const high = X.slice();
    high[31]! |= 0x80;
    expect(cpaceScalarMultVfy(s, high)).toBeNull();
    const negative = X.slice();
    negative[0]! ^= 1; // ristretto255 refuses odd ("negative") s
    expect(cpaceScalarMultVfy(s, negative)).toBeNull();
  });

  it('a zero scalar (mod the group order) never yields a key', () => {
    const order = 2n ** 252n + 27742317777372353535851937790883648493n;
    const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
    expect(cpaceScalarMultVfy(new Uint8Array(32), Ya)).toBeNull();
    expect(cpaceScalarMultVfy(le(order), Ya)).toBeNull();
    expect(thrown(() => cpaceScalarMult(le(order), g))).toSatisfy((e) => CryptoError.is(e, 'BAD_ARGUMENT'));
    // Scalars are read modulo the order: y + order gives the same share as y.
    const yaInt = ya.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
    expect(cpaceScalarMult(le(yaInt + order), g)).toEqual(Ya);
  });
});

describe('CPace argument checks', () => {
  const refuses = (arg: string) => (e: unknown) =>
    CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith(`${arg} must`);

  it('names the argument', () => {
    expect(thrown(() => cpaceScalarMult(ya.subarray(1), g))).toSatisfy(refuses('scalar'));
    expect(thrown(() => cpaceScalarMult(ya, g.subarray(1)))).toSatisfy(refuses('point'));
    expect(thrown(() => cpaceScalarMultVfy(new Uint8Array(33), Yb))).toSatisfy(refuses('scalar'));
    expect(thrown(() => cpaceScalarMultVfy(ya, new Uint8Array(31)))).toSatisfy(refuses('point'));
    expect(thrown(() => cpaceScalarMultVfy('x' as unknown as Uint8Array, Yb))).toSatisfy(refuses('scalar'));
    expect(thrown(() => cpaceGeneratorString(CPACE_RISTRETTO255_DSI, PRS, CI, sid, -1))).toSatisfy(
      refuses('sInBytes'),
    );
    expect(thrown(() => cpaceGeneratorString(CPACE_RISTRETTO255_DSI, PRS, CI, sid, 1.5))).toSatisfy(
      refuses('sInBytes'),
    );
    expect(thrown(() => cpaceCalculateGenerator(PRS, null as unknown as Uint8Array, sid))).toSatisfy(
      refuses('ci'),
    );
    expect(thrown(() => cpaceIskIr(sid, K.subarray(1), Ya, ADa, Yb, ADb))).toSatisfy(refuses('K'));
    expect(thrown(() => cpaceIskIr(sid, new Uint8Array(32), Ya, ADa, Yb, ADb))).toSatisfy(refuses('K'));
    expect(thrown(() => cpaceIskSy(sid, K, Ya.subarray(1), ADa, Yb, ADb))).toSatisfy(refuses('Ya'));
    expect(thrown(() => cpaceIskSy(sid, K, Ya, ADa, Yb, 7 as unknown as Uint8Array))).toSatisfy(
      refuses('ADb'),
    );
  });
});

function equal(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
