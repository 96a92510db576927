import basicSsl from '@vitejs/plugin-basic-ssl';
import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

// `npm start -- --https` (scripts/start.mjs) sets SECMSG_HTTPS: a self-signed certificate, so a
// phone on the same network gets the secure context that the camera and WebCrypto need.
const https = process.env['SECMSG_HTTPS'] === '1';

export default defineConfig({
  plugins: [solid(), ...(https ? [basicSsl({ name: 'secmsg-dev' })] : [])],
  build: {
    target: 'es2022',
  },
  server: {
    port: 5173,
    strictPort: true,
  },
  preview: {
    port: 4173,
    strictPort: true,
  },
  test: {
    // Crypto and protocol code must run unchanged under Node: unit tests use the Node environment.
    environment: 'node',
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
