/** The words of the copy buttons beside invite and answer codes (CopyButton.tsx, on the pairing screen). */
export const copied = 'Copied.';
export const copyRefused = 'The browser did not allow copying: select the text and copy it by hand.';
