/**
 * The messenger's conversation-feature calls (conversation-features.ts, loaded on first use with
 * what it works with: the live sessions and delivery) and the contact's typing state, as the
 * messenger spreads them into its interface.
 */
import type { ConversationFeatureDeps, ConversationFeatures } from './conversation-features';

export interface FeatureCalls extends ConversationFeatures {
  /** Whether the contact shows as typing now (the `typing` event says when it changes). */
  contactTyping(contactId: string): boolean;
}

/**
 * `deps` gives the features' collaborators, loading them on the first call; `typing` says whether
 * the contact shows as typing now.
 */
export function featureCalls(
  deps: () => Promise<ConversationFeatureDeps>,
  typing: (contactId: string) => boolean,
): FeatureCalls {
  let loading: Promise<ConversationFeatures> | undefined;
  const load = async (): Promise<ConversationFeatures> =>
    (loading ??= Promise.all([import('./conversation-features'), deps()]).then(
      ([m, d]) => m.createConversationFeatures(d),
      (e: unknown) => {
        loading = undefined;
        throw e;
      },
    ));
  return {
    reply: async (contactId, text, to) => (await load()).reply(contactId, text, to),
    react: async (contactId, messageId, emoji) => (await load()).react(contactId, messageId, emoji),
    edit: async (contactId, messageId, body) => (await load()).edit(contactId, messageId, body),
    deleteForEveryone: async (contactId, messageId) => (await load()).deleteForEveryone(contactId, messageId),
    deleteForMe: async (contactId, messageId) => (await load()).deleteForMe(contactId, messageId),
    markMessagesRead: async (contactId, ids) => (await load()).markMessagesRead(contactId, ids),
    typing: async (contactId, typing) => (await load()).typing(contactId, typing),
    contactTyping: (contactId) => typing(contactId),
  };
}
