/**
 * A long history (issue 13, item 6): a conversation of a few thousand messages (written straight
 * into Alice's IndexedDB, as older than the two sent for real) opens on its newest messages; near
 * the top the older ones load without moving what is being read; the bubbles in the page stay
 * bounded however far up she goes; a message arriving meanwhile is announced and waits below;
 * "Jump to newest" brings the end back, and what arrives then shows at once.
 */
import { expect, test, type Page } from '@playwright/test';
import { PHONE, chatBothWays, messages, pairByCodes, person, say } from './people';

const OLD = 2_000;
/** The chat holds at most this many bubbles while scrolling (MAX_WINDOW in history-window.ts). */
const BOUND = 300;

/** Writes `n` read messages, a minute apart and older than now, into the first contact's history. */
async function storeHistory(page: Page, n: number): Promise<void> {
  await page.evaluate(async (count) => {
    const done = async <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(new Error('IndexedDB request failed'));
      });
    const db = await done(indexedDB.open('secmsg'));
    const contacts = (await done(db.transaction('contacts').objectStore('contacts').getAll())) as {
      id: string;
    }[];
    const tx = db.transaction('messages', 'readwrite');
    const start = Date.now() - (count + 10) * 60_000;
    for (let i = 0; i < count; i++) {
      const messageId = crypto.getRandomValues(new Uint8Array(16));
      const incoming = i % 3 !== 0;
      const at = start + i * 60_000;
      tx.objectStore('messages').put({
        contactId: contacts[0]!.id,
        messageId,
        messageIdHex: Array.from(messageId, (b) => b.toString(16).padStart(2, '0')).join(''),
        direction: incoming ? 'in' : 'out',
        body: `Old ${i}`,
        sentAt: at,
        ...(incoming ? { receivedAt: at, readAt: at } : {}),
        state: 'delivered',
      });
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(new Error('IndexedDB write failed'));
    });
    db.close();
  }, n);
}

/**
 * Scrolls the history to its top, notes the message then at the top of the view and where, and
 * waits until older ones came in above it; returns how far that message moved (CSS pixels).
 */
async function scrollUpOnce(page: Page): Promise<number> {
  const before = await page.evaluate(() => {
    const h = document.querySelector('.history')!;
    h.scrollTop = 0;
    const top = h.getBoundingClientRect().top;
    const first = [...h.querySelectorAll('ol li')].find((li) => li.getBoundingClientRect().bottom > top)!;
    return { id: first.getAttribute('data-message-id')!, y: first.getBoundingClientRect().top - top };
  });
  const item = page.locator(`.history li[data-message-id="${before.id}"]`);
  // Older ones in: the noted message is no longer the first in the page.
  await expect(page.locator('.history ol li').first()).not.toHaveAttribute('data-message-id', before.id);
  const y = await item.evaluate((el) => {
    const h = document.querySelector('.history')!;
    return el.getBoundingClientRect().top - h.getBoundingClientRect().top;
  });
  return Math.abs(y - before.y);
}

test('a long history opens on the newest, pages while scrolling up, stays bounded, and jumps back', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  await alice.page.setViewportSize(PHONE);
  await pairByCodes(alice.page, bob.page);
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');
  const page = alice.page;
  await storeHistory(page, OLD);
  // Out of the chat and into it again: it reads its history anew.
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ }).click();

  // The newest at the bottom, in view; a page of bubbles, not thousands.
  const bubbles = messages(page).locator('li');
  await expect(messages(page).getByText('Hi Alice!', { exact: true })).toBeInViewport();
  await expect(messages(page).getByText(`Old ${OLD - 1}`, { exact: true })).toBeAttached();
  expect(await bubbles.count()).toBeLessThanOrEqual(BOUND);
  const jump = page.getByRole('button', { name: 'Jump to newest' });
  await expect(jump).toHaveCount(0);

  // Up through about 600 messages: each time older ones come in above, and the view stays put.
  for (let i = 0; i < 6; i++) {
    expect(await scrollUpOnce(page)).toBeLessThan(2);
    expect(await bubbles.count()).toBeLessThanOrEqual(BOUND);
  }
  const firstShown = Number((await bubbles.first().locator('.body').textContent())?.replace('Old ', ''));
  expect(firstShown).toBeLessThan(OLD - 550);
  await expect(jump).toBeVisible();
  await expect(messages(page).getByText('Hi Alice!', { exact: true })).toHaveCount(0); // dropped, far below

  // Something arrives meanwhile: announced, and the view does not move.
  await say(bob.page, 'While you read the old ones');
  await expect(page.getByTestId('announcements')).toHaveText(
    'New message from Bob: While you read the old ones',
  );
  await expect(messages(page).getByText(`Old ${firstShown}`, { exact: true })).toBeAttached();

  // "Jump to newest" reads the end again and goes there.
  await jump.click();
  await expect(messages(page).getByText('While you read the old ones')).toBeInViewport();
  await expect(jump).toHaveCount(0);
  expect(await bubbles.count()).toBeLessThanOrEqual(BOUND);

  // At the end, a live message shows at once, and mine too.
  await say(bob.page, 'And now you are here');
  await expect(messages(page).getByText('And now you are here')).toBeInViewport();
  await say(page, 'Back at the newest');
  await expect(messages(page).getByText('Back at the newest')).toBeInViewport();
  await expect(messages(bob.page).getByText('Back at the newest')).toBeVisible();
  await Promise.all([alice.context.close(), bob.context.close()]);
});
