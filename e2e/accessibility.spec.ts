/**
 * Accessibility: every screen, at phone and laptop width, in light and dark, checked by axe
 * (axe-core through e2e/axe.ts, WCAG 2.1 A and AA rules): no serious or critical violation. Each test
 * walks one page through many screens and checks each where it stands (the width and the colour
 * scheme change on the same page), so that the checks cost little beyond axe itself.
 */
import { expect, test, type Page } from '@playwright/test';
import { noSeriousViolations } from './axe';
import { launchWithFakeCamera } from './fake-camera';
import { breakTextareas, failIdentityReads, failOpenWhileFlagged, setFault } from './faults';
import {
  chatBothWays,
  expectChatWith,
  firstRun,
  messages,
  newPersonContext,
  openChat,
  openPairing,
  pairByCodes,
  person,
} from './people';

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name });

test('first run, the list, pairing with the camera on, settings and the error screens pass axe', async () => {
  test.setTimeout(180_000);
  // A camera that shows a QR code the pairing screen does not take: it keeps scanning.
  const browser = await launchWithFakeCamera('SecMsg accessibility check: not an invite');
  try {
    const context = await newPersonContext(browser, { permissions: ['camera'] });
    for (const fault of [breakTextareas, failOpenWhileFlagged, failIdentityReads]) {
      await context.addInitScript(fault);
    }
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
    const offlineReady = page.getByRole('status').filter({ hasText: 'SecMsg is ready to work offline.' });
    await expect(offlineReady).toBeVisible();
    await noSeriousViolations(page, 'first run, with the offline-ready notice');
    await firstRun(page, 'Alice');
    await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
    await noSeriousViolations(page, 'conversation list (empty), with the offline-ready notice');
    await offlineReady.getByRole('button', { name: 'OK' }).click();

    await openPairing(page);
    await noSeriousViolations(page, 'pairing');
    const scanner = page.getByRole('group', { name: 'Scan their invite' });
    await scanner.getByRole('button', { name: 'Scan with camera' }).click();
    await expect(scanner.getByRole('status')).toHaveText('Point the camera at the QR code.');
    await expect(scanner.getByLabel('Camera preview')).toBeVisible();
    await noSeriousViolations(page, 'pairing: the QR scanner with the camera on');
    await scanner.getByRole('button', { name: 'Stop camera' }).click();
    await page.getByRole('button', { name: 'Create invite code (no server)' }).click();
    await expect(page.getByLabel('2. Paste their answer code')).toBeVisible({ timeout: 30_000 });
    await noSeriousViolations(page, 'pairing: invite code shown');

    await nav(page, 'Settings').click();
    await noSeriousViolations(page, 'settings');
    await page.getByRole('button', { name: 'Delete everything…' }).click();
    await expect(page.getByRole('button', { name: 'Yes, delete everything on this device' })).toBeVisible();
    await noSeriousViolations(page, 'settings: the delete-everything confirmation');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A screen that throws as it is drawn (pairing's text box).
    await setFault(page, 'e2e.breakTextarea', true);
    await nav(page, 'Pair').click();
    await expect(page.getByRole('heading', { name: 'This screen could not be shown' })).toBeVisible();
    await page.getByText('Details', { exact: true }).click();
    await noSeriousViolations(page, 'a screen that failed');
    await setFault(page, 'e2e.breakTextarea', false);
    await page.getByRole('button', { name: 'Back to conversations' }).click();

    // Storage that would not open.
    await setFault(page, 'e2e.failOpen', true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'SecMsg could not open its storage' })).toBeVisible();
    await noSeriousViolations(page, 'storage that would not open');
    await setFault(page, 'e2e.failOpen', false);

    // An identity that cannot be read.
    await setFault(page, 'e2e.failIdentityRead', true);
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('heading', { name: 'Your identity cannot be used' })).toBeVisible();
    await noSeriousViolations(page, 'an unreadable identity');
    await setFault(page, 'e2e.failIdentityRead', false);
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();

    // A second tab waits while this one holds the identity.
    const second = await context.newPage();
    await second.goto('/');
    await expect(second.getByRole('heading', { name: 'SecMsg is open in another tab' })).toBeVisible();
    await noSeriousViolations(second, 'the second tab waiting');
    await second.close();

    // Another build of the service worker waiting to take over (here: the same script under another
    // address, as a newer build would come) makes the update offer.
    await page.evaluate(async () => {
      await navigator.serviceWorker.register('/sw.js?another-build', { scope: '/' });
    });
    const update = page.getByRole('status').filter({ hasText: 'A new version of SecMsg is ready.' });
    await expect(update).toBeVisible();
    await noSeriousViolations(page, 'the conversation list with the update offer');
    await update.getByRole('button', { name: 'Not now' }).click();
    await context.close();
  } finally {
    await browser.close();
  }
});

test('the chat with its menus, log, name notice and inspector, the list, the safety number and a key-change warning pass axe', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  const page = alice.page;

  // The chat, with the security log open, the contact-name notice's form and a message's actions.
  const log = page.locator('details.security-log');
  if (!(await log.evaluate((d: HTMLDetailsElement) => d.open))) {
    await log.getByText(/^Security log/).click();
  }
  await expect(page.getByRole('list', { name: 'Security log' })).toBeVisible();
  await page.getByTestId('name-notice').getByRole('button', { name: 'Set a name' }).click();
  await expect(page.getByLabel('Your name for this contact')).toBeVisible();
  const bubble = messages(page).getByRole('listitem').filter({ hasText: 'Hi Alice!' }).last();
  await bubble.getByRole('button', { name: 'More actions for this message' }).click();
  await expect(bubble.getByRole('group', { name: 'Message actions' })).toBeVisible();
  await noSeriousViolations(page, 'chat: security log, name form, message actions open');
  await page.keyboard.press('Escape');
  await page.getByTestId('name-notice').getByRole('button', { name: 'Cancel' }).click();

  // The packet inspector.
  await page.getByRole('button', { name: 'Inspector' }).click();
  await expect(page.getByRole('table').first()).toBeVisible();
  await noSeriousViolations(page, 'chat: the packet inspector');
  await page.getByRole('button', { name: 'Inspector' }).click();

  await nav(page, 'Conversations').click();
  await noSeriousViolations(page, 'conversation list');
  await openChat(page, 'Bob');
  await page.getByRole('button', { name: 'Safety number' }).click();
  await expect(page.getByTestId('safety-number')).toHaveText(/\d{5}/);
  await noSeriousViolations(page, 'safety number');
  await page.getByRole('button', { name: 'Back to the chat' }).click();

  // Bob starts over with a new identity; Alice's chat is held behind the key-change warning.
  await nav(bob.page, 'Settings').click();
  await bob.page.getByRole('button', { name: 'Start a new identity…' }).click();
  await bob.page.getByRole('button', { name: 'Yes, replace my identity key' }).click();
  await expect(bob.page.getByText('You have a new identity key.')).toBeVisible();
  await openChat(bob.page, 'Alice');
  await expectChatWith(page, 'Bob');
  await expect(page.getByRole('alert').filter({ hasText: "Bob's identity key changed" })).toBeVisible({
    timeout: 30_000,
  });
  await noSeriousViolations(page, 'chat: the key-change warning');
  await Promise.all([alice.context.close(), bob.context.close()]);
});
