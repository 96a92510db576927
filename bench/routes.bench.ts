/**
 * Routes benchmark (issue 12; DESIGN.md, Routes and delivery, items 1–3): 64-byte round trips and
 * bulk throughput over each live route, all in one run, between two pages (two browser contexts)
 * of one headless Chromium on loopback:
 *   direct        a bare RTCDataChannel with no ICE servers (host candidates);
 *   TURN          the same DataChannel with `iceTransportPolicy: 'relay'` through a real coturn
 *                 (e2e/coturn.ts, started on 127.0.0.1 by PID), with REST credentials made here
 *                 from its shared secret by the worker's formula (signaling-worker/src/turn.ts);
 *                 getStats must show a relay candidate selected on both pages, or the run fails;
 *   worker relay  two WebSockets to the worker's relay room (`/relay/<id>`, src/protocol/relay.ts),
 *                 the worker bundled and run under `wrangler dev` (bench/local-app.ts).
 * The measuring page sends, the other answers (bench/routes-page.ts): `--pings` sequential 64 B
 * round trips (their median), then `--bulk-mib` MiB in `--chunk-kib` KiB messages, the sender
 * holding at most the app transport's high-water mark in the buffer (MiB/s from the first send to
 * the receiver's one-byte answer). Each run opens fresh connections (a fresh relay room); the
 * routes take turns going first; a short warm-up pass is not counted. Each relayed route is given
 * as a ratio to the direct path of the same run; medians over `--runs` runs.
 * It reports: nothing here is a target, and only a failure to measure fails the command.
 *
 *   tsx bench/routes.bench.ts [--runs 3] [--pings 200] [--bulk-mib 64] [--chunk-kib 64]
 *                             [--timeout 600] [--verbose]
 */
import { createHmac, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { startCoturn, type Coturn } from '../e2e/coturn';
import { RELAY_MAX_FRAME_BYTES, RELAY_PATH_PREFIX, RELAY_READY } from '../src/protocol/relay';
import { LocalApp, median } from './local-app';
import { routesPageScript, type RoutesPageOptions, type RoutesPath } from './routes-page';

const PREVIEW_PORTS = { first: 4500, last: 4549 };
const WORKER_PORTS = { first: 8950, last: 8999 };
/** The app's DataChannel transport marks (src/rtc/simple-peer-transport.ts, DEFAULT_*_WATER_MARK). */
const FLOW: RoutesPageOptions = { highWaterMark: 1024 * 1024, lowWaterMark: 256 * 1024 };
const PING_WARMUP = 20;
const WARMUP_BULK_MIB = 8;
const STEP_TIMEOUT_MS = 120_000;
/** Where the pages live: fulfilled by Playwright (never reaching vite preview), cross-origin isolated. */
const PAGE_PATH = '/routes-bench';

type RouteName = 'direct' | 'TURN' | 'worker relay';
const ROUTES: readonly RouteName[] = ['direct', 'TURN', 'worker relay'];

interface Figures {
  pingMs: number;
  mibps: number;
  /** The selected candidate pair on the measuring page (DataChannel routes). */
  path?: RoutesPath;
}

interface Setup {
  a: Page;
  b: Page;
  coturn: Coturn;
  workerUrl: string;
  pings: number;
  bulkBytes: number;
  chunkBytes: number;
}

async function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took over ${STEP_TIMEOUT_MS / 1000} s.`)),
      STEP_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** coturn's REST credentials (use-auth-secret), an hour long: what the worker hands out for it. */
function turnConfig(coturn: Coturn): RTCConfiguration {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:routes-bench`;
  const credential = createHmac('sha1', coturn.secret).update(username).digest('base64');
  return { iceServers: [{ urls: [...coturn.urls], username, credential }], iceTransportPolicy: 'relay' };
}

/** Offer on page a, answer on page b (non-trickle), both channels open; the selected pair of a. */
async function connectDataChannel(s: Setup, config: RTCConfiguration): Promise<RoutesPath> {
  const offer = await s.a.evaluate(async (c) => window.routesBench.offer(c), config);
  const answer = await s.b.evaluate(async ([c, o]) => window.routesBench.answer(c, o), [
    config,
    offer,
  ] as const);
  await s.a.evaluate(async (x) => window.routesBench.accept(x), answer);
  await Promise.all([s.a, s.b].map(async (p) => p.evaluate(async () => window.routesBench.channelOpen())));
  const [pathA, pathB] = await Promise.all(
    [s.a, s.b].map(async (p) => p.evaluate(async () => window.routesBench.path())),
  );
  if (config.iceTransportPolicy === 'relay' && (pathA!.local !== 'relay' || pathB!.local !== 'relay')) {
    throw new Error(
      `The TURN route did not go through coturn: the selected pairs were ${pathA!.local} ↔ ${pathA!.remote} ` +
        `and ${pathB!.local} ↔ ${pathB!.remote}.`,
    );
  }
  return pathA!;
}

async function connectRelay(s: Setup): Promise<void> {
  const url = new URL(s.workerUrl);
  url.protocol = 'ws:';
  url.pathname = RELAY_PATH_PREFIX + randomBytes(32).toString('base64url');
  await Promise.all(
    [s.a, s.b].map(async (p) =>
      p.evaluate(async ([u, ready]) => window.routesBench.relay(u, ready), [url.href, RELAY_READY] as const),
    ),
  );
}

/** One route, fresh connections: round trips, then bulk; closed on both pages afterwards. */
async function measureRoute(s: Setup, route: RouteName, pings: number, bulkBytes: number): Promise<Figures> {
  try {
    let path: RoutesPath | undefined;
    if (route === 'worker relay') await within(`Opening the ${route}`, connectRelay(s));
    else {
      const config = route === 'TURN' ? turnConfig(s.coturn) : { iceServers: [] };
      path = await within(`Opening the ${route} route`, connectDataChannel(s, config));
    }
    await s.b.evaluate((n) => window.routesBench.serve(n), bulkBytes);
    const rtts = await within(
      `The ${route} round trips`,
      s.a.evaluate(async ([n, w]) => window.routesBench.ping(n, w), [pings, PING_WARMUP] as const),
    );
    const ms = await within(
      `The ${route} bulk transfer`,
      s.a.evaluate(async ([n, c]) => window.routesBench.bulk(n, c), [bulkBytes, s.chunkBytes] as const),
    );
    if (path) path = await s.a.evaluate(async () => window.routesBench.path()); // with the bulk's discards
    return { pingMs: median(rtts), mibps: bulkBytes / 2 ** 20 / (ms / 1000), ...(path ? { path } : {}) };
  } finally {
    await Promise.all(
      [s.a, s.b].map(async (p) => p.evaluate(() => window.routesBench.close()).catch(() => undefined)),
    );
  }
}

async function newPage(browser: Browser, appUrl: string, log: (line: string) => void): Promise<Page> {
  // The page is made up here, so it has no address of its own: Chromium's Local Network Access
  // checks count it as public, and a public page may reach loopback (the worker) only when allowed.
  const context: BrowserContext = await browser.newContext({ permissions: ['local-network-access'] });
  // Cross-origin isolation (COOP + COEP) gives performance.now() 5 µs steps instead of 100 µs.
  await context.route(`${appUrl}${PAGE_PATH}`, async (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>SecMsg routes bench</title>',
      headers: {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      },
    }),
  );
  // tsx keeps function names by wrapping them in __name(…), which the page does not have.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await context.addInitScript(routesPageScript, FLOW);
  const page = await context.newPage();
  page.on('console', (m) => log(m.text()));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${appUrl}${PAGE_PATH}`);
  if (!(await page.evaluate(() => crossOriginIsolated))) {
    log('the page is not cross-origin isolated: times are in 100 µs steps');
  }
  return page;
}

const fmt = {
  ms: (x: number) => `${x.toFixed(3)} ms`,
  mibps: (x: number) => `${x.toFixed(1)} MiB/s`,
  range: (xs: number[], digits = 2) =>
    `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`,
};

function report(runs: Map<RouteName, Figures[]>, bulkMiB: number, chunkKiB: number, pings: number): void {
  const direct = runs.get('direct')!;
  const med = (route: RouteName, key: 'pingMs' | 'mibps') => median(runs.get(route)!.map((f) => f[key]));
  const ratios = (route: RouteName, key: 'pingMs' | 'mibps') =>
    runs.get(route)!.map((f, i) => f[key] / direct[i]![key]);
  console.log(`64 B round trip, median of ${pings} sequential (then the median of the runs):`);
  for (const route of ROUTES) {
    const each = runs.get(route)!.map((f) => f.pingMs);
    const r = ratios(route, 'pingMs');
    console.log(
      `  ${route.padEnd(13)} ${fmt.ms(med(route, 'pingMs')).padStart(9)}  (runs ${fmt.range(each, 3)} ms)` +
        (route === 'direct' ? '' : `  ×${median(r).toFixed(2)} the direct path (runs ${fmt.range(r)})`),
    );
  }
  console.log(`bulk ${bulkMiB} MiB in ${chunkKiB} KiB messages, one way:`);
  for (const route of ROUTES) {
    const each = runs.get(route)!.map((f) => f.mibps);
    const r = ratios(route, 'mibps');
    console.log(
      `  ${route.padEnd(13)} ${fmt.mibps(med(route, 'mibps')).padStart(12)}  (runs ${fmt.range(each, 1)})` +
        (route === 'direct' ? '' : `  ×${median(r).toFixed(2)} the direct path (runs ${fmt.range(r)})`),
    );
  }
  for (const route of ['direct', 'TURN'] as const) {
    const paths = runs.get(route)!.map((f) => f.path!);
    const kinds = [
      ...new Set(paths.map((p) => `${p.local}${p.relayProtocol ? `/${p.relayProtocol}` : ''} ↔ ${p.remote}`)),
    ];
    console.log(
      `  ${route}: selected pair ${kinds.join(', ')}; UDP packets discarded on send by the measuring ` +
        `page, a run: ${paths.map((p) => p.discardedOnSend).join(', ')}`,
    );
  }
}

async function measure(s: Setup, runs: number, verbose: boolean): Promise<Map<RouteName, Figures[]>> {
  for (const route of ROUTES) await measureRoute(s, route, 20, WARMUP_BULK_MIB * 2 ** 20);
  const figures = new Map<RouteName, Figures[]>(ROUTES.map((r) => [r, []]));
  for (let run = 0; run < runs; run++) {
    const order = ROUTES.map((_, i) => ROUTES[(i + run) % ROUTES.length]!);
    for (const route of order) {
      const f = await measureRoute(s, route, s.pings, s.bulkBytes);
      figures.get(route)!.push(f);
      if (verbose) {
        const path = f.path ? `, ${f.path.local} ↔ ${f.path.remote}` : '';
        console.log(`  run ${run + 1} ${route}: ${fmt.ms(f.pingMs)}, ${fmt.mibps(f.mibps)}${path}`);
      }
    }
  }
  return figures;
}

let aborted = false;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      pings: { type: 'string', default: '200' },
      'bulk-mib': { type: 'string', default: '64' },
      'chunk-kib': { type: 'string', default: '64' },
      timeout: { type: 'string', default: '600' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(args.runs) || 3);
  const pings = Math.max(10, Number(args.pings) || 200);
  const bulkMiB = Math.max(1, Number(args['bulk-mib']) || 64);
  const chunkKiB = Number(args['chunk-kib']) || 64;
  if (chunkKiB < 1 || chunkKiB * 1024 > RELAY_MAX_FRAME_BYTES || (bulkMiB * 1024) % chunkKiB !== 0) {
    throw new Error(
      `--chunk-kib must be 1 to ${RELAY_MAX_FRAME_BYTES / 1024} (the relay's largest frame) and divide --bulk-mib.`,
    );
  }
  const local = new LocalApp({
    tmpPrefix: 'secmsg-routes-bench-',
    previewPorts: PREVIEW_PORTS,
    workerPorts: WORKER_PORTS,
    verbose: args.verbose,
  });
  let coturn: Coturn | undefined;
  let browser: Browser | undefined;
  const pageLog: string[] = [];
  const log = (side: string) => (line: string) => {
    pageLog.push(`[${side}] ${line}`);
    if (args.verbose) console.log(`  [${side}] ${line}`);
  };
  const cleanUp = async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([local.stop(), coturn?.stop()]);
  };
  // Bounded: past the deadline (or on Ctrl-C) everything started here is stopped, and it exits.
  const abort = (why: string) => {
    aborted = true;
    console.error(`routes bench: ${why}; stopping.`);
    void cleanUp().finally(() => process.exit(1));
  };
  const timeoutS = Number(args.timeout) || 600;
  const watchdog = setTimeout(() => abort(`over ${timeoutS} s`), timeoutS * 1000);
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  const loadBefore = loadavg()[0]!;
  try {
    coturn = await startCoturn();
    await local.start();
    browser = await chromium.launch(chromiumLaunchOptions());
    const setup: Setup = {
      a: await newPage(browser, local.appUrl, log('A')),
      b: await newPage(browser, local.appUrl, log('B')),
      coturn,
      workerUrl: local.workerUrl,
      pings,
      bulkBytes: bulkMiB * 2 ** 20,
      chunkBytes: chunkKiB * 1024,
    };
    console.log(
      `SecMsg routes benchmark (Chromium ${browser.version()}, two pages in two contexts, loopback; ` +
        `coturn pid ${coturn.pid} on ${coturn.urls.join(' ')}; the worker under wrangler dev at ${local.workerUrl}; ` +
        `${runs} runs, routes taking turns, medians)`,
    );
    const figures = await measure(setup, runs, args.verbose);
    report(figures, bulkMiB, chunkKiB, pings);
    console.log(
      `  load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after, ` +
        `on ${cpus().length} cores`,
    );
  } catch (e) {
    if (pageLog.length > 0) console.error(`the pages said:\n${pageLog.slice(-20).join('\n')}`);
    throw e;
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
  }
}

await main().catch((e: unknown) => {
  if (!aborted) throw e;
});
