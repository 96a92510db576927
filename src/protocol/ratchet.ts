/**
 * The conversation ratchet: one Double Ratchet per contact (Signal, _The Double Ratchet Algorithm_,
 * revision 3, "the spec"), with ML-KEM-1024 (FIPS 203) secrets mixed into the root chain as in
 * SimpleX's PQ double ratchet, and the sending half of each DH step deferred to the next message
 * written, at most one a second. docs/ratchet.md is the specification this file implements; the
 * wire format is in ratchet-codec.ts, the KDFs in ratchet-kdf.ts, the state in ratchet-state.ts
 * (all exported from here too).
 *
 *   Alice (session initiator)                                    Bob (responder)
 *   handshake payload: A0, kA0  ───────────────────────────────►
 *                               ◄─────────────────────────────── handshake payload: B0, kB0
 *   rk0, id = deriveRatchetInit(ck, h)                           rk0, id = deriveRatchetInit(ck, h)
 *   RK, CKs = KDF_RK(rk0, DH(A0, B0))                            RK, CKr = KDF_RK(rk0, DH(B0, A0))
 *   [A0, pn, n] ciphertext      ───────────────────────────────► (same chain: no step)
 *                                                                first message: sending half,
 *                                                                  new B1; RK, CKs =
 *                                                                  KDF_RK(RK, DH(B1, A0), ss → kA0)
 *                               ◄─────────────────────────────── [B1, pn, n, KEM: →kA0, kB1] ct
 *   receiving half: KDF_RK(RK, DH(A0, B1), decaps(kA0)); a step is due
 *   her next message (her first sending half: no interval to wait):
 *   sending half:   new A1; KDF_RK(RK, DH(A1, B1), ss → kB1)
 *   [A1, pn, n, KEM: →kB1, kA1] ───────────────────────────────► receiving half; a step is due, and
 *                                                                his first message written 1 s or
 *                                                                more after B1 makes it; until then
 *                                                                he writes on B1
 *
 * Everything here is pure: no storage, no timers, the clock passed in as `now`. `ratchetEncrypt` and
 * `ratchetDecrypt` never change the state they are given; they return a new one, which the caller
 * commits (with the message and the ack, in one transaction) only when the call succeeded.
 *
 * Cost: encrypting is one HMAC chain step, one HKDF and one AES-GCM; when it makes the sending half
 * of a DH step (at most once a second), one X25519 key pair and agreement too, and on a KEM step an
 * ML-KEM-1024 encapsulation and key pair. Decrypting a new peer key adds one X25519 agreement, and
 * on a KEM block one decapsulation. Only X25519 and AES-GCM are awaited.
 */
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aead';
import { concatBytes, constantTimeEqual, copyBytes } from '../crypto/bytes';
import { mlKem1024Decapsulate, mlKem1024Encapsulate, mlKem1024KeyPair } from '../crypto/ml-kem';
import { ML_KEM_1024_PUBLIC_KEY_LENGTH, ML_KEM_1024_SECRET_KEY_LENGTH } from '../crypto/pq-lengths';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { generateRawX25519KeyPair, rawX25519SharedSecret } from '../crypto/x25519-raw';
import {
  MAX_U32,
  type RatchetKemBlock,
  decodeRatchetMessage,
  encodeRatchetHeader,
  isMlKem1024PublicKey,
  isRatchetDhKey,
  kemKeyId,
} from './ratchet-codec';
import {
  badArgument,
  badMessage,
  badState,
  checkKey,
  decryptFailed,
  duplicate,
  skipLimit,
  unknownKemKey,
} from './ratchet-errors';
import { associatedData, chainStep, kdfRoot, messageKeys } from './ratchet-kdf';
import {
  MAX_RECEIVING_CHAINS,
  MAX_SKIP,
  RATCHET_ID_LENGTH,
  RATCHET_STATE_VERSION,
  type RatchetReceivingChain,
  type RatchetState,
  advance,
  advanceTo,
  capSkipped,
  cloneState,
  dropExpired,
} from './ratchet-state';

export {
  KEM_KEY_ID_LENGTH,
  RATCHET_HEADER_LENGTH,
  RATCHET_KEM_BLOCK_LENGTH,
  RATCHET_VERSION,
  type RatchetHeader,
  type RatchetKemBlock,
  decodeRatchetMessage,
  encodeRatchetHeader,
  kemKeyId,
} from './ratchet-codec';
export { deriveRatchetInit, kdfChainKey, kdfRoot, messageKeys } from './ratchet-kdf';
export {
  MAX_RECEIVING_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  RATCHET_ID_LENGTH,
  RATCHET_STATE_VERSION,
  type RatchetReceivingChain,
  type RatchetSendingChain,
  type RatchetSkippedKey,
  type RatchetState,
  SKIPPED_KEY_TTL_MS,
  ratchetStats,
  readRatchetState,
} from './ratchet-state';

/** A side makes at most one KEM step in this interval (docs/ratchet.md, The sending half). */
export const KEM_STEP_INTERVAL_MS = 1000;
/**
 * A side makes the sending half of a DH step at most once in this interval (docs/ratchet.md, The
 * sending half). The same as KEM_STEP_INTERVAL_MS, so every sending half can carry a KEM step.
 */
export const DH_STEP_INTERVAL_MS = 1000;

/** The primitives, injectable so tests can record keys and model attackers. */
export interface RatchetCrypto {
  generateDh(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }>;
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  kemKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  kemEncapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export const defaultRatchetCrypto: RatchetCrypto = {
  generateDh: async () => generateRawX25519KeyPair(),
  dh: async (privateKey, publicKey) => rawX25519SharedSecret(privateKey, publicKey),
  kemKeyPair: () => mlKem1024KeyPair(),
  kemEncapsulate: (publicKey) => mlKem1024Encapsulate(publicKey),
  kemDecapsulate: mlKem1024Decapsulate,
};

/** What a side announces in its handshake payload (the public halves) and keeps for the start. */
export interface RatchetInitKeys {
  dh: { publicKey: Uint8Array; privateKey: Uint8Array };
  kem: { publicKey: Uint8Array; secretKey: Uint8Array };
}

/**
 * The options of `initRatchet`, `ratchetEncrypt` and `ratchetDecrypt`. The two intervals decide the
 * sending half, which only `ratchetEncrypt` makes; the others check them and pass them by.
 */
export interface RatchetOptions {
  now: number;
  crypto?: RatchetCrypto;
  /**
   * The least time between two KEM steps of this side; KEM_STEP_INTERVAL_MS unless given.
   * `Infinity` turns KEM steps off (for tests and measurements; the app never passes it).
   */
  kemStepIntervalMs?: number;
  /**
   * The least time between two sending halves of this side; DH_STEP_INTERVAL_MS unless given. 0
   * steps on every turn, as the classic algorithm does (for tests and measurements).
   */
  dhStepIntervalMs?: number;
}

interface Settings {
  now: number;
  crypto: RatchetCrypto;
  kemInterval: number;
  dhInterval: number;
}

// ── Checks ───────────────────────────────────────────────────────────────────────────

function settings(o: RatchetOptions): Settings {
  const { now, kemStepIntervalMs: kem, dhStepIntervalMs: dh } = o;
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    throw badArgument('now must be a non-negative number of milliseconds.');
  }
  if (kem !== undefined && (typeof kem !== 'number' || Number.isNaN(kem) || kem < 0)) {
    throw badArgument('kemStepIntervalMs must be a non-negative number of milliseconds, or Infinity.');
  }
  if (dh !== undefined && (typeof dh !== 'number' || !Number.isFinite(dh) || dh < 0)) {
    throw badArgument('dhStepIntervalMs must be a non-negative, finite number of milliseconds.');
  }
  return {
    now,
    crypto: o.crypto ?? defaultRatchetCrypto,
    kemInterval: kem ?? KEM_STEP_INTERVAL_MS,
    dhInterval: dh ?? DH_STEP_INTERVAL_MS,
  };
}

/** Never happened, `interval` has passed since `last`, or the clock now reads earlier than `last`. */
function intervalPassed(last: number | null, now: number, interval: number): boolean {
  return last === null || now - last >= interval || now < last;
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
export async function initRatchet(
  o: RatchetOptions & {
    initiator: boolean;
    rootKey: Uint8Array;
    ratchetId: Uint8Array;
    ours: RatchetInitKeys;
    theirs: { dhPublicKey: Uint8Array; kemPublicKey: Uint8Array };
    localIdentityKey: Uint8Array;
    remoteIdentityKey: Uint8Array;
  },
): Promise<RatchetState> {
  const { crypto } = settings(o);
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
  // Alice: her first sending chain, built on B0, the peer's latest key. Bob: the receiving chain of
  // that chain, and no sending chain yet: his first message makes one (the sending half, due now).
  return {
    version: RATCHET_STATE_VERSION,
    ratchetId: copyBytes(o.ratchetId),
    localIdentityKey: copyBytes(o.localIdentityKey),
    remoteIdentityKey: copyBytes(o.remoteIdentityKey),
    rootKey: first.rootKey,
    sending: {
      dh: { publicKey: copyBytes(o.ours.dh.publicKey), privateKey: copyBytes(o.ours.dh.privateKey) },
      chainKey: o.initiator ? first.chainKey : null,
      index: 0,
      previousCount: 0,
      kem: null,
      startedAt: null,
      stepDue: !o.initiator,
    },
    remoteDhPublicKey: copyBytes(o.theirs.dhPublicKey),
    receiving: o.initiator
      ? []
      : [{ dhPublicKey: copyBytes(o.theirs.dhPublicKey), chainKey: first.chainKey, next: 0, skipped: [] }],
    kem: {
      own: { publicKey: copyBytes(o.ours.kem.publicKey), secretKey: copyBytes(o.ours.kem.secretKey) },
      peer: { publicKey: copyBytes(o.theirs.kemPublicKey), used: false },
      lastStepAt: null,
    },
    dhSteps: 1,
    kemSteps: 0,
  };
}

// ── Encrypt ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Encrypts one message. First, when it is time, the sending half of a DH step (docs/ratchet.md,
 * The sending half): this side has no sending chain yet, or the peer has a ratchet key newer than
 * the one this chain was built on and this side's last sending half was `dhStepIntervalMs` ago (or
 * the clock went back). Otherwise the message takes the next key of the current sending chain.
 * Returns the new state, the message, and whether it made a sending half (`dh`) with a KEM step
 * (`kem`).
 */
export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  o: RatchetOptions,
): Promise<{ state: RatchetState; message: Uint8Array; step: { dh: boolean; kem: boolean } }> {
  const set = settings(o);
  if (!(plaintext instanceof Uint8Array)) throw badArgument('plaintext must be bytes.');
  const s = cloneState(state);
  dropExpired(s, set.now);
  const step = { dh: false, kem: false };
  const { chainKey, stepDue, startedAt } = s.sending;
  if (chainKey === null || (stepDue && intervalPassed(startedAt, set.now, set.dhInterval))) {
    step.dh = true;
    step.kem = await sendingHalf(s, set);
  }
  const sending = s.sending;
  if (sending.index >= MAX_U32) {
    throw badState('its sending chain has run out of message numbers.');
  }
  const { messageKeySeed, nextChainKey } = chainStep(sending.chainKey!);
  const headerBytes = encodeRatchetHeader({
    dhPublicKey: sending.dh.publicKey,
    previousCount: sending.previousCount,
    n: sending.index,
    kem: sending.kem,
  });
  sending.chainKey = nextChainKey;
  sending.index += 1;
  const { key, nonce } = messageKeys(messageKeySeed);
  const ad = associatedData(s.localIdentityKey, s.remoteIdentityKey, headerBytes);
  const ciphertext = await aesGcmEncrypt(key, nonce, plaintext, ad);
  return { state: s, message: concatBytes(headerBytes, ciphertext), step };
}

/**
 * Spec §3.5 DHRatchet's second half, with the KEM step rule of docs/ratchet.md. Mutates `s`.
 * Returns whether it made a KEM step.
 */
async function sendingHalf(s: RatchetState, { crypto, now, kemInterval }: Settings): Promise<boolean> {
  const { peer, lastStepAt } = s.kem;
  const kemStep = Number.isFinite(kemInterval) && !peer.used && intervalPassed(lastStepAt, now, kemInterval);
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
    startedAt: now,
    stepDue: false,
  };
  s.dhSteps += 1;
  if (kemStep) s.kemSteps += 1;
  return kemStep;
}

// ── Decrypt ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Reads one message. On success returns the new state, the plaintext and whether the message
 * started a new receiving chain (`dh`: the receiving half of a DH step) with a KEM secret (`kem`).
 * The sending half waits for this side's next message. On any refusal throws a ProtocolError, and
 * the caller's state is still the one to keep.
 */
export async function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  o: RatchetOptions,
): Promise<{ state: RatchetState; plaintext: Uint8Array; step: { dh: boolean; kem: boolean } }> {
  const { now, crypto } = settings(o);
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
    if (header.n - chain.next > MAX_SKIP) throw skipLimit(MAX_SKIP);
    const seed = advance(chain, header.n, now);
    capSkipped(s);
    const plaintext = await open(seed, ciphertext, ad);
    return { state: s, plaintext, step: { dh: false, kem: false } };
  }
  if (constantTimeEqual(header.dhPublicKey, s.remoteDhPublicKey)) {
    // Only Alice before her first receiving chain: Bob never sends with B0.
    throw badMessage('A conversation message uses a ratchet key that starts no sending chain.');
  }

  // The receiving half of a DH ratchet step (spec §3.5 DHRatchet, docs/ratchet.md). Refusals
  // first, before any derivation.
  const current = s.receiving[0];
  const toSkip = (current ? Math.max(0, header.previousCount - current.next) : 0) + header.n;
  if (toSkip > MAX_SKIP) throw skipLimit(MAX_SKIP);
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
  // The peer now has a key newer than the one this side's sending chain was built on.
  s.sending.stepDue = true;
  const seed = advance(fresh, header.n, now);
  capSkipped(s);
  const plaintext = await open(seed, ciphertext, ad);
  return { state: s, plaintext, step: { dh: true, kem: kemIn !== undefined } };
}

async function open(seed: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  const { key, nonce } = messageKeys(seed);
  try {
    return await aesGcmDecrypt(key, nonce, ciphertext, ad);
  } catch {
    throw decryptFailed();
  }
}
