/**
 * Worker pairing (DESIGN.md, Pairing and signaling): invite links and the encryption of every
 * signaling message, so the signaling worker relays only opaque blobs.
 *
 *   inviter: secret  = 16 random bytes (128 bits), never sent to a server
 *            roomId  = base64url(SHA-256("SecMsg/0.1 room" ‖ secret))            43 chars
 *            key     = HKDF-SHA256(secret, salt = "", info = "SecMsg/0.1 signaling", 32)
 *            link    = <app URL>#join=1.<base64url(secret)>.<base64url(SHA-256(identity key)[0..16])>
 *   blob    = nonce (12 random bytes) ‖ AES-256-GCM(key, nonce, JSON, ad = roomId ‖ sender role)
 *
 * The role byte in the associated data stops a blob from being reflected back to its sender.
 * The joiner checks the inviter's Noise static key against the hash in the link, so a scanned
 * or opened invite proves who is on the other end.
 */
import { AeadKey } from '../crypto/aead';
import {
  concatBytes,
  constantTimeEqual,
  decodeUtf8Strict,
  fromBase64Url,
  toBase64Url,
  utf8,
} from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { hkdfSha256 } from '../crypto/hkdf';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { deriveUserId } from './user-id';
import { isRoomId } from './signaling';

/** 2: the link names the inviter's user id (both its X25519 and ML-DSA-87 keys); 1 named the X25519 key alone. */
export const INVITE_VERSION = 2;
export const ROOM_SECRET_LENGTH = 16;
export const INVITER_KEY_HASH_LENGTH = 16;
const FRAGMENT_KEY = 'join';
const ROOM_LABEL = 'SecMsg/0.1 room';
const SIGNALING_INFO = 'SecMsg/0.1 signaling';
const NONCE_LENGTH = 12;

export type SignalingRole = 'inviter' | 'joiner';

export interface Invite {
  version: number;
  secret: Uint8Array;
  /**
   * The inviter's user id (user-id.ts: derived from its X25519 and ML-DSA-87 public keys), so an
   * invite scanned in person pins both keys.
   */
  inviterKeyHash: Uint8Array;
}

async function sha256(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', concatBytes(data)));
}

/** Draws a new invite naming this device's user id (16 bytes, user-id.ts). */
export function createInvite(userId: Uint8Array): Invite {
  if (!(userId instanceof Uint8Array) || userId.length !== INVITER_KEY_HASH_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `userId must be ${INVITER_KEY_HASH_LENGTH} bytes.`);
  }
  return { version: INVITE_VERSION, secret: randomBytes(ROOM_SECRET_LENGTH), inviterKeyHash: userId.slice() };
}

/** The `#fragment` part of an invite link (without the `#`). */
export function inviteFragment(invite: Invite): string {
  return `${FRAGMENT_KEY}=${invite.version}.${toBase64Url(invite.secret)}.${toBase64Url(invite.inviterKeyHash)}`;
}

/** The whole link: the app's URL with the invite in the fragment, which browsers never send. */
export function inviteLink(appUrl: string, invite: Invite): string {
  return `${appUrl.split('#')[0]}#${inviteFragment(invite)}`;
}

function badInvite(message: string): ProtocolError {
  return new ProtocolError('BAD_INVITE', message);
}

/** Reads an invite from a link, a fragment, or the bare code; errors are sentences. */
export function parseInvite(text: string): Invite {
  const trimmed = text.trim();
  const hash = trimmed.indexOf('#');
  const fragment = hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
  const value = fragment.startsWith(`${FRAGMENT_KEY}=`) ? fragment.slice(FRAGMENT_KEY.length + 1) : fragment;
  const parts = value.split('.');
  const version = Number(parts[0]);
  if (!/^\d+$/.test(parts[0] ?? '')) throw badInvite('This is not a SecMsg invite.');
  if (version > INVITE_VERSION) {
    throw new ProtocolError(
      'INVITE_TOO_NEW',
      'This invite is from a newer version of SecMsg; update the app to use it.',
    );
  }
  if (version !== INVITE_VERSION)
    throw badInvite('This invite is from an old version of SecMsg that is no longer supported.');
  if (parts.length !== 3) throw badInvite('This invite is incomplete; copy all of it, or scan it again.');
  let secret: Uint8Array;
  let keyHash: Uint8Array;
  try {
    secret = fromBase64Url(parts[1]!);
    keyHash = fromBase64Url(parts[2]!);
  } catch (e) {
    if (CryptoError.is(e)) throw badInvite('This invite is damaged; copy all of it, or scan it again.');
    throw e;
  }
  if (secret.length !== ROOM_SECRET_LENGTH || keyHash.length !== INVITER_KEY_HASH_LENGTH) {
    throw badInvite('This invite is incomplete; copy all of it, or scan it again.');
  }
  return { version, secret, inviterKeyHash: keyHash };
}

/** The room id the worker sees: a hash of the secret, from which the secret cannot be found. */
export async function roomIdFor(secret: Uint8Array): Promise<string> {
  return toBase64Url(await sha256(concatBytes(utf8(ROOM_LABEL), secret)));
}

export interface SignalingCipher {
  readonly roomId: string;
  /** Encrypts one signaling message (any JSON value) as an opaque base64url blob. */
  seal(message: unknown): Promise<string>;
  /** Opens a blob from the other role; throws `ProtocolError('BAD_SIGNAL')` on anything else. */
  open(blob: string): Promise<unknown>;
}

const ROLE_BYTE: Record<SignalingRole, number> = { inviter: 0x49, joiner: 0x4a };

export async function createSignalingCipher(
  secret: Uint8Array,
  role: SignalingRole,
): Promise<SignalingCipher> {
  if (!(secret instanceof Uint8Array) || secret.length !== ROOM_SECRET_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `secret must be ${ROOM_SECRET_LENGTH} bytes.`);
  }
  const key = await hkdfSha256(secret, new Uint8Array(0), utf8(SIGNALING_INFO), 32);
  try {
    return await signalingCipherFromKey(await roomIdFor(secret), key, role);
  } finally {
    key.fill(0);
  }
}

/**
 * The same blob format and role separation as `createSignalingCipher`, over a room id and a
 * 32-byte AES-256-GCM key the caller derived some other way (`rendezvous.ts`).
 */
export async function signalingCipherFromKey(
  roomId: string,
  key: Uint8Array,
  role: SignalingRole,
): Promise<SignalingCipher> {
  if (!isRoomId(roomId)) throw new ProtocolError('BAD_ARGUMENT', 'roomId must be a room id.');
  if (role !== 'inviter' && role !== 'joiner') {
    throw new ProtocolError('BAD_ARGUMENT', 'role must be inviter or joiner.');
  }
  const aead = await AeadKey.import(key);
  const peerRole: SignalingRole = role === 'inviter' ? 'joiner' : 'inviter';
  const ad = (r: SignalingRole) => concatBytes(utf8(roomId), Uint8Array.of(ROLE_BYTE[r]));
  const badSignal = () =>
    new ProtocolError(
      'BAD_SIGNAL',
      'A signaling message could not be authenticated; someone may be interfering.',
    );
  return {
    roomId,
    async seal(message) {
      const nonce = randomBytes(NONCE_LENGTH);
      const ct = await aead.encrypt(nonce, utf8(JSON.stringify(message)), ad(role));
      return toBase64Url(concatBytes(nonce, ct));
    },
    async open(blob) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = fromBase64Url(blob);
      } catch {
        throw badSignal();
      }
      if (bytes.length < NONCE_LENGTH + 16) throw badSignal();
      try {
        const plain = await aead.decrypt(
          bytes.slice(0, NONCE_LENGTH),
          bytes.slice(NONCE_LENGTH),
          ad(peerRole),
        );
        return JSON.parse(decodeUtf8Strict(plain)) as unknown;
      } catch {
        throw badSignal();
      }
    },
  };
}

/**
 * The joiner's check: are these keys (the Noise static key and the ML-DSA-87 key whose signature
 * the handshake verified) the ones the invite named? Constant time.
 */
export function matchesInviter(
  invite: Invite,
  keys: { staticKey: Uint8Array; signingKey: Uint8Array },
): boolean {
  return constantTimeEqual(deriveUserId(keys.staticKey, keys.signingKey), invite.inviterKeyHash);
}

export function wrongInviter(): ProtocolError {
  return new ProtocolError(
    'WRONG_PEER_KEY',
    'The device that answered is not the one that made this invite: the connection may be intercepted. Nothing was sent.',
  );
}
