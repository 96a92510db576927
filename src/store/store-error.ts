/**
 * The one error the stores throw: only when storage itself fails or a caller breaks a rule (two
 * contacts with one identity key, a malformed message, a key that cannot be stored). Expected
 * outcomes (no identity yet, a duplicate message, a ratchet another tab moved on) are data.
 */

export type StoreErrorCode = 'UNAVAILABLE' | 'CONFLICT' | 'BAD_ARGUMENT' | 'KEY_NOT_STORABLE';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: StoreErrorCode): e is StoreError {
    return e instanceof StoreError && (code === undefined || e.code === code);
  }
}
