/** Errors of the app's use cases. Messages are sentences for people; codes are for code. */
export type AppErrorCode =
  | 'UNKNOWN_CONTACT'
  | 'KEY_CHANGE_PENDING'
  | 'MESSAGE_TOO_LONG'
  | 'EMPTY_MESSAGE'
  | 'SIGNALING_NOT_ALLOWED'
  | 'BAD_NAME'
  | 'NOTHING_TO_CONFIRM'
  | 'CONFLICT'
  | 'NO_WORKER'
  /** Conversation features: the message is not here (deleted, or never arrived). */
  | 'UNKNOWN_MESSAGE'
  /** Edit or delete for everyone of the contact's message. */
  | 'NOT_YOUR_MESSAGE'
  | 'BAD_REACTION'
  /** A file the app cannot send safely (a photo whose location it cannot remove). */
  | 'UNSUPPORTED_FILE';

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: AppErrorCode): e is AppError {
    return e instanceof AppError && (code === undefined || e.code === code);
  }
}
