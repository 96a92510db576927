/**
 * The words of the conversation list's entries (ConversationEntry.tsx) and of the pane beside it
 * (ConversationsView.tsx), and what stores/contact-views.ts writes of a contact (for the list and
 * the chat). Part of the app's initial code: only what the list shows belongs here.
 */
/** The name of a contact that has none. */
export const noName = 'No name';
/** Tells apart two contacts whose names look alike: the start of the user id, e.g. "id 3f9a". */
export const idTag = (hex: string): string => `id ${hex}`;
export const noMessagesYet = 'No messages yet';
export const messageDeleted = 'This message was deleted';
export const youSaid = (preview: string): string => `You: ${preview}`;
/** The preview of a file message, by its kind: "Photo", "Video", "Voice note", or "File: NAME". */
export const filePreview = (media: 'file' | 'image' | 'video' | 'voice', name: string): string =>
  media === 'image'
    ? 'Photo'
    : media === 'video'
      ? 'Video'
      : media === 'voice'
        ? 'Voice note'
        : `File: ${name}`;
export const callsThemselvesThis = ' calls themselves this';
export const looksLike = (name: string): string => `Looks like ${name}`;
export const unusualCharacters = 'Unusual characters';
export const possibleInterception = 'Possible interception';
export const keyChanged = 'Key changed';
export const verified = 'Verified';
export const notVerified = 'Not verified';
export const connected = 'Connected';
export const offline = 'Offline';
export const unread = ' unread';
export const actionsFor = (name: string): string => `Actions for ${name}`;
export const loading = 'Loading…';
export const choosePrompt = 'Choose a conversation to read and write in it.';
