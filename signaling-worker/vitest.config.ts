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
      // signaling-worker/scripts/push.ts checks the wake-ups with a key of its own. TURN: the
      // coturn provider with a test secret (test/turn.test.ts checks the credentials against it).
      miniflare: {
        bindings: {
          VAPID_PRIVATE_JWK: '',
          TURN_SHARED_SECRET: 'turn-test-secret',
          TURN_URLS: 'turn:turn.test:3478?transport=udp turn:turn.test:53?transport=udp',
          TURN_KEY_ID: '',
          TURN_KEY_API_TOKEN: '',
        },
      },
    }),
  ],
  test: {
    name: 'signaling-worker',
    include: ['test/**/*.test.ts'],
    testTimeout: 10_000,
  },
});
