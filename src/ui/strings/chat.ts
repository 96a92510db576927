/**
 * The words of the chat screen around its history (ChatPage.tsx, ChatHeader.tsx, ChatWarnings.tsx,
 * Composer.tsx): the header (who, verified or not, the connection in a sentence, typing), the
 * warnings that block a conversation, and the composer with the reply or edit above it.
 */
export const noConversation = 'This conversation no longer exists.';
/** Stands for the contact's name in announcements while it is not known. */
export const yourContact = 'your contact';
export const loadingInspector = 'Loading the inspector…';

// The header.
export const backToConversations = 'Back to conversations';
/** Read before the contact's name in the heading (visually hidden). */
export const chatWith = 'Chat with ';
/** Beside a name that looks like another's: what tells them apart. */
export const tellApart = (tag: string): string => ` (${tag})`;
export const newKeyNotVerified = 'New key: not verified';
export const verified = 'Verified';
export const notVerified = 'Not verified';
export const safetyNumber = 'Safety number';
export const inspector = 'Inspector';
export const typing = (name: string): string => `${name} is typing…`;

// The connection in a sentence: open, or why not and what happens to what the person writes.
export const connectedSecurely = 'Connected securely.';
export const connecting = 'Connecting…';
export const offlineWaiting =
  'Offline: waiting for them to open SecMsg. Messages you write wait on this device until then.';
export const offlineRetrying = 'Offline, will retry shortly. Messages you write wait on this device.';
export const blockedByKeyChange = 'Not connected while the key change waits for your decision.';
export const pausedByInterception =
  'Not reconnecting: the last attempt looked like interception. See the warning below.';
export const offlineNoServer =
  'Offline. Without a signaling server, pair again to reconnect; messages you write wait on this device.';
/** `reason` is a sentence of the app's own, or `connectionEnded`. */
export const disconnected = (reason: string): string => `Disconnected: ${reason} Reconnecting…`;
export const connectionEnded = 'the connection ended';
export const offline = 'Offline. Messages you write wait on this device until you are connected again.';

// The warnings above the history.
export const keyChangedHeading = (name: string): string => `${name}'s identity key changed`;
export const keyChangedText = (name: string): string =>
  `A new key arrived through your usual connection with ${name}. This happens when they reinstall the app or start a new identity — or when someone else has their device or sits in the middle. Nothing is shown or sent until you decide. If you accept, compare safety numbers again, in person or on a call you trust; if you refuse, the key you had stays.`;
export const newKeyCallsItself = (name: string): string => `The new key calls itself “${name}”.`;
export const acceptNewKey = 'Accept the new key';
export const refuseAndDisconnect = 'Refuse and disconnect';
export const possibleInterception = 'Possible interception';
/** `reason` is the app's sentence saying what looked like interception. */
export const pausedText = (reason: string): string =>
  `${reason} SecMsg stopped trying to reconnect. If you expect this (they reset the app, for example), try again; otherwise compare safety numbers with them first, in person or on a call.`;
export const tryAgain = 'Try again';

// The composer.
export const message = 'Message';
export const send = 'Send';
export const replyingTo = 'Replying to:';
export const editingYourMessage = 'Editing your message:';
export const editing = 'Editing';
export const cancelReply = 'Cancel reply';
export const cancelEdit = 'Cancel edit';
