/**
 * The wake-up's browser side (issue 11): a push delivered to SecMsg's service worker through the
 * DevTools protocol (`ServiceWorker.deliverPushMessage`, Chromium) shows "New message" with no
 * name and no text; and the address a tapped notification opens (`/?mailbox=<id>`) shows that
 * mailbox's conversation. (The worker's own push request is checked against a real push endpoint
 * by signaling-worker/scripts/push.ts.)
 */
import { expect, test, type Page } from '@playwright/test';
import { APP_URL, chatBothWays, pairByCodes, person } from './people';

/** The first inbound mailbox id this page keeps for its contact, from its IndexedDB. */
async function ownMailboxId(page: Page): Promise<string> {
  return page.evaluate(
    async () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('secmsg');
        open.onerror = () => reject(new Error('no database'));
        open.onsuccess = () => {
          const all = open.result.transaction('contacts').objectStore('contacts').getAll();
          all.onsuccess = () => {
            const contacts = all.result as { mailboxes?: { own: { id: string }[] } }[];
            open.result.close();
            const id = contacts[0]?.mailboxes?.own[0]?.id;
            if (id) resolve(id);
            else reject(new Error('no mailbox yet'));
          };
        };
      }),
  );
}

test('a push shows "New message" with nothing else, and its address opens that conversation', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice', { permissions: ['notifications'] });
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await expect.poll(async () => ownMailboxId(alice.page).catch(() => ''), { timeout: 15_000 }).not.toBe('');
  const mailbox = await ownMailboxId(alice.page);

  // The service worker of the built app, activated, and its registration id as DevTools knows it.
  await expect
    .poll(async () => alice.page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), {
      timeout: 15_000,
    })
    .toBe('activated');
  // What the service worker says and how its versions run, printed if the notification never shows.
  const trail: string[] = [];
  alice.context.on('console', (message) => {
    if (message.location().url.includes('sw')) trail.push(`console.${message.type()}: ${message.text()}`);
  });
  const cdp = await alice.context.newCDPSession(alice.page);
  cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
    for (const v of e.versions) trail.push(`version ${v.versionId}: ${v.status}, ${v.runningStatus}`);
  });
  cdp.on('ServiceWorker.workerErrorReported', (e) => trail.push(`error: ${e.errorMessage.errorMessage}`));
  const registered = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const r = e.registrations.find((x) => x.scopeURL.startsWith(APP_URL) && !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await registered;

  // DevTools' push delivery answers before the push reaches the worker and drops it without a word
  // when it cannot deliver it; a counter in the running worker tells a push it never got (sent
  // again, at most three times) from one it got and showed nothing for (the failure this checks).
  const pushesSeen = async (): Promise<number | undefined> => {
    const worker = alice.context.serviceWorkers().find((w) => w.url().startsWith(APP_URL));
    return worker
      ?.evaluate(() => {
        const g = globalThis as unknown as { __pushes?: number } & EventTarget;
        if (g.__pushes === undefined) {
          g.__pushes = 0;
          g.addEventListener('push', () => {
            g.__pushes! += 1;
          });
        }
        return g.__pushes;
      })
      .catch(() => undefined);
  };
  const push = async (data: string): Promise<void> => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const before = (await pushesSeen()) ?? 0;
      trail.push(`push ${JSON.stringify(data)} to registration ${registrationId}, attempt ${attempt}`);
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: new URL(APP_URL).origin,
        registrationId,
        data,
      });
      const seen = await expect
        .poll(async () => ((await pushesSeen()) ?? 0) > before, { timeout: 5_000 })
        .toBe(true)
        .then(() => true)
        .catch(() => false);
      if (seen) return;
      trail.push('the running service worker did not get it');
    }
  };
  const shown = async () =>
    alice.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        data: n.data as unknown,
      }));
    });
  const failWithTrail = (error: unknown): never => {
    throw new Error(`No wake-up notification. What the service worker did:\n${trail.join('\n')}`, {
      cause: error,
    });
  };

  await push(JSON.stringify({ t: 'new-message', mailbox }));
  await expect.poll(shown, { timeout: 15_000 }).toHaveLength(1).catch(failWithTrail);
  const [notification] = await shown();
  expect(notification).toEqual({ title: 'New message', body: 'Open SecMsg to read it.', data: { mailbox } });
  expect(JSON.stringify(notification)).not.toMatch(/Bob|Alice|Hello|Hi /);

  // A push that is not ours still shows the plain wake-up, opening no conversation.
  await push('garbage');
  await expect
    .poll(async () => (await shown()).map((n) => n.data))
    .toContainEqual({ mailbox: '' })
    .catch(failWithTrail);

  // The address a tapped notification opens shows that conversation.
  await alice.page.goto(`/?mailbox=${mailbox}`);
  await expect(alice.page.getByRole('heading', { name: 'Chat with Bob' })).toBeVisible({ timeout: 15_000 });
  expect(new URL(alice.page.url()).search).toBe('');
  await Promise.all([alice.context.close(), bob.context.close()]);
});
