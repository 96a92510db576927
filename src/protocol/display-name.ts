/**
 * How long a display name may be on the wire (handshake-payload.ts gives it one length byte). Apart
 * from the payload codec so that storage can check names without loading the handshake's code.
 * (What makes a name unfit to show is src/app/names.ts.)
 */
import { utf8 } from '../crypto/bytes';

export const MAX_DISPLAY_NAME_CHARS = 64;
export const MAX_DISPLAY_NAME_BYTES = 255;

/**
 * Returns what makes `name` unfit for the wire, as a sentence, or undefined: it must be text of at
 * most 64 code points and 255 UTF-8 bytes. (What makes a name unfit to show is src/app/names.ts.)
 */
export function displayNameProblem(name: string): string | undefined {
  if (typeof name !== 'string') return 'The name must be text.';
  if ([...name].length > MAX_DISPLAY_NAME_CHARS)
    return `The name must be at most ${MAX_DISPLAY_NAME_CHARS} characters.`;
  // The wire format gives the name one length byte: 64 four-byte characters would not fit.
  if (utf8(name).length > MAX_DISPLAY_NAME_BYTES) return 'The name is too long; use fewer emoji or symbols.';
  return undefined;
}
