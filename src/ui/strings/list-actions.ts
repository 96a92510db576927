/**
 * The words of a conversation's actions in the list (ConversationActions.tsx): archive, and delete
 * the conversation after asking.
 */
export const archive = 'Archive';
export const unarchive = 'Unarchive';
export const deleteConversation = 'Delete conversation';
export const deleteConversationQuestion = (name: string): string =>
  `Delete every message with ${name} on this device? ${name} stays in your contacts, with their keys and verified mark, and you can still write to them.`;
export const deleteMessages = 'Delete messages';
export const cancel = 'Cancel';
