/**
 * The messenger layout at phone (390×844) and laptop (1280×800) width: the list, then a chat that
 * fills the screen with its composer at the bottom while the history scrolls; day headings;
 * messages from one side grouped under one name; delivery marks with words for screen readers;
 * "Jump to newest"; Enter and Shift+Enter; list and chat side by side on a laptop; focus between
 * list and chat; the live region; reduced motion; the self-test in Settings, not in the footer.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { LAPTOP, PHONE, messages, openChat, person, say } from './people';
import { pairedAliceAndBob } from './paired';

const MANY = 25;

/** Bob writes `count` messages in a row (one group on Alice's side). */
async function writeMany(page: Page, count: number, prefix: string): Promise<void> {
  for (let i = 1; i <= count; i++) await say(page, `${prefix} ${i}`);
}

/** The bottom of the composer's text box and of the window, and whether the document itself scrolls. */
async function geometry(page: Page) {
  return page.evaluate(() => {
    const box = document.querySelector('form.composer textarea')!.getBoundingClientRect();
    const history = document.querySelector('.history')!;
    const doc = document.scrollingElement!;
    return {
      composerTop: box.top,
      composerBottom: box.bottom,
      windowHeight: window.innerHeight,
      documentScrolls: doc.scrollHeight > doc.clientHeight + 1,
      historyScrolls: history.scrollHeight > history.clientHeight + 1,
      distanceFromNewest: history.scrollHeight - history.scrollTop - history.clientHeight,
    };
  });
}

/** The drawn delivery mark (CSS) of a message and the words a screen reader reads for it. */
async function mark(li: Locator): Promise<{ state: string | null; words: string; drawn: string }> {
  return li.locator('.state').evaluate((el) => ({
    state: el.getAttribute('data-state'),
    words: el.textContent ?? '',
    drawn: getComputedStyle(el, '::before').content,
  }));
}

/** Writes incoming messages at local noon `daysAgo` days back into the first contact's history. */
async function storeOldMessages(page: Page, days: number[]): Promise<void> {
  await page.evaluate(async (daysAgo) => {
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
    for (const n of daysAgo) {
      const day = new Date();
      day.setDate(day.getDate() - n);
      day.setHours(12, 0, 0, 0);
      const messageId = crypto.getRandomValues(new Uint8Array(16));
      tx.objectStore('messages').put({
        contactId: contacts[0]!.id,
        messageId,
        messageIdHex: Array.from(messageId, (b) => b.toString(16).padStart(2, '0')).join(''),
        direction: 'in',
        body: `Written ${n} days ago`,
        sentAt: day.getTime(),
        receivedAt: day.getTime(),
        state: 'delivered',
      });
    }
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(new Error('IndexedDB write failed'));
    });
    db.close();
  }, days);
}

for (const [label, size] of [
  ['phone', PHONE],
  ['laptop', LAPTOP],
] as const) {
  test(`${label}: the composer stays at the bottom while the history scrolls; days, groups, marks, jump to newest`, async ({
    browser,
  }, testInfo) => {
    test.setTimeout(150_000);
    const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: size });
    const chat = alice.page.getByRole('heading', { name: 'Chat with Bob' });

    // The live region says what arrives, once (not every bubble); the first message of a new chat too.
    await expect(bob.page.getByTestId('announcements')).toHaveText(
      'New message from Alice: Hello Bob, from Alice',
    );
    await say(bob.page, 'Are you there?');
    await expect(alice.page.getByTestId('announcements')).toHaveText('New message from Bob: Are you there?');
    await expect(alice.page.getByTestId('announcements')).toHaveAttribute('aria-live', 'polite');
    await expect(alice.page.locator('[aria-live]')).toHaveCount(1);

    await writeMany(bob.page, MANY, 'Line');
    await expect(messages(alice.page)).toContainText(`Line ${MANY}`);

    // The document does not scroll: the history does, and the composer stays at the window's bottom.
    await expect.poll(async () => (await geometry(alice.page)).distanceFromNewest).toBeLessThan(2);
    let g = await geometry(alice.page);
    expect(g.documentScrolls).toBe(false);
    expect(g.historyScrolls).toBe(true);
    expect(g.composerBottom).toBeLessThanOrEqual(g.windowHeight);
    expect(g.composerBottom).toBeGreaterThan(g.windowHeight - 120);
    await expect(messages(alice.page).getByText(`Line ${MANY}`, { exact: true })).toBeInViewport();
    await expect(chat).toBeInViewport();

    // One day heading for today; Bob named once for his run of messages, and "You" once for mine.
    await expect(messages(alice.page).locator('.day')).toHaveText(['Today']);
    await expect(messages(alice.page).locator('.who')).toHaveText(['You', 'Bob']);
    await expect(messages(alice.page).locator('.who').first()).toHaveClass(/visually-hidden/);
    const bobs = messages(alice.page).locator('li:not(.mine)');
    await expect(bobs).toHaveCount(MANY + 2);
    await expect(bobs.nth(5).locator('.who')).toHaveCount(0);

    // Delivery marks: drawn, with the words as text alternative.
    const hello = messages(alice.page).locator('li.mine');
    const delivered = await mark(hello);
    expect(delivered.state).toBe('delivered');
    expect(delivered.words).toBe('Delivered');
    expect(delivered.drawn).toContain('✓✓');
    await expect(hello).toContainText('Delivered');

    // Scrolled up, "Jump to newest" shows, and takes the history back down.
    const jump = alice.page.getByRole('button', { name: 'Jump to newest' });
    await expect(jump).toHaveCount(0);
    await alice.page.locator('.history').evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(jump).toBeVisible();
    await expect(messages(alice.page).getByText(`Line ${MANY}`, { exact: true })).not.toBeInViewport();
    // Something new meanwhile does not pull the view down.
    await say(bob.page, 'While you read the old ones');
    await expect(messages(alice.page)).toContainText('While you read the old ones');
    await expect(jump).toBeVisible();
    await jump.click();
    await expect(messages(alice.page).getByText('While you read the old ones')).toBeInViewport();
    await expect(jump).toHaveCount(0);
    g = await geometry(alice.page);
    expect(g.composerBottom).toBeLessThanOrEqual(g.windowHeight);

    await alice.page.screenshot({ path: testInfo.outputPath(`chat-${label}.png`) });

    // Older days: "Yesterday" and a date, in order.
    await storeOldMessages(alice.page, [3, 1]);
    await alice.page.reload();
    await openChat(alice.page, 'Bob');
    await expect(messages(alice.page).locator('.day')).toHaveCount(3);
    const days = await messages(alice.page).locator('.day').allTextContents();
    expect(days.slice(1)).toEqual(['Yesterday', 'Today']);
    expect(days[0]).not.toMatch(/^(Today|Yesterday|Unknown date)$/);
    await expect(messages(alice.page).locator('li', { hasText: 'Written 1 days ago' })).toContainText(
      'Yesterday',
    );

    // Queued while neither Bob nor the mailbox can be reached: a clock, said "Queued".
    await bob.context.close();
    await expect(alice.page.getByTestId('connection-state')).not.toHaveText(/Connected securely/, {
      timeout: 15_000,
    });
    await alice.context.setOffline(true);
    await say(alice.page, 'Waiting for you');
    const waiting = messages(alice.page).locator('li', { hasText: 'Waiting for you' });
    await expect(waiting).toContainText('Queued');
    const queued = await mark(waiting);
    expect(queued.state).toBe('queued');
    expect(queued.words).toBe('Queued');
    expect(queued.drawn).not.toBe('none'); // the clock: a drawn circle with hands
    await alice.page.screenshot({ path: testInfo.outputPath(`chat-older-${label}.png`) });
    await alice.context.close();
  });
}

test('phone: the list, then the chat in full; back returns focus to that contact; the header stays out of the chat', async ({
  browser,
}) => {
  const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: PHONE });
  const page = alice.page;
  // The chat has the whole screen: no list, no app header.
  await expect(page.getByRole('list', { name: 'Conversations' })).toBeHidden();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByTestId('verified-state')).toBeVisible();
  await expect(page.getByTestId('connection-state')).toHaveText(/Connected securely/);
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeHidden();
  const entry = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ });
  await expect(entry).toBeFocused();
  // Opened again: the focus goes into the chat (the composer, with a fine pointer).
  await entry.press('Enter');
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('laptop: list and chat side by side; Enter sends, Shift+Enter makes a new line; focus moves sensibly', async ({
  browser,
}) => {
  const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: LAPTOP });
  const page = alice.page;
  const list = page.getByRole('list', { name: 'Conversations' });
  const heading = page.getByRole('heading', { name: 'Chat with Bob' });
  await expect(list).toBeVisible();
  await expect(heading).toBeVisible();
  const listBox = (await list.boundingBox())!;
  const chatBox = (await page.locator('.chat').boundingBox())!;
  expect(listBox.x + listBox.width).toBeLessThanOrEqual(chatBox.x + 1); // the list on the left
  expect(chatBox.width).toBeGreaterThan(listBox.width);
  await expect(list.getByRole('button', { name: /^Bob/ })).toHaveAttribute('aria-current', 'true');

  // Enter sends; Shift+Enter makes a new line in the same message.
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.click();
  await page.keyboard.type('First line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await expect(box).toHaveValue('First line\nsecond line');
  await page.keyboard.press('Enter');
  await expect(box).toHaveValue('');
  const sent = messages(page).locator('li', { hasText: 'First line' });
  await expect(sent.locator('.body')).toHaveText('First line\nsecond line');
  await expect(messages(bob.page).locator('li', { hasText: 'First line' }).locator('.body')).toHaveText(
    'First line\nsecond line',
  );
  await expect(sent).toContainText('Delivered');

  // Back to the list and into the chat again: the focus follows.
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await expect(list.getByRole('button', { name: /^Bob/ })).toBeFocused();
  await expect(page.getByText('Choose a conversation')).toBeVisible();
  await list.getByRole('button', { name: /^Bob/ }).click();
  await expect(box).toBeFocused();
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('touch screen: Enter makes a new line and the button sends; opening a chat focuses its heading', async ({
  browser,
}) => {
  const { alice, bob } = await pairedAliceAndBob(browser, { aliceSize: PHONE });
  const page = alice.page;
  // A touch screen as the main pointer, as on a phone (Chromium's device emulation).
  const cdp = await alice.context.newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);

  const box = page.getByRole('textbox', { name: 'Message' });
  await box.focus();
  await page.keyboard.type('One');
  await page.keyboard.press('Enter');
  await page.keyboard.type('two');
  await expect(box).toHaveValue('One\ntwo');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(box).toHaveValue('');
  await expect(messages(bob.page).locator('li', { hasText: 'One' }).locator('.body')).toHaveText('One\ntwo');

  // Opening a chat does not raise the keyboard: the focus goes to the chat's heading.
  await page.getByRole('button', { name: 'Back to conversations' }).click();
  await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ }).click();
  await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeFocused();
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('reduced motion: "Jump to newest" goes there at once, without smooth scrolling or animation', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const { alice, bob } = await pairedAliceAndBob(browser);
  await alice.page.emulateMedia({ reducedMotion: 'reduce' });
  await writeMany(bob.page, 30, 'Calm');
  await expect(messages(alice.page)).toContainText('Calm 30');
  await alice.page.locator('.history').evaluate((el) => el.scrollTo({ top: 0 }));
  const jump = alice.page.getByRole('button', { name: 'Jump to newest' });
  await expect(jump).toBeVisible();
  expect(await jump.evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
  // Clicked in the page, then measured in the same task: an instant scroll is already at the end.
  const left = await jump.evaluate((el) => {
    (el as HTMLButtonElement).click();
    const h = document.querySelector('.history')!;
    return h.scrollHeight - h.scrollTop - h.clientHeight;
  });
  expect(left).toBeLessThan(2);
  await Promise.all([alice.context.close(), bob.context.close()]);
});

test('the self-test figures are in Settings → Diagnostics, not in the footer', async ({ browser }) => {
  const alice = await person(browser, 'Alice');
  const page = alice.page;
  await expect(page.locator('footer')).toContainText('Protocol v0.1');
  await expect(page.locator('footer')).not.toContainText(/handshake|self-test|session core/i);
  await expect(page.getByTestId('self-test')).toHaveCount(0);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Diagnostics' })).toBeVisible();
  await expect(page.getByTestId('self-test')).toHaveText(
    /Secure session core works: handshake in [\d.]+ ms, X25519 via WebCrypto\./,
    { timeout: 15_000 },
  );
  await expect(page.locator('footer')).not.toContainText(/handshake/);
  await alice.context.close();
});
