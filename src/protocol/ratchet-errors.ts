/**
 * The conversation ratchet's refusals shared by its modules (docs/ratchet.md, State and its
 * handling, lists every code). Sentences a person can read; a ProtocolError with a code, never a
 * string.
 */
import { ProtocolError } from './errors';

export function badMessage(sentence: string, cause?: unknown): ProtocolError {
  return new ProtocolError('BAD_RATCHET_MESSAGE', sentence, cause === undefined ? undefined : { cause });
}

export function badState(sentence: string): ProtocolError {
  return new ProtocolError('BAD_RATCHET_STATE', `The stored conversation state is damaged: ${sentence}`);
}

export function badArgument(sentence: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', sentence);
}

/** An argument check at entry that names the argument: `rootKey must be 32 bytes.` */
export function checkKey(value: unknown, name: string, length = 32): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw badArgument(`${name} must be ${length} bytes.`);
  }
}

export function duplicate(): ProtocolError {
  return new ProtocolError(
    'RATCHET_DUPLICATE',
    'A message could not be read: it was already read, or is older than the keys this device keeps.',
  );
}

/** `limit`: MAX_SKIP (ratchet-state.ts). */
export function skipLimit(limit: number): ProtocolError {
  return new ProtocolError(
    'RATCHET_SKIP_LIMIT',
    `A message could not be read: it would need more than ${limit.toLocaleString('en')} earlier messages skipped, more than this device keeps keys for.`,
  );
}

/**
 * A message whose chain began with a KEM step and whose block was left out, under a ratchet key no
 * chain kept here has: docs/ratchet.md, Reading a message, step 7.
 */
export function chainNotHeld(): ProtocolError {
  return new ProtocolError(
    'RATCHET_DUPLICATE',
    "A message could not be read: it continues a sending chain of the contact's that this device no longer holds. The chain is older than the keys this device keeps, or this device's conversation state was restored from an earlier copy.",
  );
}

export function unknownKemKey(): ProtocolError {
  return new ProtocolError(
    'RATCHET_UNKNOWN_KEM_KEY',
    'A message could not be read: its post-quantum key exchange is addressed to a key this device does not hold.',
  );
}

/** The same for every AES-GCM failure, with no detail (STYLE.md). */
export function decryptFailed(): ProtocolError {
  return new ProtocolError('DECRYPT_FAILED', 'The message could not be decrypted.');
}
