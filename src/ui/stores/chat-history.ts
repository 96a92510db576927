/**
 * The open chat's history, as the chat page uses it: a window of pages (history-window.ts) read
 * from the messenger and shown through the history's `keepPlace` (so the person's place stays),
 * read again when the messenger says the history changed; what arrives is announced through the
 * app's live region; and, while the chat is in view, what it shows counts as read.
 */
import { createEffect, createSignal, onCleanup } from 'solid-js';
import type { Messenger } from '../../app/messenger-api';
import type { StoredMessage } from '../../store/message-types';
import { announce } from '../announcer';
import type { HistoryControls, HistorySource } from '../components/MessageHistory';
import * as text from '../strings/chat-history';
import { createHistoryWindow, type HistoryWindowState } from './history-window';

/** The longest message text read out when it arrives; the rest is in the history. */
const ANNOUNCED_CHARS = 300;

export interface ChatHistory extends HistorySource {
  /** Gives the history's controls (MessageHistory's `controls`), so changes keep the person's place. */
  bind(controls: HistoryControls): void;
  /** Scrolls to the newest message (reading it when far up). */
  toNewest(): void;
}

/** Says the incoming messages among `arrived` through the live region (one sentence for all). */
function announceArrivals(arrived: readonly StoredMessage[], name: string): void {
  const fresh = arrived.filter((m) => m.direction === 'in');
  const last = fresh[fresh.length - 1];
  if (!last) return;
  const said =
    last.body.length > ANNOUNCED_CHARS ? text.cutShort(last.body.slice(0, ANNOUNCED_CHARS)) : last.body;
  announce(text.arrived(fresh.length, name, said));
}

/**
 * While the chat is in view (the tab visible): what arrived counts as read for the list, and the
 * incoming messages shown are marked read (with a read receipt when the person has them on).
 */
function markShownRead(
  messenger: Messenger,
  contactId: string,
  state: () => HistoryWindowState,
  unread: () => number,
): void {
  const [visible, setVisible] = createSignal(document.visibilityState === 'visible');
  const onVisibility = () => setVisible(document.visibilityState === 'visible');
  document.addEventListener('visibilitychange', onVisibility);
  onCleanup(() => document.removeEventListener('visibilitychange', onVisibility));
  const log = (e: unknown) => console.error('SecMsg:', e);
  createEffect(() => {
    const s = state();
    if (!visible() || !s.loaded) return;
    const ids = s.messages
      .filter((m) => m.direction === 'in' && m.readAt === undefined && m.deletedAt === undefined)
      .map((m) => m.messageId);
    if (ids.length > 0) messenger.markMessagesRead(contactId, ids).catch(log);
  });
  createEffect(() => {
    if (visible() && unread() > 0) messenger.markRead(contactId).catch(log);
  });
}

export function createChatHistory(deps: {
  messenger: Messenger;
  contactId: string;
  /** The contact's name, for announcements. */
  name: () => string;
  /** The conversation's unread count (the list's). */
  unread: () => number;
}): ChatHistory {
  const { messenger, contactId } = deps;
  let controls: HistoryControls | undefined;
  const win = createHistoryWindow({
    page: async (request) => messenger.historyPage(contactId, request),
    show: (next, change) => {
      if (controls) controls.keepPlace(change, () => setState(next));
      else setState(next);
    },
    onArrivals: (arrived) => announceArrivals(arrived, deps.name()),
    followsNewest: () => controls?.followsNewest() ?? true,
    onError: (e) => console.error('SecMsg:', e),
  });
  const [state, setState] = createSignal<HistoryWindowState>(win.state(), { equals: false });
  void win.openNewest();
  onCleanup(messenger.on('messages', (id) => id === contactId && void win.refresh()));
  onCleanup(() => win.dispose());
  markShownRead(messenger, contactId, state, deps.unread);
  return {
    state,
    loadOlder: async () => win.loadOlder(),
    loadNewer: async () => win.loadNewer(),
    openNewest: async () => win.openNewest(),
    bind(c) {
      controls = c;
    },
    toNewest: () => controls?.toNewest(),
  };
}
