/** The username claim in IndexedDB (username-types.ts): one record in the `usernames` store. */
import type { Db } from './idb-schema';
import {
  USERNAME_CLAIM_KEY,
  type UsernameClaim,
  type UsernameStore,
  checkedClaim,
  readClaim,
} from './username-types';

export class IdbUsernameStore implements UsernameStore {
  constructor(private readonly db: Db) {}

  async get(): Promise<UsernameClaim | undefined> {
    return readClaim(await this.db.get('usernames', USERNAME_CLAIM_KEY));
  }

  async put(claim: UsernameClaim): Promise<void> {
    await this.db.put('usernames', { id: USERNAME_CLAIM_KEY, ...checkedClaim(claim) });
  }

  async remove(): Promise<void> {
    await this.db.delete('usernames', USERNAME_CLAIM_KEY);
  }
}
