/** The one place that turns errors into the words a person reads. */
import { CryptoError } from '../crypto/errors';
import { ProtocolError } from '../protocol/errors';
import { RtcError } from '../rtc/errors';

export function errorText(e: unknown): string {
  // Our own errors already carry sentences meant for people.
  if (ProtocolError.is(e) || CryptoError.is(e) || RtcError.is(e)) return e.message;
  if (e instanceof DOMException && e.name === 'NotAllowedError') return 'The browser did not allow this.';
  return 'Something went wrong. Try again, and if it keeps happening, reload the page.';
}
