/**
 * The conversation ratchet's wire format (docs/ratchet.md, Wire format): a header of 50 bytes, or
 * 3,194 with a KEM block, then AES-256-GCM's ciphertext and tag. Big-endian.
 *
 *   version u8 (0x02) ‖ flags u8 (bit 0: KEM block; bit 1: KEM block left out) ‖ dh (32) ‖ pn u32 ‖
 *   n u32 ‖ chain ack (8) [‖ target id (8) ‖ ML-KEM-1024 ciphertext (1568) ‖ new encapsulation key (1568)]
 *
 * `decodeRatchetMessage` validates every field before any key is derived and never casts: the
 * version, the flags, the lengths, a canonical X25519 key of full order (RFC 7748 §5), an
 * encapsulation key passing FIPS 203 §7.2's modulus check.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { isMlKem1024PublicKey } from '../crypto/ml-kem';
import { ML_KEM_1024_CIPHERTEXT_LENGTH, ML_KEM_1024_PUBLIC_KEY_LENGTH } from '../crypto/pq-lengths';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { isLowOrderX25519PublicKey } from '../crypto/x25519-raw';
import { badArgument, badMessage, checkKey } from './ratchet-errors';

/**
 * The wire format's version, the header's first byte. 2 added the chain ack and flag bit 1; version 1
 * (without them) was only ever spoken inside this repository, and is refused.
 */
export const RATCHET_VERSION = 2;
/** The first bytes of SHA-256(encapsulation key) that name a KEM block's target. */
export const KEM_KEY_ID_LENGTH = 8;
/** The first bytes of a ratchet public key that name its sending chain in a chain ack. */
export const CHAIN_ACK_LENGTH = 8;
/** version (1) ‖ flags (1) ‖ dh (32) ‖ pn (4) ‖ n (4) ‖ chain ack (8). */
export const RATCHET_HEADER_LENGTH = 50;
/** target id (8) ‖ ML-KEM ciphertext (1568) ‖ new encapsulation key (1568). */
export const RATCHET_KEM_BLOCK_LENGTH =
  KEM_KEY_ID_LENGTH + ML_KEM_1024_CIPHERTEXT_LENGTH + ML_KEM_1024_PUBLIC_KEY_LENGTH;
export const MAX_U32 = 0xffffffff;

const FLAG_KEM = 0x01;
const FLAG_KEM_LEFT_OUT = 0x02;
const ACK_AT = 42;
const KEM_TARGET_AT = RATCHET_HEADER_LENGTH;
const KEM_CIPHERTEXT_AT = KEM_TARGET_AT + KEM_KEY_ID_LENGTH;
const KEM_NEW_KEY_AT = KEM_CIPHERTEXT_AT + ML_KEM_1024_CIPHERTEXT_LENGTH;
const TAG_LENGTH = 16;
/** The chain ack of a side that holds no sending chain of the peer yet. */
const NO_CHAIN = new Uint8Array(CHAIN_ACK_LENGTH);

export interface RatchetKemBlock {
  /** SHA-256 of the receiver's encapsulation key this block encapsulates to, first 8 bytes. */
  targetId: Uint8Array;
  cipherText: Uint8Array;
  /** The sender's new ML-KEM-1024 encapsulation key. */
  newPublicKey: Uint8Array;
}

export interface RatchetHeader {
  /** The sender's current X25519 ratchet public key. */
  dhPublicKey: Uint8Array;
  /** Messages in the sender's previous sending chain (PN). */
  previousCount: number;
  /** This message's number in its chain (N). */
  n: number;
  /**
   * The chain ack: `chainAck(key)` of the newest sending chain of the receiver that the sender
   * holds (its current receiving chain), all zero when it holds none.
   */
  chainAck: Uint8Array;
  /** The chain's KEM block, while the receiver has not acknowledged the chain (flag bit 0). */
  kem: RatchetKemBlock | null;
  /** The chain began with a KEM step whose block is left out: the receiver acknowledged it (flag bit 1). */
  kemLeftOut: boolean;
}

/** What `encodeRatchetHeader` takes: a header whose chain ack (none) and bit 1 (clear) may be left out. */
export type RatchetHeaderInput = Omit<RatchetHeader, 'chainAck' | 'kemLeftOut'> &
  Partial<Pick<RatchetHeader, 'chainAck' | 'kemLeftOut'>>;

/** A canonical X25519 public key (RFC 7748 §5) that is not one of the low-order points. */
export function isRatchetDhKey(key: Uint8Array): boolean {
  return isCanonicalX25519PublicKey(key) && !isLowOrderX25519PublicKey(key);
}

/** FIPS 203 §7.2's checks on a new encapsulation key, before any key is derived (ml-kem.ts). */
export { isMlKem1024PublicKey };

/** SHA-256(encapsulation key), first 8 bytes: how a KEM block names its target. */
export function kemKeyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, KEM_KEY_ID_LENGTH);
}

/** How a chain ack names the sending chain of ratchet key `dhPublicKey`: its first 8 bytes. */
export function chainAck(dhPublicKey: Uint8Array | undefined): Uint8Array {
  return dhPublicKey ? dhPublicKey.slice(0, CHAIN_ACK_LENGTH) : NO_CHAIN.slice();
}

/**
 * Whether `ack` names the sending chain of `dhPublicKey`. All zero names no chain, whatever the
 * key (a key that begins with eight zero bytes is then never acknowledged, and its block travels).
 */
export function acknowledges(ack: Uint8Array, dhPublicKey: Uint8Array): boolean {
  let zero = 0;
  let diff = 0;
  for (let i = 0; i < CHAIN_ACK_LENGTH; i++) {
    zero |= ack[i]!;
    diff |= ack[i]! ^ dhPublicKey[i]!;
  }
  return zero !== 0 && diff === 0;
}

function checkU32(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw badArgument(`${name} must be an integer from 0 to 2^32 − 1.`);
  }
}

export function encodeRatchetHeader(h: RatchetHeaderInput): Uint8Array {
  if (!(h.dhPublicKey instanceof Uint8Array) || !isRatchetDhKey(h.dhPublicKey)) {
    throw badArgument('dhPublicKey must be a canonical X25519 public key of full order.');
  }
  checkU32(h.previousCount, 'previousCount');
  checkU32(h.n, 'n');
  const ack = h.chainAck ?? NO_CHAIN;
  checkKey(ack, 'chainAck', CHAIN_ACK_LENGTH);
  if (h.kem && h.kemLeftOut) throw badArgument('kemLeftOut must be false when kem is given.');
  const out = new Uint8Array(RATCHET_HEADER_LENGTH + (h.kem ? RATCHET_KEM_BLOCK_LENGTH : 0));
  const view = new DataView(out.buffer);
  out[0] = RATCHET_VERSION;
  out[1] = h.kem ? FLAG_KEM : h.kemLeftOut ? FLAG_KEM_LEFT_OUT : 0;
  out.set(h.dhPublicKey, 2);
  view.setUint32(34, h.previousCount);
  view.setUint32(38, h.n);
  out.set(ack, ACK_AT);
  if (h.kem) {
    checkKey(h.kem.targetId, 'kem.targetId', KEM_KEY_ID_LENGTH);
    checkKey(h.kem.cipherText, 'kem.cipherText', ML_KEM_1024_CIPHERTEXT_LENGTH);
    if (!(h.kem.newPublicKey instanceof Uint8Array) || !isMlKem1024PublicKey(h.kem.newPublicKey)) {
      throw badArgument('kem.newPublicKey must be an ML-KEM-1024 encapsulation key.');
    }
    out.set(h.kem.targetId, KEM_TARGET_AT);
    out.set(h.kem.cipherText, KEM_CIPHERTEXT_AT);
    out.set(h.kem.newPublicKey, KEM_NEW_KEY_AT);
  }
  return out;
}

/**
 * Splits and validates a ratchet message: every header field, then that an AES-GCM tag fits. The
 * parts are views into `bytes`. Throws BAD_RATCHET_MESSAGE; derives no key.
 */
export function decodeRatchetMessage(bytes: Uint8Array): {
  header: RatchetHeader;
  headerBytes: Uint8Array;
  ciphertext: Uint8Array;
} {
  if (!(bytes instanceof Uint8Array)) throw badArgument('A ratchet message must be bytes.');
  if (bytes.length < RATCHET_HEADER_LENGTH) {
    throw badMessage('A conversation message arrived shorter than its header.');
  }
  if (bytes[0] !== RATCHET_VERSION) {
    throw badMessage(
      `A conversation message uses ratchet version ${bytes[0]}, which this app does not speak (it speaks ${RATCHET_VERSION}).`,
    );
  }
  const flags = bytes[1]!;
  if ((flags & ~(FLAG_KEM | FLAG_KEM_LEFT_OUT)) !== 0)
    throw badMessage('A conversation message has reserved header flag bits set.');
  if (flags === (FLAG_KEM | FLAG_KEM_LEFT_OUT)) {
    throw badMessage('A conversation message says its KEM block is both present and left out.');
  }
  const hasKem = (flags & FLAG_KEM) !== 0;
  const headerLength = RATCHET_HEADER_LENGTH + (hasKem ? RATCHET_KEM_BLOCK_LENGTH : 0);
  if (bytes.length < headerLength) {
    throw badMessage('A conversation message arrived shorter than its post-quantum key exchange.');
  }
  if (bytes.length < headerLength + TAG_LENGTH) {
    throw badMessage('A conversation message arrived too short to hold its authentication tag.');
  }
  const dhPublicKey = bytes.subarray(2, 34);
  if (!isRatchetDhKey(dhPublicKey)) {
    throw badMessage('A conversation message carries an invalid X25519 ratchet key.');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerLength);
  let kem: RatchetKemBlock | null = null;
  if (hasKem) {
    const targetId = bytes.subarray(KEM_TARGET_AT, KEM_CIPHERTEXT_AT);
    const cipherText = bytes.subarray(KEM_CIPHERTEXT_AT, KEM_NEW_KEY_AT);
    const newPublicKey = bytes.subarray(KEM_NEW_KEY_AT, KEM_NEW_KEY_AT + ML_KEM_1024_PUBLIC_KEY_LENGTH);
    if (!isMlKem1024PublicKey(newPublicKey)) {
      throw badMessage('A conversation message carries an invalid ML-KEM-1024 encapsulation key.');
    }
    kem = { targetId, cipherText, newPublicKey };
  }
  return {
    header: {
      dhPublicKey,
      previousCount: view.getUint32(34),
      n: view.getUint32(38),
      chainAck: bytes.subarray(ACK_AT, ACK_AT + CHAIN_ACK_LENGTH),
      kem,
      kemLeftOut: (flags & FLAG_KEM_LEFT_OUT) !== 0,
    },
    headerBytes: bytes.subarray(0, headerLength),
    ciphertext: bytes.subarray(headerLength),
  };
}
