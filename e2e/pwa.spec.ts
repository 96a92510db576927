/**
 * The built app as an installable, offline-capable PWA under a strict CSP (vite.config.ts):
 * manifest and icons, Chromium's own installability verdict, opening with no network, and a page
 * that runs without a single CSP violation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from './chromium';
import { WORKER, firstRun, openPairing } from './people';

test.use({ serviceWorkers: 'allow' });

interface ManifestIcon {
  src: string;
  sizes: string;
  type?: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(0, 8).equals(signature), 'a PNG signature').toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function fetchOk(request: APIRequestContext, url: string): Promise<Buffer> {
  const response = await request.get(url);
  expect(response.ok(), `${url} answers ${response.status()}`).toBe(true);
  return response.body();
}

async function waitForServiceWorkerControl(page: Page): Promise<void> {
  await page.waitForFunction(
    async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller !== null;
    },
    undefined,
    { timeout: 10_000 },
  );
}

test('the manifest is complete, its icons are there at their sizes, and Chromium finds it installable', async ({
  page,
  request,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();

  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(manifestHref).toBeTruthy();
  const manifestUrl = new URL(manifestHref!, page.url()).href;
  const manifest = JSON.parse((await fetchOk(request, manifestUrl)).toString('utf8')) as Record<
    string,
    unknown
  >;
  expect(manifest).toMatchObject({
    name: 'SecMsg',
    short_name: 'SecMsg',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
  });
  expect(manifest['description']).toEqual(expect.any(String));
  expect(manifest['theme_color']).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest['background_color']).toMatch(/^#[0-9a-f]{6}$/i);

  const icons = manifest['icons'] as ManifestIcon[];
  const pngs = icons.filter((i) => i.type === 'image/png');
  const declared = pngs.map((i) => `${i.sizes} ${i.purpose ?? 'any'}`);
  expect(declared).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const icon of pngs) {
    const { width, height } = pngSize(await fetchOk(request, new URL(icon.src, manifestUrl).href));
    expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
  }
  for (const icon of icons.filter((i) => i.type === 'image/svg+xml')) {
    expect((await fetchOk(request, new URL(icon.src, manifestUrl).href)).toString('utf8')).toContain('<svg');
  }

  // The icons index.html names besides the manifest's.
  const appleHref = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
  expect(pngSize(await fetchOk(request, new URL(appleHref!, page.url()).href))).toEqual({
    width: 180,
    height: 180,
  });
  const favicons = await page
    .locator('link[rel="icon"]')
    .evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
  expect(favicons.length).toBeGreaterThan(0);
  for (const href of favicons) await fetchOk(request, href);

  // Chromium's own reading of the manifest and its install criteria. Test contexts are incognito
  // ("in-incognito" is an installability error), so this part runs in a persistent profile.
  const profile = await mkdtemp(join(tmpdir(), 'secmsg-pwa-profile-'));
  const installContext = await chromium.launchPersistentContext(profile, {
    ...chromiumLaunchOptions(),
    serviceWorkers: 'allow',
  });
  try {
    const installPage = installContext.pages()[0] ?? (await installContext.newPage());
    await installPage.goto(page.url());
    await expect(installPage.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
    const cdp = await installContext.newCDPSession(installPage);
    const { errors } = await cdp.send('Page.getAppManifest');
    expect(errors).toEqual([]);
    await expect
      .poll(async () => (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors, {
        timeout: 10_000,
      })
      .toEqual([]);
  } finally {
    await installContext.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('after one visit the service worker serves the app with no network', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
  await waitForServiceWorkerControl(page);
  await expect(
    page.getByRole('status').filter({ hasText: 'SecMsg is ready to work offline.' }),
  ).toBeVisible();

  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
    // An app route that was never visited opens too (navigateFallback to the shell).
    await page.goto('/some/deep/link');
    await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
  } finally {
    await context.setOffline(false);
  }
});

test('the strict CSP is in the page and nothing the app does violates it', async ({ page }) => {
  await page.addInitScript(
    ([worker]) => {
      localStorage.setItem('secmsg.signalingUrl', worker!);
      localStorage.setItem('secmsg.iceServers', '[]'); // host candidates only: no STUN here
    },
    [WORKER],
  );
  await page.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const violations = async () =>
    page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

  await page.goto('/');
  const csp = await page
    .locator('meta[http-equiv="Content-Security-Policy"]')
    .getAttribute('content', { timeout: 1_000 });
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("style-src 'self';");
  expect(csp).toContain("object-src 'none'");
  // The test build allows the journeys' worker (8787), the fault-injection test's own (8788) and
  // the TURN test's (8789).
  expect(csp).toMatch(
    /connect-src 'self' ws:\/\/127\.0\.0\.1:8787 http:\/\/127\.0\.0\.1:8787 ws:\/\/127\.0\.0\.1:8788 http:\/\/127\.0\.0\.1:8788 ws:\/\/127\.0\.0\.1:8789 http:\/\/127\.0\.0\.1:8789;/,
  );
  expect(csp).not.toMatch(/unsafe-(inline|eval)/);

  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();
  await waitForServiceWorkerControl(page); // the worker registers under the policy too
  await page.reload();
  await expect(page.getByRole('heading', { name: 'SecMsg', level: 1 })).toBeVisible();

  // Through the app under the policy: first run, then an invite through the signaling worker
  // (configured in its http: form, as a person may type it; the client connects to its ws: form)
  // with its QR code (a data: image).
  await firstRun(page, 'Alice');
  await openPairing(page);
  await page.getByRole('button', { name: 'Create invite link' }).click();
  await expect(page.getByTestId('invite-link')).toHaveValue(/#join=2\./);
  await expect(page.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
  expect(await violations()).toEqual([]);
  expect(consoleErrors).toEqual([]);

  // The policy is enforced, and the signaling worker of this build is allowed in both forms the
  // settings accept (http: and the ws: the client turns it into).
  const blocked = await page.evaluate(async () => {
    const probe = async (url: string) => {
      try {
        await fetch(url, { mode: 'no-cors' });
      } catch {
        // refused by CSP or unreachable; the violation events tell which
      }
    };
    await probe('http://127.0.0.1:8787/rooms/health');
    await probe('http://127.0.0.1:9/not-allowed');
    const ws = new WebSocket('ws://127.0.0.1:8787/rooms/health');
    await new Promise((resolve) => {
      ws.onopen = ws.onerror = ws.onclose = resolve;
    });
    ws.close();
    return (window as unknown as { cspViolations: string[] }).cspViolations;
  });
  expect(blocked).toEqual(['connect-src blocked http://127.0.0.1:9/not-allowed']);
});
