/**
 * People for the Firefox journeys (scripts/firefox-journeys.ts), driven by puppeteer-core: the same
 * steps as e2e/people.ts, by role and visible text, on a page of any browser puppeteer drives
 * (Firefox over WebDriver BiDi, Chromium over CDP). Roles and names are found in the browser's own
 * accessibility tree (puppeteer's `::-p-aria` selector). Each person is a browser context of their
 * own, on host-only ICE (no STUN on this network) and the journeys' signaling worker.
 *
 * Every wait polls until its deadline and then throws a StepError that says what was missing.
 */
import type { Browser, BrowserContext, ElementHandle, Page } from 'puppeteer-core';

export class StepError extends Error {
  override readonly name = 'StepError';
}

/** How long a screen may take to show; connecting (ICE, the handshake) gets CONNECT_TIMEOUT_MS. */
export const STEP_TIMEOUT_MS = 20_000;
export const CONNECT_TIMEOUT_MS = 30_000;

export interface Person {
  name: string;
  /** "Firefox" or "Chromium", for the step lines. */
  browserName: string;
  context: BrowserContext;
  page: Page;
}

export interface Where {
  appUrl: string;
  workerUrl: string;
  /** Errors the pages reported (uncaught, or written with console.error), with who saw them. */
  problems: string[];
}

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `find` until it returns something, or throws "`what` … within N s". */
export async function waitFor<T>(
  what: string,
  find: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== null && found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new StepError(`${what} did not happen within ${timeoutMs / 1000} s.`);
    await sleep(150);
  }
}

type Scope = Page | ElementHandle;

/** The first element with this ARIA role and exactly this accessible name, or null. */
export async function byRole(scope: Scope, role: string, name: string): Promise<ElementHandle | null> {
  return scope.$(`::-p-aria([name=${JSON.stringify(name)}][role=${JSON.stringify(role)}])`);
}

export async function waitForRole(
  page: Page,
  role: string,
  name: string,
  timeoutMs = STEP_TIMEOUT_MS,
  scope: Scope = page,
): Promise<ElementHandle> {
  return waitFor(`The ${role} "${name}" showing`, async () => byRole(scope, role, name), timeoutMs);
}

/**
 * Clicks the element with this role and name once it is the one a pointer would hit at its centre
 * (as Playwright waits for it): not covered by a toast, a dialog or a moving layout.
 */
export async function click(page: Page, role: string, name: string, scope: Scope = page): Promise<void> {
  const element = await waitForRole(page, role, name, STEP_TIMEOUT_MS, scope);
  let covering = '';
  await waitFor(`The ${role} "${name}" clickable`, async () => {
    await element.scrollIntoView();
    covering = await element.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
      if (hit !== null && (hit === el || el.contains(hit))) return '';
      return hit
        ? `${hit.tagName.toLowerCase()} "${(hit as HTMLElement).innerText.slice(0, 60)}"`
        : 'nothing';
    });
    return covering === '';
  }).catch((e: unknown) => {
    throw new StepError(`The ${role} "${name}" stays covered by ${covering}.`, { cause: e });
  });
  await element.click();
}

/**
 * Replaces what a text field holds with `text`, as Playwright's fill does: the value set and an
 * input event, as when text is pasted (typing key by key over BiDi costs a round trip a key).
 */
export async function fill(page: Page, label: string, text: string): Promise<void> {
  const field = await waitForRole(page, 'textbox', label);
  await field.focus();
  await field.evaluate((el, value) => {
    const input = el as HTMLInputElement | HTMLTextAreaElement;
    const proto =
      input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(input, value);
    input.dispatchEvent(
      new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste', data: value }),
    );
  }, text);
  const typed = await field.evaluate((el) => (el as HTMLInputElement).value);
  if (typed !== text)
    throw new StepError(`The field "${label}" holds ${JSON.stringify(typed)} after filling.`);
}

async function innerText(scope: ElementHandle | null): Promise<string> {
  return scope ? scope.evaluate((el) => (el as HTMLElement).innerText) : '';
}

export async function testIdText(page: Page, testId: string): Promise<string> {
  return innerText(await page.$(`[data-testid=${JSON.stringify(testId)}]`));
}

/** What the page says, to end a failure message with. */
export async function pageText(page: Page): Promise<string> {
  try {
    return (await page.evaluate(() => document.body.innerText)).trim().slice(0, 1_500);
  } catch {
    return '(unreadable)';
  }
}

/** Settings every journey uses, put in place before the app's first script runs on each page. */
async function settings(page: Page, workerUrl: string): Promise<void> {
  await page.evaluateOnNewDocument((url: string) => {
    if (localStorage.getItem('secmsg.signalingUrl') === null) {
      localStorage.setItem('secmsg.signalingUrl', url);
      localStorage.setItem('secmsg.iceServers', '[]');
    }
  }, workerUrl);
}

/**
 * A page in `context` with the journeys' settings, on `url`: in a window of its own, so that it is
 * visible as on a device of its own (a background tab has its timers slowed and is "hidden").
 */
export async function openPage(
  context: BrowserContext,
  where: Where,
  who: string,
  url = where.appUrl,
): Promise<Page> {
  const page = await context.newPage({ type: 'window' });
  page.on('pageerror', (e) => where.problems.push(`${who}: uncaught ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error') where.problems.push(`${who}: console.error ${m.text()}`);
  });
  await settings(page, where.workerUrl);
  await page.goto(url);
  const visibility = await page.evaluate(() => document.visibilityState);
  if (visibility !== 'visible') throw new StepError(`The new page is ${visibility}, not visible.`);
  return page;
}

/** Picks a name on the first-run screen and presses Start. */
export async function firstRun(page: Page, name: string): Promise<void> {
  await waitForRole(page, 'heading', 'Welcome to SecMsg');
  await fill(page, 'Your name', name);
  await click(page, 'button', 'Start');
}

/**
 * A new person (a context of their own) through the app's first run, on the conversation list.
 * Added to `cast` as soon as their page is open, so that a failure can show what it reads.
 */
export async function person(
  browser: Browser,
  browserName: string,
  name: string,
  where: Where,
  cast: Person[],
): Promise<Person> {
  const context = await browser.createBrowserContext();
  const page = await openPage(context, where, `${name} (${browserName})`);
  const p: Person = { name, browserName, context, page };
  cast.push(p);
  await firstRun(p.page, name);
  await waitForRole(p.page, 'heading', 'Conversations');
  return p;
}

async function mainNav(page: Page): Promise<ElementHandle> {
  return waitForRole(page, 'navigation', 'Main');
}

export async function openPairing(page: Page): Promise<void> {
  await click(page, 'button', 'Pair', await mainNav(page));
  await waitForRole(page, 'heading', 'Pair with someone');
}

/** The inviter makes an invite link through the worker; returns the link. */
export async function createInviteLink(page: Page): Promise<string> {
  await openPairing(page);
  await click(page, 'button', 'Create invite link');
  const field = await waitFor('The invite link showing', async () => page.$('[data-testid="invite-link"]'));
  const link = await waitFor('The invite link filled in', async () =>
    field.evaluate((el) => (el as HTMLInputElement).value),
  );
  if (!/#join=2\./.test(link)) throw new StepError(`The invite link "${link}" is not a SecMsg join link.`);
  // By name only: browsers give <img> different role names in their trees (Firefox: not "img").
  await waitFor('The QR code of the invite link drawn', async () => {
    const qr = await page.$('::-p-aria(QR code of the invite link)');
    return qr?.evaluate((el) => el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0);
  });
  return link;
}

/** Someone who never ran SecMsg opens the link: first run, then Join. */
export async function joinByLink(
  browser: Browser,
  browserName: string,
  name: string,
  link: string,
  where: Where,
  cast: Person[],
): Promise<Person> {
  const context = await browser.createBrowserContext();
  const page = await openPage(context, where, `${name} (${browserName})`, link);
  cast.push({ name, browserName, context, page });
  await waitFor('The secret leaving the address bar', () => !page.url().includes('#join'));
  await firstRun(page, name);
  const field = await waitForRole(page, 'textbox', 'Paste an invite code or link');
  const value = await field.evaluate((el) => (el as HTMLInputElement).value);
  if (value !== link)
    throw new StepError(`The join field holds ${JSON.stringify(value)}, not the link opened.`);
  await click(page, 'button', 'Join');
  return cast[cast.length - 1]!;
}

export async function expectChatWith(page: Page, name: string): Promise<void> {
  await waitForRole(page, 'heading', `Chat with ${name}`, CONNECT_TIMEOUT_MS);
}

/** Opens the chat with `name` from wherever the page is (a no-op when it is already open). */
export async function openChat(page: Page, name: string): Promise<void> {
  if (await byRole(page, 'heading', `Chat with ${name}`)) return;
  await click(page, 'button', 'Conversations', await mainNav(page));
  const list = await waitForRole(page, 'list', 'Conversations');
  const entry = await waitFor(`The conversation with ${name} in the list`, async () => {
    for (const button of await list.$$('::-p-aria([role="button"])')) {
      // The entry's text starts with the avatar's initials (hidden from assistive technology),
      // then the name.
      const lines = (await innerText(button)).split('\n').map((l) => l.trim());
      if (lines.slice(0, 2).some((l) => l.startsWith(name))) return button;
    }
    return null;
  });
  await entry.click();
  await expectChatWith(page, name);
}

/** Writes and sends a message; waits until it shows in the sender's own list. */
export async function say(page: Page, text: string): Promise<void> {
  await fill(page, 'Message', text);
  await click(page, 'button', 'Send');
  await waitFor(`"${text}" showing in the sender's own list`, async () =>
    (await messages(page)).some((m) => m.includes(text)),
  );
}

/** The texts of the messages in the open chat, one a list item. */
export async function messages(page: Page): Promise<string[]> {
  const list = await byRole(page, 'list', 'Messages');
  if (!list) return [];
  return list.$$eval('li', (items) => items.map((li) => (li as HTMLElement).innerText));
}

/** Waits until the message with `text` shows on `page`, and `mark` beside it when given. */
export async function expectMessage(
  page: Page,
  text: string,
  mark?: 'Queued' | 'Sent' | 'Delivered',
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<void> {
  const what = mark ? `"${text}" showing as ${mark}` : `"${text}" arriving`;
  await waitFor(
    what,
    async () => (await messages(page)).some((m) => m.includes(text) && (!mark || m.includes(mark))),
    timeoutMs,
  );
}

/** Sends one message each way and waits for both to arrive and be acknowledged. */
export async function chatBothWays(a: Person, b: Person, round = ''): Promise<void> {
  await expectChatWith(a.page, b.name);
  await expectChatWith(b.page, a.name);
  const there = `Hello ${b.name}, from ${a.name}${round}`;
  const back = `Hi ${a.name}!${round}`;
  await say(a.page, there);
  await expectMessage(b.page, there);
  await say(b.page, back);
  await expectMessage(a.page, back);
  await expectMessage(a.page, there, 'Delivered');
  await expectMessage(b.page, back, 'Delivered');
}

/** Opens the safety-number screen and reads its 60 digits. */
export async function safetyDigits(page: Page): Promise<string> {
  await click(page, 'button', 'Safety number');
  const text = await waitFor('The safety number showing', async () => {
    const t = await testIdText(page, 'safety-number');
    return /\d{5}/.test(t) ? t : null;
  });
  const digits = text.replace(/\s/g, '');
  if (!/^\d{60}$/.test(digits)) throw new StepError(`The safety number reads "${text}", not 60 digits.`);
  return digits;
}

/** Both sides show the same 60 digits; returns them. Leaves both on their chat again. */
export async function sameSafetyNumber(a: Person, b: Person): Promise<string> {
  const [da, db] = [await safetyDigits(a.page), await safetyDigits(b.page)];
  if (da !== db) {
    throw new StepError(
      `The safety numbers differ: ${a.name} (${a.browserName}) sees ${da}, ${b.name} (${b.browserName}) sees ${db}.`,
    );
  }
  for (const p of [a.page, b.page]) await click(p, 'button', 'Back to the chat');
  return da;
}

const CONNECTED = /Connected securely/;

export async function expectConnected(page: Page, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  await waitFor(
    'The chat saying "Connected securely"',
    async () => CONNECTED.test(await testIdText(page, 'connection-state')),
    timeoutMs,
  );
}

export async function expectNotConnected(page: Page, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    'The chat no longer saying "Connected securely"',
    async () => !CONNECTED.test(await testIdText(page, 'connection-state')),
    timeoutMs,
  );
}

/**
 * `from` sends the file at `path` (called `name`; small enough to be accepted at once, at most
 * 16 MiB) through the chat's file input, and waits until `to` shows "Save name". Resolves to the
 * SHA-256 (hex) of the bytes `to`'s app keeps for it, read in its page from the Origin Private File
 * System, where received files are written (src/store/opfs-file-storage.ts).
 */
export async function sendFile(from: Person, to: Person, path: string, name: string): Promise<string> {
  const input = await waitFor('The file input "Choose a file to send"', async () =>
    from.page.$('input[type="file"][aria-label="Choose a file to send"]'),
  );
  await input.uploadFile(path);
  await waitForRole(to.page, 'button', `Save ${name}`, 60_000);
  return to.page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = (await root.getDirectoryHandle('secmsg-files')) as unknown as {
      entries(): AsyncIterable<[string, FileSystemHandle]>;
    };
    for await (const [entry, handle] of dir.entries()) {
      if (!entry.startsWith('in-') || handle.kind !== 'file') continue;
      const bytes = await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    }
    return '';
  });
}
