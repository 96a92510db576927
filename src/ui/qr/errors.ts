/** Typed errors of QR scanning. Messages are sentences a person reads; codes are what code branches on. */
export type QrScanErrorCode =
  | 'PERMISSION_DENIED'
  | 'NO_CAMERA'
  | 'CAMERA_IN_USE'
  | 'INSECURE_CONTEXT'
  | 'UNSUPPORTED'
  | 'CAMERA_FAILED'
  | 'UNREADABLE_IMAGE';

const sentences: Record<QrScanErrorCode, string> = {
  PERMISSION_DENIED:
    'The camera is blocked for this site. Allow camera access in the browser’s site settings, or choose a photo instead.',
  NO_CAMERA: 'No camera was found on this device. Choose a photo of the QR code instead.',
  CAMERA_IN_USE:
    'The camera could not be started; another app or tab may be using it. Close it and try again, or choose a photo instead.',
  INSECURE_CONTEXT:
    'The camera only works when this page is opened over HTTPS (or on localhost). Choose a photo of the QR code instead.',
  UNSUPPORTED: 'This browser cannot use the camera here. Choose a photo of the QR code instead.',
  CAMERA_FAILED: 'The camera stopped unexpectedly. Try again, or choose a photo of the QR code instead.',
  UNREADABLE_IMAGE: 'That file could not be opened as a picture. Choose a photo (for example PNG or JPEG).',
};

export class QrScanError extends Error {
  override readonly name = 'QrScanError';
  constructor(
    readonly code: QrScanErrorCode,
    message: string = sentences[code],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: QrScanErrorCode): e is QrScanError {
    return e instanceof QrScanError && (code === undefined || e.code === code);
  }
}

/** Maps what getUserMedia or play() threw (DOMException names, old Chrome names too) to a QrScanError. */
export function cameraError(e: unknown): QrScanError {
  if (QrScanError.is(e)) return e;
  // DOMException is an Error in browsers but not in every runtime, so read the name structurally.
  const name = typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : '';
  const options = { cause: e };
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new QrScanError('PERMISSION_DENIED', undefined, options);
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return new QrScanError('NO_CAMERA', undefined, options);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new QrScanError('CAMERA_IN_USE', undefined, options);
    case 'TypeError':
      return new QrScanError('UNSUPPORTED', undefined, options);
    default:
      return new QrScanError('CAMERA_FAILED', undefined, options);
  }
}
