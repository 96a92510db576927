/**
 * Key rotation (Settings → Replace my keys): Alice replaces both identity keys, signing the new ones
 * with her old ML-DSA key. Bob, who had verified her, takes them without a warning: a notice in the
 * security log, still verified, and the chat goes on over the new keys. The inspector shows the
 * hybrid suite and the ratchet's counters.
 */
import { expect, test } from '@playwright/test';
import {
  chatBothWays,
  expectChatWith,
  messages,
  openChat,
  pairByCodes,
  person,
  say,
  screenshots,
} from './people';

test('Alice replaces her keys: Bob sees a notice, she stays verified, and the chat goes on', async ({
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  // Bob compares the numbers with Alice and says they match.
  await bob.page.getByRole('button', { name: 'Safety number' }).click();
  await bob.page.getByRole('button', { name: 'The numbers match' }).click();
  await expect(bob.page.getByTestId('verified-state')).toHaveText('Verified');
  await bob.page.getByRole('button', { name: 'Back to the chat' }).click();

  // The inspector names the suite and counts the ratchet's steps.
  await bob.page.getByRole('button', { name: 'Inspector' }).click();
  await expect(bob.page.getByText('Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256')).toBeVisible();
  await expect(bob.page.getByTestId('inspector-ratchet')).toContainText(
    /Double Ratchet: \d+ DH steps, \d+ of them with ML-KEM-1024/,
  );

  // Alice replaces her keys.
  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Settings' })
    .click();
  await alice.page.getByRole('button', { name: 'Replace my keys…' }).click();
  await alice.page.getByRole('button', { name: 'Yes, replace my keys' }).click();
  await expect(alice.page.getByText('Your keys were replaced.')).toBeVisible({ timeout: 30_000 });
  await screenshots(alice.page, testInfo, 'replace-my-keys');

  // Bob: a notice, no warning, still verified.
  await openChat(bob.page, 'Alice');
  const log = bob.page.getByRole('list', { name: 'Security log' });
  await expect(log).toContainText('They replaced their identity keys', { timeout: 30_000 });
  await expect(bob.page.getByRole('alert').filter({ hasText: 'identity key changed' })).toHaveCount(0);
  await expect(bob.page.getByTestId('verified-state')).toHaveText('Verified');
  await screenshots(bob.page, testInfo, 'rotation-notice');

  // They reconnect with the new keys, and the chat goes on both ways.
  await openChat(alice.page, 'Bob');
  await expect(alice.page.getByTestId('connection-state')).toHaveText(/Connected securely/, {
    timeout: 60_000,
  });
  await expect(bob.page.getByTestId('connection-state')).toHaveText(/Connected securely/, {
    timeout: 60_000,
  });
  await say(alice.page, 'Same Alice, new keys');
  await expect(messages(bob.page)).toContainText('Same Alice, new keys');
  await say(bob.page, 'Got it');
  await expect(messages(alice.page)).toContainText('Got it');
  await expectChatWith(bob.page, 'Alice');

  // After a reload Bob still has her as verified, with the notice in the log.
  await bob.page.reload();
  await openChat(bob.page, 'Alice');
  await expect(bob.page.getByTestId('verified-state')).toHaveText('Verified');
  await expect(bob.page.getByRole('list', { name: 'Security log' })).toContainText(
    'They replaced their identity keys',
  );
  await Promise.all([alice.context.close(), bob.context.close()]);
});
