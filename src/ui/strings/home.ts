/**
 * The words of the conversation list's screen (HomePage.tsx) around its entries: its heading, the
 * way to pairing, the empty list and the archived ones. Part of the app's initial code.
 */
export const conversations = 'Conversations';
export const pairWithSomeone = 'Pair with someone';
export const noConversations =
  'No conversations yet. Pair with someone: show them your invite QR code, or scan theirs.';
export const archived = (count: number): string => `Archived (${count})`;
export const archivedConversations = 'Archived conversations';
