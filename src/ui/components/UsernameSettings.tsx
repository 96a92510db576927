import { Show, createResource, createSignal } from 'solid-js';
import { displayHandle } from '../../protocol/directory';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/usernames';
import { Outcome } from './Outcome';

/** A name part for a handle from the display name, when it makes one (else the person types it). */
function namePart(displayName: string): string {
  const ascii = displayName.toLowerCase().replace(/[^a-z0-9_]/g, '');
  return /^[a-z][a-z0-9_]{2,19}$/.test(ascii) ? ascii : '';
}

/** Settings → Username: claim one (the number part suggested), see it, release it. */
export function UsernameSettings() {
  const app = useApp();
  const usernames = async () => {
    const m = app.messenger();
    if (!m) throw new Error('The app is not ready yet.');
    return m.usernames();
  };
  const [mine, { mutate }] = createResource(async () =>
    app.config.signalingUrl ? (await usernames()).mine() : undefined,
  );
  const [number, setNumber] = createSignal('');
  const [wanted, setWanted] = createSignal('');
  void usernames()
    .then((u) => {
      const n = u.suggestNumber();
      setNumber(n);
      if (wanted() === '') setWanted(`${namePart(app.state.myName)}.${n}`);
    })
    .catch(() => undefined);
  const [busy, setBusy] = createSignal(false);
  const [note, setNote] = createSignal('');
  const [problem, setProblem] = createSignal('');

  const run = async (task: () => Promise<void>) => {
    setBusy(true);
    setNote('');
    setProblem('');
    try {
      await task();
    } catch (e) {
      setProblem(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const claim = (e: SubmitEvent) => {
    e.preventDefault();
    void run(async () => {
      const handle = await (await usernames()).claim(wanted());
      mutate(handle);
    });
  };

  const release = () =>
    void run(async () => {
      await (await usernames()).release();
      mutate(undefined);
      setNote(text.released);
    });

  return (
    <section aria-labelledby="username-heading">
      <h3 id="username-heading">{text.usernameHeading}</h3>
      <p class="note">{text.usernameExplained}</p>
      <Show when={app.config.signalingUrl} fallback={<p class="note">{text.needsServer}</p>}>
        <Show
          when={mine()}
          fallback={
            <form onSubmit={claim}>
              <label>
                {text.usernameLabel}
                <input
                  value={wanted()}
                  onInput={(e) => setWanted(e.currentTarget.value)}
                  autocapitalize="off"
                  autocomplete="off"
                  spellcheck={false}
                  maxLength={26}
                />
              </label>
              <p class="note">{text.usernameHint(number() || '42')}</p>
              <button type="submit" disabled={busy()}>
                {busy() ? text.claiming : text.claim}
              </button>
            </form>
          }
        >
          {(handle) => (
            <>
              <p role="status" data-testid="my-username">
                {text.claimed(displayHandle(handle()))}
              </p>
              <button type="button" onClick={release} disabled={busy()}>
                {busy() ? text.releasing : text.release}
              </button>
            </>
          )}
        </Show>
      </Show>
      <Outcome note={note()} problem={problem()} />
    </section>
  );
}
