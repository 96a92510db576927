/**
 * The "ready to work offline" notice (and the update offer, which uses the same place) floats over
 * the bottom of the page: it never moves the page's content, here the first-run form a person may
 * be filling in as it appears.
 */
import { expect, test } from '@playwright/test';
import { PHONE } from './people';

test('the offline-ready notice does not move the first-run form, covers none of it, and can be dismissed', async ({
  page,
}) => {
  await page.setViewportSize(PHONE);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  const notice = page.getByRole('status').filter({ hasText: 'SecMsg is ready to work offline.' });
  await expect(notice).toBeVisible(); // the service worker installed and precached the app
  const form = [page.getByLabel('Your name'), page.getByRole('button', { name: 'Start' })];
  const withNotice = await Promise.all(form.map(async (l) => (await l.boundingBox())!));
  const noticeBox = (await notice.boundingBox())!;
  for (const box of withNotice) {
    expect(box.y + box.height <= noticeBox.y || box.y >= noticeBox.y + noticeBox.height).toBe(true);
  }

  await notice.getByRole('button', { name: 'OK' }).click();
  await expect(notice).toHaveCount(0);
  const without = await Promise.all(form.map(async (l) => (await l.boundingBox())!));
  expect(without).toEqual(withNotice);
});
