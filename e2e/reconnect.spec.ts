/**
 * Known contacts reconnect without a new invite, through their rendezvous room on the signaling
 * worker; what is written meanwhile waits and is delivered once.
 */
import { expect, test } from '@playwright/test';
import { chatBothWays, messages, pairByCodes, person, say, openChat } from './people';

const connected = /Connected securely/;

test('after both reload, a paired contact reconnects by itself and queued messages flow', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  // Both reload: no invite, no code; they find each other again.
  await Promise.all([alice.page.reload(), bob.page.reload()]);
  await openChat(alice.page, 'Bob');
  await openChat(bob.page, 'Alice');
  await expect(alice.page.getByTestId('connection-state')).toHaveText(connected, { timeout: 30_000 });
  await expect(bob.page.getByTestId('connection-state')).toHaveText(connected, { timeout: 30_000 });
  await say(alice.page, 'back again');
  await expect(messages(bob.page)).toContainText('back again');

  // Bob goes away; what Alice writes meanwhile waits, queued, and arrives once he is back.
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-state')).not.toHaveText(connected, { timeout: 15_000 });
  await say(alice.page, 'while you were away');
  await expect(messages(alice.page).locator('li').last()).toContainText('Queued');
  const bobAgain = await bob.context.newPage();
  await bobAgain.goto('/');
  await openChat(bobAgain, 'Alice');
  await expect(messages(bobAgain)).toContainText('while you were away', { timeout: 30_000 });
  await expect(messages(alice.page).locator('li').last()).toContainText('Delivered');
  await expect(messages(bobAgain).getByText('while you were away')).toHaveCount(1);
  await Promise.all([alice.context.close(), bob.context.close()]);
});
