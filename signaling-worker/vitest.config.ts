// The worker's tests run inside workerd through Cloudflare's Vitest integration (the Vite plugin
// API of @cloudflare/vitest-pool-workers ≥ 0.13, for Vitest 4). Run from the repository root with
// `vitest run --root signaling-worker`, so paths here are relative to this directory.
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Keep Vite's and Vitest's caches with the repository's, not in a second node_modules here.
  cacheDir: '../node_modules/.vite/signaling-worker',
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.jsonc' },
      // The tests run without a VAPID key, whatever a local .dev.vars (npm start) holds:
      // signaling-worker/scripts/push.ts checks the wake-ups with a key of its own.
      miniflare: { bindings: { VAPID_PRIVATE_JWK: '' } },
    }),
  ],
  test: {
    name: 'signaling-worker',
    include: ['test/**/*.test.ts'],
    testTimeout: 10_000,
  },
});
