/**
 * What this device keeps of the username it claimed (issue 15, item 3; src/app/usernames.ts): the
 * handle, the release secret whose SHA-256 the directory holds as the owner, the request mailbox
 * its card names and the ML-KEM-1024 seed that contact requests are sealed to. At most one claim a
 * device. Kept on this device only: the release secret is what lets anyone release the handle.
 * Memory (memory-store.ts) and IndexedDB (idb-username-store.ts, the `usernames` store since
 * database version 8) implement the same `UsernameStore`.
 */
import { StoreError } from './store-error';

export interface UsernameClaim {
  /** The normalized handle, without the `@` (src/protocol/directory.ts `isHandle`). */
  readonly handle: string;
  /** 32 random bytes; the directory keeps only their SHA-256. */
  readonly releaseSecret: Uint8Array;
  /** The Mailbox the card names for contact requests: id (the address) and read token. */
  readonly mailbox: { readonly id: string; readonly token: string };
  /** The ML-KEM-1024 key pair's 64-byte seed (d ‖ z): the card carries its encapsulation key. */
  readonly kemSeed: Uint8Array;
  /** When the directory last took this device's card (claim or refresh), ms since the epoch. */
  readonly claimedAt: number;
}

export interface UsernameStore {
  /** This device's claim, if it has one. */
  get(): Promise<UsernameClaim | undefined>;
  /** Keeps `claim`, replacing any other. */
  put(claim: UsernameClaim): Promise<void>;
  /** Forgets the claim (after the handle was released). */
  remove(): Promise<void>;
}

/** The key of the one claim record in the `usernames` store. */
export const USERNAME_CLAIM_KEY = 'claim';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A copy of `claim`, checked field by field; throws `StoreError('BAD_ARGUMENT')` with a sentence. */
export function checkedClaim(claim: UsernameClaim): UsernameClaim {
  const bad = (what: string): StoreError => new StoreError('BAD_ARGUMENT', `A username claim needs ${what}.`);
  if (typeof claim.handle !== 'string' || !/^[a-z][a-z0-9_]{2,19}\.[0-9]{2,4}$/.test(claim.handle)) {
    throw bad('a normalized handle');
  }
  if (!(claim.releaseSecret instanceof Uint8Array) || claim.releaseSecret.length !== 32) {
    throw bad('a 32-byte release secret');
  }
  if (
    typeof claim.mailbox?.id !== 'string' ||
    !TOKEN.test(claim.mailbox.id) ||
    !TOKEN.test(claim.mailbox.token)
  ) {
    throw bad('a mailbox id and token');
  }
  if (!(claim.kemSeed instanceof Uint8Array) || claim.kemSeed.length !== 64) throw bad('a 64-byte key seed');
  if (!Number.isSafeInteger(claim.claimedAt) || claim.claimedAt < 0) throw bad('the time it was made');
  return {
    handle: claim.handle,
    releaseSecret: Uint8Array.from(claim.releaseSecret),
    mailbox: { id: claim.mailbox.id, token: claim.mailbox.token },
    kemSeed: Uint8Array.from(claim.kemSeed),
    claimedAt: claim.claimedAt,
  };
}

/** A record read back: the claim, or undefined when it is not one (then it is ignored). */
export function readClaim(raw: unknown): UsernameClaim | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  try {
    return checkedClaim(raw as UsernameClaim);
  } catch {
    return undefined;
  }
}

/** The memory implementation (tests). */
export class MemoryUsernameStore implements UsernameStore {
  constructor(private readonly backend: { username?: UsernameClaim | undefined }) {}
  async get(): Promise<UsernameClaim | undefined> {
    await Promise.resolve();
    return this.backend.username && checkedClaim(this.backend.username);
  }
  async put(claim: UsernameClaim): Promise<void> {
    await Promise.resolve();
    this.backend.username = checkedClaim(claim);
  }
  async remove(): Promise<void> {
    await Promise.resolve();
    this.backend.username = undefined;
  }
}
