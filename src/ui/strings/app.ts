/**
 * The words of the app's frame (App.tsx): the header's navigation, the footer, the loading line,
 * and the two screens shown instead of the app when it cannot start (another tab holds the
 * identity; storage would not open), and the tab's title with the unread count
 * (stores/conversation-views.ts). Part of the app's initial code.
 */
export const appName = 'SecMsg';
/** The tab's title while messages are unread: "(3) SecMsg". */
export const titleWithUnread = (unread: number): string => `(${unread}) ${appName}`;
export const mainNavigation = 'Main';
export const conversations = 'Conversations';
export const pair = 'Pair';
export const settings = 'Settings';
export const openingIdentity = 'Opening your saved identity…';
export const loading = 'Loading…';
export const otherTabHeading = 'SecMsg is open in another tab';
export const otherTabText =
  'Only one tab can use your identity at a time, so that no message is sent or stored twice. Use the other tab, or close it: this one takes over at once.';
export const failedHeading = 'SecMsg could not open its storage';
export const failedText =
  'Nothing was changed or deleted. If the browser was busy, trying again may be enough; a reload loads the newest version of SecMsg.';
export const tryAgain = 'Try again';
export const reload = 'Reload';
export const footer = (protocol: string): string =>
  `Protocol ${protocol}. Messages go directly between devices, end-to-end encrypted.`;
