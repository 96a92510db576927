/**
 * What each side says about itself in the handshake (messages 2 and 3, handshake-payload.ts), and
 * the checks on what the peer said, before anything of it is used (DESIGN.md, Transport session):
 *
 * - our payload is signed with our ML-DSA-87 key over the handshake hash as it stands before it
 *   (context `SecMsg handshake`), and carries fresh ratchet keys for this session;
 * - the peer's payload must carry a signature by the ML-DSA key it announces over that same hash
 *   (else: possible interception), speak our version, present neither of our own keys, and have a
 *   clock within a day of ours. Its user id is derived from its two keys, never read.
 */
import { constantTimeEqual } from '../crypto/bytes';
import { mlDsa87VerifyAsync } from '../crypto/ml-dsa';
import { signWithIdentityKey } from '../crypto/ml-dsa-key';
import { ML_DSA_87_SIGNATURE_LENGTH, ML_KEM_1024_PUBLIC_KEY_LENGTH } from '../crypto/pq-lengths';
import { ProtocolError } from './errors';
import {
  HANDSHAKE_SIGNATURE_CONTEXT,
  RATCHET_ID_LENGTH,
  decodeHandshakePayload,
  encodeHandshakePayload,
  type HandshakePayload,
  type RatchetAnnouncement,
} from './handshake-payload';
import { type RatchetInitKeys, generateRatchetInitKeys } from './ratchet';
import type { PeerInfo, SessionIdentity } from './session-types';
import { deriveUserId } from './user-id';
import { PROTOCOL_VERSION } from './version';

/** A peer clock further than this from ours is implausible and refused (DESIGN.md, Frames). */
export const MAX_CLOCK_OFFSET_MS = 24 * 60 * 60 * 1000;

export interface Introduction {
  /** The ratchet id this side announces (all zero: none). */
  readonly ratchetId: Uint8Array;
  /** This session's fresh ratchet keys, with their private halves. */
  readonly ratchetKeys: Promise<RatchetInitKeys>;
  /** Our payload for the message being written, signed over `hashBeforePayload`. */
  readonly payload: (hashBeforePayload: Uint8Array) => Promise<Uint8Array>;
}

/**
 * This side's introduction. Throws ProtocolError('BAD_ARGUMENT') at once for what could never be
 * sent (a name too long, a bad capability, a ratchet id of the wrong size).
 */
export function createIntroduction(
  identity: SessionIdentity,
  capabilities: readonly string[],
  ratchetId: Uint8Array | undefined,
  now: () => number,
): Introduction {
  const id = ratchetId ?? new Uint8Array(RATCHET_ID_LENGTH);
  if (!(id instanceof Uint8Array) || id.length !== RATCHET_ID_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `ratchetId must be ${RATCHET_ID_LENGTH} bytes.`);
  }
  const fixed = {
    version: { ...PROTOCOL_VERSION },
    displayName: identity.displayName,
    capabilities: [...capabilities],
    signingKey: identity.signing.publicKey,
    rotations: [...(identity.rotations ?? [])],
  };
  // Validates our own identity up front (the keys and signature are placeholders of their sizes).
  encodeHandshakePayload({
    ...fixed,
    clock: now(),
    ratchet: {
      id,
      dhPublicKey: new Uint8Array(32),
      kemPublicKey: new Uint8Array(ML_KEM_1024_PUBLIC_KEY_LENGTH),
    },
    signature: new Uint8Array(ML_DSA_87_SIGNATURE_LENGTH),
  });
  const ratchetKeys = generateRatchetInitKeys();
  ratchetKeys.catch(() => undefined); // awaited by the handshake, which reports a failure
  return {
    ratchetId: id,
    ratchetKeys,
    payload: async (hashBeforePayload) => {
      const keys = await ratchetKeys;
      const payload: HandshakePayload = {
        ...fixed,
        clock: now(),
        ratchet: { id, dhPublicKey: keys.dh.publicKey, kemPublicKey: keys.kem.publicKey },
        signature: await signWithIdentityKey(
          identity.signing.privateKey,
          hashBeforePayload,
          HANDSHAKE_SIGNATURE_CONTEXT,
        ),
      };
      return encodeHandshakePayload(payload);
    },
  };
}

export interface CheckedIntroduction {
  readonly signingKey: Uint8Array;
  readonly ratchet: RatchetAnnouncement;
  /** The peer as far as its payload tells (the session adds the suite, hash and prologue). */
  readonly peer: Omit<PeerInfo, 'suite' | 'handshakeHash' | 'prologue'>;
}

/**
 * The peer's payload, checked: `signedHash` is the handshake hash before it (noise.ts
 * `lastPayloadHash`), `staticKey` the peer's X25519 key Noise authenticated, `at` our clock now.
 */
export async function checkPeerIntroduction(
  payloadBytes: Uint8Array,
  signedHash: Uint8Array | undefined,
  staticKey: Uint8Array,
  identity: SessionIdentity,
  at: number,
): Promise<CheckedIntroduction> {
  const payload = decodeHandshakePayload(payloadBytes);
  if (
    !signedHash ||
    !(await mlDsa87VerifyAsync(
      payload.signingKey,
      signedHash,
      payload.signature,
      HANDSHAKE_SIGNATURE_CONTEXT,
    ))
  ) {
    throw new ProtocolError(
      'POSSIBLE_INTERCEPTION',
      'The other device’s post-quantum signature over the handshake did not verify: the connection may be intercepted. Nothing was sent.',
    );
  }
  if (payload.version.major !== PROTOCOL_VERSION.major || payload.version.minor !== PROTOCOL_VERSION.minor) {
    throw new ProtocolError(
      'INCOMPATIBLE_VERSION',
      `The other side speaks SecMsg protocol v${payload.version.major}.${payload.version.minor}, which this app cannot talk to; update both apps.`,
    );
  }
  if (
    constantTimeEqual(staticKey, identity.keyPair.publicKey) ||
    constantTimeEqual(payload.signingKey, identity.signing.publicKey)
  ) {
    throw new ProtocolError(
      'OWN_KEY',
      "The other side presented this device's own identity key: it is either this device talking to itself or someone replaying our key.",
    );
  }
  const clockOffsetMs = payload.clock - at;
  if (Math.abs(clockOffsetMs) > MAX_CLOCK_OFFSET_MS) {
    throw new ProtocolError(
      'BAD_CLOCK',
      "The other device's clock is more than a day away from this one's. Set the right date and time on both devices, then connect again.",
    );
  }
  return {
    signingKey: payload.signingKey,
    ratchet: payload.ratchet,
    peer: {
      staticKey,
      signingKey: payload.signingKey,
      userId: deriveUserId(staticKey, payload.signingKey),
      rotations: payload.rotations,
      displayName: payload.displayName,
      capabilities: payload.capabilities,
      protocolVersion: payload.version,
      clockOffsetMs,
    },
  };
}
