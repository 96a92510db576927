/**
 * Signal's NumericFingerprint ("safety number"), byte-compatible with libsignal
 * (rust/protocol/src/fingerprint.rs):
 *
 *   per party:   h = SHA-512(0x0000 ‖ key ‖ stableId ‖ key);  repeat (iterations − 1)×: h = SHA-512(h ‖ key)
 *   display:     first 30 bytes of h as six 5-byte big-endian numbers, each mod 100,000, zero-padded →
 *                30 digits a party; both halves joined smaller first → 60 digits
 *   scannable:   protobuf CombinedFingerprints { version = 1; local = 2 { content = 1 }; remote = 3 { content = 1 } }
 *                with the first 32 bytes of each party's h → 74 bytes
 *
 * `key` is 33 bytes: 0x05 ‖ the X25519 identity public key. `id` is any bytes (SecMsg: the
 * 16-byte user id).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, constantTimeEqual } from './bytes';
import { CryptoError, assertBytes } from './errors';

export interface FingerprintParty {
  id: Uint8Array;
  key: Uint8Array;
}

export const FINGERPRINT_ITERATIONS = 5200;
export const SCANNABLE_FINGERPRINT_VERSION = 2;
export const SCANNABLE_FINGERPRINT_LENGTH = 74;
const FINGERPRINT_CONTENT_LENGTH = 32;
const IDENTITY_KEY_TYPE_DJB = 0x05;

/** The 33-byte libsignal form of an X25519 public key: 0x05 ‖ key. */
export function identityKeyBytes(x25519PublicKey: Uint8Array): Uint8Array {
  assertBytes(x25519PublicKey, 'x25519PublicKey', 32);
  return concatBytes(Uint8Array.of(IDENTITY_KEY_TYPE_DJB), x25519PublicKey);
}

function checkParty(party: FingerprintParty, name: string): void {
  assertBytes(party.id, `${name}.id`);
  assertBytes(party.key, `${name}.key`, 33);
  if (party.key[0] !== IDENTITY_KEY_TYPE_DJB) {
    throw new CryptoError('BAD_ARGUMENT', `${name}.key must start with the key type byte 0x05.`);
  }
}

function checkIterations(iterations: number): void {
  // libsignal accepts 2 … 1,000,000 iterations.
  if (!Number.isSafeInteger(iterations) || iterations <= 1 || iterations > 1_000_000) {
    throw new CryptoError('BAD_ARGUMENT', 'iterations must be an integer from 2 to 1,000,000.');
  }
}

/**
 * The iterated hash of one party. SHA-512 comes from @noble/hashes rather than WebCrypto here:
 * 5,200 chained digests of ~100 bytes are latency-bound, and one async WebCrypto call per digest
 * costs far more than the hashing itself.
 */
function partyHash(party: FingerprintParty, iterations: number): Uint8Array {
  const key = party.key;
  let hash = sha512(concatBytes(new Uint8Array(2), key, party.id, key));
  const buf = new Uint8Array(64 + key.length);
  buf.set(key, 64);
  for (let i = 1; i < iterations; i++) {
    buf.set(hash, 0);
    hash = sha512(buf);
  }
  return hash;
}

async function yieldToEventLoop(): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function displayHalf(hash: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < 30; offset += 5) {
    let n = 0;
    // 5 bytes = 40 bits: exact in a double.
    for (let i = 0; i < 5; i++) n = n * 256 + hash[offset + i]!;
    out += String(n % 100_000).padStart(5, '0');
  }
  return out;
}

/** The 60-digit safety number (no spaces); the same on both sides. */
export async function safetyNumber(
  local: FingerprintParty,
  remote: FingerprintParty,
  iterations: number = FINGERPRINT_ITERATIONS,
): Promise<string> {
  checkParty(local, 'local');
  checkParty(remote, 'remote');
  checkIterations(iterations);
  const l = displayHalf(partyHash(local, iterations));
  await yieldToEventLoop(); // two ~40 ms computations: let the page breathe between them
  const r = displayHalf(partyHash(remote, iterations));
  return l < r ? l + r : r + l;
}

/** The safety number as 12 groups of 5 digits, for display. */
export function formatSafetyNumber(digits: string): string[] {
  if (!/^\d{60}$/.test(digits)) throw new CryptoError('BAD_ARGUMENT', 'digits must be 60 decimal digits.');
  return digits.match(/\d{5}/g)!;
}

function encodeCombined(version: number, local: Uint8Array, remote: Uint8Array): Uint8Array {
  // Hand-rolled protobuf with fixed sizes: field 1 varint (version < 128), fields 2 and 3 as
  // length-delimited LogicalFingerprint { bytes content = 1 } of 32 bytes each.
  return concatBytes(
    Uint8Array.of(0x08, version),
    Uint8Array.of(0x12, 0x22, 0x0a, 0x20),
    local,
    Uint8Array.of(0x1a, 0x22, 0x0a, 0x20),
    remote,
  );
}

/** The 74-byte QR payload: CombinedFingerprints with our hash as local and theirs as remote. */
export async function scannableFingerprint(
  version: number,
  local: FingerprintParty,
  remote: FingerprintParty,
  iterations: number = FINGERPRINT_ITERATIONS,
): Promise<Uint8Array> {
  if (!Number.isInteger(version) || version < 0 || version > 127) {
    throw new CryptoError('BAD_ARGUMENT', 'version must be an integer from 0 to 127.');
  }
  checkParty(local, 'local');
  checkParty(remote, 'remote');
  checkIterations(iterations);
  const l = partyHash(local, iterations).subarray(0, FINGERPRINT_CONTENT_LENGTH);
  await yieldToEventLoop();
  const r = partyHash(remote, iterations).subarray(0, FINGERPRINT_CONTENT_LENGTH);
  return encodeCombined(version, l, r);
}

interface Combined {
  version: number;
  local: Uint8Array;
  remote: Uint8Array;
}

function invalid(): CryptoError {
  return new CryptoError(
    'FINGERPRINT_INVALID',
    'The scanned code is not a SecMsg or Signal safety-number code.',
  );
}

/**
 * Parses CombinedFingerprints strictly enough for our codes and libsignal's: fields 1, 2, 3 in
 * any order, each at most once, contents of exactly 32 bytes, nothing else.
 */
function decodeCombined(bytes: Uint8Array): Combined {
  let version: number | undefined;
  let local: Uint8Array | undefined;
  let remote: Uint8Array | undefined;
  let i = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= bytes.length) throw invalid();
      const b = bytes[i++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw invalid();
  };
  const readLogical = (): Uint8Array => {
    const len = readVarint();
    if (len > bytes.length - i) throw invalid();
    const inner = bytes.subarray(i, i + len);
    i += len;
    // LogicalFingerprint { bytes content = 1; }
    if (
      inner.length !== 2 + FINGERPRINT_CONTENT_LENGTH ||
      inner[0] !== 0x0a ||
      inner[1] !== FINGERPRINT_CONTENT_LENGTH
    ) {
      throw invalid();
    }
    return inner.subarray(2);
  };
  while (i < bytes.length) {
    const tag = readVarint();
    if (tag === 0x08 && version === undefined) version = readVarint();
    else if (tag === 0x12 && local === undefined) local = readLogical();
    else if (tag === 0x1a && remote === undefined) remote = readLogical();
    else throw invalid();
  }
  if (version === undefined || local === undefined || remote === undefined) throw invalid();
  return { version, local, remote };
}

/**
 * True when `scanned` (the other device's QR) matches `ours`: their local is our remote and
 * their remote is our local, compared in constant time. Throws
 * `CryptoError('FINGERPRINT_VERSION_MISMATCH')` when the versions differ and
 * `CryptoError('FINGERPRINT_INVALID')` when either code cannot be parsed.
 */
export function compareScannable(ours: Uint8Array, scanned: Uint8Array): boolean {
  assertBytes(ours, 'ours');
  assertBytes(scanned, 'scanned');
  const mine = decodeCombined(ours);
  const theirs = decodeCombined(scanned);
  if (theirs.version !== mine.version) {
    throw new CryptoError(
      'FINGERPRINT_VERSION_MISMATCH',
      theirs.version > mine.version
        ? 'The scanned safety-number code is from a newer version of the app; update to compare.'
        : 'The scanned safety-number code is from an older version of the app; ask the other person to update.',
    );
  }
  const same1 = constantTimeEqual(theirs.local, mine.remote);
  const same2 = constantTimeEqual(theirs.remote, mine.local);
  return same1 && same2;
}
