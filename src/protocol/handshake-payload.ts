/**
 * The payload of Noise messages 2 and 3 (encrypted by Noise): what the sender says about itself.
 * Binary, big-endian, every field validated on decode:
 *
 *   major (u8) ‖ minor (u8) ‖ clock (u64 ms) ‖ name length (u8) ‖ name (UTF-8, ≤ 64 code points)
 *   ‖ capability count (u8, ≤ 16) ‖ capabilities (each: length (u8, 1 … 32) ‖ [a-z0-9.-]+, no
 *   duplicates)
 *
 * No user id travels: the receiver derives it from the authenticated static key (user-id.ts). The
 * name is only a suggestion the user sees as such; whether it is safe to show (invisible,
 * directional or look-alike characters) is the app's check (src/app/names.ts), not the wire's: the
 * wire only bounds it, so a strange name never stops two people from connecting.
 */
import { decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { ProtocolError } from './errors';

export const MAX_DISPLAY_NAME_CHARS = 64;
export const MAX_DISPLAY_NAME_BYTES = 255;
export const MAX_CAPABILITIES = 16;
const CAPABILITY_PATTERN = /^[a-z0-9.-]{1,32}$/;

export interface HandshakePayload {
  version: { major: number; minor: number };
  displayName: string;
  clock: number;
  capabilities: string[];
}

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_HANDSHAKE_PAYLOAD', message);
}

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

export function encodeHandshakePayload(p: HandshakePayload): Uint8Array<ArrayBuffer> {
  const { major, minor } = p.version;
  if (![major, minor].every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new ProtocolError('BAD_ARGUMENT', 'version numbers must be bytes.');
  }
  if (!Number.isSafeInteger(p.clock) || p.clock < 0)
    throw new ProtocolError('BAD_ARGUMENT', 'clock must be milliseconds.');
  const nameProblem = displayNameProblem(p.displayName);
  if (nameProblem) throw new ProtocolError('BAD_ARGUMENT', nameProblem);
  if (p.capabilities.length > MAX_CAPABILITIES || new Set(p.capabilities).size !== p.capabilities.length) {
    throw new ProtocolError(
      'BAD_ARGUMENT',
      `capabilities must be at most ${MAX_CAPABILITIES} distinct names.`,
    );
  }
  for (const c of p.capabilities) {
    if (!CAPABILITY_PATTERN.test(c))
      throw new ProtocolError('BAD_ARGUMENT', `capability "${c}" is not a valid name.`);
  }
  const name = utf8(p.displayName);
  const caps = p.capabilities.map((c) => utf8(c));
  const size = 2 + 8 + 1 + name.length + 1 + caps.reduce((n, c) => n + 1 + c.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = major;
  out[1] = minor;
  view.setUint32(2, Math.floor(p.clock / 2 ** 32));
  view.setUint32(6, p.clock >>> 0);
  out[10] = name.length;
  out.set(name, 11);
  let o = 11 + name.length;
  out[o++] = caps.length;
  for (const c of caps) {
    out[o++] = c.length;
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export function decodeHandshakePayload(bytes: Uint8Array): HandshakePayload {
  let o = 0;
  const take = (n: number): Uint8Array => {
    if (bytes.length - o < n) throw bad('The other side sent an incomplete introduction.');
    const part = bytes.subarray(o, o + n);
    o += n;
    return part;
  };
  const version = { major: take(1)[0]!, minor: take(1)[0]! };
  const clockBytes = take(8);
  const view = new DataView(clockBytes.buffer, clockBytes.byteOffset, 8);
  const hi = view.getUint32(0);
  if (hi > 0x1fffff) throw bad('The other side sent an impossible clock value.');
  const clock = hi * 2 ** 32 + view.getUint32(4);
  let displayName: string;
  try {
    displayName = decodeUtf8Strict(take(take(1)[0]!));
  } catch (e) {
    if (ProtocolError.is(e)) throw e;
    throw bad('The other side sent a name that is not valid text.');
  }
  const nameProblem = displayNameProblem(displayName);
  if (nameProblem) throw bad(`The other side sent an invalid name: ${nameProblem.toLowerCase()}`);
  const count = take(1)[0]!;
  if (count > MAX_CAPABILITIES) throw bad('The other side announced too many capabilities.');
  const capabilities: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = take(take(1)[0]!);
    const c = String.fromCharCode(...raw);
    if (!CAPABILITY_PATTERN.test(c) || capabilities.includes(c))
      throw bad('The other side announced an invalid capability.');
    capabilities.push(c);
  }
  if (o !== bytes.length) throw bad('The other side sent an introduction with extra data.');
  return { version, displayName, clock, capabilities };
}
