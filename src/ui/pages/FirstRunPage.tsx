import { Show, createSignal } from 'solid-js';
import { useApp } from '../app-context';
import { errorText } from '../errors';

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
      setProblem('Pick a name to show to the people you talk to.');
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
        Your name
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
      <p class="note">Shown to the people you pair with. You can change it later.</p>
      <Show
        when={confirming()}
        fallback={
          <button type="submit" disabled={busy()}>
            {button}
          </button>
        }
      >
        <p id="confirm-reset">
          Start a new identity as “{name().trim()}”? Your contacts will have to accept your new key.
        </p>
        <button
          type="button"
          class="danger"
          aria-describedby="confirm-reset"
          disabled={busy()}
          onClick={() => void run(async () => app.actions.resetIdentity(name()))}
        >
          Yes, start a new identity
        </button>{' '}
        <button type="button" disabled={busy()} onClick={() => setConfirming(false)}>
          Cancel
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
            <h2 id="first-run-heading">Welcome to SecMsg</h2>
            <p>
              Talk privately with one person at a time, straight from this browser. Messages go directly
              between your devices, encrypted end to end; no server sees them.
            </p>
            {nameForm('Start')}
          </>
        }
      >
        {(reason) => (
          <>
            <h2 id="first-run-heading">Your identity cannot be used</h2>
            <p role="alert">{reason()}</p>
            <p>
              This can be a passing problem with the browser’s storage. Try again first: trying changes
              nothing.
            </p>
            <p>
              <button type="button" class="primary" disabled={busy()} onClick={() => void retry()}>
                Try again
              </button>
            </p>
            <Show when={retries() > 0 && !busy()}>
              <p role="status">
                {retries() === 1
                  ? 'Tried again: the identity still cannot be read.'
                  : `Tried again ${retries()} times: the identity still cannot be read.`}
              </p>
            </Show>

            <h3>Or start a new identity</h3>
            <p>Only if trying again does not help. A new identity means:</p>
            <ul>
              <li>
                Your contacts see a new key for you. Each of them has to accept it, and you should compare
                safety numbers again.
              </li>
              <li>
                Your contacts and messages stay on this device, but nobody can reach your old identity any
                more.
              </li>
              <li>The unreadable identity is kept aside on this device, not overwritten.</li>
            </ul>
            {nameForm('Start a new identity…')}
          </>
        )}
      </Show>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
    </section>
  );
}
