/**
 * Long histories in the app itself (bench/long-history.bench.ts runs it after the store level):
 * the production build (bench/local-app.ts, on this bench's own ports) in a persistent Chromium
 * profile (IndexedDB on disk) at phone size; Alice and Bob pair by codes, Bob leaves; then a
 * conversation of 10,000 messages (--messages) is written into Alice's database through the app's
 * own store code (src/store bundled by vite and served on the app's origin through Playwright's
 * routing, imported by the app's page: nothing comes from Node but the bundle). Each run loads the
 * app afresh, waits for the conversation list, and times in the page, from the tap on Bob's entry
 * (a click in the page) to the first bubbles shown (the history's first list item in the page and
 * a frame drawn after it): the target is 300 ms (median of --runs, after a discarded
 * warm-up). Then the page's JS heap (Chromium's DevTools protocol after a full GC:
 * HeapProfiler.collectGarbage, Performance.getMetrics JSHeapUsedSize): on the list, with the chat
 * open, and after scrolling up through about 2,000 and 4,000 messages (a page of older ones at a
 * time, each waited for), with the number of bubbles in the page, which the chat keeps bounded.
 * Each tap waits for the app's first idle moment after loading (at most 2 s), as a person's would.
 * The app's service worker is blocked (Playwright's routing does not see what a worker serves):
 * the chat's code comes from the preview server's HTTP cache instead of the worker's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { PHONE, firstRun, pairByCodes } from '../e2e/people';
import { DB_NAME } from '../src/store/idb-store';
import { LocalApp, median } from './local-app';

export const TARGET_FIRST_BUBBLES_MS = 300;
/** This bench's ports on these shared machines. */
const PREVIEW_PORTS = { first: 9100, last: 9149 };
const WORKER_PORTS = { first: 9150, last: 9199 };
/** Where the store bundle is served on the app's origin. */
export const BUNDLE_PATH = '/long-history-bench/';
/** How many times the history is scrolled to its top (a page of 100 older messages each), twice. */
const SCROLLS = 20;

export interface ChatFigures {
  firstBubblesMs: number[];
  bubblesShown: number;
  heapList: number;
  heapOpen: number;
  /** After SCROLLS and after twice as many scrolls up. */
  heapScrolled: [number, number];
  bubblesScrolled: [number, number];
  scrolledThrough: [number, number];
}

/** Writes `count` messages, a minute apart, older than now, into Alice's conversation with Bob. */
async function seed(page: Page, count: number): Promise<void> {
  await page.evaluate(
    async ({ path, name, count }) => {
      await import(`${path}entry.js`);
      const { openDatabase, messageRecord } = window.longHistory;
      const db = await openDatabase(indexedDB, name);
      const contacts = await db.getAll('contacts');
      if (contacts.length !== 1) throw new Error(`Alice has ${contacts.length} contacts, not 1.`);
      const contactId = contacts[0]!.id;
      const words =
        'the of and to in is you that it he was for on are as with his they at be this have from'.split(' ');
      const start = Date.now() - (count + 10) * 60_000;
      for (let from = 0; from < count; from += 1_000) {
        const tx = db.transaction('messages', 'readwrite');
        for (let i = from; i < Math.min(count, from + 1_000); i++) {
          const length = 3 + ((i * 7919) % 25);
          const body = Array.from({ length }, (_, k) => words[(i + k * 13) % words.length]).join(' ');
          const sentAt = start + i * 60_000;
          const incoming = i % 2 === 1;
          void tx.store.put(
            messageRecord({
              contactId,
              messageId: crypto.getRandomValues(new Uint8Array(16)),
              direction: incoming ? 'in' : 'out',
              body: `${i} ${body}`,
              sentAt,
              ...(incoming ? { receivedAt: sentAt + 500, readAt: sentAt + 1_000 } : {}),
              state: 'delivered',
              route: 'direct',
            }),
          );
        }
        await tx.done;
      }
      db.close();
    },
    { path: BUNDLE_PATH, name: DB_NAME, count },
  );
}

async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value;
    if (used === undefined) throw new Error('Chromium gave no JSHeapUsedSize.');
    return used;
  } finally {
    await cdp.detach();
  }
}

/** Loads the app afresh and waits for Bob's entry in the conversation list. */
async function openList(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: /^(Conversations|Chat with Bob)$/ })).toBeVisible();
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  // As a person would, tap once the app has settled: after the first idle moment (at most 2 s).
  await page.evaluate(async () => new Promise((r) => requestIdleCallback(r, { timeout: 2_000 })));
  await expect(
    page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ }),
  ).toBeVisible();
}

/** Taps Bob's entry; ms from the tap to a frame drawn with the first bubbles, and how many. */
async function tapToFirstBubbles(page: Page): Promise<{ ms: number; bubbles: number }> {
  const entry = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /^Bob/ });
  return entry.evaluate(async (button: HTMLElement) => {
    // (No function declared inside: tsx would name it with a helper the page does not have.)
    const selector = 'ol[aria-label="Messages"] li';
    const t0 = performance.now();
    button.click();
    await new Promise<void>((resolve) => {
      if (document.querySelector(selector)) return resolve();
      const watch = new MutationObserver(() => {
        if (!document.querySelector(selector)) return;
        watch.disconnect();
        resolve();
      });
      watch.observe(document.body, { childList: true, subtree: true });
    });
    // The frame that shows them: its rendering starts on the next animation frame.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const ms = performance.now() - t0;
    return { ms, bubbles: document.querySelectorAll('ol[aria-label="Messages"] li').length };
  });
}

/** Scrolls the history to its top and waits until older messages came in above; the first body's number. */
async function scrollUp(page: Page): Promise<number> {
  const first = page.locator('ol[aria-label="Messages"] li').first();
  const before = await first.getAttribute('data-message-id');
  await page.locator('.history').evaluate((h) => (h.scrollTop = 0));
  await expect(first).not.toHaveAttribute('data-message-id', before ?? '');
  return Number((await first.locator('.body').textContent())?.split(' ')[0]);
}

async function aliceAndBob(browser: Browser, alice: BrowserContext, appUrl: string): Promise<Page> {
  const bob = await browser.newContext({ baseURL: appUrl, serviceWorkers: 'block' });
  try {
    const page = alice.pages()[0] ?? (await alice.newPage());
    const bobPage = await bob.newPage();
    await Promise.all([page.goto('/'), bobPage.goto('/')]);
    await Promise.all([firstRun(page, 'Alice'), firstRun(bobPage, 'Bob')]);
    await pairByCodes(page, bobPage);
    await expect(page.getByRole('heading', { name: 'Chat with Bob' })).toBeVisible({ timeout: 30_000 });
    return page;
  } finally {
    await bob.close();
  }
}

/** The figures of the app-level part (see the file's comment). `files`: the store bundle. */
export async function measureChat(options: {
  files: Map<string, string>;
  messages: number;
  runs: number;
  verbose: boolean;
}): Promise<ChatFigures> {
  const local = new LocalApp({
    tmpPrefix: 'secmsg-long-history-chat-',
    previewPorts: PREVIEW_PORTS,
    workerPorts: WORKER_PORTS,
    verbose: options.verbose,
  });
  const profile = await mkdtemp(join(tmpdir(), 'secmsg-long-history-chat-profile-'));
  let alice: BrowserContext | undefined;
  let browser: Browser | undefined;
  try {
    await local.start();
    const launch = chromiumLaunchOptions();
    browser = await chromium.launch(launch);
    alice = await chromium.launchPersistentContext(profile, {
      ...launch,
      baseURL: local.appUrl,
      viewport: PHONE,
      serviceWorkers: 'block',
    });
    await alice.route(`${local.appUrl}${BUNDLE_PATH}**`, async (route) => {
      const path = new URL(route.request().url()).pathname.slice(BUNDLE_PATH.length);
      const body = options.files.get(path);
      if (body === undefined) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, body, contentType: 'text/javascript; charset=utf-8' });
    });
    const page = await aliceAndBob(browser, alice, local.appUrl);
    page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
    await seed(page, options.messages);

    const firstBubblesMs: number[] = [];
    let bubblesShown = 0;
    let heapList = 0;
    for (let run = 0; run <= options.runs; run++) {
      await openList(page);
      if (run === options.runs) heapList = await heapUsed(page);
      const r = await tapToFirstBubbles(page);
      if (options.verbose) console.log(`  run ${run}${run === 0 ? ' (warm-up)' : ''}: ${r.ms.toFixed(1)} ms`);
      if (run > 0) firstBubblesMs.push(r.ms);
      bubblesShown = r.bubbles;
    }
    await expect(page.locator('ol[aria-label="Messages"] li').last()).toContainText(
      `${options.messages - 1} `,
    );
    const heapOpen = await heapUsed(page);
    let firstNumber = options.messages;
    const heapScrolled: number[] = [];
    const bubblesScrolled: number[] = [];
    const scrolledThrough: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < SCROLLS && firstNumber > 0; i++) firstNumber = await scrollUp(page);
      heapScrolled.push(await heapUsed(page));
      bubblesScrolled.push(await page.locator('ol[aria-label="Messages"] li').count());
      scrolledThrough.push(options.messages - firstNumber);
    }
    return {
      firstBubblesMs,
      bubblesShown,
      heapList,
      heapOpen,
      heapScrolled: [heapScrolled[0]!, heapScrolled[1]!],
      bubblesScrolled: [bubblesScrolled[0]!, bubblesScrolled[1]!],
      scrolledThrough: [scrolledThrough[0]!, scrolledThrough[1]!],
    };
  } finally {
    await alice?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await local.stop();
    await rm(profile, { recursive: true, force: true });
  }
}

/** The lines `npm run bench` prints for the app level. */
export function printChat(f: ChatFigures, messages: number, runs: number): void {
  const mb = (x: number) => `${(x / 2 ** 20).toFixed(2)} MiB`;
  const m = median(f.firstBubblesMs);
  const verdict = m <= TARGET_FIRST_BUBBLES_MS ? 'met' : 'MISSED';
  console.log(
    `SecMsg long history, in the app (production build, Chromium at ${PHONE.width}×${PHONE.height}, ` +
      `IndexedDB on disk, ${messages.toLocaleString('en')} messages, medians of ${runs} runs in freshly loaded pages):`,
  );
  console.log(
    `  tap on the conversation to first bubbles shown: ${m.toFixed(1)} ms ` +
      `(runs ${Math.min(...f.firstBubblesMs).toFixed(1)} – ${Math.max(...f.firstBubblesMs).toFixed(1)}; ` +
      `${f.bubblesShown} bubbles); target <= ${TARGET_FIRST_BUBBLES_MS} ms: ${verdict}`,
  );
  console.log(
    `  JS heap after GC: the list ${mb(f.heapList)}; the chat open ${mb(f.heapOpen)} (${f.bubblesShown} bubbles); ` +
      f.heapScrolled
        .map(
          (heap, i) =>
            `after scrolling up through ${f.scrolledThrough[i]!.toLocaleString('en')} messages ${mb(heap)} ` +
            `(${f.bubblesScrolled[i]} bubbles)`,
        )
        .join('; '),
  );
}
