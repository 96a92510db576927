import { ErrorBoundary, createUniqueId, type JSX } from 'solid-js';
import { useApp } from '../app-context';
import * as text from '../strings/screen-error';

/** The error's own words, shown only under "Details"; never throws (the error may be anything). */
function errorDetails(error: unknown): string {
  try {
    if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
    return String(error);
  } catch {
    return text.noDetails;
  }
}

/**
 * One screen of the app, in an error boundary: if the screen throws while it is drawn (or its code
 * cannot be loaded), the person reads a sentence about what happened and gets a way out (back to
 * the conversation list, or a reload) instead of a blank page. The header stays usable.
 */
export function ScreenBoundary(props: { children: JSX.Element }) {
  const app = useApp();
  return (
    <ErrorBoundary
      fallback={(error: unknown, reset: () => void) => {
        console.error('SecMsg: a screen failed while it was shown.', error);
        const id = createUniqueId();
        return (
          <section aria-labelledby={`screen-error-${id}`} class="page narrow">
            <h2 id={`screen-error-${id}`}>{text.heading}</h2>
            <p role="alert">{text.explanation}</p>
            <details>
              <summary>{text.details}</summary>
              <p>
                <code>{errorDetails(error)}</code>
              </p>
            </details>
            <p>
              {app.state.phase === 'ready' ? (
                <button
                  type="button"
                  class="primary"
                  onClick={() => {
                    app.actions.show({ name: 'home' }); // leaves this screen (and this boundary) …
                    reset(); // … or, when the list itself failed, draws it again
                  }}
                >
                  {text.backToConversations}
                </button>
              ) : (
                <button type="button" class="primary" onClick={reset}>
                  {text.tryAgain}
                </button>
              )}{' '}
              <button type="button" onClick={() => location.reload()}>
                {text.reload}
              </button>
            </p>
          </section>
        );
      }}
    >
      {props.children}
    </ErrorBoundary>
  );
}
