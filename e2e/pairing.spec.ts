import { expect, test, type Page } from '@playwright/test';
import {
  chatBothWays,
  firstRun,
  messages,
  newPersonContext,
  openPairing,
  pairByCodes,
  person,
  safetyDigits,
} from './people';

/** Both safety-number screens show the same 60 digits. */
async function sameSafetyNumber(a: Page, b: Page) {
  for (const p of [a, b]) await p.getByRole('button', { name: 'Safety number' }).click();
  const [na, nb] = [await safetyDigits(a), await safetyDigits(b)];
  expect(na).toMatch(/^\d{60}$/);
  expect(na).toBe(nb);
}

test('two browsers pair by hand with codes, no server, and chat both ways', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await sameSafetyNumber(alice.page, bob.page);
  // After a reload, the contact and the history are still there.
  await bob.page.reload();
  await expect(bob.page.getByRole('list', { name: 'Conversations' })).toContainText('Alice');
  await bob.page.getByRole('button', { name: /^Alice/ }).click();
  await expect(messages(bob.page)).toContainText('Hello Bob, from Alice');
  await expect(messages(bob.page)).toContainText('Hi Alice!');
  await alice.context.close();
  await bob.context.close();
});

test('two browsers pair through the signaling worker with a link; the worker never sees plaintext', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  await openPairing(alice.page);
  await alice.page.getByRole('button', { name: 'Create invite link' }).click();
  const link = await alice.page.getByTestId('invite-link').inputValue();
  expect(link).toMatch(/#join=2\./);
  await expect(alice.page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
  // Bob opens the link on a device that has never run SecMsg: first run, then straight to joining.
  const bobContext = await newPersonContext(browser);
  const bob = { context: bobContext, page: await bobContext.newPage() };
  await bob.page.goto(link);
  await expect(bob.page).not.toHaveURL(/#join/); // the secret left the address bar
  await firstRun(bob.page, 'Bob');
  await expect(bob.page.getByLabel('Paste an invite code or link')).toHaveValue(link);
  await bob.page.getByRole('button', { name: 'Join' }).click();
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  // A link opened (not scanned) proves nothing by itself: not verified until compared.
  await expect(bob.page.getByTestId('verified-state')).toHaveText('Not verified');
  await sameSafetyNumber(alice.page, bob.page);

  // Everything either side sent to the worker was opaque: no SDP, no fingerprint, no ICE credential.
  for (const p of [alice.page, bob.page]) {
    const sent = await p.evaluate(() => (window as unknown as { __signalingSent: string[] }).__signalingSent);
    expect(sent.some((s) => s.startsWith('{"t":"blob"'))).toBe(true);
    for (const frame of sent) {
      expect(frame).not.toContain('v=0');
      expect(frame).not.toContain('a=fingerprint');
      expect(frame).not.toContain('ice-ufrag');
      expect(frame).not.toContain('ice-pwd');
    }
  }

  // The invite is used up: opening it again is refused in a sentence.
  const carol = await person(browser, 'Carol');
  await carol.page.goto(link);
  await carol.page.getByRole('button', { name: 'Join' }).click();
  await expect(carol.page.getByRole('alert')).toContainText('already used', { timeout: 15_000 });
  await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
});
