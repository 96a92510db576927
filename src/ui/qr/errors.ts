/** Typed errors of QR scanning. Messages are sentences a person reads; codes are what code branches on. */
import * as text from '../strings/qr';

export type QrScanErrorCode =
  | 'PERMISSION_DENIED'
  | 'NO_CAMERA'
  | 'CAMERA_IN_USE'
  | 'INSECURE_CONTEXT'
  | 'UNSUPPORTED'
  | 'CAMERA_FAILED'
  | 'UNREADABLE_IMAGE';

const sentences: Record<QrScanErrorCode, string> = {
  PERMISSION_DENIED: text.permissionDenied,
  NO_CAMERA: text.noCamera,
  CAMERA_IN_USE: text.cameraInUse,
  INSECURE_CONTEXT: text.insecureContext,
  UNSUPPORTED: text.unsupported,
  CAMERA_FAILED: text.cameraFailed,
  UNREADABLE_IMAGE: text.unreadableImage,
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
