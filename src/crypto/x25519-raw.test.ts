/**
 * X25519 over raw private keys, on both backends: agreement, the public key against an independent
 * implementation (node:crypto, OpenSSL), Wycheproof x25519_test.json (test-vectors/SOURCES.md), the
 * two backends against each other, the PKCS#8 reader, and the refusals RFC 7748 §5 and §6.1 call
 * for.
 *
 * Policy for Wycheproof results, the same on 'webcrypto' and 'noble' (stricter than x25519.ts,
 * because a ratchet key is read off the wire):
 * - a public key that is not the canonical encoding (bit 255 set, or u ≥ p) → BAD_PUBLIC_KEY,
 *   whatever the file expects (RFC 7748 §5 would mask and reduce it; this module refuses aliases);
 * - an expected shared secret of all zeros (low-order points) → BAD_PUBLIC_KEY (RFC 7748 §6.1);
 * - every other case, 'valid' or 'acceptable' (points on the twist, other special keys) → the
 *   expected shared secret; 'invalid' → a CryptoError (the file has none).
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type XdhCase, parseWycheproofXdh } from '../../test-vectors/load';
import x25519Json from '../../test-vectors/wycheproof_x25519_test.json';
import { concatBytes, fromHex, isAllZero, toHex } from './bytes';
import { CryptoError } from './errors';
import { isCanonicalX25519PublicKey } from './x25519-public-key';
import {
  type RawX25519Backend,
  generateRawX25519KeyPair,
  isLowOrderX25519PublicKey,
  rawX25519Backend,
  rawX25519PublicKey,
  rawX25519SharedSecret,
  x25519PrivateKeyFromPkcs8,
} from './x25519-raw';

const backends = ['webcrypto', 'noble'] as const satisfies readonly RawX25519Backend[];

// RFC 8410 §7 PrivateKeyInfo / SubjectPublicKeyInfo prefixes for X25519 (OID 1.3.101.110).
const PKCS8_PREFIX = fromHex('302e020100300506032b656e04220420');
const SPKI_PREFIX = fromHex('302a300506032b656e032100');

function nodeX25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const priv = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const pub = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
}

function nodePublicKey(privateKey: Uint8Array): Uint8Array {
  const priv = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return CryptoError.is(e) ? e.code : `not a CryptoError: ${String(e)}`;
  }
  return 'accepted';
}

const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(fromHex);

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('raw X25519: the backend', () => {
  // Breaks if the probe settles on noble where WebCrypto has X25519 (Node 24 has it).
  it('is WebCrypto in Node 24, and the default key pairs come from it', async () => {
    expect(await rawX25519Backend()).toBe('webcrypto');
    const spy = vi.spyOn(globalThis.crypto.subtle, 'generateKey');
    try {
      const pair = await generateRawX25519KeyPair();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(pair.publicKey).toEqual(nodePublicKey(pair.privateKey));
    } finally {
      spy.mockRestore();
    }
  });

  // Breaks if a platform without X25519 in WebCrypto is not sent to noble (or fails outright).
  it('falls back to noble where WebCrypto has no X25519', async () => {
    vi.resetModules();
    const spy = vi
      .spyOn(globalThis.crypto.subtle, 'generateKey')
      .mockRejectedValue(new DOMException('Unrecognized name.', 'NotSupportedError'));
    try {
      const fresh = await import('./x25519-raw');
      expect(await fresh.rawX25519Backend()).toBe('noble');
      const a = await fresh.generateRawX25519KeyPair();
      const b = await fresh.generateRawX25519KeyPair();
      expect(a.publicKey).toEqual(nodePublicKey(a.privateKey));
      expect(await fresh.rawX25519SharedSecret(a.privateKey, b.publicKey)).toEqual(
        nodeX25519(a.privateKey, b.publicKey),
      );
    } finally {
      spy.mockRestore();
      vi.resetModules();
    }
  });

  // Breaks if either backend computes anything but the other's function, for any keys.
  it('WebCrypto and noble give identical public keys and shared secrets (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(key32, key32, async (a, b) => {
        const publicA = await rawX25519PublicKey(a, 'webcrypto');
        expect(await rawX25519PublicKey(a, 'noble')).toEqual(publicA);
        const publicB = await rawX25519PublicKey(b, 'noble');
        const shared = await rawX25519SharedSecret(a, publicB, 'webcrypto');
        expect(await rawX25519SharedSecret(a, publicB, 'noble')).toEqual(shared);
        expect(await rawX25519SharedSecret(b, publicA, 'webcrypto')).toEqual(shared);
      }),
      { numRuns: 60 },
    );
    // And pairs drawn by each backend are usable by the other.
    for (let i = 0; i < 8; i++) {
      const w = await generateRawX25519KeyPair('webcrypto');
      const n = await generateRawX25519KeyPair('noble');
      expect(await rawX25519PublicKey(w.privateKey, 'noble')).toEqual(w.publicKey);
      expect(await rawX25519PublicKey(n.privateKey, 'webcrypto')).toEqual(n.publicKey);
      expect(await rawX25519SharedSecret(w.privateKey, n.publicKey, 'noble')).toEqual(
        await rawX25519SharedSecret(n.privateKey, w.publicKey, 'webcrypto'),
      );
    }
  });
});

describe('raw X25519: the PKCS#8 reader (RFC 5958 §2, RFC 8410 §7)', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  /** A DER element with a short-form length. */
  const tlv = (tag: number, ...content: (number[] | Uint8Array)[]): Uint8Array => {
    const body = concatBytes(...content.map((c) => Uint8Array.from(c)));
    return concatBytes(Uint8Array.of(tag, body.length), body);
  };
  const oid = [0x06, 0x03, 0x2b, 0x65, 0x6e];
  const build = (o: {
    version?: number;
    algorithm?: number[];
    key?: Uint8Array;
    after?: Uint8Array;
  }): Uint8Array =>
    tlv(
      0x30,
      tlv(0x02, [o.version ?? 0]),
      tlv(0x30, o.algorithm ?? oid),
      tlv(0x04, tlv(0x04, o.key ?? key)),
      o.after ?? new Uint8Array(0),
    );

  // Breaks if the reader takes bytes from a structure that is not an X25519 PKCS#8 key.
  it('reads the forms RFC 8410 allows and refuses everything else', () => {
    expect(build({})).toEqual(concatBytes(PKCS8_PREFIX, key));
    expect(x25519PrivateKeyFromPkcs8(build({}))).toEqual(key);
    const publicKey = tlv(0x81, [0x00], key);
    const attributes = tlv(0xa0, tlv(0x30, [0x06, 0x01, 0x00], tlv(0x31, [0x05, 0x00])));
    expect(x25519PrivateKeyFromPkcs8(build({ version: 1, after: publicKey }))).toEqual(key);
    expect(x25519PrivateKeyFromPkcs8(build({ after: attributes }))).toEqual(key);
    expect(
      x25519PrivateKeyFromPkcs8(build({ version: 1, after: concatBytes(attributes, publicKey) })),
    ).toEqual(key);
    // node:crypto's encoding of a key it drew.
    const fromNode = new Uint8Array(
      createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, key]), format: 'der', type: 'pkcs8' }).export({
        format: 'der',
        type: 'pkcs8',
      }),
    );
    expect(x25519PrivateKeyFromPkcs8(fromNode)).toEqual(key);

    const refused: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['Ed25519 (1.3.101.112)', build({ algorithm: [0x06, 0x03, 0x2b, 0x65, 0x70] })],
      ['X448 (1.3.101.111)', build({ algorithm: [0x06, 0x03, 0x2b, 0x65, 0x6f] })],
      ['parameters present', build({ algorithm: [...oid, 0x05, 0x00] })],
      ['version 2', build({ version: 2 })],
      ['a 31-byte key', build({ key: key.subarray(1) })],
      ['a 33-byte key', build({ key: concatBytes(key, Uint8Array.of(0)) })],
      ['the key not wrapped twice', tlv(0x30, tlv(0x02, [0]), tlv(0x30, oid), tlv(0x04, key))],
      ['a public key in version 0', build({ after: publicKey })],
      [
        'a public key before the attributes',
        build({ version: 1, after: concatBytes(publicKey, attributes) }),
      ],
      ['trailing bytes inside', build({ after: Uint8Array.of(0x05, 0x00) })],
      ['trailing bytes outside', concatBytes(build({}), Uint8Array.of(0))],
      ['cut short', build({}).subarray(0, 47)],
      [
        'a long-form length that DER forbids',
        concatBytes(Uint8Array.of(0x30, 0x81, 0x2e), build({}).subarray(2)),
      ],
    ];
    for (const [name, der] of refused) expect(x25519PrivateKeyFromPkcs8(der), name).toBeNull();
  });
});

describe('raw X25519 Wycheproof x25519_test.json', () => {
  const vectors = parseWycheproofXdh(x25519Json);
  const cases = vectors.testGroups.flatMap((g) => g.tests);
  const expectation = (t: XdhCase): 'shared' | 'BAD_PUBLIC_KEY' | 'throws' => {
    if (t.result === 'invalid') return 'throws';
    if (!isCanonicalX25519PublicKey(t.public) || isAllZero(t.shared)) return 'BAD_PUBLIC_KEY';
    return 'shared';
  };

  it('covers shared secrets, non-canonical and low-order keys', () => {
    expect(cases).toHaveLength(vectors.numberOfTests);
    const count = (e: string): number => cases.filter((t) => expectation(t) === e).length;
    expect(count('shared')).toBeGreaterThan(100);
    expect(count('BAD_PUBLIC_KEY')).toBeGreaterThan(10);
    expect(cases.filter((t) => !isCanonicalX25519PublicKey(t.public)).length).toBeGreaterThan(0);
  });

  // Breaks if a backend computes a wrong secret, or accepts a key the policy above refuses.
  it.each(backends)('every case on %s', async (backend) => {
    for (const t of cases) {
      const name = `tcId ${t.tcId} ${t.comment}`;
      const shared = rawX25519SharedSecret(t.private, t.public, backend);
      const expected = expectation(t);
      if (expected === 'shared') expect(await shared, name).toEqual(t.shared);
      else if (expected === 'BAD_PUBLIC_KEY') expect(await refusal(shared), name).toBe('BAD_PUBLIC_KEY');
      else expect(await refusal(shared), name).not.toBe('accepted');
    }
  });

  // Breaks if the public key of a private key differs between the backends or from OpenSSL.
  it.each(backends)('the public key of every private key in the file on %s', async (backend) => {
    const privates = [...new Map(cases.map((t) => [toHex(t.private), t.private])).values()];
    for (const priv of privates) expect(await rawX25519PublicKey(priv, backend)).toEqual(nodePublicKey(priv));
  });
});

describe.each(backends)('raw X25519 on %s', (backend) => {
  it('two fresh key pairs agree, and agree with node:crypto', async () => {
    for (let i = 0; i < 8; i++) {
      const a = await generateRawX25519KeyPair(backend);
      const b = await generateRawX25519KeyPair(backend);
      expect(a.privateKey).toHaveLength(32);
      expect(a.publicKey).toEqual(nodePublicKey(a.privateKey));
      expect(await rawX25519PublicKey(a.privateKey, backend)).toEqual(a.publicKey);
      const ab = await rawX25519SharedSecret(a.privateKey, b.publicKey, backend);
      expect(await rawX25519SharedSecret(b.privateKey, a.publicKey, backend)).toEqual(ab);
      expect(ab).toEqual(nodeX25519(a.privateKey, b.publicKey));
      expect(isLowOrderX25519PublicKey(a.publicKey)).toBe(false);
    }
  });

  it('matches node:crypto for any private key (fast-check)', async () => {
    const peer = await generateRawX25519KeyPair(backend);
    await fc.assert(
      fc.asyncProperty(key32, async (sk) => {
        expect(await rawX25519PublicKey(sk, backend)).toEqual(nodePublicKey(sk));
        expect(await rawX25519SharedSecret(sk, peer.publicKey, backend)).toEqual(
          nodeX25519(sk, peer.publicKey),
        );
      }),
      { numRuns: 25 },
    );
  });

  it('returns bytes on their own buffers (safe to structured-clone into storage)', async () => {
    const a = await generateRawX25519KeyPair(backend);
    const s = await rawX25519SharedSecret(a.privateKey, a.publicKey, backend);
    for (const bytes of [a.publicKey, a.privateKey, s]) {
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
    }
  });

  it('refuses every low-order point (OpenSSL refuses them too) and flags them for decoders', async () => {
    const a = await generateRawX25519KeyPair(backend);
    for (const point of LOW_ORDER) {
      expect(() => nodeX25519(a.privateKey, point)).toThrow();
      expect(isLowOrderX25519PublicKey(point)).toBe(true);
      expect(await refusal(rawX25519SharedSecret(a.privateKey, point, backend))).toBe('BAD_PUBLIC_KEY');
    }
  });

  it('refuses non-canonical peer keys, which RFC 7748 would otherwise accept as aliases', async () => {
    const a = await generateRawX25519KeyPair(backend);
    const b = await generateRawX25519KeyPair(backend);
    const highBit = b.publicKey.slice();
    highBit[31]! |= 0x80; // the same point as b.publicKey once bit 255 is masked
    expect(nodeX25519(a.privateKey, highBit)).toEqual(nodeX25519(a.privateKey, b.publicKey));
    expect(await refusal(rawX25519SharedSecret(a.privateKey, highBit, backend))).toBe('BAD_PUBLIC_KEY');
    // u = p + 2 ≡ 2 (mod p): a valid point's non-canonical encoding.
    const pPlus2 = fromHex('efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    expect(await refusal(rawX25519SharedSecret(a.privateKey, pPlus2, backend))).toBe('BAD_PUBLIC_KEY');
  });

  it('names the argument when a length is wrong', async () => {
    const a = await generateRawX25519KeyPair(backend);
    await expect(rawX25519SharedSecret(a.privateKey.subarray(1), a.publicKey, backend)).rejects.toThrow(
      /privateKey/,
    );
    await expect(rawX25519SharedSecret(a.privateKey, new Uint8Array(33), backend)).rejects.toThrow(
      /peerPublicKey/,
    );
    await expect(rawX25519PublicKey(new Uint8Array(31), backend)).rejects.toThrow(/privateKey/);
  });
});
