/**
 * The simple-peer transport between two browser contexts that really connect (host candidates
 * only, `iceServers: []`). The test page (e2e-pages/transport.html) is not part of the app's
 * build: this spec builds it with the project's own vite.config.ts into a temporary folder and
 * serves that with `vite preview` on a port of its own, so it exercises the production bundle
 * (simple-peer and its Node shims) without shipping a test page.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { Failure, OpenInfo } from '../e2e-pages/transport-page';
import { serveTestPages, type TestPages } from './test-pages';

const MiB = 1024 * 1024;
let pages: TestPages | undefined;
let pageUrl = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  pages = await serveTestPages();
  pageUrl = pages.url('transport');
});

test.afterAll(async () => {
  await pages?.close();
});

interface Side {
  page: Page;
  errors: string[];
}

async function openSide(browser: Browser): Promise<Side> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => 'transportHarness' in window);
  return { page, errors };
}

function isFailure(x: unknown): x is Failure {
  return typeof x === 'object' && x !== null && 'error' in x;
}

function opened(x: OpenInfo | Failure): OpenInfo {
  if (isFailure(x)) throw new Error(`the channel did not open: ${x.error} ${x.message}`);
  return x;
}

/** Two sides, connected by handing the offer and answer across (as SDP or as invite codes). */
async function connect(browser: Browser, via: 'sdp' | 'code' = 'sdp') {
  const a = await openSide(browser);
  const b = await openSide(browser);
  await a.page.evaluate(() => window.transportHarness.create({ initiator: true, iceServers: [] }));
  await b.page.evaluate(() => window.transportHarness.create({ initiator: false, iceServers: [] }));
  let offer: string;
  let answer: string;
  if (via === 'sdp') {
    const o = await a.page.evaluate(async () => window.transportHarness.localSignal());
    if (isFailure(o)) throw new Error(o.message);
    expect(await b.page.evaluate((d) => window.transportHarness.acceptRemote(d), o)).toBeNull();
    const n = await b.page.evaluate(async () => window.transportHarness.localSignal());
    if (isFailure(n)) throw new Error(n.message);
    expect(await a.page.evaluate((d) => window.transportHarness.acceptRemote(d), n)).toBeNull();
    offer = o.sdp;
    answer = n.sdp;
  } else {
    const o = await a.page.evaluate(async () => window.transportHarness.localCode());
    if (typeof o !== 'string') throw new Error(o.message);
    expect(await b.page.evaluate((c) => window.transportHarness.acceptCode(c), o)).toBeNull();
    const n = await b.page.evaluate(async () => window.transportHarness.localCode());
    if (typeof n !== 'string') throw new Error(n.message);
    expect(await a.page.evaluate((c) => window.transportHarness.acceptCode(c), n)).toBeNull();
    offer = o;
    answer = n;
  }
  const [infoA, infoB] = await Promise.all([
    a.page.evaluate(async () => window.transportHarness.open()).then(opened),
    b.page.evaluate(async () => window.transportHarness.open()).then(opened),
  ]);
  return { a, b, offer, answer, infoA, infoB };
}

test('two browsers connect, bind both DTLS fingerprints crosswise, and talk both ways', async ({
  browser,
}) => {
  const { a, b, offer, answer, infoA, infoB } = await connect(browser);
  // Non-trickle: the offer and answer are complete, with their candidates and no trickle option.
  for (const sdp of [offer, answer]) {
    expect(sdp).toMatch(/^a=candidate:/m);
    expect(sdp).not.toContain('a=ice-options:trickle');
  }
  const fpOffer = await a.page.evaluate((s) => window.transportHarness.fingerprintOf(s), offer);
  const fpAnswer = await a.page.evaluate((s) => window.transportHarness.fingerprintOf(s), answer);
  expect(infoA).toEqual({
    initiator: true,
    localFingerprint: fpOffer,
    remoteFingerprint: fpAnswer,
    maxMessageSize: 262_144,
  });
  expect(infoB).toEqual({
    initiator: false,
    localFingerprint: fpAnswer,
    remoteFingerprint: fpOffer,
    maxMessageSize: 262_144,
  });
  expect(fpOffer).not.toBe(fpAnswer);

  const texts = Array.from({ length: 50 }, (_, i) => `message ${i} ✓`);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const t of texts)
      expect(await from.page.evaluate((s) => window.transportHarness.sendText(s), t)).toBeNull();
    const got = await to.page.evaluate(async () => window.transportHarness.waitFor({ texts: 50 }, 10_000));
    expect(got.texts).toEqual(texts);
  }
  expect(await a.page.evaluate(() => window.transportHarness.events())).toEqual([]);
  expect([...a.errors, ...b.errors]).toEqual([]);
});

test('an 8 MiB burst in 64 KiB chunks arrives whole and in order, with and without drain()', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const { a, b } = await connect(browser);
  // All at once: send() never throws "send queue is full"; the transport queues above 1 MiB.
  const burst = await a.page.evaluate(
    async (n) => window.transportHarness.sendBulk(n, 64 * 1024, false),
    8 * MiB,
  );
  if (isFailure(burst)) throw new Error(`${burst.error}: ${burst.message}`);
  expect(burst).toMatchObject({ chunks: 128, bytes: 8 * MiB });
  const atB = await b.page.evaluate(async () => window.transportHarness.waitFor({ bulkChunks: 128 }, 60_000));
  expect(atB).toMatchObject({ bulkChunks: 128, bulkBytes: 8 * MiB, bulkErrors: 0 });

  // The other way, as a careful bulk sender: await drain() whenever more than 2 MiB is buffered.
  const paced = await b.page.evaluate(
    async (n) => window.transportHarness.sendBulk(n, 64 * 1024, true),
    8 * MiB,
  );
  if (isFailure(paced)) throw new Error(`${paced.error}: ${paced.message}`);
  expect(paced.peakBuffered).toBeLessThanOrEqual(2 * MiB + 64 * 1024);
  const atA = await a.page.evaluate(async () => window.transportHarness.waitFor({ bulkChunks: 128 }, 60_000));
  expect(atA).toMatchObject({ bulkChunks: 128, bulkBytes: 8 * MiB, bulkErrors: 0 });
  test.info().annotations.push({
    type: 'throughput',
    description: `burst ${(8 / (burst.ms / 1000)).toFixed(1)} MiB/s, paced ${(8 / (paced.ms / 1000)).toFixed(1)} MiB/s`,
  });
  expect(await a.page.evaluate(() => window.transportHarness.events())).toEqual([]);
  expect(await b.page.evaluate(() => window.transportHarness.events())).toEqual([]);
  expect([...a.errors, ...b.errors]).toEqual([]);
});

test("send() refuses a message over the peer's max-message-size with RtcError", async ({ browser }) => {
  const { a, b, infoA } = await connect(browser);
  const tooLarge = await a.page.evaluate((n) => window.transportHarness.trySend(n), infoA.maxMessageSize + 1);
  expect(tooLarge).toEqual({
    error: 'TOO_LARGE',
    message: `This message is ${infoA.maxMessageSize + 1} bytes; the other device accepts at most ${infoA.maxMessageSize}.`,
  });
  expect(await a.page.evaluate((n) => window.transportHarness.trySend(n), infoA.maxMessageSize)).toBeNull();
  const got = await b.page.evaluate(async () => window.transportHarness.waitFor({ probes: 1 }, 10_000));
  expect(got.probes).toEqual([infoA.maxMessageSize]);
  // The refusal did not hurt the channel.
  expect(await a.page.evaluate(() => window.transportHarness.events())).toEqual([]);
});

test('close() right after a burst still delivers all of it, then both sides close', async ({ browser }) => {
  const { a, b } = await connect(browser);
  expect(
    await a.page.evaluate((n) => window.transportHarness.burstAndClose(n, 64 * 1024), 4 * MiB),
  ).toBeNull();
  const atB = await b.page.evaluate(async () => window.transportHarness.waitFor({ bulkChunks: 64 }, 30_000));
  expect(atB).toMatchObject({ bulkChunks: 64, bulkBytes: 4 * MiB, bulkErrors: 0 });
  expect(await b.page.evaluate(async () => window.transportHarness.closed())).toBe(true);
  expect(await a.page.evaluate(async () => window.transportHarness.closed())).toBe(true);
  expect(await a.page.evaluate(() => window.transportHarness.events())).toEqual(['close']);
  expect(await b.page.evaluate(() => window.transportHarness.events())).toEqual(['close']);
  expect(await a.page.evaluate(() => window.transportHarness.trySend(10))).toMatchObject({
    error: 'CHANNEL_CLOSED',
  });
});

test('two browsers connect through invite codes alone', async ({ browser }) => {
  const { a, b, offer, answer, infoA, infoB } = await connect(browser, 'code');
  expect(offer).toMatch(/^B[A-Z2-7]+$/);
  expect(answer).toMatch(/^B[A-Z2-7]+$/);
  expect(infoA.localFingerprint).toBe(infoB.remoteFingerprint);
  expect(infoB.localFingerprint).toBe(infoA.remoteFingerprint);
  test.info().annotations.push({
    type: 'invite code length',
    description: `offer ${offer.length} characters, answer ${answer.length} characters`,
  });
  expect(await a.page.evaluate(() => window.transportHarness.sendText('over a code'))).toBeNull();
  expect(
    (await b.page.evaluate(async () => window.transportHarness.waitFor({ texts: 1 }, 10_000))).texts,
  ).toEqual(['over a code']);
});

test('bad connection details are refused before the browser sees them, and the real ones still work', async ({
  browser,
}) => {
  const a = await openSide(browser);
  const b = await openSide(browser);
  await a.page.evaluate(() => window.transportHarness.create({ initiator: true, iceServers: [] }));
  await b.page.evaluate(() => window.transportHarness.create({ initiator: false, iceServers: [] }));
  const offer = await a.page.evaluate(async () => window.transportHarness.localSignal());
  if (isFailure(offer)) throw new Error(offer.message);
  const accept = async (desc: { type: 'offer' | 'answer'; sdp: string }) =>
    b.page.evaluate((d) => window.transportHarness.acceptRemote(d), desc);

  const noFingerprint = offer.sdp.replace(/a=fingerprint:[^\r\n]*\r?\n/g, '');
  expect(await accept({ type: 'offer', sdp: noFingerprint })).toMatchObject({ error: 'NO_FINGERPRINT' });
  const sha1 = offer.sdp.replace(
    /a=fingerprint:sha-256 [^\r\n]*/,
    'a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB',
  );
  expect(await accept({ type: 'offer', sdp: sha1 })).toMatchObject({ error: 'UNSUPPORTED_FINGERPRINT' });
  expect(await accept({ type: 'answer', sdp: offer.sdp })).toMatchObject({ error: 'SIGNAL_INVALID' });
  expect(await b.page.evaluate(() => window.transportHarness.acceptCode('BABWQ'))).toMatchObject({
    error: 'CODE_INCOMPLETE',
  });

  expect(await accept(offer)).toBeNull();
  expect(await accept(offer)).toMatchObject({ error: 'SIGNAL_INVALID' }); // only once
  const answer = await b.page.evaluate(async () => window.transportHarness.localSignal());
  if (isFailure(answer)) throw new Error(answer.message);
  expect(await a.page.evaluate((d) => window.transportHarness.acceptRemote(d), answer)).toBeNull();
  opened(await a.page.evaluate(async () => window.transportHarness.open()));
  opened(await b.page.evaluate(async () => window.transportHarness.open()));
  expect([...a.errors, ...b.errors]).toEqual([]);
});

test('an answerer whose answer never reaches the offerer fails with RtcError TIMEOUT', async ({
  browser,
}) => {
  const a = await openSide(browser);
  const b = await openSide(browser);
  await a.page.evaluate(() => window.transportHarness.create({ initiator: true, iceServers: [] }));
  await b.page.evaluate(() =>
    window.transportHarness.create({ initiator: false, iceServers: [], connectTimeoutMs: 3_000 }),
  );
  const offer = await a.page.evaluate(async () => window.transportHarness.localSignal());
  if (isFailure(offer)) throw new Error(offer.message);
  expect(await b.page.evaluate((d) => window.transportHarness.acceptRemote(d), offer)).toBeNull();
  expect(await b.page.evaluate(async () => window.transportHarness.open())).toEqual({
    error: 'TIMEOUT',
    message: 'The other device did not connect in time.',
  });
  expect(await b.page.evaluate(() => window.transportHarness.events())).toEqual(['failed TIMEOUT']);
  await a.page.evaluate(() => window.transportHarness.close());
  expect(await a.page.evaluate(async () => window.transportHarness.open())).toMatchObject({
    error: 'CHANNEL_CLOSED',
  });
});
