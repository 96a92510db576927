import { Show, createSignal } from 'solid-js';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/first-run';

/**
 * First run (no identity yet), or an identity that cannot be read back. Then the page says why in
 * a sentence and offers to try reading it again first; a new identity only after the person has
 * read what it costs and confirmed it with a second press.
 */
export function FirstRunPage(props: { unreadable?: string }) {
  const app = useApp();
  const [name, setName] = createSignal('');
  const [problem, setProblem] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  /** Unreadable only: the name was given and the page asks "are you sure?". */
  const [confirming, setConfirming] = createSignal(false);
  /** Unreadable only: how often "Try again" found the identity still unreadable. */
  const [retries, setRetries] = createSignal(0);

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setProblem('');
    try {
      await f();
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (name().trim() === '') {
      setProblem(text.pickAName);
      return;
    }
    if (props.unreadable) {
      setProblem('');
      setConfirming(true);
      return;
    }
    await run(async () => app.actions.createIdentity(name()));
  };

  const retry = async () =>
    run(async () => {
      setConfirming(false);
      await app.actions.retry();
      // Still here (the page stays while the identity stays unreadable): say that it was tried.
      if (app.state.phase === 'unreadable') setRetries((n) => n + 1);
    });

  const nameForm = (button: string) => (
    <form onSubmit={(e) => void submit(e)}>
      <label>
        {text.yourName}
        <input
          value={name()}
          onInput={(e) => {
            setName(e.currentTarget.value);
            setConfirming(false);
          }}
          maxLength={64}
          autocomplete="nickname"
          required
        />
      </label>
      <p class="note">{text.nameNote}</p>
      <Show
        when={confirming()}
        fallback={
          <button type="submit" disabled={busy()}>
            {button}
          </button>
        }
      >
        <p id="confirm-reset">{text.confirmNewIdentity(name().trim())}</p>
        <button
          type="button"
          class="danger"
          aria-describedby="confirm-reset"
          disabled={busy()}
          onClick={() => void run(async () => app.actions.resetIdentity(name()))}
        >
          {text.yesStartNewIdentity}
        </button>{' '}
        <button type="button" disabled={busy()} onClick={() => setConfirming(false)}>
          {text.cancel}
        </button>
      </Show>
    </form>
  );

  return (
    <section aria-labelledby="first-run-heading" class="page narrow">
      <Show
        when={props.unreadable}
        fallback={
          <>
            <h2 id="first-run-heading">{text.welcomeHeading}</h2>
            <p>{text.welcome}</p>
            {nameForm(text.start)}
          </>
        }
      >
        {(reason) => (
          <>
            <h2 id="first-run-heading">{text.unreadableHeading}</h2>
            <p role="alert">{reason()}</p>
            <p>{text.passingProblem}</p>
            <p>
              <button type="button" class="primary" disabled={busy()} onClick={() => void retry()}>
                {text.tryAgain}
              </button>
            </p>
            <Show when={retries() > 0 && !busy()}>
              <p role="status">{text.triedAgain(retries())}</p>
            </Show>

            <h3>{text.newIdentityHeading}</h3>
            <p>{text.newIdentityMeans}</p>
            <ul>
              <li>{text.newKeyForContacts}</li>
              <li>{text.oldIdentityUnreachable}</li>
              <li>{text.unreadableKeptAside}</li>
            </ul>
            {nameForm(text.startNewIdentity)}
          </>
        )}
      </Show>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
    </section>
  );
}
