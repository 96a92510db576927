import { For, Show, createComputed, createMemo, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { MessageRoute, MessageState, StoredMessage } from '../../store/types';
import { dayKey, dayLabel, formatTime, timeAttribute } from '../format-time';
import { reducedMotion } from '../motion';
import { toHex } from '../../crypto/bytes';
import { DELETED_TEXT, MessageActions, Quote, Reactions, type MessageActionHandlers } from './MessageParts';

/** The words of each delivery mark: read by screen readers, and what tests and scripts look for. */
const STATE_TEXT: Record<MessageState, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
};

/** How a message went, in words: said beside the time. */
const ROUTE_TEXT: Record<MessageRoute, string> = {
  direct: 'direct',
  relayed: 'relayed',
  mailbox: 'via mailbox',
};

/** Scrolled up by more than this (CSS pixels) from the newest message: "Jump to newest" shows. */
const NEAR_NEWEST_PX = 80;
/** The longest a smooth scroll to the newest is taken to last. */
const JUMP_MS = 1_000;

/** A message as the history keeps it: one object per message id, updated in place (reconcile). */
type Kept = StoredMessage & { key: string };

/**
 * Day headings and groups, for the message at `i`: a heading ("Today", "Yesterday" or the date) on
 * the first message of a day, and `first` on the first of consecutive messages from one side on
 * one day (the only one that names the sender).
 */
function placement(list: readonly Kept[], i: number, now: number): { day?: string; first: boolean } {
  const m = list[i]!;
  const prev = i > 0 ? list[i - 1] : undefined;
  const newDay = !prev || dayKey(prev.sentAt) !== dayKey(m.sentAt);
  const first = newDay || prev.direction !== m.direction;
  return newDay ? { day: dayLabel(m.sentAt, now), first } : { first };
}

export interface HistoryControls {
  /** Scrolls to the newest message and keeps it in view as more come. */
  toNewest(): void;
}

/**
 * A conversation's history in its own scrolling area, newest at the bottom: day headings, messages
 * from one side grouped (the sender named once a group), each with its time, route and, for mine,
 * a delivery mark (✓ sent, ✓✓ delivered, a clock while queued) whose words are visually hidden.
 * It stays at the newest message while that is in view, also when the area shrinks (an on-screen
 * keyboard); scrolled up, it stays put and offers "Jump to newest". `top` comes before the
 * messages (who this is, the security log).
 */
export function MessageHistory(props: {
  messages: readonly StoredMessage[];
  contactName: string;
  top: JSX.Element;
  controls?: (c: HistoryControls) => void;
  /** The per-message actions menu's handlers (none: no menu). */
  actions?: MessageActionHandlers;
}) {
  let scroller!: HTMLDivElement;
  let list!: HTMLOListElement;
  const [nearNewest, setNearNewest] = createSignal(true);
  /** Whether new messages and size changes keep the newest in view: true until the person scrolls up. */
  let stick = true;
  /** While a smooth scroll to the newest runs, its own scroll events say nothing about the person. */
  let jumping: ReturnType<typeof setTimeout> | undefined;

  const distanceFromNewest = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  const toBottom = (smooth: boolean) => {
    scroller.scrollTo({
      top: scroller.scrollHeight,
      behavior: smooth && !reducedMotion() ? 'smooth' : 'auto',
    });
  };
  const endJump = () => {
    clearTimeout(jumping);
    jumping = undefined;
  };
  const onScroll = () => {
    const near = distanceFromNewest() <= NEAR_NEWEST_PX;
    if (jumping !== undefined) {
      if (!near) return;
      endJump();
    }
    stick = near;
    setNearNewest(near);
  };
  const toNewest = (smooth = false) => {
    stick = true;
    setNearNewest(true);
    endJump();
    if (smooth && !reducedMotion()) jumping = setTimeout(endJump, JUMP_MS);
    toBottom(smooth);
  };
  props.controls?.({ toNewest: () => toNewest() });

  onMount(() => {
    // New messages (the list grows) and a smaller area (keyboard, rotation): keep the newest in view.
    const follow = () => {
      if (stick) toBottom(false);
    };
    const resize = new ResizeObserver(follow);
    resize.observe(scroller);
    resize.observe(list);
    onCleanup(() => {
      resize.disconnect();
      endJump();
    });
    toBottom(false);
  });

  // Kept by message id, so that a change to one message (a reaction, an edit, a read mark) or a new
  // one updates the page in place: the other bubbles, an open menu and the focus stay.
  const [kept, setKept] = createStore<{ list: Kept[] }>({ list: [] });
  createComputed(() =>
    setKept(
      'list',
      reconcile(
        props.messages.map((m) => ({ ...m, key: toHex(m.messageId) })),
        { key: 'key' },
      ),
    ),
  );
  // Replies quote by id: the quoted message, when this device has it.
  const byId = createMemo(() => new Map(props.messages.map((m) => [toHex(m.messageId), m])));

  return (
    <div class="history-wrap">
      <div
        class="history"
        ref={(el) => (scroller = el)}
        onScroll={onScroll}
        onScrollEnd={endJump}
        role="region"
        aria-label="Conversation history"
        tabindex="0"
      >
        {props.top}
        <ol class="messages" aria-label="Messages" ref={(el) => (list = el)}>
          <For each={kept.list}>
            {(m, i) => {
              const at = createMemo(() => placement(kept.list, i(), Date.now()));
              const s = {
                m,
                get day() {
                  return at().day;
                },
                get first() {
                  return at().first;
                },
              };
              return (
                <li data-message-id={m.key} classList={{ mine: s.m.direction === 'out', first: s.first }}>
                  <Show when={s.day}>{(day) => <div class="day">{day()}</div>}</Show>
                  <div class="bubble">
                    <Show when={s.first}>
                      <span classList={{ who: true, 'visually-hidden': s.m.direction === 'out' }}>
                        {s.m.direction === 'out' ? 'You' : props.contactName}
                      </span>
                    </Show>
                    <Show when={s.m.replyTo && s.m.deletedAt === undefined ? s.m.replyTo : undefined}>
                      {(to) => <Quote quoted={byId().get(toHex(to()))} contactName={props.contactName} />}
                    </Show>
                    <Show
                      when={s.m.deletedAt === undefined}
                      fallback={<p class="body tombstone">{DELETED_TEXT}</p>}
                    >
                      <p class="body">{s.m.body}</p>
                    </Show>
                    <Reactions message={s.m} contactName={props.contactName} />
                    <span class="meta">
                      <Show when={s.m.editedAt !== undefined && s.m.deletedAt === undefined}>
                        <span class="edited">edited</span>
                      </Show>
                      <time dateTime={timeAttribute(s.m.sentAt)} title={formatTime(s.m.sentAt)}>
                        {formatTime(s.m.sentAt, 'clock')}
                      </time>
                      <Show when={s.m.route}>
                        {(route) => (
                          <span class="route" data-route={route()}>
                            {ROUTE_TEXT[route()]}
                          </span>
                        )}
                      </Show>
                      <Show when={s.m.direction === 'out'}>
                        <span class="state" data-state={s.m.state}>
                          <span class="visually-hidden">{STATE_TEXT[s.m.state]}</span>
                        </span>
                      </Show>
                      <Show when={s.m.direction === 'out' && s.m.readAt !== undefined}>
                        <span class="read-mark">Read</span>
                      </Show>
                    </span>
                  </div>
                  <Show when={props.actions}>{(h) => <MessageActions message={s.m} handlers={h()} />}</Show>
                </li>
              );
            }}
          </For>
        </ol>
      </div>
      <Show when={!nearNewest()}>
        <button type="button" class="jump" onClick={() => toNewest(true)}>
          Jump to newest
        </button>
      </Show>
    </div>
  );
}
