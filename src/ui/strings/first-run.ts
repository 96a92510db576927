/**
 * The words of the first-run screen (FirstRunPage.tsx): the welcome and the name form, and the
 * screen shown instead when the identity on this device cannot be read (try again, or start anew).
 */
export const welcomeHeading = 'Welcome to SecMsg';
export const welcome =
  'Talk privately with one person at a time, straight from this browser. Messages go directly between your devices, encrypted end to end; no server sees them.';
export const start = 'Start';
export const yourName = 'Your name';
export const nameNote = 'Shown to the people you pair with. You can change it later.';
export const pickAName = 'Pick a name to show to the people you talk to.';

export const unreadableHeading = 'Your identity cannot be used';
export const passingProblem =
  'This can be a passing problem with the browser’s storage. Try again first: trying changes nothing.';
export const tryAgain = 'Try again';
export const triedAgain = (times: number): string =>
  times === 1
    ? 'Tried again: the identity still cannot be read.'
    : `Tried again ${times} times: the identity still cannot be read.`;
export const newIdentityHeading = 'Or start a new identity';
export const newIdentityMeans = 'Only if trying again does not help. A new identity means:';
export const newKeyForContacts =
  'Your contacts see a new key for you. Each of them has to accept it, and you should compare safety numbers again.';
export const oldIdentityUnreachable =
  'Your contacts and messages stay on this device, but nobody can reach your old identity any more.';
export const unreadableKeptAside = 'The unreadable identity is kept aside on this device, not overwritten.';
export const startNewIdentity = 'Start a new identity…';
export const confirmNewIdentity = (name: string): string =>
  `Start a new identity as “${name}”? Your contacts will have to accept your new key.`;
export const yesStartNewIdentity = 'Yes, start a new identity';
export const cancel = 'Cancel';
