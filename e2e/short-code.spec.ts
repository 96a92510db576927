/**
 * Pairing by a short code read aloud (issue 15): Alice makes a code, Bob types it.
 * - The right code gives both a verified contact and a chat.
 * - A wrong code gives both "the codes did not match" and no contact.
 * - A worker in the middle that swaps CPace's messages for its own (a test relay on the nameplate
 *   WebSockets, which knows nothing of the code) makes pairing fail on both sides as possible
 *   interception, and no contact is made.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { chatBothWays, openPairing, person, type Person } from './people';

async function makeCode(page: Page): Promise<string> {
  await openPairing(page);
  await page.getByRole('button', { name: 'Make a short code' }).click();
  const code = page.getByTestId('short-code');
  await expect(code).toHaveText(/^\d+-[a-z]+-[a-z]+$/);
  await expect(page.getByText('Waiting for them to type it…')).toBeVisible();
  return (await code.textContent())!;
}

async function typeCode(page: Page, code: string): Promise<void> {
  await openPairing(page);
  await page.getByLabel('Type the code they read out').fill(code);
  await page.getByRole('button', { name: 'Pair with this code' }).click();
}

async function expectNoContact(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Conversations' }).click();
  await expect(page.getByText('No conversations yet.')).toBeVisible();
}

/** Swaps the CPace share in every first and second message through the nameplate for another point. */
async function swapSharesInTheMiddle(context: BrowserContext): Promise<{ swapped: () => number }> {
  let swapped = 0;
  const substitute = (message: string | Buffer): string | Buffer => {
    if (typeof message !== 'string') return message;
    const parsed = JSON.parse(message) as { t?: string; d?: string };
    if (parsed.t !== 'pake' || typeof parsed.d !== 'string') return message;
    const bytes = Buffer.from(parsed.d, 'base64url');
    // m1 = version ‖ sid (16) ‖ Ya (32); m2 = Yb (32) ‖ h (32) ‖ tag (32) (src/protocol/short-code.ts)
    const at = bytes.length === 49 ? 17 : bytes.length === 96 ? 0 : -1;
    if (at < 0) return message;
    bytes.set(ristretto255.Point.BASE.multiply(BigInt(1000 + swapped)).toBytes(), at);
    swapped++;
    return JSON.stringify({ t: 'pake', d: bytes.toString('base64url') });
  };
  await context.routeWebSocket(/\/nameplates/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(substitute(m)));
    server.onMessage((m) => ws.send(substitute(m)));
  });
  return { swapped: () => swapped };
}

test.describe('pairing by a short code', () => {
  let alice: Person;
  let bob: Person;
  test.afterEach(async () => {
    await alice?.context.close();
    await bob?.context.close();
  });

  test('the right code gives both a verified contact and a chat', async ({ browser }) => {
    alice = await person(browser, 'Alice');
    bob = await person(browser, 'Bob');
    const code = await makeCode(alice.page);
    // Completion from the word list while typing the first word.
    await openPairing(bob.page);
    const [number, first] = code.split('-');
    await bob.page.getByLabel('Type the code they read out').fill(`${number}-${first!.slice(0, 3)}`);
    await expect(bob.page.locator('datalist option').first()).toHaveAttribute(
      'value',
      new RegExp(`^${number}-`),
    );
    await typeCode(bob.page, code);
    await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
    await expect(alice.page.getByTestId('verified-state')).toHaveText('Verified');
    await expect(bob.page.getByTestId('verified-state')).toHaveText('Verified');
  });

  test('a wrong code fails on both sides and makes no contact', async ({ browser }) => {
    alice = await person(browser, 'Alice');
    bob = await person(browser, 'Bob');
    const code = await makeCode(alice.page);
    const [number, first, second] = code.split('-');
    // Another second word from the list: the right number, a wrong code.
    const wrong = second === 'adroitness' ? 'adviser' : 'adroitness';
    await typeCode(bob.page, `${number}-${first}-${wrong}`);
    for (const page of [alice.page, bob.page]) {
      await expect(page.getByRole('alert')).toContainText('The codes did not match', { timeout: 20_000 });
      await expectNoContact(page);
    }
  });

  test('a worker that swaps the CPace messages is reported as possible interception', async ({ browser }) => {
    alice = await person(browser, 'Alice');
    bob = await person(browser, 'Bob');
    // The relay sits on Alice's side of the worker: it sees every nameplate message both ways.
    const relay = await swapSharesInTheMiddle(alice.context);
    const code = await makeCode(alice.page);
    await typeCode(bob.page, code);
    for (const page of [alice.page, bob.page]) {
      await expect(page.getByRole('alert')).toContainText('someone may be intercepting', { timeout: 20_000 });
      await expectNoContact(page);
    }
    // Alice's m1 and Bob's m2 went through the relay and were swapped.
    expect(relay.swapped()).toBe(2);
  });
});
