/**
 * Errors of the media helpers (location stripping, voice notes). Messages are sentences a person
 * can read; the code is for code (the UI's error words map codes, not messages).
 */
export type MediaErrorCode =
  /** The photo's bytes do not follow their format (truncated, or a length points past the end). */
  | 'MALFORMED'
  /** The person or the browser's settings refused the microphone. */
  | 'MIC_BLOCKED'
  /** No microphone, or no getUserMedia (an insecure page, an old browser). */
  | 'NO_MIC'
  /** The microphone exists but could not be started (another app holds it). */
  | 'MIC_BUSY'
  /** The browser cannot record audio in any format a voice note uses. */
  | 'UNSUPPORTED'
  | 'ALREADY_RECORDING'
  | 'NOT_RECORDING'
  /** cancel() was called while the microphone was still being opened. */
  | 'CANCELLED'
  /** The recorder stopped with an error. */
  | 'RECORDING_FAILED';

export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly code: MediaErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: MediaErrorCode): e is MediaError {
    return e instanceof MediaError && (code === undefined || e.code === code);
  }
}
