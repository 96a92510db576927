/** Typed errors of the crypto layer. Messages are sentences a person can read. */
export type CryptoErrorCode =
  | 'BAD_ARGUMENT'
  | 'DECRYPT_FAILED'
  | 'BAD_PUBLIC_KEY'
  | 'UNSUPPORTED'
  | 'FINGERPRINT_VERSION_MISMATCH'
  | 'FINGERPRINT_INVALID';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: CryptoErrorCode): e is CryptoError {
    return e instanceof CryptoError && (code === undefined || e.code === code);
  }
}

/** Argument check at entry that names the argument, like `key must be 32 bytes`. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoError('BAD_ARGUMENT', `${name} must be a Uint8Array.`);
  }
  if (length !== undefined && value.length !== length) {
    throw new CryptoError('BAD_ARGUMENT', `${name} must be ${length} bytes, not ${value.length}.`);
  }
}
