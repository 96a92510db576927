/**
 * The identity on this device: never replaced silently when it cannot be read back, and gone with
 * everything else only on an explicit "delete everything".
 */
import { expect, test } from '@playwright/test';
import { chatBothWays, firstRun, pairByCodes, person } from './people';

test('an identity that cannot be read back is explained, and replaced only on request', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  // Damage the stored identity: its private key is gone (as when a browser cannot keep it).
  await alice.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('secmsg');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(new Error('open failed'));
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('identity', 'readwrite');
      const store = tx.objectStore('identity');
      const get = store.get('self');
      get.onsuccess = () => store.put({ ...(get.result as object), privateKey: undefined });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(new Error('write failed'));
    });
    db.close();
  });
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Your identity cannot be used' })).toBeVisible();
  await expect(alice.page.getByRole('alert')).toContainText('private key of the saved identity is missing');
  // Nothing was replaced by reloading.
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Your identity cannot be used' })).toBeVisible();
  await alice.page.getByLabel('Your name').fill('Alice');
  await alice.page.getByRole('button', { name: 'Start a new identity…' }).click();
  await alice.page.getByRole('button', { name: 'Yes, start a new identity' }).click();
  await expect(alice.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await alice.page.reload();
  await expect(alice.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await alice.context.close();
});

test('delete everything leaves a first-run app behind, with no contacts or history', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await expect(alice.page.getByTestId('storage-status')).toHaveText(/Storage is|This browser cannot/);
  await alice.page.getByRole('button', { name: 'Delete everything…' }).click();
  await alice.page.getByRole('button', { name: 'Yes, delete everything on this device' }).click();
  await firstRun(alice.page, 'Alice again');
  await expect(alice.page.getByText('No conversations yet.')).toBeVisible();
  await expect(alice.page.getByRole('list', { name: 'Conversations' })).toHaveCount(0);
  await Promise.all([alice.context.close(), bob.context.close()]);
});
