/**
 * "Nothing lost", in the browser: how long two devices that paired once take to have a secure
 * session again when both open the app, with no invite and no code. Everything is local: a
 * production build (project vite.config.ts, signaling URL baked into its CSP, into a temporary
 * directory, so dist/ is left alone) served by `vite preview`, the signaling worker under
 * `wrangler dev` (metrics off, its own temporary persistence), headless Chromium (e2e/chromium.ts)
 * with two browser contexts, host-only ICE on loopback.
 *
 * The two contexts pair once by invite codes (the UI steps of e2e/people.ts). Then each run closes
 * both pages, waits a moment (--settle, so the worker has seen both leave), opens a new page in
 * each context and starts both `goto('/')` at the same moment:
 *  app:  until both pages show the contact as connected. Timed in the page: an init script watches
 *        the conversation list and notes when the contact's badge turns "Connected", which is
 *        `messenger.live(id).state === 'open'`, the same condition as the chat's "Connected
 *        securely" (which each run then checks, untimed, by opening the chat on both sides).
 *  bare: the platform doing the same job without the app: both pages load a small static file of
 *        the same origin, open the app's IndexedDB database and read its identity and contacts,
 *        meet in one room of the same worker (the same room every run, as the app's rendezvous
 *        room) over a plain WebSocket and open an RTCDataChannel (non-trickle offer and answer as
 *        blobs, as the app does); until both channels are open.
 * Milestones per page, in ms from the start, all read from the page's own clock: navigation start,
 * load event end, first contentful paint, the profile's Web Lock asked for and granted (app), the
 * first IndexedDB open asked for and done, the conversation list shown (app), the signaling
 * WebSocket made and open, the worker's hello, our offer or answer out (blobOut), theirs in
 * (blobIn), connected (app) or channel open (bare); and, a duration, how long the page's main
 * thread was busy in long tasks (over 50 ms each) until then.
 * Runs are interleaved (app, bare, bare, app, …) after one discarded warm-up of each; medians of
 * 5 (or --runs). It reports; a missed target does not fail the command. Every process it starts
 * is stopped by its PID (process group) at the end, on failure too, and the whole run is bounded
 * (--timeout seconds).
 *
 *   tsx bench/reconnect.bench.ts [--runs N] [--settle MS] [--timeout S] [--verbose]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { chromium, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { expectChatWith, firstRun, pairByCodes } from '../e2e/people';
import { DB_NAME } from '../src/store/idb-store';
import { LocalApp, epochNow } from './local-app';

const TARGET_MS = 1_500;
/** Ports for this bench's servers on these shared machines (Playwright's runs have 4173 and 8787). */
const PREVIEW_PORTS = { first: 4400, last: 4449 };
const WORKER_PORTS = { first: 8800, last: 8849 };
/** How long one reopen may take before the run counts as failed. */
const RUN_TIMEOUT_MS = 30_000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** What the init scripts note in each page, in its performance.now() milliseconds. */
interface PageMarks {
  /** The profile's Web Lock was asked for, and granted (the app holds it while open). */
  lock?: number;
  lockGranted?: number;
  /** The lock was held elsewhere when first asked for (the app then waits for it). */
  lockBusy?: number;
  /** The first IndexedDB open was asked for, and succeeded. */
  idbOpen?: number;
  idbOpened?: number;
  /** The page's first WebSocket to the worker was made, and opened. */
  socket?: number;
  socketOpen?: number;
  /** The worker's first message (`hello`). */
  hello?: number;
  /** The page's offer or answer went out as a blob (sealed by the app, plain in bare runs). */
  blobOut?: number;
  /** The other side's arrived. */
  blobIn?: number;
  /** The app asked the room for TURN credentials, and the room answered (turn or no-turn). */
  turnOut?: number;
  turnIn?: number;
  /** The conversation list showed (with the contact). */
  list?: number;
  /** The contact's badge turned "Connected" (app). */
  connected?: number;
  /** The data channel opened (bare). */
  open?: number;
  /** Why the bare meeting failed. */
  failed?: string;
  /** Main-thread time in long tasks (over 50 ms each) so far: the page was busy, not waiting. */
  longTaskMs?: number;
}

/** How the page keeps them (set by the init scripts; read through `page.evaluate`). */
type MarkedWindow = Window & { __reconnectBench?: PageMarks };

/** Where a bare run's pages go: a small static file of the app's origin; the hash says what to do. */
const BARE_PATH = '/icon.svg';

/**
 * Settings every page of the context uses (as e2e/people.ts), and the marks: the profile lock and
 * the IndexedDB open (wrapped on the page's objects), the signaling socket (a WebSocket subclass),
 * the conversation list and the contact's badge (a MutationObserver).
 */
function appPageScript([url]: string[]): void {
  // Page code (this and barePageScript) has no named inner functions: tsx (esbuild's keepNames)
  // would wrap them in __name(…), which does not exist in the page.
  if (location.protocol === 'about:') return; // a new page's first document: no storage
  if (localStorage.getItem('secmsg.signalingUrl') === null) {
    localStorage.setItem('secmsg.signalingUrl', url!);
    localStorage.setItem('secmsg.iceServers', '[]');
  }
  const marks: PageMarks = { longTaskMs: 0 };
  (window as MarkedWindow).__reconnectBench = marks;
  new PerformanceObserver((list) => {
    if (marks.connected !== undefined || marks.open !== undefined) return;
    for (const e of list.getEntries()) marks.longTaskMs! += e.duration;
  }).observe({ type: 'longtask', buffered: true });
  const locks = navigator.locks;
  const request = locks.request.bind(locks) as (...args: unknown[]) => Promise<unknown>;
  (locks as { request: unknown }).request = async (...args: unknown[]) => {
    marks.lock ??= performance.now();
    const callback = args[args.length - 1] as (lock: Lock | null) => unknown;
    args[args.length - 1] = (lock: Lock | null) => {
      if (lock) marks.lockGranted ??= performance.now();
      else marks.lockBusy ??= performance.now();
      return callback(lock);
    };
    return request(...args);
  };
  const open = indexedDB.open.bind(indexedDB);
  indexedDB.open = (name: string, version?: number) => {
    marks.idbOpen ??= performance.now();
    const r = version === undefined ? open(name) : open(name, version);
    r.addEventListener('success', () => (marks.idbOpened ??= performance.now()));
    return r;
  };
  const blob = '{"t":"blob"';
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(socketUrl: string | URL, protocols?: string | string[]) {
      super(socketUrl, protocols);
      if (marks.socket !== undefined || !String(socketUrl).includes('/rooms/')) return;
      marks.socket = performance.now();
      this.addEventListener('open', () => (marks.socketOpen ??= performance.now()));
      this.addEventListener('message', (e) => {
        marks.hello ??= performance.now();
        if (typeof e.data === 'string' && e.data.startsWith(blob)) marks.blobIn ??= performance.now();
        if (typeof e.data === 'string' && /^\{"t":"(no-)?turn"/.test(e.data))
          marks.turnIn ??= performance.now();
      });
    }
    override send(data: Parameters<WebSocket['send']>[0]): void {
      if (typeof data === 'string' && data.startsWith(blob)) marks.blobOut ??= performance.now();
      if (data === '{"t":"turn"}') marks.turnOut ??= performance.now();
      super.send(data);
    }
  };
  new MutationObserver((_records, observer) => {
    const list = document.querySelector('ul[aria-label="Conversations"]');
    if (!list) return;
    marks.list ??= performance.now();
    if ([...list.querySelectorAll('.badge.ok')].some((b) => b.textContent === 'Connected')) {
      marks.connected = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

/**
 * A bare run's page, on its own from the start of the document (no round trip to the bench), when
 * its URL is BARE_PATH#<room id>.<1 = offerer | 0>: read the app's database (as the app must, to
 * know where to meet), then a plain WebSocket to the worker room, one RTCPeerConnection with host
 * candidates only, a complete (non-trickle) offer and answer as blobs, until the data channel is
 * open. Runs after appPageScript, so the same marks are taken.
 */
function barePageScript([workerUrl, dbName, barePath]: string[]): void {
  const marks = (window as MarkedWindow).__reconnectBench;
  if (!marks || location.pathname !== barePath) return;
  const [room, role] = location.hash.slice(1).split('.');
  const offerer = role === '1';
  void (async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(dbName!);
      r.addEventListener('success', () => resolve(r.result));
      r.addEventListener('error', () => reject(r.error ?? new Error('IndexedDB open failed')));
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['identity', 'contacts'], 'readonly');
      tx.objectStore('identity').getAll();
      tx.objectStore('contacts').getAll();
      tx.addEventListener('complete', () => resolve());
      tx.addEventListener('error', () => reject(tx.error ?? new Error('IndexedDB read failed')));
    });
    db.close();
    const ws = new WebSocket(`${workerUrl!.replace(/^http/, 'ws')}/rooms/${room}`);
    const pc = new RTCPeerConnection({ iceServers: [] });
    const gathered = new Promise<void>((resolve) =>
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      }),
    );
    const open = new Promise<void>((resolve) => {
      if (offerer) pc.createDataChannel('bare').addEventListener('open', () => resolve());
      else pc.addEventListener('datachannel', (e) => e.channel.addEventListener('open', () => resolve()));
    });
    let offered = false;
    const failed = new Promise<never>((_, reject) => {
      ws.addEventListener('close', (e) => reject(new Error(`the worker closed the room (${e.code})`)));
      ws.addEventListener('message', (e) => {
        const msg = JSON.parse(String(e.data)) as { t: string; peers?: number; d?: string };
        void (async () => {
          let reply = false;
          if (offerer && !offered && ((msg.t === 'hello' && msg.peers! > 0) || msg.t === 'peer-joined')) {
            offered = true;
            await pc.setLocalDescription(await pc.createOffer());
            reply = true;
          } else if (msg.t === 'blob') {
            const json = atob(msg.d!.replace(/-/g, '+').replace(/_/g, '/'));
            await pc.setRemoteDescription(JSON.parse(json) as RTCSessionDescriptionInit);
            if (!offerer) {
              await pc.setLocalDescription(await pc.createAnswer());
              reply = true;
            }
          }
          if (!reply) return;
          if (pc.iceGatheringState !== 'complete') await gathered;
          const d = btoa(JSON.stringify(pc.localDescription)).replace(/\+/g, '-').replace(/\//g, '_');
          ws.send(JSON.stringify({ t: 'blob', d: d.replace(/=+$/, '') }));
        })().catch(reject);
      });
    });
    try {
      await Promise.race([open, failed]);
      marks.open = performance.now();
    } finally {
      ws.close();
      pc.close();
    }
  })().catch((e: unknown) => (marks.failed = String(e)));
}

/** The last lines each page logged (console and errors), shown when a run misses. */
const pageLogs = new WeakMap<Page, string[]>();

async function newContext(
  browser: Browser,
  appUrl: string,
  workerUrl: string,
  log?: (line: string) => void,
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: appUrl });
  context.on('page', (page) => {
    const lines: string[] = [];
    pageLogs.set(page, lines);
    const keep = (line: string) => {
      lines.push(`${(performance.now() / 1000).toFixed(1)} s: ${line}`);
      if (lines.length > 40) lines.shift();
      log?.(line);
    };
    page.on('console', (m) => keep(m.text()));
    page.on('pageerror', (e) => keep(`page error: ${e.message}`));
  });
  await context.addInitScript(appPageScript, [workerUrl]);
  await context.addInitScript(barePageScript, [workerUrl, DB_NAME, BARE_PATH]);
  return context;
}

interface Side {
  name: string;
  context: BrowserContext;
  page?: Page;
}

async function closePages(sides: Side[]): Promise<void> {
  await Promise.all(sides.map(async (s) => s.page?.close()));
  for (const s of sides) delete s.page;
}

/** One page's milestones in a run, in ms after both gotos started. */
type Milestones = Record<string, number>;

interface Run {
  /** From both gotos starting to both sides done (connected; for bare, channel open). */
  ms: number;
  pages: Milestones[];
}

/** The page's load and its marks, in ms after `t0` (epoch ms). */
async function milestones(page: Page, t0: number, names: (keyof PageMarks)[]): Promise<Milestones> {
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return {
      origin: performance.timeOrigin,
      load: nav?.loadEventEnd ?? NaN,
      fcp:
        performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime ??
        NaN,
      marks: (window as MarkedWindow).__reconnectBench ?? {},
    };
  });
  const at = (x: unknown) => m.origin + (typeof x === 'number' ? x : NaN) - t0;
  const out: Milestones = { navigation: m.origin - t0, load: at(m.load) };
  if (!Number.isNaN(m.fcp)) out['FCP'] = at(m.fcp);
  for (const name of names) if (m.marks[name] !== undefined) out[name] = at(m.marks[name]);
  // A duration, not a moment: the page's main thread was busy this long, up to `connected`/`open`.
  out['busy in long tasks'] = m.marks.longTaskMs ?? NaN;
  return out;
}

/** For a miss: each page's marks so far, what its conversation list says, and what it logged. */
async function whatEachShows(sides: Side[], t0: number): Promise<string> {
  const out: string[] = [];
  for (const s of sides) {
    if (!s.page) continue;
    const shown = await s.page
      .evaluate(() => ({
        origin: performance.timeOrigin,
        marks: (window as MarkedWindow).__reconnectBench ?? {},
        list: document.querySelector('ul[aria-label="Conversations"]')?.textContent ?? '(no list)',
      }))
      .catch((e: unknown) => ({ origin: t0, marks: {}, list: `(page not readable: ${String(e)})` }));
    const marks = Object.entries(shown.marks)
      .map(([k, v]) => {
        if (typeof v !== 'number') return `${k} ${String(v)}`;
        return `${k} ${(k === 'longTaskMs' ? v : shown.origin + v - t0).toFixed(0)}`; // a duration, or a moment
      })
      .join(', ');
    out.push(`  ${s.name}: list "${shown.list}"; marks (ms from the start): ${marks}`);
    for (const line of pageLogs.get(s.page) ?? []) out.push(`    ${line}`);
  }
  return out.join('\n');
}

/**
 * Closes both pages, waits (the worker sees both leave), opens new ones, starts both gotos at the
 * same moment and waits until the mark `done` is set on both; returns each page's milestones.
 */
async function bothOpen(
  sides: Side[],
  settleMs: number,
  urls: string[],
  done: 'connected' | 'open',
  names: (keyof PageMarks)[],
): Promise<Run> {
  await closePages(sides);
  await new Promise((r) => setTimeout(r, settleMs));
  for (const s of sides) s.page = await s.context.newPage();
  const t0 = epochNow();
  await Promise.all(sides.map(async (s, i) => s.page!.goto(urls[i]!)));
  const pages = await Promise.all(
    sides.map(async (s) => {
      const ended = await s
        .page!.waitForFunction(
          (mark) => {
            const m = (window as MarkedWindow).__reconnectBench;
            return m?.[mark] !== undefined || m?.failed !== undefined ? { failed: m.failed } : undefined;
          },
          done,
          { timeout: RUN_TIMEOUT_MS, polling: 50 },
        )
        .catch(async (e: unknown) => {
          throw new Error(`${s.name} missed: ${String(e)}\n${await whatEachShows(sides, t0)}`);
        });
      const { failed } = (await ended.jsonValue())!;
      if (failed !== undefined) throw new Error(`${s.name}: ${failed}`);
      return milestones(s.page!, t0, names);
    }),
  );
  return { ms: Math.max(...pages.map((p) => p[done]!)), pages };
}

const SIGNALING_MARKS: (keyof PageMarks)[] = ['socket', 'socketOpen', 'hello', 'blobOut', 'blobIn'];

/** Both apps open at the same moment; until both show the contact connected. */
async function appRun(sides: Side[], settleMs: number): Promise<Run> {
  const run = await bothOpen(sides, settleMs, ['/', '/'], 'connected', [
    'lock',
    'lockBusy',
    'lockGranted',
    'idbOpen',
    'idbOpened',
    'list',
    ...SIGNALING_MARKS,
    'turnOut',
    'turnIn',
    'connected',
  ]);
  // Not timed: the chat says the same (a button whose name starts with the contact's name).
  for (const [i, s] of sides.entries()) {
    const other = sides[1 - i]!.name;
    await s.page!.getByRole('button', { name: new RegExp(`^${other}`) }).click();
    await expectChatWith(s.page!, other);
    await expect(s.page!.getByTestId('connection-state')).toHaveText(/Connected securely/, {
      timeout: 5_000,
    });
  }
  return run;
}

/** Both open a small static page at the same moment, read the database, meet, open a channel. */
async function bareRun(sides: Side[], settleMs: number, room: string): Promise<Run> {
  const urls = sides.map((_, i) => `${BARE_PATH}#${room}.${i === 0 ? 1 : 0}`);
  return bothOpen(sides, settleMs, urls, 'open', ['idbOpen', 'idbOpened', ...SIGNALING_MARKS, 'open']);
}

async function measure(
  browser: Browser,
  appUrl: string,
  workerUrl: string,
  args: { runs: number; settleMs: number; verbose: boolean },
): Promise<void> {
  const sides: Side[] = [];
  for (const name of ['Alice', 'Bob']) {
    const log = args.verbose ? (line: string) => console.log(`  [${name}] ${line}`) : undefined;
    sides.push({ name, context: await newContext(browser, appUrl, workerUrl, log) });
  }
  try {
    // Pair once, by invite codes (no server), as a person would.
    for (const s of sides) {
      s.page = await s.context.newPage();
      await s.page.goto('/');
      await firstRun(s.page, s.name);
      await expect(s.page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
    }
    const [a, b] = sides as [Side, Side];
    await pairByCodes(a.page!, b.page!);
    await expectChatWith(a.page!, b.name);
    await expectChatWith(b.page!, a.name);
    for (const s of sides) {
      await expect(s.page!.getByTestId('connection-state')).toHaveText(/Connected securely/, {
        timeout: RUN_TIMEOUT_MS,
      });
    }

    // One room for every bare run, as the app meets in one rendezvous room.
    const room = randomBytes(32).toString('base64url');
    await appRun(sides, args.settleMs); // warm-up, discarded
    await bareRun(sides, args.settleMs, room);
    const app: Run[] = [];
    const bare: Run[] = [];
    const f = (x: number) => x.toFixed(0);
    const milestones = (r: Run) =>
      r.pages
        .map(
          (p, k) =>
            `${sides[k]!.name}: ${Object.entries(p)
              .map(([name, x]) => `${name} ${f(x)}`)
              .join(', ')}`,
        )
        .join('; ');
    for (let i = 0; i < args.runs; i++) {
      const appFirst = i % 2 === 0;
      if (appFirst) app.push(await appRun(sides, args.settleMs));
      bare.push(await bareRun(sides, args.settleMs, room));
      if (!appFirst) app.push(await appRun(sides, args.settleMs));
      if (args.verbose) {
        console.log(`  run ${i + 1} app ${f(app[i]!.ms)} ms (${milestones(app[i]!)})`);
        console.log(`  run ${i + 1} bare ${f(bare[i]!.ms)} ms (${milestones(bare[i]!)})`);
      }
    }

    const ms = median(app.map((r) => r.ms));
    const runsOf = (rs: Run[]) => rs.map((r) => f(r.ms)).join(', ');
    /** Each milestone's median over the pages that have it (both pages of every run, mostly). */
    const medians = (rs: Run[]) => {
      const pages = rs.flatMap((r) => r.pages);
      const names = [...new Set(pages.flatMap((p) => Object.keys(p)))];
      return names
        .map((name) => {
          const xs = pages.flatMap((p) => (p[name] === undefined ? [] : [p[name]]));
          return `${name} ${f(median(xs))}${xs.length < pages.length ? ` (${xs.length} of ${pages.length})` : ''}`;
        })
        .join(', ');
    };
    const bareMs = median(bare.map((r) => r.ms));
    console.log(
      `SecMsg reconnect benchmark (Chromium ${browser.version()}, headless, vite preview + wrangler dev on ` +
        `loopback, host-only ICE, two contexts paired once, both apps opened at the same moment ` +
        `${args.settleMs} ms after both closed, ${args.runs} interleaved runs, medians)`,
    );
    console.log(
      `both apps open to the known contact's session ready: ${f(ms)} ms (runs ${runsOf(app)}) ` +
        `(target <= ${TARGET_MS} ms: ${ms <= TARGET_MS ? 'met' : 'NOT met'})`,
    );
    console.log(`  app, per page, ms from the start: ${medians(app)}`);
    console.log(
      `  bare platform (static page, IndexedDB read, same worker room, RTCDataChannel open on both): ` +
        `${f(bareMs)} ms (runs ${runsOf(bare)}; app / bare ${(ms / bareMs).toFixed(2)}); per page: ${medians(bare)}`,
    );
  } finally {
    await Promise.all(sides.map(async (s) => s.context.close()));
  }
}

/** Set once the deadline (or a signal) stopped everything: what fails afterwards is expected. */
let aborted = false;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      settle: { type: 'string', default: '1000' },
      timeout: { type: 'string', default: '480' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(args.runs) || 5);
  const settleMs = Math.max(0, Number(args.settle) || 0);
  // The app and the worker as they are now (bench/local-app.ts): the worker served from a bundle
  // made at the start. Under `wrangler dev` on the sources, an edit during the run made it rebuild,
  // and a rebuild that crashed (esbuild's "all goroutines are asleep") left both pages retrying
  // against a dead port: the 30 s misses issue 12 reported.
  const local = new LocalApp({
    tmpPrefix: 'secmsg-reconnect-bench-',
    previewPorts: PREVIEW_PORTS,
    workerPorts: WORKER_PORTS,
    verbose: args.verbose,
  });
  let browser: Browser | undefined;
  const cleanUp = async () => {
    await browser?.close().catch(() => undefined);
    await local.stop();
  };
  // Bounded: past the deadline (or on Ctrl-C) everything started here is stopped, and it exits.
  const abort = (why: string) => {
    aborted = true;
    console.error(`reconnect bench: ${why}; stopping.`);
    void cleanUp().finally(() => process.exit(1));
  };
  const watchdog = setTimeout(() => abort(`over ${args.timeout} s`), (Number(args.timeout) || 480) * 1000);
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  try {
    await local.start();
    const appUrl = local.appUrl;
    const workerUrl = local.workerUrl;
    browser = await chromium.launch(chromiumLaunchOptions());
    await measure(browser, appUrl, workerUrl, { runs, settleMs, verbose: args.verbose });
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

await main().catch((e: unknown) => {
  if (!aborted) throw e;
});
