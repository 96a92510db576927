import { For, Show, createMemo, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import type { MessageRoute, MessageState, StoredMessage } from '../../store/types';
import { dayKey, dayLabel, formatTime, timeAttribute } from '../format-time';
import { reducedMotion } from '../motion';

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

interface Shown {
  m: StoredMessage;
  /** Set on the first message of a day: "Today", "Yesterday" or the date. */
  day?: string;
  /** The first of consecutive messages from one side (on one day): the only one that names the sender. */
  first: boolean;
}

/** Day headings and groups: a group is the messages from one side in a row, on one day. */
function arrange(list: readonly StoredMessage[], now: number): Shown[] {
  let lastDay: number | undefined | null = null;
  let lastDirection: string | undefined;
  return list.map((m) => {
    const day = dayKey(m.sentAt);
    const newDay = day !== lastDay;
    const first = newDay || m.direction !== lastDirection;
    lastDay = day;
    lastDirection = m.direction;
    return newDay ? { m, day: dayLabel(m.sentAt, now), first } : { m, first };
  });
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

  const shown = createMemo(() => arrange(props.messages, Date.now()));

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
          <For each={shown()}>
            {(s) => (
              <li classList={{ mine: s.m.direction === 'out', first: s.first }}>
                <Show when={s.day}>{(day) => <div class="day">{day()}</div>}</Show>
                <div class="bubble">
                  <Show when={s.first}>
                    <span classList={{ who: true, 'visually-hidden': s.m.direction === 'out' }}>
                      {s.m.direction === 'out' ? 'You' : props.contactName}
                    </span>
                  </Show>
                  <p class="body">{s.m.body}</p>
                  <span class="meta">
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
                  </span>
                </div>
              </li>
            )}
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
