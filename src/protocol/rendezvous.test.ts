import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWycheproofXdh } from '../../test-vectors/load';
import x25519Json from '../../test-vectors/wycheproof_x25519_test.json';
import { concatBytes, isAllZero, toBase64Url, toHex, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import {
  type X25519Backend,
  type X25519KeyPair,
  generateX25519KeyPair,
  x25519KeyPairFromPrivate,
} from '../crypto/x25519';
import { ProtocolError } from './errors';
import {
  RENDEZVOUS_CLOCK_SKEW_MS,
  RENDEZVOUS_DAY_MS,
  deriveRendezvous,
  rendezvousDays,
  needsRotation,
  rendezvousKeys,
  rendezvousPair,
  rotateRendezvous,
  rendezvousRoom,
} from './rendezvous';
import { isRoomId } from './signaling';

const backends = ['webcrypto', 'noble'] as const satisfies readonly X25519Backend[];

const NOON = Date.UTC(2025, 5, 15, 12); // 2025-06-15T12:00Z
const MIDNIGHT = Date.UTC(2025, 5, 16); // the next UTC midnight
const MINUTE = 60_000;

const wycheproof = parseWycheproofXdh(x25519Json).testGroups.flatMap((g) => g.tests);

/** Every low-order public key in Wycheproof x25519_test.json (those that give an all-zero secret). */
const lowOrderPublicKeys = [
  ...new Map(
    wycheproof
      .filter((t) => t.result !== 'invalid' && isAllZero(t.shared))
      .map((t) => [toHex(t.public), t.public]),
  ).values(),
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function rejectionCode(p: Promise<unknown>): Promise<string> {
  const e = await rejection(p);
  return ProtocolError.is(e) ? e.code : String(e);
}

/** Two key pairs, `first` the one whose public key sorts first. */
async function orderedPair(
  backend?: X25519Backend,
): Promise<{ first: X25519KeyPair; second: X25519KeyPair }> {
  const a = await generateX25519KeyPair(backend);
  const b = await generateX25519KeyPair(backend);
  return Buffer.compare(a.publicKey, b.publicKey) < 0 ? { first: a, second: b } : { first: b, second: a };
}

describe('deriveRendezvous', () => {
  it.each(backends)(
    'gives both sides the same room and key and complementary roles (%s)',
    async (backend) => {
      const { first, second } = await orderedPair(backend);
      const a = await deriveRendezvous(first, second.publicKey, NOON);
      const b = await deriveRendezvous(second, first.publicKey, NOON);
      expect(isRoomId(a.roomId)).toBe(true);
      expect(b.roomId).toBe(a.roomId);
      expect(a.cipher.roomId).toBe(a.roomId);
      expect(a.day).toBe(Math.floor(NOON / RENDEZVOUS_DAY_MS));
      expect(b.day).toBe(a.day);
      // The side whose key sorts first offers; exactly one side does.
      expect(a.offerer).toBe(true);
      expect(b.offerer).toBe(false);
      // Same key: what one seals the other opens, both ways.
      expect(await b.cipher.open(await a.cipher.seal({ type: 'offer', sdp: 'v=0' }))).toEqual({
        type: 'offer',
        sdp: 'v=0',
      });
      expect(await a.cipher.open(await b.cipher.seal({ type: 'answer', sdp: 'v=0' }))).toEqual({
        type: 'answer',
        sdp: 'v=0',
      });
    },
  );

  it('agrees across backends (WebCrypto on one device, noble on the other)', async () => {
    const web = await generateX25519KeyPair('webcrypto');
    const noble = await generateX25519KeyPair('noble');
    const a = await deriveRendezvous(web, noble.publicKey, NOON);
    const b = await deriveRendezvous(noble, web.publicKey, NOON);
    expect(b.roomId).toBe(a.roomId);
    expect(a.offerer).not.toBe(b.offerer);
  });

  it('gives a third device a different room, and its cipher opens nothing of the pair', async () => {
    const { first, second } = await orderedPair();
    const third = await generateX25519KeyPair();
    const pair = await deriveRendezvous(first, second.publicKey, NOON);
    const answerer = await deriveRendezvous(second, first.publicKey, NOON);
    const withFirst = await deriveRendezvous(third, first.publicKey, NOON);
    const withSecond = await deriveRendezvous(third, second.publicKey, NOON);
    const firstWithThird = await deriveRendezvous(first, third.publicKey, NOON);
    const ids = new Set([pair.roomId, withFirst.roomId, withSecond.roomId]);
    expect(ids.size).toBe(3);
    expect(firstWithThird.roomId).toBe(withFirst.roomId);
    const blob = await pair.cipher.seal({ type: 'offer' });
    for (const stranger of [withFirst, withSecond]) {
      expect(await rejectionCode(stranger.cipher.open(blob))).toBe('BAD_SIGNAL');
    }
    expect(await answerer.cipher.open(blob)).toEqual({ type: 'offer' });
  });

  it('refuses a blob reflected back to its sender, and a tampered one', async () => {
    const { first, second } = await orderedPair();
    const offerer = await deriveRendezvous(first, second.publicKey, NOON);
    const answerer = await deriveRendezvous(second, first.publicKey, NOON);
    const offer = await offerer.cipher.seal({ type: 'offer' });
    const answer = await answerer.cipher.seal({ type: 'answer' });
    expect(await rejectionCode(offerer.cipher.open(offer))).toBe('BAD_SIGNAL');
    expect(await rejectionCode(answerer.cipher.open(answer))).toBe('BAD_SIGNAL');
    const flipped = offer.slice(0, 20) + (offer[20] === 'A' ? 'B' : 'A') + offer.slice(21);
    expect(await rejectionCode(answerer.cipher.open(flipped))).toBe('BAD_SIGNAL');
    expect(await answerer.cipher.open(offer)).toEqual({ type: 'offer' });
  });

  it('is stable within a UTC day and changes at each UTC midnight, room and key', async () => {
    const { first, second } = await orderedPair();
    const at = async (t: number) => deriveRendezvous(first, second.publicKey, t);
    const startOfDay = MIDNIGHT - RENDEZVOUS_DAY_MS;
    const today = await at(NOON);
    for (const t of [startOfDay, NOON - 1, MIDNIGHT - 1]) {
      const r = await at(t);
      expect(r.roomId).toBe(today.roomId);
      expect(r.day).toBe(today.day);
    }
    const tomorrow = await at(MIDNIGHT);
    const yesterday = await at(startOfDay - 1);
    expect(tomorrow.day).toBe(today.day + 1);
    expect(yesterday.day).toBe(today.day - 1);
    expect(new Set([yesterday.roomId, today.roomId, tomorrow.roomId]).size).toBe(3);
    // Yesterday's blob does not open in today's room, even between the same two devices.
    const answererToday = await deriveRendezvous(second, first.publicKey, NOON);
    expect(await rejectionCode(answererToday.cipher.open(await yesterday.cipher.seal('old')))).toBe(
      'BAD_SIGNAL',
    );
    // Many days apart: all different.
    const ids = new Set<string>();
    for (let d = 0; d < 30; d++) ids.add((await at(NOON + d * RENDEZVOUS_DAY_MS)).roomId);
    expect(ids.size).toBe(30);
  });

  it('follows the derivation in the header, recomputed with @noble/hashes from RFC 7748 §6.1 keys', async () => {
    // Wycheproof tcId 102 is RFC 7748 §6.1: Alice's private key, Bob's public key, their secret.
    const ktv = wycheproof.find((t) => t.tcId === 102);
    if (!ktv) throw new Error('Wycheproof tcId 102 is missing.');
    const alice = await x25519KeyPairFromPrivate(ktv.private);
    const bob = ktv.public;
    const day = Math.floor(NOON / RENDEZVOUS_DAY_MS);
    const dayBytes = Uint8Array.of(day >>> 24, (day >>> 16) & 0xff, (day >>> 8) & 0xff, day & 0xff);
    const [lo, hi] =
      Buffer.compare(alice.publicKey, bob) < 0 ? [alice.publicKey, bob] : [bob, alice.publicKey];
    const salt = concatBytes(utf8('SecMsg/0.1 rendezvous'), lo, hi);
    expect(salt).toHaveLength(85);
    const secret = hkdf(sha256, ktv.shared, salt, utf8('SecMsg/0.1 rendezvous pair'), 32);
    const daySalt = utf8('SecMsg/0.1 rendezvous');
    const room = hkdf(sha256, secret, daySalt, concatBytes(utf8('SecMsg/0.1 rendezvous room'), dayBytes), 32);
    const key = hkdf(
      sha256,
      secret,
      daySalt,
      concatBytes(utf8('SecMsg/0.1 rendezvous signaling'), dayBytes),
      32,
    );
    const r = await deriveRendezvous(alice, bob, NOON);
    expect(r.roomId).toBe(toBase64Url(room));
    expect(r.offerer).toBe(lo === alice.publicKey);
    // A blob sealed by this side is AES-256-GCM under `key` with ad = roomId ‖ role byte.
    const blob = Buffer.from(await r.cipher.seal({ hello: 1 }), 'base64url');
    const aes = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
    const role = r.offerer ? 0x49 : 0x4a;
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: blob.subarray(0, 12),
        additionalData: concatBytes(utf8(r.roomId), Uint8Array.of(role)),
      },
      aes,
      blob.subarray(12),
    );
    expect(new TextDecoder().decode(plain)).toBe('{"hello":1}');
  });

  it('binds the exact key bytes: a non-canonical encoding of the same point meets nobody', async () => {
    // Setting the unused top bit gives the same X25519 secret (RFC 7748 §5) but another room.
    const { first, second } = await orderedPair('noble');
    const other = Uint8Array.from(second.publicKey);
    other[31]! |= 0x80;
    const canonical = await deriveRendezvous(first, second.publicKey, NOON);
    const masked = await deriveRendezvous(first, other, NOON);
    expect(masked.roomId).not.toBe(canonical.roomId);
  });

  it.each(backends)('refuses the all-zero key and every Wycheproof low-order point (%s)', async (backend) => {
    const me = await generateX25519KeyPair(backend);
    expect(lowOrderPublicKeys).toContainEqual(new Uint8Array(32));
    expect(lowOrderPublicKeys.length).toBeGreaterThan(5);
    for (const pub of lowOrderPublicKeys) {
      const e = await rejection(deriveRendezvous(me, pub, NOON));
      expect(ProtocolError.is(e, 'BAD_PUBLIC_KEY'), toHex(pub)).toBe(true);
      expect((e as Error).cause).toSatisfy((c: unknown) => CryptoError.is(c, 'BAD_PUBLIC_KEY'));
    }
  });

  it('refuses keys of the wrong length, its own key, and a bad time, with typed errors', async () => {
    const me = await generateX25519KeyPair();
    const them = await generateX25519KeyPair();
    for (const pub of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), new Uint8Array(64)]) {
      expect(await rejectionCode(deriveRendezvous(me, pub, NOON))).toBe('BAD_ARGUMENT');
    }
    expect(
      await rejectionCode(deriveRendezvous(me, [...them.publicKey] as unknown as Uint8Array, NOON)),
    ).toBe('BAD_ARGUMENT');
    const truncatedMe = { publicKey: me.publicKey.slice(0, 31), privateKey: me.privateKey };
    expect(await rejectionCode(deriveRendezvous(truncatedMe, them.publicKey, NOON))).toBe('BAD_ARGUMENT');
    expect(await rejectionCode(deriveRendezvous(me, me.publicKey.slice(), NOON))).toBe('OWN_KEY');
    for (const at of [Number.NaN, -1, Number.POSITIVE_INFINITY, 1e300]) {
      expect(await rejectionCode(deriveRendezvous(me, them.publicKey, at))).toBe('BAD_ARGUMENT');
    }
  });

  it('derives symmetrically for random key pairs and times (property)', async () => {
    const scalar = fc.uint8Array({ minLength: 32, maxLength: 32 });
    await fc.assert(
      fc.asyncProperty(
        scalar,
        scalar,
        fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }),
        fc.constantFrom(...backends),
        fc.constantFrom(...backends),
        async (pa, pb, at, ba, bb) => {
          const a = await x25519KeyPairFromPrivate(pa, ba);
          const b = await x25519KeyPairFromPrivate(pb, bb);
          fc.pre(Buffer.compare(a.publicKey, b.publicKey) !== 0);
          const ra = await deriveRendezvous(a, b.publicKey, at);
          const rb = await deriveRendezvous(b, a.publicKey, at);
          expect(rb.roomId).toBe(ra.roomId);
          expect(isRoomId(ra.roomId)).toBe(true);
          expect(ra.day).toBe(Math.floor(at / RENDEZVOUS_DAY_MS));
          expect(ra.offerer).toBe(Buffer.compare(a.publicKey, b.publicKey) < 0);
          expect(rb.offerer).toBe(!ra.offerer);
          expect(await rb.cipher.open(await ra.cipher.seal(at))).toBe(at);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('rendezvousPair and rendezvousRoom', () => {
  it('keeps meeting from the pair kept at pairing after one side starts a new identity key', async () => {
    const alice = await generateX25519KeyPair();
    const bob = await generateX25519KeyPair();
    const keptByAlice = await rendezvousPair(alice, bob.publicKey);
    const keptByBob = await rendezvousPair(bob, alice.publicKey);
    expect(keptByAlice.secret).toEqual(keptByBob.secret);
    expect(keptByAlice.offerer).toBe(!keptByBob.offerer);
    const bobsNewKey = await generateX25519KeyPair();
    // Bob's new key alone would lead elsewhere; the kept pair still meets Alice.
    expect((await deriveRendezvous(bobsNewKey, alice.publicKey, NOON)).roomId).not.toBe(
      (await rendezvousRoom(keptByAlice, NOON)).roomId,
    );
    const a = await rendezvousRoom(keptByAlice, NOON);
    const b = await rendezvousRoom(keptByBob, NOON);
    expect(a.roomId).toBe(b.roomId);
    expect(await b.cipher.open(await a.cipher.seal({ offer: 1 }))).toEqual({ offer: 1 });
    expect((await rendezvousRoom(keptByAlice, NOON + RENDEZVOUS_DAY_MS)).roomId).not.toBe(a.roomId);
  });

  it('binds the kept pair to the two keys, and notices when either changes', async () => {
    const alice = await generateX25519KeyPair();
    const bob = await generateX25519KeyPair();
    const kept = await rendezvousPair(alice, bob.publicKey);
    expect(kept.keys).toEqual(await rendezvousKeys(bob.publicKey, alice.publicKey));
    expect(await needsRotation(kept, alice, bob.publicKey)).toBe(false);
    const bobsNewKey = await generateX25519KeyPair();
    expect(await needsRotation(kept, alice, bobsNewKey.publicKey)).toBe(true);
    // A pair kept before binding existed (schema v2): bound exactly when it derives from these keys.
    const legacy = { secret: kept.secret, offerer: kept.offerer };
    expect(await needsRotation(legacy, alice, bob.publicKey)).toBe(false);
    expect(await needsRotation(legacy, alice, bobsNewKey.publicKey)).toBe(true);
  });

  it('rotates on both sides to the same new secret after an accepted key change, so an old-key holder derives nothing current', async () => {
    const alice = await generateX25519KeyPair();
    const bobOld = await generateX25519KeyPair();
    const keptByAlice = await rendezvousPair(alice, bobOld.publicKey);
    const keptByBob = await rendezvousPair(bobOld, alice.publicKey); // Bob keeps it across his reset
    const bobNew = await generateX25519KeyPair();
    // Bob rotates as soon as he meets Alice on his new key; Alice when she accepts it.
    expect(await needsRotation(keptByBob, bobNew, alice.publicKey)).toBe(true);
    const bobs = await rotateRendezvous(keptByBob, bobNew, alice.publicKey);
    const alices = await rotateRendezvous(keptByAlice, alice, bobNew.publicKey);
    expect(alices.secret).toEqual(bobs.secret);
    expect(alices.offerer).toBe(!bobs.offerer);
    expect(await needsRotation(alices, alice, bobNew.publicKey)).toBe(false);
    const [ra, rb] = [await rendezvousRoom(alices, NOON), await rendezvousRoom(bobs, NOON)];
    expect(ra.roomId).toBe(rb.roomId);
    expect(await rb.cipher.open(await ra.cipher.seal('hi'))).toBe('hi');

    // Whoever holds Bob's old private key (and even the old pair secret) computes only old rooms.
    const current = new Set([ra.roomId, toHex(alices.secret)]);
    const guesses = [
      await rendezvousPair(bobOld, alice.publicKey),
      keptByBob,
      await rotateRendezvous(keptByBob, bobOld, alice.publicKey),
    ];
    for (const g of guesses) {
      expect(current.has(toHex(g.secret))).toBe(false);
      for (const day of [NOON - RENDEZVOUS_DAY_MS, NOON, NOON + RENDEZVOUS_DAY_MS]) {
        expect(current.has((await rendezvousRoom(g, day)).roomId)).toBe(false);
      }
    }
  });

  it('refuses a secret that is not 32 bytes', async () => {
    await expect(
      rejectionCode(rendezvousRoom({ secret: new Uint8Array(31), offerer: true }, NOON)),
    ).resolves.toBe('BAD_ARGUMENT');
  });
});

describe('rendezvousDays', () => {
  const day = Math.floor(NOON / RENDEZVOUS_DAY_MS);

  it('is one day, today, away from midnight', () => {
    expect(rendezvousDays(NOON)).toEqual([day]);
    expect(rendezvousDays(MIDNIGHT - RENDEZVOUS_DAY_MS + RENDEZVOUS_CLOCK_SKEW_MS)).toEqual([day]);
    expect(rendezvousDays(MIDNIGHT - RENDEZVOUS_CLOCK_SKEW_MS - 1)).toEqual([day]);
  });

  it('adds the neighbouring day within the skew of a UTC midnight, today first', () => {
    expect(RENDEZVOUS_CLOCK_SKEW_MS).toBe(10 * MINUTE);
    expect(rendezvousDays(MIDNIGHT - RENDEZVOUS_CLOCK_SKEW_MS)).toEqual([day, day + 1]);
    expect(rendezvousDays(MIDNIGHT - 1)).toEqual([day, day + 1]);
    expect(rendezvousDays(MIDNIGHT)).toEqual([day + 1, day]);
    expect(rendezvousDays(MIDNIGHT + RENDEZVOUS_CLOCK_SKEW_MS - 1)).toEqual([day + 1, day]);
    expect(rendezvousDays(MIDNIGHT + RENDEZVOUS_CLOCK_SKEW_MS)).toEqual([day + 1]);
  });

  it('never names a day before 1970, and refuses a bad time', () => {
    expect(rendezvousDays(0)).toEqual([0]);
    expect(() => rendezvousDays(-1)).toThrow(ProtocolError);
    expect(() => rendezvousDays(Number.NaN)).toThrow(ProtocolError);
  });

  it('gives two clocks within the skew a day in common (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: RENDEZVOUS_CLOCK_SKEW_MS, max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -RENDEZVOUS_CLOCK_SKEW_MS, max: RENDEZVOUS_CLOCK_SKEW_MS }),
        (t, skew) => {
          const mine = rendezvousDays(t);
          const theirs = rendezvousDays(t + skew);
          expect(mine.some((d) => theirs.includes(d))).toBe(true);
          expect(mine[0]).toBe(Math.floor(t / RENDEZVOUS_DAY_MS));
        },
      ),
      { numRuns: 2000 },
    );
    // Near midnight exactly, where it matters.
    for (let skew = -RENDEZVOUS_CLOCK_SKEW_MS; skew <= RENDEZVOUS_CLOCK_SKEW_MS; skew += MINUTE / 2) {
      for (const t of [MIDNIGHT - 1, MIDNIGHT, MIDNIGHT - RENDEZVOUS_CLOCK_SKEW_MS / 2]) {
        expect(rendezvousDays(t).some((d) => rendezvousDays(t + skew).includes(d))).toBe(true);
      }
    }
  });

  it('lets two devices meet across midnight with skewed clocks, on the earlier common day', async () => {
    const { first, second } = await orderedPair();
    const rooms = async (me: X25519KeyPair, them: Uint8Array, t: number) =>
      new Map(
        await Promise.all(
          rendezvousDays(t).map(
            async (d) => [d, (await deriveRendezvous(me, them, d * RENDEZVOUS_DAY_MS)).roomId] as const,
          ),
        ),
      );
    const common = (a: Map<number, string>, b: Map<number, string>) =>
      [...a].filter(([d, id]) => b.get(d) === id).map(([d]) => d);
    // A's clock says 23:48, B's 23:57: only B is near midnight; they share today's room.
    expect(
      common(
        await rooms(first, second.publicKey, MIDNIGHT - 12 * MINUTE),
        await rooms(second, first.publicKey, MIDNIGHT - 3 * MINUTE),
      ),
    ).toEqual([day]);
    // A's clock says 23:59, B's 00:08: both rooms are common; both keep the earlier day's.
    const both = common(
      await rooms(first, second.publicKey, MIDNIGHT - MINUTE),
      await rooms(second, first.publicKey, MIDNIGHT + 8 * MINUTE),
    );
    expect(both.sort((x, y) => x - y)).toEqual([day, day + 1]);
    expect(Math.min(...both)).toBe(day);
  });
});
