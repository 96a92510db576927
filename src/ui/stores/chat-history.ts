/**
 * The open chat's history, as the chat page uses it: a window of pages (history-window.ts) read
 * from the messenger and shown through the history's `keepPlace` (so the person's place stays),
 * read again when the messenger says the history changed, and a file message's transfer patched in
 * place when it moves (the 'file' event); what arrives is announced through the app's live region;
 * and, while the chat is in view, what it shows counts as read.
 */
import { createEffect, createSignal, onCleanup } from 'solid-js';
import type { Messenger } from '../../app/messenger-api';
import { toHex } from '../../crypto/bytes';
import { type StoredFile, rangeTotal } from '../../store/file-types';
import type { StoredMessage } from '../../store/message-types';
import { announce } from '../announcer';
import type { HistoryControls, HistorySource } from '../components/MessageHistory';
import * as text from '../strings/chat-history';
import * as fileText from '../strings/files';
import { createHistoryWindow, type HistoryWindowState } from './history-window';

/** The longest message text read out when it arrives; the rest is in the history. */
const ANNOUNCED_CHARS = 300;
/** Transfer events are applied at most this often (a fast transfer moves many times a second). */
const FILE_PATCH_MS = 100;

/** How far a transfer got: its state's step, then the chunks held (a state never goes back). */
function reach(f: StoredFile): [number, number] {
  const step =
    f.state === 'preparing'
      ? 0
      : f.state === 'offered'
        ? 1
        : f.state === 'sending' || f.state === 'receiving'
          ? 2
          : 3;
  return [step, rangeTotal(f.have)];
}

/**
 * The window with the newest file parts heard of (`files`, by message id) put in its messages.
 * After a read (`read`), a message read at least as far along as the one heard of is kept as read
 * and the one heard of is forgotten, as are those of messages the window does not hold.
 */
export function withFiles(
  state: HistoryWindowState,
  files: Map<string, StoredFile>,
  read: boolean,
): HistoryWindowState {
  if (files.size === 0) return state;
  const held = new Set<string>();
  const messages = state.messages.map((m) => {
    const key = toHex(m.messageId);
    held.add(key);
    const heard = files.get(key);
    if (!heard || !m.file || m.file === heard) return m;
    const [a, b] = [reach(m.file), reach(heard)];
    if (read && (a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]))) {
      files.delete(key);
      return m;
    }
    return { ...m, file: heard };
  });
  // A message read later than its event is read as it is; one not held is read when it comes back.
  if (read) for (const key of files.keys()) if (!held.has(key)) files.delete(key);
  return { ...state, messages };
}

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
  const body = last.file ? fileText.fileWord(last.file.media, last.file.name) : last.body;
  const said = body.length > ANNOUNCED_CHARS ? text.cutShort(body.slice(0, ANNOUNCED_CHARS)) : body;
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
  /** File parts heard of through the messenger's 'file' event, newer than the window's reads. */
  const files = new Map<string, StoredFile>();
  const win = createHistoryWindow({
    page: async (request) => messenger.historyPage(contactId, request),
    show: (next, change) => {
      const shown = withFiles(next, files, true);
      if (controls) controls.keepPlace(change, () => setState(shown));
      else setState(shown);
    },
    onArrivals: (arrived) => announceArrivals(arrived, deps.name()),
    followsNewest: () => controls?.followsNewest() ?? true,
    onError: (e) => console.error('SecMsg:', e),
  });
  const [state, setState] = createSignal<HistoryWindowState>(win.state(), { equals: false });
  void win.openNewest();
  onCleanup(messenger.on('messages', (id) => id === contactId && void win.refresh()));
  // A transfer moved: its message is patched in place (the page is not read again), a few times a
  // second at most.
  let patch: ReturnType<typeof setTimeout> | undefined;
  const applyFiles = () => {
    patch = undefined;
    const shown = withFiles(state(), files, false);
    if (controls) controls.keepPlace('refresh', () => setState(shown));
    else setState(shown);
  };
  onCleanup(
    messenger.on('file', (id, messageId, file) => {
      if (id !== contactId) return;
      files.set(toHex(messageId), file);
      patch ??= setTimeout(applyFiles, FILE_PATCH_MS);
    }),
  );
  onCleanup(() => {
    if (patch !== undefined) clearTimeout(patch);
    win.dispose();
  });
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
