/**
 * Typed readers for the published vectors in this folder (see SOURCES.md). Each takes the parsed
 * JSON as `unknown`, checks every field it hands back and decodes hex itself, so tests never cast
 * vector data and never lean on the code under test to read it. A malformed file throws
 * `VectorFormatError` naming the field.
 */

export class VectorFormatError extends Error {
  override readonly name = 'VectorFormatError';
}

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

/** The fields every Wycheproof test case has. */
export interface WycheproofCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: WycheproofResult;
}

export interface WycheproofFile<G> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly G[];
}

/** Wycheproof `aead_test_schema_v1` (AeadTest). Sizes are in bits. */
export interface AeadGroup {
  readonly keySize: number;
  readonly ivSize: number;
  readonly tagSize: number;
  readonly tests: readonly AeadCase[];
}
export interface AeadCase extends WycheproofCase {
  readonly key: Uint8Array<ArrayBuffer>;
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly aad: Uint8Array<ArrayBuffer>;
  readonly msg: Uint8Array<ArrayBuffer>;
  readonly ct: Uint8Array<ArrayBuffer>;
  readonly tag: Uint8Array<ArrayBuffer>;
}

/** Wycheproof `hkdf_test_schema_v1` (HkdfTest). `size` is in bytes. */
export interface HkdfGroup {
  readonly keySize: number;
  readonly tests: readonly HkdfCase[];
}
export interface HkdfCase extends WycheproofCase {
  readonly ikm: Uint8Array<ArrayBuffer>;
  readonly salt: Uint8Array<ArrayBuffer>;
  readonly info: Uint8Array<ArrayBuffer>;
  readonly size: number;
  readonly okm: Uint8Array<ArrayBuffer>;
}

/** Wycheproof `mac_test_schema_v1` (MacTest). Sizes are in bits. */
export interface MacGroup {
  readonly keySize: number;
  readonly tagSize: number;
  readonly tests: readonly MacCase[];
}
export interface MacCase extends WycheproofCase {
  readonly key: Uint8Array<ArrayBuffer>;
  readonly msg: Uint8Array<ArrayBuffer>;
  readonly tag: Uint8Array<ArrayBuffer>;
}

/** Wycheproof `xdh_comp_schema_v1` (XdhComp). */
export interface XdhGroup {
  readonly curve: string;
  readonly tests: readonly XdhCase[];
}
export interface XdhCase extends WycheproofCase {
  readonly public: Uint8Array<ArrayBuffer>;
  readonly private: Uint8Array<ArrayBuffer>;
  readonly shared: Uint8Array<ArrayBuffer>;
}

/** RFC 5869 Appendix A (SHA-256 cases). `length` is L, in bytes. */
export interface Rfc5869Case {
  readonly appendix: string;
  readonly ikm: Uint8Array<ArrayBuffer>;
  readonly salt: Uint8Array<ArrayBuffer>;
  readonly info: Uint8Array<ArrayBuffer>;
  readonly length: number;
  readonly okm: Uint8Array<ArrayBuffer>;
}

/**
 * RFC 4231 §4, HMAC-SHA-256 column. `expected` is the whole 32-byte MAC, or for test case 5 only
 * its first 16 bytes (`truncated`), the only value that case specifies.
 */
export interface Rfc4231Case {
  readonly testCase: number;
  readonly key: Uint8Array<ArrayBuffer>;
  readonly data: Uint8Array<ArrayBuffer>;
  readonly expected: Uint8Array<ArrayBuffer>;
  readonly truncated: boolean;
}

/**
 * libsignal's fingerprint test constants (rust/protocol/src/fingerprint.rs). Identity keys are the
 * 33-byte `0x05 ‖ X25519` form; stable ids are ASCII strings, handed back as their bytes too.
 */
export interface LibsignalFingerprintVectors {
  readonly iterations: number;
  readonly aliceIdentity: Uint8Array<ArrayBuffer>;
  readonly bobIdentity: Uint8Array<ArrayBuffer>;
  readonly aliceStableId: string;
  readonly bobStableId: string;
  readonly aliceStableIdBytes: Uint8Array<ArrayBuffer>;
  readonly bobStableIdBytes: Uint8Array<ArrayBuffer>;
  /** 60 decimal digits, the same from both sides and for both versions. */
  readonly displayable: string;
  readonly aliceScannableV1: Uint8Array<ArrayBuffer>;
  readonly bobScannableV1: Uint8Array<ArrayBuffer>;
  readonly aliceScannableV2: Uint8Array<ArrayBuffer>;
  readonly bobScannableV2: Uint8Array<ArrayBuffer>;
}

export function parseWycheproofAead(json: unknown): WycheproofFile<AeadGroup> {
  return wycheproof(json, 'AES-GCM', (g, at) => ({
    keySize: integer(g, 'keySize', at),
    ivSize: integer(g, 'ivSize', at),
    tagSize: integer(g, 'tagSize', at),
    tests: cases(g, at, (t, tat) => ({
      ...wycheproofCase(t, tat),
      key: hex(t, 'key', tat),
      iv: hex(t, 'iv', tat),
      aad: hex(t, 'aad', tat),
      msg: hex(t, 'msg', tat),
      ct: hex(t, 'ct', tat),
      tag: hex(t, 'tag', tat),
    })),
  }));
}

export function parseWycheproofHkdf(json: unknown): WycheproofFile<HkdfGroup> {
  return wycheproof(json, 'HKDF-SHA-256', (g, at) => ({
    keySize: integer(g, 'keySize', at),
    tests: cases(g, at, (t, tat) => ({
      ...wycheproofCase(t, tat),
      ikm: hex(t, 'ikm', tat),
      salt: hex(t, 'salt', tat),
      info: hex(t, 'info', tat),
      size: integer(t, 'size', tat),
      okm: hex(t, 'okm', tat),
    })),
  }));
}

export function parseWycheproofMac(json: unknown, algorithm: string): WycheproofFile<MacGroup> {
  return wycheproof(json, algorithm, (g, at) => ({
    keySize: integer(g, 'keySize', at),
    tagSize: integer(g, 'tagSize', at),
    tests: cases(g, at, (t, tat) => ({
      ...wycheproofCase(t, tat),
      key: hex(t, 'key', tat),
      msg: hex(t, 'msg', tat),
      tag: hex(t, 'tag', tat),
    })),
  }));
}

export function parseWycheproofXdh(json: unknown): WycheproofFile<XdhGroup> {
  return wycheproof(json, 'XDH', (g, at) => ({
    curve: string(g, 'curve', at),
    tests: cases(g, at, (t, tat) => ({
      ...wycheproofCase(t, tat),
      public: hex(t, 'public', tat),
      private: hex(t, 'private', tat),
      shared: hex(t, 'shared', tat),
    })),
  }));
}

export function parseRfc5869Sha256(json: unknown): readonly Rfc5869Case[] {
  return array(object(json, '$'), 'tests', '$').map((item, i) => {
    const at = `$.tests[${i}]`;
    const t = object(item, at);
    const hash = string(t, 'hash', at);
    if (hash !== 'SHA-256') throw new VectorFormatError(`${at}.hash must be SHA-256, not ${hash}.`);
    const length = integer(t, 'L', at);
    const okm = hex(t, 'okmHex', at);
    if (okm.length !== length) throw new VectorFormatError(`${at}.okmHex must be L = ${length} bytes.`);
    return {
      appendix: string(t, 'rfcAppendix', at),
      ikm: hex(t, 'ikmHex', at),
      salt: hex(t, 'saltHex', at),
      info: hex(t, 'infoHex', at),
      length,
      okm,
    };
  });
}

export function parseRfc4231Sha256(json: unknown): readonly Rfc4231Case[] {
  return array(object(json, '$'), 'tests', '$').map((item, i) => {
    const at = `$.tests[${i}]`;
    const t = object(item, at);
    const truncated = has(t, 'hmac_sha256_truncated128');
    const expected = truncated ? hex(t, 'hmac_sha256_truncated128', at) : hex(t, 'hmac_sha256', at);
    if (expected.length !== (truncated ? 16 : 32)) {
      throw new VectorFormatError(`${at}: the HMAC-SHA-256 value has the wrong length.`);
    }
    return {
      testCase: integer(t, 'rfc4231TestCase', at),
      key: hex(t, 'keyHex', at),
      data: hex(t, 'dataHex', at),
      expected,
      truncated,
    };
  });
}

export function parseLibsignalFingerprint(json: unknown): LibsignalFingerprintVectors {
  const root = object(json, '$');
  const source = object(field(root, 'source', '$'), '$.source');
  const repo = string(source, 'repo', '$.source');
  if (repo !== 'signalapp/libsignal') {
    throw new VectorFormatError(`$.source.repo must be signalapp/libsignal, not ${repo}.`);
  }
  const identity = (key: string): Uint8Array<ArrayBuffer> => {
    const bytes = hex(root, key, '$');
    if (bytes.length !== 33 || bytes[0] !== 0x05) {
      throw new VectorFormatError(`$.${key} must be 33 bytes starting with 0x05.`);
    }
    return bytes;
  };
  const stableId = (key: string): string => {
    const text = string(root, key, '$');
    if (!/^[\x20-\x7e]+$/.test(text)) throw new VectorFormatError(`$.${key} must be printable ASCII.`);
    return text;
  };
  const scannable = (key: string, version: number): Uint8Array<ArrayBuffer> => {
    const bytes = hex(root, key, '$');
    if (bytes.length !== 74 || bytes[0] !== 0x08 || bytes[1] !== version) {
      throw new VectorFormatError(`$.${key} must be a 74-byte version ${version} CombinedFingerprints.`);
    }
    return bytes;
  };
  const ascii = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(text, (c) => c.charCodeAt(0));
  const displayable = string(root, 'displayable', '$');
  if (!/^\d{60}$/.test(displayable)) throw new VectorFormatError('$.displayable must be 60 decimal digits.');
  const aliceStableId = stableId('aliceStableId');
  const bobStableId = stableId('bobStableId');
  return {
    iterations: integer(root, 'iterations', '$'),
    aliceIdentity: identity('aliceIdentity'),
    bobIdentity: identity('bobIdentity'),
    aliceStableId,
    bobStableId,
    aliceStableIdBytes: ascii(aliceStableId),
    bobStableIdBytes: ascii(bobStableId),
    displayable,
    aliceScannableV1: scannable('aliceScannableV1', 1),
    bobScannableV1: scannable('bobScannableV1', 1),
    aliceScannableV2: scannable('aliceScannableV2', 2),
    bobScannableV2: scannable('bobScannableV2', 2),
  };
}

// --- Field readers ------------------------------------------------------------------------------

function wycheproof<G extends { readonly tests: readonly WycheproofCase[] }>(
  json: unknown,
  algorithm: string,
  group: (g: object, at: string) => G,
): WycheproofFile<G> {
  const root = object(json, '$');
  const found = string(root, 'algorithm', '$');
  if (found !== algorithm) throw new VectorFormatError(`$.algorithm must be ${algorithm}, not ${found}.`);
  const numberOfTests = integer(root, 'numberOfTests', '$');
  const testGroups = array(root, 'testGroups', '$').map((g, i) => {
    const at = `$.testGroups[${i}]`;
    return group(object(g, at), at);
  });
  const total = testGroups.reduce((n, g) => n + g.tests.length, 0);
  if (total !== numberOfTests) {
    throw new VectorFormatError(`$.numberOfTests says ${numberOfTests} but the groups hold ${total}.`);
  }
  return { algorithm, numberOfTests, testGroups };
}

function cases<T>(group: object, at: string, read: (t: object, at: string) => T): readonly T[] {
  return array(group, 'tests', at).map((t, i) => {
    const tat = `${at}.tests[${i}]`;
    return read(object(t, tat), tat);
  });
}

function wycheproofCase(t: object, at: string): WycheproofCase {
  const result = string(t, 'result', at);
  if (result !== 'valid' && result !== 'invalid' && result !== 'acceptable') {
    throw new VectorFormatError(`${at}.result must be valid, invalid or acceptable, not ${result}.`);
  }
  const flags = array(t, 'flags', at).map((f, i) => {
    if (typeof f !== 'string') throw new VectorFormatError(`${at}.flags[${i}] must be a string.`);
    return f;
  });
  return { tcId: integer(t, 'tcId', at), comment: string(t, 'comment', at), flags, result };
}

export function has(o: object, key: string): boolean {
  return Object.hasOwn(o, key);
}

export function field(o: object, key: string, at: string): unknown {
  if (!has(o, key)) throw new VectorFormatError(`${at}.${key} is missing.`);
  const value: unknown = Reflect.get(o, key);
  return value;
}

export function object(value: unknown, at: string): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VectorFormatError(`${at} must be an object.`);
  }
  return value;
}

export function array(o: object, key: string, at: string): readonly unknown[] {
  const value = field(o, key, at);
  if (!Array.isArray(value)) throw new VectorFormatError(`${at}.${key} must be an array.`);
  return value;
}

export function string(o: object, key: string, at: string): string {
  const value = field(o, key, at);
  if (typeof value !== 'string') throw new VectorFormatError(`${at}.${key} must be a string.`);
  return value;
}

export function integer(o: object, key: string, at: string): number {
  const value = field(o, key, at);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new VectorFormatError(`${at}.${key} must be an integer.`);
  }
  return value;
}

function hex(o: object, key: string, at: string): Uint8Array<ArrayBuffer> {
  const text = string(o, key, at);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new VectorFormatError(`${at}.${key} must be an even number of hex digits.`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
