/**
 * A contact request (issue 15, item 3): what someone who looked up a username deposits in the
 * card's request mailbox (contact-card.ts). Sealed to the card's owner, so the worker that keeps it
 * learns its size and time only; signed by the requester, so the owner knows which keys asked and
 * that they asked this card; carrying a fresh pair secret, so that once the owner accepts, the two
 * meet in their own rendezvous room (rendezvous.ts) as any known contacts do.
 *
 *   requester                                     worker mailbox                      owner
 *   card = openContactCard(lookup)                                                      │
 *   e = fresh X25519; (ct, ss) = ML-KEM-1024.Encaps(card.kemKey)                         │
 *   k ‖ n = HKDF(X25519(e, card.identityKey) ‖ ss, …)                                   │
 *     │── POST /mailboxes/<card.mailboxId>/blobs  version ‖ e.pub ‖ ct ‖ AES-GCM ──▶│    │
 *     │                                            │◀── list / fetch (read token) ──────│ open: X25519(ik, e.pub),
 *     │                                            │                                    │ Decaps(ct), AES-GCM,
 *     │                                            │                                    │ the signature, user id
 *     │══════ both in the pair's rendezvous room once the owner accepts (Noise XX) ═════│
 *
 * Sealing (lengths in bytes; ‖ concatenation):
 *   binding = SHA-256("SecMsg/0.1 contact request card" ‖ len(handle) ‖ handle ‖ card X25519 (32)
 *             ‖ card ML-DSA-87 (2,592) ‖ card ML-KEM-1024 (1,568))
 *   header  = version 0x01 ‖ e.pub (32) ‖ ct (1,568)
 *   k ‖ n   = HKDF-SHA256(IKM = X25519(e, card X25519) ‖ ss, salt = "SecMsg/0.1 contact request",
 *             info = "SecMsg/0.1 contact request seal" ‖ binding ‖ SHA-256(header), 44): a 32-byte AES key
 *             and a 12-byte nonce, both used once (e is fresh)
 *   blob    = header ‖ AES-256-GCM(k, n, inner, ad = header)
 * The X25519 and ML-KEM secrets both go into the key, so the request stays sealed if either holds.
 *
 * Inner (the plaintext):
 *   version 0x01 ‖ requester X25519 (32) ‖ requester ML-DSA-87 (2,592) ‖ pair secret (32)
 *   ‖ at (u64 ms) ‖ name length (1) ‖ name (UTF-8, ≤ 255) ‖ signature (4,627)
 *   signature = ML-DSA-87.Sign(requester, "SecMsg/0.1 contact request" ‖ binding ‖ everything
 *               before the signature, context "SecMsg contact request")
 * The owner derives the requester's user id from the two keys (user-id.ts); none is sent. The name
 * is a suggestion, shown as one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/aead';
import { concatBytes, constantTimeEqual, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { hkdfSha256 } from '../crypto/hkdf';
import { mlKem1024Decapsulate, mlKem1024Encapsulate } from '../crypto/ml-kem';
import { mlDsa87VerifyAsync } from '../crypto/ml-dsa';
import { type SigningPrivateKey, signWithIdentityKey } from '../crypto/ml-dsa-key';
import {
  ML_DSA_87_PUBLIC_KEY_LENGTH,
  ML_DSA_87_SIGNATURE_LENGTH,
  ML_KEM_1024_CIPHERTEXT_LENGTH,
} from '../crypto/pq-lengths';
import { type X25519PrivateKey, X25519_KEY_LENGTH, x25519SharedSecret } from '../crypto/x25519';
import { generateRawX25519KeyPair, rawX25519SharedSecret } from '../crypto/x25519-raw';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import type { ContactCardBody } from './contact-card';
import { displayNameProblem } from './display-name';
import { ProtocolError } from './errors';
import { deriveUserId } from './user-id';

export const CONTACT_REQUEST_VERSION = 1;
const BINDING_LABEL = 'SecMsg/0.1 contact request card';
const SALT = 'SecMsg/0.1 contact request';
const SEAL_INFO = 'SecMsg/0.1 contact request seal';
const STATEMENT_LABEL = 'SecMsg/0.1 contact request';
export const CONTACT_REQUEST_CONTEXT = utf8('SecMsg contact request');
export const PAIR_SECRET_LENGTH = 32;
const HEADER_LENGTH = 1 + X25519_KEY_LENGTH + ML_KEM_1024_CIPHERTEXT_LENGTH;
const INNER_FIXED = 1 + X25519_KEY_LENGTH + ML_DSA_87_PUBLIC_KEY_LENGTH + PAIR_SECRET_LENGTH + 8 + 1;
const TAG_LENGTH = 16;
/** The largest sealed request. */
export const MAX_CONTACT_REQUEST_BYTES =
  HEADER_LENGTH + INNER_FIXED + 255 + ML_DSA_87_SIGNATURE_LENGTH + TAG_LENGTH;
/** A request older than this (the mailbox keeps blobs 14 days) or a day ahead of the clock is refused. */
const MAX_AGE_MS = 15 * 24 * 60 * 60_000;
const CLOCK_SLACK_MS = 24 * 60 * 60_000;

/** The card fields a request is bound to (the owner rebuilds them from its own keys and claim). */
export type CardBinding = Pick<ContactCardBody, 'handle' | 'identityKey' | 'signingKey' | 'kemKey'>;

/** What the requester sends. */
export interface ContactRequestBody {
  /** The requester's X25519 identity public key, 32 bytes. */
  readonly identityKey: Uint8Array;
  /** The requester's ML-DSA-87 identity public key, 2,592 bytes. */
  readonly signingKey: Uint8Array;
  /** The new pair's rendezvous secret, 32 random bytes. */
  readonly pairSecret: Uint8Array;
  /** When it was made, ms since the epoch (the requester's clock). */
  readonly at: number;
  /** The name the requester suggests for itself. */
  readonly displayName: string;
}

/** An opened request: checked, signed, its user id derived here from the keys. */
export interface ContactRequest extends ContactRequestBody {
  readonly userId: Uint8Array;
}

function binding(card: CardBinding): Uint8Array {
  const handle = utf8(card.handle);
  return sha256(
    concatBytes(
      utf8(BINDING_LABEL),
      Uint8Array.of(handle.length),
      handle,
      card.identityKey,
      card.signingKey,
      card.kemKey,
    ),
  );
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

async function sealingKey(
  shared: Uint8Array,
  kemSecret: Uint8Array,
  bound: Uint8Array,
  header: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const ikm = concatBytes(shared, kemSecret);
  try {
    const okm = await hkdfSha256(ikm, utf8(SALT), concatBytes(utf8(SEAL_INFO), bound, sha256(header)), 44);
    return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
  } finally {
    ikm.fill(0);
  }
}

function innerBody(r: ContactRequestBody): Uint8Array<ArrayBuffer> {
  if (!(r.identityKey instanceof Uint8Array) || !isCanonicalX25519PublicKey(r.identityKey)) {
    throw new ProtocolError('BAD_ARGUMENT', 'identityKey must be a canonical X25519 public key.');
  }
  if (!(r.signingKey instanceof Uint8Array) || r.signingKey.length !== ML_DSA_87_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `signingKey must be ${ML_DSA_87_PUBLIC_KEY_LENGTH} bytes.`);
  }
  if (!(r.pairSecret instanceof Uint8Array) || r.pairSecret.length !== PAIR_SECRET_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `pairSecret must be ${PAIR_SECRET_LENGTH} bytes.`);
  }
  if (!Number.isSafeInteger(r.at) || r.at < 0)
    throw new ProtocolError('BAD_ARGUMENT', 'at must be milliseconds.');
  const problem = displayNameProblem(r.displayName);
  if (problem) throw new ProtocolError('BAD_ARGUMENT', problem);
  const name = utf8(r.displayName);
  return concatBytes(
    Uint8Array.of(CONTACT_REQUEST_VERSION),
    r.identityKey,
    r.signingKey,
    r.pairSecret,
    u64(r.at),
    Uint8Array.of(name.length),
    name,
  );
}

/**
 * The request, signed with the requester's ML-DSA-87 key and sealed to `card`'s owner: the blob to
 * deposit in the card's mailbox.
 */
export async function sealContactRequest(
  request: ContactRequestBody,
  signingKey: SigningPrivateKey,
  card: CardBinding,
): Promise<Uint8Array<ArrayBuffer>> {
  const bound = binding(card);
  const body = innerBody(request);
  const signature = await signWithIdentityKey(
    signingKey,
    concatBytes(utf8(STATEMENT_LABEL), bound, body),
    CONTACT_REQUEST_CONTEXT,
  );
  const inner = concatBytes(body, signature);
  const ephemeral = await generateRawX25519KeyPair();
  const { cipherText, sharedSecret } = mlKem1024Encapsulate(card.kemKey);
  const shared = await rawX25519SharedSecret(ephemeral.privateKey, card.identityKey);
  ephemeral.privateKey.fill(0);
  const header = concatBytes(Uint8Array.of(CONTACT_REQUEST_VERSION), ephemeral.publicKey, cipherText);
  const { key, nonce } = await sealingKey(shared, sharedSecret, bound, header);
  shared.fill(0);
  sharedSecret.fill(0);
  const sealed = await aesGcmEncrypt(key, nonce, inner, header);
  key.fill(0);
  return concatBytes(header, sealed);
}

/** What the owner opens requests with: its X25519 identity private key and ML-KEM-1024 secret key. */
export interface RequestKeys {
  readonly identityPrivateKey: X25519PrivateKey;
  readonly kemSecretKey: Uint8Array;
}

function refused(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BAD_RECORD', message, cause === undefined ? undefined : { cause });
}

/**
 * Opens a request deposited for `card` (this device's own card fields): decrypts it, checks every
 * field, the requester's signature over it and this card, and its time against `now`. Throws
 * `ProtocolError`: `DECRYPT_FAILED` when it was not sealed to these keys or was changed,
 * `BAD_RECORD` with a sentence for anything else.
 */
export async function openContactRequest(
  blob: Uint8Array,
  keys: RequestKeys,
  card: CardBinding,
  now: number = Date.now(),
): Promise<ContactRequest> {
  if (
    !(blob instanceof Uint8Array) ||
    blob.length < HEADER_LENGTH + INNER_FIXED + ML_DSA_87_SIGNATURE_LENGTH + TAG_LENGTH
  ) {
    throw refused('A contact request arrived too short to be one.');
  }
  if (blob.length > MAX_CONTACT_REQUEST_BYTES) throw refused('A contact request arrived too long to be one.');
  if (blob[0] !== CONTACT_REQUEST_VERSION) {
    throw refused('A contact request came from a version of SecMsg this one does not know.');
  }
  const header = blob.subarray(0, HEADER_LENGTH);
  const ephemeral = blob.subarray(1, 1 + X25519_KEY_LENGTH);
  const cipherText = blob.subarray(1 + X25519_KEY_LENGTH, HEADER_LENGTH);
  const bound = binding(card);
  let shared: Uint8Array;
  try {
    shared = await x25519SharedSecret(keys.identityPrivateKey, ephemeral);
  } catch (e) {
    if (CryptoError.is(e, 'BAD_PUBLIC_KEY'))
      throw new ProtocolError('DECRYPT_FAILED', 'Decryption failed.', { cause: e });
    throw e;
  }
  const kemSecret = mlKem1024Decapsulate(cipherText, keys.kemSecretKey);
  const { key, nonce } = await sealingKey(shared, kemSecret, bound, header);
  shared.fill(0);
  kemSecret.fill(0);
  let inner: Uint8Array;
  try {
    inner = await aesGcmDecrypt(key, nonce, blob.subarray(HEADER_LENGTH), header);
  } catch (e) {
    throw new ProtocolError('DECRYPT_FAILED', 'Decryption failed.', { cause: e });
  } finally {
    key.fill(0);
  }
  return readInner(inner, bound, now);
}

async function readInner(inner: Uint8Array, bound: Uint8Array, now: number): Promise<ContactRequest> {
  if (inner[0] !== CONTACT_REQUEST_VERSION) throw refused('A contact request is malformed.');
  let o = 1;
  const take = (n: number): Uint8Array<ArrayBuffer> => inner.slice(o, (o += n));
  const identityKey = take(X25519_KEY_LENGTH);
  const signingKey = take(ML_DSA_87_PUBLIC_KEY_LENGTH);
  const pairSecret = take(PAIR_SECRET_LENGTH);
  const time = take(8);
  const view = new DataView(time.buffer);
  const hi = view.getUint32(0);
  const at = hi * 2 ** 32 + view.getUint32(4);
  const nameLength = inner[o++]!;
  if (inner.length !== o + nameLength + ML_DSA_87_SIGNATURE_LENGTH) {
    throw refused('A contact request has the wrong length.');
  }
  const nameBytes = take(nameLength);
  const signature = take(ML_DSA_87_SIGNATURE_LENGTH);
  if (!isCanonicalX25519PublicKey(identityKey))
    throw refused('A contact request names a malformed identity key.');
  let displayName: string;
  try {
    displayName = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes);
  } catch (e) {
    throw refused('A contact request’s name is not valid text.', e);
  }
  if (displayNameProblem(displayName) !== undefined) throw refused('A contact request’s name is malformed.');
  if (hi > 0x1fffff || at > now + CLOCK_SLACK_MS || at < now - MAX_AGE_MS) {
    throw refused('A contact request is too old, or dated in the future.');
  }
  if (pairSecret.every((b) => b === 0)) throw refused('A contact request carries an empty pair secret.');
  const body = inner.subarray(0, inner.length - ML_DSA_87_SIGNATURE_LENGTH);
  const valid = await mlDsa87VerifyAsync(
    signingKey,
    concatBytes(utf8(STATEMENT_LABEL), bound, body),
    signature,
    CONTACT_REQUEST_CONTEXT,
  );
  if (!valid)
    throw refused('A contact request is not signed by the keys it names, or not for this username.');
  return {
    identityKey,
    signingKey,
    pairSecret,
    at,
    displayName,
    // Recomputed from the keys: nothing in the request names an id.
    userId: deriveUserId(identityKey, signingKey),
  };
}

/** Whether two requests come from the same keys (the owner shows one of each). */
export function sameRequester(a: ContactRequestBody, b: ContactRequestBody): boolean {
  return constantTimeEqual(a.identityKey, b.identityKey) && constantTimeEqual(a.signingKey, b.signingKey);
}
