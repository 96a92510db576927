/**
 * The message patterns of noise.ts (Noise rev 34 §7.5 XX, and XXhfs per the HFS extension §5),
 * their protocol names, the handshake's options, and the checks and sentences of its refusals.
 *
 * The KEM: the HFS spec names none (HFS §6; it was written with Kyber and NewHope in mind). We use
 * FIPS 203 ML-KEM-1024 unchanged in its place: GENERATE_KEM_KEYPAIR = ML-KEM.KeyGen,
 * GENERATE_KEM_CIPHERTEXT = ML-KEM.Encaps, KEM() = ML-KEM.Decaps, KEMPUBLICKEYLEN = 1568 (the
 * encapsulation key), KEMCIPHERTEXTLEN = 1568, KEMOUTPUTLEN = 32 (the shared secret K). Kyber1024
 * vectors of other libraries do not apply (round-3 Kyber is not ML-KEM), and no published vector
 * uses this name. XXhfs message sizes: 1600, 1680 and 64 bytes plus the payload.
 */
import { copyBytes } from '../crypto/bytes';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import type { DhKeyPair } from './noise';
import type { NoiseCipherState } from './noise-state';
import { ProtocolError } from './errors';

export const NOISE_XX_PROTOCOL_NAME = 'Noise_XX_25519_AESGCM_SHA256';
/** HFS §5: the KEM's name follows the DH name, joined by "+". */
export const NOISE_XXHFS_PROTOCOL_NAME = 'Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256';
/** The plain XX name, kept for existing callers. */
export const NOISE_PROTOCOL_NAME = NOISE_XX_PROTOCOL_NAME;

export type NoisePattern = 'XX' | 'XXhfs';

/**
 * The peer's keys must be canonical (RFC 7748 §5: bit 255 clear, u < 2^255 − 19): otherwise one
 * private key would have several public encodings, and the same device several identities.
 */
export function canonical(key: Uint8Array, which: 'handshake' | 'identity'): Uint8Array {
  if (!isCanonicalX25519PublicKey(key)) {
    throw new ProtocolError(
      'BAD_PUBLIC_KEY',
      `The other side sent a non-canonical ${which} key (RFC 7748 §5); it was refused.`,
    );
  }
  return key;
}

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'e1' | 'ekem1';
export type MessagePattern = readonly Token[];

/**
 * §7.5 XX, and XXhfs as HFS §5 derives it: "e1" right after the first "e" (message 1 has no DH,
 * so it stays there, in clear), "ekem1" right after the first "ee".
 */
export const PATTERNS: Readonly<Record<NoisePattern, readonly MessagePattern[]>> = {
  XX: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
  XXhfs: [
    ['e', 'e1'],
    ['e', 'ee', 'ekem1', 's', 'es'],
    ['s', 'se'],
  ],
};
export const PROTOCOL_NAMES: Readonly<Record<NoisePattern, string>> = {
  XX: NOISE_XX_PROTOCOL_NAME,
  XXhfs: NOISE_XXHFS_PROTOCOL_NAME,
};

export function truncated(): ProtocolError {
  return new ProtocolError('TRUNCATED', 'The handshake message is too short.');
}

export function kemTruncated(): ProtocolError {
  return new ProtocolError(
    'TRUNCATED',
    'The handshake message is too short: its post-quantum key exchange (ML-KEM-1024) is missing or cut off.',
  );
}

export function classicalOnly(): ProtocolError {
  return new ProtocolError(
    'CLASSICAL_ONLY',
    'The other device offered only classical encryption, without the post-quantum key exchange. ' +
      'SecMsg talks only with its post-quantum handshake: update SecMsg on the other device.',
  );
}

export function optionalBytes(
  value: Uint8Array | undefined,
  name: string,
  length: number,
  allowed: boolean,
  where: string,
): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!allowed) throw new ProtocolError('BAD_ARGUMENT', `${name} is only for ${where}.`);
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ProtocolError('BAD_ARGUMENT', `${name} must be ${length} bytes.`);
  }
  return copyBytes(value);
}

export interface HandshakeOptions {
  initiator: boolean;
  prologue: Uint8Array;
  s: DhKeyPair;
  /** 'XX' (the default) or 'XXhfs', the same with the ML-KEM-1024 exchange. */
  pattern?: NoisePattern;
  /** Only for published test vectors: normally a fresh ephemeral key is drawn. */
  e?: DhKeyPair;
  /** Tests only, XXhfs initiator: the 64-byte seed d ‖ z of the e1 key pair (FIPS 203 KeyGen). */
  e1Seed?: Uint8Array;
  /** Tests only, XXhfs responder: the 32-byte randomness m of the ekem1 encapsulation. */
  kemRandomness?: Uint8Array;
}

export interface SplitResult {
  send: NoiseCipherState;
  recv: NoiseCipherState;
}
