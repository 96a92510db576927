/**
 * Key change: Bob starts over with a new identity key, and the two meet again through their
 * rendezvous (the only way a new key is recognised as his). Alice's conversation is blocked behind
 * a warning until she accepts; accepting clears her verified mark; both are in the security log.
 * Also: message bodies with HTML and script render as text.
 */
import { expect, test } from '@playwright/test';
import { chatBothWays, expectChatWith, messages, pairByCodes, person, say, screenshots } from './people';

test('a changed identity key arriving through the rendezvous blocks sending until accepted, then clears verified, all logged', async ({
  browser,
}, testInfo) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  // Alice compares the numbers and says they match.
  await alice.page.getByRole('button', { name: 'Safety number' }).click();
  await alice.page.getByRole('button', { name: 'The numbers match' }).click();
  await expect(alice.page.getByTestId('verified-state')).toHaveText('Verified');
  await alice.page.getByRole('button', { name: 'Back to the chat' }).click();

  // Bob starts over with a new identity.
  await bob.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await bob.page.getByRole('button', { name: 'Start a new identity…' }).click();
  await bob.page.getByRole('button', { name: 'Yes, replace my identity key' }).click();
  await expect(bob.page.getByText('You have a new identity key.')).toBeVisible();

  // No new invite: the two meet again in their rendezvous room, and Alice's side sees the new key.
  await bob.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Conversations' })
    .click();
  await bob.page.getByRole('button', { name: /^Alice/ }).click();
  await expectChatWith(bob.page, 'Alice');
  await expect(bob.page.getByTestId('connection-state')).toHaveText(/Connected securely/, {
    timeout: 30_000,
  });
  const warning = alice.page.getByRole('alert').filter({ hasText: "Bob's identity key changed" });
  await expect(warning).toBeVisible({ timeout: 30_000 });
  await expect(alice.page.getByTestId('verified-state')).toHaveText('New key: not verified');
  await expect(alice.page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await expect(alice.page.getByRole('textbox', { name: 'Message' })).toBeDisabled();
  await screenshots(alice.page, testInfo, 'key-change-warning');

  // What Bob sends meanwhile is held back, not shown.
  await say(bob.page, 'New phone, same Bob');
  await expect(messages(alice.page)).not.toContainText('New phone, same Bob');
  const log = alice.page.getByRole('list', { name: 'Security log' });
  await expect(log).toContainText('A new identity key arrived through your usual connection');

  await alice.page.getByRole('button', { name: 'Accept the new key' }).click();
  await expect(warning).toHaveCount(0);
  await expect(log).toContainText('No longer verified');
  await expect(messages(alice.page)).toContainText('New phone, same Bob');
  await expect(log).toContainText('You accepted the new identity key');
  await expect(alice.page.getByTestId('verified-state')).toHaveText('Not verified');
  await say(alice.page, 'Welcome back');
  await expect(messages(bob.page)).toContainText('Welcome back');

  // All of it survives a reload.
  await alice.page.reload();
  await alice.page.getByRole('button', { name: /^Bob/ }).click();
  await expect(alice.page.getByRole('list', { name: 'Security log' })).toContainText(
    'A new identity key arrived through your usual connection',
  );
  await expect(alice.page.getByTestId('verified-state')).toHaveText('Not verified');
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('message bodies with HTML and script payloads render as text', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await expectChatWith(bob.page, 'Alice');
  const payloads = [
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=2</script>',
    '<a href="javascript:window.__pwned=3">click</a>',
  ];
  for (const p of payloads) await say(alice.page, p);
  for (const p of payloads) await expect(messages(bob.page)).toContainText(p);
  for (const page of [alice.page, bob.page]) {
    await expect(messages(page).locator('img, script, a')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }
  await Promise.all([alice.context.close(), bob.context.close()]);
});
