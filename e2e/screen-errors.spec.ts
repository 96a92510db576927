/**
 * A screen that fails never leaves a blank page: it says in a sentence what happened and offers a
 * way back. And times the app cannot show (a peer's sentAt of 2^53 − 1) do not make a screen fail.
 *
 * The faults come from the test, not from the app: a browser built-in the chat uses while it is
 * drawn is made to throw (by an init script, switched on through sessionStorage), a screen's code
 * is kept from loading (a route that aborts its chunk), and records are written into the page's
 * IndexedDB as a peer or a damaged disk could leave them.
 */
import { expect, test, type Page } from '@playwright/test';
import { APP_URL, chatBothWays, firstRun, messages, openChat, pairByCodes, person, say } from './people';
import { breakTextareas } from './faults';

const FAILED_HEADING = 'This screen could not be shown';

async function expectScreenFailed(page: Page, details: RegExp): Promise<void> {
  await expect(page.getByRole('heading', { name: FAILED_HEADING })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText(
    'Something went wrong in SecMsg while it was showing this screen',
  );
  // The error's own words only under "Details", never as the page's sentence.
  await page.getByText('Details', { exact: true }).click();
  await expect(page.locator('details code')).toHaveText(details);
  // The rest of the app is still there.
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

test('a screen that throws while it is drawn shows a sentence, its details and a way back, not a blank page', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await alice.context.addInitScript(breakTextareas);
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  // The chat's composer throws as the chat is drawn.
  await alice.page.evaluate(() => sessionStorage.setItem('e2e.breakTextarea', '1'));
  await alice.page.getByRole('button', { name: /^Bob/ }).click();
  await expectScreenFailed(alice.page, /textarea broken by this test/);
  await alice.page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(alice.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expect(alice.page.getByRole('list', { name: 'Conversations' })).toContainText('Bob');

  // Again, and this time "Reload": the page starts over on the conversation list.
  await alice.page.getByRole('button', { name: /^Bob/ }).click();
  await expect(alice.page.getByRole('heading', { name: FAILED_HEADING })).toBeVisible();
  await Promise.all([
    alice.page.waitForEvent('load'),
    alice.page.getByRole('button', { name: 'Reload' }).click(),
  ]);
  await expect(alice.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  // Once nothing throws any more, the same chat opens with its history.
  await alice.page.evaluate(() => sessionStorage.removeItem('e2e.breakTextarea'));
  await openChat(alice.page, 'Bob');
  await expect(messages(alice.page)).toContainText('Hi Alice!');
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('a screen whose code cannot be loaded says so and leads back; it opens once it can load', async ({
  browser,
}) => {
  // No service worker, so that the page's own requests meet the route below.
  const context = await browser.newContext({ baseURL: APP_URL, serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto('/');
  await firstRun(page, 'Alice');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  const chunk = '**/assets/SettingsPage-*.js';
  await page.route(chunk, async (route) => route.abort('internetdisconnected'));
  const settings = page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' });
  await settings.click();
  await expectScreenFailed(page, /.+/);
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  await page.unroute(chunk);
  await settings.click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await context.close();
});

/** Writes, as a peer's clock could have it, a message and a security event at `at` into the first contact's history. */
async function storeAt(page: Page, at: number): Promise<void> {
  await page.evaluate(async (time) => {
    const done = async <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(new Error('IndexedDB request failed'));
      });
    const db = await done(indexedDB.open('secmsg'));
    const contacts = (await done(db.transaction('contacts').objectStore('contacts').getAll())) as {
      id: string;
    }[];
    const contactId = contacts[0]!.id;
    const messageId = crypto.getRandomValues(new Uint8Array(16));
    const messageIdHex = Array.from(messageId, (b) => b.toString(16).padStart(2, '0')).join('');
    const tx = db.transaction(['messages', 'events'], 'readwrite');
    tx.objectStore('messages').put({
      contactId,
      messageId,
      messageIdHex,
      direction: 'in',
      body: 'Written at the end of time',
      sentAt: time,
      receivedAt: Date.now(),
      state: 'delivered',
    });
    tx.objectStore('events').add({
      contactId,
      at: time,
      kind: 'session-closed',
      detail: 'Closed at the end of time.',
    });
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(new Error('IndexedDB write failed'));
    });
    db.close();
  }, at);
}

test('a conversation holding a message sent at 2^53 − 1 opens and shows it, also after a reload', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await storeAt(alice.page, Number.MAX_SAFE_INTEGER);

  for (let round = 0; round < 2; round++) {
    await alice.page.reload();
    await openChat(alice.page, 'Bob');
    const message = messages(alice.page).locator('li', { hasText: 'Written at the end of time' });
    await expect(message).toBeVisible();
    await expect(message.locator('time')).toHaveText('an unknown time');
    await expect(message.locator('time')).not.toHaveAttribute('datetime');
    await expect(messages(alice.page)).toContainText('Hi Alice!');
    await expect(
      alice.page
        .getByRole('list', { name: 'Security log' })
        .locator('li', { hasText: 'Closed at the end of time.' }),
    ).toContainText('an unknown time');
  }

  // The inspector lists the same event, once the contact is connected again.
  await expect(alice.page.getByTestId('connection-state')).toHaveText(/Connected securely/, {
    timeout: 30_000,
  });
  await alice.page.getByRole('button', { name: 'Inspector' }).click();
  await expect(
    alice.page
      .getByRole('list', { name: 'Security events' })
      .locator('li', { hasText: 'Closed at the end of time.' }),
  ).toContainText('an unknown time');
  // A message both ways after it: frames with their own timestamps, shown as clock times.
  await say(alice.page, 'After the end of time');
  await expect(messages(bob.page)).toContainText('After the end of time');
  await expect(alice.page.getByRole('table')).toContainText(/\d{2}:\d{2}:\d{2}/);
  await expect(alice.page.getByRole('heading', { name: FAILED_HEADING })).toHaveCount(0);
  await Promise.all([alice.context.close(), bob.context.close()]);
});
