/**
 * First contentful paint of the built app, cold: a production build (project vite.config.ts, into
 * node_modules/.cache so dist/ is left alone) served by `vite preview` on loopback, and headless
 * Chromium (e2e/chromium.ts) opening it in a fresh browser context each run (empty HTTP cache, no
 * service worker yet). FCP is the page's own `performance.getEntriesByType('paint')` entry, from
 * navigation start. One warm-up run (browser and server start-up) is discarded, then the median
 * of 5 (or --runs). It reports; a missed target does not fail the command.
 *
 *   tsx bench/fcp.bench.ts [--runs N] [--dist DIR] [--verbose]
 * --dist serves an existing build instead of building (e.g. --dist dist after `npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from '@playwright/test';
import { build } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium';

const TARGET_FCP_MS = 500;
/** Ports for ad-hoc servers on these shared machines (Playwright's preview has 4173). */
const PORTS = { first: 4300, last: 4399 };

const root = fileURLToPath(new URL('..', import.meta.url));

async function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function freePort(): Promise<number> {
  for (let port = PORTS.first; port <= PORTS.last; port++) if (await isFree(port)) return port;
  throw new Error(`no free port in ${PORTS.first}–${PORTS.last}`);
}

/** `vite preview` as a child process of its own (node, not an npx wrapper), so its PID stops it. */
async function startPreview(outDir: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(
    process.execPath,
    [vite, 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stopPreview(child);
  throw new Error(`vite preview did not answer on ${url}`);
}

function stopPreview(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
}

interface Run {
  fcpMs: number;
  responseEndMs: number;
}

/** One cold visit: a new context, so nothing is cached and no service worker is installed. */
async function coldVisit(browser: Browser, url: string): Promise<Run> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    const fcp = await page.waitForFunction(
      () => performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime,
    );
    const fcpMs = (await fcp.jsonValue()) as number;
    const responseEndMs = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd,
    );
    return { fcpMs, responseEndMs };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      dist: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(args.runs) || 5);
  let outDir: string;
  if (args.dist !== undefined) {
    outDir = resolve(args.dist);
  } else {
    outDir = join(root, 'node_modules', '.cache', 'secmsg-bench', 'fcp');
    await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  }

  const { url, child } = await startPreview(outDir, await freePort());
  try {
    const browser = await chromium.launch(chromiumLaunchOptions());
    try {
      await measure(browser, url, runs, args.verbose);
    } finally {
      await browser.close();
    }
  } finally {
    stopPreview(child);
  }
}

async function measure(browser: Browser, url: string, runs: number, verbose: boolean): Promise<void> {
  await coldVisit(browser, url); // warm-up, discarded
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await coldVisit(browser, url);
    results.push(r);
    if (verbose)
      console.log(
        `  run ${i + 1}: FCP ${r.fcpMs.toFixed(0)} ms (HTML response end ${r.responseEndMs.toFixed(0)} ms)`,
      );
  }
  const fcps = results.map((r) => r.fcpMs);
  const fcp = median(fcps);
  console.log(
    `SecMsg first contentful paint (Chromium ${browser.version()}, headless, vite preview on loopback, ` +
      `cold context each run, median of ${runs})`,
  );
  console.log(
    `FCP ${fcp.toFixed(0)} ms (runs ${fcps.map((x) => x.toFixed(0)).join(', ')}; ` +
      `HTML response end ${median(results.map((r) => r.responseEndMs)).toFixed(0)} ms) ` +
      `(target < ${TARGET_FCP_MS} ms: ${fcp < TARGET_FCP_MS ? 'met' : 'NOT met'})`,
  );
}

await main();
