#!/usr/bin/env node
// `npm start`: the app (Vite dev server) and the local signaling worker (wrangler dev) together.
// Prints the URL, and stops both cleanly on Ctrl-C. `npm start -- --https` serves both over
// HTTPS with self-signed certificates on all interfaces, so a phone on the same network can
// use the camera and WebCrypto (which need a secure context).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';

// The worker's VAPID key for wake-ups (README, Offline delivery): a local one, made once and kept
// in signaling-worker/.dev.vars (not committed), which `wrangler dev` reads. A deploy sets its
// own with `wrangler secret put VAPID_PRIVATE_JWK`.
const devVars = new URL('../signaling-worker/.dev.vars', import.meta.url);
const vars = existsSync(devVars) ? readFileSync(devVars, 'utf8') : '';
if (!/^VAPID_PRIVATE_JWK=/m.test(vars)) {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const jwk = JSON.stringify(await webcrypto.subtle.exportKey('jwk', pair.privateKey));
  writeFileSync(devVars, `${vars}${vars && !vars.endsWith('\n') ? '\n' : ''}VAPID_PRIVATE_JWK='${jwk}'\n`);
  console.log('Made a local VAPID key for wake-ups (signaling-worker/.dev.vars).');
}

// TURN (README, Routes): a local coturn REST secret, made once and kept in .dev.vars beside the
// VAPID key. When Debian's coturn (`turnserver`) is installed, it runs on 127.0.0.1:3478 with that
// secret and the worker hands out credentials for it (TURN_URLS); without it, no TURN.
if (!/^TURN_SHARED_SECRET=/m.test(readFileSync(devVars, 'utf8'))) {
  const text = readFileSync(devVars, 'utf8');
  appendFileSync(
    devVars,
    `${text && !text.endsWith('\n') ? '\n' : ''}TURN_SHARED_SECRET=${randomBytes(24).toString('base64url')}\n`,
  );
  console.log('Made a local TURN secret (signaling-worker/.dev.vars).');
}
const turnSecret = /^TURN_SHARED_SECRET=(\S+)$/m.exec(readFileSync(devVars, 'utf8'))?.[1];

const https = process.argv.includes('--https');
const host = https ? '0.0.0.0' : '127.0.0.1';
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  SECMSG_HTTPS: https ? '1' : '',
};

const children = [];
/**
 * Runs `node args…` with its output prefixed by `[name]`. When it exits on its own, everything
 * stops, except for a child given `restarts`: that one is started again (at most that many times),
 * because wrangler dev (4.124) exits with an empty "✘ [ERROR]" when a client connection drops
 * mid-request, an open upstream bug (cloudflare/workers-sdk#15451, #15317; scripts/worker-e2e.mjs
 * does the same for the journeys).
 */
function run(name, args, restarts = 0) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (line) => `[${name}] ${line}`;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) console.log(prefix(line));
    });
  }
  child.on('exit', (code, signal) => {
    console.log(prefix(`stopped (${signal ?? `exit code ${code}`})`));
    if (stopping) return;
    if (restarts > 0) {
      console.log(
        prefix(`starting it again (${restarts - 1} more time${restarts === 2 ? '' : 's'} after this)`),
      );
      children.splice(children.indexOf(child), 1);
      setTimeout(() => {
        if (!stopping) run(name, args, restarts - 1);
      }, 1_000);
      return;
    }
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const bin = (pkg, file) => new URL(`../node_modules/${pkg}/${file}`, import.meta.url).pathname;

// Only on loopback: with --https a phone would need the TURN server on the network, which is left
// to whoever sets that up (TURN_URLS in .dev.vars).
const turnserver = spawnSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' }).stdout.trim();
const localTurn = !https && turnserver !== '' && turnSecret !== undefined;
if (localTurn) {
  const dir = mkdtempSync(join(tmpdir(), 'secmsg-start-coturn-'));
  const turn = spawn(
    turnserver,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      '--listening-port=3478',
      '--min-port=49160',
      '--max-port=49200',
      '--allow-loopback-peers', // both browsers on this machine: their relay addresses are loopback
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--use-auth-secret',
      `--static-auth-secret=${turnSecret}`,
      '--realm=secmsg.local',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--db=${join(dir, 'turndb')}`,
      `--log-file=${join(dir, 'turnserver.log')}`,
      '--simple-log',
    ],
    { stdio: 'ignore' },
  );
  // Optional: if it cannot start (port 3478 taken), the app still runs, without TURN.
  turn.on('exit', (code, signal) => {
    if (!stopping)
      console.log(`[turn] stopped (${signal ?? `exit code ${code}`}); connections go without TURN.`);
  });
  children.push(turn);
}
run(
  'worker',
  [
    bin('wrangler', 'bin/wrangler.js'),
    'dev',
    '--cwd',
    'signaling-worker',
    '--ip',
    host,
    '--port',
    '8787',
    ...(https ? ['--local-protocol', 'https'] : []),
    ...(localTurn ? ['--var', 'TURN_URLS:turn:127.0.0.1:3478?transport=udp'] : []),
  ],
  5,
);
run('app', [bin('vite', 'bin/vite.js'), '--host', host, '--port', '5173', '--strictPort']);

const scheme = https ? 'https' : 'http';
const lan = https
  ? Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal)
      .map((i) => `${scheme}://${i.address}:5173/`)
  : [];
setTimeout(() => {
  console.log('');
  console.log(
    `SecMsg is running: ${scheme}://localhost:5173/  (signaling worker on ${scheme}://${host === '0.0.0.0' ? 'localhost' : host}:8787)`,
  );
  for (const url of lan) console.log(`  on your network: ${url}`);
  if (https)
    console.log(
      '  The certificates are self-signed: accept the browser warning for both ports (5173 and 8787).',
    );
  if (localTurn) console.log('  TURN: coturn on 127.0.0.1:3478 (its credentials come from the worker).');
  console.log('Press Ctrl-C to stop both.');
  console.log('');
}, 2500).unref();
