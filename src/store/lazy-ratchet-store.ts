/**
 * `Stores.ratchets` for both stores: a thin `RatchetStore` whose implementation (and the commit
 * checks in ratchet-records.ts) loads on its first call, not with the page. The first session is
 * what calls it, and it loads the ratchet code then anyway.
 */
import type { RatchetStore } from './ratchet-types';

/**
 * A `RatchetStore` that calls the one `load` gives, loading it on the first call; every later call
 * shares it. A load that fails (the code could not be fetched) is tried again on the next call.
 * Each method awaits the load before it starts, so a commit's transaction begins only once the
 * code is there and never waits on anything but storage.
 */
export function lazyRatchetStore(load: () => Promise<RatchetStore>): RatchetStore {
  let loading: Promise<RatchetStore> | undefined;
  const store = async (): Promise<RatchetStore> =>
    (loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    }));
  return {
    load: async (contactId) => (await store()).load(contactId),
    commit: async (c) => (await store()).commit(c),
    remove: async (contactId) => (await store()).remove(contactId),
  };
}
