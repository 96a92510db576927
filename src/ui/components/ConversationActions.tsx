import { Show, createSignal } from 'solid-js';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import type { ContactView } from '../stores/app-store';
import * as text from '../strings/list-actions';
import { actionsFor } from '../strings/list';

/**
 * The actions of one conversation in the list, under its "Actions for …" button: Archive (or
 * Unarchive) and Delete conversation, which asks first and says that the contact stays. A failure
 * stays on screen as a sentence; `onDone` closes the actions after one worked.
 */
export function ConversationActions(props: { contact: ContactView; onDone: () => void }) {
  const app = useApp();
  const conv = () => app.state.conversations[props.contact.id];
  const [confirming, setConfirming] = createSignal(false);
  const [problem, setProblem] = createSignal('');
  const act = async (f: (id: string) => Promise<void>) => {
    setProblem('');
    try {
      await f(props.contact.id);
      setConfirming(false);
      props.onDone();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  return (
    <div class="entry-actions" role="group" aria-label={actionsFor(props.contact.name)}>
      <Show
        when={confirming()}
        fallback={
          <>
            <button
              type="button"
              onClick={() => void act(async (id) => app.messenger()?.archive(id, !conv()?.archived))}
            >
              {conv()?.archived ? text.unarchive : text.archive}
            </button>
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              {text.deleteConversation}
            </button>
          </>
        }
      >
        <p>{text.deleteConversationQuestion(props.contact.name)}</p>
        <button
          type="button"
          class="danger"
          onClick={() => void act(async (id) => app.messenger()?.deleteConversation(id))}
        >
          {text.deleteMessages}
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          {text.cancel}
        </button>
      </Show>
      <Show when={problem()}>
        <p role="alert">{problem()}</p>
      </Show>
    </div>
  );
}
