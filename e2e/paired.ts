/**
 * Two people who already talk: Alice and Bob on the app's first run, paired with invite and answer
 * codes, one message sent each way and acknowledged, both ending in their chat with the other.
 * Most journeys about the conversation start there.
 */
import type { Browser } from '@playwright/test';
import { chatBothWays, pairByCodes, person, type Person } from './people';

export interface PairedOptions {
  /** Alice's viewport (the default: the context's). */
  aliceSize?: { width: number; height: number };
  /** Bob's viewport (the default: the context's). */
  bobSize?: { width: number; height: number };
}

export async function pairedAliceAndBob(
  browser: Browser,
  options: PairedOptions = {},
): Promise<{ alice: Person; bob: Person }> {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await Promise.all([
    options.aliceSize && alice.page.setViewportSize(options.aliceSize),
    options.bobSize && bob.page.setViewportSize(options.bobSize),
  ]);
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  return { alice, bob };
}
