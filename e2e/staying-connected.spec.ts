/**
 * Staying connected (DESIGN.md, Routes and delivery): a device that goes offline for 10 s in the
 * middle of a conversation comes back to it; and a conversation whose direct path disappears
 * carries on over the worker relay, then climbs back to a direct path when one works again
 * (src/app/route-climber.ts). Every message written meanwhile, on either side, arrives once.
 */
import { expect, test, type Page } from '@playwright/test';
import { chatBothWays, messages, openChat, pairByCodes, person, say } from './people';

const connected = /Connected securely/;

/** Each text appears exactly once in the page's chat. */
async function onceEach(page: Page, texts: readonly string[]): Promise<void> {
  for (const t of texts) {
    await expect(messages(page).getByText(t, { exact: true })).toHaveCount(1, { timeout: 45_000 });
  }
}

/** Tears down every WebRTC connection of the page, as a lost network path does. */
async function dropConnections(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) pc.close();
  });
}

test('one side offline for 10 s mid-conversation: both carry on, and what each wrote meanwhile arrives once', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  // Bob's device loses the network: no worker, and its live connection goes with it.
  await bob.context.setOffline(true);
  await dropConnections(bob.page);
  await expect(alice.page.getByTestId('connection-state')).not.toHaveText(connected, { timeout: 15_000 });
  const fromAlice = ['while you were offline 1', 'while you were offline 2', 'while you were offline 3'];
  const fromBob = ['written offline 1', 'written offline 2'];
  for (const t of fromAlice) await say(alice.page, t);
  for (const t of fromBob) await say(bob.page, t);
  await bob.page.waitForTimeout(10_000);
  await bob.context.setOffline(false);

  await openChat(alice.page, 'Bob');
  await openChat(bob.page, 'Alice');
  await onceEach(bob.page, fromAlice);
  await onceEach(alice.page, fromBob);
  // And the conversation goes on live.
  await expect(bob.page.getByTestId('connection-state')).toHaveText(connected, { timeout: 45_000 });
  await say(alice.page, 'all good again?');
  await onceEach(bob.page, ['all good again?']);
  // Each side's own messages come back acknowledged.
  for (const [p, texts] of [
    [alice.page, [...fromAlice, 'all good again?']],
    [bob.page, fromBob],
  ] as const) {
    for (const t of texts) {
      await expect(messages(p).locator('li').filter({ hasText: t })).toContainText('Delivered', {
        timeout: 30_000,
      });
    }
  }
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('a conversation whose direct path disappears goes on over the worker relay and climbs back when it returns, nothing lost or doubled', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await expect(alice.page.getByTestId('route')).toHaveText(/^Direct/);

  // From now on no ICE path exists for either page (no candidate at all), and the current one drops.
  for (const p of [alice.page, bob.page]) {
    await p.evaluate(() => {
      const Native = window.RTCPeerConnection;
      (window as unknown as { __openPc: typeof RTCPeerConnection }).__openPc = Native;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super({ ...config, iceServers: [], iceTransportPolicy: 'relay' });
        }
      };
    });
  }
  const during = ['written as the path went 1', 'written as the path went 2'];
  await dropConnections(alice.page);
  for (const t of during) await say(alice.page, t);
  await say(bob.page, 'and from Bob meanwhile');

  for (const p of [alice.page, bob.page]) {
    await expect(p.getByTestId('route')).toHaveText(/^Relayed \(SecMsg\)/, { timeout: 60_000 });
  }
  await onceEach(bob.page, during);
  await onceEach(alice.page, ['and from Bob meanwhile']);
  await say(bob.page, 'over the relay now');
  await onceEach(alice.page, ['over the relay now']);

  // Direct paths work again. The climber tries at wall-clock slots, and at once when the network
  // comes back: both pages hear it at the same moment here.
  for (const p of [alice.page, bob.page]) {
    await p.evaluate(() => {
      window.RTCPeerConnection = (window as unknown as { __openPc: typeof RTCPeerConnection }).__openPc;
    });
  }
  await Promise.all(
    [alice.page, bob.page].map(async (p) => p.evaluate(() => window.dispatchEvent(new Event('online')))),
  );
  const climbing = ['written while climbing 1', 'written while climbing 2', 'written while climbing 3'];
  for (const t of climbing) {
    await say(alice.page, t);
    await alice.page.waitForTimeout(400);
  }
  await say(bob.page, 'and Bob while climbing');
  for (const p of [alice.page, bob.page]) {
    await expect(p.getByTestId('route')).toHaveText(/^Direct/, { timeout: 80_000 });
  }
  await say(bob.page, 'direct again');
  await say(alice.page, 'so it is');
  await onceEach(bob.page, [...during, ...climbing, 'so it is']);
  await onceEach(alice.page, [
    'and from Bob meanwhile',
    'over the relay now',
    'and Bob while climbing',
    'direct again',
  ]);
  await Promise.all([alice.context.close(), bob.context.close()]);
});
