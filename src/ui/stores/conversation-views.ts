/**
 * What the conversation list shows of each conversation besides the contact (contact-views.ts):
 * its avatar colour, its last message's preview and time, its unread count, archived or not; and
 * the unread total in the tab's title and on the app's icon (the Badging API, where there is one).
 */
import { avatarColour, type AvatarColour } from '../../app/avatar';
import type { ConversationSummary } from '../../app/conversation-list';
import type { StoredFile } from '../../store/file-types';
import type { MessageDirection, MessageState } from '../../store/message-types';
import * as text from '../strings/app';
import * as listText from '../strings/list';

export interface ConversationView {
  id: string;
  avatar: AvatarColour;
  /** The last message, when there is one. */
  last?: {
    direction: MessageDirection;
    state: MessageState;
    at: number;
    /** The preview on one line; '' for a deleted one (`deleted`). */
    preview: string;
    deleted: boolean;
    edited: boolean;
  };
  unread: number;
  archived: boolean;
  activityAt: number;
}

/**
 * The last message of a summary, with the kind and name of its file when it is a file message
 * (conversation-list.ts's `LastMessage` carries them as `file`; an older one has no such field).
 */
type LastWithFile = NonNullable<ConversationSummary['last']> & {
  readonly file?: Pick<StoredFile, 'media' | 'name'>;
};

/** The preview of the last message: its text, or what its file is. */
function previewOf(last: LastWithFile): string {
  return last.file && !last.deleted ? listText.filePreview(last.file.media, last.file.name) : last.preview;
}

let notifications: Promise<typeof import('../../app/notification-display')> | undefined;

/** Arrivals while the page is hidden become notifications (src/app/notifications.ts), in order. */
function noticeArrivals(summaries: readonly ConversationSummary[]): void {
  if (typeof document === 'undefined') return;
  notifications ??= import('../../app/notification-display');
  notifications
    .then(async (n) => n.noticeSummaries(summaries))
    .catch((e: unknown) => console.error('SecMsg:', e));
}

/**
 * The summaries as plain views, in the messenger's order (newest activity first); each fresh list
 * is also looked at for messages that arrived while the page was hidden (notifications).
 */
export function conversationViews(summaries: readonly ConversationSummary[]): ConversationView[] {
  noticeArrivals(summaries);
  return summaries.map((s) => ({
    id: s.contact.id,
    avatar: avatarColour(s.contact.userId),
    ...(s.last
      ? {
          last: {
            direction: s.last.direction,
            state: s.last.state,
            at: s.last.at,
            preview: previewOf(s.last),
            deleted: s.last.deleted,
            edited: s.last.edited,
          },
        }
      : {}),
    unread: s.unread,
    archived: s.archived,
    activityAt: s.activityAt,
  }));
}

/** "(3) SecMsg" in the tab, and 3 on the installed app's icon where the browser can show it. */
export function showUnreadTotal(total: number): void {
  if (typeof document === 'undefined') return;
  document.title = total > 0 ? text.titleWithUnread(total) : text.appName;
  const nav = navigator as Navigator & {
    setAppBadge?: (n?: number) => Promise<void>;
    clearAppBadge?: () => Promise<void>;
  };
  const done = total > 0 ? nav.setAppBadge?.(total) : nav.clearAppBadge?.();
  // Refused when the app is not installed, or by the person's settings: the title still says it.
  done?.catch(() => undefined);
}
