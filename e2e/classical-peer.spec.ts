/**
 * SecMsg runs only its post-quantum suite: a peer that offers the classical handshake alone (an
 * older or another app) is refused with a sentence, and no contact is made.
 */
import { expect, test } from '@playwright/test';
import { openPairing, person } from './people';
import { serveTestPages, type TestPages } from './test-pages';

let pages: TestPages | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  pages = await serveTestPages();
});

test.afterAll(async () => {
  await pages?.close();
});

test('a peer offering only classical crypto is refused with a sentence, and no contact is made', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const old = await (await browser.newContext()).newPage();
  await old.goto(pages!.url('classical'));
  await old.waitForFunction(() => 'classical' in window);

  await openPairing(alice.page);
  const invite = await old.evaluate(async () => window.classical.offer());
  await alice.page.getByLabel('Paste an invite code or link').fill(invite);
  await alice.page.getByRole('button', { name: 'Join' }).click();
  const answer = await alice.page.getByTestId('answer-code').inputValue();
  await old.evaluate((code) => window.classical.accept(code), answer);

  await expect(alice.page.getByRole('alert')).toContainText('offered only classical encryption', {
    timeout: 30_000,
  });
  await expect(alice.page.getByRole('alert')).toContainText('update SecMsg on the other device');
  await expect(alice.page.getByRole('heading', { name: /^Chat with/ })).toHaveCount(0);
  // The classical side did send its first message, and got nothing back: the app closed the channel.
  await expect
    .poll(async () => old.evaluate(() => window.classical.state()))
    .toMatchObject({
      sent: true,
      received: 0,
      closed: true,
    });
  // No contact was made.
  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Conversations' })
    .click();
  await expect(alice.page.getByRole('button', { name: /^Unknown|^Old/ })).toHaveCount(0);
  await Promise.all([alice.context.close(), old.context().close()]);
});
