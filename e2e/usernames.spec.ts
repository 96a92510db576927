/**
 * Usernames (issue 15, item 3): Bob claims a handle; Alice's claim of the same one is refused;
 * Alice adds Bob by it; Bob sees her request with the safety number and accepts; they meet in their
 * new pair's rendezvous and chat both ways; the contact is not verified (and the numbers match);
 * Bob releases the handle and a lookup then finds nobody; lookups beyond the limit are refused with
 * a sentence.
 *
 * The directory counts lookups and claims per client address, and every context here comes from
 * 127.0.0.1. So that this file's counts reach no other journey (nor a second run of this one), its
 * directory requests carry an address of their own, made up for this run, in `CF-Connecting-IP`:
 * the local worker (miniflare) sets that header only when a request has none, and Cloudflare
 * always sets it, so nothing but this test can choose it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { noSeriousViolations } from './axe';
import { WORKER, chatBothWays, openChat, openPairing, person, safetyDigits, type Person } from './people';

const LOOKUP_LIMIT = 20; // src/protocol/directory.ts

/** A made-up client address for one run (a documentation range, RFC 5737, and a random suffix). */
function madeUpAddress(): string {
  return `192.0.2.${randomBytes(1)[0]}-${randomBytes(6).toString('hex')}`;
}

async function useAddress(context: BrowserContext, address: string): Promise<void> {
  await context.route(/\/directory\//, async (route) =>
    route.continue({ headers: { ...route.request().headers(), 'cf-connecting-ip': address } }),
  );
}

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Username' })).toBeVisible();
}

async function claim(page: Page, handle: string): Promise<void> {
  await openSettings(page);
  await page.getByLabel('Username to claim').fill(handle);
  await page.getByRole('button', { name: 'Claim username' }).click();
}

async function addByUsername(page: Page, handle: string): Promise<void> {
  await openPairing(page);
  await page.getByLabel('Their username').fill(handle);
  await page.getByRole('button', { name: 'Send contact request' }).click();
}

test.describe('usernames', () => {
  let alice: Person;
  let bob: Person;
  test.afterEach(async () => {
    await alice?.context.close();
    await bob?.context.close();
  });

  test('claim, request, accept, chat unverified, release; taken handles and too many lookups are refused', async ({
    browser,
  }) => {
    test.setTimeout(150_000);
    [alice, bob] = await Promise.all([person(browser, 'Alice'), person(browser, 'Bob')]);
    const address = madeUpAddress();
    const handle = `bob.${1000 + (randomBytes(2).readUInt16BE(0) % 9000)}`;
    await Promise.all([useAddress(alice.context, address), useAddress(bob.context, address)]);

    // Bob claims the handle; the app suggested a number part for it.
    await openSettings(bob.page);
    await expect(bob.page.getByLabel('Username to claim')).toHaveValue(/^bob\.\d{2}$/);
    await claim(bob.page, `@${handle}`);
    await expect(bob.page.getByTestId('my-username')).toHaveText(
      `You have the username @${handle}. People can send you contact requests with it.`,
    );

    // The same handle is Bob's: Alice's claim is refused with the sentence.
    await claim(alice.page, handle);
    await expect(alice.page.getByRole('alert')).toHaveText(
      'Someone else has this username already; choose another.',
    );

    // Alice adds Bob by his username.
    await addByUsername(alice.page, `@${handle}`);
    await expect(alice.page.getByText(`Contact request sent to @${handle}.`)).toBeVisible({
      timeout: 20_000,
    });

    // Bob sees the request, with Alice's suggested name and the safety number, and accepts.
    await openPairing(bob.page);
    const request = bob.page.getByRole('listitem', { name: 'Contact request from “Alice”' });
    await expect(request).toBeVisible({ timeout: 20_000 });
    await expect(request.getByTestId('request-name')).toHaveText('Alice');
    await expect(request.getByTestId('request-safety-number')).toHaveText(/^(\d{5} ){12}$/);
    const requestDigits = ((await request.getByTestId('request-safety-number').textContent()) ?? '').replace(
      /\s/g,
      '',
    );
    await noSeriousViolations(bob.page, 'pairing: a contact request');
    await request.getByRole('button', { name: 'Accept the contact request from Alice' }).click();

    // They meet in their pair's rendezvous: Alice's contact takes the name Bob announces.
    await openChat(alice.page, 'Bob');
    await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

    // Not verified on either side, and the number Bob saw with the request is the one they compare.
    for (const p of [alice.page, bob.page]) {
      await expect(p.getByTestId('verified-state')).toHaveText('Not verified');
    }
    await alice.page.getByRole('button', { name: 'Safety number' }).click();
    expect(await safetyDigits(alice.page)).toBe(requestDigits);

    // Bob releases the handle: a lookup then finds nobody.
    await openSettings(bob.page);
    await bob.page.getByRole('button', { name: 'Release username' }).click();
    await expect(bob.page.getByText('The username was released. Anyone may claim it now.')).toBeVisible();
    await expect(bob.page.getByLabel('Username to claim')).toBeVisible();
    await addByUsername(alice.page, handle);
    await expect(alice.page.getByRole('alert')).toHaveText(
      'Nobody has this username: it was never claimed, or it was released or expired.',
    );

    // Lookups beyond the limit (this run's address; the window counts held and missing handles
    // alike) are refused with a sentence that says when to try again.
    const hash = createHash('sha256').update(`SecMsg/0.1 handle${handle}`).digest('base64url');
    let refused = false;
    for (let i = 0; i < LOOKUP_LIMIT && !refused; i++) {
      const response = await alice.context.request.get(`${WORKER}/directory/${hash}`, {
        headers: { 'cf-connecting-ip': address },
      });
      refused = response.status() === 429;
    }
    expect(refused).toBe(true);
    await addByUsername(alice.page, handle);
    await expect(alice.page.getByRole('alert')).toHaveText(
      /^Too many usernames were looked up from this network; try again in \d+ minutes?\.$/,
    );
  });
});
