/**
 * The contact card a username points to (issue 15, item 3; DESIGN.md, Identity and trust). The
 * directory (src/protocol/directory.ts) maps the hash of a handle such as `alice.42` to this card
 * and treats it as opaque bytes; everything that makes it trustworthy is here. The card names its
 * owner's keys and signs itself with the owner's ML-DSA-87 key, so the worker can withhold or
 * replay a card but cannot forge one or change what it says.
 *
 *   owner                                       directory                             requester
 *     │ card = encode + sign(keys, handle, mailbox)                                        │
 *     │── PUT /directory/<hash(handle)> {card} ──▶│                                       │
 *     │                                          │◀── GET /directory/<hash(handle)> ──────│
 *     │                                          │── {card} ──────────────────────────────▶│ decode: checks every
 *     │                                          │                                        │ field, the signature,
 *     │                                          │                                        │ and the handle looked up
 *     │◀──────────── contact request (contact-request.ts) deposited in the card's mailbox ─│
 *
 * Wire form (big-endian; lengths in bytes):
 *   version (1) = 0x01
 *   handle length (1) ‖ handle (ASCII, normalized: `^[a-z][a-z0-9_]{2,19}\.[0-9]{2,4}$`)
 *   X25519 identity public key (32, canonical)
 *   ML-DSA-87 identity public key (2,592)
 *   ML-KEM-1024 encapsulation key (1,568): requests are sealed to it as well as to the X25519 key
 *   request mailbox id (32): the raw bytes of the Mailbox (mailbox.ts) the owner reads requests from
 *   created (8, ms since the epoch)
 *   signature (4,627) = ML-DSA-87.Sign(owner's key, "SecMsg/0.1 directory card" ‖ every byte
 *                       before it, context "SecMsg directory card")
 * 8,886 bytes at most, under the directory's MAX_CARD_BYTES (12 KiB).
 *
 * The owner's user id is not on the card: the reader derives it from the two keys (user-id.ts).
 */
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from '../crypto/bytes';
import { isMlKem1024PublicKey } from '../crypto/ml-kem';
import { mlDsa87VerifyAsync } from '../crypto/ml-dsa';
import { type SigningPrivateKey, signWithIdentityKey } from '../crypto/ml-dsa-key';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  ML_KEM_1024_PUBLIC_KEY_LENGTH,
} from '../crypto/pq-lengths';
import { X25519_KEY_LENGTH } from '../crypto/x25519';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { isHandle } from './directory';
import { ProtocolError } from './errors';
import { MAILBOX_ID_LENGTH } from './mailbox';
import { deriveUserId } from './user-id';

export const CONTACT_CARD_VERSION = 1;
const STATEMENT_LABEL = 'SecMsg/0.1 directory card';
export const CONTACT_CARD_CONTEXT = utf8('SecMsg directory card');
const MAILBOX_ID_BYTES = 32;
const MAX_HANDLE_BYTES = 25;
/** The longest encoded card. */
export const MAX_CONTACT_CARD_BYTES =
  1 +
  1 +
  MAX_HANDLE_BYTES +
  X25519_KEY_LENGTH +
  ML_DSA_87_PUBLIC_KEY_LENGTH +
  ML_KEM_1024_PUBLIC_KEY_LENGTH +
  MAILBOX_ID_BYTES +
  8 +
  ML_DSA_87_SIGNATURE_LENGTH;
/** Cards from before 2024 or more than a day ahead of the reader's clock are refused. */
const EARLIEST_CARD_MS = Date.UTC(2024, 0, 1);
const CLOCK_SLACK_MS = 24 * 60 * 60_000;

/** What a card says, before it is signed. */
export interface ContactCardBody {
  /** The normalized handle, without the `@`. */
  readonly handle: string;
  /** The owner's X25519 identity public key, 32 bytes. */
  readonly identityKey: Uint8Array;
  /** The owner's ML-DSA-87 identity public key, 2,592 bytes. */
  readonly signingKey: Uint8Array;
  /** The owner's ML-KEM-1024 encapsulation key for contact requests, 1,568 bytes. */
  readonly kemKey: Uint8Array;
  /** The Mailbox id (43 base64url characters) where requests are deposited. */
  readonly mailboxId: string;
  /** When the card was made, ms since the epoch. */
  readonly created: number;
}

/** A card whose signature and fields were checked, with the owner's user id derived from its keys. */
export interface ContactCard extends ContactCardBody {
  readonly userId: Uint8Array;
  /** The encoded card as signed (bound into contact requests). */
  readonly bytes: Uint8Array;
}

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_RECORD', message);
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

function checkBody(card: ContactCardBody): void {
  if (typeof card.handle !== 'string' || !isHandle(card.handle)) {
    throw new ProtocolError('BAD_ARGUMENT', 'handle must be a normalized handle such as alice.42.');
  }
  if (!(card.identityKey instanceof Uint8Array) || !isCanonicalX25519PublicKey(card.identityKey)) {
    throw new ProtocolError('BAD_ARGUMENT', 'identityKey must be a canonical X25519 public key.');
  }
  if (!(card.signingKey instanceof Uint8Array) || card.signingKey.length !== ML_DSA_87_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `signingKey must be ${ML_DSA_87_PUBLIC_KEY_LENGTH} bytes.`);
  }
  if (!(card.kemKey instanceof Uint8Array) || !isMlKem1024PublicKey(card.kemKey)) {
    throw new ProtocolError('BAD_ARGUMENT', 'kemKey must be an ML-KEM-1024 encapsulation key.');
  }
  if (typeof card.mailboxId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(card.mailboxId)) {
    throw new ProtocolError('BAD_ARGUMENT', 'mailboxId must be a mailbox id.');
  }
  if (card.mailboxId.length !== MAILBOX_ID_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `mailboxId must be ${MAILBOX_ID_LENGTH} characters.`);
  }
  if (!Number.isSafeInteger(card.created) || card.created < 0) {
    throw new ProtocolError('BAD_ARGUMENT', 'created must be milliseconds since the epoch.');
  }
}

/** The signed bytes without the signature (the statement is the label and these). */
function encodeBody(card: ContactCardBody): Uint8Array<ArrayBuffer> {
  checkBody(card);
  const handle = utf8(card.handle);
  return concatBytes(
    Uint8Array.of(CONTACT_CARD_VERSION, handle.length),
    handle,
    card.identityKey,
    card.signingKey,
    card.kemKey,
    fromBase64Url(card.mailboxId),
    u64(card.created),
  );
}

/** The owner's card, signed with its ML-DSA-87 identity key; the bytes the directory keeps. */
export async function signContactCard(
  card: ContactCardBody,
  signingKey: SigningPrivateKey,
): Promise<Uint8Array<ArrayBuffer>> {
  const body = encodeBody(card);
  const signature = await signWithIdentityKey(
    signingKey,
    concatBytes(utf8(STATEMENT_LABEL), body),
    CONTACT_CARD_CONTEXT,
  );
  return concatBytes(body, signature);
}

/**
 * Reads a card fetched for `expectedHandle` (normalized): every field, the owner's signature over
 * it, and that the handle it names is the one looked up (a directory that answers one handle's
 * lookup with another's card is caught here). `now` bounds the card's time. Throws
 * `ProtocolError('BAD_RECORD')` with a sentence for anything else.
 */
export async function openContactCard(
  bytes: Uint8Array,
  expectedHandle: string,
  now: number = Date.now(),
): Promise<ContactCard> {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes.length > MAX_CONTACT_CARD_BYTES) {
    throw bad('The directory’s card for this username is malformed.');
  }
  if (bytes[0] !== CONTACT_CARD_VERSION) {
    throw bad('The card for this username was made by a version of SecMsg this one does not know.');
  }
  const handleLength = bytes[1]!;
  const fixed =
    X25519_KEY_LENGTH + ML_DSA_87_PUBLIC_KEY_LENGTH + ML_KEM_1024_PUBLIC_KEY_LENGTH + MAILBOX_ID_BYTES + 8;
  if (
    handleLength > MAX_HANDLE_BYTES ||
    bytes.length !== 2 + handleLength + fixed + ML_DSA_87_SIGNATURE_LENGTH
  ) {
    throw bad('The directory’s card for this username has the wrong length.');
  }
  let o = 2;
  const take = (n: number): Uint8Array<ArrayBuffer> => bytes.slice(o, (o += n));
  const handleBytes = take(handleLength);
  const handle = String.fromCharCode(...handleBytes);
  const identityKey = take(X25519_KEY_LENGTH);
  const signingKey = take(ML_DSA_87_PUBLIC_KEY_LENGTH);
  const kemKey = take(ML_KEM_1024_PUBLIC_KEY_LENGTH);
  const mailboxId = toBase64Url(take(MAILBOX_ID_BYTES));
  const timeBytes = take(8);
  const view = new DataView(timeBytes.buffer);
  const hi = view.getUint32(0);
  const created = hi * 2 ** 32 + view.getUint32(4);
  const signature = take(ML_DSA_87_SIGNATURE_LENGTH);

  if (handle !== expectedHandle || !isHandle(handle)) {
    throw bad('The directory answered with the card of another username; it was not used.');
  }
  if (!isCanonicalX25519PublicKey(identityKey)) throw bad('The card’s identity key is malformed.');
  if (!isMlKem1024PublicKey(kemKey)) throw bad('The card’s encryption key is malformed.');
  if (hi > 0x1fffff || created < EARLIEST_CARD_MS || created > now + CLOCK_SLACK_MS) {
    throw bad('The card for this username has an impossible time.');
  }
  const body = bytes.subarray(0, bytes.length - ML_DSA_87_SIGNATURE_LENGTH);
  const valid = await mlDsa87VerifyAsync(
    signingKey,
    concatBytes(utf8(STATEMENT_LABEL), body),
    signature,
    CONTACT_CARD_CONTEXT,
  );
  if (!valid) throw bad('The card for this username is not signed by the keys it names; it was not used.');
  return {
    handle,
    identityKey,
    signingKey,
    kemKey,
    mailboxId,
    created,
    userId: deriveUserId(identityKey, signingKey),
    bytes: Uint8Array.from(bytes),
  };
}
