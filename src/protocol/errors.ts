/** Typed protocol errors. Messages are sentences; codes are what code and the inspector branch on. */
export type ProtocolErrorCode =
  // frame structure (DESIGN.md "Receiving a frame", in that order)
  | 'TRUNCATED'
  | 'BAD_PROTOCOL_ID'
  | 'BAD_VERSION'
  | 'BAD_FLAGS'
  | 'UNKNOWN_TYPE'
  | 'TOO_LARGE'
  | 'BAD_LENGTH'
  | 'BAD_MAC'
  | 'REPLAY'
  | 'OUT_OF_ORDER'
  | 'STALE'
  | 'DECRYPT_FAILED'
  | 'UNEXPECTED_TYPE'
  // records
  | 'BAD_RECORD'
  // handshake
  | 'HANDSHAKE_STATE'
  | 'BAD_HANDSHAKE_PAYLOAD'
  | 'INCOMPATIBLE_VERSION'
  | 'BAD_PUBLIC_KEY'
  | 'BAD_CLOCK'
  | 'OWN_KEY'
  | 'POSSIBLE_INTERCEPTION'
  | 'HANDSHAKE_TIMEOUT'
  | 'HANDSHAKE_ABORTED'
  | 'CLASSICAL_ONLY'
  // pairing (invite links and signaling)
  | 'BAD_INVITE'
  | 'INVITE_TOO_NEW'
  | 'WRONG_PEER_KEY'
  | 'BAD_SIGNAL'
  // short codes (short-code.ts)
  | 'BAD_SHORT_CODE'
  | 'CODES_DID_NOT_MATCH'
  // conversation ratchet (ratchet.ts)
  | 'BAD_RATCHET_MESSAGE'
  | 'BAD_RATCHET_STATE'
  | 'RATCHET_DUPLICATE'
  | 'RATCHET_SKIP_LIMIT'
  | 'RATCHET_UNKNOWN_KEM_KEY'
  // session
  | 'NONCE_EXHAUSTED'
  | 'CLOSED'
  | 'TOO_MANY_ERRORS'
  | 'BAD_ARGUMENT';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
    return e instanceof ProtocolError && (code === undefined || e.code === code);
  }
}
