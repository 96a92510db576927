/**
 * A real TURN server for the tests and benchmarks: Debian's coturn (`turnserver`, installed by
 * .ci/run), started by PID on 127.0.0.1 with a random REST secret and stopped by PID; and a
 * signaling worker (`wrangler dev`) on a port of its own that mints credentials for it.
 *
 *   startCoturn()                 turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1
 *                                   -p 34780, relays on 34781–34799, --allow-loopback-peers
 *                                   --use-auth-secret --static-auth-secret=<random>
 *   startWorkerWithTurn(coturn)   wrangler dev --port 8789 --var TURN_SHARED_SECRET:<that secret>
 *                                   --var TURN_URLS:turn:127.0.0.1:34780?transport=udp
 *
 * Both peers' relay addresses are on loopback, which coturn refuses as peers unless
 * --allow-loopback-peers is given (never in production). TLS and DTLS listeners are off; the
 * SQLite database, pid file and log live in a temporary directory, removed on stop.
 *
 * Why a worker of its own: the shared test worker (playwright.config.ts, port 8787) has no TURN.
 * Given TURN URLs with no server behind them, every other journey's ICE gathering would wait for
 * the TURN allocation to time out (about 40 s in Chromium; simple-peer cuts it at 3 s), so
 * credentials are minted only where a coturn is running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The ports this file uses: the listener, then the relay range. */
export const COTURN_PORT = 34_780;
export const COTURN_MIN_RELAY_PORT = 34_781;
export const COTURN_MAX_RELAY_PORT = 34_799;
/** The worker's port: allowed by the test build's CSP (playwright.config.ts, VITE_SIGNALING_ALLOW). */
export const TURN_WORKER_PORT = 8789;
const REALM = 'secmsg.test';
const START_TIMEOUT_MS = 15_000;
const WORKER_START_TIMEOUT_MS = 60_000;

export interface Coturn {
  readonly pid: number;
  readonly port: number;
  /** The `static-auth-secret`: the worker's TURN_SHARED_SECRET. */
  readonly secret: string;
  /** The URLs the worker hands out (TURN_URLS). */
  readonly urls: readonly string[];
  readonly logFile: string;
  /** What coturn has logged so far. */
  log(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** The turnserver binary: $SECMSG_TURNSERVER, else the one on PATH. */
function turnserverPath(): string {
  const fromEnv = process.env['SECMSG_TURNSERVER'];
  if (fromEnv) return fromEnv;
  const found = spawnSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new Error("turnserver was not found: install Debian's coturn package (.ci/run does).");
  }
  return path;
}

async function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise<boolean>((r) => child.once('exit', () => r(true))),
    sleep(ms).then(() => false),
  ]);
}

/** Signals the process group of `child` (it was started detached, so it leads one). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export async function startCoturn(): Promise<Coturn> {
  const binary = turnserverPath();
  if (await listening(COTURN_PORT)) {
    throw new Error(`Port ${COTURN_PORT} is taken: is another coturn from an earlier test still running?`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'secmsg-coturn-'));
  const secret = randomBytes(24).toString('base64url');
  const logFile = join(dir, 'turnserver.log');
  const child = spawn(
    binary,
    [
      '-n', // no configuration file: everything is here
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${COTURN_PORT}`,
      `--min-port=${COTURN_MIN_RELAY_PORT}`,
      `--max-port=${COTURN_MAX_RELAY_PORT}`,
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      `--realm=${REALM}`,
      `--log-file=${logFile}`,
      '--simple-log',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--db=${join(dir, 'turndb')}`,
      '--no-software-attribute',
      '--verbose', // logs each allocation with its username: the test reads that
    ],
    { detached: true, stdio: 'ignore' },
  );
  if (child.pid === undefined) throw new Error('turnserver did not start.');
  const pid = child.pid;
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    signalGroup(child, 'SIGTERM');
    if (!(await exited(child, 3_000))) {
      signalGroup(child, 'SIGKILL');
      await exited(child, 2_000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Ready when the TCP listener answers and the relay ports are set up (logged before it).
  while (!((await listening(COTURN_PORT)) && log().includes('Relay ports initialization done'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = log().split('\n').slice(-20).join('\n');
      await stop();
      throw new Error(`turnserver did not start on 127.0.0.1:${COTURN_PORT}. Its log ended:\n${tail}`);
    }
    await sleep(100);
  }
  return {
    pid,
    port: COTURN_PORT,
    secret,
    urls: [`turn:127.0.0.1:${COTURN_PORT}?transport=udp`],
    logFile,
    log,
    stop,
  };
}

/** `wrangler dev` arguments that make the worker mint credentials for `coturn`. */
export function turnWorkerVars(coturn: Pick<Coturn, 'secret' | 'urls'>): string[] {
  return ['--var', `TURN_SHARED_SECRET:${coturn.secret}`, '--var', `TURN_URLS:${coturn.urls.join(' ')}`];
}

export interface TurnWorker {
  readonly pid: number;
  /** ws://127.0.0.1:<port>, for the app's signaling setting. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev` on `port` (its own process group and its own state directory, so it never
 * locks the shared worker's) with TURN credentials for `coturn`; resolves once it answers.
 */
export async function startWorkerWithTurn(coturn: Coturn, port = TURN_WORKER_PORT): Promise<TurnWorker> {
  if (await listening(port)) throw new Error(`Port ${port} is taken: another test worker is still running.`);
  const state = mkdtempSync(join(tmpdir(), 'secmsg-turn-worker-'));
  const child = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--cwd',
      'signaling-worker',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      state,
      ...turnWorkerVars(coturn),
    ],
    {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  );
  if (child.pid === undefined) throw new Error('wrangler dev did not start.');
  const stop = async (): Promise<void> => {
    signalGroup(child, 'SIGTERM'); // the whole group: npx, wrangler, workerd
    if (!(await exited(child, 5_000))) signalGroup(child, 'SIGKILL');
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`The TURN test worker did not start on port ${port}.`);
      }
      await sleep(250);
    }
  }
  return { pid: child.pid, url: `ws://127.0.0.1:${port}`, stop };
}
