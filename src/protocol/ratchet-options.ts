/**
 * The conversation ratchet's options and primitives (docs/ratchet.md, The sending half): the two
 * step intervals, the injectable X25519 and ML-KEM-1024 (FIPS 203) primitives, and the check of the
 * options every entry point of ratchet.ts makes first. Exported from ratchet.ts.
 */
import { mlKem1024Decapsulate, mlKem1024Encapsulate, mlKem1024KeyPair } from '../crypto/ml-kem';
import { generateRawX25519KeyPair, rawX25519SharedSecret } from '../crypto/x25519-raw';
import { badArgument } from './ratchet-errors';

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

export interface Settings {
  now: number;
  crypto: RatchetCrypto;
  kemInterval: number;
  dhInterval: number;
}

export function settings(o: RatchetOptions): Settings {
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
export function intervalPassed(last: number | null, now: number, interval: number): boolean {
  return last === null || now - last >= interval || now < last;
}
