/**
 * What a refused frame or a failed handshake means for the contact: which security-log entry a
 * frame refusal is, and whether a failure looks like interception (which pauses reconnecting and is
 * never retried silently, DESIGN.md, Transport session).
 */
import { ProtocolError } from '../protocol/errors';
import type { SecurityEventKind } from '../store/security-event-types';

/** The security-log kind of a frame the session refused. */
export function frameEventKind(e: ProtocolError): SecurityEventKind {
  if (e.code === 'BAD_MAC') return 'mac-failed';
  if (e.code === 'DECRYPT_FAILED') return 'decrypt-failed';
  return 'frame-refused';
}

/** True when `e` says a handshake failed as it would under interception. */
export function isInterception(e: unknown): boolean {
  return ProtocolError.is(e, 'POSSIBLE_INTERCEPTION') || ProtocolError.is(e, 'WRONG_PEER_KEY');
}
