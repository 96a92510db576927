/**
 * A contact card as the directory stores it (issue 15, item 3): sealed under a key derived from the
 * handle, so that the directory, which only ever sees the handle's hash (directory.ts), holds bytes
 * it cannot read without the handle — the owner's keys and request mailbox included.
 *
 *   key    = HKDF-SHA256(utf8(handle), salt = "", info = "SecMsg/0.1 card key", 32)
 *   sealed = nonce (12 random bytes) ‖ AES-256-GCM(key, nonce, card, ad = "SecMsg/0.1 card" ‖ handle)
 *
 * This is no defence against an operator who tries handles one by one (they are short, and the
 * hash tells when a guess is right): it keeps the card out of reach of anyone who has only the
 * stored bytes, a log or a backup. What makes the card trustworthy is its ML-DSA signature
 * (contact-card.ts), checked after opening.
 */
import { AeadKey, AES_GCM_NONCE_LENGTH, AES_GCM_TAG_LENGTH } from '../crypto/aead';
import { concatBytes, copyBytes, utf8 } from '../crypto/bytes';
import { hkdfSha256 } from '../crypto/hkdf';
import { randomBytes } from '../crypto/random';
import { isHandle } from './directory';
import { ProtocolError } from './errors';

const KEY_INFO = utf8('SecMsg/0.1 card key');
const AD_LABEL = 'SecMsg/0.1 card';
/** What sealing adds to a card. */
export const CARD_SEAL_OVERHEAD = AES_GCM_NONCE_LENGTH + AES_GCM_TAG_LENGTH;

async function cardKey(handle: string): Promise<AeadKey> {
  if (!isHandle(handle)) throw new ProtocolError('BAD_ARGUMENT', 'handle must be a normalized handle.');
  const raw = await hkdfSha256(utf8(handle), new Uint8Array(0), KEY_INFO, 32);
  try {
    return await AeadKey.import(raw);
  } finally {
    raw.fill(0);
  }
}

export async function sealCard(handle: string, card: Uint8Array): Promise<Uint8Array> {
  const key = await cardKey(handle);
  const nonce = randomBytes(AES_GCM_NONCE_LENGTH);
  return concatBytes(nonce, await key.encrypt(nonce, copyBytes(card), utf8(`${AD_LABEL}${handle}`)));
}

/** Opens a stored card of `handle`; a sentence when it is not one (damaged, or another handle's). */
export async function openCard(handle: string, sealed: Uint8Array): Promise<Uint8Array> {
  const bad = () =>
    new ProtocolError('BAD_RECORD', 'The directory answered with a card that is not this username’s.');
  if (!(sealed instanceof Uint8Array) || sealed.length <= CARD_SEAL_OVERHEAD) throw bad();
  const key = await cardKey(handle);
  try {
    return await key.decrypt(
      sealed.slice(0, AES_GCM_NONCE_LENGTH),
      sealed.slice(AES_GCM_NONCE_LENGTH),
      utf8(`${AD_LABEL}${handle}`),
    );
  } catch {
    throw bad();
  }
}
