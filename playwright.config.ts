import { defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

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
        launchOptions: chromiumLaunchOptions(),
      },
    },
  ],
  webServer: [
    {
      // The build's CSP allows the local signaling worker (connect-src, see vite.config.ts).
      command: `npm run build && npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
      // 8788: a worker the fault-injection test starts, stops and restarts itself.
      env: { VITE_SIGNALING_URL: 'ws://127.0.0.1:8787', VITE_SIGNALING_ALLOW: 'ws://127.0.0.1:8788' },
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
