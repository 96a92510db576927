/**
 * The sentences for errors that carry no sentence of their own (src/ui/errors.ts), on any screen.
 * Part of the app's initial code. Errors of the app's own layers bring their sentences with them.
 */
export const notAllowed = 'The browser did not allow this.';
export const somethingWentWrong =
  'Something went wrong. Try again, and if it keeps happening, reload the page.';
