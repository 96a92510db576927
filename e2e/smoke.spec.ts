import { expect, test } from '@playwright/test';

test('the app shell loads and names itself', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SecMsg' })).toBeVisible();
  await expect(page.getByText('Protocol v0.1')).toBeVisible();
  expect(errors).toEqual([]);
});
