/**
 * A signaling party in the middle that terminates DTLS itself (its own certificate toward each
 * side) and relays the DataChannel bytes. Both SecMsg handshakes must fail with the "may be
 * intercepted" error, and nothing may be delivered.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { openPairing, person as newPerson } from './people';
import { serveTestPages, type TestPages } from './test-pages';

let pages: TestPages | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  pages = await serveTestPages();
});

test.afterAll(async () => {
  await pages?.close();
});

async function person(browser: Browser, name: string): Promise<Page> {
  const { page } = await newPerson(browser, name);
  await openPairing(page);
  return page;
}

test('a relay in the middle with its own DTLS makes both handshakes fail as possible interception', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  const mallory = await (await browser.newContext()).newPage();
  await mallory.goto(pages!.url('relay'));
  await mallory.waitForFunction(() => 'relay' in window);

  // Alice's invite goes to Mallory, who answers it herself …
  await alice.getByRole('button', { name: 'Create invite code (no server)' }).click();
  const aliceInvite = await alice.getByTestId('invite-code').inputValue();
  const answerForAlice = await mallory.evaluate(async (code) => window.relay.answerAlice(code), aliceInvite);
  await alice.getByLabel('2. Paste their answer code').fill(answerForAlice);
  await alice.getByRole('button', { name: 'Connect' }).click();

  // … and hands Bob an invite of her own.
  const malloryInvite = await mallory.evaluate(async () => window.relay.offerBob());
  await bob.getByLabel('Paste an invite code or link').fill(malloryInvite);
  await bob.getByRole('button', { name: 'Join' }).click();
  const bobAnswer = await bob.getByTestId('answer-code').inputValue();
  await mallory.evaluate((code) => window.relay.acceptBob(code), bobAnswer);

  for (const p of [alice, bob]) {
    await expect(p.getByRole('alert')).toContainText('may be intercepted', { timeout: 30_000 });
    await expect(p.getByRole('heading', { name: /^Chat with/ })).toHaveCount(0);
  }
  // The relay did carry the handshake (so the failure is the protocol's doing, not a dead link).
  const relayed = await mallory.evaluate(() => window.relay.relayed());
  expect(relayed.toBob).toBeGreaterThanOrEqual(1);
  expect(relayed.toAlice).toBeGreaterThanOrEqual(1);
});
