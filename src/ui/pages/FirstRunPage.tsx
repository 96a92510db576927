import { Show, createSignal } from 'solid-js';
import { useApp } from '../app-context';
import { errorText } from '../errors';

/**
 * First run (no identity yet), or an identity that cannot be read back: then the page says why in
 * a sentence and offers a new identity only on the person's explicit request.
 */
export function FirstRunPage(props: { unreadable?: string }) {
  const app = useApp();
  const [name, setName] = createSignal('');
  const [problem, setProblem] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (name().trim() === '') {
      setProblem('Pick a name to show to the people you talk to.');
      return;
    }
    setBusy(true);
    setProblem('');
    try {
      if (props.unreadable) await app.actions.resetIdentity(name());
      else await app.actions.createIdentity(name());
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
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
          </>
        }
      >
        {(reason) => (
          <>
            <h2 id="first-run-heading">Your identity cannot be used</h2>
            <p role="alert">{reason()}</p>
            <p>
              You can start a new identity. Your contacts will see that your key changed and will have to
              accept it and compare safety numbers again.
            </p>
          </>
        )}
      </Show>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Your name
          <input
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
            maxLength={64}
            autocomplete="nickname"
            required
          />
        </label>
        <p class="note">Shown to the people you pair with. You can change it later.</p>
        <button type="submit" disabled={busy()}>
          {props.unreadable ? 'Start a new identity' : 'Start'}
        </button>
        <Show when={problem()}>
          <p role="alert">{problem()}</p>
        </Show>
      </form>
    </section>
  );
}
