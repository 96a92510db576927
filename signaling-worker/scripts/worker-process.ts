/**
 * The worker under test for the load and fuzz scripts: either one they were given (`--url`), or
 * their own `wrangler dev` on free loopback ports, with metrics off and its state in a temporary
 * directory. Wrangler runs in its own process group, so stopping it stops workerd with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER_DIR = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const LOG_LINES = 400;
const MAX_ERROR_LINES = 10_000;

export interface WorkerTarget {
  /** http://host:port, no trailing slash. */
  readonly httpUrl: string;
  /** ws://host:port, no trailing slash. */
  readonly wsUrl: string;
  /** True when this script started the worker (so its log is ours to read). */
  readonly spawned: boolean;
  /** The last lines wrangler printed (empty for `--url`). */
  log(): readonly string[];
  /** Error lines wrangler printed since the start (`✘ [ERROR]`, uncaught exceptions, …). */
  errors(): readonly string[];
  /** How wrangler ended if it ended before `stop` (a crash), else null. */
  died(): string | null;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface, as the kernel hands them out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function urlsOf(base: string): { httpUrl: string; wsUrl: string } {
  const u = new URL(base);
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const host = u.host;
  return { httpUrl: `${secure ? 'https' : 'http'}://${host}`, wsUrl: `${secure ? 'wss' : 'ws'}://${host}` };
}

/** How often a start that lost its port to another process is tried again. */
const PORT_TAKEN_ATTEMPTS = 3;

/**
 * Uses `url` when given, else starts `wrangler dev` and waits until the router answers. The free
 * ports are found by binding and releasing them, so another process may take one in between (or
 * one wrangler picks for itself): such a start ("Address already in use") is tried again on new
 * ports.
 */
export async function startWorker(
  url: string | undefined,
  readyTimeoutMs = 60_000,
  /** More `wrangler dev` arguments (e.g. `--env-file` with a VAPID key). */
  extraArgs: readonly string[] = [],
): Promise<WorkerTarget> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(url, readyTimeoutMs, extraArgs);
    } catch (e) {
      const taken = e instanceof Error && /Address already in use/.test(e.message);
      if (!taken || attempt >= PORT_TAKEN_ATTEMPTS) throw e;
      console.error(
        `wrangler dev lost a port to another process; starting it again (attempt ${attempt + 1}).`,
      );
    }
  }
}

async function startWorkerOnce(
  url: string | undefined,
  readyTimeoutMs: number,
  extraArgs: readonly string[],
): Promise<WorkerTarget> {
  if (url !== undefined) {
    return {
      ...urlsOf(url),
      spawned: false,
      log: () => [],
      errors: () => [],
      died: () => null,
      stop: async () => Promise.resolve(),
    };
  }
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const stateDir = mkdtempSync(join(tmpdir(), 'secmsg-worker-'));
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--cwd',
      WORKER_DIR,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      stateDir,
      '--show-interactive-dev-session=false',
      ...extraArgs,
    ],
    {
      detached: true, // its own process group: workerd is its child and must stop with it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
    },
  );
  const lines: string[] = [];
  const errors: string[] = [];
  const tally = (line: string): void => {
    lines.push(line);
    if (lines.length > LOG_LINES) lines.shift();
    if (/\[ERROR\]|uncaught|unexpected error/i.test(line) && errors.length < MAX_ERROR_LINES)
      errors.push(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') tally(line);
    });
  }
  let stopping = false;
  let died: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) died = `wrangler dev exited (${signal ?? `code ${code}`}) while in use`;
      resolve();
    }),
  );
  // However this script ends (an exception, process.exit, Ctrl-C), wrangler must not outlive it.
  const killGroup = (): void => signalGroup(child, 'SIGKILL');
  process.once('exit', killGroup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killGroup();
      process.exit(130);
    });
  }
  const target: WorkerTarget = {
    ...urlsOf(`http://127.0.0.1:${port}`),
    spawned: true,
    log: () => lines,
    errors: () => errors,
    died: () => died,
    stop: async () => {
      stopping = true;
      await stopGroup(child, exited);
      process.off('exit', killGroup);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(target.httpUrl, child, readyTimeoutMs);
  } catch (e) {
    await target.stop();
    throw new Error(`wrangler dev did not start: ${String(e)}\n${lines.slice(-30).join('\n')}`, { cause: e });
  }
  return target;
}

async function waitReady(httpUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${httpUrl}/`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 404) return; // the router's "Not found."
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`no answer within ${timeoutMs} ms`);
}

/** SIGTERM to the whole group, SIGKILL if it lingers: never a broad kill by name. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  signalGroup(child, 'SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  // workerd may outlive wrangler for a moment: make sure nothing of the group is left.
  signalGroup(child, done ? 'SIGTERM' : 'SIGKILL');
  await sleep(100);
  signalGroup(child, 'SIGKILL');
}

/** Signals wrangler's process group (wrangler and the workerd it started), by its id. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
