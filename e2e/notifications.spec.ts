/**
 * Notifications while SecMsg is open but hidden (issue 13, item 4). The page's notifications are
 * recorded by an init script that wraps ServiceWorkerRegistration.prototype.showNotification and
 * window.Notification (and still calls them, so the service worker holds them), so nothing depends
 * on the operating system; "hidden" is document.visibilityState emulated by the same script, with
 * the visibilitychange event the app listens to. Checked: no permission asked on load, only on
 * "Turn on notifications"; previews off → the contact's name and no text; previews on → the text;
 * visible → none; a tap (the service worker's notificationclick) opens that conversation, and
 * reading it closes its notification.
 */
import { expect, test, type Page, type Worker } from '@playwright/test';
import {
  chatBothWays,
  firstRun,
  messages,
  newPersonContext,
  openChat,
  pairByCodes,
  person,
  say,
} from './people';

interface Recorded {
  via: 'registration' | 'page';
  title: string;
  body?: string;
  tag?: string;
  renotify?: boolean;
  data?: { mailbox?: string; contact?: string };
}

type Recording = Window & {
  __notifications: Recorded[];
  __permissionAsked: number;
  __setHidden: (hidden: boolean) => void;
};

/** Runs in the page before the app: records notifications and permission requests, emulates hiding. */
function recordNotifications(): void {
  const w = window as unknown as Recording;
  w.__notifications = [];
  w.__permissionAsked = 0;
  const record = (
    via: Recorded['via'],
    title: string,
    options?: NotificationOptions & { renotify?: boolean },
  ) =>
    w.__notifications.push({
      via,
      title,
      ...(options?.body === undefined ? {} : { body: options.body }),
      ...(options?.tag === undefined ? {} : { tag: options.tag }),
      ...(options?.renotify === undefined ? {} : { renotify: options.renotify }),
      ...(options?.data ? { data: options.data as NonNullable<Recorded['data']> } : {}),
    });
  const show = Object.getOwnPropertyDescriptor(ServiceWorkerRegistration.prototype, 'showNotification')!
    .value as (
    this: ServiceWorkerRegistration,
    title: string,
    options?: NotificationOptions,
  ) => Promise<void>;
  ServiceWorkerRegistration.prototype.showNotification = async function (
    this: ServiceWorkerRegistration,
    title,
    options,
  ) {
    record('registration', title, options);
    await show.call(this, title, options);
  };
  const Native = window.Notification;
  const ask = Native.requestPermission.bind(Native);
  class RecordedNotification extends Native {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      record('page', title, options);
    }
    static override async requestPermission(callback?: NotificationPermissionCallback) {
      w.__permissionAsked += 1;
      return ask(callback);
    }
  }
  window.Notification = RecordedNotification;
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible'),
  });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  w.__setHidden = (h) => {
    hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
  };
}

const recorded = async (page: Page) => page.evaluate(() => (window as unknown as Recording).__notifications);
const setHidden = async (page: Page, hidden: boolean) =>
  page.evaluate((h) => (window as unknown as Recording).__setHidden(h), hidden);

/** The notifications the service worker holds for a tag. */
async function held(page: Page, tag: string) {
  return page.evaluate(async (t) => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications({ tag: t })).map((n) => n.title);
  }, tag);
}

async function openSettings(page: Page): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Notifications', exact: true })).toBeVisible();
}

/** A tap on the notification: the service worker's own notificationclick handler, with that notification. */
async function tap(worker: Worker, tag: string): Promise<void> {
  await worker.evaluate(async (t) => {
    const sw = globalThis as unknown as {
      registration: ServiceWorkerRegistration;
      NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
      dispatchEvent(e: Event): boolean;
    };
    const [notification] = await sw.registration.getNotifications({ tag: t });
    if (!notification) throw new Error(`No notification is shown for ${t}.`);
    sw.dispatchEvent(new sw.NotificationEvent('notificationclick', { notification }));
  }, tag);
}

test('hidden: a notification per conversation, its text only with previews, none while visible; a tap opens the chat', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const context = await newPersonContext(browser, { permissions: ['notifications'] });
  await context.addInitScript(recordNotifications);
  const page = await context.newPage();
  await page.goto('/');
  await firstRun(page, 'Alice');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const bob = await person(browser, 'Bob');
  await pairByCodes(page, bob.page);
  await chatBothWays(page, bob.page, 'Alice', 'Bob');

  // Nothing is asked on load; notifications and previews start off; the press asks.
  await openSettings(page);
  expect(await page.evaluate(() => (window as unknown as Recording).__permissionAsked)).toBe(0);
  await expect(page.getByTestId('notification-state')).toHaveText('Notifications are off.');
  const previews = page.getByRole('checkbox', { name: 'Show message text in notifications' });
  await expect(previews).not.toBeChecked();
  await page.getByRole('button', { name: 'Turn on notifications' }).click();
  await expect(page.getByTestId('notification-state')).toHaveText('Notifications are on.');
  expect(await page.evaluate(() => (window as unknown as Recording).__permissionAsked)).toBe(1);
  await expect(page.getByRole('button', { name: 'Turn off notifications' })).toBeVisible();

  // Hidden, previews off: the contact's name, no text.
  await setHidden(page, true);
  await say(bob.page, 'Meet at the old mill');
  await expect.poll(async () => (await recorded(page)).length).toBe(1);
  const [first] = await recorded(page);
  expect(first).toMatchObject({ via: 'registration', title: 'Bob', body: 'New message', renotify: true });
  expect(JSON.stringify(first)).not.toContain('old mill');
  const tag = first!.tag!;
  expect(tag).toMatch(/^secmsg-chat-/);

  // Previews on: the text, under the same tag (it replaces the older one).
  await setHidden(page, false);
  await previews.check();
  await setHidden(page, true);
  await say(bob.page, 'Bring a torch');
  await expect.poll(async () => (await recorded(page)).length).toBe(2);
  expect((await recorded(page))[1]).toMatchObject({ title: 'Bob', body: 'Bring a torch', tag });
  await expect.poll(async () => held(page, tag)).toEqual(['Bob']);

  // A tap focuses SecMsg and opens that conversation; read there, its notification goes.
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  // The notification names the contact (and the mailbox, once there is one): the tap needs only the contact.
  expect((await recorded(page))[1]?.data?.contact).toBeTruthy();
  await tap(worker, tag);
  await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeVisible({ timeout: 15_000 });
  await setHidden(page, false);
  await expect.poll(async () => held(page, tag)).toEqual([]);

  // Visible: a message arrives, and no notification.
  await openChat(page, 'Bob');
  await say(bob.page, 'Are you there?');
  await expect(messages(page)).toContainText('Are you there?');
  // The list shows it once the summaries were read again, which is when a notification would go.
  await expect(page.getByRole('list', { name: 'Conversations' })).toContainText('Are you there?');
  expect(await recorded(page)).toHaveLength(2);
  await Promise.all([context.close(), bob.context.close()]);
});
