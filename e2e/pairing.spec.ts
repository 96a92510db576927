import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';

const WORKER = 'http://127.0.0.1:8787';

/** A fresh profile with host-only ICE (no STUN on this network) and the local worker. */
async function person(browser: Browser, name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.addInitScript(
    ([url]) => {
      localStorage.setItem('secmsg.signalingUrl', url!);
      localStorage.setItem('secmsg.iceServers', '[]');
      // Keep a copy of every frame the app sends to the signaling worker, for the no-plaintext check.
      const sent: string[] = [];
      (window as unknown as { __signalingSent: string[] }).__signalingSent = sent;
      const original = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'send')!;
      const send = original.value as (
        this: WebSocket,
        data: string | ArrayBufferLike | Blob | ArrayBufferView,
      ) => void;
      WebSocket.prototype.send = function (this: WebSocket, data) {
        if (typeof data === 'string') sent.push(data);
        send.call(this, data);
      };
    },
    [WORKER],
  );
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Your name').fill(name);
  return { context, page };
}

async function chatBothWays(a: Page, b: Page, aName: string, bName: string): Promise<void> {
  await expect(a.getByRole('heading', { name: `Chat with ${bName}` })).toBeVisible({ timeout: 30_000 });
  await expect(b.getByRole('heading', { name: `Chat with ${aName}` })).toBeVisible({ timeout: 30_000 });
  await a.getByRole('textbox', { name: 'Message' }).fill(`Hello ${bName}, from ${aName}`);
  await a.getByRole('button', { name: 'Send' }).click();
  await expect(b.getByRole('list', { name: 'Messages' })).toContainText(`Hello ${bName}, from ${aName}`);
  await b.getByRole('textbox', { name: 'Message' }).fill(`Hi ${aName}! <b>not bold</b>`);
  await b.getByRole('button', { name: 'Send' }).click();
  await expect(a.getByRole('list', { name: 'Messages' })).toContainText(`Hi ${aName}! <b>not bold</b>`);
  // The same safety number on both screens.
  const digits = async (p: Page) => (await p.getByTestId('safety-number').textContent())?.replace(/\s/g, '');
  const [na, nb] = [await digits(a), await digits(b)];
  expect(na).toMatch(/^\d{60}$/);
  expect(na).toBe(nb);
}

test('two browsers pair by hand with codes, no server, and chat both ways', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await alice.page.getByRole('button', { name: 'Create invite code (no server)' }).click();
  const invite = await alice.page.getByTestId('invite-code').inputValue();
  expect(invite.length).toBeGreaterThan(40);
  await expect(alice.page.getByRole('img', { name: 'QR code of the invite code' })).toBeVisible();
  await bob.page.getByLabel('Paste an invite code or link').fill(invite);
  await bob.page.getByRole('button', { name: 'Join' }).click();
  const answer = await bob.page.getByTestId('answer-code').inputValue();
  await alice.page.getByLabel('2. Paste their answer code').fill(answer);
  await alice.page.getByRole('button', { name: 'Connect' }).click();
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await alice.context.close();
  await bob.context.close();
});

test('two browsers pair through the signaling worker with a link; the worker never sees plaintext', async ({
  browser,
}) => {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await alice.page.getByRole('button', { name: 'Create invite link' }).click();
  const link = await alice.page.getByTestId('invite-link').inputValue();
  expect(link).toMatch(/#join=1\./);
  await expect(alice.page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
  await bob.page.goto(link);
  await bob.page.getByLabel('Your name').fill('Bob');
  await expect(bob.page.getByLabel('Paste an invite code or link')).toHaveValue(link);
  await expect(bob.page).not.toHaveURL(/#join/); // the secret left the address bar
  await bob.page.getByRole('button', { name: 'Join' }).click();
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

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
