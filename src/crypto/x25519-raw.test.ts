/**
 * X25519 over raw private keys: agreement, the public key against an independent implementation
 * (node:crypto, OpenSSL), and the refusals RFC 7748 §5 and §6.1 call for.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from './bytes';
import { CryptoError } from './errors';
import {
  generateRawX25519KeyPair,
  isLowOrderX25519PublicKey,
  rawX25519PublicKey,
  rawX25519SharedSecret,
} from './x25519-raw';

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

describe('raw X25519', () => {
  it('two fresh key pairs agree, and agree with node:crypto', async () => {
    for (let i = 0; i < 8; i++) {
      const a = await generateRawX25519KeyPair();
      const b = await generateRawX25519KeyPair();
      expect(a.privateKey).toHaveLength(32);
      expect(a.publicKey).toEqual(nodePublicKey(a.privateKey));
      expect(await rawX25519PublicKey(a.privateKey)).toEqual(a.publicKey);
      const ab = await rawX25519SharedSecret(a.privateKey, b.publicKey);
      expect(await rawX25519SharedSecret(b.privateKey, a.publicKey)).toEqual(ab);
      expect(ab).toEqual(nodeX25519(a.privateKey, b.publicKey));
      expect(isLowOrderX25519PublicKey(a.publicKey)).toBe(false);
    }
  });

  it('matches node:crypto for any private key (fast-check)', async () => {
    const peer = await generateRawX25519KeyPair();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (sk) => {
        expect(await rawX25519PublicKey(sk)).toEqual(nodePublicKey(sk));
        expect(await rawX25519SharedSecret(sk, peer.publicKey)).toEqual(nodeX25519(sk, peer.publicKey));
      }),
      { numRuns: 25 },
    );
  });

  it('returns bytes on their own buffers (safe to structured-clone into storage)', async () => {
    const a = await generateRawX25519KeyPair();
    const s = await rawX25519SharedSecret(a.privateKey, a.publicKey);
    for (const bytes of [a.publicKey, a.privateKey, s])
      expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
  });

  it('refuses every low-order point (OpenSSL refuses them too) and flags them for decoders', async () => {
    const a = await generateRawX25519KeyPair();
    for (const point of LOW_ORDER) {
      expect(() => nodeX25519(a.privateKey, point)).toThrow();
      expect(isLowOrderX25519PublicKey(point)).toBe(true);
      expect(await refusal(rawX25519SharedSecret(a.privateKey, point))).toBe('BAD_PUBLIC_KEY');
    }
  });

  it('refuses non-canonical peer keys, which RFC 7748 would otherwise accept as aliases', async () => {
    const a = await generateRawX25519KeyPair();
    const b = await generateRawX25519KeyPair();
    const highBit = b.publicKey.slice();
    highBit[31]! |= 0x80; // the same point as b.publicKey once bit 255 is masked
    expect(nodeX25519(a.privateKey, highBit)).toEqual(nodeX25519(a.privateKey, b.publicKey));
    expect(await refusal(rawX25519SharedSecret(a.privateKey, highBit))).toBe('BAD_PUBLIC_KEY');
    // u = p + 2 ≡ 2 (mod p): a valid point's non-canonical encoding.
    const pPlus2 = fromHex('efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    expect(await refusal(rawX25519SharedSecret(a.privateKey, pPlus2))).toBe('BAD_PUBLIC_KEY');
  });

  it('names the argument when a length is wrong', async () => {
    const a = await generateRawX25519KeyPair();
    await expect(rawX25519SharedSecret(a.privateKey.subarray(1), a.publicKey)).rejects.toThrow(/privateKey/);
    await expect(rawX25519SharedSecret(a.privateKey, new Uint8Array(33))).rejects.toThrow(/peerPublicKey/);
    await expect(rawX25519PublicKey(new Uint8Array(31))).rejects.toThrow(/privateKey/);
  });
});
