/**
 * Clickjacking: another site must not be able to lay SecMsg's buttons (Accept, The numbers match)
 * under its own page. Where the host sends headers, dist/_headers (public/_headers, written by
 * vite.config.ts) makes Cloudflare Pages send frame-ancestors 'none' and the browser refuses the
 * frame; where it does not (here `vite preview`), src/ui/framing.ts keeps the framed app from
 * starting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type ConsoleMessage, type Locator, type Page } from '@playwright/test';
import { APP_URL } from './people';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const REFUSAL = 'SecMsg does not run inside another page. Open it directly:';

/** Where the framing page is: another site than the app's, or another origin of the same site. */
type Framer = 'localhost' | '127.0.0.1';

/**
 * Someone else's page, which frames `target` under its own text. A real server on this machine,
 * not a page.route fake: Chromium lets no page from outside the machine (which a fake counts as)
 * frame one on it (Local Network Access). Reached as localhost it is another site than the app on
 * 127.0.0.1; as 127.0.0.1 another origin (its port) of the same site.
 */
async function serveFramingPage(): Promise<{
  framing(target: string, framer: Framer): string;
  close(): Promise<void>;
}> {
  const server = createHttpServer((req, res) => {
    const target = URL.parse(new URL(req.url ?? '/', 'http://localhost').searchParams.get('frame') ?? '');
    if (!target) {
      res.statusCode = 404; // its favicon, say
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Win a prize</title><p>Click the button to claim it.</p>
      <iframe src="${target.href.replaceAll('"', '%22')}" width="800" height="600"></iframe>`);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('no port'));
    });
  });
  return {
    framing: (target, framer) => `http://${framer}:${port}/?frame=${encodeURIComponent(target)}`,
    close: async () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A _headers file read the way Cloudflare's Pages parser reads it (workers-shared/parseHeaders). */
function parseHeaders(text: string): Map<string, Map<string, string>> {
  const rules = new Map<string, Map<string, string>>();
  let rule: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^([^\s]+:\/\/|\/)/.test(line)) {
      rule = new Map();
      rules.set(line, rule);
      continue;
    }
    const colon = line.indexOf(':');
    expect(rule, `a path before "${line}"`).toBeDefined();
    expect(colon, `"${line}" is a name: value pair`).toBeGreaterThan(0);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = rule!.get(name);
    rule!.set(name, before === undefined ? value : `${before}, ${value}`); // a repeated name: joined
  }
  return rules;
}

let site: Awaited<ReturnType<typeof serveFramingPage>>;
test.beforeAll(async () => {
  site = await serveFramingPage();
});
test.afterAll(async () => site.close());

/** Every uncaught error of the page and its frames. */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  return errors;
}

/** The framed app shows the sentence and its link, and nothing of the app: no button, no field. */
async function expectRefusal(page: Page): Promise<Locator> {
  const framed = page.frameLocator('iframe');
  await expect(framed.getByText(REFUSAL)).toBeVisible();
  for (const name of ['Start', 'Accept', 'The numbers match']) {
    await expect(framed.getByRole('button', { name })).toHaveCount(0);
  }
  await expect(framed.getByRole('button')).toHaveCount(0);
  await expect(framed.getByRole('textbox')).toHaveCount(0);
  return framed.getByRole('link', { name: `${APP_URL}/` });
}

const FRAMED_ERROR = 'FramedError: SecMsg was opened inside another page and does not start there.';

test('framed by another site on a host without headers, the app shows one sentence and a link that opens it in the whole tab', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await page.goto(site.framing(`${APP_URL}/`, 'localhost'));
  const link = await expectRefusal(page);
  await expect(link).toHaveAttribute('href', `${APP_URL}/`);
  await expect(link).toHaveAttribute('target', '_top');
  await expect(link).toHaveAttribute('rel', 'noopener');
  // The app stopped where main.tsx asks it to, and nowhere else.
  expect(errors).toEqual([FRAMED_ERROR]);

  await link.click();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible();
});

// Chromium gives a frame under another site no IndexedDB at all ("The user denied permission"),
// so the framer here is of the app's own site: the frame has the app's own storage, and would
// have opened its database there had it started.
test('framed by a page of its own site, the app opens no database and registers no service worker', async ({
  page,
}) => {
  const errors = pageErrors(page);
  await page.goto(site.framing(`${APP_URL}/`, '127.0.0.1'));
  await expectRefusal(page);
  expect(errors).toEqual([FRAMED_ERROR]);
  const frame = page.frames().find((f) => f.url().startsWith(APP_URL));
  expect(frame, 'the app frame').toBeDefined();
  expect(await frame!.evaluate(async () => indexedDB.databases())).toEqual([]);
  expect(await frame!.evaluate(async () => navigator.serviceWorker.getRegistrations())).toEqual([]);

  // From a file of the app that does not start it: its origin's storage is as empty. The app
  // itself, opened directly, opens its database at once (so the empty lists are the refusal).
  const direct = await page.context().newPage();
  await direct.goto(`${APP_URL}/manifest.webmanifest`);
  expect(await direct.evaluate(async () => indexedDB.databases())).toEqual([]);
  await direct.goto(`${APP_URL}/`);
  await expect(direct.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
  expect((await direct.evaluate(async () => indexedDB.databases())).map((d) => d.name)).toContain('secmsg');
});

test("the build's _headers sends every path the meta tag's CSP plus frame-ancestors 'none', and the other security headers", async () => {
  const headersFile = await readFile(join(dist, '_headers'), 'utf8');
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  expect(meta, 'the CSP <meta> in dist/index.html').toBeDefined();

  expect(headersFile).not.toContain('{{CSP}}');
  for (const line of headersFile.split('\n')) {
    expect(line.trim().length, 'Cloudflare Pages ignores longer lines').toBeLessThanOrEqual(2000);
  }
  const rules = parseHeaders(headersFile);
  expect([...rules.keys()]).toEqual(['/*']);
  const all = rules.get('/*')!;
  expect(all.get('content-security-policy')).toBe(`${meta}; frame-ancestors 'none'`);
  expect(all.get('x-frame-options')).toBe('DENY');
  expect(all.get('referrer-policy')).toBe('no-referrer');
  expect(all.get('x-content-type-options')).toBe('nosniff');
  expect(all.get('cross-origin-opener-policy')).toBe('same-origin');

  const features = new Map(
    all
      .get('permissions-policy')!
      .split(',')
      .map((f) => f.trim().split('=') as [string, string]),
  );
  expect(features.get('camera')).toBe('(self)');
  for (const off of ['microphone', 'geolocation', 'payment', 'usb'])
    expect(features.get(off), off).toBe('()');
  for (const [feature, allow] of features) if (feature !== 'camera') expect(allow, feature).toBe('()');

  // Not in the service worker's precache: Pages reads the file at deploy and never serves it.
  expect(await readFile(join(dist, 'sw.js'), 'utf8')).not.toContain('_headers');
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

test.describe('served the way Cloudflare Pages serves dist/', () => {
  test.use({ serviceWorkers: 'allow' });

  let pages: ChildProcess | undefined;
  let work = '';
  let pagesUrl = '';

  // `wrangler pages dev` applies _headers with Cloudflare's own parser. It runs on a copy of dist/
  // (another build may replace dist/ meanwhile), from a scratch folder for its state, in its own
  // process group so that it stops with all its children.
  test.beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'secmsg-pages-'));
    await cp(dist, join(work, 'dist'), { recursive: true });
    const port = await freePort();
    pagesUrl = `http://127.0.0.1:${port}`;
    pages = spawn(
      join(root, 'node_modules', '.bin', 'wrangler'),
      ['pages', 'dev', 'dist', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', 'state'],
      {
        cwd: work,
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(pagesUrl)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('wrangler pages dev did not start');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  test.afterAll(async () => {
    if (pages?.pid !== undefined) {
      try {
        process.kill(-pages.pid, 'SIGTERM'); // the whole group: wrangler and workerd
      } catch {
        // already gone
      }
    }
    await rm(work, { recursive: true, force: true });
  });

  test('the headers reach the browser, the app runs under them, and the browser itself refuses to frame it', async ({
    page,
  }) => {
    const expected = parseHeaders(await readFile(join(work, 'dist', '_headers'), 'utf8')).get('/*')!;
    const problems: string[] = [];
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === 'error' || /Permissions-Policy|Content Security Policy/i.test(m.text()))
        problems.push(m.text());
    };
    page.on('console', onConsole);
    const errors = pageErrors(page);

    // The app's page, a deep link (the shell again) and a script, each with every header.
    const response = await page.goto(`${pagesUrl}/`);
    const sent = [response!.headers()];
    for (const path of ['/some/deep/link', '/sw.js'])
      sent.push((await page.request.get(`${pagesUrl}${path}`)).headers());
    for (const headers of sent) {
      for (const [name, value] of expected) expect(headers[name], name).toBe(value);
    }
    await expect(page.getByRole('heading', { name: 'Welcome to SecMsg' })).toBeVisible();
    await expect(
      page.getByRole('status').filter({ hasText: 'SecMsg is ready to work offline.' }),
    ).toBeVisible();
    expect(problems, 'no CSP or Permissions-Policy complaint').toEqual([]);
    expect(errors).toEqual([]);
    page.off('console', onConsole);

    // Framed by another site, the browser does not even load it: frame-ancestors 'none'.
    const refused: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes("frame-ancestors 'none'")) refused.push(m.text());
    });
    await page.goto(site.framing(`${pagesUrl}/`, 'localhost'));
    await expect.poll(() => refused.length).toBeGreaterThan(0);
    const framed = page.frameLocator('iframe');
    await expect(framed.getByText(REFUSAL)).toHaveCount(0);
    await expect(framed.getByRole('button')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});
