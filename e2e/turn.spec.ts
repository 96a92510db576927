/**
 * TURN (issue 12, items 1 and 4): a real coturn on loopback (e2e/coturn.ts) and a signaling worker
 * that mints its REST credentials. Two browsers that may use relayed candidates only
 * (`iceTransportPolicy: 'relay'`) pair through the worker, chat both ways, and each chat says
 * "Relayed (TURN)"; the pair in use is two coturn relay addresses, and coturn logged allocations
 * under the worker's usernames. A caller without a capability (over HTTP, or alone in a room) gets
 * no credentials.
 */
import { expect, test, type Page } from '@playwright/test';
import {
  COTURN_MAX_RELAY_PORT,
  COTURN_MIN_RELAY_PORT,
  startCoturn,
  startWorkerWithTurn,
  type Coturn,
  type TurnWorker,
} from './coturn';
import { chatBothWays, firstRun, newPersonContext, openPairing, person } from './people';

let coturn: Coturn;
let worker: TurnWorker;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  coturn = await startCoturn();
  worker = await startWorkerWithTurn(coturn);
});

test.afterAll(async () => {
  await worker?.stop();
  await coturn?.stop();
});

interface Candidate {
  candidateType: string;
  address: string;
  port: number;
}

/** The selected candidate pair of every connected RTCPeerConnection of the page (people.ts records them). */
async function selectedPairs(page: Page): Promise<{ local: Candidate; remote: Candidate }[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const out: { local: Candidate; remote: Candidate }[] = [];
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = (await pc.getStats()) as Map<string, Record<string, unknown>>;
      const transport = [...stats.values()].find((s) => s['type'] === 'transport');
      const pair = stats.get(String(transport?.['selectedCandidatePairId']));
      if (!pair) continue;
      const candidate = (id: unknown): Candidate => {
        const c = stats.get(String(id)) ?? {};
        return {
          candidateType: String(c['candidateType']),
          address: String(c['address']),
          port: Number(c['port']),
        };
      };
      out.push({ local: candidate(pair['localCandidateId']), remote: candidate(pair['remoteCandidateId']) });
    }
    return out;
  });
}

test('with relay-only ICE, two browsers pair and chat through coturn, and the chat says Relayed (TURN)', async ({
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const relayOnly = { signalingUrl: worker.url };
  const alice = await person(browser, 'Alice', relayOnly);
  await alice.page.evaluate(() => localStorage.setItem('secmsg.iceTransportPolicy', 'relay'));
  await alice.page.reload();
  await openPairing(alice.page);
  await alice.page.getByRole('button', { name: 'Create invite link' }).click();
  const link = await alice.page.getByTestId('invite-link').inputValue();

  const bobContext = await newPersonContext(browser, relayOnly);
  await bobContext.addInitScript(() => localStorage.setItem('secmsg.iceTransportPolicy', 'relay'));
  const bob = { context: bobContext, page: await bobContext.newPage() };
  await bob.page.goto(link);
  await firstRun(bob.page, 'Bob');
  await bob.page.getByRole('button', { name: 'Join' }).click();
  await chatBothWays(alice.page, bob.page, 'Alice', 'Bob');

  for (const p of [alice.page, bob.page]) {
    await expect(p.getByTestId('route')).toHaveText(/^Relayed \(TURN\): /, { timeout: 10_000 });
    await expect(p.getByTestId('connection-state')).toHaveText(/Connected securely\. Relayed \(TURN\)/);
    // The inspector says the same, from the same stats.
    await p.getByRole('button', { name: 'Inspector' }).click();
    await expect(p.getByTestId('inspector-route')).toHaveText('Relayed (TURN)');
    // The pair in use: two relay candidates, both coturn's loopback relay ports.
    const pairs = await selectedPairs(p);
    expect(pairs.length).toBeGreaterThan(0);
    for (const candidate of pairs.flatMap((pair) => [pair.local, pair.remote])) {
      expect(candidate).toMatchObject({ candidateType: 'relay', address: '127.0.0.1' });
      expect(candidate.port).toBeGreaterThanOrEqual(COTURN_MIN_RELAY_PORT);
      expect(candidate.port).toBeLessThanOrEqual(COTURN_MAX_RELAY_PORT);
    }
  }
  // coturn accepted the worker's REST usernames (`<expiry>:<id>`, expiring in about a day).
  const log = coturn.log();
  await testInfo.attach('turnserver.log', { body: log, contentType: 'text/plain' });
  const allocated = [
    ...log.matchAll(/user <(\d+):[A-Za-z0-9_-]+>: incoming packet ALLOCATE processed, success/g),
  ];
  expect(allocated.length).toBeGreaterThanOrEqual(2); // one allocation for each browser at least
  const now = Date.now() / 1000;
  for (const m of allocated) expect(Math.abs(Number(m[1]) - (now + 86_400))).toBeLessThan(600);
});

test('a caller without a capability gets no credentials', async () => {
  const base = worker.url.replace(/^ws:/, 'http:');
  // Over HTTP: a refusal in a sentence, and nothing that could be used.
  const response = await fetch(`${base}/turn`);
  expect(response.status).toBe(403);
  const body = await response.text();
  expect(body).toMatch(/^TURN credentials are given only inside a signaling room/);
  expect(body).not.toContain(coturn.secret);
  expect(body).not.toMatch(/turn:|"username"|"credential"/);

  // Alone in a room (a room id nobody else derived): refused, the socket stays open.
  const roomId = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const ws = new WebSocket(`${worker.url}/rooms/${roomId}`);
  const frames: string[] = [];
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 5_000;
    while (frames.length === 0) {
      if (Date.now() > deadline) throw new Error('the worker did not answer');
      await new Promise((r) => setTimeout(r, 20));
    }
    return frames.shift()!;
  };
  ws.addEventListener('message', (event) => frames.push(String(event.data)));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', reject);
  });
  expect(await next()).toBe('{"t":"hello","peers":0}');
  ws.send('{"t":"turn"}');
  expect(await next()).toBe('{"t":"no-turn","reason":"alone"}');
  ws.close();
});
