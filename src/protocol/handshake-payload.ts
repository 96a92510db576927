/**
 * The payload of Noise messages 2 and 3 (encrypted by Noise): what the sender says about itself,
 * and what authenticates it after quantum computers. Binary, big-endian, every field validated on
 * decode:
 *
 *   major (u8) ‖ minor (u8) ‖ clock (u64 ms) ‖ name length (u8) ‖ name (UTF-8, ≤ 64 code points)
 *   ‖ capability count (u8, ≤ 16) ‖ capabilities (each: length (u8, 1 … 32) ‖ [a-z0-9.-]+, no
 *   duplicates)
 *   ‖ ML-DSA-87 public key (2592)
 *   ‖ ratchet id (16; all zero: none with this peer) ‖ ratchet X25519 key (32) ‖ ratchet ML-KEM-1024
 *     encapsulation key (1568)                                   (docs/ratchet.md, Starting a ratchet)
 *   ‖ rotation count (u8, ≤ 3) ‖ key rotations (key-rotation.ts wire form each), oldest first
 *   ‖ ML-DSA-87 signature (4627) over the Noise handshake hash as it stood before this payload,
 *     context "SecMsg handshake" (checked by the session, which holds that hash)
 *
 * No user id travels: the receiver derives it from the authenticated keys (user-id.ts). The
 * name is only a suggestion the user sees as such; whether it is safe to show (invisible,
 * directional or look-alike characters) is the app's check (src/app/names.ts), not the wire's: the
 * wire only bounds it, so a strange name never stops two people from connecting.
 */
import { concatBytes, decodeUtf8Strict, utf8 } from '../crypto/bytes';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
} from '../crypto/pq-lengths';
import { X25519_KEY_LENGTH } from '../crypto/x25519';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { displayNameProblem } from './display-name';
import { ProtocolError } from './errors';
import { KEY_ROTATION_LENGTH, type KeyRotation, decodeKeyRotation, encodeKeyRotation } from './key-rotation';
import { RATCHET_ID_LENGTH } from './ratchet-state';

export const MAX_CAPABILITIES = 16;
export { MAX_DISPLAY_NAME_BYTES, MAX_DISPLAY_NAME_CHARS, displayNameProblem } from './display-name';

const CAPABILITY_PATTERN = /^[a-z0-9.-]{1,32}$/;
export { RATCHET_ID_LENGTH };
/** The latest key rotations an identity announces (key-rotation.ts), so a contact who missed some still follows. */
export const MAX_ANNOUNCED_ROTATIONS = 3;
/** The ML-DSA-87 context of the handshake signature (DESIGN.md, Transport session). */
export const HANDSHAKE_SIGNATURE_CONTEXT = utf8('SecMsg handshake');

/** What a side announces for the conversation ratchet (docs/ratchet.md, Starting a ratchet). */
export interface RatchetAnnouncement {
  /** The id of the ratchet this side holds with the peer; all zero when none. */
  id: Uint8Array;
  /** A fresh X25519 ratchet public key (canonical). */
  dhPublicKey: Uint8Array;
  /** A fresh ML-KEM-1024 encapsulation key. */
  kemPublicKey: Uint8Array;
}

export interface HandshakePayload {
  version: { major: number; minor: number };
  displayName: string;
  clock: number;
  capabilities: string[];
  /** The sender's ML-DSA-87 identity public key. */
  signingKey: Uint8Array;
  ratchet: RatchetAnnouncement;
  /** The sender's latest key rotations, oldest first (at most MAX_ANNOUNCED_ROTATIONS). */
  rotations: KeyRotation[];
  /** ML-DSA-87 signature over the handshake hash before this payload. */
  signature: Uint8Array;
}

/** The bytes after the introduction: everything but the rotations' own variable count. */
const FIXED_TAIL_LENGTH =
  ML_DSA_87_PUBLIC_KEY_LENGTH +
  RATCHET_ID_LENGTH +
  X25519_KEY_LENGTH +
  ML_KEM_1024_PUBLIC_KEY_LENGTH +
  1 +
  ML_DSA_87_SIGNATURE_LENGTH;

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_HANDSHAKE_PAYLOAD', message);
}

function checkBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new ProtocolError('BAD_ARGUMENT', `${name} must be ${length} bytes.`);
  }
}

export function encodeHandshakePayload(p: HandshakePayload): Uint8Array<ArrayBuffer> {
  checkBytes(p.signingKey, ML_DSA_87_PUBLIC_KEY_LENGTH, 'signingKey');
  checkBytes(p.ratchet.id, RATCHET_ID_LENGTH, 'ratchet.id');
  checkBytes(p.ratchet.dhPublicKey, X25519_KEY_LENGTH, 'ratchet.dhPublicKey');
  if (!isCanonicalX25519PublicKey(p.ratchet.dhPublicKey)) {
    throw new ProtocolError('BAD_ARGUMENT', 'ratchet.dhPublicKey must be a canonical X25519 public key.');
  }
  checkBytes(p.ratchet.kemPublicKey, ML_KEM_1024_PUBLIC_KEY_LENGTH, 'ratchet.kemPublicKey');
  checkBytes(p.signature, ML_DSA_87_SIGNATURE_LENGTH, 'signature');
  if (p.rotations.length > MAX_ANNOUNCED_ROTATIONS) {
    throw new ProtocolError('BAD_ARGUMENT', `rotations must be at most ${MAX_ANNOUNCED_ROTATIONS}.`);
  }
  return concatBytes(
    encodeIntroduction(p),
    p.signingKey,
    p.ratchet.id,
    p.ratchet.dhPublicKey,
    p.ratchet.kemPublicKey,
    Uint8Array.of(p.rotations.length),
    ...p.rotations.map(encodeKeyRotation),
    p.signature,
  );
}

/** The first part (version, clock, name, capabilities), as in the classical payload. */
function encodeIntroduction(
  p: Pick<HandshakePayload, 'version' | 'clock' | 'displayName' | 'capabilities'>,
): Uint8Array<ArrayBuffer> {
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
  const copy = (n: number): Uint8Array => take(n).slice();
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
  if (o === bytes.length) {
    throw bad(
      'The other side sent no post-quantum identity key or signature: it is an older or classical-only app, which SecMsg does not talk to.',
    );
  }
  if (bytes.length - o < FIXED_TAIL_LENGTH) throw bad('The other side sent an incomplete introduction.');
  const signingKey = copy(ML_DSA_87_PUBLIC_KEY_LENGTH);
  const ratchet = {
    id: copy(RATCHET_ID_LENGTH),
    dhPublicKey: copy(X25519_KEY_LENGTH),
    kemPublicKey: copy(ML_KEM_1024_PUBLIC_KEY_LENGTH),
  };
  if (!isCanonicalX25519PublicKey(ratchet.dhPublicKey))
    throw bad('The other side sent an invalid ratchet key.');
  const rotationCount = take(1)[0]!;
  if (rotationCount > MAX_ANNOUNCED_ROTATIONS) throw bad('The other side announced too many key rotations.');
  const rotations: KeyRotation[] = [];
  for (let i = 0; i < rotationCount; i++) {
    try {
      rotations.push(decodeKeyRotation(take(KEY_ROTATION_LENGTH)));
    } catch (e) {
      if (ProtocolError.is(e, 'BAD_HANDSHAKE_PAYLOAD')) throw e;
      throw bad('The other side announced a malformed key rotation.');
    }
  }
  const signature = copy(ML_DSA_87_SIGNATURE_LENGTH);
  if (o !== bytes.length) throw bad('The other side sent an introduction with extra data.');
  return { version, displayName, clock, capabilities, signingKey, ratchet, rotations, signature };
}
