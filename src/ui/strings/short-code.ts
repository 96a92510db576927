/** The words of pairing by a short code read aloud (PairPage.tsx, ShortCodeForm.tsx). */
export const heading = 'Use a short code';
export const explain =
  'On a call or side by side: one of you makes a code and reads it out, the other types it. It works once, within ten minutes.';
export const makeCode = 'Make a short code';
export const typeCode = 'Type the code they read out';
export const codeHint =
  'Its number, then two words: for example 7-orca-whimsical. Words complete as you type.';
export const pair = 'Pair with this code';
export const readOut = 'Read this code out to the other person:';
export const codeLabel = 'Your short code';
export const gettingCode = 'Getting a code from the signaling server…';
export const waiting = 'Waiting for them to type it…';
export const comparing = 'Comparing the codes…';
export const connecting = 'The codes match. Connecting…';
export const needsServer = 'Short codes need a signaling server (set one in Settings).';
