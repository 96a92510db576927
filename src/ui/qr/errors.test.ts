import { describe, expect, it } from 'vitest';
import { QrScanError, cameraError } from './errors';

describe('cameraError', () => {
  it.each([
    ['NotAllowedError', 'PERMISSION_DENIED'],
    ['SecurityError', 'PERMISSION_DENIED'],
    ['NotFoundError', 'NO_CAMERA'],
    ['OverconstrainedError', 'NO_CAMERA'],
    ['NotReadableError', 'CAMERA_IN_USE'],
    ['AbortError', 'CAMERA_IN_USE'],
    ['TypeError', 'UNSUPPORTED'],
    ['SomethingNew', 'CAMERA_FAILED'],
  ] as const)('maps %s to %s, with a sentence and the cause kept', (name, code) => {
    const cause = new DOMException('raw', name);
    const error = cameraError(cause);
    expect(QrScanError.is(error, code)).toBe(true);
    expect(error.message).toMatch(/^[A-Z].*\.$/);
    expect(error.message).not.toContain('raw');
    expect(error.cause).toBe(cause);
  });

  it('passes a QrScanError through and maps anything else to CAMERA_FAILED', () => {
    const own = new QrScanError('INSECURE_CONTEXT');
    expect(cameraError(own)).toBe(own);
    expect(cameraError('nope').code).toBe('CAMERA_FAILED');
    expect(QrScanError.is(new Error('x'))).toBe(false);
  });
});
