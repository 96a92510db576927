import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import basicSsl from '@vitejs/plugin-basic-ssl';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

// `npm start -- --https` (scripts/start.mjs) sets SECMSG_HTTPS: a self-signed certificate, so a
// phone on the same network gets the secure context that the camera and WebCrypto need.
const https = process.env['SECMSG_HTTPS'] === '1';

/**
 * The origins a build may connect to besides its own: the signaling worker named by the build-time
 * VITE_SIGNALING_URL, in both its WebSocket and its HTTP form (settings accept either; the
 * signaling client turns http(s) into ws(s)). Empty when the variable is unset.
 */
export function signalingOrigins(signalingUrl: string | undefined): string[] {
  if (!signalingUrl) return [];
  let url: URL;
  try {
    url = new URL(signalingUrl);
  } catch (e) {
    throw new Error(`VITE_SIGNALING_URL is not a URL: ${signalingUrl}`, { cause: e });
  }
  const pairs: Record<string, [string, string]> = {
    'ws:': ['ws:', 'http:'],
    'http:': ['ws:', 'http:'],
    'wss:': ['wss:', 'https:'],
    'https:': ['wss:', 'https:'],
  };
  const schemes = pairs[url.protocol];
  if (!schemes) throw new Error(`VITE_SIGNALING_URL must be ws(s):// or http(s)://, not ${url.protocol}`);
  return schemes.map((scheme) => `${scheme}//${url.host}`);
}

/** The Content-Security-Policy of the built app (see contentSecurityPolicy() below). */
export function cspFor(connectOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // No 'unsafe-inline': a `style="…"` attribute in markup (and so in a Solid JSX template, which
    // is parsed from an HTML string) is refused. Style through classes in styles.css; setting
    // element.style from script (CSSOM) is not affected.
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "worker-src 'self'",
    "manifest-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    // frame-ancestors, report-uri and sandbox are ignored in a <meta> policy: public/_headers adds
    // frame-ancestors to this policy in the header Cloudflare Pages sends (pagesHeaders() below).
  ].join('; ');
}

/**
 * Adds the CSP as <meta http-equiv> to the app's index.html at build time only. The dev server
 * runs without a CSP: Vite's HMR client injects inline styles and connects to its own WebSocket.
 * Only the app's own index.html gets it, not the test pages that e2e/test-pages.ts builds with this
 * config.
 */
function contentSecurityPolicy(csp: string): Plugin {
  const indexHtml = resolve(import.meta.dirname, 'index.html');
  return {
    name: 'secmsg-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html, ctx) => {
        if (resolve(ctx.filename) !== indexHtml) return html;
        // Right after <meta charset>: a meta policy only governs what the parser meets after it.
        const charset = /<meta charset="UTF-8" \/>\n?/i;
        if (!charset.test(html)) throw new Error('index.html needs <meta charset="UTF-8" /> for the CSP');
        const meta = `<meta http-equiv="Content-Security-Policy" content="${csp}" />`;
        return html.replace(charset, (m) => `${m}    ${meta}\n`);
      },
    },
  };
}

/** Where public/_headers names the meta policy, which the build writes in its place. */
const CSP_PLACEHOLDER = '{{CSP}}';
/** Cloudflare Pages ignores a longer line of _headers (workers-shared's MAX_LINE_LENGTH). */
const HEADERS_MAX_LINE = 2000;

/**
 * Emits _headers, the response headers Cloudflare Pages sends with every file (format:
 * https://developers.cloudflare.com/pages/configuration/headers/), from public/_headers with its
 * one CSP placeholder replaced by the meta tag's policy: one source for both, so the header's
 * connect-src follows VITE_SIGNALING_URL too. Fails the build with a sentence if the placeholder is
 * missing or a line grows past what Pages reads.
 */
function pagesHeaders(csp: string): Plugin {
  let publicDir = '';
  return {
    name: 'secmsg-pages-headers',
    apply: 'build',
    configResolved: (config) => {
      publicDir = config.publicDir;
    },
    generateBundle: {
      order: 'post',
      async handler() {
        // A build without public files (bench/app-size.bench.ts measures the JavaScript only) copies
        // none of them, so it writes no _headers either.
        if (!publicDir) return;
        let template: string;
        try {
          template = await readFile(join(publicDir, '_headers'), 'utf8');
        } catch (e) {
          this.error(
            `public/_headers is missing or unreadable: the build writes dist/_headers from it (${String(e)})`,
          );
        }
        const uses = template.split('\n').filter((line) => line.includes(CSP_PLACEHOLDER));
        if (uses.length !== 1 || !/^\s*Content-Security-Policy:/i.test(uses[0] ?? ''))
          this.error(
            `public/_headers must name ${CSP_PLACEHOLDER} once, in its Content-Security-Policy line, where the build writes the policy.`,
          );
        const headers = template.replace(CSP_PLACEHOLDER, () => csp);
        headers.split('\n').forEach((line, i) => {
          if (line.trim().length > HEADERS_MAX_LINE)
            this.error(
              `_headers line ${i + 1} is ${line.trim().length} characters; Cloudflare Pages ignores lines over ${HEADERS_MAX_LINE}`,
            );
        });
        // Over the verbatim copy of public/_headers that Vite wrote before the bundle.
        this.emitFile({ type: 'asset', fileName: '_headers', source: headers });
      },
    },
  };
}

const THEME_COLOR = '#2563eb';

export default defineConfig(({ command }) => {
  // VITE_SIGNALING_ALLOW: more signaling servers (space-separated URLs) the CSP lets the app reach
  // besides VITE_SIGNALING_URL, for deployments with several workers and for the fault tests.
  const connectOrigins = [
    process.env['VITE_SIGNALING_URL'],
    ...(process.env['VITE_SIGNALING_ALLOW'] ?? '').split(/\s+/),
  ].flatMap((u) => signalingOrigins(u));
  // One policy for the <meta> tag and the header (pagesHeaders()).
  const csp = cspFor(connectOrigins);
  return {
    plugins: [
      solid(),
      ...(https ? [basicSsl({ name: 'secmsg-dev' })] : []),
      contentSecurityPolicy(csp),
      pagesHeaders(csp),
      VitePWA({
        registerType: 'prompt',
        // src/ui/components/UpdatePrompt.tsx registers through virtual:pwa-register/solid: no
        // inline script, which the CSP would refuse anyway.
        injectRegister: false,
        strategies: 'generateSW',
        // The service worker only exists in builds; `vite` / `npm start` run without one.
        devOptions: { enabled: false },
        manifest: {
          id: '/',
          name: 'SecMsg',
          short_name: 'SecMsg',
          description:
            'Private two-person chat straight from the browser: end-to-end encrypted, device to device over WebRTC.',
          lang: 'en',
          start_url: '/',
          scope: '/',
          display: 'standalone',
          orientation: 'any',
          theme_color: THEME_COLOR,
          background_color: '#ffffff',
          categories: ['social', 'communication'],
          // Rendered from public/icon.svg by scripts/icons.ts.
          icons: [
            { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
            { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
            { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
            { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          ],
        },
        workbox: {
          // The whole app shell, so the app opens with no network at all. Not _headers (no
          // extension): Pages reads it at deploy time and never serves it.
          globPatterns: ['**/*.{js,css,html,svg,png,ico,wasm,webmanifest}'],
          navigateFallback: 'index.html',
          // Only app routes fall back to the shell; the signaling worker's paths never do.
          navigateFallbackDenylist: [/^\/rooms\//],
          cleanupOutdatedCaches: true,
          // The first install controls the open page at once (offline right after the first
          // visit); an update still waits for "Reload to update" (no skipWaiting).
          clientsClaim: true,
          // The wake-up's push and notification handlers (public/push-sw.js).
          importScripts: ['push-sw.js'],
        },
      }),
    ],
    define: {
      // The origins besides the page's own that this build's CSP lets the app connect to; ['*']
      // where no CSP applies (dev server, unit tests). See signalingProblem in src/app/config.ts.
      __SECMSG_CONNECT_ORIGINS__: JSON.stringify(command === 'build' ? connectOrigins : ['*']),
    },
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
      include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
      testTimeout: 20_000,
      // Node 24 marks WebCrypto's ML-DSA as experimental; the tests use it on purpose (ml-dsa.ts),
      // and its warning on every file would bury the output.
      execArgv: ['--disable-warning=ExperimentalWarning'],
    },
  };
});
