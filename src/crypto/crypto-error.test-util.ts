/**
 * Test helpers for the ML-DSA and ML-KEM tests: the error a call throws, and the entry checks'
 * refusals (CryptoError BAD_ARGUMENT whose message names the argument, or the secret key's check).
 */
import { CryptoError } from './errors';

/** The error `fn` throws; fails the test if it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, but it returned');
}

/** BAD_ARGUMENT from the entry check for `arg` (the message names the argument). */
export const refuses = (arg: string) => (e: unknown) =>
  CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith(`${arg} must be`);

/** BAD_ARGUMENT from the secret key's check (FIPS 203 §7.3's hash check; FIPS 204's key check). */
export const refusesSecretKey = (e: unknown) =>
  CryptoError.is(e, 'BAD_ARGUMENT') && e.message.startsWith('secretKey is not a valid');
