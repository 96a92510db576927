import { For, Show, createSignal } from 'solid-js';
import type { StoredMessage } from '../../store/message-types';
import * as text from '../strings/messages';
import * as fileText from '../strings/files';

/** The reactions offered, as in the messengers people know. */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/** What the chat can do with one message (ChatPage carries them out). */
export interface MessageActionHandlers {
  reply(m: StoredMessage): void;
  react(m: StoredMessage, emoji: string): void;
  edit(m: StoredMessage): void;
  deleteForEveryone(m: StoredMessage): void;
  deleteForMe(m: StoredMessage): void;
}

/** My reaction to the message, if any ('' ones are taken back). */
export function myReaction(m: StoredMessage): string {
  return m.reactions?.find((r) => r.from === 'out' && r.emoji !== '')?.emoji ?? '';
}

/**
 * The quoted message above a reply's text, or a sentence when it is not (or no longer) here:
 * `missing` says which (by default, that this device does not have it).
 */
export function Quote(props: { quoted: StoredMessage | undefined; contactName: string; missing?: string }) {
  return (
    <div class="quote">
      <Show
        when={props.quoted}
        fallback={<span class="quote-body">{props.missing ?? text.quotedMissing}</span>}
      >
        {(q) => (
          <>
            <span class="quote-who">{q().direction === 'out' ? text.you : props.contactName}</span>{' '}
            <span class="quote-body">
              {q().deletedAt !== undefined
                ? text.deleted
                : q().file
                  ? fileText.fileWord(q().file!.media, q().file!.name)
                  : q().body}
            </span>
          </>
        )}
      </Show>
    </div>
  );
}

/** The reactions under a bubble: each emoji once, with how many and from whom (in words). */
export function Reactions(props: { message: StoredMessage; contactName: string }) {
  const groups = () => {
    const by = new Map<string, string[]>();
    for (const r of props.message.reactions ?? []) {
      if (r.emoji === '') continue;
      by.set(r.emoji, [...(by.get(r.emoji) ?? []), r.from === 'out' ? text.reactedByYou : props.contactName]);
    }
    return [...by.entries()];
  };
  return (
    <Show when={groups().length > 0}>
      <ul class="reactions" aria-label={text.reactions}>
        <For each={groups()}>
          {([emoji, who]) => (
            <li>
              {emoji}
              <Show when={who.length > 1}> {who.length}</Show>
              <span class="visually-hidden">{text.reactedBy(who)}</span>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}

/**
 * "More actions for this message": a disclosure of Reply, the reactions, Edit (my own text
 * messages only) and Delete for everyone (my own messages only), and Delete for me; each delete
 * asks once more (Cancel has the focus), since neither can be undone. Escape closes it and gives
 * the focus back.
 */
export function MessageActions(props: { message: StoredMessage; handlers: MessageActionHandlers }) {
  const [open, setOpen] = createSignal(false);
  /** A delete waiting for its confirmation (neither can be undone). */
  const [confirming, setConfirming] = createSignal<'everyone' | 'me' | undefined>();
  let toggle: HTMLButtonElement | undefined;
  const ask = (which: 'everyone' | 'me') => setConfirming(which);
  const m = () => props.message;
  const deleted = () => m().deletedAt !== undefined;
  const mine = () => m().direction === 'out';
  // The menu closes; the focus goes back to its button (Reply and Edit move it to the composer).
  const run = (f: () => void) => {
    setOpen(false);
    setConfirming(undefined);
    toggle?.focus();
    f();
  };
  return (
    <div
      class="message-actions"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open()) {
          e.stopPropagation();
          setOpen(false);
          setConfirming(undefined);
          toggle?.focus();
        }
      }}
    >
      <button
        type="button"
        class="more"
        ref={(el) => (toggle = el)}
        aria-expanded={open()}
        onClick={() => {
          setOpen((v) => !v);
          setConfirming(undefined);
        }}
      >
        <span aria-hidden="true">⋯</span>
        <span class="visually-hidden">{text.moreActions}</span>
      </button>
      <Show when={open() && confirming()}>
        {(which) => (
          <div class="message-menu confirm" role="group" aria-label={text.messageActions}>
            <p>{which() === 'everyone' ? text.confirmDeleteForEveryone : text.confirmDeleteForMe}</p>
            <button
              type="button"
              class="danger"
              onClick={() => {
                const everyone = which() === 'everyone'; // read before the menu closes
                run(() =>
                  everyone ? props.handlers.deleteForEveryone(m()) : props.handlers.deleteForMe(m()),
                );
              }}
            >
              {which() === 'everyone' ? text.deleteForEveryone : text.deleteForMe}
            </button>
            <button
              type="button"
              ref={(el) => queueMicrotask(() => el.focus())}
              onClick={() => {
                setConfirming(undefined);
                setOpen(false);
                toggle?.focus();
              }}
            >
              {text.cancel}
            </button>
          </div>
        )}
      </Show>
      <Show when={open() && !confirming()}>
        <div class="message-menu" role="group" aria-label={text.messageActions}>
          <Show when={!deleted()}>
            <button type="button" onClick={() => run(() => props.handlers.reply(m()))}>
              {text.reply}
            </button>
            <span class="react-row">
              <For each={REACTIONS}>
                {(emoji) => (
                  <button
                    type="button"
                    class="react"
                    aria-label={myReaction(m()) === emoji ? text.takeBack(emoji) : text.reactWith(emoji)}
                    aria-pressed={myReaction(m()) === emoji}
                    onClick={() =>
                      run(() => props.handlers.react(m(), myReaction(m()) === emoji ? '' : emoji))
                    }
                  >
                    {emoji}
                  </button>
                )}
              </For>
            </span>
            <Show when={mine()}>
              <Show when={!m().file}>
                <button type="button" onClick={() => run(() => props.handlers.edit(m()))}>
                  {text.edit}
                </button>
              </Show>
              <button type="button" onClick={() => ask('everyone')}>
                {text.deleteForEveryone}
              </button>
            </Show>
          </Show>
          <button type="button" onClick={() => ask('me')}>
            {text.deleteForMe}
          </button>
        </div>
      </Show>
    </div>
  );
}
