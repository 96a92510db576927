/**
 * One identity, several tabs: only one tab of a profile drives it (Web Locks); the others say so
 * and take over when it closes.
 */
import { expect, test } from '@playwright/test';
import { expectChatWith, messages, pairByCodes, person, say } from './people';

test('a second tab of the same profile waits, says so, and takes over when the first closes', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await expectChatWith(alice.page, 'Bob');
  await say(alice.page, 'from the first tab');
  await expect(messages(bob.page)).toContainText('from the first tab');

  const second = await alice.context.newPage();
  await second.goto('/');
  await expect(second.getByRole('heading', { name: 'SecMsg is open in another tab' })).toBeVisible();
  await expect(second.getByRole('heading', { name: 'Conversations' })).toHaveCount(0);

  await alice.page.close();
  await expect(second.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await second.getByRole('button', { name: /^Bob/ }).click();
  await expect(messages(second)).toContainText('from the first tab');
  await Promise.all([alice.context.close(), bob.context.close()]);
});
