/**
 * The conversation list keeps its buttons while it updates: a tap that starts before a contact's
 * state changes and ends after it still opens that chat (the press and the release land on the
 * same button, not on one that was replaced in between).
 */
import { expect, test } from '@playwright/test';
import { chatBothWays, expectChatWith, pairByCodes, person } from './people';

test('a contact pressed right after the app opens, released after the list updated, opens that chat', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  // Bob goes away, so that Alice's app opens on a list that is still to change: Bob offline now,
  // connected once he is back.
  await bob.page.close();
  await alice.page.reload();
  const contact = alice.page.getByRole('button', { name: /^Bob/ });
  await expect(contact).toContainText('Offline');
  // Where the button is (asked again if it was redrawn while being measured).
  let box: { x: number; y: number; width: number; height: number } | null = null;
  await expect.poll(async () => (box = await contact.boundingBox()) !== null).toBe(true);
  const { x, y, width, height } = box!;
  await alice.page.mouse.move(x + width / 2, y + height / 2);
  await alice.page.mouse.down();

  // While the finger is down, Bob comes back and the list updates under it.
  const bobAgain = await bob.context.newPage();
  await bobAgain.goto('/');
  await expect(contact).toContainText('Connected', { timeout: 45_000 });

  await alice.page.mouse.up();
  await expectChatWith(alice.page, 'Bob');
  await Promise.all([alice.context.close(), bob.context.close()]);
});
