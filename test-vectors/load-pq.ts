/**
 * Typed readers for the post-quantum Wycheproof vectors in this folder (ML-KEM-1024 and ML-DSA-87,
 * see SOURCES.md), in the manner of load.ts: each takes the parsed JSON as `unknown`, checks the
 * file's algorithm and schema and every field it hands back, and decodes hex itself, so tests
 * never cast vector data. A malformed file throws `VectorFormatError` naming the field.
 *
 * Two fields that load.ts requires are optional in these schemas: `comment` (absent in the CCTV
 * groups) reads as '' and `flags` (absent in keygen_seed) as []. Byte fields are not checked
 * against the parameter set's lengths, since wrong lengths are what many invalid cases test; only
 * the lengths a schema fixes (`m`, `rnd`, `mu`) are.
 */
import {
  VectorFormatError,
  type WycheproofCase,
  type WycheproofFile,
  array,
  field,
  has,
  integer,
  object,
  string,
} from './load';

type Bytes = Uint8Array<ArrayBuffer>;

/** `mlkem_keygen_seed_test_schema.json` (MLKEMKeyGen): the keys KeyGen_internal makes from d ‖ z. */
export interface MlKemKeyGenGroup {
  readonly source: string;
  readonly tests: readonly MlKemKeyGenCase[];
}
export interface MlKemKeyGenCase extends WycheproofCase {
  readonly seed: Bytes;
  readonly ek: Bytes;
  readonly dk: Bytes;
}

/**
 * `mlkem_test_schema.json` (MLKEMTest): KeyGen from `seed`, then Decaps of `c`. `ek` is absent
 * where the seed has the wrong length; `K` is empty in invalid cases.
 */
export interface MlKemGroup {
  readonly source: string;
  readonly tests: readonly MlKemCase[];
}
export interface MlKemCase extends WycheproofCase {
  readonly seed: Bytes;
  readonly ek: Bytes | undefined;
  readonly c: Bytes;
  readonly K: Bytes;
}

/** `mlkem_encaps_test_schema.json` (MLKEMEncapsTest): Encaps_internal(ek, m). `c`, `K` empty if invalid. */
export interface MlKemEncapsGroup {
  readonly source: string;
  readonly tests: readonly MlKemEncapsCase[];
}
export interface MlKemEncapsCase extends WycheproofCase {
  readonly ek: Bytes;
  /** 32 bytes. */
  readonly m: Bytes;
  readonly c: Bytes;
  readonly K: Bytes;
}

/** `mlkem_semi_expanded_decaps_test_schema.json` (MLKEMDecapsValidationTest): Decaps with an expanded dk. */
export interface MlKemDecapsGroup {
  readonly source: string;
  readonly tests: readonly MlKemDecapsCase[];
}
export interface MlKemDecapsCase extends WycheproofCase {
  readonly dk: Bytes;
  readonly ek: Bytes;
  readonly c: Bytes;
  /** Present in every valid case. */
  readonly K: Bytes | undefined;
}

/**
 * `mldsa_sign_common.json` (MlDsaSignTestVector). `msg` is absent in `Internal` cases, which give
 * only μ; `ctx` is empty when absent; `rnd` is absent for deterministic signing (32 zero bytes);
 * `sig` is empty when signing must fail.
 */
export interface MlDsaSignCase extends WycheproofCase {
  readonly msg: Bytes | undefined;
  readonly ctx: Bytes;
  /** 32 bytes. */
  readonly rnd: Bytes | undefined;
  /** 64 bytes; present in every valid case. */
  readonly mu: Bytes | undefined;
  readonly sig: Bytes;
}

/** `mldsa_sign_seed_schema.json` (MlDsaSignTestGroup). `publicKey` is absent (null) for a bad seed. */
export interface MlDsaSignSeedGroup {
  readonly source: string;
  readonly privateSeed: Bytes;
  readonly publicKey: Bytes | undefined;
  readonly tests: readonly MlDsaSignCase[];
}

/** `mldsa_sign_noseed_schema.json` (MlDsaSignNoSeedTestGroup): an expanded private key. */
export interface MlDsaSignNoSeedGroup {
  readonly source: string;
  readonly privateKey: Bytes;
  readonly publicKey: Bytes | undefined;
  readonly tests: readonly MlDsaSignCase[];
}

/** `mldsa_verify_schema.json` (MlDsaVerifyTestGroup). `ctx` is empty when absent. */
export interface MlDsaVerifyGroup {
  readonly source: string;
  readonly publicKey: Bytes;
  readonly tests: readonly MlDsaVerifyCase[];
}
export interface MlDsaVerifyCase extends WycheproofCase {
  readonly msg: Bytes;
  readonly ctx: Bytes;
  readonly sig: Bytes;
}

const ML_KEM_1024 = { algorithm: 'ML-KEM', parameterSet: 'ML-KEM-1024' } as const;

export function parseWycheproofMlKemKeyGen(json: unknown): WycheproofFile<MlKemKeyGenGroup> {
  return mlKem(json, 'mlkem_keygen_seed_test_schema.json', 'MLKEMKeyGen', (t, at) => ({
    seed: hex(t, 'seed', at),
    ek: hex(t, 'ek', at),
    dk: hex(t, 'dk', at),
  }));
}

export function parseWycheproofMlKem(json: unknown): WycheproofFile<MlKemGroup> {
  return mlKem(json, 'mlkem_test_schema.json', 'MLKEMTest', (t, at) => ({
    seed: hex(t, 'seed', at),
    ek: optionalHex(t, 'ek', at),
    c: hex(t, 'c', at),
    K: hex(t, 'K', at),
  }));
}

export function parseWycheproofMlKemEncaps(json: unknown): WycheproofFile<MlKemEncapsGroup> {
  return mlKem(json, 'mlkem_encaps_test_schema.json', 'MLKEMEncapsTest', (t, at) => ({
    ek: hex(t, 'ek', at),
    m: hex(t, 'm', at, 32),
    c: hex(t, 'c', at),
    K: hex(t, 'K', at),
  }));
}

export function parseWycheproofMlKemDecaps(json: unknown): WycheproofFile<MlKemDecapsGroup> {
  return mlKem(
    json,
    'mlkem_semi_expanded_decaps_test_schema.json',
    'MLKEMDecapsValidationTest',
    (t, at, result) => {
      const K = optionalHex(t, 'K', at);
      if (result === 'valid' && K === undefined) throw new VectorFormatError(`${at}.K is missing.`);
      return { dk: hex(t, 'dk', at), ek: hex(t, 'ek', at), c: hex(t, 'c', at), K };
    },
  );
}

export function parseWycheproofMlDsaSignSeed(json: unknown): WycheproofFile<MlDsaSignSeedGroup> {
  return wycheproof(json, 'ML-DSA-87', 'mldsa_sign_seed_schema.json', (g, at) => {
    groupType(g, 'MlDsaSign', at);
    return {
      source: sourceName(g, at),
      privateSeed: hex(g, 'privateSeed', at),
      publicKey: nullableHex(g, 'publicKey', at),
      tests: cases(g, at, mlDsaSignCase),
    };
  });
}

export function parseWycheproofMlDsaSignNoSeed(json: unknown): WycheproofFile<MlDsaSignNoSeedGroup> {
  return wycheproof(json, 'ML-DSA-87', 'mldsa_sign_noseed_schema.json', (g, at) => {
    groupType(g, 'MlDsaSign', at);
    return {
      source: sourceName(g, at),
      privateKey: hex(g, 'privateKey', at),
      publicKey: nullableHex(g, 'publicKey', at),
      tests: cases(g, at, mlDsaSignCase),
    };
  });
}

export function parseWycheproofMlDsaVerify(json: unknown): WycheproofFile<MlDsaVerifyGroup> {
  return wycheproof(json, 'ML-DSA-87', 'mldsa_verify_schema.json', (g, at) => {
    groupType(g, 'MlDsaVerify', at);
    return {
      source: sourceName(g, at),
      publicKey: hex(g, 'publicKey', at),
      tests: cases(g, at, (t, tat) => ({
        ...wycheproofCase(t, tat),
        msg: hex(t, 'msg', tat),
        ctx: optionalHex(t, 'ctx', tat) ?? new Uint8Array(0),
        sig: hex(t, 'sig', tat),
      })),
    };
  });
}

// --- Shared shapes ------------------------------------------------------------------------------

/** An ML-KEM file: algorithm ML-KEM, every group of `type` and parameter set ML-KEM-1024. */
function mlKem<C extends object>(
  json: unknown,
  schema: string,
  type: string,
  read: (t: object, at: string, result: WycheproofCase['result']) => C,
): WycheproofFile<{ readonly source: string; readonly tests: readonly (WycheproofCase & C)[] }> {
  return wycheproof(json, ML_KEM_1024.algorithm, schema, (g, at) => {
    groupType(g, type, at);
    const parameterSet = string(g, 'parameterSet', at);
    if (parameterSet !== ML_KEM_1024.parameterSet) {
      throw new VectorFormatError(
        `${at}.parameterSet must be ${ML_KEM_1024.parameterSet}, not ${parameterSet}.`,
      );
    }
    return {
      source: sourceName(g, at),
      tests: cases(g, at, (t, tat) => {
        const common = wycheproofCase(t, tat);
        return { ...common, ...read(t, tat, common.result) };
      }),
    };
  });
}

function mlDsaSignCase(t: object, at: string): MlDsaSignCase {
  const common = wycheproofCase(t, at);
  const msg = optionalHex(t, 'msg', at);
  const rnd = optionalHex(t, 'rnd', at, 32);
  const mu = optionalHex(t, 'mu', at, 64);
  const internal = common.flags.includes('Internal');
  if (internal !== (msg === undefined)) {
    throw new VectorFormatError(`${at}: msg must be absent exactly in Internal cases.`);
  }
  if (common.result === 'valid' && mu === undefined) throw new VectorFormatError(`${at}.mu is missing.`);
  if (rnd !== undefined && !common.flags.includes('Randomized')) {
    throw new VectorFormatError(`${at}: a case with rnd must have the Randomized flag.`);
  }
  return {
    ...common,
    msg,
    ctx: optionalHex(t, 'ctx', at) ?? new Uint8Array(0),
    rnd,
    mu,
    sig: hex(t, 'sig', at),
  };
}

// --- Field readers (as in load.ts) --------------------------------------------------------------

function wycheproof<G extends { readonly tests: readonly WycheproofCase[] }>(
  json: unknown,
  algorithm: string,
  schema: string,
  group: (g: object, at: string) => G,
): WycheproofFile<G> {
  const root = object(json, '$');
  const found = string(root, 'algorithm', '$');
  if (found !== algorithm) throw new VectorFormatError(`$.algorithm must be ${algorithm}, not ${found}.`);
  const foundSchema = string(root, 'schema', '$');
  if (foundSchema !== schema) throw new VectorFormatError(`$.schema must be ${schema}, not ${foundSchema}.`);
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

function groupType(g: object, type: string, at: string): void {
  const found = string(g, 'type', at);
  if (found !== type) throw new VectorFormatError(`${at}.type must be ${type}, not ${found}.`);
}

function sourceName(g: object, at: string): string {
  return string(object(field(g, 'source', at), `${at}.source`), 'name', `${at}.source`);
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
  const flags = has(t, 'flags')
    ? array(t, 'flags', at).map((f, i) => {
        if (typeof f !== 'string') throw new VectorFormatError(`${at}.flags[${i}] must be a string.`);
        return f;
      })
    : [];
  const comment = has(t, 'comment') ? string(t, 'comment', at) : '';
  return { tcId: integer(t, 'tcId', at), comment, flags, result };
}

/** Hex bytes; with `length`, exactly that many. */
function hex(o: object, key: string, at: string, length?: number): Bytes {
  const text = string(o, key, at);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new VectorFormatError(`${at}.${key} must be an even number of hex digits.`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) {
    throw new VectorFormatError(`${at}.${key} must be ${length} bytes, not ${out.length}.`);
  }
  return out;
}

function optionalHex(o: object, key: string, at: string, length?: number): Bytes | undefined {
  return has(o, key) ? hex(o, key, at, length) : undefined;
}

/** Hex bytes, or null (read as undefined). */
function nullableHex(o: object, key: string, at: string): Bytes | undefined {
  return field(o, key, at) === null ? undefined : hex(o, key, at);
}
