/**
 * The README's screenshots: every screen at phone (390×844) and laptop (1280×800) width, written to
 * docs/screenshots/ as `<screen>-phone.png` and `<screen>-laptop.png` (the viewport only).
 *
 *   npm run screenshots [-- --verbose --timeout 600]
 *
 * A story with three people, each a browser context of its own: Alice starts, invites Bob with a
 * link (he opens it on a new device) and Carol with codes (no server); they chat (a reply, a
 * reaction, an edit, Read marks), Alice compares the safety number with Bob and marks him
 * verified, looks at her list (previews, Carol's unread messages), searches, opens the inspector,
 * the security log and Settings (diagnostics), sees it dark, and finally Carol starts a new
 * identity, so Alice's chat with her shows the key-change warning. Then the screens that only show
 * when something fails, with the faults of e2e/faults.ts: Alice opens SecMsg in a second tab (it
 * waits), her chat throws as it is drawn (the screen's error boundary), a newer build of the service
 * worker waits (the update offer); in one more context, Dan's storage would not open, and then his
 * identity cannot be read.
 *
 * Against the app as it is now, built and served by bench/local-app.ts (a production build in a
 * temporary directory, its own `vite preview` and `wrangler dev` on ports 9200–9299, stopped by
 * PID): dist/ and the shared ports 4173/8787 are left alone. Debian's Chromium as e2e/chromium.ts
 * launches it. Screens are found by role and visible text. What is fixed so that reruns give
 * comparable pictures: the words, the clock (every page believes the story starts at 09:41 on
 * 13 March 2026, UTC, en-US), no animations, no caret. Keys, and with them the safety number, the
 * QR codes and the avatar colours, are new every run.
 *
 * The reactions need a colour emoji font (Debian: fonts-noto-color-emoji), or they show as boxes.
 * The PNGs are shrunk to a palette with sharp (a dev dependency). The people, sizes, clock and
 * steps are in scripts/screenshot-story.ts.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, expect, type Browser } from '@playwright/test';
import { LocalApp } from '../bench/local-app';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { breakTextareas, failIdentityReads, failOpenWhileFlagged, setFault } from '../e2e/faults';
import { expectChatWith, firstRun, messages, say } from '../e2e/people';
import {
  OUT_DIR,
  PREVIEW_PORTS,
  WORKER_PORTS,
  STORY_START,
  type Person,
  Story,
  goTo,
  bubble,
  messageAction,
  openChat,
  toNewest,
  keepName,
  connected,
} from './screenshot-story';

async function run(story: Story): Promise<void> {
  // First run.
  const alice = await story.person('Alice');
  const a = alice.page;
  await expect(a.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await a.getByLabel('Your name').fill('Alice');
  await story.shot(a, 'welcome');
  await a.getByRole('button', { name: 'Start' }).click();
  await expect(a.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await story.shot(a, 'list-empty');

  // Bob: an invite link, opened on a device that never ran SecMsg.
  await goTo(a, 'Pair');
  await story.shot(a, 'pair');
  await a.getByRole('button', { name: 'Create invite link' }).click();
  await expect(a.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
  const link = await a.getByTestId('invite-link').inputValue();
  await story.shot(a, 'pair-invite');
  const bob = await story.person('Bob', link);
  const b = bob.page;
  await firstRun(b, 'Bob');
  await expect(b.getByLabel('Paste an invite code or link')).toHaveValue(link);
  await story.shot(b, 'pair-join');
  await b.getByRole('button', { name: 'Join' }).click();
  await expectChatWith(a, 'Bob');
  await expectChatWith(b, 'Alice');
  await Promise.all([connected(a), connected(b)]);
  await story.shot(a, 'chat-new');
  await Promise.all([keepName(a), keepName(b)]);

  // Carol: codes, no server.
  const carol = await story.person('Carol');
  const c = carol.page;
  await firstRun(c, 'Carol');
  await expect(c.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await goTo(a, 'Pair');
  await goTo(c, 'Pair');
  await a.getByRole('button', { name: 'Create invite code (no server)' }).click();
  const invite = await a.getByTestId('invite-code').inputValue();
  await story.shot(a, 'pair-code');
  await c.getByLabel('Paste an invite code or link').fill(invite);
  await c.getByRole('button', { name: 'Join' }).click();
  const answer = await c.getByTestId('answer-code').inputValue();
  await story.shot(c, 'pair-answer');
  await a.getByLabel('2. Paste their answer code').fill(answer);
  await a.getByRole('button', { name: 'Connect' }).click();
  await expectChatWith(a, 'Carol');
  await expectChatWith(c, 'Alice');
  await Promise.all([connected(a), connected(c)]);
  await Promise.all([keepName(a), keepName(c)]);
  await story.advance(2);
  await say(c, 'Hi Alice, it’s Carol. Finally on something private!');
  await expect(messages(a)).toContainText('Finally on something private');
  await story.advance(1);
  await say(a, 'Welcome! Much better than email.');
  await expect(messages(c)).toContainText('Much better than email');

  // Alice and Bob chat: a reply, a reaction, an edit; both have the chat open, so Read marks.
  await openChat(a, 'Bob');
  await story.advance(14);
  await say(b, 'Hi Alice! Are we still on for tomorrow?');
  await expect(messages(a)).toContainText('still on for tomorrow');
  await story.advance(2);
  await say(a, 'Yes! The farmers’ market opens at 8.');
  await expect(messages(b)).toContainText('farmers’ market opens at 8');
  await say(a, 'Meet at the fountain at nine?');
  await expect(messages(b)).toContainText('fountain at nine');
  await story.advance(1);
  await messageAction(b, 'farmers’ market opens at 8', 'Reply');
  await say(b, 'Perfect, I’ll bring the big basket.');
  await expect(messages(a)).toContainText('bring the big basket');
  await messageAction(a, 'bring the big basket', 'React with ❤️');
  await expect(bubble(b, 'bring the big basket').getByRole('list', { name: 'Reactions' })).toContainText(
    '❤️',
  );
  await messageAction(a, 'fountain at nine', 'Edit');
  await a.getByRole('textbox', { name: 'Message' }).fill('Meet at the fountain at half past nine?');
  await a.getByRole('button', { name: 'Send' }).click();
  await expect(bubble(b, 'fountain at half past nine')).toContainText('edited');
  await story.advance(1);
  await say(b, 'Half past nine it is. See you there!');
  await expect(messages(a)).toContainText('See you there');
  await expect(bubble(a, 'fountain at half past nine').getByText('Read', { exact: true })).toBeVisible();

  // Carol writes while Alice reads Bob's chat: unread on Alice's list.
  await story.advance(3);
  await say(c, 'Did you get the photos from the trip?');
  await say(c, 'The one at the lighthouse is my favourite.');
  await expect(messages(c).getByText('Delivered')).toHaveCount(3, { timeout: 15_000 });

  // The safety number, before and after.
  await a.getByRole('button', { name: 'Safety number' }).click();
  await expect(a.getByTestId('safety-number')).toHaveText(/\d{5}/);
  await story.shot(a, 'safety');
  await a.getByRole('button', { name: 'The numbers match' }).click();
  await expect(a.getByTestId('verified-state')).toHaveText('Verified');
  await story.shot(a, 'safety-verified');
  await a.getByRole('button', { name: 'Back to the chat' }).click();
  await expectChatWith(a, 'Bob');

  // The chat, its message actions, the inspector and the security log.
  await expect(a.getByTestId('verified-state')).toHaveText('Verified');
  await story.shot(a, 'chat', async () => toNewest(a));
  const menuOn = bubble(a, 'bring the big basket');
  await menuOn.getByRole('button', { name: 'More actions for this message' }).click();
  await expect(menuOn.getByRole('group', { name: 'Message actions' })).toBeVisible();
  await story.shot(a, 'message-actions', async () => {
    await toNewest(a);
    await menuOn.getByRole('group', { name: 'Message actions' }).scrollIntoViewIfNeeded();
  });
  await a.keyboard.press('Escape');
  await a.getByRole('button', { name: 'Inspector' }).click();
  await expect(a.getByRole('button', { name: 'Inspector' })).toHaveAttribute('aria-expanded', 'true');
  await expect(a.getByRole('table', { name: 'Recent frames' })).toBeVisible();
  await story.shot(a, 'inspector');
  await a.getByRole('button', { name: 'Inspector' }).click();
  const log = a.getByRole('list', { name: 'Security log' });
  await expect(log).toBeVisible();
  await story.shot(a, 'security-log', async () => {
    await a.getByText(/^Security log/).scrollIntoViewIfNeeded();
  });

  // Bob's side of the same chat.
  await expect(bubble(b, 'See you there').getByText('Read', { exact: true })).toBeVisible();
  await story.shot(b, 'chat-bob', async () => toNewest(b));

  // The list: previews, times, Carol's unread messages; then a search.
  await goTo(a, 'Conversations');
  const list = a.getByRole('list', { name: 'Conversations' });
  await expect(list.getByRole('listitem').filter({ hasText: 'Carol' }).getByTestId('unread')).toHaveText(/2/);
  await story.shot(a, 'list');
  await a.getByRole('searchbox', { name: 'Search' }).fill('market');
  await expect(a.getByRole('region', { name: 'Search results' })).toContainText('market');
  await story.shot(a, 'search');
  await a.getByRole('searchbox', { name: 'Search' }).fill('');

  // Dark.
  await a.emulateMedia({ colorScheme: 'dark' });
  await story.shot(a, 'list-dark');
  await openChat(a, 'Bob');
  await story.shot(a, 'chat-dark', async () => toNewest(a));
  await a.emulateMedia({ colorScheme: 'light' });

  // Settings, and its diagnostics.
  await goTo(a, 'Settings');
  await story.shot(a, 'settings');
  await expect(a.getByTestId('self-test')).toHaveText(/Secure session core works/, { timeout: 30_000 });
  await story.shot(a, 'settings-diagnostics', async () => {
    await a.getByRole('heading', { name: 'Diagnostics' }).scrollIntoViewIfNeeded();
  });

  // Carol starts a new identity; meeting again, Alice's chat with her is held behind a warning.
  await goTo(c, 'Settings');
  await c.getByRole('button', { name: 'Start a new identity…' }).click();
  await c.getByRole('button', { name: 'Yes, replace my identity key' }).click();
  await expect(c.getByText('You have a new identity key.')).toBeVisible();
  await openChat(c, 'Alice');
  await openChat(a, 'Carol');
  const warning = a.getByRole('alert').filter({ hasText: "Carol's identity key changed" });
  await expect(warning).toBeVisible({ timeout: 30_000 });
  await story.shot(a, 'key-change', async () => toNewest(a));
  await failures(story, alice);
}

/** The screens that only show when something fails (the faults of e2e/faults.ts). */
async function failures(story: Story, alice: Person): Promise<void> {
  // A second tab of the same profile waits while the first holds the identity.
  const second = await alice.context.newPage();
  await second.goto('/');
  await expect(second.getByRole('heading', { name: 'SecMsg is open in another tab' })).toBeVisible();
  await story.shot(second, 'error-other-tab');
  await second.close();

  // The chat's composer throws as the chat is drawn: the screen's error boundary.
  const a = alice.page;
  await alice.context.addInitScript(breakTextareas);
  await a.reload();
  await expect(a.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await setFault(a, 'e2e.breakTextarea', true);
  await a.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ }).first().click();
  await expect(a.getByRole('heading', { name: 'This screen could not be shown' })).toBeVisible();
  await story.shot(a, 'error-screen');
  await setFault(a, 'e2e.breakTextarea', false);
  await a.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(a.getByRole('heading', { name: 'Conversations' })).toBeVisible();

  // Another build of the service worker waiting to take over (the same script under another
  // address, as a newer build would come) makes the update offer.
  await a.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js?another-build', { scope: '/' });
  });
  await expect(a.getByRole('status').filter({ hasText: 'A new version of SecMsg is ready.' })).toBeVisible({
    timeout: 30_000,
  });
  await story.shot(a, 'update');

  // Storage that would not open, then an identity that cannot be read.
  const dan = await story.person('Dan', '/', [failOpenWhileFlagged, failIdentityReads]);
  const d = dan.page;
  await firstRun(d, 'Dan');
  await expect(d.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await setFault(d, 'e2e.failOpen', true);
  await d.reload();
  await expect(d.getByRole('heading', { name: 'SecMsg could not open its storage' })).toBeVisible();
  await story.shot(d, 'error-storage');
  await setFault(d, 'e2e.failOpen', false);
  await setFault(d, 'e2e.failIdentityRead', true);
  await d.reload();
  await expect(d.getByRole('heading', { name: 'Your identity cannot be used' })).toBeVisible();
  await story.shot(d, 'error-identity');
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      timeout: { type: 'string', default: '600' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  const local = new LocalApp({
    tmpPrefix: 'secmsg-screenshots-',
    previewPorts: PREVIEW_PORTS,
    workerPorts: WORKER_PORTS,
    verbose: args.verbose,
  });
  let browser: Browser | undefined;
  let story: Story | undefined;
  const cleanUp = async () => {
    await story?.close();
    await browser?.close().catch(() => undefined);
    await local.stop();
  };
  const abort = (why: string) => {
    console.error(`screenshots: ${why}; stopping.`);
    void cleanUp().finally(() => process.exit(1));
  };
  const watchdog = setTimeout(() => abort(`over ${args.timeout} s`), (Number(args.timeout) || 600) * 1000);
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  try {
    console.log('Building the app and starting its worker…');
    await local.start();
    browser = await chromium.launch(chromiumLaunchOptions());
    await mkdir(OUT_DIR, { recursive: true });
    story = new Story(browser, local.appUrl, local.workerUrl, STORY_START - Date.now(), args.verbose);
    await run(story);
    // Pictures of screens that are no longer in the story do not linger.
    for (const f of await readdir(OUT_DIR)) {
      if (f.endsWith('.png') && !story.written.includes(join(OUT_DIR, f))) await rm(join(OUT_DIR, f));
    }
    let bytes = 0;
    for (const f of story.written) bytes += (await stat(f)).size;
    console.log(
      `Wrote ${story.written.length} screenshots to docs/screenshots/ (${(bytes / 1024).toFixed(0)} KB) ` +
        `in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    );
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

await main();
