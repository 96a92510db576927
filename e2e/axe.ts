/**
 * axe-core (WCAG 2.1 A and AA rules) on a page as it stands: `axeClean` in light and dark at its
 * width, `noSeriousViolations` at phone and laptop width too, all on the same page; each fails on
 * any serious or critical violation.
 *
 * axe is run in the page directly rather than through @axe-core/playwright's AxeBuilder, which
 * injects its 500 KB source again on every check and finishes each in a new blank page: here the
 * source goes in once per document and only violations come back. The colour scheme changes only
 * colours (styles.css), so the dark checks run the rules about colour; the width changes what is
 * shown at all, so each width gets every rule.
 */
import axe from 'axe-core';
import { expect, type Page } from '@playwright/test';
import { LAPTOP, PHONE } from './people';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** The rules whose outcome depends on colours: all that can differ between light and dark. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

type Axe = typeof axe;

/** The serious and critical violations on the page now, one line each. */
async function seriousViolations(page: Page, rules: 'all' | 'colour'): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  // Colours are judged as they settle: an element fading in (its opacity rising) would read as
  // a weaker contrast than it has.
  await page.evaluate(async () => {
    const finite = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map(async (a) => a.finished.catch(() => undefined)));
  });
  return page.evaluate(
    async ({ tags, only }) => {
      const a = (window as unknown as { axe: Axe }).axe;
      const results = await a.run(document, {
        runOnly: only ? { type: 'rule', values: only } : { type: 'tag', values: tags },
        resultTypes: ['violations'],
      });
      return results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help} — ${v.nodes
              .map((n) => `${n.target.join(' ')}${n.any[0] ? ` (${n.any[0].message})` : ''}`)
              .join(', ')}`,
        );
    },
    { tags: WCAG, only: rules === 'colour' ? COLOUR_RULES : undefined },
  );
}

/** axe finds no serious or critical violation on the page as it is now (its width), in light and in dark. */
export async function axeClean(page: Page, screen: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const found = await seriousViolations(page, colorScheme === 'light' ? 'all' : 'colour');
    expect(found, `${screen}, ${colorScheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Checks the screen as it is now at both widths in both colour schemes; leaves it at laptop width, light. */
export async function noSeriousViolations(page: Page, screen: string): Promise<void> {
  for (const size of [PHONE, LAPTOP]) {
    await page.setViewportSize(size);
    await axeClean(page, `${screen} at ${size.width}×${size.height}`);
  }
}
