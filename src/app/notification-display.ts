/**
 * The browser's side of notifications.ts: the permission, showing and closing notifications, and
 * the page's one notifier, which conversation-views.ts hands every fresh list of summaries.
 *
 * A notification goes through the service worker's registration where there is an active one
 * (Chrome on Android shows no other kind); a tap then reaches public/push-sw.js, which focuses
 * SecMsg and asks it to open the conversation of the notification's mailbox, as for a wake-up.
 * Without a registration (the development server) it is a page `Notification`, whose click does
 * the same from here.
 */
import type { Contact } from '../store/contact-types';
import { loadNotificationSettings } from './feature-settings';
import { checkName } from './names';
import type { ConversationSummary } from './conversation-list';
import { type ArrivalNotice, type NotificationPermissionState, createNotifier } from './notifications';

/** What the page's own notifications keep (the tag and renotify are in every browser that tags). */
interface ShownOptions extends NotificationOptions {
  renotify?: boolean;
}

const ICON = `${import.meta.env.BASE_URL}icons/icon-192.png`;

export function notificationPermission(): NotificationPermissionState {
  return 'Notification' in globalThis ? Notification.permission : 'unsupported';
}

/** Asks the browser; only ever called from the person's press on "Turn on notifications". */
export async function askNotificationPermission(): Promise<NotificationPermissionState> {
  if (!('Notification' in globalThis)) return 'unsupported';
  return Notification.requestPermission();
}

/**
 * Calls `changed` when the person allows or blocks notifications in the browser's own settings
 * while the page is open (where the Permissions API tells); returns a function that stops it.
 */
export function onPermissionChange(changed: () => void): () => void {
  let status: PermissionStatus | undefined;
  let stopped = false;
  navigator.permissions
    ?.query({ name: 'notifications' })
    .then((s) => {
      if (stopped) return;
      status = s;
      s.addEventListener('change', changed);
    })
    .catch(() => undefined); // no Permissions API for notifications: Settings reads it when shown
  return () => {
    stopped = true;
    status?.removeEventListener('change', changed);
  };
}

async function activeRegistration(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  const registration = await navigator.serviceWorker.getRegistration();
  return registration?.active ? registration : undefined;
}

/** The page's own notifications (no service worker), by tag, to close them. */
const pageNotifications = new Map<string, Notification[]>();

/** Shows the conversation the way a tapped wake-up does (the message app-store.ts listens for). */
function openConversation(notice: ArrivalNotice): void {
  globalThis.focus();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.dispatchEvent(
      new MessageEvent('message', {
        data: { type: 'secmsg-open-mailbox', mailbox: notice.mailbox ?? '', contact: notice.contactId },
      }),
    );
  }
}

async function show(notice: ArrivalNotice): Promise<void> {
  const options: ShownOptions = {
    body: notice.body,
    tag: notice.tag,
    renotify: true,
    icon: ICON,
    data: { mailbox: notice.mailbox ?? '', contact: notice.contactId },
  };
  const registration = await activeRegistration();
  if (registration) {
    await registration.showNotification(notice.title, options);
    return;
  }
  for (const old of pageNotifications.get(notice.tag) ?? []) old.close();
  const n = new Notification(notice.title, options);
  pageNotifications.set(notice.tag, [n]);
  n.addEventListener('click', () => {
    n.close();
    openConversation(notice);
  });
  n.addEventListener('close', () => {
    const list = pageNotifications.get(notice.tag)?.filter((x) => x !== n) ?? [];
    if (list.length > 0) pageNotifications.set(notice.tag, list);
    else pageNotifications.delete(notice.tag);
  });
}

async function close(tag: string): Promise<void> {
  for (const n of pageNotifications.get(tag) ?? []) n.close();
  pageNotifications.delete(tag);
  const registration = await activeRegistration();
  for (const n of (await registration?.getNotifications({ tag })) ?? []) n.close();
}

/** The local name, else the announced one, suspicious characters made visible (as contact-views.ts). */
function nameOf(contact: Contact): string {
  const name = checkName(contact.localName ?? contact.announcedName).visible;
  return name === '' ? 'No name' : name;
}

const notifier = createNotifier({
  hidden: () => document.visibilityState === 'hidden',
  permission: notificationPermission,
  settings: () => loadNotificationSettings(),
  nameOf,
  show,
  close,
});

/** Every fresh list of summaries, in order (conversation-views.ts). */
export async function noticeSummaries(summaries: readonly ConversationSummary[]): Promise<void> {
  await notifier.notice(summaries);
}
