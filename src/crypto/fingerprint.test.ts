/**
 * Safety numbers against libsignal's fingerprint test module (test-vectors/libsignal-fingerprint.json,
 * see SOURCES.md), plus libsignal's matching / mismatching tests on random keys and the parsing of
 * scanned codes. Random-key cases use 2 iterations to stay fast; the vectors use libsignal's 5,200.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLibsignalFingerprint } from '../../test-vectors/load';
import fingerprintJson from '../../test-vectors/libsignal-fingerprint.json';
import { concatBytes, toHex } from './bytes';
import { CryptoError } from './errors';
import {
  FINGERPRINT_ITERATIONS,
  type FingerprintParty,
  SCANNABLE_FINGERPRINT_LENGTH,
  SCANNABLE_FINGERPRINT_VERSION,
  compareScannable,
  formatSafetyNumber,
  identityKeyBytes,
  safetyNumber,
  scannableFingerprint,
} from './fingerprint';

const v = parseLibsignalFingerprint(fingerprintJson);
const alice: FingerprintParty = { id: v.aliceStableIdBytes, key: v.aliceIdentity };
const bob: FingerprintParty = { id: v.bobStableIdBytes, key: v.bobIdentity };
const scannables = {
  1: { alice: v.aliceScannableV1, bob: v.bobScannableV1 },
  2: { alice: v.aliceScannableV2, bob: v.bobScannableV2 },
} as const;

/** Few iterations for random keys: the hash chain is covered by the 5,200-iteration vectors. */
const FAST = 2;

const isCode = (code: CryptoError['code']) => (e: unknown) => CryptoError.is(e, code);
const throwsCode = (f: () => unknown, code: CryptoError['code']): void => {
  let thrown: unknown = undefined;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(CryptoError.is(thrown, code), `expected CryptoError ${code}, got ${String(thrown)}`).toBe(true);
};

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const filled = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte);
/** A CombinedFingerprints built by hand, the layout libsignal's `fingerprint_encodings` expects. */
const combined = (version: number, local: Uint8Array, remote: Uint8Array): Uint8Array =>
  concatBytes(
    Uint8Array.of(0x08, version, 0x12, 0x22, 0x0a, 0x20),
    local,
    Uint8Array.of(0x1a, 0x22, 0x0a, 0x20),
    remote,
  );

const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 });
const stableId = fc.uint8Array({ minLength: 1, maxLength: 24 });

describe('libsignal fingerprint vectors', () => {
  it('reads the vectors', () => {
    expect(v.iterations).toBe(FINGERPRINT_ITERATIONS);
    expect(v.aliceStableId).toBe('+14152222222');
    expect(identityKeyBytes(v.aliceIdentity.subarray(1))).toEqual(v.aliceIdentity);
    expect(identityKeyBytes(v.bobIdentity.subarray(1))).toEqual(v.bobIdentity);
  });

  it('gives the displayable fingerprint from both sides', async () => {
    expect(await safetyNumber(alice, bob, v.iterations)).toBe(v.displayable);
    expect(await safetyNumber(bob, alice, v.iterations)).toBe(v.displayable);
  });

  it('uses 5,200 iterations by default', async () => {
    expect(await safetyNumber(alice, bob)).toBe(v.displayable);
    expect(toHex(await scannableFingerprint(SCANNABLE_FINGERPRINT_VERSION, alice, bob))).toBe(
      toHex(v.aliceScannableV2),
    );
  });

  it.each([1, 2] as const)('gives the version %i scannable fingerprints from both sides', async (version) => {
    const a = await scannableFingerprint(version, alice, bob, v.iterations);
    const b = await scannableFingerprint(version, bob, alice, v.iterations);
    expect(toHex(a)).toBe(toHex(scannables[version].alice));
    expect(toHex(b)).toBe(toHex(scannables[version].bob));
    expect(a).toHaveLength(SCANNABLE_FINGERPRINT_LENGTH);
  });

  it.each([1, 2] as const)('matches the version %i codes both ways, and not its own', (version) => {
    const { alice: a, bob: b } = scannables[version];
    expect(compareScannable(a, b)).toBe(true);
    expect(compareScannable(b, a)).toBe(true);
    expect(compareScannable(a, a)).toBe(false);
    expect(compareScannable(b, b)).toBe(false);
  });

  it('throws FINGERPRINT_VERSION_MISMATCH between a version 1 and a version 2 code', () => {
    throwsCode(() => compareScannable(v.aliceScannableV2, v.bobScannableV1), 'FINGERPRINT_VERSION_MISMATCH');
    throwsCode(() => compareScannable(v.aliceScannableV1, v.bobScannableV2), 'FINGERPRINT_VERSION_MISMATCH');
  });
});

describe('scannable encoding (libsignal fingerprint_encodings)', () => {
  const local = filled(32, 0x12);
  const remote = filled(32, 0xba);
  const expected = '080212220a20' + '12'.repeat(32) + '1a220a20' + 'ba'.repeat(32);

  // scannableFingerprint hashes its inputs, so the raw layout is checked on a hand-built code and
  // on the vectors' framing.
  it('is the 74-byte CombinedFingerprints libsignal expects', () => {
    const code = combined(2, local, remote);
    expect(toHex(code)).toBe(expected);
    expect(code).toHaveLength(SCANNABLE_FINGERPRINT_LENGTH);
    expect(compareScannable(code, combined(2, remote, local))).toBe(true);
    expect(compareScannable(code, hexBytes(expected))).toBe(false);
  });

  it('has that framing in the vectors, with each side holding the other’s hash', () => {
    for (const [version, { alice: a, bob: b }] of [
      [1, scannables[1]],
      [2, scannables[2]],
    ] as const) {
      for (const code of [a, b]) {
        expect(toHex(code.subarray(0, 6))).toBe(`080${version}12220a20`);
        expect(toHex(code.subarray(38, 42))).toBe('1a220a20');
      }
      expect(a.subarray(6, 38)).toEqual(b.subarray(42, 74));
      expect(a.subarray(42, 74)).toEqual(b.subarray(6, 38));
    }
  });
});

describe('safety numbers on random keys', () => {
  it('agree on both sides, and the codes match both ways but not themselves', async () => {
    await fc.assert(
      fc.asyncProperty(publicKey, publicKey, stableId, stableId, async (ak, bk, aid, bid) => {
        const a = { id: aid, key: identityKeyBytes(ak) };
        const b = { id: bid, key: identityKeyBytes(bk) };
        const display = await safetyNumber(a, b, FAST);
        expect(display).toMatch(/^\d{60}$/);
        expect(await safetyNumber(b, a, FAST)).toBe(display);
        const aCode = await scannableFingerprint(2, a, b, FAST);
        const bCode = await scannableFingerprint(2, b, a, FAST);
        expect(aCode).toHaveLength(SCANNABLE_FINGERPRINT_LENGTH);
        expect(compareScannable(aCode, bCode)).toBe(true);
        expect(compareScannable(bCode, aCode)).toBe(true);
        expect(compareScannable(aCode, aCode)).toBe(false);
        expect(compareScannable(bCode, bCode)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('differ when someone in the middle substitutes a key (libsignal mismatching_fingerprints)', async () => {
    await fc.assert(
      fc.asyncProperty(publicKey, publicKey, publicKey, async (ak, bk, mk) => {
        fc.pre(toHex(mk) !== toHex(bk));
        const a = { id: v.aliceStableIdBytes, key: identityKeyBytes(ak) };
        const b = { id: v.bobStableIdBytes, key: identityKeyBytes(bk) };
        const m = { id: v.bobStableIdBytes, key: identityKeyBytes(mk) };
        // Alice sees the attacker's key as Bob's; Bob sees Alice's real key.
        expect(await safetyNumber(a, m, FAST)).not.toBe(await safetyNumber(b, a, FAST));
        const aCode = await scannableFingerprint(2, a, m, FAST);
        const bCode = await scannableFingerprint(2, b, a, FAST);
        expect(compareScannable(aCode, bCode)).toBe(false);
        expect(compareScannable(bCode, aCode)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('differ when a stable id differs (libsignal mismatching_identifiers)', async () => {
    const a = { id: new TextEncoder().encode('+141512222222'), key: v.aliceIdentity };
    const aSeenByBob = { id: v.aliceStableIdBytes, key: v.aliceIdentity };
    expect(await safetyNumber(a, bob, FAST)).not.toBe(await safetyNumber(bob, aSeenByBob, FAST));
    const aCode = await scannableFingerprint(2, a, bob, FAST);
    const bCode = await scannableFingerprint(2, bob, aSeenByBob, FAST);
    expect(compareScannable(aCode, bCode)).toBe(false);
    expect(compareScannable(bCode, aCode)).toBe(false);
  });

  it('keep the display and change the code between versions (libsignal mismatching_versions)', async () => {
    const c1 = await scannableFingerprint(1, alice, bob, FAST);
    const c2 = await scannableFingerprint(2, alice, bob, FAST);
    expect(toHex(c1)).not.toBe(toHex(c2));
    expect(c1.subarray(2)).toEqual(c2.subarray(2));
  });
});

describe('compareScannable on damaged codes', () => {
  const ours = v.aliceScannableV2;
  const theirs = v.bobScannableV2;
  const contentAt = (i: number) => (i >= 6 && i < 38) || (i >= 42 && i < 74);

  /** What compareScannable did: its boolean, or the code of the CryptoError it threw. */
  const outcome = (mine: Uint8Array, scanned: Uint8Array): boolean | string => {
    try {
      return compareScannable(mine, scanned);
    } catch (e) {
      return CryptoError.is(e) ? e.code : String(e);
    }
  };

  it('rejects a flipped content byte (false) and a flipped framing byte (throws), every byte and mask', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (let i = 0; i < theirs.length; i++) {
      for (let mask = 1; mask < 256; mask++) {
        for (const [mine, scanned] of [
          [ours, theirs],
          [theirs, ours],
        ] as const) {
          const damaged = scanned.slice();
          damaged[i]! ^= mask;
          // The version byte can become another valid version; anything else in the framing breaks it.
          const expected = contentAt(i)
            ? false
            : i === 1 && (damaged[1]! & 0x80) === 0
              ? 'FINGERPRINT_VERSION_MISMATCH'
              : 'FINGERPRINT_INVALID';
          // Damaged as the scanned code, and as our own.
          for (const got of [outcome(mine, damaged), outcome(damaged, mine)]) {
            if (got !== expected) wrong.push(`byte ${i} ^ 0x${mask.toString(16)}: ${String(got)}`);
            checked++;
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(74 * 255 * 4);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['garbage text', new TextEncoder().encode('https://example.com/not-a-safety-number')],
    ['a lone version field', Uint8Array.of(0x08, 0x02)],
    ['truncated by one byte', theirs.subarray(0, 73)],
    ['truncated to its header', theirs.subarray(0, 6)],
    ['truncated inside the remote field', theirs.subarray(0, 50)],
    ['an extra field', concatBytes(theirs, Uint8Array.of(0x20, 0x01))],
    ['a repeated version field', concatBytes(theirs, Uint8Array.of(0x08, 0x02))],
    ['a trailing byte', concatBytes(theirs, Uint8Array.of(0x00))],
    [
      '31-byte contents',
      concatBytes(
        Uint8Array.of(0x08, 0x02, 0x12, 0x21, 0x0a, 0x1f),
        theirs.subarray(6, 37),
        Uint8Array.of(0x1a, 0x21, 0x0a, 0x1f),
        theirs.subarray(42, 73),
      ),
    ],
    ['33-byte contents', combined(2, filled(32, 1), filled(32, 2)).with(3, 0x23).with(5, 0x21)],
    ['no remote field', theirs.subarray(0, 38)],
    ['a varint that never ends', Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
  ])('throws FINGERPRINT_INVALID on %s', (_, bad) => {
    throwsCode(() => compareScannable(ours, bad), 'FINGERPRINT_INVALID');
    throwsCode(() => compareScannable(bad, ours), 'FINGERPRINT_INVALID');
  });

  it('accepts the fields in another order, as protobuf allows', () => {
    const reordered = concatBytes(theirs.subarray(38, 74), theirs.subarray(2, 38), theirs.subarray(0, 2));
    expect(compareScannable(ours, reordered)).toBe(true);
  });

  it('only returns a boolean or throws a CryptoError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          expect(typeof compareScannable(ours, bytes)).toBe('boolean');
        } catch (e) {
          expect(CryptoError.is(e), String(e)).toBe(true);
        }
      }),
    );
  });
});

describe('argument checks', () => {
  const key32 = v.aliceIdentity.subarray(1);
  const badParties: [string, FingerprintParty][] = [
    ['a 32-byte key', { id: v.aliceStableIdBytes, key: key32 }],
    ['a 34-byte key', { id: v.aliceStableIdBytes, key: concatBytes(v.aliceIdentity, Uint8Array.of(0)) }],
    ['a key without the 0x05 type byte', { id: v.aliceStableIdBytes, key: v.aliceIdentity.with(0, 0x06) }],
  ];

  it.each(badParties)('refuses %s with BAD_ARGUMENT', async (_, party) => {
    for (const [l, r] of [
      [party, bob],
      [bob, party],
    ] as const) {
      await expect(safetyNumber(l, r, FAST)).rejects.toSatisfy(isCode('BAD_ARGUMENT'));
      await expect(scannableFingerprint(2, l, r, FAST)).rejects.toSatisfy(isCode('BAD_ARGUMENT'));
    }
  });

  it.each([1, 0, 1_000_001, 2.5, Number.NaN])(
    'refuses %d iterations with BAD_ARGUMENT',
    async (iterations) => {
      await expect(safetyNumber(alice, bob, iterations)).rejects.toSatisfy(isCode('BAD_ARGUMENT'));
      await expect(scannableFingerprint(2, alice, bob, iterations)).rejects.toSatisfy(isCode('BAD_ARGUMENT'));
    },
  );

  it.each([-1, 128, 1.5])('refuses scannable version %d with BAD_ARGUMENT', async (version) => {
    await expect(scannableFingerprint(version, alice, bob, FAST)).rejects.toSatisfy(isCode('BAD_ARGUMENT'));
  });

  it('identityKeyBytes wants a 32-byte key and prefixes 0x05', () => {
    expect(identityKeyBytes(filled(32, 7))).toEqual(concatBytes(Uint8Array.of(0x05), filled(32, 7)));
    throwsCode(() => identityKeyBytes(filled(31, 7)), 'BAD_ARGUMENT');
    throwsCode(() => identityKeyBytes(v.aliceIdentity), 'BAD_ARGUMENT');
  });
});

describe('formatSafetyNumber', () => {
  it('gives 12 groups of 5 digits', () => {
    const groups = formatSafetyNumber(v.displayable);
    expect(groups).toHaveLength(12);
    for (const g of groups) expect(g).toMatch(/^\d{5}$/);
    expect(groups.join('')).toBe(v.displayable);
    expect(groups[0]).toBe('30035');
    expect(groups[11]).toBe('79131');
  });

  it.each([
    ['59 digits', v.displayable.slice(1)],
    ['61 digits', v.displayable + '0'],
    ['spaces', formatSafetyNumber(v.displayable).join(' ')],
    ['a letter', v.displayable.slice(0, 59) + 'a'],
    ['nothing', ''],
  ])('refuses %s with BAD_ARGUMENT', (_, digits) => {
    throwsCode(() => formatSafetyNumber(digits), 'BAD_ARGUMENT');
  });
});
