import { For, Show, createSignal } from 'solid-js';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import type { ContactView } from '../stores/contact-views';
import * as text from '../strings/contact-name';

/**
 * Under a chat's heading: where the shown name comes from. A name the contact announced is their
 * suggestion ("calls themselves …") until the user keeps it or sets one; problems with it are said
 * in sentences, and a look-alike of another contact's name is pointed out. The user's own name for
 * the contact can be changed at any time.
 */
export function ContactNameNotice(props: { contact: ContactView }) {
  const app = useApp();
  const messenger = app.messenger()!;
  const [editing, setEditing] = createSignal(false);
  const [draft, setDraft] = createSignal('');
  const [problem, setProblem] = createSignal('');
  const act = async (f: () => Promise<void>) => {
    setProblem('');
    try {
      await f();
      setEditing(false);
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  const c = () => props.contact;
  return (
    <div class="name-notice" data-testid="name-notice">
      <Show
        when={c().nameIsAnnounced}
        fallback={
          <Show when={c().announcedName !== c().name}>
            <p>{text.theyCallThemselves(c().announcedName)}</p>
          </Show>
        }
      >
        <p>{text.callsThemselves(c().announcedName)}</p>
      </Show>
      <Show when={c().looksLike}>{(other) => <p role="alert">{text.looksLike(other())}</p>}</Show>
      <Show when={c().nameWarnings.length > 0}>
        <ul class="name-warnings" aria-label={text.aboutThisName}>
          <For each={c().nameWarnings}>{(w) => <li>{w}</li>}</For>
        </ul>
      </Show>
      <Show
        when={editing()}
        fallback={
          <p>
            <Show when={c().nameIsAnnounced && c().nameWarnings.length === 0}>
              <button type="button" onClick={() => void act(async () => messenger.keepAnnouncedName(c().id))}>
                {text.keepThisName}
              </button>{' '}
            </Show>
            <button
              type="button"
              onClick={() => {
                setDraft(c().nameIsAnnounced ? '' : c().name);
                setProblem('');
                setEditing(true);
              }}
            >
              {c().nameIsAnnounced ? text.setAName : text.changeName}
            </button>
          </p>
        }
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => messenger.setLocalName(c().id, draft().trim()));
          }}
        >
          <label>
            {text.yourNameForContact}
            <input value={draft()} onInput={(e) => setDraft(e.currentTarget.value)} autocomplete="off" />
          </label>{' '}
          <button type="submit" class="primary">
            {text.saveName}
          </button>{' '}
          <button type="button" onClick={() => setEditing(false)}>
            {text.cancel}
          </button>
        </form>
      </Show>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
    </div>
  );
}
