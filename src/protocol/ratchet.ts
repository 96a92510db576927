/**
 * The conversation ratchet: one Double Ratchet per contact (Signal, _The Double Ratchet Algorithm_,
 * revision 3, "the spec"), with ML-KEM-1024 (FIPS 203) secrets mixed into the root chain as in
 * SimpleX's PQ double ratchet. docs/ratchet.md is the specification this file implements: wire
 * format, KDFs, start, the DH+KEM step, limits.
 *
 *   Alice (session initiator)                                    Bob (responder)
 *   handshake payload: A0, kA0  ───────────────────────────────►
 *                               ◄─────────────────────────────── handshake payload: B0, kB0
 *   rk0, id = deriveRatchetInit(ck, h)                           rk0, id = deriveRatchetInit(ck, h)
 *   RK, CKs = KDF_RK(rk0, DH(A0, B0))                            RK, CKr = KDF_RK(rk0, DH(B0, A0))
 *                                                                new B1; RK, CKs =
 *                                                                  KDF_RK(RK, DH(B1, A0), ss → kA0)
 *   [A0, pn, n] ciphertext      ───────────────────────────────► (same chain: no step)
 *                               ◄─────────────────────────────── [B1, pn, n, KEM: →kA0, kB1] ct
 *   receiving half: KDF_RK(RK, DH(A0, B1), decaps(kA0))
 *   sending half:   new A1; KDF_RK(RK, DH(A1, B1), ss → kB1)
 *   [A1, pn, n, KEM: →kB1, kA1] ───────────────────────────────► receiving half, sending half, …
 *
 * Everything here is pure: no storage, no timers, the clock passed in as `now`. `ratchetEncrypt` and
 * `ratchetDecrypt` never change the state they are given; they return a new one, which the caller
 * commits (with the message and the ack, in one transaction) only when the call succeeded.
 *
 * Cost: encrypting is one HMAC chain step, one HKDF and one AES-GCM. Decrypting adds, on a DH step,
 * one X25519 key pair and two X25519 agreements; on a KEM step, one ML-KEM-1024 decapsulation, key
 * pair and encapsulation. Only X25519 and AES-GCM are awaited.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aead';
import { concatBytes, constantTimeEqual, copyBytes, utf8 } from '../crypto/bytes';
import {
  ML_KEM_1024_CIPHERTEXT_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
  ML_KEM_1024_SECRET_KEY_LENGTH,
  mlKem1024Decapsulate,
  mlKem1024Encapsulate,
  mlKem1024KeyPair,
} from '../crypto/ml-kem';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import {
  generateRawX25519KeyPair,
  isLowOrderX25519PublicKey,
  rawX25519SharedSecret,
} from '../crypto/x25519-raw';
import { ProtocolError } from './errors';

export const RATCHET_VERSION = 1;
/** A header needing more skipped message keys than this is refused (docs/ratchet.md, Limits). */
export const MAX_SKIP = 2000;
/** Skipped message keys kept in all; beyond that the oldest are dropped. */
export const MAX_SKIPPED_KEYS = 2000;
/** Receiving chains whose skipped keys (and replay record) are kept, the current one included. */
export const MAX_RECEIVING_CHAINS = 5;
export const SKIPPED_KEY_TTL_MS = 30 * 24 * 3600 * 1000;
/** A side makes at most one KEM step in this interval (docs/ratchet.md, A DH ratchet step). */
export const KEM_STEP_INTERVAL_MS = 1000;

export const RATCHET_ID_LENGTH = 16;
const KEY_LENGTH = 32;
/** The first bytes of SHA-256(encapsulation key) that name a KEM block's target. */
export const KEM_KEY_ID_LENGTH = 8;
const FLAG_KEM = 0x01;
/** version (1) ‖ flags (1) ‖ dh (32) ‖ pn (4) ‖ n (4). */
export const RATCHET_HEADER_LENGTH = 42;
/** target id (8) ‖ ML-KEM ciphertext (1568) ‖ new encapsulation key (1568). */
export const RATCHET_KEM_BLOCK_LENGTH =
  KEM_KEY_ID_LENGTH + ML_KEM_1024_CIPHERTEXT_LENGTH + ML_KEM_1024_PUBLIC_KEY_LENGTH;
const KEM_TARGET_AT = RATCHET_HEADER_LENGTH;
const KEM_CIPHERTEXT_AT = KEM_TARGET_AT + KEM_KEY_ID_LENGTH;
const KEM_NEW_KEY_AT = KEM_CIPHERTEXT_AT + ML_KEM_1024_CIPHERTEXT_LENGTH;
const TAG_LENGTH = 16;
const MAX_U32 = 0xffffffff;

const INFO_ROOT = utf8('SecMsg/0.1 ratchet root');
const INFO_MESSAGE = utf8('SecMsg/0.1 ratchet message');
const INFO_INIT = utf8('SecMsg/0.1 ratchet init');
const AD_PREFIX = utf8('SecMsg/0.1 ratchet');
const ZERO_SALT = new Uint8Array(32);
const CHAIN_MESSAGE_INPUT = Uint8Array.of(0x01);
const CHAIN_NEXT_INPUT = Uint8Array.of(0x02);

// ── Types ───────────────────────────────────────────────────────────────────────────────────────

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
  kem: RatchetKemBlock | null;
}

export interface RatchetSkippedKey {
  n: number;
  /** The message key seed (KDF_CK's first output); `messageKeys` turns it into key and nonce. */
  seed: Uint8Array;
  /** `now` when it was stored; it expires SKIPPED_KEY_TTL_MS later. */
  storedAt: number;
}

export interface RatchetReceivingChain {
  /** The sender's ratchet public key of this chain. */
  dhPublicKey: Uint8Array;
  /** The chain key of message `next`. Only the current chain (the first) has one. */
  chainKey: Uint8Array | null;
  /** Every message below this number was read or has its key below; for an old chain, its end. */
  next: number;
  /** Keys of messages skipped and not yet read, by ascending `n`. */
  skipped: RatchetSkippedKey[];
}

/**
 * Plain, structured-clone-safe data (numbers, booleans, null, `Uint8Array`s on their own buffers,
 * arrays, plain objects). Read a stored one back with `readRatchetState`.
 */
export interface RatchetState {
  version: typeof RATCHET_VERSION;
  ratchetId: Uint8Array;
  /** The X25519 identity keys the ratchet was started with, for the associated data. */
  localIdentityKey: Uint8Array;
  remoteIdentityKey: Uint8Array;
  rootKey: Uint8Array;
  sending: {
    /** DHs. */
    dh: { publicKey: Uint8Array; privateKey: Uint8Array };
    chainKey: Uint8Array;
    /** Ns: the number of the next message sent. */
    index: number;
    /** PN. */
    previousCount: number;
    /** The KEM block every message of this chain carries, when it began with a KEM step. */
    kem: RatchetKemBlock | null;
  };
  /** DHr: the peer's latest ratchet public key. */
  remoteDhPublicKey: Uint8Array;
  /** Newest first, at most MAX_RECEIVING_CHAINS; the first is the current one (key = DHr). */
  receiving: RatchetReceivingChain[];
  kem: {
    /** This side's latest encapsulation key pair; null once a KEM block to it was opened. */
    own: { publicKey: Uint8Array; secretKey: Uint8Array } | null;
    /** The peer's latest encapsulation key, and whether this side has encapsulated to it. */
    peer: { publicKey: Uint8Array; used: boolean };
    /** `now` at this side's last KEM step; null before the first. */
    lastStepAt: number | null;
  };
  /** Root-chain steps (every KDF_RK, both directions, the start included) and those with a KEM secret. */
  dhSteps: number;
  kemSteps: number;
}

/** The primitives, injectable so tests can record keys and model attackers. */
export interface RatchetCrypto {
  generateDh(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }>;
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  kemKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  kemEncapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export const defaultRatchetCrypto: RatchetCrypto = {
  generateDh: generateRawX25519KeyPair,
  dh: rawX25519SharedSecret,
  kemKeyPair: () => mlKem1024KeyPair(),
  kemEncapsulate: (publicKey) => mlKem1024Encapsulate(publicKey),
  kemDecapsulate: mlKem1024Decapsulate,
};

/** What a side announces in its handshake payload (the public halves) and keeps for the start. */
export interface RatchetInitKeys {
  dh: { publicKey: Uint8Array; privateKey: Uint8Array };
  kem: { publicKey: Uint8Array; secretKey: Uint8Array };
}

interface StepOptions {
  now: number;
  crypto?: RatchetCrypto;
  /**
   * The least time between two KEM steps of this side; KEM_STEP_INTERVAL_MS unless given.
   * `Infinity` turns KEM steps off (for tests and measurements; the app never passes it).
   */
  kemStepIntervalMs?: number;
}

// ── Errors ──────────────────────────────────────────────────────────────────────────────────────

function badMessage(sentence: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BAD_RATCHET_MESSAGE', sentence, cause === undefined ? undefined : { cause });
}

function duplicate(): ProtocolError {
  return new ProtocolError(
    'RATCHET_DUPLICATE',
    'A message could not be read: it was already read, or is older than the keys this device keeps.',
  );
}

function skipLimit(): ProtocolError {
  return new ProtocolError(
    'RATCHET_SKIP_LIMIT',
    `A message could not be read: it would need more than ${MAX_SKIP.toLocaleString('en')} earlier messages skipped, more than this device keeps keys for.`,
  );
}

function unknownKemKey(): ProtocolError {
  return new ProtocolError(
    'RATCHET_UNKNOWN_KEM_KEY',
    'A message could not be read: its post-quantum key exchange is addressed to a key this device does not hold.',
  );
}

/** The same for every AES-GCM failure, with no detail (STYLE.md). */
function decryptFailed(): ProtocolError {
  return new ProtocolError('DECRYPT_FAILED', 'The message could not be decrypted.');
}

function badState(sentence: string): ProtocolError {
  return new ProtocolError('BAD_RATCHET_STATE', `The stored conversation state is damaged: ${sentence}`);
}

function badArgument(sentence: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', sentence);
}

// ── KDFs (docs/ratchet.md, Keys and KDFs) ───────────────────────────────────────────────────────

function checkKey(value: unknown, name: string, length = KEY_LENGTH): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw badArgument(`${name} must be ${length} bytes.`);
  }
}

/** KDF_CK, spec §5.2: message key seed = HMAC-SHA256(ck, 0x01), next chain key = HMAC-SHA256(ck, 0x02). */
function chainStep(chainKey: Uint8Array): { messageKeySeed: Uint8Array; nextChainKey: Uint8Array } {
  return {
    messageKeySeed: hmac(sha256, chainKey, CHAIN_MESSAGE_INPUT),
    nextChainKey: hmac(sha256, chainKey, CHAIN_NEXT_INPUT),
  };
}

/** Signal spec §5.2: HMAC-SHA256(ck, 0x01), HMAC-SHA256(ck, 0x02). Keep this exact name and shape. */
export async function kdfChainKey(
  chainKey: Uint8Array,
): Promise<{ messageKeySeed: Uint8Array; nextChainKey: Uint8Array }> {
  checkKey(chainKey, 'chainKey');
  return Promise.resolve(chainStep(chainKey));
}

/**
 * KDF_RK: HKDF-SHA256(salt = root key, IKM = DH output ‖ KEM secret (on a KEM step),
 * info = "SecMsg/0.1 ratchet root") → new root key (32) ‖ chain key (32). Spec §5.2.
 */
export function kdfRoot(
  rootKey: Uint8Array,
  dhOutput: Uint8Array,
  kemSecret?: Uint8Array,
): { rootKey: Uint8Array; chainKey: Uint8Array } {
  checkKey(rootKey, 'rootKey');
  checkKey(dhOutput, 'dhOutput');
  if (kemSecret !== undefined) checkKey(kemSecret, 'kemSecret');
  const ikm = kemSecret === undefined ? dhOutput : concatBytes(dhOutput, kemSecret);
  const out = hkdf(sha256, ikm, rootKey, INFO_ROOT, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

/** A message key seed → AES-256-GCM key (32) ‖ nonce (12), HKDF-SHA256 with info "SecMsg/0.1 ratchet message". */
export function messageKeys(seed: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  checkKey(seed, 'seed');
  const out = hkdf(sha256, seed, ZERO_SALT, INFO_MESSAGE, 44);
  return { key: out.slice(0, 32), nonce: out.slice(32, 44) };
}

/**
 * The root key and id of a new ratchet from a finished Noise handshake: HKDF-SHA256(salt = the
 * handshake hash h, IKM = the final chaining key ck, info = "SecMsg/0.1 ratchet init") → rk0 (32) ‖
 * ratchet id (16).
 */
export function deriveRatchetInit(
  chainingKey: Uint8Array,
  handshakeHash: Uint8Array,
): { rootKey: Uint8Array; ratchetId: Uint8Array } {
  checkKey(chainingKey, 'chainingKey');
  checkKey(handshakeHash, 'handshakeHash');
  const out = hkdf(sha256, chainingKey, handshakeHash, INFO_INIT, 48);
  return { rootKey: out.slice(0, 32), ratchetId: out.slice(32, 48) };
}

/** SHA-256(encapsulation key), first 8 bytes: how a KEM block names its target. */
export function kemKeyId(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, KEM_KEY_ID_LENGTH);
}

function associatedData(sender: Uint8Array, receiver: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  return concatBytes(AD_PREFIX, sender, receiver, headerBytes);
}

// ── Key checks ──────────────────────────────────────────────────────────────────────────────────

function isRatchetDhKey(key: Uint8Array): boolean {
  return isCanonicalX25519PublicKey(key) && !isLowOrderX25519PublicKey(key);
}

/**
 * FIPS 203 §7.2 modulus check of an ML-KEM-1024 encapsulation key: every 12-bit coefficient of
 * ByteDecode12(ek[0 : 1536]) is below q = 3329. (ml-kem.ts makes the same check inside
 * `mlKem1024Encapsulate`; the decoder needs it before any key is derived.)
 */
function isMlKem1024PublicKey(key: Uint8Array): boolean {
  if (key.length !== ML_KEM_1024_PUBLIC_KEY_LENGTH) return false;
  for (let i = 0; i < 384 * 4; i += 3) {
    const b0 = key[i]!;
    const b1 = key[i + 1]!;
    const b2 = key[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= 3329 || ((b1 >> 4) | (b2 << 4)) >= 3329) return false;
  }
  return true;
}

function checkNow(now: unknown): number {
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    throw badArgument('now must be a non-negative number of milliseconds.');
  }
  return now;
}

function checkInterval(interval: unknown): number {
  if (interval === undefined) return KEM_STEP_INTERVAL_MS;
  if (typeof interval !== 'number' || Number.isNaN(interval) || interval < 0) {
    throw badArgument('kemStepIntervalMs must be a non-negative number of milliseconds, or Infinity.');
  }
  return interval;
}

// ── Wire format (docs/ratchet.md, Wire format) ──────────────────────────────────────────────────

function checkU32(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw badArgument(`${name} must be an integer from 0 to 2^32 − 1.`);
  }
}

export function encodeRatchetHeader(h: RatchetHeader): Uint8Array {
  if (!(h.dhPublicKey instanceof Uint8Array) || !isRatchetDhKey(h.dhPublicKey)) {
    throw badArgument('dhPublicKey must be a canonical X25519 public key of full order.');
  }
  checkU32(h.previousCount, 'previousCount');
  checkU32(h.n, 'n');
  const out = new Uint8Array(RATCHET_HEADER_LENGTH + (h.kem ? RATCHET_KEM_BLOCK_LENGTH : 0));
  const view = new DataView(out.buffer);
  out[0] = RATCHET_VERSION;
  out[1] = h.kem ? FLAG_KEM : 0;
  out.set(h.dhPublicKey, 2);
  view.setUint32(34, h.previousCount);
  view.setUint32(38, h.n);
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
  if ((flags & ~FLAG_KEM) !== 0)
    throw badMessage('A conversation message has reserved header flag bits set.');
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
    header: { dhPublicKey, previousCount: view.getUint32(34), n: view.getUint32(38), kem },
    headerBytes: bytes.subarray(0, headerLength),
    ciphertext: bytes.subarray(headerLength),
  };
}

// ── Starting ────────────────────────────────────────────────────────────────────────────────────

/** A fresh X25519 ratchet key pair and ML-KEM-1024 key pair for a handshake payload. */
export async function generateRatchetInitKeys(
  crypto: RatchetCrypto = defaultRatchetCrypto,
): Promise<RatchetInitKeys> {
  const dh = await crypto.generateDh();
  const kem = crypto.kemKeyPair();
  return {
    dh: { publicKey: copyBytes(dh.publicKey), privateKey: copyBytes(dh.privateKey) },
    kem: { publicKey: copyBytes(kem.publicKey), secretKey: copyBytes(kem.secretKey) },
  };
}

/** docs/ratchet.md, Starting a ratchet: the initiator is Alice, the responder Bob. */
export async function initRatchet(o: {
  initiator: boolean;
  rootKey: Uint8Array;
  ratchetId: Uint8Array;
  ours: RatchetInitKeys;
  theirs: { dhPublicKey: Uint8Array; kemPublicKey: Uint8Array };
  localIdentityKey: Uint8Array;
  remoteIdentityKey: Uint8Array;
  now: number;
  crypto?: RatchetCrypto;
  kemStepIntervalMs?: number;
}): Promise<RatchetState> {
  const now = checkNow(o.now);
  const interval = checkInterval(o.kemStepIntervalMs);
  const crypto = o.crypto ?? defaultRatchetCrypto;
  checkKey(o.rootKey, 'rootKey');
  checkKey(o.ratchetId, 'ratchetId', RATCHET_ID_LENGTH);
  checkKey(o.ours.dh.publicKey, 'ours.dh.publicKey');
  checkKey(o.ours.dh.privateKey, 'ours.dh.privateKey');
  checkKey(o.ours.kem.publicKey, 'ours.kem.publicKey', ML_KEM_1024_PUBLIC_KEY_LENGTH);
  checkKey(o.ours.kem.secretKey, 'ours.kem.secretKey', ML_KEM_1024_SECRET_KEY_LENGTH);
  for (const [name, key] of [
    ['localIdentityKey', o.localIdentityKey],
    ['remoteIdentityKey', o.remoteIdentityKey],
  ] as const) {
    if (!(key instanceof Uint8Array) || !isCanonicalX25519PublicKey(key)) {
      throw badArgument(`${name} must be a canonical X25519 public key.`);
    }
  }
  if (!(o.theirs.dhPublicKey instanceof Uint8Array) || !isRatchetDhKey(o.theirs.dhPublicKey)) {
    throw badArgument('theirs.dhPublicKey must be a canonical X25519 public key of full order.');
  }
  if (!(o.theirs.kemPublicKey instanceof Uint8Array) || !isMlKem1024PublicKey(o.theirs.kemPublicKey)) {
    throw badArgument('theirs.kemPublicKey must be an ML-KEM-1024 encapsulation key.');
  }

  const first = kdfRoot(o.rootKey, await crypto.dh(o.ours.dh.privateKey, o.theirs.dhPublicKey));
  const state: RatchetState = {
    version: RATCHET_VERSION,
    ratchetId: copyBytes(o.ratchetId),
    localIdentityKey: copyBytes(o.localIdentityKey),
    remoteIdentityKey: copyBytes(o.remoteIdentityKey),
    rootKey: first.rootKey,
    sending: {
      dh: { publicKey: copyBytes(o.ours.dh.publicKey), privateKey: copyBytes(o.ours.dh.privateKey) },
      // Alice: her first sending chain. Bob: replaced at once below.
      chainKey: first.chainKey,
      index: 0,
      previousCount: 0,
      kem: null,
    },
    remoteDhPublicKey: copyBytes(o.theirs.dhPublicKey),
    receiving: [],
    kem: {
      own: { publicKey: copyBytes(o.ours.kem.publicKey), secretKey: copyBytes(o.ours.kem.secretKey) },
      peer: { publicKey: copyBytes(o.theirs.kemPublicKey), used: false },
      lastStepAt: null,
    },
    dhSteps: 1,
    kemSteps: 0,
  };
  if (!o.initiator) {
    // Bob: the first KDF_RK gave the receiving chain of Alice's first sending chain; then the
    // sending half of a DH ratchet step, so he can write first.
    state.receiving = [
      { dhPublicKey: copyBytes(o.theirs.dhPublicKey), chainKey: first.chainKey, next: 0, skipped: [] },
    ];
    await sendingHalf(state, crypto, now, interval);
  }
  return state;
}

// ── Encrypt and decrypt ─────────────────────────────────────────────────────────────────────────

export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  o: { now: number; crypto?: RatchetCrypto },
): Promise<{ state: RatchetState; message: Uint8Array }> {
  const now = checkNow(o.now);
  if (!(plaintext instanceof Uint8Array)) throw badArgument('plaintext must be bytes.');
  const s = cloneState(state);
  dropExpired(s, now);
  if (s.sending.index >= MAX_U32) {
    throw badState('its sending chain has run out of message numbers.');
  }
  const { messageKeySeed, nextChainKey } = chainStep(s.sending.chainKey);
  const headerBytes = encodeRatchetHeader({
    dhPublicKey: s.sending.dh.publicKey,
    previousCount: s.sending.previousCount,
    n: s.sending.index,
    kem: s.sending.kem,
  });
  s.sending.chainKey = nextChainKey;
  s.sending.index += 1;
  const { key, nonce } = messageKeys(messageKeySeed);
  const ad = associatedData(s.localIdentityKey, s.remoteIdentityKey, headerBytes);
  const ciphertext = await aesGcmEncrypt(key, nonce, plaintext, ad);
  return { state: s, message: concatBytes(headerBytes, ciphertext) };
}

/**
 * Reads one message. On success returns the new state, the plaintext and whether the message
 * started a new receiving chain (`dh`) and whether that step mixed a KEM secret in either half
 * (`kem`). On any refusal throws a ProtocolError, and the caller's state is still the one to keep.
 */
export async function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  o: StepOptions,
): Promise<{ state: RatchetState; plaintext: Uint8Array; step: { dh: boolean; kem: boolean } }> {
  const now = checkNow(o.now);
  const interval = checkInterval(o.kemStepIntervalMs);
  const crypto = o.crypto ?? defaultRatchetCrypto;
  const { header, headerBytes, ciphertext } = decodeRatchetMessage(message);
  const s = cloneState(state);
  dropExpired(s, now);
  const ad = associatedData(s.remoteIdentityKey, s.localIdentityKey, headerBytes);

  const chainIndex = s.receiving.findIndex((c) => constantTimeEqual(c.dhPublicKey, header.dhPublicKey));
  const chain = s.receiving[chainIndex];
  if (chain) {
    // Spec §3.5 TrySkippedMessageKeys, then the current chain.
    const at = chain.skipped.findIndex((k) => k.n === header.n);
    if (at >= 0) {
      const [skipped] = chain.skipped.splice(at, 1);
      const plaintext = await open(skipped!.seed, ciphertext, ad);
      return { state: s, plaintext, step: { dh: false, kem: false } };
    }
    if (header.n < chain.next) throw duplicate();
    if (chain.chainKey === null) {
      throw badMessage('A conversation message claims a place past the end of its sending chain.');
    }
    if (header.n - chain.next > MAX_SKIP) throw skipLimit();
    const seed = advance(chain, header.n, now);
    capSkipped(s);
    const plaintext = await open(seed, ciphertext, ad);
    return { state: s, plaintext, step: { dh: false, kem: false } };
  }
  if (constantTimeEqual(header.dhPublicKey, s.remoteDhPublicKey)) {
    // Only Alice before her first receiving chain: Bob never sends with B0.
    throw badMessage('A conversation message uses a ratchet key that starts no sending chain.');
  }

  // A DH ratchet step (spec §3.5 DHRatchet, docs/ratchet.md). Refusals first, before any derivation.
  const current = s.receiving[0];
  const toSkip = (current ? Math.max(0, header.previousCount - current.next) : 0) + header.n;
  if (toSkip > MAX_SKIP) throw skipLimit();
  let kemIn: Uint8Array | undefined;
  if (header.kem) {
    const own = s.kem.own;
    if (own === null || !constantTimeEqual(kemKeyId(own.publicKey), header.kem.targetId))
      throw unknownKemKey();
    kemIn = crypto.kemDecapsulate(header.kem.cipherText, own.secretKey);
  }
  if (current) {
    advanceTo(current, header.previousCount, now);
    current.chainKey = null;
  }
  // Receiving half.
  let dhOut: Uint8Array;
  try {
    dhOut = await crypto.dh(s.sending.dh.privateKey, header.dhPublicKey);
  } catch (cause) {
    throw badMessage('A conversation message carries an X25519 ratchet key that cannot be used.', cause);
  }
  const root = kdfRoot(s.rootKey, dhOut, kemIn);
  s.rootKey = root.rootKey;
  s.dhSteps += 1;
  if (kemIn) {
    s.kemSteps += 1;
    s.kem.own = null; // opened: no later block can name it, so its secret goes
    s.kem.peer = { publicKey: copyBytes(header.kem!.newPublicKey), used: false };
  }
  const fresh: RatchetReceivingChain = {
    dhPublicKey: copyBytes(header.dhPublicKey),
    chainKey: root.chainKey,
    next: 0,
    skipped: [],
  };
  s.receiving.unshift(fresh);
  s.receiving.length = Math.min(s.receiving.length, MAX_RECEIVING_CHAINS);
  s.remoteDhPublicKey = copyBytes(header.dhPublicKey);
  const seed = advance(fresh, header.n, now);
  capSkipped(s);
  const plaintext = await open(seed, ciphertext, ad);
  // Sending half, once the message proved genuine (the result is the same as doing it first, as
  // the spec does, and a forged message costs no key generation).
  const kemOut = await sendingHalf(s, crypto, now, interval);
  return { state: s, plaintext, step: { dh: true, kem: kemIn !== undefined || kemOut } };
}

/** Spec §3.5 DHRatchet's second half, with the KEM step rule of docs/ratchet.md. Mutates `s`. */
async function sendingHalf(
  s: RatchetState,
  crypto: RatchetCrypto,
  now: number,
  interval: number,
): Promise<boolean> {
  const { peer, lastStepAt } = s.kem;
  const kemStep =
    Number.isFinite(interval) &&
    !peer.used &&
    // Never made one, the interval has passed, or the clock went back.
    (lastStepAt === null || now - lastStepAt >= interval || now < lastStepAt);
  const dh = await crypto.generateDh();
  let kemSecret: Uint8Array | undefined;
  let block: RatchetKemBlock | null = null;
  if (kemStep) {
    const sent = crypto.kemEncapsulate(peer.publicKey);
    const own = crypto.kemKeyPair();
    kemSecret = sent.sharedSecret;
    block = {
      targetId: kemKeyId(peer.publicKey),
      cipherText: copyBytes(sent.cipherText),
      newPublicKey: copyBytes(own.publicKey),
    };
    s.kem = {
      own: { publicKey: copyBytes(own.publicKey), secretKey: copyBytes(own.secretKey) },
      peer: { publicKey: peer.publicKey, used: true },
      lastStepAt: now,
    };
  }
  const root = kdfRoot(s.rootKey, await crypto.dh(dh.privateKey, s.remoteDhPublicKey), kemSecret);
  s.rootKey = root.rootKey;
  s.sending = {
    dh: { publicKey: copyBytes(dh.publicKey), privateKey: copyBytes(dh.privateKey) },
    chainKey: root.chainKey,
    index: 0,
    previousCount: s.sending.index,
    kem: block,
  };
  s.dhSteps += 1;
  if (kemStep) s.kemSteps += 1;
  return kemStep;
}

/** Stores the keys of messages `chain.next` … `until − 1` as skipped (spec §3.5 SkipMessageKeys). */
function advanceTo(chain: RatchetReceivingChain, until: number, now: number): void {
  let ck = chain.chainKey;
  if (ck === null) return;
  for (let n = chain.next; n < until; n++) {
    const { messageKeySeed, nextChainKey } = chainStep(ck);
    chain.skipped.push({ n, seed: messageKeySeed, storedAt: now });
    ck = nextChainKey;
  }
  chain.chainKey = ck;
  chain.next = Math.max(chain.next, until);
}

/** Skips to message `n` of the current chain and returns its seed; the chain moves past it. */
function advance(chain: RatchetReceivingChain, n: number, now: number): Uint8Array {
  advanceTo(chain, n, now);
  const { messageKeySeed, nextChainKey } = chainStep(chain.chainKey!);
  chain.chainKey = nextChainKey;
  chain.next = n + 1;
  return messageKeySeed;
}

async function open(seed: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  const { key, nonce } = messageKeys(seed);
  try {
    return await aesGcmDecrypt(key, nonce, ciphertext, ad);
  } catch {
    throw decryptFailed();
  }
}

/** Drops skipped keys `SKIPPED_KEY_TTL_MS` old or older (a clock gone back keeps them). */
function dropExpired(s: RatchetState, now: number): void {
  for (const chain of s.receiving) {
    chain.skipped = chain.skipped.filter((k) => now - k.storedAt < SKIPPED_KEY_TTL_MS);
  }
}

/** Keeps the newest MAX_SKIPPED_KEYS: keys are stored oldest chain first, then by n. */
function capSkipped(s: RatchetState): void {
  let excess = countSkipped(s) - MAX_SKIPPED_KEYS;
  for (let i = s.receiving.length - 1; i >= 0 && excess > 0; i--) {
    const chain = s.receiving[i]!;
    const drop = Math.min(excess, chain.skipped.length);
    chain.skipped = chain.skipped.slice(drop);
    excess -= drop;
  }
}

function countSkipped(s: RatchetState): number {
  let total = 0;
  for (const chain of s.receiving) total += chain.skipped.length;
  return total;
}

export function ratchetStats(state: RatchetState): {
  ratchetId: Uint8Array;
  dhSteps: number;
  kemSteps: number;
  sendIndex: number;
  receiveIndex: number;
  skippedKeys: number;
  pq: true;
} {
  return {
    ratchetId: copyBytes(state.ratchetId),
    dhSteps: state.dhSteps,
    kemSteps: state.kemSteps,
    sendIndex: state.sending.index,
    receiveIndex: state.receiving[0]?.next ?? 0,
    skippedKeys: countSkipped(state),
    pq: true,
  };
}

// ── Copying and reading the state ───────────────────────────────────────────────────────────────

function cloneKem(block: RatchetKemBlock | null): RatchetKemBlock | null {
  return block
    ? {
        targetId: copyBytes(block.targetId),
        cipherText: copyBytes(block.cipherText),
        newPublicKey: copyBytes(block.newPublicKey),
      }
    : null;
}

/** A deep copy: the functions above change only the copy. */
function cloneState(s: RatchetState): RatchetState {
  return {
    version: s.version,
    ratchetId: copyBytes(s.ratchetId),
    localIdentityKey: copyBytes(s.localIdentityKey),
    remoteIdentityKey: copyBytes(s.remoteIdentityKey),
    rootKey: copyBytes(s.rootKey),
    sending: {
      dh: { publicKey: copyBytes(s.sending.dh.publicKey), privateKey: copyBytes(s.sending.dh.privateKey) },
      chainKey: copyBytes(s.sending.chainKey),
      index: s.sending.index,
      previousCount: s.sending.previousCount,
      kem: cloneKem(s.sending.kem),
    },
    remoteDhPublicKey: copyBytes(s.remoteDhPublicKey),
    receiving: s.receiving.map((c) => ({
      dhPublicKey: copyBytes(c.dhPublicKey),
      chainKey: c.chainKey === null ? null : copyBytes(c.chainKey),
      next: c.next,
      skipped: c.skipped.map((k) => ({ n: k.n, seed: copyBytes(k.seed), storedAt: k.storedAt })),
    })),
    kem: {
      own: s.kem.own && {
        publicKey: copyBytes(s.kem.own.publicKey),
        secretKey: copyBytes(s.kem.own.secretKey),
      },
      peer: { publicKey: copyBytes(s.kem.peer.publicKey), used: s.kem.peer.used },
      lastStepAt: s.kem.lastStepAt,
    },
    dhSteps: s.dhSteps,
    kemSteps: s.kemSteps,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function readObject(value: unknown, name: string): Record<string, unknown> {
  if (!isRecord(value)) throw badState(`${name} is not an object.`);
  return value;
}

function readBytes(value: unknown, name: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw badState(`${name} is not ${length} bytes.`);
  }
  return copyBytes(value);
}

function readCount(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw badState(`${name} is not a whole number from 0 to ${max}.`);
  }
  return value;
}

function readTime(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw badState(`${name} is not a time.`);
  }
  return value;
}

function readDhPublic(value: unknown, name: string): Uint8Array {
  const key = readBytes(value, name, KEY_LENGTH);
  if (!isRatchetDhKey(key)) throw badState(`${name} is not a canonical X25519 public key of full order.`);
  return key;
}

function readKemPublic(value: unknown, name: string): Uint8Array {
  const key = readBytes(value, name, ML_KEM_1024_PUBLIC_KEY_LENGTH);
  if (!isMlKem1024PublicKey(key)) throw badState(`${name} is not an ML-KEM-1024 encapsulation key.`);
  return key;
}

function readKemBlock(value: unknown, name: string): RatchetKemBlock | null {
  if (value === null) return null;
  const o = readObject(value, name);
  return {
    targetId: readBytes(o.targetId, `${name}.targetId`, KEM_KEY_ID_LENGTH),
    cipherText: readBytes(o.cipherText, `${name}.cipherText`, ML_KEM_1024_CIPHERTEXT_LENGTH),
    newPublicKey: readKemPublic(o.newPublicKey, `${name}.newPublicKey`),
  };
}

function readChain(value: unknown, name: string, current: boolean): RatchetReceivingChain {
  const o = readObject(value, name);
  const dhPublicKey = readDhPublic(o.dhPublicKey, `${name}.dhPublicKey`);
  let chainKey: Uint8Array | null = null;
  if (current) chainKey = readBytes(o.chainKey, `${name}.chainKey`, KEY_LENGTH);
  else if (o.chainKey !== null) throw badState(`${name} is an old chain but still has a chain key.`);
  const next = readCount(o.next, `${name}.next`, MAX_U32 + 1);
  if (!Array.isArray(o.skipped)) throw badState(`${name}.skipped is not a list.`);
  if (o.skipped.length > MAX_SKIPPED_KEYS)
    throw badState(`${name} holds more than ${MAX_SKIPPED_KEYS} skipped keys.`);
  const skipped: RatchetSkippedKey[] = [];
  for (const [i, item] of (o.skipped as unknown[]).entries()) {
    const k = readObject(item, `${name}.skipped[${i}]`);
    const n = readCount(k.n, `${name}.skipped[${i}].n`, MAX_U32);
    if (n >= next) throw badState(`${name}.skipped[${i}] is not below the chain's next message.`);
    if (i > 0 && n <= skipped[i - 1]!.n) throw badState(`${name}.skipped is not in ascending order.`);
    skipped.push({
      n,
      seed: readBytes(k.seed, `${name}.skipped[${i}].seed`, KEY_LENGTH),
      storedAt: readTime(k.storedAt, `${name}.skipped[${i}].storedAt`),
    });
  }
  return { dhPublicKey, chainKey, next, skipped };
}

/**
 * Validates a stored state field by field and returns a fresh copy (every byte string on its own
 * buffer). Throws `ProtocolError('BAD_RATCHET_STATE')` with a sentence naming the field.
 */
export function readRatchetState(value: unknown): RatchetState {
  const o = readObject(value, 'the state');
  if (o.version !== RATCHET_VERSION) {
    throw badState(`its version is ${String(o.version)}, and this app reads version ${RATCHET_VERSION}.`);
  }
  const sending = readObject(o.sending, 'sending');
  const sendingDh = readObject(sending.dh, 'sending.dh');
  const kem = readObject(o.kem, 'kem');
  const peer = readObject(kem.peer, 'kem.peer');
  let own: RatchetState['kem']['own'] = null;
  if (kem.own !== null) {
    const ownObject = readObject(kem.own, 'kem.own');
    own = {
      publicKey: readKemPublic(ownObject.publicKey, 'kem.own.publicKey'),
      secretKey: readBytes(ownObject.secretKey, 'kem.own.secretKey', ML_KEM_1024_SECRET_KEY_LENGTH),
    };
  }
  if (typeof peer.used !== 'boolean') throw badState('kem.peer.used is not true or false.');
  const remoteDhPublicKey = readDhPublic(o.remoteDhPublicKey, 'remoteDhPublicKey');
  if (!Array.isArray(o.receiving)) throw badState('receiving is not a list.');
  if (o.receiving.length > MAX_RECEIVING_CHAINS) {
    throw badState(`it keeps more than ${MAX_RECEIVING_CHAINS} receiving chains.`);
  }
  const receiving = (o.receiving as unknown[]).map((c, i) => readChain(c, `receiving[${i}]`, i === 0));
  if (receiving[0] && !constantTimeEqual(receiving[0].dhPublicKey, remoteDhPublicKey)) {
    throw badState("its current receiving chain is not the peer's latest ratchet key.");
  }
  for (let i = 0; i < receiving.length; i++) {
    for (let j = i + 1; j < receiving.length; j++) {
      if (constantTimeEqual(receiving[i]!.dhPublicKey, receiving[j]!.dhPublicKey)) {
        throw badState('two receiving chains have the same ratchet key.');
      }
    }
  }
  if (receiving.reduce((sum, c) => sum + c.skipped.length, 0) > MAX_SKIPPED_KEYS) {
    throw badState(`it holds more than ${MAX_SKIPPED_KEYS} skipped message keys.`);
  }
  const dhSteps = readCount(o.dhSteps, 'dhSteps', Number.MAX_SAFE_INTEGER);
  const kemSteps = readCount(o.kemSteps, 'kemSteps', dhSteps);
  return {
    version: RATCHET_VERSION,
    ratchetId: readBytes(o.ratchetId, 'ratchetId', RATCHET_ID_LENGTH),
    localIdentityKey: readBytes(o.localIdentityKey, 'localIdentityKey', KEY_LENGTH),
    remoteIdentityKey: readBytes(o.remoteIdentityKey, 'remoteIdentityKey', KEY_LENGTH),
    rootKey: readBytes(o.rootKey, 'rootKey', KEY_LENGTH),
    sending: {
      dh: {
        publicKey: readDhPublic(sendingDh.publicKey, 'sending.dh.publicKey'),
        privateKey: readBytes(sendingDh.privateKey, 'sending.dh.privateKey', KEY_LENGTH),
      },
      chainKey: readBytes(sending.chainKey, 'sending.chainKey', KEY_LENGTH),
      index: readCount(sending.index, 'sending.index', MAX_U32),
      previousCount: readCount(sending.previousCount, 'sending.previousCount', MAX_U32),
      kem: readKemBlock(sending.kem, 'sending.kem'),
    },
    remoteDhPublicKey,
    receiving,
    kem: {
      own,
      peer: { publicKey: readKemPublic(peer.publicKey, 'kem.peer.publicKey'), used: peer.used },
      lastStepAt: kem.lastStepAt === null ? null : readTime(kem.lastStepAt, 'kem.lastStepAt'),
    },
    dhSteps,
    kemSteps,
  };
}
