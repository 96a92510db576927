import { expect, test } from '@playwright/test';

test('the app shell loads, names itself and runs the session core in the browser', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
  await expect(page.getByText('Protocol v0.1')).toBeVisible();
  // The Noise handshake, a sealed message and the safety number, on Chromium's WebCrypto.
  await expect(page.getByTestId('self-test')).toHaveText(
    /Secure session core works: handshake in [\d.]+ ms, X25519 via WebCrypto\./,
    { timeout: 15_000 }, // it starts 3 s after the app, so as not to slow connections down
  );
  expect(errors).toEqual([]);
});
