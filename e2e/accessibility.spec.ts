/**
 * Accessibility: every screen, at phone and laptop width, in light and dark, checked by axe
 * (@axe-core/playwright, WCAG 2.1 A and AA rules): no serious or critical violation.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import {
  LAPTOP,
  PHONE,
  chatBothWays,
  firstRun,
  newPersonContext,
  openChat,
  openPairing,
  pairByCodes,
  person,
} from './people';

const SCHEMES = ['light', 'dark'] as const;

/** Checks the screen as it is now in both widths and both colour schemes. */
async function noSeriousViolations(page: Page, screen: string): Promise<void> {
  for (const size of [PHONE, LAPTOP]) {
    for (const colorScheme of SCHEMES) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme });
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      const serious = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help} — ${v.nodes
              .map((n) => `${n.target.join(' ')}${n.any[0] ? ` (${n.any[0].message})` : ''}`)
              .join(', ')}`,
        );
      expect(serious, `${screen} at ${size.width}×${size.height}, ${colorScheme}`).toEqual([]);
    }
  }
}

test('first run, the empty list, pairing and settings pass axe', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await newPersonContext(browser);
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await noSeriousViolations(page, 'first run');
  await firstRun(page, 'Alice');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await noSeriousViolations(page, 'conversation list (empty)');
  await openPairing(page);
  await noSeriousViolations(page, 'pairing');
  await page.getByRole('button', { name: 'Create invite code (no server)' }).click();
  await expect(page.getByLabel('2. Paste their answer code')).toBeVisible({ timeout: 30_000 });
  await noSeriousViolations(page, 'pairing: invite code shown');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await noSeriousViolations(page, 'settings');
  await context.close();
});

test('the list with a contact, the chat and the safety number pass axe', async ({ browser }) => {
  test.setTimeout(150_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await noSeriousViolations(alice.page, 'chat');
  await alice.page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Conversations' })
    .click();
  await noSeriousViolations(alice.page, 'conversation list');
  await openChat(alice.page, 'Bob');
  await alice.page
    .getByRole('button', { name: /safety number/i })
    .first()
    .click();
  await expect(alice.page.getByRole('heading', { name: /safety number/i }).first()).toBeVisible();
  await noSeriousViolations(alice.page, 'safety number');
  await Promise.all([alice.context.close(), bob.context.close()]);
});
