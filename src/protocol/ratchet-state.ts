/**
 * The conversation ratchet's state (docs/ratchet.md, State and its handling): its type, the limits
 * it keeps, a deep copy, and `readRatchetState`, which validates a stored state field by field
 * (never a cast) and reads versions 1 and 2, written before the sending half was deferred and before
 * the chain ack.
 */
import { constantTimeEqual, copyBytes } from '../crypto/bytes';
import {
  ML_KEM_1024_CIPHERTEXT_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
  ML_KEM_1024_SECRET_KEY_LENGTH,
} from '../crypto/pq-lengths';
import {
  KEM_KEY_ID_LENGTH,
  MAX_U32,
  type RatchetKemBlock,
  isMlKem1024PublicKey,
  isRatchetDhKey,
} from './ratchet-codec';
import { badState } from './ratchet-errors';
import { chainStep } from './ratchet-kdf';

/**
 * The state's shape. 3 added `sending.kemDelivered`; 2 added `sending.startedAt` and
 * `sending.stepDue`. 1 and 2 are still read.
 */
export const RATCHET_STATE_VERSION = 3;
/** A header needing more skipped message keys than this is refused (docs/ratchet.md, Limits). */
export const MAX_SKIP = 2000;
/** Skipped message keys kept in all; beyond that the oldest are dropped. */
export const MAX_SKIPPED_KEYS = 2000;
/** Receiving chains whose skipped keys (and replay record) are kept, the current one included. */
export const MAX_RECEIVING_CHAINS = 5;
export const SKIPPED_KEY_TTL_MS = 30 * 24 * 3600 * 1000;
export const RATCHET_ID_LENGTH = 16;
const KEY_LENGTH = 32;

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

export interface RatchetSendingChain {
  /** DHs: this side's latest ratchet key pair. */
  dh: { publicKey: Uint8Array; privateKey: Uint8Array };
  /** The chain key of message `index`; null while this side has no sending chain (Bob, until he first writes). */
  chainKey: Uint8Array | null;
  /** Ns: the number of the next message sent. */
  index: number;
  /** PN. */
  previousCount: number;
  /**
   * The KEM block of this chain, when it began with a KEM step, until the peer acknowledges the
   * chain: every message carries it until then, and it is dropped then.
   */
  kem: RatchetKemBlock | null;
  /**
   * This chain began with a KEM step, and a message read from the peer acknowledged the chain: its
   * block is no longer kept (`kem` is null), and messages say it is left out (flag bit 1).
   */
  kemDelivered: boolean;
  /** `now` at the sending half that made this chain; null for Alice's first chain, or none. */
  startedAt: number | null;
  /**
   * The sending half of a DH step is due: the peer's latest ratchet key (DHr) is newer than the one
   * this chain was built on, or there is no chain. `ratchetEncrypt` makes it when the interval allows.
   */
  stepDue: boolean;
}

/**
 * Plain, structured-clone-safe data (numbers, booleans, null, `Uint8Array`s on their own buffers,
 * arrays, plain objects). Read a stored one back with `readRatchetState`.
 */
export interface RatchetState {
  version: typeof RATCHET_STATE_VERSION;
  ratchetId: Uint8Array;
  /** The X25519 identity keys the ratchet was started with, for the associated data. */
  localIdentityKey: Uint8Array;
  remoteIdentityKey: Uint8Array;
  rootKey: Uint8Array;
  sending: RatchetSendingChain;
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

export function countSkipped(s: RatchetState): number {
  let total = 0;
  for (const chain of s.receiving) total += chain.skipped.length;
  return total;
}

/** What the inspector shows: counters, no key material. */
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

// ── Receiving chains and their limits ───────────────────────────────────────────────────────

/** Stores the keys of messages `chain.next` … `until − 1` as skipped (spec §3.5 SkipMessageKeys). */
export function advanceTo(chain: RatchetReceivingChain, until: number, now: number): void {
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
export function advance(chain: RatchetReceivingChain, n: number, now: number): Uint8Array {
  advanceTo(chain, n, now);
  const { messageKeySeed, nextChainKey } = chainStep(chain.chainKey!);
  chain.chainKey = nextChainKey;
  chain.next = n + 1;
  return messageKeySeed;
}

/** Drops skipped keys `SKIPPED_KEY_TTL_MS` old or older (a clock gone back keeps them). */
export function dropExpired(s: RatchetState, now: number): void {
  for (const chain of s.receiving) {
    chain.skipped = chain.skipped.filter((k) => now - k.storedAt < SKIPPED_KEY_TTL_MS);
  }
}

/** Keeps the newest MAX_SKIPPED_KEYS: keys are stored oldest chain first, then by n. */
export function capSkipped(s: RatchetState): void {
  let excess = countSkipped(s) - MAX_SKIPPED_KEYS;
  for (let i = s.receiving.length - 1; i >= 0 && excess > 0; i--) {
    const chain = s.receiving[i]!;
    const drop = Math.min(excess, chain.skipped.length);
    chain.skipped = chain.skipped.slice(drop);
    excess -= drop;
  }
}

// ── Copying ─────────────────────────────────────────────────────────────────────────────────────

/**
 * A copy of the state's structure, for ratchet.ts to change: every object and array is new, the
 * byte strings are shared. Nothing in the ratchet writes into a byte string of a state (a step
 * replaces them: `chainKey = next`), so sharing them is safe, and it keeps a message from copying
 * the ~10 KB of ML-KEM keys each time. Byte strings that come from outside (a message's header)
 * are copied where they enter the state, so each stays on a buffer of its own.
 */
export function cloneState(s: RatchetState): RatchetState {
  return {
    ...s,
    sending: { ...s.sending, dh: { ...s.sending.dh } },
    receiving: s.receiving.map((c) => ({ ...c, skipped: c.skipped.map((k) => ({ ...k })) })),
    kem: {
      own: s.kem.own && { ...s.kem.own },
      peer: { ...s.kem.peer },
      lastStepAt: s.kem.lastStepAt,
    },
  };
}

// ── Reading a stored state ──────────────────────────────────────────────────────────────────────

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

function readBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw badState(`${name} is not true or false.`);
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
 * The sending chain. A version 1 state has neither `startedAt` nor `stepDue`: it always had a chain
 * built on DHr (its sending half ran when the peer's key was read), so they read as null and false.
 * Versions 1 and 2 have no `kemDelivered`: a block they keep has not been acknowledged (it travels
 * until a chain ack arrives), so it reads as false.
 */
function readSending(value: unknown, version: 1 | 2 | 3, receivingChains: number): RatchetSendingChain {
  const sending = readObject(value, 'sending');
  const dh = readObject(sending.dh, 'sending.dh');
  const chainKey =
    version >= 2 && sending.chainKey === null
      ? null
      : readBytes(sending.chainKey, 'sending.chainKey', KEY_LENGTH);
  const out: RatchetSendingChain = {
    dh: {
      publicKey: readDhPublic(dh.publicKey, 'sending.dh.publicKey'),
      privateKey: readBytes(dh.privateKey, 'sending.dh.privateKey', KEY_LENGTH),
    },
    chainKey,
    index: readCount(sending.index, 'sending.index', MAX_U32),
    previousCount: readCount(sending.previousCount, 'sending.previousCount', MAX_U32),
    kem: readKemBlock(sending.kem, 'sending.kem'),
    startedAt:
      version === 1 || sending.startedAt === null ? null : readTime(sending.startedAt, 'sending.startedAt'),
    stepDue: version === 1 ? false : readBoolean(sending.stepDue, 'sending.stepDue'),
    kemDelivered: version < 3 ? false : readBoolean(sending.kemDelivered, 'sending.kemDelivered'),
  };
  if (out.kemDelivered && out.kem !== null) {
    throw badState('the KEM block of its sending chain is marked delivered, yet still kept.');
  }
  if (out.stepDue && receivingChains === 0) {
    throw badState('a DH step is due, but no ratchet key of the peer was ever read.');
  }
  if (
    chainKey === null &&
    (!out.stepDue ||
      out.index !== 0 ||
      out.previousCount !== 0 ||
      out.kem !== null ||
      out.kemDelivered ||
      out.startedAt !== null)
  ) {
    throw badState('it has no sending chain, yet its sending fields are not those of a new ratchet.');
  }
  return out;
}

/**
 * Validates a stored state field by field and returns a fresh copy (every byte string on its own
 * buffer) of the current version. Throws `ProtocolError('BAD_RATCHET_STATE')` with a sentence
 * naming the field.
 */
export function readRatchetState(value: unknown): RatchetState {
  const o = readObject(value, 'the state');
  const version = o.version;
  if (version !== 1 && version !== 2 && version !== RATCHET_STATE_VERSION) {
    throw badState(
      `its version is ${String(o.version)}, and this app reads versions 1 to ${RATCHET_STATE_VERSION}.`,
    );
  }
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
    version: RATCHET_STATE_VERSION,
    ratchetId: readBytes(o.ratchetId, 'ratchetId', RATCHET_ID_LENGTH),
    localIdentityKey: readBytes(o.localIdentityKey, 'localIdentityKey', KEY_LENGTH),
    remoteIdentityKey: readBytes(o.remoteIdentityKey, 'remoteIdentityKey', KEY_LENGTH),
    rootKey: readBytes(o.rootKey, 'rootKey', KEY_LENGTH),
    sending: readSending(o.sending, version, receiving.length),
    remoteDhPublicKey,
    receiving,
    kem: {
      own,
      peer: {
        publicKey: readKemPublic(peer.publicKey, 'kem.peer.publicKey'),
        used: readBoolean(peer.used, 'kem.peer.used'),
      },
      lastStepAt: kem.lastStepAt === null ? null : readTime(kem.lastStepAt, 'kem.lastStepAt'),
    },
    dhSteps,
    kemSteps,
  };
}
