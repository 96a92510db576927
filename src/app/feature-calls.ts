/**
 * The messenger's conversation-feature calls (conversation-features.ts, loaded on first use) and
 * the contact's typing state, as the messenger spreads them into its interface.
 */
import type { ConversationFeatureDeps, ConversationFeatures } from './conversation-features';
import type { PeerTyping } from './typing';

export interface FeatureCalls extends ConversationFeatures {
  /** Whether the contact shows as typing now (the `typing` event says when it changes). */
  contactTyping(contactId: string): boolean;
}

export function featureCalls(deps: ConversationFeatureDeps, peer: PeerTyping): FeatureCalls {
  let loading: Promise<ConversationFeatures> | undefined;
  const load = async (): Promise<ConversationFeatures> =>
    (loading ??= import('./conversation-features').then((m) => m.createConversationFeatures(deps)));
  return {
    reply: async (contactId, text, to) => (await load()).reply(contactId, text, to),
    react: async (contactId, messageId, emoji) => (await load()).react(contactId, messageId, emoji),
    edit: async (contactId, messageId, body) => (await load()).edit(contactId, messageId, body),
    deleteForEveryone: async (contactId, messageId) => (await load()).deleteForEveryone(contactId, messageId),
    deleteForMe: async (contactId, messageId) => (await load()).deleteForMe(contactId, messageId),
    markMessagesRead: async (contactId, ids) => (await load()).markMessagesRead(contactId, ids),
    typing: async (contactId, typing) => (await load()).typing(contactId, typing),
    contactTyping: (contactId) => peer.typing(contactId),
  };
}
