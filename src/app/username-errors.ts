/** The usernames use case's refusals (usernames.ts, contact-requests.ts): a code and a sentence. */
export type UsernameErrorCode =
  /** This device has a username already (one a device). */
  | 'HAVE_USERNAME'
  /** This device has no username to release or to receive requests for. */
  | 'NO_USERNAME'
  /** This device's username expired and another device claimed it. */
  | 'USERNAME_LOST'
  /** The handle looked up is this device's own. */
  | 'OWN_USERNAME'
  /** The handle's card names the keys of a contact this device already has. */
  | 'ALREADY_CONTACT'
  /** The card or request names a contact's X25519 key with another ML-DSA key. */
  | 'KEY_MISMATCH'
  /** The request decided on is no longer waiting. */
  | 'NO_REQUEST';

export class UsernameError extends Error {
  override readonly name = 'UsernameError';
  constructor(
    readonly code: UsernameErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: UsernameErrorCode): e is UsernameError {
    return e instanceof UsernameError && (code === undefined || e.code === code);
  }
}
