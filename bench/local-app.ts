/**
 * The app and its worker on this machine, for the browser benchmarks: a production build (the
 * project's vite.config.ts, the signaling URL baked into its CSP, into a temporary directory so
 * dist/ is left alone) served by `vite preview`, and the signaling worker under `wrangler dev`
 * (metrics off, its own temporary persistence, served from a bundle made at the start so that
 * edits to its sources during the run do not restart it), each on a free port of the range the
 * bench names.
 * Every process started here is stopped by its PID (its process group), and the temporary
 * directory removed, by `stop()`: on success, on failure and when a watchdog gives up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface PortRange {
  first: number;
  last: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Epoch milliseconds with sub-millisecond precision; the same clock as a page's timeOrigin + now(). */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export const sleep = async (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

export async function freePort(range: PortRange, except: number[] = []): Promise<number> {
  for (let port = range.first; port <= range.last; port++) {
    if (!except.includes(port) && (await isFree(port))) return port;
  }
  throw new Error(`no free port in ${range.first}–${range.last}`);
}

/** A child process in a process group of its own (wrangler starts workerd), stopped by its PID. */
export class Child {
  private readonly output: string[] = [];
  readonly process: ChildProcess;

  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    verbose = false,
  ) {
    this.process = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      if (verbose) process.stderr.write(`[${name}] ${text}`);
      this.output.push(text);
      if (this.output.length > 200) this.output.shift();
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  tail(): string {
    return this.output.join('').split('\n').slice(-20).join('\n');
  }

  /** Resolves with the exit code (null when a signal ended it). */
  async exit(): Promise<number | null> {
    if (this.exited) return this.process.exitCode;
    return new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    const pid = this.process.pid;
    if (pid === undefined || this.exited) return;
    const gone = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pid, s);
      } catch {
        // the group is already gone
      }
    };
    signal('SIGTERM');
    const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000));
    if (!(await Promise.race([gone.then(() => true), timer]))) {
      signal('SIGKILL');
      await Promise.race([gone, sleep(2_000)]);
    }
  }
}

/** Polls `url` until any HTTP answer comes (the worker answers 400 to a non-room path). */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw new Error(`${child.name} exited early:\n${child.tail()}`);
    try {
      await fetch(url);
      return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${child.name} did not answer on ${url} within ${timeoutMs / 1000} s:\n${child.tail()}`);
}

export interface LocalAppOptions {
  /** Names the temporary directory (`<tmpPrefix>XXXXXX` under the system's temporary directory). */
  tmpPrefix: string;
  previewPorts: PortRange;
  workerPorts: PortRange;
  verbose?: boolean;
}

/**
 * The built app under `vite preview` and the worker under `wrangler dev`. `start()` once; `stop()`
 * any time, also while `start()` is still under way (it stops what has been started so far).
 */
export class LocalApp {
  appUrl = '';
  workerUrl = '';
  private readonly children: Child[] = [];
  private outDir: string | undefined;
  private stopped = false;

  constructor(private readonly options: LocalAppOptions) {}

  async start(): Promise<void> {
    const { worker, outDir } = await this.spawnWorker();
    // The build's CSP lets it connect to exactly this worker (vite.config.ts reads the variable).
    process.env['VITE_SIGNALING_URL'] = this.workerUrl.replace(/^http:/, 'ws:');
    const appDir = join(outDir, 'app');
    await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'error', // the PWA plugin's timing notes are not a bench's business
      build: { outDir: appDir, emptyOutDir: true },
    });
    const previewPort = await freePort(this.options.previewPorts);
    this.appUrl = `http://127.0.0.1:${previewPort}`;
    const preview = this.spawn('vite preview', [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'preview',
      '--outDir',
      appDir,
      '--host',
      '127.0.0.1',
      '--port',
      String(previewPort),
      '--strictPort',
    ]);
    await waitForHttp(`${this.appUrl}/`, preview, 30_000);
    await waitForHttp(`${this.workerUrl}/rooms/health`, worker, 90_000);
  }

  /** The worker alone, without building the app (`appUrl` stays empty): for the harness's own test. */
  async startWorker(): Promise<void> {
    const { worker } = await this.spawnWorker();
    await waitForHttp(`${this.workerUrl}/rooms/health`, worker, 90_000);
  }

  /** Makes the temporary directory, bundles the worker and starts `wrangler dev` on the bundle. */
  private async spawnWorker(): Promise<{ worker: Child; outDir: string }> {
    const { options } = this;
    const outDir = await mkdtemp(join(tmpdir(), options.tmpPrefix));
    this.outDir = outDir;
    const wranglerEnv = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
    const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
    // The worker as it is now, bundled once (as `npm run worker:check`), and served from that
    // bundle: `wrangler dev` on the sources would rebuild and restart it, losing its state, whenever
    // someone edits them during the run.
    const bundleDir = join(outDir, 'worker-bundle');
    const bundler = this.spawn(
      'wrangler deploy --dry-run',
      [wrangler, 'deploy', '--dry-run', '--cwd', 'signaling-worker', '--outdir', bundleDir],
      wranglerEnv,
    );
    if ((await bundler.exit()) !== 0) {
      throw new Error(`The signaling worker did not build (wrangler deploy --dry-run):\n${bundler.tail()}`);
    }
    const workerPort = await freePort(options.workerPorts);
    const inspectorPort = await freePort(options.workerPorts, [workerPort]);
    this.workerUrl = `http://127.0.0.1:${workerPort}`;
    const worker = this.spawn(
      'wrangler dev',
      [
        wrangler,
        'dev',
        join(bundleDir, 'index.js'),
        '--no-bundle',
        '--config',
        join('signaling-worker', 'wrangler.jsonc'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(workerPort),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        join(outDir, 'worker-state'),
        '--show-interactive-dev-session=false',
      ],
      wranglerEnv,
    );

    return { worker, outDir };
  }

  private spawn(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
    if (this.stopped) throw new Error(`stopped before ${name} started`);
    const child = new Child(name, args, env, this.options.verbose);
    this.children.push(child);
    return child;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.children.map(async (c) => c.stop()));
    if (this.outDir) await rm(this.outDir, { recursive: true, force: true });
  }
}
