/**
 * The Noise prologue of a SecMsg session (DESIGN.md, Transport session): bytes both sides mix into
 * the handshake without sending them, so that a handshake only completes between two sides that
 * agree on what carries it.
 *
 *   WebRTC DataChannel:  "SecMsg/0.1" ‖ offerer DTLS fp ‖ answerer DTLS fp  (each side from its own SDP)
 *   worker relay:        "SecMsg/0.1 relay" ‖ relay room id ‖ role byte     (no DTLS to bind)
 *   after a short code:  either of those ‖ "SecMsg/0.1 short code" ‖ the code's Noise binding
 *
 * A party in the middle of signaling that swaps the DTLS fingerprints, or a worker that joins two
 * different meetings through two relay rooms, makes the prologues differ and the handshake fail.
 */
import { concatBytes, utf8 } from '../crypto/bytes';
import { ProtocolError } from './errors';
import { PROLOGUE_LABEL } from './version';

export const DTLS_FINGERPRINT_LENGTH = 32;

/**
 * The prologue on a WebRTC DataChannel: the label, then the offerer's and the answerer's SHA-256
 * DTLS fingerprints, in that order whichever side builds it (the initiator is the offerer).
 */
export function buildPrologue(
  initiator: boolean,
  localFingerprint: Uint8Array,
  remoteFingerprint: Uint8Array,
): Uint8Array {
  for (const [name, fp] of [
    ['localFingerprint', localFingerprint],
    ['remoteFingerprint', remoteFingerprint],
  ] as const) {
    if (!(fp instanceof Uint8Array) || fp.length !== DTLS_FINGERPRINT_LENGTH) {
      throw new ProtocolError('BAD_ARGUMENT', `${name} must be a 32-byte SHA-256 DTLS fingerprint.`);
    }
  }
  const [offerer, answerer] = initiator
    ? [localFingerprint, remoteFingerprint]
    : [remoteFingerprint, localFingerprint];
  return concatBytes(utf8(PROLOGUE_LABEL), offerer, answerer);
}

/** The relay room's id, 32 bytes. */
export const RELAY_ROOM_ID_LENGTH = 32;
/** The role byte of the relay prologue: the offerer, which chose the relay room, is the initiator. */
const RELAY_ROLE_OFFERER_INITIATES = 0x01;

/**
 * The prologue on the worker relay route, where there is no DTLS to bind:
 * `SecMsg/0.1 relay` ‖ relay room id ‖ role (DESIGN.md, Transport session). Both sides build the
 * same bytes; a session through another relay room (a worker that joined two different meetings)
 * fails its handshake.
 */
export function buildRelayPrologue(relayRoomId: Uint8Array): Uint8Array {
  if (!(relayRoomId instanceof Uint8Array) || relayRoomId.length !== RELAY_ROOM_ID_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', 'relayRoomId must be the 32-byte id of a relay room.');
  }
  return concatBytes(
    utf8(`${PROLOGUE_LABEL} relay`),
    relayRoomId,
    Uint8Array.of(RELAY_ROLE_OFFERER_INITIATES),
  );
}

/** The length of a pairing binding (short-code.ts's Noise binding). */
export const PAIRING_BINDING_LENGTH = 32;

/**
 * A route's prologue bound to a pairing secret: `prologue ‖ "SecMsg/0.1 short code" ‖ binding`.
 * Two sides that did not derive the same binding (a party in the middle that ran its own CPace
 * with each) fail the handshake, which is reported as possible interception.
 */
export function bindPairing(prologue: Uint8Array, binding: Uint8Array): Uint8Array {
  if (!(binding instanceof Uint8Array) || binding.length !== PAIRING_BINDING_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `The pairing binding must be ${PAIRING_BINDING_LENGTH} bytes.`);
  }
  return concatBytes(prologue, utf8(`${PROLOGUE_LABEL} short code`), binding);
}
