/**
 * The user id (DESIGN.md, Identity and trust): 16 bytes derived from the identity public keys,
 * never chosen by anyone, so a peer cannot claim another's id and a receiver recomputes it
 * instead of trusting what it is told.
 *
 *   userId = SHA-256("SecMsg user id" ‖ X25519 public key (32) [‖ ML-DSA-87 public key])[0..16]
 *
 * The ML-DSA-87 key joins the input once identities carry one (the next protocol step); until then
 * the id covers the X25519 key alone. Either way it is a function of the keys only.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../crypto/bytes';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { ProtocolError } from './errors';

export const USER_ID_LENGTH = 16;
const USER_ID_LABEL = 'SecMsg user id';

/**
 * Synchronous (SHA-256 from @noble/hashes), so that a database upgrade can recompute stored ids
 * inside its transaction, which closes when it waits on anything else.
 */
export function deriveUserId(
  x25519PublicKey: Uint8Array,
  mlDsaPublicKey?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (!isCanonicalX25519PublicKey(x25519PublicKey)) {
    throw new ProtocolError('BAD_ARGUMENT', 'x25519PublicKey must be a canonical 32-byte X25519 public key.');
  }
  if (mlDsaPublicKey !== undefined && !(mlDsaPublicKey instanceof Uint8Array && mlDsaPublicKey.length > 0)) {
    throw new ProtocolError('BAD_ARGUMENT', 'mlDsaPublicKey must be the bytes of an ML-DSA-87 public key.');
  }
  const input = concatBytes(utf8(USER_ID_LABEL), x25519PublicKey, mlDsaPublicKey ?? new Uint8Array(0));
  return Uint8Array.from(sha256(input).subarray(0, USER_ID_LENGTH));
}
