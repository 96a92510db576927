/**
 * The message store's conversation-feature part (`MessageFeatureStore`: changes, the outbox of
 * records, delete for me) for the IndexedDB store, loading its implementation and the change rules
 * (message-change-rules.ts) on the first call, not with the page: the conversation list does not
 * need them, a session or a change in the chat does.
 */
import type { MessageFeatureStore } from './message-changes';

/**
 * A `MessageFeatureStore` that calls the one `load` gives, loading it on the first call; every later
 * call shares it. A load that fails (the code could not be fetched) is tried again on the next call.
 * Each method awaits the load before it starts, so a transaction begins only once the code is there.
 */
export function lazyMessageFeatures(load: () => Promise<MessageFeatureStore>): MessageFeatureStore {
  let loading: Promise<MessageFeatureStore> | undefined;
  const store = async (): Promise<MessageFeatureStore> =>
    (loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    }));
  return {
    change: async (contactId, changes, queue) => (await store()).change(contactId, changes, queue),
    queued: async (contactId) => (await store()).queued(contactId),
    queuedSent: async (contactId, id, route) => (await store()).queuedSent(contactId, id, route),
    remove: async (contactId, messageId) => (await store()).remove(contactId, messageId),
  };
}
