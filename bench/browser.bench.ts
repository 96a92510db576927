/**
 * Browser benchmark of the full app path against the bare platform, in Chromium over loopback,
 * both ends in one page (e2e-pages/bench-page.ts, built and served like the e2e test pages):
 *  1. bulk throughput: 64 MiB as 64 KiB text records through transport, framing, AES-GCM and
 *     HMAC, divided by a bare RTCDataChannel sending messages of the same size;
 *  2. handshake: from both channels open to both sessions ready (Noise XX, three messages),
 *     beside the same three messages on the bare channel;
 *  3. ping-pong: 64-byte messages through the session, divided by the bare channel's round trip.
 * Each run opens fresh connections; runs are interleaved (bare, app, app, bare, …) and medians of
 * 9 are reported (at least 5 with --runs). It reports: a missed target does not fail the command.
 *
 *   tsx bench/browser.bench.ts [--runs N] [--verbose] [--profile]
 * --verbose prints each run's figures; --profile also times the bulk path's pieces in the page.
 */
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import type { BenchOptions, ProfileResult } from '../e2e-pages/bench-page';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { serveTestPages } from '../e2e/test-pages';

const TARGET_BULK_RATIO = 0.9;
const TARGET_HANDSHAKE_MS = 15;
const TARGET_PING_RATIO = 1.5;

/** $SECMSG_CHROMIUM, else Debian's /usr/bin/chromium, else Playwright's own (as playwright.config.ts). */
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

function printProfile(p: ProfileResult): void {
  const mibps = (us: number) => `${(64 / 1024 / (us / 1e6)).toFixed(0)} MiB/s`;
  const line = (label: string, us: number) =>
    console.log(`  ${label.padEnd(44)} ${us.toFixed(0).padStart(5)} µs/frame  (${mibps(us)})`);
  console.log(`profile, per ${p.frameBytes}-byte frame carrying 64 KiB, no network:`);
  line('encodeRecord (UTF-8 encode, copy)', p.encodeRecordUs);
  line('decodeRecord (strict UTF-8 decode)', p.decodeRecordUs);
  line('AES-256-GCM encrypt, one at a time', p.aesGcmEncryptUs);
  line('AES-256-GCM encrypt, 8 in flight', p.aesGcmEncryptOverlappedUs);
  line('HMAC-SHA256 sign, one at a time', p.hmacSignUs);
  line('HMAC-SHA256 sign, 8 in flight', p.hmacSignOverlappedUs);
  line('encrypt i+1 beside HMAC i (a pipelined seal)', p.encryptBesideHmacUs);
  line('FrameProtector.seal (encrypt, then HMAC)', p.sealUs);
  line('FrameProtector.open (HMAC, then decrypt)', p.openUs);
  line('seal i beside open i-1 (session steady state)', p.sealAndOpenConcurrentUs);
  console.log(
    `  64 B text record: seal ${p.smallSealUs.toFixed(0)} µs, open ${p.smallOpenUs.toFixed(0)} µs; ` +
      `64 B round trip: bare ${p.pingRttMs.bare.toFixed(3)} ms, simple-peer transport ` +
      `${p.pingRttMs.transport.toFixed(3)} ms, session ${p.pingRttMs.session.toFixed(3)} ms`,
  );
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      runs: { type: 'string', default: '9' },
      verbose: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const options: Partial<BenchOptions> = { runs: Math.max(5, Number(args.runs) || 9) };
  const pages = await serveTestPages();
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (args.verbose) page.on('console', (m) => console.log(`  [page] ${m.text()}`));
    // Cross-origin isolation (COOP + COEP) gives performance.now() 5 µs steps instead of 100 µs:
    // round trips on loopback are a few hundred µs.
    await page.route('**/*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: {
          ...response.headers(),
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        },
      });
    });
    await page.goto(pages.url('bench'));
    await page.waitForFunction(() => 'bench' in window);
    if (!(await page.evaluate(() => crossOriginIsolated)))
      console.log('note: the page is not cross-origin isolated; times are in 100 µs steps');
    const r = await page.evaluate(async (o) => window.bench.run(o), options);
    const { bare, app } = r.median;
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)} – ${Math.max(...xs).toFixed(2)}`;
    const range = (xs: number[]) => `${Math.min(...xs)} – ${Math.max(...xs)}`;

    console.log(
      `SecMsg browser benchmark (Chromium ${browser.version()}, loopback, both ends in one page, ` +
        `${r.options.runs} interleaved runs, medians)`,
    );
    const bulkRatio = app.bulkMiBps / bare.bulkMiBps;
    const perRun = r.app.map((a, i) => a.bulkMiBps / r.bare[i]!.bulkMiBps);
    console.log(
      `bulk ${r.options.bulkBytes / 2 ** 20} MiB in ${r.chunkBytes / 1024} KiB records (${r.frameBytes} B frames): ` +
        `app ${app.bulkMiBps.toFixed(1)} MiB/s, bare RTCDataChannel ${bare.bulkMiBps.toFixed(1)} MiB/s, ` +
        `ratio ${bulkRatio.toFixed(2)} (target >= ${TARGET_BULK_RATIO}: ${met(bulkRatio >= TARGET_BULK_RATIO)}; ` +
        `per-run ratios ${spread(perRun)})`,
    );
    console.log(
      `  UDP packets Chromium discarded on send, a run's median (range): ` +
        `app ${app.discardedPackets} (${range(r.app.map((f) => f.discardedPackets))}), ` +
        `bare ${bare.discardedPackets} (${range(r.bare.map((f) => f.discardedPackets))})`,
    );
    console.log(
      `handshake (channel open to both sessions ready): median ${ms(app.handshakeMs)}, ` +
        `bare 3-message exchange (${r.handshakeBytes.join('/')} B) ${ms(bare.handshakeMs)} ` +
        `(target <= ${TARGET_HANDSHAKE_MS} ms: ${met(app.handshakeMs <= TARGET_HANDSHAKE_MS)})`,
    );
    const pingRatio = app.pingRttMs / bare.pingRttMs;
    console.log(
      `ping-pong ${r.options.pings} x 64 B: session RTT ${ms(app.pingRttMs)}, bare RTT ${ms(bare.pingRttMs)}, ` +
        `ratio ${pingRatio.toFixed(2)} (target <= ${TARGET_PING_RATIO}: ${met(pingRatio <= TARGET_PING_RATIO)})`,
    );
    if (args.profile) printProfile(await page.evaluate(async () => window.bench.profile()));
    if (errors.length > 0) console.log(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
    await pages.close();
  }
}

await main();
