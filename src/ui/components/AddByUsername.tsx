import { Show, createSignal } from 'solid-js';
import { displayHandle, normalizeHandle } from '../../protocol/directory';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import * as text from '../strings/usernames';
import { Outcome } from './Outcome';

/** Pair → Add by username: looks the handle up, sends a contact request, keeps the contact. */
export function AddByUsername() {
  const app = useApp();
  const [handle, setHandle] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [note, setNote] = createSignal('');
  const [problem, setProblem] = createSignal('');

  const send = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setNote('');
    setProblem('');
    try {
      const m = app.messenger();
      if (!m) throw new Error('The app is not ready yet.');
      await (await m.usernames()).add(handle());
      setNote(text.requestSent(displayHandle(normalizeHandle(handle()))));
      setHandle('');
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="add-username-heading">
      <h3 id="add-username-heading">{text.addHeading}</h3>
      <form onSubmit={(e) => void send(e)}>
        <label>
          {text.addLabel}
          <input
            value={handle()}
            onInput={(e) => setHandle(e.currentTarget.value)}
            placeholder={text.addPlaceholder}
            autocapitalize="off"
            autocomplete="off"
            spellcheck={false}
            maxLength={30}
          />
        </label>
        <button type="submit" disabled={busy() || handle().trim() === ''}>
          {text.sendRequest}
        </button>
      </form>
      <Show when={busy()}>
        <p role="status">{text.sending}</p>
      </Show>
      <Outcome note={note()} problem={problem()} />
    </section>
  );
}
