/**
 * Notifications while SecMsg is open but hidden (issue 13, item 4): which conversation summaries
 * (conversation-list.ts) mean "a message just arrived", what its notification says, and when a
 * conversation's notifications go away. No DOM here: notification-display.ts shows and closes
 * them through the browser, and tells this module whether the page is hidden and what is allowed.
 *
 * - A notification is for a new incoming message only: the conversation's newest message is
 *   incoming, not deleted, not the one seen last time, not older than it, and its unread count
 *   went up. My own messages, reactions, receipts, typing, edits and deletes never notify.
 * - Only while the page is hidden, notifications are on, and the browser permits them.
 * - One notification per conversation (its `tag`): a newer one replaces the contact's older one.
 *   Its title is the contact's name; its body the message's text only when the person chose
 *   previews, otherwise a sentence without it.
 * - What is there when the page opens is not new: the first summaries are only remembered.
 * - When a conversation's unread count drops to zero (it was read) or it goes away, its
 *   notifications are closed.
 */
import { toHex } from '../crypto/bytes';
import type { Contact } from '../store/contact-types';
import type { ConversationSummary } from './conversation-list';
import type { NotificationSettings } from './feature-settings';

/** The browser's answer so far, or 'unsupported' where there is no Notification API. */
export type NotificationPermissionState = NotificationPermission | 'unsupported';

/** What one notification shows, and what a tap on it opens. */
export interface ArrivalNotice {
  /** One per conversation: a newer notification replaces the contact's older one. */
  readonly tag: string;
  readonly title: string;
  readonly body: string;
  readonly contactId: string;
  /**
   * One of this device's inbound mailboxes for the contact, when there is one: a tap opens the
   * conversation by it, as a tapped wake-up does (public/push-sw.js).
   */
  readonly mailbox?: string;
}

/** What is remembered of a conversation from one look at the summaries to the next. */
export interface Seen {
  /** The newest message's id in hex, '' when there is none. */
  readonly lastId: string;
  readonly at: number;
  readonly unread: number;
}

export interface ArrivalContext {
  readonly hidden: boolean;
  readonly permission: NotificationPermissionState;
  readonly settings: NotificationSettings;
  /** The name the person sees for the contact. */
  readonly nameOf: (contact: Contact) => string;
}

export interface ArrivalDecision {
  readonly show: ArrivalNotice[];
  /** Tags of the conversations whose notifications go away. */
  readonly close: string[];
  /** To pass as `previous` next time. */
  readonly seen: Map<string, Seen>;
}

/** The notification tag of a conversation. */
export function conversationTag(contactId: string): string {
  return `secmsg-chat-${contactId}`;
}

/** The body when previews are off: says how many, never what. */
export function genericBody(unread: number): string {
  return unread > 1 ? `${unread} new messages` : 'New message';
}

function seenOf(s: ConversationSummary): Seen {
  return { lastId: s.last ? toHex(s.last.messageId) : '', at: s.last?.at ?? 0, unread: s.unread };
}

/** True when `s` shows a new incoming message since `before` (see the rules above). */
export function isArrival(before: Seen | undefined, s: ConversationSummary): boolean {
  const last = s.last;
  if (!last || last.direction !== 'in' || last.deleted) return false;
  if (s.unread <= (before?.unread ?? 0)) return false;
  if (before && (toHex(last.messageId) === before.lastId || last.at < before.at)) return false;
  return true;
}

/** Compares the summaries with the last look; `previous` undefined: the first look. */
export function arrivals(
  previous: ReadonlyMap<string, Seen> | undefined,
  summaries: readonly ConversationSummary[],
  context: ArrivalContext,
): ArrivalDecision {
  const seen = new Map(summaries.map((s) => [s.contact.id, seenOf(s)]));
  if (!previous) return { show: [], close: [], seen };
  const notify = context.hidden && context.permission === 'granted' && context.settings.enabled;
  const show: ArrivalNotice[] = [];
  const close: string[] = [];
  for (const s of summaries) {
    const before = previous.get(s.contact.id);
    if (before && before.unread > 0 && s.unread === 0) close.push(conversationTag(s.contact.id));
    if (!notify || !isArrival(before, s)) continue;
    const text = context.settings.previews ? (s.last?.preview ?? '') : '';
    const mailboxes = s.contact.mailboxes?.own ?? [];
    const mailbox = mailboxes[mailboxes.length - 1]?.id;
    show.push({
      tag: conversationTag(s.contact.id),
      title: context.nameOf(s.contact),
      body: text !== '' ? text : genericBody(s.unread),
      contactId: s.contact.id,
      ...(mailbox ? { mailbox } : {}),
    });
  }
  for (const id of previous.keys()) if (!seen.has(id)) close.push(conversationTag(id));
  return { show, close, seen };
}

export interface NotifierDeps {
  readonly hidden: () => boolean;
  readonly permission: () => NotificationPermissionState;
  readonly settings: () => NotificationSettings;
  readonly nameOf: (contact: Contact) => string;
  readonly show: (notice: ArrivalNotice) => Promise<void>;
  readonly close: (tag: string) => Promise<void>;
  /** A notification the browser refused to show or close (logged by default). */
  readonly failed?: (error: unknown) => void;
}

export interface Notifier {
  /** Looks at new summaries (every time the list is read); resolves once shown and closed. */
  notice(summaries: readonly ConversationSummary[]): Promise<void>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  let seen: Map<string, Seen> | undefined;
  const failed = deps.failed ?? ((e: unknown) => console.error('SecMsg:', e));
  return {
    async notice(summaries) {
      const decision = arrivals(seen, summaries, {
        hidden: deps.hidden(),
        permission: deps.permission(),
        settings: deps.settings(),
        nameOf: deps.nameOf,
      });
      seen = decision.seen;
      const results = await Promise.allSettled([
        ...decision.close.map(async (tag) => deps.close(tag)),
        ...decision.show.map(async (n) => deps.show(n)),
      ]);
      for (const r of results) if (r.status === 'rejected') failed(r.reason);
    },
  };
}

/** What Settings shows: on only when chosen and permitted; 'blocked' when the browser refuses. */
export type NotificationState = 'unsupported' | 'blocked' | 'on' | 'off';

export function notificationState(
  permission: NotificationPermissionState,
  settings: NotificationSettings,
): NotificationState {
  if (permission === 'unsupported') return 'unsupported';
  if (permission === 'denied') return 'blocked';
  return settings.enabled && permission === 'granted' ? 'on' : 'off';
}
