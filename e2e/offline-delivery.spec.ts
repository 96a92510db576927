/**
 * Offline delivery through the worker's mailboxes (issue 11): the two pages are never open at the
 * same time after pairing. Alice writes 20 messages while Bob's page is closed, then closes hers;
 * Bob opens and sees all 20 once, in order, marked as come through the mailbox, and closes; Alice
 * opens and sees all 20 Delivered. What the worker was given to store (every deposit, captured from
 * the requests) holds no message text, no name and no key.
 */
import { expect, type Page, type Request, test } from '@playwright/test';
import { chatBothWays, messages, openChat, pairByCodes, person, say } from './people';

const connected = /Connected securely/;
const TEXTS = Array.from({ length: 20 }, (_, i) => `offline note ${String(i + 1).padStart(2, '0')}`);

/** Records the body of every deposit (single or batch) the page sends to the worker. */
function captureDeposits(page: Page, into: Buffer[]): void {
  page.on('request', (request: Request) => {
    if (request.method() === 'POST' && /\/mailboxes\/[^/]+\/(blobs|batch)$/.test(request.url())) {
      const body = request.postDataBuffer();
      if (body) into.push(body);
    }
  });
}

/** The identity's public keys, as hex, from the page's IndexedDB. */
async function ownKeysHex(page: Page): Promise<string[]> {
  return page.evaluate(
    async () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('secmsg');
        open.onerror = () => reject(new Error('no database'));
        open.onsuccess = () => {
          const get = open.result.transaction('identity').objectStore('identity').get('self');
          get.onsuccess = () => {
            const r = get.result as { publicKey: Uint8Array; signingPublicKey: Uint8Array };
            const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
            open.result.close();
            resolve([hex(r.publicKey), hex(r.signingPublicKey)]);
          };
          get.onerror = () => reject(new Error('no identity'));
        };
      }),
  );
}

test('messages written while the other is away arrive through the mailbox, once and in order, and come back Delivered', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  const keys = [...(await ownKeysHex(alice.page)), ...(await ownKeysHex(bob.page))];

  // Bob's app is closed: Alice's messages go to his mailbox.
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-state')).not.toHaveText(connected, { timeout: 15_000 });
  const deposited: Buffer[] = [];
  captureDeposits(alice.page, deposited);
  for (const text of TEXTS) await say(alice.page, text);
  const aliceList = messages(alice.page);
  await expect(aliceList.locator('li').filter({ hasText: 'offline note' })).toHaveCount(20);
  await expect(
    aliceList.locator('li').filter({ hasText: 'offline note' }).filter({ hasText: 'Sent' }),
  ).toHaveCount(20, { timeout: 30_000 });
  await expect(aliceList.locator('li').filter({ hasText: 'via mailbox' })).toHaveCount(20);
  await alice.page.close();

  // What the worker holds: ciphertext only.
  expect(deposited.length).toBeGreaterThan(0);
  const all = Buffer.concat(deposited);
  for (const text of [...TEXTS, 'offline note', 'Alice', 'Bob'])
    expect(all.includes(Buffer.from(text))).toBe(false);
  for (const hex of keys) expect(all.includes(Buffer.from(hex, 'hex'))).toBe(false);

  // Bob opens alone: all 20, once, in order, through the mailbox; his acks go to Alice's mailbox.
  const bobPage = await bob.context.newPage();
  const acked = bobPage.waitForResponse(
    (r) =>
      r.request().method() === 'POST' &&
      /\/mailboxes\/[^/]+\/(blobs|batch)$/.test(r.url()) &&
      r.status() === 201,
    { timeout: 60_000 },
  );
  await bobPage.goto('/');
  await openChat(bobPage, 'Alice');
  const bobList = messages(bobPage);
  await expect(bobList.locator('li').filter({ hasText: 'offline note' })).toHaveCount(20, {
    timeout: 45_000,
  });
  const shown = await bobList.locator('li .body').allTextContents();
  expect(shown.filter((t) => t.startsWith('offline note'))).toEqual(TEXTS);
  await expect(
    bobList.locator('li').filter({ hasText: 'offline note' }).filter({ hasText: 'via mailbox' }),
  ).toHaveCount(20);
  await acked;
  await bobPage.close();

  // Alice opens alone: all 20 Delivered.
  const alicePage = await alice.context.newPage();
  await alicePage.goto('/');
  await openChat(alicePage, 'Bob');
  const notes = messages(alicePage).locator('li').filter({ hasText: 'offline note' });
  await expect(notes).toHaveCount(20);
  await expect(notes.filter({ hasText: 'Delivered' })).toHaveCount(20, { timeout: 45_000 });
  await Promise.all([alice.context.close(), bob.context.close()]);
});
