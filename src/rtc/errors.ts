/** Typed errors of the transport layer. Messages are sentences a person can read. */
export type RtcErrorCode =
  // SDP (sdp.ts)
  | 'NO_FINGERPRINT'
  | 'UNSUPPORTED_FINGERPRINT'
  | 'SIGNAL_INVALID'
  // invite codes (invite-code.ts)
  | 'CODE_INCOMPLETE'
  | 'CODE_TOO_NEW'
  | 'CODE_INVALID'
  // connections (simple-peer-transport.ts)
  | 'NO_WEBRTC'
  | 'SETUP_FAILED'
  | 'ICE_FAILED'
  | 'CHANNEL_FAILED'
  | 'CHANNEL_CLOSED'
  | 'TOO_LARGE'
  | 'TIMEOUT';

export class RtcError extends Error {
  override readonly name = 'RtcError';
  constructor(
    readonly code: RtcErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: RtcErrorCode): e is RtcError {
    return e instanceof RtcError && (code === undefined || e.code === code);
  }
}
