/**
 * Rendezvous (issue "Nothing lost", item 2): two paired devices meet again through the signaling
 * worker without a new invite. The room and its signaling key come from the X25519 agreement of
 * the two identity keys, so only those two devices can compute them, and they change every UTC day.
 *
 *   device A (private a, public A)                worker                device B (private b, public B)
 *   K = X25519(a, B)                                                       K = X25519(b, A)
 *   day = ⌊now / 86_400_000⌋                                               the same day (± the skew rule)
 *   roomId, key = HKDF(K, A and B sorted, day)                             the same roomId and key
 *        │── GET /rooms/<roomId> ───────────────▶│◀───────────────── GET /rooms/<roomId> ──│
 *        │  A < B bytewise, so A offers          │                                         │
 *        │── blob: seal(offer) ─────────────────▶│── blob ────────────────────────────────▶│ open
 *   open │◀────────────────────────────── blob ──│◀────────────────── blob: seal(answer) ──│
 *        │══════════════════ Noise XX over the DataChannel, A initiating ══════════════════│
 *   Each side checks the other's Noise static key against the key it pinned, as on any connection;
 *   another key is a key change and blocks the conversation behind the warning.
 *
 * Derivation (all lengths in bytes; ‖ is concatenation). At pairing, once, both sides compute the
 * pair's rendezvous secret and roles, and keep them with the contact; every day's room comes from
 * that, so a device that later starts a new identity key still meets its contacts (who then see
 * the key change in the Noise handshake, as on any connection):
 *
 *   lo, hi  = the two 32-byte identity public keys sorted bytewise (unsigned, lexicographic), so
 *             both sides build the same bytes; equal keys are refused (OWN_KEY)
 *   shared  = X25519(my private key, their public key)            32; all-zero refused (RFC 7748 §6.1)
 *   secret  = HKDF-SHA256(shared, "SecMsg/0.1 rendezvous" ‖ lo ‖ hi, "SecMsg/0.1 rendezvous pair", 32)
 *   offerer = my public key is lo. The offerer makes the WebRTC offer and so (DESIGN.md) is the
 *             Noise initiator; the two sides never both offer.
 *
 * Each UTC day:
 *
 *   day     = ⌊at / 86_400_000⌋, the UTC day number since 1970-01-01; u32be(day) is its 4 bytes
 *   roomId  = base64url(HKDF-SHA256(secret, "SecMsg/0.1 rendezvous", "SecMsg/0.1 rendezvous room" ‖ u32be(day), 32))
 *             43 characters, the worker's room id format (signaling.ts `isRoomId`)
 *   key     = HKDF-SHA256(secret, "SecMsg/0.1 rendezvous", "SecMsg/0.1 rendezvous signaling" ‖ u32be(day), 32)
 *   blob    = pairing.ts's format under `key`: nonce (12) ‖ AES-256-GCM(JSON, ad = roomId ‖ role
 *             byte), the offerer sealing as 'inviter' (0x49), the answerer as 'joiner' (0x4a), so a
 *             blob reflected back to its sender does not open.
 *
 * Binding and rotation. The pair also keeps `keys`, naming the two identity keys its secret is
 * bound to; when either side's identity key changes and the change is trusted, the secret
 * rotates, so whoever holds an old private key (or the old secret) derives no current room:
 *
 *   keys    = SHA-256("SecMsg/0.1 rendezvous keys" ‖ lo ‖ hi)            32, lo/hi as above
 *   secret' = HKDF-SHA256(IKM = X25519(my private key, their public key), salt = secret,
 *                         info = "SecMsg/0.1 rendezvous rotate" ‖ lo' ‖ hi', 32)
 *   offerer' = my public key is lo'
 *
 * Each side rotates on its own, with no message between them, when it holds a trusted session in
 * which the two current identity keys are not the ones `keys` names (see `needsRotation`): the
 * side whose key changed at once (it knows its own new key and the other's pinned key), the other
 * side when its user accepts the new key. Both then compute the same secret', since X25519(a, B')
 * = X25519(b', A). If the user refuses the new key, that side keeps the old secret and the two
 * never meet again, which is what refusing means.
 *
 * Day rule (`rendezvousDays`): a device joins the room of its own UTC day and, within
 * RENDEZVOUS_CLOCK_SKEW_MS (10 minutes) of a UTC midnight, also the room of the day on the other
 * side of it. Two clocks that differ by at most that much always share a room.
 *
 * What the worker learns: a room id that is new every UTC day and that, without one of the two
 * private keys, it cannot link to other days' rooms, to the pair's invite room or to the keys;
 * that two clients met in it; the size and timing of the blobs; and what any WebSocket server
 * sees (addresses, user agents), which may link days by itself. It never sees a key, an SDP or the
 * identity keys. Unlike an invite room, a rendezvous room is used again and again within its day,
 * so the worker can replay an earlier blob of the same day to a device: the Noise handshake
 * (fresh ephemeral keys) makes that a failed connection at worst, never a session.
 */
import { concatBytes, constantTimeEqual, toBase64Url, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { hkdfSha256 } from '../crypto/hkdf';
import { type X25519KeyPair, X25519_KEY_LENGTH, x25519SharedSecret } from '../crypto/x25519';
import { ProtocolError } from './errors';
import { type SignalingCipher, signalingCipherFromKey } from './pairing';

export const RENDEZVOUS_LABEL = 'SecMsg/0.1 rendezvous';
const PAIR_INFO = 'SecMsg/0.1 rendezvous pair';
const ROOM_INFO = 'SecMsg/0.1 rendezvous room';
const SIGNALING_INFO = 'SecMsg/0.1 rendezvous signaling';
const KEYS_LABEL = 'SecMsg/0.1 rendezvous keys';
const ROTATE_INFO = 'SecMsg/0.1 rendezvous rotate';
/** One UTC day: rendezvous rooms change at every UTC midnight. */
export const RENDEZVOUS_DAY_MS = 86_400_000;
/** How far apart two devices' clocks may be and still meet around midnight. */
export const RENDEZVOUS_CLOCK_SKEW_MS = 10 * 60_000;
const KEY_LENGTH = 32;
// The largest time a Date can hold (ECMA-262 §21.4.1.1); its day number fits in 4 bytes.
const MAX_TIME_MS = 8.64e15;

export interface Rendezvous {
  /** The worker room for this pair and day: 43 base64url characters. */
  readonly roomId: string;
  /** The UTC day number it belongs to: ⌊ms since the epoch / 86_400_000⌋. */
  readonly day: number;
  /** True on the side whose public key sorts first: it makes the WebRTC offer (Noise initiator). */
  readonly offerer: boolean;
  /** Seals and opens this room's signaling blobs, as `createSignalingCipher`'s result does. */
  readonly cipher: SignalingCipher;
}

/** What two paired devices keep to meet again: the same secret on both, complementary roles. */
export interface RendezvousPair {
  /** 32 bytes, from the X25519 agreement of the two identity keys at pairing. */
  readonly secret: Uint8Array;
  /** True on the side whose public key sorted first at pairing: it makes the WebRTC offer. */
  readonly offerer: boolean;
  /**
   * SHA-256("SecMsg/0.1 rendezvous keys" ‖ lo ‖ hi) of the two identity keys the secret is bound
   * to. Absent on pairs kept before binding existed (then `needsRotation` recomputes it).
   */
  readonly keys?: Uint8Array;
}

/** Unsigned lexicographic order of two byte strings of the same length. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function dayOf(at: number): number {
  if (typeof at !== 'number' || !(at >= 0 && at <= MAX_TIME_MS)) {
    throw new ProtocolError('BAD_ARGUMENT', 'at must be a time in ms since the epoch, not before 1970.');
  }
  return Math.floor(at / RENDEZVOUS_DAY_MS);
}

function u32be(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function checkPublicKey(key: unknown, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `${name} must be ${X25519_KEY_LENGTH} bytes.`);
  }
}

/** The two public keys in bytewise order; equal keys are refused (OWN_KEY). */
function ordered(
  myPublicKey: Uint8Array,
  theirPublicKey: Uint8Array,
): { lo: Uint8Array; hi: Uint8Array; offerer: boolean } {
  checkPublicKey(myPublicKey, 'myKeyPair.publicKey');
  checkPublicKey(theirPublicKey, 'theirPublicKey');
  const order = compareBytes(myPublicKey, theirPublicKey);
  if (order === 0) {
    throw new ProtocolError('OWN_KEY', "The contact's key is this device's own identity key.");
  }
  const offerer = order < 0;
  return offerer
    ? { lo: myPublicKey, hi: theirPublicKey, offerer }
    : { lo: theirPublicKey, hi: myPublicKey, offerer };
}

async function agree(myKeyPair: X25519KeyPair, theirPublicKey: Uint8Array): Promise<Uint8Array> {
  try {
    return await x25519SharedSecret(myKeyPair.privateKey, theirPublicKey);
  } catch (e) {
    if (CryptoError.is(e, 'BAD_PUBLIC_KEY')) {
      throw new ProtocolError('BAD_PUBLIC_KEY', "The contact's identity key is not a valid X25519 key.", {
        cause: e,
      });
    }
    throw e;
  }
}

/** What `RendezvousPair.keys` holds for these two identity public keys (either order). */
export async function rendezvousKeys(
  myPublicKey: Uint8Array,
  theirPublicKey: Uint8Array,
): Promise<Uint8Array> {
  const { lo, hi } = ordered(myPublicKey, theirPublicKey);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', concatBytes(utf8(KEYS_LABEL), lo, hi));
  return new Uint8Array(digest);
}

/**
 * The pair's rendezvous secret and this side's role, from this device's identity key pair and the
 * contact's identity public key (the key pinned for it). Computed once, at pairing, and kept.
 *
 * Throws `ProtocolError`: `BAD_ARGUMENT` for a public key that is not 32 bytes, `OWN_KEY` when the
 * two public keys are the same, `BAD_PUBLIC_KEY` when X25519 refuses their key (all-zero secret:
 * the zero key and the other low-order points).
 */
export async function rendezvousPair(
  myKeyPair: X25519KeyPair,
  theirPublicKey: Uint8Array,
): Promise<RendezvousPair> {
  const { lo, hi, offerer } = ordered(myKeyPair.publicKey, theirPublicKey);
  const shared = await agree(myKeyPair, theirPublicKey);
  const salt = concatBytes(utf8(RENDEZVOUS_LABEL), lo, hi);
  try {
    return {
      secret: await hkdfSha256(shared, salt, utf8(PAIR_INFO), KEY_LENGTH),
      offerer,
      keys: await rendezvousKeys(lo, hi),
    };
  } finally {
    shared.fill(0);
  }
}

/**
 * Whether `pair` must rotate before this side meets the contact again: true when the secret is
 * not bound to these two current identity keys. For a pair kept without `keys`, it is bound to
 * them exactly when rendezvousPair would derive the same secret from them now.
 */
export async function needsRotation(
  pair: RendezvousPair,
  myKeyPair: X25519KeyPair,
  theirPublicKey: Uint8Array,
): Promise<boolean> {
  if (pair.keys !== undefined) {
    return !constantTimeEqual(pair.keys, await rendezvousKeys(myKeyPair.publicKey, theirPublicKey));
  }
  const fresh = await rendezvousPair(myKeyPair, theirPublicKey);
  return !constantTimeEqual(fresh.secret, pair.secret);
}

/**
 * The pair after a trusted identity key change: a new secret from the old one and the X25519
 * agreement of the two current keys, the roles from their order, bound to them (see the header).
 */
export async function rotateRendezvous(
  pair: RendezvousPair,
  myKeyPair: X25519KeyPair,
  theirPublicKey: Uint8Array,
): Promise<RendezvousPair> {
  if (!(pair.secret instanceof Uint8Array) || pair.secret.length !== KEY_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `The rendezvous secret must be ${KEY_LENGTH} bytes.`);
  }
  const { lo, hi, offerer } = ordered(myKeyPair.publicKey, theirPublicKey);
  const shared = await agree(myKeyPair, theirPublicKey);
  try {
    const info = concatBytes(utf8(ROTATE_INFO), lo, hi);
    return {
      secret: await hkdfSha256(shared, pair.secret, info, KEY_LENGTH),
      offerer,
      keys: await rendezvousKeys(lo, hi),
    };
  } finally {
    shared.fill(0);
  }
}

/** The pair's room, signaling cipher and role on the UTC day of `at` (ms since the epoch). */
export async function rendezvousRoom(pair: RendezvousPair, at: number): Promise<Rendezvous> {
  if (!(pair.secret instanceof Uint8Array) || pair.secret.length !== KEY_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `The rendezvous secret must be ${KEY_LENGTH} bytes.`);
  }
  const day = dayOf(at);
  const salt = utf8(RENDEZVOUS_LABEL);
  const dayBytes = u32be(day);
  const roomKey = await hkdfSha256(pair.secret, salt, concatBytes(utf8(ROOM_INFO), dayBytes), KEY_LENGTH);
  const key = await hkdfSha256(pair.secret, salt, concatBytes(utf8(SIGNALING_INFO), dayBytes), KEY_LENGTH);
  const roomId = toBase64Url(roomKey);
  try {
    const cipher = await signalingCipherFromKey(roomId, key, pair.offerer ? 'inviter' : 'joiner');
    return { roomId, day, offerer: pair.offerer, cipher };
  } finally {
    key.fill(0);
  }
}

/**
 * Both steps at once: the room of this pair on the UTC day of `at`. For another day `d` of
 * `rendezvousDays`, pass `d * RENDEZVOUS_DAY_MS`. Throws as `rendezvousPair` does, and
 * `BAD_ARGUMENT` for a bad `at`.
 */
export async function deriveRendezvous(
  myKeyPair: X25519KeyPair,
  theirPublicKey: Uint8Array,
  at: number,
): Promise<Rendezvous> {
  dayOf(at); // checks `at` before any key work
  return rendezvousRoom(await rendezvousPair(myKeyPair, theirPublicKey), at);
}

/**
 * The UTC days whose rooms a device joins at `at` (ms since the epoch): its own day first, then,
 * within RENDEZVOUS_CLOCK_SKEW_MS after a UTC midnight, the day before, or within it before a
 * midnight, the day after. That is the set {day(at − skew), day(at), day(at + skew)}, so two
 * devices whose clocks differ by at most the skew always have a day in common.
 *
 * Usually one room, so the worker does not see the pair in two days' rooms at once. When the peer
 * turns up in both, keep the connection made in the earlier day's room and close the other; both
 * sides choose the same one. A device that keeps waiting recomputes when the set changes (at
 * midnight − skew, midnight and midnight + skew).
 */
export function rendezvousDays(at: number): readonly number[] {
  const today = dayOf(at);
  const before = Math.floor((at - RENDEZVOUS_CLOCK_SKEW_MS) / RENDEZVOUS_DAY_MS);
  const after = Math.floor((at + RENDEZVOUS_CLOCK_SKEW_MS) / RENDEZVOUS_DAY_MS);
  if (before < today && before >= 0) return [today, before];
  if (after > today) return [today, after];
  return [today];
}
