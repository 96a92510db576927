/**
 * The benchmark harness's worker (bench/local-app.ts) keeps its rooms when someone touches the
 * worker's sources during a run: issue 12's misses in bench/reconnect.bench.ts. The harness used to
 * run `wrangler dev` on the sources, which rebuilt and reloaded the worker on every change to them,
 * dropping every open WebSocket (the two pages' rendezvous room) and, when a rebuild failed, leaving
 * the pages retrying against a dead port. Now it serves a bundle made at the start.
 *
 * The test sits in a room, changes the modification time of the worker's entry (contents untouched:
 * enough for wrangler's watcher, which compares modification times), waits longer than a reload takes,
 * and checks that the socket is still open and that the room still knows it: a second peer hears
 * `hello` with one peer present, and the first hears `peer-joined`.
 *
 * `LOCAL_APP_TEST_WORKER=sources npx vitest run bench/local-app.test.ts` runs the same test against
 * `wrangler dev` on the sources, started as the harness used to: it fails.
 */
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ROOM_PATH_PREFIX } from '../src/protocol/signaling';
import { Child, LocalApp, freePort, root, sleep, waitForHttp } from './local-app';

/** Ports for this test's worker (the benches use 4300–4549 and 8800–8999). */
const WORKER_PORTS = { first: 9400, last: 9449 };
/** The worker's entry (signaling-worker/wrangler.jsonc, `main`), whose time the test changes. */
const SOURCE = join(root, 'signaling-worker', 'src', 'index.ts');
/**
 * Well past the time `wrangler dev` on the sources takes to notice the change and reload, dropping
 * the socket: 0.4–0.55 s measured on a two-core machine. esbuild's watcher polls, and is slower
 * under load. Without the change the socket stayed open (15 s watched).
 */
const RELOAD_WAIT_MS = 6_000;
const FRAME_TIMEOUT_MS = 10_000;

/**
 * What the test started, stopped after it in `afterEach`: that runs after a timeout too, when the
 * test's own code may still be waiting (wrangler runs detached and would outlive the test run).
 */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The harness's worker, started alone (no app build); returns its ws:// origin. */
async function harnessWorker(): Promise<string> {
  const app = new LocalApp({
    tmpPrefix: 'secmsg-local-app-test-',
    previewPorts: WORKER_PORTS,
    workerPorts: WORKER_PORTS,
  });
  cleanups.push(async () => app.stop());
  await app.startWorker();
  return app.workerUrl.replace(/^http:/, 'ws:');
}

/** `wrangler dev` on the worker's sources, as bench/reconnect.bench.ts started it before the fix. */
async function sourcesWorker(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'secmsg-local-app-test-'));
  cleanups.push(async () => rm(dir, { recursive: true, force: true }));
  const port = await freePort(WORKER_PORTS);
  const inspectorPort = await freePort(WORKER_PORTS, [port]);
  const child = new Child(
    'wrangler dev (sources)',
    [
      join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js'),
      'dev',
      '--cwd',
      'signaling-worker',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(dir, 'worker-state'),
      '--show-interactive-dev-session=false',
    ],
    { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  );
  cleanups.push(async () => child.stop());
  await waitForHttp(`http://127.0.0.1:${port}/rooms/health`, child, 45_000);
  return `ws://127.0.0.1:${port}`;
}

const fromSources = process.env['LOCAL_APP_TEST_WORKER'] === 'sources';

/** One member of a room on Node's WebSocket: frames kept in arrival order, the close code noted. */
class Peer {
  /** The close code, once the socket has closed. */
  closedWith: number | null = null;
  readonly closed: Promise<void>;
  private readonly ws: WebSocket;
  private readonly frames: string[] = [];
  private wake: (() => void) | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener('message', (event: MessageEvent) => {
      this.frames.push(String(event.data));
      this.wake?.();
    });
    // An 'error' is always followed by a 'close' (1006); handled there.
    this.ws.addEventListener('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.addEventListener('close', (event: CloseEvent) => {
        this.closedWith = event.code;
        this.wake?.();
        resolve();
      }),
    );
  }

  /** The next frame, parsed; rejects, naming `what` it waited for, on a close or after a while. */
  async next(what: string): Promise<unknown> {
    const deadline = Date.now() + FRAME_TIMEOUT_MS;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return JSON.parse(frame);
      if (this.closedWith !== null)
        throw new Error(`The socket closed (${this.closedWith}) while waiting for ${what}.`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${what} came within ${FRAME_TIMEOUT_MS} ms.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** A fresh, well-formed room id: unpadded base64url of 32 random bytes, the shape of a SHA-256. */
const randomRoomId = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

describe(`the benchmark harness's worker${fromSources ? ' (LOCAL_APP_TEST_WORKER=sources)' : ''}`, () => {
  test('keeps its rooms and sockets when a worker source changes during a run', async () => {
    const wsUrl = await (fromSources ? sourcesWorker() : harnessWorker());
    const url = `${wsUrl}${ROOM_PATH_PREFIX}${randomRoomId()}`;
    const first = new Peer(url);
    cleanups.push(() => first.close());
    expect(await first.next("the first peer's hello")).toEqual({ t: 'hello', peers: 0 });

    const now = new Date();
    await utimes(SOURCE, now, now);
    // A reload ends the wait early: the socket closes (or stays open on a room that forgot it).
    await Promise.race([first.closed, sleep(RELOAD_WAIT_MS)]);
    expect(first.closedWith, 'the first peer was disconnected after the source changed').toBeNull();

    const second = new Peer(url);
    cleanups.push(() => second.close());
    expect(await second.next("the second peer's hello")).toEqual({ t: 'hello', peers: 1 });
    expect(await first.next('peer-joined')).toEqual({ t: 'peer-joined' });
  }, 60_000);
});
