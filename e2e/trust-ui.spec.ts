/**
 * Trust on screen: a contact is its key, not its name. A stranger who takes a known contact's name
 * is shown as someone new and told apart; the name the user sets wins; suspicious characters in
 * an announced name are spelled out; a reconnect paused as possible interception is shown in the
 * chat and resumes only when the user asks.
 *
 * Records a peer or a damaged disk could leave are written into the page's IndexedDB by the test.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectChatWith, newPersonContext, openChat, pairByCodes, person } from './people';

/** Changes the first record of `store` in the page's database with `patch` (run in the page). */
async function patchFirst(page: Page, store: 'identity' | 'contacts', patch: Record<string, unknown>) {
  await page.evaluate(
    async ([name, changes]) => {
      const done = async <T>(r: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(new Error('IndexedDB request failed'));
        });
      const db = await done(indexedDB.open('secmsg'));
      const tx = db.transaction(name, 'readwrite');
      const all = (await done(tx.objectStore(name).getAll())) as Record<string, unknown>[];
      await done(tx.objectStore(name).put({ ...all[0], ...changes }));
      db.close();
    },
    [store, patch] as const,
  );
}

test('a stranger who takes a known contact’s name is shown as someone new, told apart by a tag, and the name the user sets wins', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await expectChatWith(alice.page, 'Bob');
  await expect(alice.page.getByTestId('name-notice')).toContainText('Calls themselves “Bob”');

  const mallory = await person(browser, 'Bob');
  await pairByCodes(alice.page, mallory.page);
  await expectChatWith(mallory.page, 'Alice');
  // Alice is now in the chat with the new "Bob": someone new, with a name like a known contact's.
  await expect(alice.page.getByRole('alert').filter({ hasText: 'looks like “Bob”' })).toBeVisible();
  await expect(alice.page.getByRole('heading', { name: /^Chat with Bob \(id [0-9a-f]{4}\)$/ })).toBeVisible();

  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Conversations' })
    .click();
  const list = alice.page.getByRole('list', { name: 'Conversations' });
  const bobs = list.getByRole('button', { name: /^Bob \(id [0-9a-f]{4}\)/ });
  await expect(bobs).toHaveCount(2);
  const tags = await bobs.allTextContents();
  expect(new Set(tags.map((t) => /id [0-9a-f]{4}/.exec(t)?.[0])).size).toBe(2);

  // The real Bob is the one not flagged as a look-alike; Alice gives him a name of her own.
  await list.getByRole('button', { name: /^Bob/ }).filter({ hasNotText: 'Looks like' }).click();
  await expect(alice.page.getByRole('alert').filter({ hasText: 'looks like' })).toHaveCount(0);
  await alice.page.getByRole('button', { name: 'Set a name' }).click();
  await alice.page.getByLabel('Your name for this contact').fill('\u0412ob'); // Cyrillic В: refused
  await alice.page.getByRole('button', { name: 'Save name' }).click();
  await expect(alice.page.getByRole('alert').filter({ hasText: 'This name cannot be used.' })).toBeVisible();
  await alice.page.getByLabel('Your name for this contact').fill('Bob from school');
  await alice.page.getByRole('button', { name: 'Save name' }).click();
  await expectChatWith(alice.page, 'Bob from school');
  await expect(alice.page.getByRole('list', { name: 'Security log' })).toContainText(
    'You named this contact “Bob from school”.',
  );
  // No longer alike: no tags.
  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Conversations' })
    .click();
  await expect(list.getByRole('button', { name: /\(id / })).toHaveCount(0);
  await Promise.all([alice.context.close(), bob.context.close(), mallory.context.close()]);
});

test('an announced name with direction or invisible characters is spelled out and cannot be kept; one’s own such name is refused', async ({
  browser,
}) => {
  const context = await newPersonContext(browser);
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill('\u0410lice'); // Cyrillic А
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('alert')).toContainText('This name cannot be used.');
  await page.getByLabel('Your name').fill('Alice');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  // Eve's stored name carries a right-to-left override, as a modified app could announce it.
  const eve = await person(browser, 'Eve');
  await patchFirst(eve.page, 'identity', { displayName: 'Eve\u202egnp.exe' });
  await eve.page.reload();
  await expect(eve.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await pairByCodes(page, eve.page);
  await expectChatWith(page, 'Eve⟨U+202E⟩gnp.exe');
  const notice = page.getByTestId('name-notice');
  await expect(notice).toContainText('change the text direction');
  await expect(notice.getByRole('button', { name: 'Keep this name' })).toHaveCount(0);
  await expect(notice.getByRole('button', { name: 'Set a name' })).toBeVisible();
  await Promise.all([context.close(), eve.context.close()]);
});

test('a reconnect paused as possible interception is shown in the chat, and starts again only on Try again', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await expectChatWith(alice.page, 'Bob');
  // The app's own writes to the contact after a session opens (the mailbox addresses each side
  // announces) are done first, so that none of them lands on top of the patch.
  await expect
    .poll(async () =>
      alice.page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open('secmsg');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(new Error('IndexedDB open failed'));
        });
        const all = await new Promise<unknown[]>((resolve, reject) => {
          const r = db.transaction('contacts').objectStore('contacts').getAll();
          r.onsuccess = () => resolve(r.result as unknown[]);
          r.onerror = () => reject(new Error('IndexedDB read failed'));
        });
        db.close();
        const mailboxes = (all[0] as { mailboxes?: { own?: { claimedAt?: number }[]; peer?: unknown } })
          ?.mailboxes;
        return Boolean(mailboxes?.peer) && mailboxes?.own?.some((m) => m.claimedAt !== undefined) === true;
      }),
    )
    .toBe(true);
  await patchFirst(alice.page, 'contacts', {
    reconnectPaused: {
      at: Date.now(),
      reason: 'Connecting again failed the way it would if someone sat in the middle.',
    },
  });
  await alice.page.reload();
  await openChat(alice.page, 'Bob');
  const paused = alice.page.getByRole('alert').filter({ hasText: 'Possible interception' });
  await expect(paused).toBeVisible();
  await expect(alice.page.getByTestId('connection-state')).toHaveText(/Not reconnecting/);
  await alice.page.waitForTimeout(3_000);
  await expect(alice.page.getByTestId('connection-state')).toHaveText(/Not reconnecting/);

  await paused.getByRole('button', { name: 'Try again' }).click();
  await expect(paused).toHaveCount(0);
  await expect(alice.page.getByTestId('connection-state')).toHaveText(/Connected securely/, {
    timeout: 30_000,
  });
  await expect(alice.page.getByRole('list', { name: 'Security log' })).toContainText(
    'You chose to try connecting again.',
  );
  await Promise.all([alice.context.close(), bob.context.close()]);
});
