import { For, Show, createComputed, createMemo, createSignal, onCleanup, onMount, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { StoredMessage } from '../../store/message-types';
import type { HistoryWindowState, WindowChange } from '../stores/history-window';
import { dayKey, dayLabel } from '../format-time';
import { reducedMotion } from '../motion';
import { toHex } from '../../crypto/bytes';
import * as text from '../strings/chat-history';
import { MessageBubble } from './MessageBubble';
import type { MessageActionHandlers } from './MessageParts';

/** Scrolled up by more than this (CSS pixels) from the newest message: "Jump to newest" shows. */
const NEAR_NEWEST_PX = 80;
/** The longest a smooth scroll to the newest is taken to last. */
const JUMP_MS = 1_000;
/** Closer than this (CSS pixels) to either end of what is held, the next page is read. */
const EDGE_PX = 1_200;

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

/** The part of the history the chat holds, and how to move it (stores/history-window.ts). */
export interface HistorySource {
  state(): HistoryWindowState;
  loadOlder(): Promise<void>;
  loadNewer(): Promise<void>;
  openNewest(): Promise<void>;
}

export interface HistoryControls {
  /** Scrolls to the newest message (reading it first when far up) and keeps it in view as more come. */
  toNewest(): void;
  /** Whether the newest message is in view and followed (new ones keep it there). */
  followsNewest(): boolean;
  /**
   * Applies a change of the window (`apply` updates the page) keeping the person's place: the
   * message at the top of the view stays where it was, or, when following the newest, the view
   * stays at the end.
   */
  keepPlace(change: WindowChange, apply: () => void): void;
}

/**
 * A conversation's history in its own scrolling area, newest at the bottom: day headings, messages
 * from one side grouped (the sender named once a group), each with its time, route and, for mine,
 * a delivery mark (MessageBubble). It stays at the newest message while that is in view, also when
 * the area shrinks (an on-screen keyboard); scrolled up, it stays put and offers "Jump to newest".
 * A long history is held as a window of pages (`source`): near the top the older page is read
 * (what the person reads does not move), near the bottom of a window that is not at the newest the
 * newer one; the window keeps a bounded number of bubbles. `top` comes before the messages (who
 * this is, the security log) once the start of the history is held.
 */
export function MessageHistory(props: {
  source: HistorySource;
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
  const windowState = () => props.source.state();

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

  /** Reads the next page when the view is near an end of what is held and more lies beyond. */
  const readMore = () => {
    if (!scroller || jumping !== undefined) return;
    const s = windowState();
    const again = () => {
      if (windowState() !== s) readMore(); // it moved: maybe still near that end (a short page)
    };
    if (s.olderMore && scroller.scrollTop < EDGE_PX) void props.source.loadOlder().then(again);
    else if (s.newerMore && distanceFromNewest() < EDGE_PX) void props.source.loadNewer().then(again);
  };

  const onScroll = () => {
    const near = distanceFromNewest() <= NEAR_NEWEST_PX && !windowState().newerMore;
    if (jumping !== undefined) {
      if (!near) return;
      endJump();
    }
    stick = near;
    setNearNewest(near);
    readMore();
  };
  const toNewest = (smooth = false) => {
    stick = true;
    setNearNewest(true);
    endJump();
    if (windowState().newerMore) {
      // Far up: the newest page replaces the window (keepPlace takes the view to its end).
      void props.source.openNewest();
      return;
    }
    if (smooth && !reducedMotion()) jumping = setTimeout(endJump, JUMP_MS);
    toBottom(smooth);
  };

  /** The first message at least partly in view, and how far below the area's top it starts. */
  const topOfView = (): { el: Element; offset: number } | undefined => {
    const top = scroller.getBoundingClientRect().top;
    for (const el of list.children) {
      const r = el.getBoundingClientRect();
      if (r.bottom > top) return { el, offset: r.top - top };
    }
    return undefined;
  };
  const keepPlace = (_change: WindowChange, apply: () => void) => {
    if (!scroller || stick) {
      apply();
      if (scroller && stick) toBottom(false);
      return;
    }
    const anchor = topOfView();
    apply();
    if (anchor?.el.isConnected) {
      const now = anchor.el.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      scroller.scrollTop += now - anchor.offset;
    }
    const near = distanceFromNewest() <= NEAR_NEWEST_PX && !windowState().newerMore;
    setNearNewest(near);
  };
  props.controls?.({ toNewest: () => toNewest(), followsNewest: () => stick, keepPlace });

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
        windowState().messages.map((m) => ({ ...m, key: toHex(m.messageId) })),
        { key: 'key' },
      ),
    ),
  );
  // Replies quote by id: the quoted message, when the window holds it.
  const byId = createMemo(() => new Map(windowState().messages.map((m) => [toHex(m.messageId), m])));
  const missingQuote = () =>
    windowState().olderMore || windowState().newerMore ? text.quotedFurtherUp : text.quotedMissing;

  return (
    <div class="history-wrap">
      <div
        class="history"
        ref={(el) => (scroller = el)}
        onScroll={onScroll}
        onScrollEnd={endJump}
        role="region"
        aria-label={text.conversationHistory}
        aria-busy={!windowState().loaded}
        tabindex="0"
      >
        <Show
          when={windowState().loaded && !windowState().olderMore}
          fallback={
            <p class="history-more">{windowState().loaded ? text.earlierOnScroll : text.loadingMessages}</p>
          }
        >
          {props.top}
        </Show>
        <ol class="messages" aria-label={text.messages} ref={(el) => (list = el)}>
          <For each={kept.list}>
            {(m, i) => {
              const at = createMemo(() => placement(kept.list, i(), Date.now()));
              return (
                <MessageBubble
                  message={m}
                  day={at().day}
                  first={at().first}
                  contactName={props.contactName}
                  quoted={(id) => byId().get(id)}
                  missingQuote={missingQuote()}
                  actions={props.actions}
                />
              );
            }}
          </For>
        </ol>
      </div>
      <Show when={!nearNewest() || windowState().newerMore}>
        <button type="button" class="jump" onClick={() => toNewest(true)}>
          {text.jumpToNewest}
        </button>
      </Show>
    </div>
  );
}
