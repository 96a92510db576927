import { Show, createSignal } from 'solid-js';
import { AVATAR_COLOURS, initials } from '../../app/avatar';
import { useApp } from '../app-context';
import { dayKey, dayLabel, formatTime, timeAttribute } from '../format-time';
import type { ContactView, ConversationView } from '../stores/app-store';
import * as text from '../strings/list';
import { ConversationActions } from './ConversationActions';

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
 * connection; the entry opens the chat. Beside it, "Actions for …" opens the entry's actions
 * (ConversationActions.tsx).
 */
export function ConversationEntry(props: { contact: ContactView; open: boolean }) {
  const app = useApp();
  const conv = () => app.state.conversations[props.contact.id];
  const [menu, setMenu] = createSignal(false);
  const preview = () => {
    const last = conv()?.last;
    if (!last) return text.noMessagesYet;
    if (last.deleted) return text.messageDeleted;
    return last.direction === 'out' ? text.youSaid(last.preview) : last.preview;
  };
  const c = () => props.contact;
  let more: HTMLButtonElement | undefined;
  return (
    <li
      class="entry"
      onKeyDown={(e) => {
        // Escape closes the actions and gives the focus back to their button.
        if (e.key !== 'Escape' || !menu()) return;
        e.stopPropagation();
        setMenu(false);
        more?.focus();
      }}
    >
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
              <span class="name-note">{text.callsThemselvesThis}</span>
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
              {(like) => <span class="badge warn">{text.looksLike(like())}</span>}
            </Show>
            <Show when={c().nameWarnings.length > 0}>
              <span class="badge warn">{text.unusualCharacters}</span>
            </Show>
            <Show when={c().reconnectPaused}>
              <span class="badge warn">{text.possibleInterception}</span>
            </Show>
            <Show when={c().keyChangePending}>
              <span class="badge warn">{text.keyChanged}</span>
            </Show>
            <span class={c().verified ? 'badge ok' : 'badge'}>
              {c().verified ? text.verified : text.notVerified}
            </span>
            <span class={c().connected ? 'badge ok' : 'badge'}>
              {c().connected ? text.connected : text.offline}
            </span>
          </span>
        </span>
        <Show when={(conv()?.unread ?? 0) > 0}>
          <span class="unread" data-testid="unread">
            {' '}
            {conv()!.unread}
            <span class="visually-hidden">{text.unread}</span>
          </span>
        </Show>
      </button>
      <button
        type="button"
        class="entry-more"
        ref={(el) => (more = el)}
        aria-expanded={menu()}
        onClick={() => setMenu((v) => !v)}
      >
        <span aria-hidden="true">⋯</span>
        <span class="visually-hidden">{text.actionsFor(c().name)}</span>
      </button>
      <Show when={menu()}>
        <ConversationActions contact={c()} onDone={() => setMenu(false)} />
      </Show>
    </li>
  );
}
