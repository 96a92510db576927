/**
 * A key rotation (DESIGN.md, Identity and trust): a device replaces its X25519 and ML-DSA-87
 * identity keys and proves to its contacts that the new keys are its own by signing them with the
 * old ML-DSA-87 key. A contact that checks the signature against the ML-DSA key it has pinned takes
 * the new keys without the blocking key-change warning, keeps the verified mark, and logs a notice.
 * Anything else that presents a new key stays a key change (or a new contact).
 *
 *   statement = "SecMsg/0.1 key rotation" ‖ at (u64 ms) ‖ old X25519 (32) ‖ old ML-DSA (2592)
 *               ‖ new X25519 (32) ‖ new ML-DSA (2592)
 *   signature = ML-DSA-87.Sign(old ML-DSA secret key, statement, context "SecMsg key rotation")
 *
 * Signing and checking the signature are key-rotation-proof.ts (they bring the ML-DSA code).
 *
 * Wire form (a `key-rotation` record, and the optional part of a handshake payload):
 *   at (u64) ‖ old X25519 ‖ old ML-DSA ‖ new X25519 ‖ new ML-DSA ‖ signature (4627)
 */
import { concatBytes, utf8 } from '../crypto/bytes';
import { ML_DSA_87_PUBLIC_KEY_LENGTH, ML_DSA_87_SIGNATURE_LENGTH } from '../crypto/pq-lengths';
import { X25519_KEY_LENGTH } from '../crypto/x25519';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { ProtocolError } from './errors';

const STATEMENT_LABEL = 'SecMsg/0.1 key rotation';
export const ROTATION_CONTEXT = utf8('SecMsg key rotation');
export const KEY_ROTATION_LENGTH =
  8 + 2 * (X25519_KEY_LENGTH + ML_DSA_87_PUBLIC_KEY_LENGTH) + ML_DSA_87_SIGNATURE_LENGTH;

export interface RotationKeys {
  /** X25519 identity public key, 32 bytes, canonical. */
  readonly identityKey: Uint8Array;
  /** ML-DSA-87 public key, 2,592 bytes. */
  readonly signingKey: Uint8Array;
}

export interface KeyRotation {
  /** When the keys were replaced, ms since the epoch (the signer's clock). */
  readonly at: number;
  readonly old: RotationKeys;
  readonly next: RotationKeys;
  /** The old ML-DSA-87 key's signature over the statement. */
  readonly signature: Uint8Array;
}

function checkKeys(keys: RotationKeys, name: string): void {
  if (!(keys.identityKey instanceof Uint8Array) || !isCanonicalX25519PublicKey(keys.identityKey)) {
    throw new ProtocolError('BAD_ARGUMENT', `${name}.identityKey must be a canonical X25519 public key.`);
  }
  if (!(keys.signingKey instanceof Uint8Array) || keys.signingKey.length !== ML_DSA_87_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError(
      'BAD_ARGUMENT',
      `${name}.signingKey must be ${ML_DSA_87_PUBLIC_KEY_LENGTH} bytes.`,
    );
  }
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  return out;
}

/** The bytes the old key signs. */
export function rotationStatement(at: number, old: RotationKeys, next: RotationKeys): Uint8Array {
  if (!Number.isSafeInteger(at) || at < 0)
    throw new ProtocolError('BAD_ARGUMENT', 'at must be milliseconds.');
  checkKeys(old, 'old');
  checkKeys(next, 'next');
  return concatBytes(
    utf8(STATEMENT_LABEL),
    u64(at),
    old.identityKey,
    old.signingKey,
    next.identityKey,
    next.signingKey,
  );
}

export function encodeKeyRotation(r: KeyRotation): Uint8Array<ArrayBuffer> {
  const statement = rotationStatement(r.at, r.old, r.next); // checks every field
  if (!(r.signature instanceof Uint8Array) || r.signature.length !== ML_DSA_87_SIGNATURE_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `signature must be ${ML_DSA_87_SIGNATURE_LENGTH} bytes.`);
  }
  const out = new Uint8Array(KEY_ROTATION_LENGTH);
  out.set(statement.subarray(utf8(STATEMENT_LABEL).length), 0);
  out.set(r.signature, KEY_ROTATION_LENGTH - ML_DSA_87_SIGNATURE_LENGTH);
  return out;
}

/** Decodes the wire form; checks shapes only (the signature is key-rotation-proof.ts `verifyKeyRotation`'s). */
export function decodeKeyRotation(bytes: Uint8Array): KeyRotation {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_ROTATION_LENGTH) {
    throw new ProtocolError('BAD_RECORD', 'A key rotation arrived with the wrong length.');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = view.getUint32(0);
  if (hi > 0x1fffff) throw new ProtocolError('BAD_RECORD', 'A key rotation arrived with an impossible time.');
  const at = hi * 2 ** 32 + view.getUint32(4);
  let o = 8;
  const take = (n: number): Uint8Array => bytes.slice(o, (o += n));
  const old = { identityKey: take(X25519_KEY_LENGTH), signingKey: take(ML_DSA_87_PUBLIC_KEY_LENGTH) };
  const next = { identityKey: take(X25519_KEY_LENGTH), signingKey: take(ML_DSA_87_PUBLIC_KEY_LENGTH) };
  const signature = take(ML_DSA_87_SIGNATURE_LENGTH);
  if (!isCanonicalX25519PublicKey(old.identityKey) || !isCanonicalX25519PublicKey(next.identityKey)) {
    throw new ProtocolError('BAD_RECORD', 'A key rotation arrived with a malformed identity key.');
  }
  return { at, old, next, signature };
}
