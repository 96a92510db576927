/**
 * The words of the safety-number screen (SafetyPage.tsx): comparing the numbers, scanning each
 * other's code, and what each outcome means for the verified mark.
 */
export const noConversation = 'This conversation no longer exists.';
export const backToChat = 'Back to the chat';
export const heading = (name: string): string => `Safety number with ${name}`;
export const keyChangePending = (name: string): string =>
  `${name}'s identity key changed. Accept or refuse the new key in the chat first; this number is for the old key.`;
export const compare = (name: string): string =>
  `Compare these digits with the ones on ${name}'s screen, in person or on a call you trust — or scan each other's code. If they match, nobody sits in the middle.`;
export const computing = 'Computing the safety number…';
export const safetyNumber = 'Safety number';
export const yourCode = 'Your safety-number QR code';
export const verified = 'Verified';
export const notVerified = 'Not verified';

export const scanTheirCode = 'Scan their safety-number code';
export const codesMatch = 'The codes match. This contact is now verified.';
export const pictureMatches =
  'The code in the picture matches yours. A picture proves the code, not who sent it: did you get it in person (or from their screen, on a call you trust)?';
export const codesDiffer =
  'The codes do not match. This is not the person you paired with, or someone sits in the middle. Do not mark them verified.';
export const gotPictureInPerson = 'I got this picture in person';
export const verifiedByPicture = 'Marked as verified: the picture matched and you got it in person.';
export const pictureWasSent = 'No, it was sent to me';
export const notVerifiedCompare = 'Not verified: compare the numbers in person or on a call to verify.';
export const numbersMatch = 'The numbers match';
export const markedVerified = 'Marked as verified.';
export const removeVerified = 'Remove the verified mark';
