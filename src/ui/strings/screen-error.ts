/**
 * The words of the screen shown in place of one that failed while it was drawn
 * (ScreenBoundary.tsx). Part of the app's initial code.
 */
export const heading = 'This screen could not be shown';
export const explanation =
  'Something went wrong in SecMsg while it was showing this screen, so it stopped here rather than show something wrong. Go back to your conversations or reload the page; if it happens again, the details below help to report it.';
export const details = 'Details';
export const noDetails = 'No details.';
export const backToConversations = 'Back to conversations';
export const tryAgain = 'Try again';
export const reload = 'Reload';
