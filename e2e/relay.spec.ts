/**
 * The worker relay route (DESIGN.md, Routes and delivery, item 3):
 *  - with every ICE path blocked (each page's RTCPeerConnection gathers no candidate at all), two
 *    browsers still pair through a worker invite link and chat, over the worker relay; the chat
 *    says so; every relay WebSocket frame either page sent or received is captured, and none holds
 *    message text, SDP or a name;
 *  - with "Always relay" on one side (as the inviter, which answers, and as the joiner, which
 *    offers), no candidate of that device reaches the other page (checked on the receiving page:
 *    every remote description and candidate its RTCPeerConnections were given).
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import {
  chatBothWays,
  firstRun,
  messages,
  newPersonContext,
  openPairing,
  person,
  say,
  type Person,
} from './people';

/** Every relay WebSocket frame of a page, as bytes (sent and received). */
function captureRelayFrames(page: Page): Buffer[] {
  const frames: Buffer[] = [];
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/relay/')) return;
    ws.on('framesent', (f) => frames.push(Buffer.from(f.payload)));
    ws.on('framereceived', (f) => frames.push(Buffer.from(f.payload)));
  });
  return frames;
}

/** Makes every RTCPeerConnection of the context gather nothing: no ICE path can exist. */
async function blockIce(person: { context: BrowserContext }): Promise<void> {
  await person.context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        // Relay candidates only, and no TURN server to get them from: no candidate at all.
        super({ ...config, iceServers: [], iceTransportPolicy: 'relay' });
      }
    };
  });
}

/** Records, on the receiving page, every remote SDP and candidate its connections are given. */
async function recordRemoteCandidates(person: { context: BrowserContext }): Promise<void> {
  await person.context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __remote: string[] }).__remote = seen;
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
        seen.push(`sdp:${d.sdp ?? ''}`);
        return super.setRemoteDescription(d);
      }
      override async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
        seen.push(`candidate:${c?.candidate ?? ''}`);
        return super.addIceCandidate(c ?? undefined);
      }
    };
  });
}

async function pairByLink(inviter: Page, joinerPerson: Person | { page: Page }, name: string): Promise<void> {
  await openPairing(inviter);
  await inviter.getByRole('button', { name: 'Create invite link' }).click();
  const link = await inviter.getByTestId('invite-link').inputValue();
  const joiner = joinerPerson.page;
  await joiner.goto(link);
  await firstRun(joiner, name);
  await joiner.getByRole('button', { name: 'Join' }).click();
}

test('with every ICE path blocked, two browsers pair and chat through the worker relay, which carries only ciphertext', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const alice = await person(browser, 'Alice');
  const bobContext = await newPersonContext(browser);
  const bob = { context: bobContext, page: await bobContext.newPage() };
  await blockIce(alice);
  await blockIce(bob);
  await alice.page.reload();
  const frames = [...[alice.page, bob.page].map(captureRelayFrames)];
  await pairByLink(alice.page, bob, 'Bob');
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  await say(alice.page, 'A secret through the relay');
  await expect(messages(bob.page)).toContainText('A secret through the relay');
  for (const p of [alice.page, bob.page]) {
    await expect(messages(p).getByText('relayed').first()).toBeVisible();
    await expect(p.getByTestId('route')).toHaveText(/Relayed \(SecMsg\)/);
  }

  const all = frames.flat();
  expect(all.length).toBeGreaterThan(6); // the handshake's three, the chat's records and acks
  for (const f of all) {
    const latin = f.toString('latin1');
    for (const needle of [
      'Hello Bob',
      'Hi Alice',
      'A secret',
      'Alice',
      'Bob',
      'v=0',
      'a=fingerprint',
      'candidate',
      'ice-ufrag',
    ]) {
      expect(latin).not.toContain(needle);
    }
    // UTF-16 would hide nothing either.
    expect(f.toString('utf16le')).not.toContain('Alice');
  }
  await alice.context.close();
  await bob.context.close();
});

for (const side of ['inviter', 'joiner'] as const) {
  test(`with Always relay on the ${side}'s device, no candidate of it reaches the other page`, async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const hidden = side === 'inviter' ? 'Alice' : 'Bob';
    const alice = await person(browser, 'Alice');
    const bobContext = await newPersonContext(browser);
    const bob = { context: bobContext, page: await bobContext.newPage() };
    await recordRemoteCandidates(alice);
    await recordRemoteCandidates(bob);
    if (hidden === 'Alice') {
      // As a person does it: Settings → Always relay → Save, then reload.
      await alice.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('button', { name: 'Settings' })
        .click();
      await alice.page.getByRole('checkbox', { name: 'Always relay (hide my IP address)' }).check();
      await alice.page.getByRole('button', { name: 'Save settings' }).click();
      await expect(alice.page.getByText('Saved. Reload the page to use the new settings.')).toBeVisible();
    } else {
      // Bob has never opened the app: his setting is there before his first run.
      await bob.context.addInitScript(() => localStorage.setItem('secmsg.alwaysRelay', '1'));
    }
    await alice.page.reload();
    await pairByLink(alice.page, bob, 'Bob');
    await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
    for (const p of [alice.page, bob.page])
      await expect(p.getByTestId('route')).toHaveText(/Relayed \(SecMsg\)/);
    // The other page was given nothing from the hidden device: no description, no candidate.
    const other = hidden === 'Alice' ? bob.page : alice.page;
    const remote = await other.evaluate(() => (window as unknown as { __remote: string[] }).__remote);
    expect(remote).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  });
}
