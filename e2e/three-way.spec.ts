/**
 * Many conversations at once: Alice talks with Bob and Carol at the same time, each over its own
 * connection and session; each history holds exactly its own messages.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectChatWith, messages, pairByCodes, person, say, openChat } from './people';

test('one device holds two conversations at once, and messages never cross', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  const carol = await person(browser, 'Carol');
  await pairByCodes(alice.page, bob.page);
  await expectChatWith(alice.page, 'Bob');
  await pairByCodes(alice.page, carol.page);
  await expectChatWith(alice.page, 'Carol');
  await expectChatWith(carol.page, 'Alice');

  // Both sessions are live at the same time: all three write, interleaved.
  for (let i = 0; i < 3; i++) {
    await say(bob.page, `bob ${i}`);
    await say(carol.page, `carol ${i}`);
  }
  await say(alice.page, 'to carol');
  await openChat(alice.page, 'Bob');
  await say(alice.page, 'to bob');
  await expect(messages(bob.page)).toContainText('to bob');
  await expect(messages(carol.page)).toContainText('to carol');

  const texts = async (page: Page) =>
    (await messages(page).locator('li .body').allTextContents()).sort((a, b) => a.localeCompare(b));
  await expect.poll(async () => texts(alice.page)).toEqual(['bob 0', 'bob 1', 'bob 2', 'to bob']);
  await openChat(alice.page, 'Carol');
  await expect.poll(async () => texts(alice.page)).toEqual(['carol 0', 'carol 1', 'carol 2', 'to carol']);
  expect(await texts(bob.page)).toEqual(['bob 0', 'bob 1', 'bob 2', 'to bob']);
  expect(await texts(carol.page)).toEqual(['carol 0', 'carol 1', 'carol 2', 'to carol']);
  await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
});
