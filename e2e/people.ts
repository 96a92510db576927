/**
 * People for the journeys: a browser context with host-only ICE (no STUN on this network) and the
 * local signaling worker, on the app, through its first run. And screenshots of a screen at
 * phone and laptop width, written as test artifacts.
 */
import { expect, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

export const WORKER = 'http://127.0.0.1:8787';
/** Where the built app is served (playwright.config.ts's preview server). */
export const APP_URL = process.env['SECMSG_APP_URL'] ?? 'http://127.0.0.1:4173';

export interface Person {
  context: BrowserContext;
  page: Page;
}

/** Settings every journey uses; optionally records what the page sends to the signaling worker. */
export interface PersonOptions {
  permissions?: string[];
  /** The signaling worker's URL (default WORKER). */
  signalingUrl?: string;
}

export async function newPersonContext(browser: Browser, options: PersonOptions = {}) {
  const context = await browser.newContext({
    baseURL: APP_URL,
    ...(options.permissions ? { permissions: options.permissions } : {}),
  });
  await context.addInitScript(
    ([url]) => {
      if (localStorage.getItem('secmsg.signalingUrl') === null) {
        localStorage.setItem('secmsg.signalingUrl', url!);
        localStorage.setItem('secmsg.iceServers', '[]');
      }
      // Every RTCPeerConnection the page makes, so that a test can tear connections down.
      const pcs: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          pcs.push(this);
        }
      };
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
    [options.signalingUrl ?? WORKER],
  );
  return context;
}

/** Picks a name on the first-run screen and waits for the conversation list. */
export async function firstRun(page: Page, name: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Start' }).click();
}

/** A new person on the app's first run, ending on the conversation list. */
export async function person(browser: Browser, name: string, options: PersonOptions = {}): Promise<Person> {
  const context = await newPersonContext(browser, options);
  const page = await context.newPage();
  await page.goto('/');
  await firstRun(page, name);
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  return { context, page };
}

export async function openPairing(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Pair' }).click();
  await expect(page.getByRole('heading', { name: 'Pair with someone' })).toBeVisible();
}

/** Pairs two people with invite and answer codes (no server), ending in both chats. */
export async function pairByCodes(inviter: Page, joiner: Page): Promise<void> {
  await openPairing(inviter);
  await openPairing(joiner);
  await inviter.getByRole('button', { name: 'Create invite code (no server)' }).click();
  const invite = await inviter.getByTestId('invite-code').inputValue();
  await joiner.getByLabel('Paste an invite code or link').fill(invite);
  await joiner.getByRole('button', { name: 'Join' }).click();
  const answer = await joiner.getByTestId('answer-code').inputValue();
  await inviter.getByLabel('2. Paste their answer code').fill(answer);
  await inviter.getByRole('button', { name: 'Connect' }).click();
}

export async function expectChatWith(page: Page, name: string): Promise<void> {
  await expect(page.getByRole('heading', { name: `Chat with ${name}` })).toBeVisible({ timeout: 30_000 });
}

/** Opens the chat with `name` from wherever the page is (a no-op when it is already open). */
export async function openChat(page: Page, name: string): Promise<void> {
  if (await page.getByRole('heading', { name: `Chat with ${name}` }).isVisible()) return;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Conversations' }).click();
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await expectChatWith(page, name);
}

export async function say(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

export function messages(page: Page) {
  return page.getByRole('list', { name: 'Messages' });
}

/** Sends one message each way and waits for both to arrive and be acknowledged. */
export async function chatBothWays(a: Page, b: Page, aName: string, bName: string): Promise<void> {
  await expectChatWith(a, bName);
  await expectChatWith(b, aName);
  await say(a, `Hello ${bName}, from ${aName}`);
  await expect(messages(b)).toContainText(`Hello ${bName}, from ${aName}`);
  await say(b, `Hi ${aName}!`);
  await expect(messages(a)).toContainText(`Hi ${aName}!`);
  await expect(messages(a).getByText('Delivered')).toHaveCount(1);
  await expect(messages(b).getByText('Delivered')).toHaveCount(1);
}

/** The 60 digits on the safety-number screen (which must be open). */
export async function safetyDigits(page: Page): Promise<string> {
  await expect(page.getByTestId('safety-number')).toHaveText(/\d{5}/);
  return ((await page.getByTestId('safety-number').textContent()) ?? '').replace(/\s/g, '');
}

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1280, height: 800 };

/** Screenshots of the current screen at phone and laptop width, attached to the test's report. */
export async function screenshots(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const original = page.viewportSize();
  for (const [label, size] of [
    ['phone', PHONE],
    ['laptop', LAPTOP],
  ] as const) {
    await page.setViewportSize(size);
    const path = testInfo.outputPath(`${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach(`${name} (${label})`, { path, contentType: 'image/png' });
  }
  if (original) await page.setViewportSize(original);
}
