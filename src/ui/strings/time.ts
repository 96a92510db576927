/**
 * The words of times and days (src/ui/format-time.ts), on the list and in the chat: the rest of a
 * time is written by the browser in its own language (Intl.DateTimeFormat). Part of the app's
 * initial code.
 */
/** Fits wherever a time would stand in a sentence. */
export const unknownTime = 'an unknown time';
export const unknownDay = 'Unknown date';
export const today = 'Today';
export const yesterday = 'Yesterday';
