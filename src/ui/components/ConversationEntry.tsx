import { Show, createSignal } from 'solid-js';
import { AVATAR_COLOURS, initials } from '../../app/avatar';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { dayKey, dayLabel, formatTime, timeAttribute } from '../format-time';
import type { ContactView, ConversationView } from '../stores/app-store';

/** The time of a conversation's last message: the clock today, else the day ("Yesterday", a date). */
export function listTime(at: number, now = Date.now()): string {
  return dayKey(at) === dayKey(now) ? formatTime(at, 'clock') : dayLabel(at, now);
}

/**
 * A contact's avatar: initials on its colour (a class per colour, styles.css: no inline styles
 * under the CSP). The name beside it is the accessible text.
 */
export function Avatar(props: { name: string; conversation: ConversationView | undefined }) {
  const colour = () => {
    const bg = props.conversation?.avatar.background;
    const i = bg ? (AVATAR_COLOURS as readonly string[]).indexOf(bg) : -1;
    return i < 0 ? '' : ` c${i}`;
  };
  return (
    <span class={`avatar${colour()}`} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}

/**
 * One conversation in the list: avatar, name, last message and its time, unread count, trust and
 * connection; the entry opens the chat. Beside it, "Actions for …" offers Archive (or Unarchive)
 * and Delete conversation, which asks first and says that the contact stays.
 */
export function ConversationEntry(props: { contact: ContactView; open: boolean }) {
  const app = useApp();
  const conv = () => app.state.conversations[props.contact.id];
  const [menu, setMenu] = createSignal(false);
  const [confirming, setConfirming] = createSignal(false);
  const [problem, setProblem] = createSignal('');
  const preview = () => {
    const last = conv()?.last;
    if (!last) return 'No messages yet';
    if (last.deleted) return 'This message was deleted';
    return last.direction === 'out' ? `You: ${last.preview}` : last.preview;
  };
  const act = async (f: (id: string) => Promise<void>) => {
    setProblem('');
    try {
      await f(props.contact.id);
      setMenu(false);
      setConfirming(false);
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  const c = () => props.contact;
  return (
    <li class="entry">
      <button
        type="button"
        class="contact"
        data-contact-id={c().id}
        aria-current={props.open ? 'true' : undefined}
        onClick={() => app.actions.show({ name: 'chat', contactId: c().id })}
      >
        <Avatar name={c().name} conversation={conv()} />
        <span class="entry-main">
          <span class="entry-top">
            <span class="name">{c().name}</span>
            <Show when={c().tellApart}>{(t) => <span class="tell-apart"> ({t()})</span>}</Show>
            <Show when={c().nameIsAnnounced}>
              <span class="name-note"> calls themselves this</span>
            </Show>
            <Show when={conv()?.last}>
              {(last) => (
                <time class="entry-time" dateTime={timeAttribute(last().at)}>
                  {' '}
                  {listTime(last().at)}
                </time>
              )}
            </Show>
          </span>
          <span class="entry-preview" classList={{ tombstone: conv()?.last?.deleted === true }}>
            {' '}
            {preview()}
          </span>
          <span class="badges">
            <Show when={c().looksLike}>
              <span class="badge warn">Looks like {c().looksLike}</span>
            </Show>
            <Show when={c().nameWarnings.length > 0}>
              <span class="badge warn">Unusual characters</span>
            </Show>
            <Show when={c().reconnectPaused}>
              <span class="badge warn">Possible interception</span>
            </Show>
            <Show when={c().keyChangePending}>
              <span class="badge warn">Key changed</span>
            </Show>
            <span class={c().verified ? 'badge ok' : 'badge'}>
              {c().verified ? 'Verified' : 'Not verified'}
            </span>
            <span class={c().connected ? 'badge ok' : 'badge'}>
              {c().connected ? 'Connected' : 'Offline'}
            </span>
          </span>
        </span>
        <Show when={(conv()?.unread ?? 0) > 0}>
          <span class="unread" data-testid="unread">
            {' '}
            {conv()!.unread}
            <span class="visually-hidden"> unread</span>
          </span>
        </Show>
      </button>
      <button
        type="button"
        class="entry-more"
        aria-expanded={menu()}
        onClick={() => {
          setMenu((v) => !v);
          setConfirming(false);
        }}
      >
        <span aria-hidden="true">⋯</span>
        <span class="visually-hidden">Actions for {c().name}</span>
      </button>
      <Show when={menu()}>
        <div class="entry-actions" role="group" aria-label={`Actions for ${c().name}`}>
          <Show
            when={confirming()}
            fallback={
              <>
                <button
                  type="button"
                  onClick={() => void act(async (id) => app.messenger()?.archive(id, !conv()?.archived))}
                >
                  {conv()?.archived ? 'Unarchive' : 'Archive'}
                </button>
                <button type="button" class="danger" onClick={() => setConfirming(true)}>
                  Delete conversation
                </button>
              </>
            }
          >
            <p>
              Delete every message with {c().name} on this device? {c().name} stays in your contacts, with
              their keys and verified mark, and you can still write to them.
            </p>
            <button
              type="button"
              class="danger"
              onClick={() => void act(async (id) => app.messenger()?.deleteConversation(id))}
            >
              Delete messages
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </Show>
          <Show when={problem()}>
            <p role="alert">{problem()}</p>
          </Show>
        </div>
      </Show>
    </li>
  );
}
