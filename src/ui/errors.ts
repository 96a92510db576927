/** The one place that turns errors into the words a person reads. */
import { AppError } from '../app/errors';
import { CryptoError } from '../crypto/errors';
import { ProtocolError } from '../protocol/errors';
import { RtcError } from '../rtc/errors';
import { StoreError } from '../store/store-error';
import * as text from './strings/errors';

/** Errors of lazily loaded modules whose messages are our own sentences. */
const WORDED_BY_NAME = new Set([
  'QrScanError',
  'DirectoryError',
  'DirectoryUnreachableError',
  'UsernameError',
  'MailboxError',
  'MailboxUnreachableError',
]);

export function errorText(e: unknown): string {
  // Our own errors already carry sentences meant for people.
  if (
    ProtocolError.is(e) ||
    CryptoError.is(e) ||
    RtcError.is(e) ||
    AppError.is(e) ||
    StoreError.is(e) ||
    // By name, so that the QR scanner's sentences (qr/errors.ts) and the worker clients load with
    // what uses them, not with the page.
    (e instanceof Error && WORDED_BY_NAME.has(e.name))
  )
    return e.message;
  if (e instanceof DOMException && e.name === 'NotAllowedError') return text.notAllowed;
  return text.somethingWentWrong;
}
