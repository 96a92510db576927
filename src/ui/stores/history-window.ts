/**
 * The part of a long history the chat holds (issue 13, item 6): a window of consecutive messages,
 * read a page at a time through `historyPage` (an index, never the whole conversation), and kept
 * to at most `maxMessages`, so that what the page draws and holds stays bounded at any length.
 *
 * - `openNewest()`: the newest page (on opening the chat, and "Jump to newest" from far up);
 * - `loadOlder()`: the page before the oldest held (scrolled near the top); the newest are dropped
 *   past `maxMessages` (the window is then no longer at the newest: `newerMore`);
 * - `loadNewer()`: the page after the newest held (scrolled back down); the oldest are dropped;
 * - `refresh()`: after the messenger says the history changed (an arrival, a send, an edit, a
 *   reaction, a receipt, a delete): the window's messages are read again, from its oldest on, and,
 *   when it is at the newest, what came after them too. What arrived since (new ids at the newest
 *   end, or newer than the newest known while the window is far up) goes to `onArrivals`.
 * Every read waits for the one before (one at a time, each from the window as it then is), and a
 * request made while the same one waits is that one.
 *
 * Plain TypeScript with a `show` callback, so that the chat can keep the person's place around the
 * change (history-scroll.ts) and the window can be tested without a page.
 */
import type {
  HistoryCursor,
  HistoryPage,
  HistoryPageRequest,
  StoredMessage,
} from '../../store/message-types';
import { MAX_HISTORY_PAGE } from '../../store/message-types';
import { toHex } from '../../crypto/bytes';

/** The newest page: what the chat shows first (small, so the first bubbles come quickly). */
export const FIRST_PAGE = 50;
/** The pages read while scrolling. */
export const SCROLL_PAGE = 100;
/** The most messages the window holds while the person scrolls (more only as they arrive). */
export const MAX_WINDOW = 300;
/** Arrivals looked for past the newest known, while the window is far up. */
const ARRIVALS_PAGE = 50;

export interface HistoryWindowState {
  /** Oldest first, consecutive in history order. */
  readonly messages: readonly StoredMessage[];
  /** Older messages lie before the first held (the start of the history is not in the window). */
  readonly olderMore: boolean;
  /** Newer messages lie after the last held (the window is not at the newest). */
  readonly newerMore: boolean;
  /** The first page has been read. */
  readonly loaded: boolean;
}

/** Why the window changed: the chat keeps the person's place differently for each. */
export type WindowChange = 'newest' | 'older' | 'newer' | 'refresh';

export interface HistoryWindowDeps {
  page(request: HistoryPageRequest): Promise<HistoryPage>;
  /** Called with each new state, synchronously. */
  show(state: HistoryWindowState, change: WindowChange): void;
  /** Messages that arrived (or were sent) since the last read, oldest first. */
  onArrivals?(messages: readonly StoredMessage[]): void;
  /**
   * Whether the person follows the newest (scrolled to the end): then the window drops its oldest
   * to stay within `maxMessages` as messages arrive. Otherwise it keeps them, up to a page's limit.
   */
  followsNewest?(): boolean;
  onError?(e: unknown): void;
  firstPage?: number;
  scrollPage?: number;
  maxMessages?: number;
}

export interface HistoryWindow {
  readonly state: () => HistoryWindowState;
  openNewest(): Promise<void>;
  loadOlder(): Promise<void>;
  loadNewer(): Promise<void>;
  refresh(): Promise<void>;
  /** No more reads or calls after this. */
  dispose(): void;
}

const keyOf = (m: StoredMessage): string => toHex(m.messageId);
/** Just before every message at `sentAt` (an all-zero id sorts first among them). */
const startOf = (sentAt: number): HistoryCursor => ({ sentAt, messageId: new Uint8Array(16) });
/** Whether `m` comes before `first` in history order (by time, ties by id). */
const before = (m: StoredMessage, first: StoredMessage): boolean =>
  m.sentAt < first.sentAt || (m.sentAt === first.sentAt && keyOf(m) < keyOf(first));

export function createHistoryWindow(deps: HistoryWindowDeps): HistoryWindow {
  const firstPage = deps.firstPage ?? FIRST_PAGE;
  const scrollPage = deps.scrollPage ?? SCROLL_PAGE;
  const max = Math.max(deps.maxMessages ?? MAX_WINDOW, firstPage, scrollPage);
  let state: HistoryWindowState = { messages: [], olderMore: false, newerMore: false, loaded: false };
  /** The newest message read so far (arrivals are what comes after it). */
  let newestKnown: StoredMessage | undefined;
  let disposed = false;
  let chain: Promise<void> = Promise.resolve();
  const waiting = new Map<string, Promise<void>>();

  const set = (next: HistoryWindowState, change: WindowChange) => {
    state = next;
    const last = next.messages[next.messages.length - 1];
    if (!next.newerMore && last) newestKnown = last;
    deps.show(next, change);
  };

  /** Runs `op` after the reads before it; the same op asked for while it waits is that one. */
  const queue = async (name: string, op: () => Promise<void>): Promise<void> => {
    const already = waiting.get(name);
    if (already) return already;
    const run = chain.then(async () => {
      waiting.delete(name);
      if (disposed) return;
      try {
        await op();
      } catch (e) {
        if (!disposed) deps.onError?.(e);
      }
    });
    waiting.set(name, run);
    chain = run;
    return run;
  };

  const readNewest = async (change: WindowChange, announce: boolean) => {
    const p = await deps.page({ limit: firstPage });
    if (disposed) return;
    const known = new Set(state.messages.map(keyOf));
    const wasLoaded = state.loaded;
    set({ messages: p.messages, olderMore: p.more, newerMore: false, loaded: true }, change);
    if (announce && wasLoaded) {
      const fresh = p.messages.filter((m) => !known.has(keyOf(m)));
      if (fresh.length > 0) deps.onArrivals?.(fresh);
    }
  };

  const openNewest = async () => queue('newest', async () => readNewest('newest', false));

  const loadOlder = async () =>
    queue('older', async () => {
      const first = state.messages[0];
      if (!state.olderMore || !first) return;
      const p = await deps.page({ before: first, limit: scrollPage });
      if (disposed) return;
      const all = [...p.messages, ...state.messages];
      const dropped = all.length > max;
      set(
        {
          messages: dropped ? all.slice(0, max) : all,
          olderMore: p.more,
          newerMore: state.newerMore || dropped,
          loaded: true,
        },
        'older',
      );
    });

  const loadNewer = async () =>
    queue('newer', async () => {
      const last = state.messages[state.messages.length - 1];
      if (!state.newerMore || !last) return;
      const p = await deps.page({ after: last, limit: scrollPage });
      if (disposed) return;
      const all = [...state.messages, ...p.messages];
      const dropped = all.length > max;
      set(
        {
          messages: dropped ? all.slice(all.length - max) : all,
          olderMore: state.olderMore || dropped,
          newerMore: p.more,
          loaded: true,
        },
        'newer',
      );
    });

  const refresh = async () =>
    queue('refresh', async () => {
      const first = state.messages[0];
      if (!first) {
        await readNewest('refresh', true);
        return;
      }
      const atNewest = !state.newerMore;
      const limit = atNewest ? MAX_HISTORY_PAGE : Math.min(MAX_HISTORY_PAGE, state.messages.length);
      const p = await deps.page({ after: startOf(first.sentAt), limit });
      if (disposed) return;
      if (p.messages.length === 0) {
        await readNewest('refresh', true); // all of it went (deleted): start again from the newest
        return;
      }
      const known = new Set(state.messages.map(keyOf));
      const previousNewest = newestKnown;
      let messages = p.messages;
      let olderMore = state.olderMore;
      if (atNewest && messages.length > max && (deps.followsNewest?.() ?? true)) {
        messages = messages.slice(messages.length - max);
        olderMore = true;
      }
      set({ messages, olderMore, newerMore: atNewest ? p.more : true, loaded: true }, 'refresh');
      let fresh: StoredMessage[];
      if (atNewest) {
        fresh = p.messages.filter((m) => !known.has(keyOf(m)) && !before(m, first));
      } else {
        // Far up: what came after the newest known, read apart (the window does not change).
        fresh = previousNewest
          ? (await deps.page({ after: previousNewest, limit: ARRIVALS_PAGE })).messages
          : [];
        if (disposed) return;
        const newest = fresh[fresh.length - 1];
        if (newest) newestKnown = newest;
      }
      if (fresh.length > 0) deps.onArrivals?.(fresh);
    });

  return {
    state: () => state,
    openNewest,
    loadOlder,
    loadNewer,
    refresh,
    dispose() {
      disposed = true;
    },
  };
}
