#!/usr/bin/env node
// `npm run worker:e2e`: the local signaling worker the Playwright journeys share (playwright.config.ts),
// kept running for the whole run. It bundles the worker once (`npm run worker:check`), serves that
// bundle with `wrangler dev`, and when wrangler exits on its own it says so on stderr (time, exit
// code or signal, its last lines of output) and starts it again, up to MAX_RESTARTS times, on the
// same port and with wrangler's default local state (signaling-worker/.wrangler/state), so stored
// rooms and mailboxes are still there. A worker that stops answering while wrangler runs on is
// restarted the same way (PROBE_*). SIGINT, SIGTERM and SIGHUP are passed on to wrangler, and
// whatever it started (workerd) is stopped by PID, so nothing is left listening.
//
// Why restart at all: wrangler dev (4.124) exits with code 1 and an empty "✘ [ERROR]" when the
// proxy in front of the worker sees one client connection drop mid-request ("Network connection
// lost."), an open upstream bug (cloudflare/workers-sdk#15451, #15317) that no flag turns off. A
// full CI run lost its worker that way once, and every journey after it failed.
//
// The child stays in this process's group on purpose: Playwright stops a web server by killing its
// whole process group with SIGKILL, which reaches wrangler and workerd too only if they are in it.
//
// Port: WORKER_E2E_PORT (default 8787), for running a second one beside a test run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const MAX_RESTARTS = 5;
/** How long wrangler gets to stop by itself after a signal before it is killed. */
const STOP_GRACE_MS = 5_000;
/** How many of wrangler's last output lines are kept, and how many a crash report repeats. */
const KEPT_LINES = 300;
const TAIL_LINES = 6;
/** Lines that say what went wrong (wrangler's own "✘ [ERROR]" can be empty: workers-sdk#15451). */
const NOTABLE = /Error in \w+Controller|\[ERROR\] \S|connection lost|address already in use|crashed|fatal/i;
/** Wrangler's telemetry chatter, which would crowd out the lines that matter. */
const CHATTER =
  /^(Sentry:|Metrics dispatcher:|If you think this is a bug|Note that there is a newer version)/;
/**
 * Liveness: once the worker has answered, PROBE_FAILURES probes in a row without any answer (each
 * given PROBE_TIMEOUT_MS) mean wrangler hangs, and it is restarted like a crash. Seen when workerd
 * dies under it: Miniflare restarts workerd, wrangler prints "Updated and ready", and then every
 * request waits forever. Rare on purpose: any request that meets workerd's 5 s idle-connection
 * timeouts inside wrangler's proxy can kill wrangler (cloudflare/workers-sdk#14641; requests every
 * 5 s killed it here within a minute, again and again), so the probe adds as few requests as it
 * can, and a busy 2-core machine must not look hung.
 */
const PROBE_EVERY_MS = 30_000;
const PROBE_TIMEOUT_MS = 10_000;
const PROBE_FAILURES = 3;

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env['WORKER_E2E_PORT'] || '8787';
if (!/^\d{1,5}$/.test(port)) {
  console.error(`worker-e2e: WORKER_E2E_PORT must be a port number, not "${port}".`);
  process.exit(2);
}
// Config watching off: wrangler reloads when signaling-worker/wrangler.jsonc changes, and a config
// that names a Durable Object class the bundle built at start does not have yet stops wrangler for
// good ("Class extends value undefined"), as happened while the worker was being edited.
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true',
  // Debug output on stdout (Playwright does not show it): the reason for a fatal error reaches the
  // crash report below, where wrangler itself prints an empty "✘ [ERROR]" and exits before its
  // log file gets the reason.
  WRANGLER_LOG: process.env['WRANGLER_LOG'] ?? 'debug',
};
const health = `http://127.0.0.1:${port}/rooms/health`;
const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const args = [
  wrangler,
  'dev',
  'node_modules/.cache/signaling-worker-check/index.js',
  '--no-bundle',
  '--config',
  'signaling-worker/wrangler.jsonc',
  '--ip',
  '127.0.0.1',
  '--port',
  port,
  '--show-interactive-dev-session=false',
];

const build = spawnSync('npm', ['run', 'worker:check'], {
  cwd: root,
  env: { ...env, WRANGLER_LOG: process.env['WRANGLER_LOG'] ?? 'log' },
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error(`worker-e2e: bundling the worker failed (${build.signal ?? `exit code ${build.status}`}).`);
  process.exit(1);
}

/** Writes to our stdout/stderr, ignoring a reader that went away (EPIPE) rather than dying of it. */
function write(stream, text) {
  try {
    stream.write(text);
  } catch {
    // Nobody is reading any more; the lines are also in wrangler's own log file.
  }
}
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/** Linux process table entry: parent and start time (to tell a PID apart from a later reuse). */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** Every process under `pid` right now, with its start time. */
function descendants(pid) {
  const table = new Map();
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return table; // no /proc (not Linux): only wrangler itself is signalled
  }
  const children = new Map();
  for (const name of entries) {
    const s = stat(name);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid: Number(name), start: s.start });
    children.set(s.ppid, list);
  }
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      table.set(child.pid, child.start);
      queue.push(child.pid);
    }
  }
  return table;
}

let child;
/** wrangler's descendants (workerd), refreshed while it runs: once it dies they are orphans. */
let known = new Map();
let tail = [];
let restarts = 0;
let stopping = false;

/** SIGKILLs the processes wrangler had started that are still the same processes. */
function killKnown() {
  for (const [pid, start] of known) {
    if (stat(pid)?.start !== start) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  known = new Map();
}

/** Resolves when `url` gives any HTTP response, on a connection of its own (no keep-alive). */
function answers(url) {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(undefined);
    });
    request.on('timeout', () =>
      request.destroy(new Error(`No answer from ${url} in ${PROBE_TIMEOUT_MS} ms.`)),
    );
    request.on('error', reject);
  });
}

/** A port free right now, from the kernel's ephemeral range. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port: free } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(free));
    });
  });
}

async function start() {
  tail = [];
  // An inspector port of its own: by default every wrangler on the machine tries 9229 first, and
  // when two start together the loser exits ("Address already in use (127.0.0.1:9229)").
  const inspectorPort = String(await freePort());
  const current = spawn(process.execPath, [...args, '--inspector-port', inspectorPort], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = current;
  for (const [stream, out] of [
    [current.stdout, process.stdout],
    [current.stderr, process.stderr],
  ]) {
    let partial = '';
    stream.on('data', (chunk) => {
      write(out, chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      // Without colours: the crash report is one plain line.
      for (const line of lines.map((l) => stripVTControlCharacters(l).trim())) {
        if (line !== '' && !CHATTER.test(line)) tail.push(line);
      }
      if (tail.length > KEPT_LINES) tail = tail.slice(-KEPT_LINES);
    });
  }
  const watch = setInterval(() => {
    for (const [pid, startTime] of descendants(current.pid)) known.set(pid, startTime);
  }, 1_000);
  let answered = false;
  let failures = 0;
  let probing = false;
  let hung = false;
  const probe = setInterval(() => {
    if (probing || stopping) return;
    probing = true;
    answers(health)
      .then(
        () => {
          answered = true;
          failures = 0;
        },
        () => {
          if (!answered || ++failures < PROBE_FAILURES || stopping || current.exitCode !== null) return;
          hung = true;
          for (const [pid, startTime] of descendants(current.pid)) known.set(pid, startTime);
          current.kill('SIGKILL'); // the exit handler below stops workerd and starts it all again
        },
      )
      .finally(() => {
        probing = false;
      });
  }, PROBE_EVERY_MS);
  current.on('exit', (code, signal) => {
    clearInterval(watch);
    clearInterval(probe);
    killKnown();
    if (stopping) return;
    const how = hung
      ? `it stopped answering ${health}, ${PROBE_FAILURES} probes in a row, and was killed`
      : signal
        ? `signal ${signal}`
        : `exit code ${code}`;
    const notable = [...new Set(tail.filter((line) => NOTABLE.test(line)))].slice(-3);
    const last =
      (notable.length > 0 ? `${notable.join(' | ')} … ` : '') +
      (tail.length > 0 ? tail.slice(-TAIL_LINES).join(' | ') : '(no output)');
    if (restarts >= MAX_RESTARTS) {
      write(
        process.stderr,
        `worker-e2e: ${new Date().toISOString()} wrangler dev on port ${port} stopped (${how}) after ${restarts} restarts; giving up. What it printed last: ${last}\n`,
      );
      process.exit(1);
    }
    restarts++;
    write(
      process.stderr,
      `worker-e2e: ${new Date().toISOString()} wrangler dev on port ${port} stopped unexpectedly (${how}); restarting it (${restarts} of ${MAX_RESTARTS}). What it printed last: ${last}\n`,
    );
    setTimeout(() => void start(), 500 * restarts);
  });
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  const current = child;
  const code = 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 0);
  if (!current || current.exitCode !== null || current.signalCode !== null) {
    killKnown();
    process.exit(code);
  }
  for (const [pid, startTime] of descendants(current.pid)) known.set(pid, startTime);
  current.once('exit', () => process.exit(code)); // the exit handler has killed what was left
  current.kill(signal);
  setTimeout(() => {
    for (const [pid, startTime] of descendants(current.pid)) known.set(pid, startTime);
    current.kill('SIGKILL');
  }, STOP_GRACE_MS).unref();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

await start();
