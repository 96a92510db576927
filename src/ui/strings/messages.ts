/**
 * The words of one message in a chat (MessageBubble.tsx, MessageParts.tsx): the sender, the quoted
 * message of a reply, a deleted message, reactions, the time's neighbours (route, "edited"), the
 * delivery marks, and the actions menu (reply, react, edit, delete).
 */
export const you = 'You';
export const deleted = 'This message was deleted';
/** A reply quotes a message this device does not have. */
export const quotedMissing = "A message you don't have";
export const edited = 'edited';
export const read = 'Read';

// Delivery marks: read by screen readers, and what tests and scripts look for.
export const queued = 'Queued';
export const sent = 'Sent';
export const delivered = 'Delivered';

// How a message went, said beside the time.
export const routeDirect = 'direct';
export const routeRelayed = 'relayed';
export const routeMailbox = 'via mailbox';

// Reactions under a bubble.
export const reactions = 'Reactions';
/** Who reacted with one emoji, visually hidden after it; names are `reactedByYou` or the contact's. */
export const reactedBy = (names: readonly string[]): string => ` from ${names.join(' and ')}`;
export const reactedByYou = 'you';

// The actions menu of a message.
export const moreActions = 'More actions for this message';
export const messageActions = 'Message actions';
export const reply = 'Reply';
export const reactWith = (emoji: string): string => `React with ${emoji}`;
export const takeBack = (emoji: string): string => `Take back ${emoji}`;
export const edit = 'Edit';
export const deleteForEveryone = 'Delete for everyone';
export const deleteForMe = 'Delete for me';
export const confirmDeleteForEveryone =
  'Delete this message for everyone? It is deleted here and on their device, where they see that a message was deleted.';
export const confirmDeleteForMe =
  'Delete this message on this device only? The other person keeps their copy.';
export const cancel = 'Cancel';
export const earlierVersions = 'Earlier versions, kept on this device only:';
export const showEarlierVersions = 'edited, show earlier versions';
