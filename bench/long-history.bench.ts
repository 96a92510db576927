/**
 * Long histories, at the store level, in a real browser: a conversation of 10,000 messages (and
 * three others of 1,000, so the indexes hold other data too) stored in IndexedDB on disk (a
 * persistent Chromium profile in a temporary directory; a Playwright context of its own would keep
 * IndexedDB in memory), then, each run in a freshly loaded page:
 *   open:        `openIdbStore()` (the database opened, schema checked);
 *   first page:  `conversations.page(id, { limit: --page })`, the newest messages: the data of the
 *                chat's first bubbles (drawing them is the UI's, not measured here);
 *   list facts:  `conversations.facts(all four ids)`, what the conversation list reads (newest
 *                message and unread count of each);
 *   whole:       `messages.list(id)`, the whole conversation, as `history()` reads it (for comparison);
 * and the page's JS heap after a full GC (Chromium's DevTools protocol: HeapProfiler.collectGarbage,
 * Runtime.getHeapUsage): with the store open and nothing read, with the first page held, and with
 * the whole history held. Medians of 5 runs (--runs) after one discarded warm-up; it reports, a
 * missed target is not a failure (a failed check is: each run checks the page holds the newest
 * messages in order, and the whole read all of them).
 *
 * The store code runs in the page as the app bundles it: src/store built by vite (the project's
 * `idb` and all) into memory and served to a page at http://localhost:9700/ through Playwright's
 * request routing (no server, no port opened).
 *
 * Then the same in the app (bench/long-history-chat.ts): the production build with a conversation
 * of --messages written through the same store code, timed from the tap on it to the first bubbles
 * shown (the target: <= 300 ms, median of --runs), and the page's JS heap with the chat
 * open and after scrolling up through 2,000 messages. --level store|chat|both (both by default).
 *
 *   tsx bench/long-history.bench.ts [--runs N] [--messages N] [--page N] [--level L] [--verbose]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { build, type Rolldown } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium';
import type { openDatabase } from '../src/store/idb-schema';
import type { openIdbStore } from '../src/store/idb-store';
import type { messageRecord } from '../src/store/record-checks';
import { type HistoryPage, MAX_UNREAD, type StoredMessage } from '../src/store/message-types';
import type { Stores } from '../src/store/stores';
import { BUNDLE_PATH, measureChat, printChat } from './long-history-chat';
import { median, root } from './local-app';

const ORIGIN = 'http://localhost:9700';
const DB = 'secmsg-long-history-bench';
const TARGET_FIRST_PAGE_MS = 300;
const OTHER_CONVERSATIONS = 3;
const OTHER_MESSAGES = 1_000;

/** What the page's module puts on `window`. */
interface PageApi {
  openIdbStore: typeof openIdbStore;
  openDatabase: typeof openDatabase;
  messageRecord: typeof messageRecord;
  stores?: Stores;
  held?: HistoryPage | StoredMessage[];
}
declare global {
  interface Window {
    longHistory: PageApi;
  }
}

/**
 * src/store bundled by vite for the page, in memory: file name → contents; `base` is the path it
 * is served under (the app-level part serves it on the app's origin, beside the app).
 */
async function bundle(base = '/'): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'secmsg-long-history-bench-'));
  try {
    const entry = join(dir, 'entry.ts');
    const store = (f: string) => JSON.stringify(join(root, 'src', 'store', f));
    await writeFile(
      entry,
      `import { openIdbStore } from ${store('idb-store.ts')};\n` +
        `import { openDatabase } from ${store('idb-schema.ts')};\n` +
        `import { messageRecord } from ${store('record-checks.ts')};\n` +
        `window.longHistory = { openIdbStore, openDatabase, messageRecord };\n`,
    );
    const out = await build({
      root,
      configFile: false,
      logLevel: 'warn',
      base,
      build: {
        write: false,
        minify: true,
        target: 'es2022',
        rolldownOptions: { input: entry, output: { format: 'es', entryFileNames: 'entry.js' } },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
    const files = new Map<string, string>();
    for (const o of outputs) {
      for (const f of o.output) {
        files.set(f.fileName, f.type === 'chunk' ? f.code : new TextDecoder().decode(f.source as Uint8Array));
      }
    }
    files.set(
      'index.html',
      '<!doctype html><meta charset="utf-8"><title>long history</title><script type="module" src="/entry.js"></script>',
    );
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores the conversations (not timed): one transaction a thousand messages. */
async function seed(page: Page, messages: number): Promise<string[]> {
  return page.evaluate(
    async ({ db: name, messages, others, otherMessages }) => {
      const { openDatabase, messageRecord } = window.longHistory;
      const db = await openDatabase(indexedDB, name);
      const ids = ['long', ...Array.from({ length: others }, (_, i) => `other-${i}`)];
      const now = Date.now();
      const words =
        'the of and to in is you that it he was for on are as with his they at be this have from'.split(' ');
      for (const [c, contactId] of ids.entries()) {
        const n = c === 0 ? messages : otherMessages;
        for (let start = 0; start < n; start += 1_000) {
          const tx = db.transaction('messages', 'readwrite');
          for (let i = start; i < Math.min(n, start + 1_000); i++) {
            const length = 3 + ((i * 7919) % 25); // 3 to 27 words
            const body = Array.from({ length }, (_, k) => words[(i + k * 13) % words.length]).join(' ');
            const sentAt = now - (n - i) * 60_000;
            const incoming = i % 2 === 1;
            void tx.store.put(
              messageRecord({
                contactId,
                messageId: crypto.getRandomValues(new Uint8Array(16)),
                direction: incoming ? 'in' : 'out',
                body: `${i} ${body}`,
                sentAt,
                ...(incoming ? { receivedAt: sentAt + 500 } : {}),
                state: 'delivered',
                route: 'direct',
              }),
            );
          }
          await tx.done;
        }
      }
      db.close();
      return ids;
    },
    { db: DB, messages, others: OTHER_CONVERSATIONS, otherMessages: OTHER_MESSAGES },
  );
}

interface Run {
  openMs: number;
  firstPageMs: number;
  factsMs: number;
  factsReadMs: number;
  wholeMs: number;
  heapOpen: number;
  heapFirstPage: number;
  heapWhole: number;
}

async function heapUsed(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  } finally {
    await cdp.detach();
  }
}

async function run(page: Page, ids: string[], messages: number, limit: number): Promise<Run> {
  await page.reload();
  await page.waitForFunction(() => 'longHistory' in window);
  const openMs = await page.evaluate(async (name) => {
    const t0 = performance.now();
    window.longHistory.stores = await window.longHistory.openIdbStore({ name });
    return performance.now() - t0;
  }, DB);
  const heapOpen = await heapUsed(page);
  const first = await page.evaluate(
    async ({ id, limit }) => {
      const stores = window.longHistory.stores!;
      const t0 = performance.now();
      const p = await stores.conversations.page(id, { limit });
      const firstPageMs = performance.now() - t0;
      window.longHistory.held = p;
      const bodies = p.messages.map((m) => m.body);
      return { firstPageMs, bodies, more: p.more };
    },
    { id: ids[0]!, limit },
  );
  const expected = Array.from({ length: limit }, (_, k) => messages - limit + k);
  if (!first.more || first.bodies.map((b) => Number(b.split(' ')[0])).join() !== expected.join()) {
    throw new Error('The first page did not hold the newest messages in order.');
  }
  const heapFirstPage = await heapUsed(page);
  // Every incoming message unread (5,000 in the long one, counted over the index), then none.
  // (No function declared inside: tsx would name it with a helper the page does not have.)
  const [factsMs, factsReadMs] = await page.evaluate(async (ids) => {
    const { conversations } = window.longHistory.stores!;
    const times: number[] = [];
    for (const allRead of [false, true]) {
      if (allRead) for (const id of ids) await conversations.markRead(id, Date.now());
      const t0 = performance.now();
      const facts = await conversations.facts(ids);
      times.push(performance.now() - t0);
      if (
        facts.length !== ids.length ||
        !facts.every((f) => f.last && (allRead ? f.unread === 0 : f.unread >= 500))
      ) {
        throw new Error('The list facts missed a conversation or miscounted.');
      }
    }
    for (const id of ids) await conversations.markRead(id, 0); // unread again for the next run
    return [times[0]!, times[1]!] as const;
  }, ids);
  const whole = await page.evaluate(async (id) => {
    const t0 = performance.now();
    const all = await window.longHistory.stores!.messages.list(id);
    const ms = performance.now() - t0;
    window.longHistory.held = all;
    return { ms, n: all.length };
  }, ids[0]!);
  if (whole.n !== messages) throw new Error(`The whole history read ${whole.n} messages, not ${messages}.`);
  const heapWhole = await heapUsed(page);
  await page.evaluate(() => {
    window.longHistory.stores?.close();
    delete window.longHistory.held;
  });
  return {
    openMs,
    firstPageMs: first.firstPageMs,
    factsMs,
    factsReadMs,
    wholeMs: whole.ms,
    heapOpen,
    heapFirstPage,
    heapWhole,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      messages: { type: 'string', default: '10000' },
      page: { type: 'string', default: '50' },
      level: { type: 'string', default: 'both' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(values.runs) || 5);
  const messages = Math.max(100, Number(values.messages) || 10_000);
  const limit = Math.min(500, Math.max(1, Number(values.page) || 50));
  const level = values.level;
  if (level !== 'both' && level !== 'store' && level !== 'chat') {
    throw new Error('--level is store, chat or both.');
  }
  if (level !== 'chat') await storeLevel(runs, messages, limit, values.verbose);
  if (level !== 'store') {
    const files = await bundle(BUNDLE_PATH);
    const figures = await measureChat({ files, messages, runs, verbose: values.verbose });
    printChat(figures, messages, runs);
  }
}

async function storeLevel(runs: number, messages: number, limit: number, verbose: boolean): Promise<void> {
  const files = await bundle();
  const profile = await mkdtemp(join(tmpdir(), 'secmsg-long-history-profile-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
    await context.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname.slice(1) || 'index.html';
      const body = files.get(path);
      if (body === undefined) return route.fulfill({ status: 404, body: 'not found' });
      const type = path.endsWith('.html') ? 'text/html' : 'text/javascript';
      return route.fulfill({ status: 200, body, contentType: `${type}; charset=utf-8` });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'longHistory' in window);
    const t0 = performance.now();
    const ids = await seed(page, messages);
    if (verbose) console.log(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    await run(page, ids, messages, limit); // warm-up, discarded
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await run(page, ids, messages, limit);
      if (verbose) console.log(`  run ${i + 1}: ${JSON.stringify(r)}`);
      results.push(r);
    }
    const m = (k: keyof Run) => median(results.map((r) => r[k]));
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const mb = (x: number) => `${(x / 2 ** 20).toFixed(2)} MiB`;
    const range = (k: keyof Run) =>
      `${Math.min(...results.map((r) => r[k])).toFixed(1)} – ${Math.max(...results.map((r) => r[k])).toFixed(1)}`;
    console.log(
      `SecMsg long history, store level (Chromium ${context.browser()?.version() ?? ''}, IndexedDB on disk, ` +
        `${messages.toLocaleString('en')} messages in one conversation and ${OTHER_CONVERSATIONS} of ` +
        `${OTHER_MESSAGES.toLocaleString('en')}, medians of ${runs} runs in freshly loaded pages):`,
    );
    console.log(
      `  first page, the newest ${limit} messages (the first bubbles' data, not yet drawn): ` +
        `${ms(m('firstPageMs'))} (runs ${range('firstPageMs')}); with opening the database ` +
        `(${ms(m('openMs'))}): ${ms(m('openMs') + m('firstPageMs'))} ` +
        `(the issue's target for first bubbles shown: <= ${TARGET_FIRST_PAGE_MS} ms, UI not measured here)`,
    );
    console.log(
      `  conversation list facts (newest message, unread count), ${ids.length} conversations: ` +
        `${ms(m('factsReadMs'))} all read; ${ms(m('factsMs'))} with every incoming message unread ` +
        `(${(messages / 2).toLocaleString('en')} in the long one, counted up to ${MAX_UNREAD.toLocaleString('en')})`,
    );
    console.log(
      `  for comparison, the whole conversation read at once (history()): ${ms(m('wholeMs'))} (runs ${range('wholeMs')})`,
    );
    console.log(
      `  JS heap after GC: store open ${mb(m('heapOpen'))}; with the first page held ${mb(m('heapFirstPage'))} ` +
        `(+${mb(m('heapFirstPage') - m('heapOpen'))}); with the whole conversation held ${mb(m('heapWhole'))} ` +
        `(+${mb(m('heapWhole') - m('heapOpen'))})`,
    );
    if (errors.length > 0) console.log(`page errors: ${errors.join('; ')}`);
  } finally {
    await context?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  console.error(`long-history bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
