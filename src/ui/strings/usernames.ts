/**
 * The words of usernames: the Username part of Settings (UsernameSettings.tsx), "Add by username"
 * on the pairing screen (AddByUsername.tsx), and contact requests (ContactRequests.tsx), on the
 * pairing screen and above the conversation list.
 */
export const usernameHeading = 'Username';
export const usernameExplained =
  'Optional. With a username, people can find you without meeting you or sending you a link. The directory learns that the username exists and when it is looked up; it cannot read your messages or stand in for you, but a contact added by username is not verified until you compare safety numbers.';
export const usernameLabel = 'Username to claim';
export const usernameHint = (number: string): string =>
  `3 to 20 letters, digits or underscores starting with a letter, a dot, and a number, such as yourname.${number}. The number lets common names be claimed by many people.`;
export const claim = 'Claim username';
export const claiming = 'Claiming…';
export const yourUsername = 'Your username';
export const claimed = (handle: string): string =>
  `You have the username ${handle}. People can send you contact requests with it.`;
export const release = 'Release username';
export const releasing = 'Releasing…';
export const released = 'The username was released. Anyone may claim it now.';
export const needsServer = 'Usernames need a signaling server; set one under Connection.';

export const addHeading = 'Add by username';
export const addLabel = 'Their username';
export const addPlaceholder = 'name.42';
export const sendRequest = 'Send contact request';
export const sending = 'Looking up the username…';
export const requestSent = (handle: string): string =>
  `Contact request sent to ${handle}. You can write to them once they accept. Compare safety numbers to verify them.`;

export const requestsHeading = 'Contact requests';
export const requestsWaiting = (n: number): string =>
  n === 1 ? '1 contact request is waiting.' : `${n} contact requests are waiting.`;
export const showRequests = 'Show contact requests';
export const requestFrom = (name: string): string => `Contact request from “${name}”`;
export const suggestedName = 'Suggested name (chosen by them, not checked):';
export const nameWarning = 'This name has characters that could make it look like someone else’s:';
export const safetyNumber = 'Safety number';
export const compareLater =
  'Compare this number with them in person or on a call before you trust who they are. Accepting does not verify them.';
export const accept = 'Accept';
export const ignore = 'Ignore';
export const acceptLabel = (name: string): string => `Accept the contact request from ${name}`;
export const ignoreLabel = (name: string): string => `Ignore the contact request from ${name}`;
export const alreadyContact = 'You have this contact already; accepting lets you meet them again.';
export const ignored = 'The contact request was deleted.';
export const sentAt = (when: string): string => `Sent ${when}`;
