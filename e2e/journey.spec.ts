/**
 * The main journey, as two people would go through it: first run, an invite shown as a QR code,
 * the other device scans it with its camera (Chromium's fake camera, fed a video of that QR code),
 * chat both ways, equal safety numbers, verified by scanning, and everything still there after a
 * reload. Screenshots of each screen at phone and laptop width are attached as artifacts.
 */
import { expect, test } from '@playwright/test';
import { launchWithFakeCamera } from './fake-camera';
import {
  APP_URL,
  WORKER,
  chatBothWays,
  firstRun,
  messages,
  newPersonContext,
  openPairing,
  safetyDigits,
  screenshots,
} from './people';

test('invite QR scanned by camera → chat → same safety number → verified by scan → kept after reload', async ({
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  // Every request and WebSocket either page opens, to check that nothing leaves for another origin.
  const contacted = new Set<string>();
  const watch = (context: import('@playwright/test').BrowserContext) => {
    context.on('request', (r) => contacted.add(new URL(r.url()).origin));
    context.on('page', (p) => p.on('websocket', (ws) => contacted.add(new URL(ws.url()).origin)));
  };
  // Alice, on her first run.
  const aliceContext = await newPersonContext(browser);
  watch(aliceContext);
  const alice = await aliceContext.newPage();
  await alice.goto('/');
  await expect(alice.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await screenshots(alice, testInfo, '01-first-run');
  await firstRun(alice, 'Alice');
  await expect(alice.getByText('No conversations yet.')).toBeVisible();
  await openPairing(alice);
  await screenshots(alice, testInfo, '02-pairing');
  await alice.getByRole('button', { name: 'Create invite link' }).click();
  await expect(alice.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
  const link = await alice.getByTestId('invite-link').inputValue();
  await screenshots(alice, testInfo, '03-invite');

  // Bob's phone camera sees Alice's QR code. (The fake camera is a browser launch flag, so Bob
  // runs in a browser of his own.)
  const camera = await launchWithFakeCamera(link);
  try {
    const bobContext = await newPersonContext(camera, { permissions: ['camera'] });
    watch(bobContext);
    const bob = await bobContext.newPage();
    await bob.goto('/');
    await firstRun(bob, 'Bob');
    await openPairing(bob);
    await bob
      .getByRole('group', { name: 'Scan their invite' })
      .getByRole('button', { name: 'Scan with camera' })
      .click();

    await chatBothWays(alice, bob, 'Alice', 'Bob');
    await screenshots(bob, testInfo, '04-chat');
    // The invite Bob scanned named Alice's key: his side is verified; Alice's is not, yet.
    await expect(bob.getByTestId('verified-state')).toHaveText('Verified');
    await expect(alice.getByTestId('verified-state')).toHaveText('Not verified');

    // The same 60 digits on both screens.
    for (const p of [alice, bob]) await p.getByRole('button', { name: 'Safety number' }).click();
    const digits = await safetyDigits(alice);
    expect(digits).toMatch(/^\d{60}$/);
    expect(await safetyDigits(bob)).toBe(digits);
    await screenshots(alice, testInfo, '05-safety-number');

    // Alice verifies by reading Bob's safety-number code from a picture of his screen.
    const photo = await bob.getByRole('img', { name: 'Your safety-number QR code' }).screenshot();
    await alice.getByLabel('Choose a photo of a QR code').setInputFiles({
      name: 'bob-safety-number.png',
      mimeType: 'image/png',
      buffer: photo,
    });
    // A picture proves the code, not the channel: it matches, and verifies only once Alice says
    // she got it in person (here she did: it is Bob's screen in front of her).
    await expect(alice.getByText('The code in the picture matches yours.')).toBeVisible();
    await expect(alice.getByTestId('verified-state')).toHaveText('Not verified');
    await alice.getByRole('button', { name: 'I got this picture in person' }).click();
    await expect(alice.getByText('Marked as verified: the picture matched')).toBeVisible();
    await expect(alice.getByTestId('verified-state')).toHaveText('Verified');

    // The protocol inspector on Alice's side.
    await alice.getByRole('button', { name: 'Back to the chat' }).click();
    await alice.getByRole('button', { name: 'Inspector' }).click();
    const inspector = alice.getByRole('region', { name: 'Protocol inspector' });
    await expect(inspector).toBeVisible();
    await expect(inspector.getByRole('table', { name: /Recent frames/ })).toContainText('HANDSHAKE_REQUEST');
    await expect(inspector.getByRole('table', { name: /Recent frames/ })).toContainText('REGULAR_MESSAGE');
    await expect(inspector).not.toContainText('Hello Bob, from Alice');
    await screenshots(alice, testInfo, '06-inspector');
    const download = alice.waitForEvent('download');
    await inspector.getByRole('button', { name: 'Export frame log (JSON)' }).click();
    const file = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    const exported = await readFile(file, 'utf8');
    expect(JSON.parse(exported)).toMatchObject({ format: 'secmsg-inspector/1' });
    expect(exported).not.toContain('Hello Bob');
    expect(exported).not.toContain('Hi Alice');

    await alice.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await expect(alice.getByTestId('storage-status')).toHaveText(/Storage is|This browser cannot/);
    await screenshots(alice, testInfo, '07-settings');

    // Reload both: contact, history and verified mark are still there.
    await Promise.all([alice.reload(), bob.reload()]);
    for (const [p, other] of [
      [alice, 'Bob'],
      [bob, 'Alice'],
    ] as const) {
      const list = p.getByRole('list', { name: 'Conversations' });
      await expect(list).toContainText(other);
      await expect(list).toContainText('Verified');
      await p.getByRole('button', { name: new RegExp(`^${other}`) }).click();
      await expect(messages(p)).toContainText('Hello Bob, from Alice');
      await expect(messages(p)).toContainText('Hi Alice!');
      await expect(p.getByTestId('verified-state')).toHaveText('Verified');
    }
    await alice.getByRole('button', { name: 'Back to conversations' }).click();
    await screenshots(alice, testInfo, '08-conversations');
    await bobContext.close();
  } finally {
    await camera.close();
  }
  await aliceContext.close();
  // Only the app itself and the configured signaling worker: its rooms over WebSocket, its
  // mailboxes over HTTP (STUN is not HTTP; none is set here).
  const worker = new URL(WORKER);
  const allowed = [new URL(APP_URL).origin, `ws://${worker.host}`, `http://${worker.host}`];
  expect([...contacted].filter((o) => !allowed.includes(o))).toEqual([]);
  expect(contacted).toContain(`ws://${worker.host}`);
});
