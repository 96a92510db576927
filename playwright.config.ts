import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

/**
 * Which Chromium to drive: $SECMSG_CHROMIUM (or $CHROMIUM_PATH) if set, else Debian's
 * /usr/bin/chromium if present, else Playwright's own downloaded browser.
 */
function chromiumExecutable(): string | undefined {
  const fromEnv = process.env['SECMSG_CHROMIUM'] ?? process.env['CHROMIUM_PATH'];
  if (fromEnv) return fromEnv;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}

const executablePath = chromiumExecutable();
const port = 4173;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: [['list']],
  timeout: 60_000,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          ...(executablePath ? { executablePath } : {}),
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: `npm run build && npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
      url: `http://127.0.0.1:${port}`,
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
    },
    {
      // The local signaling worker, for the worker-pairing journeys.
      command: 'npm run worker:dev',
      url: 'http://127.0.0.1:8787/rooms/health',
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
    },
  ],
});
