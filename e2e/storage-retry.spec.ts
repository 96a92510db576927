/**
 * Storage that would not open (a passing browser failure) is explained with a way forward: Try
 * again opens it, without a reload and without anything replaced.
 *
 * The failure comes from the test: an init script makes `indexedDB.open` throw while
 * sessionStorage holds 'e2e.failOpen'.
 */
import { expect, test } from '@playwright/test';
import { newPersonContext } from './people';
import { failOpenWhileFlagged } from './faults';

test('storage that would not open says so, and Try again opens it once it can', async ({ browser }) => {
  const context = await newPersonContext(browser);
  await context.addInitScript(failOpenWhileFlagged);
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill('Alice');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  await page.evaluate(() => sessionStorage.setItem('e2e.failOpen', '1'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'SecMsg could not open its storage' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText(/^[A-Z].*\.$/);
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'SecMsg could not open its storage' })).toBeVisible();

  await page.evaluate(() => sessionStorage.removeItem('e2e.failOpen'));
  await page.getByRole('button', { name: 'Try again' }).click();
  // The same identity, not a first run: nothing was replaced.
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByLabel('Display name')).toHaveValue('Alice');
  await context.close();
});
