/**
 * The Firefox journeys: the app in Firefox (Debian's firefox-esr, driven over WebDriver BiDi, see
 * e2e/firefox.ts) and between Firefox and Chromium, with the real signaling worker.
 *
 *   tsx scripts/firefox-journeys.ts        (npm run test:firefox)
 *
 * 1. Firefox ↔ Firefox: first run, pairing through the worker's invite link, chat both ways, equal
 *    safety numbers; both reload and reconnect by themselves and chat again; one closes the app, what
 *    the other writes meanwhile is queued and arrives once when it is opened again.
 * 2. Firefox ↔ Chromium, both ways round (Firefox invites and Chromium joins, then the reverse, so
 *    each browser makes both the offer and the answer): pair, chat both ways, equal safety numbers,
 *    and the inviter sends a 1.5 MiB file that the joiner's app holds whole (so a file goes each way
 *    between the two browsers).
 *
 * Chromium is driven by puppeteer-core as well (over CDP, with e2e/chromium.ts's binary and flags),
 * so one set of steps (scripts/firefox-people.ts) serves both browsers.
 *
 * Before the journeys: the app built into a temporary folder against a `wrangler dev` worker of its
 * own, served by `vite preview` (bench/local-app.ts), on ports of this script's own ranges. Each
 * step prints a line; a failure prints the step and why, and exits non-zero. Everything started is
 * stopped by PID at the end, on failure, on Ctrl-C and when the whole-run timeout fires.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM_ARGS, chromiumExecutable } from '../e2e/chromium';
import { firefoxLaunchOptions } from '../e2e/firefox';
import { LocalApp, sleep } from '../bench/local-app';
import {
  type Person,
  type Where,
  StepError,
  testIdText,
  waitFor,
  chatBothWays,
  createInviteLink,
  expectConnected,
  expectMessage,
  expectNotConnected,
  joinByLink,
  messages,
  openChat,
  openPage,
  pageText,
  person,
  sameSafetyNumber,
  say,
  sendFile,
} from './firefox-people';

/** The whole run; about 80 s on two cores (the build 10 s of it), twice that on a loaded machine. */
const RUN_TIMEOUT_MS = 300_000;
/** Ports of its own (Playwright has 4173/8787, the benchmarks 4300–4399, WebKit 4440–4499). */
const APP_PORTS = { first: 4600, last: 4649 };
const WORKER_PORTS = { first: 8900, last: 8949 };

const started = performance.now();
const log = (line: string): void => {
  console.log(`firefox: [${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
};

/** The step under way, named in the failure line. */
let current = 'starting';
const people: Person[] = [];

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  current = name;
  const t0 = performance.now();
  const result = await run();
  log(`ok  ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}

const label = (p: Person): string => `${p.name} (${p.browserName})`;

/** Prints what each chat says about the connection (its route, once the app shows one). */
async function logConnection(...cast: Person[]): Promise<void> {
  for (const p of cast) log(`    ${label(p)}: "${await testIdText(p.page, 'connection-state')}"`);
}

async function firefoxPair(firefox: Browser, where: Where): Promise<void> {
  const alice = await step('Alice (Firefox) runs the app for the first time', async () =>
    person(firefox, 'Firefox', 'Alice', where, people),
  );
  const link = await step('Alice (Firefox) creates an invite link through the worker', async () =>
    createInviteLink(alice.page),
  );
  const bob = await step(
    'Bob (Firefox, a profile of his own) opens the link, runs the app, joins',
    async () => joinByLink(firefox, 'Firefox', 'Bob', link, where, people),
  );
  await step('Alice and Bob (Firefox ↔ Firefox) chat both ways, both messages delivered', async () =>
    chatBothWays(alice, bob),
  );
  await logConnection(alice, bob);
  const digits = await step(
    'Alice and Bob (Firefox ↔ Firefox) are "Not verified" and see the same 60-digit safety number',
    async () => {
      // A link opened (not scanned) proves nothing by itself: not verified until compared.
      for (const p of [alice, bob]) {
        const state = await testIdText(p.page, 'verified-state');
        if (state !== 'Not verified')
          throw new StepError(`${label(p)}'s chat says "${state}", not "Not verified".`);
      }
      return sameSafetyNumber(alice, bob);
    },
  );
  log(`    safety number ${digits.slice(0, 10)}…`);

  await step('Both reload; they reconnect by themselves, without an invite', async () => {
    await Promise.all([alice.page.reload(), bob.page.reload()]);
    await openChat(alice.page, 'Bob');
    await openChat(bob.page, 'Alice');
    await expectConnected(alice.page);
    await expectConnected(bob.page);
  });
  await step('After the reconnect, Alice and Bob (Firefox) chat both ways again', async () =>
    chatBothWays(alice, bob, ' (again)'),
  );

  const away = 'while you were away';
  await step('Bob closes the app; Alice (Firefox) sees him gone; what she writes waits for him', async () => {
    await bob.page.close();
    await expectNotConnected(alice.page);
    await say(alice.page, away);
    // Queued on the device, or Sent into Bob's mailbox on the worker; not Delivered.
    const shown = await waitFor(`"${away}" showing as Queued or Sent`, async () => {
      const line = (await messages(alice.page)).find((m) => m.includes(away));
      return line && (['Queued', 'Sent'] as const).find((mark) => line.includes(mark));
    });
    log(`    "${away}" shows as ${shown}`);
  });
  await step('Bob (Firefox) opens the app again; the queued message arrives once', async () => {
    bob.page = await openPage(bob.context, where, label(bob));
    await openChat(bob.page, 'Alice');
    await expectMessage(bob.page, away, undefined, 30_000);
    await expectMessage(alice.page, away, 'Delivered');
    const copies = (await messages(bob.page)).filter((m) => m.includes(away)).length;
    if (copies !== 1) throw new StepError(`Bob shows "${away}" ${copies} times, not once.`);
  });
  await closePeople();
}

interface Side {
  browser: Browser;
  kind: 'Firefox' | 'Chromium';
  name: string;
}

/** A file of random bytes on disk for the file steps, and its SHA-256 (hex). */
async function randomFile(name: string, size: number): Promise<{ path: string; sha256: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'secmsg-firefox-file-'));
  const bytes = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * One browser invites, the other joins: pair, chat both ways, equal safety numbers; then the
 * inviter sends the joiner a file (1.5 MiB: chunks, not inline) and it arrives whole.
 */
async function crossPair(inviting: Side, joining: Side, where: Where): Promise<void> {
  const inviter = await step(
    `${inviting.name} (${inviting.kind}) runs the app for the first time`,
    async () => person(inviting.browser, inviting.kind, inviting.name, where, people),
  );
  const link = await step(`${inviting.name} (${inviting.kind}) creates an invite link`, async () =>
    createInviteLink(inviter.page),
  );
  const joiner = await step(
    `${joining.name} (${joining.kind}) opens the link, runs the app, joins`,
    async () => joinByLink(joining.browser, joining.kind, joining.name, link, where, people),
  );
  await step(`${label(inviter)} and ${label(joiner)} chat both ways, both messages delivered`, async () =>
    chatBothWays(inviter, joiner),
  );
  await logConnection(inviter, joiner);
  const digits = await step(
    `${label(inviter)} and ${label(joiner)} see the same 60-digit safety number`,
    async () => sameSafetyNumber(inviter, joiner),
  );
  log(`    safety number ${digits.slice(0, 10)}…`);
  const name = `from-${inviting.name.toLowerCase()}.bin`;
  const file = await randomFile(name, 1536 * 1024);
  try {
    await step(
      `${label(inviter)} sends ${label(joiner)} a 1.5 MiB file; it arrives and its SHA-256 is the original's`,
      async () => {
        const got = await sendFile(inviter, joiner, file.path, name);
        if (got !== file.sha256)
          throw new StepError(
            `${label(joiner)} holds bytes whose SHA-256 is ${got || 'nothing'}, not the file's.`,
          );
      },
    );
  } finally {
    await rm(dirname(file.path), { recursive: true, force: true });
  }
  await closePeople();
}

async function closePeople(): Promise<void> {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined);
}

// ---- browsers, stopped by PID too ------------------------------------------------------------

const browsers: Browser[] = [];

async function launch(kind: 'Firefox' | 'Chromium'): Promise<Browser> {
  // Signals are handled below (stop everything, then exit), not by puppeteer on its own.
  const handlers = { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false };
  // Playwright's "Desktop Chrome" size, as the Playwright journeys see the app.
  const common = { ...handlers, defaultViewport: { width: 1280, height: 720 } };
  let browser: Browser;
  if (kind === 'Firefox') {
    browser = await puppeteer.launch({ ...firefoxLaunchOptions(), ...common });
  } else {
    const executablePath = chromiumExecutable();
    if (!executablePath) {
      throw new StepError(
        "No Chromium was found: install Debian's chromium (.ci/run does this in CI) or name it in SECMSG_CHROMIUM.",
      );
    }
    browser = await puppeteer.launch({
      browser: 'chrome',
      executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
      ...common,
    });
  }
  browsers.push(browser);
  log(`    ${kind} ${await browser.version()} started (PID ${browser.process()?.pid ?? '?'})`);
  return browser;
}

/** Closes each browser, and kills its process group by PID when it does not close in 5 s. */
async function closeBrowsers(): Promise<void> {
  for (const browser of browsers.splice(0)) {
    const pid = browser.process()?.pid;
    const closed = await Promise.race([
      browser.close().then(
        () => true,
        () => false,
      ),
      sleep(5_000).then(() => false),
    ]);
    if (!closed && pid !== undefined) killGroup(pid);
  }
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch {
      // not a group leader, or gone already
    }
  }
}

/** What the pages reported as errors: not a failure by itself, but shown, for whoever reads the run. */
const problems: string[] = [];
function reportProblems(): void {
  for (const line of new Set(problems)) log(`    page error: ${line.slice(0, 300)}`);
  if (problems.length === 0) log('    no page reported an error');
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const app = new LocalApp({
    tmpPrefix: 'secmsg-firefox-',
    previewPorts: APP_PORTS,
    workerPorts: WORKER_PORTS,
  });
  let cleaning: Promise<void> | undefined;
  const cleanup = async (): Promise<void> => {
    cleaning ??= (async () => {
      await closeBrowsers();
      await app.stop();
    })();
    return cleaning;
  };
  /** Set when a signal or the watchdog stops the run: the exit code it ends with. */
  let stopCode: number | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    stopCode = 130;
    log(`${signal}: stopping what this run started.`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // A crash: no browser outlives this process.
  process.on('exit', () => {
    for (const b of browsers) {
      const pid = b.process()?.pid;
      if (pid !== undefined) killGroup(pid);
    }
  });
  const watchdog = setTimeout(() => {
    stopCode = 1;
    console.error(
      `firefox: FAILED at "${current}": the whole run took longer than ${RUN_TIMEOUT_MS / 1000} s.`,
    );
    void cleanup().finally(() => process.exit(1));
  }, RUN_TIMEOUT_MS);

  try {
    await step('Find Firefox and Chromium', async () => {
      // Before the build: a missing browser is told in a second, not after it.
      const missing = [firefoxLaunchOptions().executablePath, chromiumExecutable()].filter(
        (path) => path !== undefined && !existsSync(path),
      );
      if (missing.length > 0) throw new StepError(`No browser is at ${missing.join(' or ')}.`);
      return Promise.resolve();
    });
    await step('Build the app and start its worker (wrangler dev) and vite preview', async () => app.start());
    log(`    app ${app.appUrl}, worker ${app.workerUrl}`);
    const where: Where = { appUrl: app.appUrl, workerUrl: app.workerUrl, problems };
    const firefox = await step('Start Firefox', async () => launch('Firefox'));
    await firefoxPair(firefox, where);
    const chromium = await step('Start Chromium', async () => launch('Chromium'));
    const ff = { browser: firefox, kind: 'Firefox' } as const;
    const cr = { browser: chromium, kind: 'Chromium' } as const;
    await crossPair({ ...ff, name: 'Carol' }, { ...cr, name: 'Dave' }, where);
    await crossPair({ ...cr, name: 'Erin' }, { ...ff, name: 'Frank' }, where);
    reportProblems();
    log(
      `PASSED: Firefox ↔ Firefox and Firefox ↔ Chromium journeys, in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
    );
    return 0;
  } catch (e) {
    if (stopCode !== undefined) return stopCode; // what failed was stopped under it: not a finding
    if (problems.length > 0) reportProblems();
    console.error(`firefox: FAILED at "${current}": ${e instanceof Error ? e.message : String(e)}`);
    for (const p of people) {
      if (p.page.isClosed()) continue;
      console.error(`firefox: ${label(p)}'s page reads:\n${await pageText(p.page)}\n`);
      const shots = process.env['SECMSG_FIREFOX_SHOTS'];
      if (shots) await p.page.screenshot({ path: `${shots}/${p.name}.png` }).catch(() => undefined);
    }
    return 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

// Exit at once: keep-alive sockets and the build's workers would otherwise hold the process a while.
process.exit(await main());
