/**
 * CPace, the balanced PAKE of draft-irtf-cfrg-cpace-21, in the cipher suite CPACE-RISTR255-SHA512
 * (sections "CPace cipher suites" and "CPace group objects G_Ristretto255 and G_Decaf448"), over
 * `@noble/curves`' ristretto255 (RFC 9496). Sections are cited by title: the draft's numbering
 * moves between revisions.
 *
 * - Generator ("Common function for computing generators", "… G_Ristretto255 …"): gen_str =
 *   generator_string(DSI, PRS, CI, sid, 128) = lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid);
 *   g = element_derivation(SHA-512(gen_str)), RFC 9496 §4.3.4's one-way map of 64 uniform bytes
 *   (not RFC 9380 hash-to-curve with a DST).
 * - Shares ("CPace protocol instructions"): Y = scalar_mult(y, g) = encode(y·g); scalars are
 *   32-byte little-endian encodings, read modulo the group order.
 * - Secret point: K = scalar_mult_vfy(y, X) = encode(y·decode(X)), or G.I when X does not decode;
 *   returned here as `null` for an invalid encoding and for the identity, on which a party MUST
 *   abort.
 * - ISK ("CPace protocol instructions"): SHA-512(lv_cat(DSI || "_ISK", sid, K) || transcript),
 *   with transcript_ir for initiator and responder and transcript_oc (o_cat, ordered
 *   concatenation) for symmetric runs ("Notation for string operations"; appendix "CPace function
 *   definitions" for prepend_len, lv_cat, o_cat and the transcripts).
 *
 * The draft's vectors are in test-vectors/cpace-ristretto255-sha512.json (see SOURCES.md).
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, isAllZero, utf8 } from './bytes';
import { CryptoError, assertBytes } from './errors';

/** G_Ristretto255.DSI. */
export const CPACE_RISTRETTO255_DSI: Uint8Array = utf8('CPaceRistretto255');
/** H.s_in_bytes of SHA-512, its input block size ("Hash function H"). */
export const CPACE_SHA512_S_IN_BYTES = 128;
/** Length of a ristretto255 encoding and of a scalar encoding. */
export const CPACE_ELEMENT_BYTES = 32;
/** Length of ISK and of the optional session id output: SHA-512's output. */
export const CPACE_ISK_BYTES = 64;

const DSI_ISK = concatBytes(CPACE_RISTRETTO255_DSI, utf8('_ISK'));
const SID_OUTPUT_PREFIX = utf8('CPaceSidOutput');
const { Point } = ristretto255;

// --- string utilities, appendix "CPace function definitions" -------------------------------------------------------------

/** prepend_len(data): the LEB128 encoding of len(data), then data. */
export function cpacePrependLen(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  const length: number[] = [];
  let n = data.length;
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    length.push(n === 0 ? low : low + 0x80);
  } while (n !== 0);
  return concatBytes(Uint8Array.from(length), data);
}

/** lv_cat(a0, a1, …) = prepend_len(a0) || prepend_len(a1) || …. */
export function cpaceLvCat(...parts: readonly Uint8Array[]): Uint8Array {
  parts.forEach((p, i) => assertBytes(p, `parts[${i}]`));
  return concatBytes(...parts.map(cpacePrependLen));
}

/**
 * lexiographically_larger(bytes1, bytes2): the first differing byte decides; when
 * one is a prefix of the other, the longer one is larger.
 */
export function cpaceLexiographicallyLarger(bytes1: Uint8Array, bytes2: Uint8Array): boolean {
  assertBytes(bytes1, 'bytes1');
  assertBytes(bytes2, 'bytes2');
  const min = Math.min(bytes1.length, bytes2.length);
  for (let m = 0; m < min; m++) {
    if (bytes1[m]! > bytes2[m]!) return true;
    if (bytes1[m]! < bytes2[m]!) return false;
  }
  return bytes1.length > bytes2.length;
}

/** o_cat(bytes1, bytes2) = b"oc" || the larger || the other. */
export function cpaceOCat(bytes1: Uint8Array, bytes2: Uint8Array): Uint8Array {
  return cpaceLexiographicallyLarger(bytes1, bytes2)
    ? concatBytes(utf8('oc'), bytes1, bytes2)
    : concatBytes(utf8('oc'), bytes2, bytes1);
}

/** transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb). */
export function cpaceTranscriptIr(
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  return concatBytes(lvPair(Ya, 'Ya', ADa, 'ADa'), lvPair(Yb, 'Yb', ADb, 'ADb'));
}

/** transcript_oc(Ya, ADa, Yb, ADb) = o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb)). */
export function cpaceTranscriptOc(
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  return cpaceOCat(lvPair(Ya, 'Ya', ADa, 'ADa'), lvPair(Yb, 'Yb', ADb, 'ADb'));
}

function lvPair(y: Uint8Array, yName: string, ad: Uint8Array, adName: string): Uint8Array {
  assertBytes(y, yName);
  assertBytes(ad, adName);
  return cpaceLvCat(y, ad);
}

// --- generator ----------------------------------------------------------------

/**
 * generator_string(DSI, PRS, CI, sid, s_in_bytes) = lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid)
 * with len_zpad = max(0, s_in_bytes − 1 − len(prepend_len(PRS)) − len(prepend_len(DSI))).
 */
export function cpaceGeneratorString(
  dsi: Uint8Array,
  prs: Uint8Array,
  ci: Uint8Array,
  sid: Uint8Array,
  sInBytes: number,
): Uint8Array {
  assertBytes(dsi, 'dsi');
  assertBytes(prs, 'prs');
  assertBytes(ci, 'ci');
  assertBytes(sid, 'sid');
  if (!Number.isSafeInteger(sInBytes) || sInBytes < 0) {
    throw new CryptoError('BAD_ARGUMENT', 'sInBytes must be a non-negative integer.');
  }
  const dsiField = cpacePrependLen(dsi);
  const prsField = cpacePrependLen(prs);
  const lenZpad = Math.max(0, sInBytes - 1 - prsField.length - dsiField.length);
  return concatBytes(
    dsiField,
    prsField,
    cpacePrependLen(new Uint8Array(lenZpad)),
    cpacePrependLen(ci),
    cpacePrependLen(sid),
  );
}

/**
 * G_Ristretto255.calculate_generator(SHA-512, PRS, CI, sid): the element derivation of
 * RFC 9496 §4.3.4 applied to SHA-512(generator_string(DSI, PRS, CI, sid, 128)), returned encoded.
 */
export function cpaceCalculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const genStr = cpaceGeneratorString(CPACE_RISTRETTO255_DSI, prs, ci, sid, CPACE_SHA512_S_IN_BYTES);
  // H.hash(gen_str, 2 * field_size_bytes): SHA-512's whole 64-byte output.
  const g = ristretto255_hasher.deriveToCurve?.(sha512(genStr));
  // Typed as optional on noble's shared hasher interface; ristretto255's always has it.
  if (g === undefined)
    throw new CryptoError('UNSUPPORTED', 'This build lacks ristretto255 element derivation.');
  return g.toBytes();
}

// --- scalar multiplication -------------------------------------------------------------

/** The 32-byte little-endian scalar read modulo the group order (0 when it is a multiple). */
function scalarOf(scalar: Uint8Array): bigint {
  assertBytes(scalar, 'scalar', CPACE_ELEMENT_BYTES);
  let n = 0n;
  for (let i = scalar.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(scalar[i]!);
  return Point.Fn.create(n);
}

/** decode(X) of RFC 9496 §4.3.1, or null when X is not a canonical encoding of an element. */
function decodePoint(point: Uint8Array): InstanceType<typeof Point> | null {
  try {
    return Point.fromBytes(point);
  } catch {
    return null;
  }
}

/**
 * G.scalar_mult(y, g) = encode(y·g), for computing one's own share from the generator.
 * Refuses, as BAD_ARGUMENT, a point that is not a valid encoding or is the identity and a scalar
 * that is zero modulo the group order: none can come from a correct run, and each would put G.I
 * on the wire.
 */
export function cpaceScalarMult(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  const y = scalarOf(scalar);
  assertBytes(point, 'point', CPACE_ELEMENT_BYTES);
  const g = decodePoint(point);
  if (g === null) throw new CryptoError('BAD_ARGUMENT', 'point must be a valid ristretto255 encoding.');
  if (g.is0()) throw new CryptoError('BAD_ARGUMENT', 'point must not be the identity element.');
  if (y === 0n) throw new CryptoError('BAD_ARGUMENT', 'scalar must not be zero modulo the group order.');
  return g.multiply(y).toBytes();
}

/**
 * G.scalar_mult_vfy(y, X) on the peer's share X: encode(y·decode(X)), or null where the
 * draft returns G.I (X does not decode, or the result is the identity), on which the caller MUST
 * abort. The identity comes out exactly when X encodes the identity or y ≡ 0: the group
 * has prime order.
 */
export function cpaceScalarMultVfy(scalar: Uint8Array, point: Uint8Array): Uint8Array | null {
  const y = scalarOf(scalar);
  assertBytes(point, 'point', CPACE_ELEMENT_BYTES);
  const x = decodePoint(point);
  if (x === null || x.is0() || y === 0n) return null;
  const k = x.multiply(y);
  return k.is0() ? null : k.toBytes();
}

// --- ISK, "CPace protocol instructions" -------------------------------------------------------------------------------

function checkIskInputs(sid: Uint8Array, K: Uint8Array, Ya: Uint8Array, Yb: Uint8Array): void {
  assertBytes(sid, 'sid');
  assertBytes(K, 'K', CPACE_ELEMENT_BYTES);
  // K = G.I means the run must already have been aborted; refuse rather than derive a key.
  if (isAllZero(K)) throw new CryptoError('BAD_ARGUMENT', 'K must not be the identity element.');
  assertBytes(Ya, 'Ya', CPACE_ELEMENT_BYTES);
  assertBytes(Yb, 'Yb', CPACE_ELEMENT_BYTES);
}

function isk(sid: Uint8Array, K: Uint8Array, transcript: Uint8Array): Uint8Array {
  return sha512(concatBytes(cpaceLvCat(DSI_ISK, sid, K), transcript));
}

/**
 * ISK = SHA-512(lv_cat(G.DSI || "_ISK", sid, K) || transcript_ir(Ya, ADa, Yb, ADb)), 64 bytes: the
 * initiator-responder setting, where A (initiator) sent Ya, ADa and B (responder) Yb, ADb.
 */
export function cpaceIskIr(
  sid: Uint8Array,
  K: Uint8Array,
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  checkIskInputs(sid, K, Ya, Yb);
  return isk(sid, K, cpaceTranscriptIr(Ya, ADa, Yb, ADb));
}

/**
 * ISK = SHA-512(lv_cat(G.DSI || "_ISK", sid, K) || transcript_oc(Ya, ADa, Yb, ADb)), 64 bytes: the
 * symmetric setting without initiator and responder roles; swapping (Ya, ADa) with
 * (Yb, ADb) gives the same key.
 */
export function cpaceIskSy(
  sid: Uint8Array,
  K: Uint8Array,
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  checkIskInputs(sid, K, Ya, Yb);
  return isk(sid, K, cpaceTranscriptOc(Ya, ADa, Yb, ADb));
}

/** The optional session id output SHA-512(b"CPaceSidOutput" || transcript_ir(…)) (section "Calculating a session identifier alongside with the CPace run"). */
export function cpaceSidOutputIr(
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  return sha512(concatBytes(SID_OUTPUT_PREFIX, cpaceTranscriptIr(Ya, ADa, Yb, ADb)));
}

/** The optional session id output SHA-512(b"CPaceSidOutput" || transcript_oc(…)), the same for symmetric runs. */
export function cpaceSidOutputOc(
  Ya: Uint8Array,
  ADa: Uint8Array,
  Yb: Uint8Array,
  ADb: Uint8Array,
): Uint8Array {
  return sha512(concatBytes(SID_OUTPUT_PREFIX, cpaceTranscriptOc(Ya, ADa, Yb, ADb)));
}
