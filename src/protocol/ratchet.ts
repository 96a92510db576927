/**
 * The conversation ratchet: one Double Ratchet per contact (Signal, _The Double Ratchet Algorithm_,
 * revision 3, "the spec"), with ML-KEM-1024 (FIPS 203) secrets mixed into the root chain as in
 * SimpleX's PQ double ratchet, and the sending half of each DH step deferred to the next message
 * written, at most one a second; and a chain ack in every header, so that a chain's KEM block travels
 * only until the peer holds the chain. docs/ratchet.md is the specification this file implements;
 * the wire format is in ratchet-codec.ts, the KDFs in ratchet-kdf.ts, the state in ratchet-state.ts,
 * the options and primitives in ratchet-options.ts (all exported from here too).
 *
 *   Alice (session initiator)                                    Bob (responder)
 *   handshake payload: A0, kA0  ───────────────────────────────►
 *                               ◄─────────────────────────────── handshake payload: B0, kB0
 *   rk0, id = deriveRatchetInit(ck, h)                           rk0, id = deriveRatchetInit(ck, h)
 *   RK, CKs = KDF_RK(rk0, DH(A0, B0))                            RK, CKr = KDF_RK(rk0, DH(B0, A0))
 *   [A0, pn, n, ack —] ct       ───────────────────────────────► (same chain: no step)
 *                                                                first message: sending half,
 *                                                                  new B1; RK, CKs =
 *                                                                  KDF_RK(RK, DH(B1, A0), ss → kA0)
 *                               ◄─────────────────────────────── [B1, pn, n, ack A0, KEM: →kA0, kB1]
 *   receiving half: KDF_RK(RK, DH(A0, B1), decaps(kA0)); a step is due
 *   her next message (her first sending half: no interval to wait):
 *   sending half:   new A1; KDF_RK(RK, DH(A1, B1), ss → kB1)
 *   [A1, pn, n, ack B1, KEM: →kB1, kA1] ───────────────────────► receiving half; a step is due. The
 *                                                                ack names B1: B1's block is dropped.
 *                               ◄─────────────────────────────── [B1, pn, n, ack A1, block left out]
 *                                                                (on B1 until 1 s after B1 began;
 *                                                                his next message makes the step)
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
import { ML_KEM_1024_PUBLIC_KEY_LENGTH, ML_KEM_1024_SECRET_KEY_LENGTH } from '../crypto/pq-lengths';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import {
  MAX_U32,
  type RatchetHeader,
  type RatchetKemBlock,
  acknowledges,
  chainAck,
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
  chainNotHeld,
  decryptFailed,
  duplicate,
  skipLimit,
  unknownKemKey,
} from './ratchet-errors';
import { associatedData, chainStep, kdfRoot, messageKeys } from './ratchet-kdf';
import {
  type RatchetCrypto,
  type RatchetInitKeys,
  type RatchetOptions,
  type Settings,
  defaultRatchetCrypto,
  intervalPassed,
  settings,
} from './ratchet-options';
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
  CHAIN_ACK_LENGTH,
  KEM_KEY_ID_LENGTH,
  RATCHET_HEADER_LENGTH,
  RATCHET_KEM_BLOCK_LENGTH,
  RATCHET_VERSION,
  type RatchetHeader,
  type RatchetHeaderInput,
  type RatchetKemBlock,
  chainAck,
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
export {
  DH_STEP_INTERVAL_MS,
  KEM_STEP_INTERVAL_MS,
  type RatchetCrypto,
  type RatchetInitKeys,
  type RatchetOptions,
  defaultRatchetCrypto,
} from './ratchet-options';

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
      kemDelivered: false,
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
    chainAck: chainAck(s.receiving[0]?.dhPublicKey),
    kem: sending.kem,
    kemLeftOut: sending.kemDelivered,
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
    kemDelivered: false,
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
  const set = settings(o);
  const { header, headerBytes, ciphertext } = decodeRatchetMessage(message);
  const s = cloneState(state);
  dropExpired(s, set.now);
  const ad = associatedData(s.remoteIdentityKey, s.localIdentityKey, headerBytes);
  const read = await readInto(s, header, ciphertext, ad, set);
  // AES-GCM verified the header, its chain ack included: the peer wrote it.
  takeChainAck(s, header.chainAck);
  return { state: s, ...read };
}

/** docs/ratchet.md, Reading a message, steps 3 to 7: finds the message's key and opens it. Mutates `s`. */
async function readInto(
  s: RatchetState,
  header: RatchetHeader,
  ciphertext: Uint8Array,
  ad: Uint8Array,
  { now, crypto }: Settings,
): Promise<{ plaintext: Uint8Array; step: { dh: boolean; kem: boolean } }> {
  const same = { dh: false, kem: false };
  const chainIndex = s.receiving.findIndex((c) => constantTimeEqual(c.dhPublicKey, header.dhPublicKey));
  const chain = s.receiving[chainIndex];
  if (chain) {
    // Spec §3.5 TrySkippedMessageKeys, then the current chain.
    const at = chain.skipped.findIndex((k) => k.n === header.n);
    if (at >= 0) {
      const [skipped] = chain.skipped.splice(at, 1);
      return { plaintext: await open(skipped!.seed, ciphertext, ad), step: same };
    }
    if (header.n < chain.next) throw duplicate();
    if (chain.chainKey === null) {
      throw badMessage('A conversation message claims a place past the end of its sending chain.');
    }
    if (header.n - chain.next > MAX_SKIP) throw skipLimit(MAX_SKIP);
    const seed = advance(chain, header.n, now);
    capSkipped(s);
    return { plaintext: await open(seed, ciphertext, ad), step: same };
  }
  if (constantTimeEqual(header.dhPublicKey, s.remoteDhPublicKey)) {
    // Only Alice before her first receiving chain: Bob never sends with B0.
    throw badMessage('A conversation message uses a ratchet key that starts no sending chain.');
  }
  // The peer leaves a block out only once this side acknowledged the chain, so held it; a chain
  // held and not kept is older than those kept, or this state older than the one that acknowledged.
  if (header.kemLeftOut) throw chainNotHeld();

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
  return { plaintext: await open(seed, ciphertext, ad), step: { dh: true, kem: kemIn !== undefined } };
}

/**
 * docs/ratchet.md, The chain ack: a message read names this side's current sending chain, so the
 * peer holds it and needs its KEM block no more. Only the current chain: an older chain's block is
 * gone already, and the current one's is needed until the peer names it. Mutates `s`.
 */
function takeChainAck(s: RatchetState, ack: Uint8Array): void {
  const sending = s.sending;
  if (sending.kem !== null && acknowledges(ack, sending.dh.publicKey)) {
    sending.kem = null;
    sending.kemDelivered = true;
  }
}

async function open(seed: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  const { key, nonce } = messageKeys(seed);
  try {
    return await aesGcmDecrypt(key, nonce, ciphertext, ad);
  } catch {
    throw decryptFailed();
  }
}
