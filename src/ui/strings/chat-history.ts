/**
 * The words of a chat's history (MessageHistory.tsx) while it is read a page at a time, and the
 * announcements of what arrives in it (stores/chat-history.ts).
 */
export const conversationHistory = 'Conversation history';
export const messages = 'Messages';
export const jumpToNewest = 'Jump to newest';
export const loadingMessages = 'Loading messages…';
export const earlierOnScroll = 'Earlier messages load as you scroll up.';
/** A reply quotes a message the chat has not read in yet (it is further up). */
export const quotedFurtherUp = 'An earlier message (scroll up to see it)';
/** A reply quotes a message this device does not have. */
export const quotedMissing = "A message you don't have";
/** A long message is read out only up to here when it arrives; the rest is in the history. */
export const cutShort = (start: string): string => `${start}…`;
/** Said when messages arrive in the open chat: how many, from whom, and the last one's text. */
export const arrived = (count: number, name: string, last: string): string =>
  count === 1 ? `New message from ${name}: ${last}` : `${count} new messages from ${name}. The last: ${last}`;
