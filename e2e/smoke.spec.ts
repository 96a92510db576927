import { expect, test } from '@playwright/test';
import { firstRun } from './people';

test('the app shell loads, names itself and runs the session core in the browser', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
  await expect(page.getByText('Protocol v0.1')).toBeVisible();
  // The Noise handshake, a sealed message and the safety number, on Chromium's WebCrypto: the
  // self-test runs when Settings → Diagnostics is first shown.
  await firstRun(page, 'Sam');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('self-test')).toHaveText(
    /Secure session core works: handshake in [\d.]+ ms, X25519 via WebCrypto\./,
    { timeout: 15_000 },
  );
  expect(errors).toEqual([]);
});
