/**
 * The conversation ratchet's key derivations (docs/ratchet.md, Keys and KDFs): Signal's Double
 * Ratchet §5.2 recommendations (KDF_RK as HKDF with the root key as salt, KDF_CK as HMAC with the
 * constants 0x01 and 0x02), the message keys, the associated data, and the start from a finished
 * Noise handshake. HKDF is RFC 5869, HMAC RFC 2104, both over SHA-256.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../crypto/bytes';
import { checkKey } from './ratchet-errors';

const INFO_ROOT = utf8('SecMsg/0.1 ratchet root');
const INFO_MESSAGE = utf8('SecMsg/0.1 ratchet message');
const INFO_INIT = utf8('SecMsg/0.1 ratchet init');
const AD_PREFIX = utf8('SecMsg/0.1 ratchet');
const ZERO_SALT = new Uint8Array(32);
const CHAIN_MESSAGE_INPUT = Uint8Array.of(0x01);
const CHAIN_NEXT_INPUT = Uint8Array.of(0x02);

/** KDF_CK, spec §5.2: message key seed = HMAC-SHA256(ck, 0x01), next chain key = HMAC-SHA256(ck, 0x02). */
export function chainStep(chainKey: Uint8Array): { messageKeySeed: Uint8Array; nextChainKey: Uint8Array } {
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

/** AES-GCM's associated data: "SecMsg/0.1 ratchet" ‖ sender's identity key ‖ receiver's ‖ header. */
export function associatedData(
  sender: Uint8Array,
  receiver: Uint8Array,
  headerBytes: Uint8Array,
): Uint8Array {
  return concatBytes(AD_PREFIX, sender, receiver, headerBytes);
}
