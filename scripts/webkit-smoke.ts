/**
 * The WebKit smoke journey: Safari's engine makes an identity, keeps it across a reload and passes
 * the self-test. WebKit is the engine of Safari and of every iPhone browser; here it is Debian's
 * WebKitGTK, its MiniBrowser driven through WebKitWebDriver (package webkit2gtk-driver) under Xvfb
 * when there is no display. Debian's WebKitGTK is built without WebRTC, so pairing is not tried.
 *
 *   tsx scripts/webkit-smoke.ts        (npm run test:webkit)
 *
 * Steps: build the app into a temp folder, serve it with `vite preview` on a port of its own,
 * start Xvfb (if DISPLAY is unset) and WebKitWebDriver, then in the browser: the first-run screen,
 * a name, Start, the conversation list; the stored identity (its key in a protected form, not raw
 * bytes); a reload that shows the list again with the same stored key; the self-test in
 * Settings → Diagnostics.
 * Everything it starts is stopped by PID at the end, on failure and on Ctrl-C too.
 *
 * Where WebKitWebDriver is missing it fails with how to install it; outside CI,
 * SECMSG_WEBKIT=skip turns that into a SKIPPED line. SECMSG_WEBKIT_DRIVER and
 * SECMSG_WEBKIT_BROWSER name other binaries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import {
  type Locator,
  WebDriverError,
  type WebDriverSession,
  createWebDriverSession,
  elementArg,
  waitForDriver,
} from './webdriver';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The whole journey; it takes about 20 s. */
const JOURNEY_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 20_000;
/** The self-test starts when Settings is opened, then takes a moment (src/ui/components/Diagnostics.tsx). */
const SELF_TEST_TIMEOUT_MS = 30_000;
/**
 * Ports of its own (Playwright's preview has 4173, the benchmarks 4300–4399, the worker 8787).
 * None is one the Fetch standard blocks ("bad port"): WebKit refuses to load those, 4190 among them.
 */
const PORTS = { first: 4440, last: 4499 };
const NAME = 'Wendy WebKit';
const OFFLINE_READY = 'SecMsg is ready to work offline.';
const OFFLINE_TIMEOUT_MS = 10_000;

const started = performance.now();
const log = (line: string): void => {
  console.log(`webkit: [${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
};

class JourneyError extends Error {
  override readonly name = 'JourneyError';
}

// ---- finding the binaries --------------------------------------------------------------------

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function findDriver(): string | undefined {
  const named = process.env['SECMSG_WEBKIT_DRIVER'];
  if (named) return executable(named) ? named : undefined;
  return onPath('WebKitWebDriver');
}

/** Debian installs MiniBrowser (with libwebkit2gtk-4.1-0) under the architecture's lib folder. */
function findBrowser(): string | undefined {
  const named = process.env['SECMSG_WEBKIT_BROWSER'];
  if (named) return executable(named) ? named : undefined;
  const candidates: string[] = [];
  for (const lib of ['/usr/lib', '/usr/lib64', '/usr/libexec']) {
    let entries: string[];
    try {
      entries = readdirSync(lib);
    } catch {
      continue;
    }
    for (const api of ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0']) {
      candidates.push(join(lib, api, 'MiniBrowser'));
      for (const arch of entries) candidates.push(join(lib, arch, api, 'MiniBrowser'));
    }
  }
  return candidates.find(executable);
}

// ---- processes we start, stopped by PID -------------------------------------------------------

const children: { name: string; child: ChildProcess; group: boolean }[] = [];

/**
 * Starts a process with its output in `logFile`. `group`: as the leader of a process group of its
 * own, so stopping it also stops what it started (WebKitWebDriver starts MiniBrowser and WebKit's
 * helper processes).
 */
function start(
  name: string,
  file: string,
  args: readonly string[],
  logFile: string,
  options: { env?: NodeJS.ProcessEnv; group?: boolean; extraFd?: boolean } = {},
): ChildProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(file, args, {
    cwd: root,
    env: options.env ?? process.env,
    detached: options.group ?? false,
    stdio: ['ignore', out, out, ...(options.extraFd ? (['pipe'] as const) : [])],
  });
  children.push({ name, child, group: options.group ?? false });
  return child;
}

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Last resort when the process ends some other way (a crash): SIGKILL whatever still runs. */
function killAllNow(): void {
  for (const { child, group } of children) {
    if (child.pid === undefined || !running(child)) continue;
    try {
      process.kill(group ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllNow);
// Output piped into a reader that went away (`| head`) must not crash the journey before cleanup.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

async function stopAll(): Promise<void> {
  for (const { name, child, group } of children.reverse()) {
    if (child.pid === undefined || !running(child)) continue;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(group ? -child.pid : child.pid, 'SIGTERM');
    } catch {
      continue; // already gone
    }
    const stopped = await Promise.race([exited.then(() => true), sleep(3_000).then(() => false)]);
    if (!stopped) {
      log(`${name} (PID ${child.pid}) did not stop on SIGTERM; sending SIGKILL.`);
      try {
        process.kill(group ? -child.pid : child.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  children.length = 0;
}

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function freePort(after = PORTS.first - 1): Promise<number> {
  for (let port = after + 1; port <= PORTS.last; port++) if (await isFree(port)) return port;
  throw new JourneyError(`No port is free between ${PORTS.first} and ${PORTS.last}.`);
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

// ---- the servers ------------------------------------------------------------------------------

async function startPreview(outDir: string, port: number, logFile: string): Promise<string> {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = [vite, 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port)];
  const child = start('vite preview', process.execPath, [...args, '--strictPort'], logFile);
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!running(child)) throw new JourneyError(`vite preview exited early:\n${tail(logFile)}`);
    try {
      if ((await fetch(url)).ok) return url;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new JourneyError(`vite preview did not answer on ${url} within ${STEP_TIMEOUT_MS / 1000} s.`);
}

/** Xvfb on a display number it picks itself (-displayfd), so parallel runs never collide. */
async function startXvfb(logFile: string): Promise<string> {
  const xvfb = onPath('Xvfb');
  if (!xvfb) {
    throw new JourneyError(
      'DISPLAY is not set and Xvfb was not found: install it (sudo apt-get install xvfb) or run with a display.',
    );
  }
  const child = start(
    'Xvfb',
    xvfb,
    ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'],
    logFile,
    {
      extraFd: true,
    },
  );
  const fd = child.stdio[3];
  if (!fd) throw new JourneyError('Xvfb was started without the pipe for its display number.');
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new JourneyError('Xvfb did not report a display within 10 s.')),
      10_000,
    );
    fd.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${text.trim()}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new JourneyError(`Xvfb exited (code ${code}) before it was ready:\n${tail(logFile)}`));
    });
  });
  return display;
}

// ---- the journey ------------------------------------------------------------------------------

const xpathText = (text: string): string => `'${text}'`; // the texts below contain no quote

/** Reads the stored identity record from the app's IndexedDB, as the page sees it. */
const READ_IDENTITY = `
const done = arguments[arguments.length - 1];
const open = indexedDB.open('secmsg');
open.onerror = () => done({ error: String(open.error) });
open.onsuccess = () => {
  const db = open.result;
  const get = db.transaction('identity').objectStore('identity').get('self');
  get.onerror = () => { db.close(); done({ error: String(get.error) }); };
  get.onsuccess = () => {
    const r = get.result;
    db.close();
    if (r === undefined) return done({ error: 'no identity record' });
    if (r === null || r.privateKey == null) return done({ error: 'the record or its private key reads back empty' });
    const hex = (b) => b instanceof Uint8Array ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : String(b);
    const k = r.privateKey;
    done({
      displayName: r.displayName,
      publicKey: hex(r.publicKey),
      form: k.backend,
      fields: Object.keys(k).sort().join(','),
      wrappingKey: k.wrappingKey instanceof CryptoKey
        ? k.wrappingKey.algorithm.name + '-' + k.wrappingKey.algorithm.length + (k.wrappingKey.extractable ? ' extractable' : ' non-extractable')
        : undefined,
    });
  };
};`;

interface StoredView {
  error?: string;
  displayName?: string;
  publicKey?: string;
  form?: string;
  fields?: string;
  wrappingKey?: string;
}

async function storedIdentity(browser: WebDriverSession): Promise<StoredView> {
  const value = (await browser.executeAsync(READ_IDENTITY)) as StoredView | null;
  if (value === null || typeof value !== 'object')
    throw new JourneyError('The page returned nothing for the stored identity.');
  if (value.error !== undefined)
    throw new JourneyError(`The stored identity cannot be read in the page: ${value.error}.`);
  return value;
}

async function pageText(browser: WebDriverSession): Promise<string> {
  try {
    return String(await browser.executeSync('return document.body ? document.body.innerText : "";'));
  } catch {
    return '(unavailable)';
  }
}

/** Waits for the conversation list, failing with the page's own alert if one shows instead. */
async function waitForConversations(browser: WebDriverSession, after: string): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    if (await browser.find({ xpath: `//h2[normalize-space()=${xpathText('Conversations')}]` })) return;
    const alert = await browser.find({ css: '[role="alert"]' });
    if (alert) {
      const text = (await browser.text(alert)).trim();
      if (text !== '') throw new JourneyError(`After ${after}, the app showed: "${text}"`);
    }
    if (Date.now() > deadline) {
      throw new JourneyError(
        `After ${after}, the conversation list did not appear within ${STEP_TIMEOUT_MS / 1000} s. The page reads:\n${await pageText(browser)}`,
      );
    }
    await sleep(200);
  }
}

/** Whether an element appears within `timeoutMs` (false on timeout; other failures throw). */
async function appears(browser: WebDriverSession, locator: Locator, timeoutMs: number): Promise<boolean> {
  try {
    await browser.waitFor(locator, 'An element', timeoutMs);
    return true;
  } catch (e) {
    if (WebDriverError.is(e, 'timeout')) return false;
    throw e;
  }
}

async function journey(browser: WebDriverSession, appUrl: string): Promise<void> {
  await browser.navigate(appUrl);
  const welcome = `//h2[normalize-space()=${xpathText('Welcome to SecMsg')}]`;
  await browser.waitFor({ xpath: welcome }, 'The first-run screen ("Welcome to SecMsg")', STEP_TIMEOUT_MS);
  const input = await browser.waitFor(
    { xpath: `//label[contains(normalize-space(.), ${xpathText('Your name')})]//input` },
    'The "Your name" field',
    STEP_TIMEOUT_MS,
  );
  log('first-run screen shown ("Welcome to SecMsg", "Your name")');
  // On a first visit the service worker installs and "ready to work offline" appears above the
  // page, moving the form down: a click aimed before that lands beside the button. Let it appear.
  const offline = await appears(
    browser,
    { xpath: `//p[normalize-space()=${xpathText(OFFLINE_READY)}]` },
    OFFLINE_TIMEOUT_MS,
  );
  log(
    offline
      ? `service worker installed: "${OFFLINE_READY}"`
      : `no "${OFFLINE_READY}" within ${OFFLINE_TIMEOUT_MS / 1000} s; going on`,
  );
  await browser.type(input, NAME);
  const startButton = await browser.waitFor(
    { xpath: `//button[normalize-space()=${xpathText('Start')}]` },
    'The "Start" button',
    STEP_TIMEOUT_MS,
  );
  const typed = await browser.executeSync('return arguments[0].value;', [elementArg(input)]);
  if (typed !== NAME)
    throw new JourneyError(`The "Your name" field holds ${JSON.stringify(typed)} after typing.`);
  await browser.click(startButton);
  await waitForConversations(browser, 'pressing Start');
  log(`typed "${NAME}", pressed Start: "Conversations" shown`);

  const before = await storedIdentity(browser);
  if (before.displayName !== NAME) {
    throw new JourneyError(`The stored identity is named "${before.displayName}", not "${NAME}".`);
  }
  if (before.form !== 'webcrypto' && before.form !== 'wrapped') {
    throw new JourneyError(
      `The identity key is stored in the "${before.form}" form; WebKit has X25519 in WebCrypto, so it must be "wrapped" or "webcrypto", never raw bytes.`,
    );
  }
  const wrapping = before.wrappingKey ? ` under an ${before.wrappingKey} key` : '';
  log(
    `identity stored: key form "${before.form}" (${before.fields})${wrapping}, public key ${before.publicKey?.slice(0, 16)}…`,
  );

  await browser.refresh();
  await waitForConversations(browser, 'the reload');
  if (await browser.find({ xpath: welcome })) {
    throw new JourneyError('After the reload, the first-run screen shows again: the identity was not kept.');
  }
  const after = await storedIdentity(browser);
  if (after.publicKey !== before.publicKey) {
    throw new JourneyError('After the reload, the stored identity has another public key.');
  }
  log('reloaded: "Conversations" shown again, no first-run screen, same stored public key');

  // The self-test runs when Settings → Diagnostics is first shown.
  const settings = await browser.waitFor(
    { xpath: `//nav//button[normalize-space()=${xpathText('Settings')}]` },
    'The "Settings" button',
    STEP_TIMEOUT_MS,
  );
  await browser.click(settings);
  const selfTest = await browser.waitFor(
    { css: '[data-testid="self-test"]' },
    'The self-test line',
    STEP_TIMEOUT_MS,
  );
  const deadline = Date.now() + SELF_TEST_TIMEOUT_MS;
  for (;;) {
    const text = (await browser.text(selfTest)).trim();
    if (text.startsWith('Secure session core works')) {
      log(`self-test: ${text}`);
      return;
    }
    if (text.startsWith('The self-test failed'))
      throw new JourneyError(`The self-test failed in WebKit: ${text}`);
    if (Date.now() > deadline) {
      throw new JourneyError(
        `The self-test line did not report within ${SELF_TEST_TIMEOUT_MS / 1000} s; it reads "${text}".`,
      );
    }
    await sleep(250);
  }
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const driverPath = findDriver();
  const browserPath = findBrowser();
  if (!driverPath || !browserPath) {
    const missing = !driverPath ? 'WebKitWebDriver' : "WebKitGTK's MiniBrowser";
    const how =
      `${missing} was not found. Install Debian's WebKitGTK driver and Xvfb ` +
      '(sudo apt-get install webkit2gtk-driver xvfb; .ci/run does this in CI), ' +
      'or name the binaries in SECMSG_WEBKIT_DRIVER and SECMSG_WEBKIT_BROWSER.';
    if (process.env['SECMSG_WEBKIT'] === 'skip' && !process.env['CI']) {
      console.log(`webkit: SKIPPED (SECMSG_WEBKIT=skip): ${how}`);
      return 0;
    }
    console.error(`webkit: FAILED: ${how} Outside CI, SECMSG_WEBKIT=skip skips this journey.`);
    return 1;
  }

  const temp = await mkdtemp(join(tmpdir(), 'secmsg-webkit-'));
  process.on('exit', () => rmSync(temp, { recursive: true, force: true }));
  let browser: WebDriverSession | undefined;
  const logs = {
    preview: join(temp, 'preview.log'),
    xvfb: join(temp, 'xvfb.log'),
    driver: join(temp, 'driver.log'),
  };
  const cleanup = async (): Promise<void> => {
    if (browser) {
      const session = browser;
      browser = undefined;
      await Promise.race([session.close().catch(() => undefined), sleep(5_000)]);
    }
    await stopAll();
    await rm(temp, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping what this journey started.`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const watchdog = setTimeout(() => {
    console.error(`webkit: FAILED: the journey took longer than ${JOURNEY_TIMEOUT_MS / 1000} s.`);
    void cleanup().finally(() => process.exit(1));
  }, JOURNEY_TIMEOUT_MS);

  try {
    const outDir = join(temp, 'dist');
    await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    log(`built the app into ${outDir}`);
    const previewPort = await freePort();
    const appUrl = await startPreview(outDir, previewPort, logs.preview);
    log(`vite preview serves it on ${appUrl}`);

    let display = process.env['DISPLAY'];
    if (!display) {
      display = await startXvfb(logs.xvfb);
      log(`Xvfb started on display ${display}`);
    } else {
      log(`using the display ${display}`);
    }

    const driverPort = await freePort(previewPort);
    const driver = start('WebKitWebDriver', driverPath, [`--port=${driverPort}`], logs.driver, {
      env: { ...process.env, DISPLAY: display },
      group: true,
    });
    const driverUrl = `http://127.0.0.1:${driverPort}/`;
    await waitForDriver(driverUrl, STEP_TIMEOUT_MS, () =>
      running(driver) ? undefined : `WebKitWebDriver exited early:\n${tail(logs.driver)}`,
    );
    browser = await createWebDriverSession({
      url: driverUrl,
      alwaysMatch: {
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: browserPath, args: ['--automation'] },
      },
    });
    log(
      `WebKitWebDriver on port ${driverPort} opened ${String(browser.capabilities['browserName'])} ` +
        `(WebKitGTK ${String(browser.capabilities['browserVersion'])})`,
    );

    await journey(browser, appUrl);
    log('PASSED: an identity made in WebKit, kept across a reload, and the self-test passed.');
    return 0;
  } catch (e) {
    console.error(`webkit: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    for (const [name, file] of Object.entries(logs)) {
      if (existsSync(file) && readFileSync(file, 'utf8').trim() !== '') {
        console.error(`webkit: last lines of ${name} output:\n${tail(file)}`);
      }
    }
    return 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

// Exit at once: keep-alive sockets and the build’s workers would otherwise hold the process a few seconds.
process.exit(await main());
