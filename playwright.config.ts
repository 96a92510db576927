import { defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

const port = 4173;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // One spec file at a time: on a 2-core machine two at once gained nothing (14.9 minutes, against
  // 14.7 one at a time in CI) and loaded the machine enough for timing-sensitive journeys to falter. Specs
  // that start servers of their own use ports no other spec uses (fault injection 8788, TURN 8789
  // and coturn's, the rest free ones), so two workers (`--workers=2`) work too.
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
      // 8788: a worker the fault-injection test starts, stops and restarts itself; 8789: the TURN
      // test's worker with credentials for its coturn.
      env: {
        VITE_SIGNALING_URL: 'ws://127.0.0.1:8787',
        VITE_SIGNALING_ALLOW: 'ws://127.0.0.1:8788 ws://127.0.0.1:8789',
      },
      url: `http://127.0.0.1:${port}`,
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
    },
    {
      // The local signaling worker, for the worker-pairing journeys: bundled once and served from
      // that bundle (`wrangler dev` on the sources runs esbuild's watcher, which has crashed under
      // load and taken the worker's state with it), under scripts/worker-e2e.mjs, which starts
      // wrangler again when it exits (it does on a dropped connection, an upstream bug) or stops
      // answering, with its local state kept. Playwright stops it by killing its process group,
      // which wrangler and workerd stay in.
      command: 'npm run worker:e2e',
      url: 'http://127.0.0.1:8787/rooms/health',
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
    },
  ],
});
