/**
 * An identity that cannot be read (here: IndexedDB reads of it fail, as a browser's storage can
 * for a while): the page offers "Try again" first, says what a new identity costs, and replaces
 * the identity only after a second, explicit press.
 *
 * The read error comes from an init script of the test, switched on through sessionStorage.
 */
import { expect, test, type Page } from '@playwright/test';
import { person } from './people';
import { failIdentityReads } from './faults';

const UNUSABLE = 'Your identity cannot be used';

const failReads = async (page: Page, on: boolean) =>
  page.evaluate((fail) => {
    if (fail) sessionStorage.setItem('e2e.failIdentityRead', '1');
    else sessionStorage.removeItem('e2e.failIdentityRead');
  }, on);

/** The stored identity's public key as hex (reads must work). */
async function storedPublicKey(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('secmsg');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(new Error('open failed'));
    });
    const record = await new Promise<{ publicKey: Uint8Array }>((resolve, reject) => {
      const r = db.transaction('identity').objectStore('identity').get('self');
      r.onsuccess = () => resolve(r.result as { publicKey: Uint8Array });
      r.onerror = () => reject(new Error('read failed'));
    });
    db.close();
    return Array.from(record.publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
  });
}

async function unreadableAlice(browser: Parameters<typeof person>[0]) {
  const alice = await person(browser, 'Alice');
  const key = await storedPublicKey(alice.page);
  await alice.context.addInitScript(failIdentityReads);
  await failReads(alice.page, true);
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: UNUSABLE })).toBeVisible();
  return { ...alice, key };
}

async function expectDisplayName(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Display name')).toHaveValue(name);
}

test('after a passing read error, Try again opens the saved identity, and nothing is replaced', async ({
  browser,
}) => {
  const alice = await unreadableAlice(browser);
  const page = alice.page;
  await expect(page.getByRole('alert')).toContainText('could not be read');
  // "Try again" comes first; the page says what a new identity would cost.
  const buttons = page.getByRole('main').getByRole('button');
  await expect(buttons.first()).toHaveText('Try again');
  await expect(page.getByRole('main')).toContainText('Your contacts see a new key for you');
  await expect(page.getByRole('main')).toContainText('nobody can reach your old identity');
  await expect(page.getByRole('main')).toContainText('The unreadable identity is kept aside');

  // Still failing: the page stays and says that it tried.
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByText('Tried again: the identity still cannot be read.')).toBeVisible();
  await expect(page.getByRole('heading', { name: UNUSABLE })).toBeVisible();

  // The storage works again: the same identity opens.
  await failReads(page, false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expectDisplayName(page, 'Alice');
  expect(await storedPublicKey(page)).toBe(alice.key);
  await alice.context.close();
});

test('a new identity takes a second, explicit press: the first press and Cancel replace nothing', async ({
  browser,
}) => {
  const alice = await unreadableAlice(browser);
  const page = alice.page;
  await page.getByLabel('Your name').fill('Alice again');
  await page.getByRole('button', { name: 'Start a new identity…' }).click();
  // Only a question so far.
  await expect(page.getByText('Start a new identity as “Alice again”?')).toBeVisible();
  await expect(page.getByRole('heading', { name: UNUSABLE })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Yes, start a new identity' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Start a new identity…' })).toBeVisible();

  // Nothing was replaced: once reads work, the old identity opens.
  await failReads(page, false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expectDisplayName(page, 'Alice');
  expect(await storedPublicKey(page)).toBe(alice.key);

  // Asked and confirmed: a new identity.
  await failReads(page, true);
  await page.reload();
  await expect(page.getByRole('heading', { name: UNUSABLE })).toBeVisible();
  await page.getByLabel('Your name').fill('Alice again');
  await page.getByRole('button', { name: 'Start a new identity…' }).click();
  await page.getByRole('button', { name: 'Yes, start a new identity' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await failReads(page, false);
  await page.reload();
  await expectDisplayName(page, 'Alice again');
  expect(await storedPublicKey(page)).not.toBe(alice.key);
  await alice.context.close();
});
