/**
 * The wake-up, end to end on this machine: the worker under `wrangler dev` with a VAPID key made
 * here, and a push endpoint this script serves (an RFC 8030 receiver: it answers 201 and records
 * what it got). A mailbox's owner registers a subscription whose keys this script holds; a deposit
 * must then make the worker POST to the endpoint with
 *   - a VAPID `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292): the key is the worker's,
 *     the JWT is ES256, signed by it, its `aud` the endpoint's origin (in its https form: a real
 *     push service is https; this one is plain http on loopback, which only a worker started with
 *     PUSH_ALLOW_LOCAL accepts), `exp` within 24 hours, `sub` a contact;
 *   - `TTL`, `Content-Encoding: aes128gcm`, and a body this script decrypts with the subscription's
 *     private key and auth secret (RFC 8291) to {"t":"new-message","mailbox":"<id>"}: no content;
 * a second deposit right after must not push again (MIN_PUSH_INTERVAL_MS); and a worker without a
 * VAPID key refuses subscriptions with PUSH_UNAVAILABLE (the workerd tests check that).
 *
 *   npx tsx signaling-worker/scripts/push.ts
 * Exits non-zero, with a sentence, on any mismatch. The worker it starts is stopped by PID.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIN_PUSH_INTERVAL_MS, PUSH_KEY_PATH, PUSH_TTL_S, authorization } from '../../src/protocol/mailbox';
import { encodeId16 } from '../../src/protocol/mailbox-binary';
import { startWorker } from './worker-process';

const subtle = webcrypto.subtle;
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

function fail(sentence: string): never {
  throw new Error(sentence);
}

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Uint8Array;
}

async function hkdf(
  salt: Uint8Array,
  ikm: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, key, length * 8),
  );
}

/** RFC 8291 §3.4 and RFC 8188: the receiving user agent's decryption of an aes128gcm body. */
async function decryptPush(
  body: Uint8Array,
  ua: { privateKey: webcrypto.CryptoKey; publicKey: Uint8Array },
  authSecret: Uint8Array,
): Promise<string> {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const asKey = await subtle.importKey('raw', asPublic, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const ecdh = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: asKey }, ua.privateKey, 256));
  const keyInfo = concat(utf8('WebPush: info\0'), ua.publicKey, asPublic);
  const ikm = await hkdf(authSecret, ecdh, keyInfo, 32);
  const cek = await hkdf(salt, ikm, utf8('Content-Encoding: aes128gcm\0'), 16);
  const nonce = await hkdf(salt, ikm, utf8('Content-Encoding: nonce\0'), 12);
  const key = await subtle.importKey('raw', cek, 'AES-GCM', false, ['decrypt']);
  const padded = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce }, key, ciphertext));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) fail('The push body does not end with the last-record delimiter (RFC 8188).');
  return new TextDecoder().decode(padded.subarray(0, end));
}

/** Checks the VAPID header (RFC 8292 §2–3) and returns the JWT's claims. */
async function checkVapid(
  header: string,
  workerKey: string,
  audience: string,
): Promise<Record<string, unknown>> {
  const match = /^vapid t=([A-Za-z0-9_.-]+), ?k=([A-Za-z0-9_-]+)$/.exec(header);
  if (!match) fail(`The push request's Authorization header is not "vapid t=…, k=…": ${header}`);
  const [, jwt, k] = match;
  if (k !== workerKey) fail('The VAPID header names another key than the worker publishes at /push/key.');
  const [h, p, s] = jwt!.split('.');
  const head = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  if (head.alg !== 'ES256') fail(`The VAPID JWT is not ES256 but ${String(head.alg)}.`);
  const key = await subtle.importKey('raw', fromB64url(k), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'verify',
  ]);
  const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, fromB64url(s!), utf8(`${h}.${p}`));
  if (!ok) fail('The VAPID JWT signature does not verify with the worker’s public key.');
  if (claims.aud !== audience) fail(`The VAPID JWT's aud is ${String(claims.aud)}, not ${audience}.`);
  const exp = Number(claims.exp);
  const now = Date.now() / 1000;
  if (!(exp > now && exp <= now + 24 * 3600 + 60)) fail('The VAPID JWT expires outside the next 24 hours.');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) {
    fail('The VAPID JWT has no mailto: or https: contact.');
  }
  return claims;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  // The worker's VAPID key, as `npm start` makes one.
  const vapid = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', vapid.privateKey);
  const dir = mkdtempSync(join(tmpdir(), 'secmsg-push-'));
  const envFile = join(dir, 'push.env');
  writeFileSync(envFile, `VAPID_PRIVATE_JWK='${JSON.stringify(jwk)}'\nPUSH_ALLOW_LOCAL=1\n`);

  // The push endpoint: records every request, answers 201 Created as a push service does.
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: new Uint8Array(Buffer.concat(chunks)),
      });
      res.writeHead(201, { location: '/message/1' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const pushPort = typeof address === 'object' && address ? address.port : 0;
  const pushOrigin = `http://127.0.0.1:${pushPort}`;

  const worker = await startWorker(undefined, 60_000, ['--env-file', envFile]);
  try {
    const base = worker.httpUrl;
    const published = (await (await fetch(base + PUSH_KEY_PATH)).json()) as { publicKey?: string };
    const workerKey = b64url(new Uint8Array(await subtle.exportKey('raw', vapid.publicKey)));
    if (published.publicKey !== workerKey) fail('/push/key does not publish the worker’s VAPID public key.');

    // The browser's side of a subscription: a P-256 key pair and an auth secret.
    const ua = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const uaPublic = new Uint8Array(await subtle.exportKey('raw', ua.publicKey));
    const authSecret = webcrypto.getRandomValues(new Uint8Array(16));
    const id = b64url(webcrypto.getRandomValues(new Uint8Array(32)));
    const token = b64url(webcrypto.getRandomValues(new Uint8Array(32)));
    const auth = { authorization: authorization(token) };
    const claim = await fetch(`${base}/mailboxes/${id}`, { method: 'PUT', headers: auth });
    if (claim.status !== 201) fail(`Claiming a mailbox answered ${claim.status}.`);
    const endpoint = `${pushOrigin}/push/${encodeId16(webcrypto.getRandomValues(new Uint8Array(16)))}`;
    const subscribe = await fetch(`${base}/mailboxes/${id}/push`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint, keys: { p256dh: b64url(uaPublic), auth: b64url(authSecret) } }),
    });
    if (subscribe.status !== 204) fail(`Registering the subscription answered ${subscribe.status}.`);

    const deposit = async () =>
      fetch(`${base}/mailboxes/${id}/blobs`, { method: 'POST', body: new Uint8Array(40) });
    if ((await deposit()).status !== 201) fail('A deposit was refused.');
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const push =
      received[0] ??
      fail(
        `No push reached the endpoint within 10 s of a deposit. The worker said: ${worker.log().slice(-8).join(' | ')}`,
      );
    if (push.method !== 'POST' || push.path !== new URL(endpoint).pathname) {
      fail(`The push went to ${push.method} ${push.path}, not POST to the subscription's endpoint.`);
    }
    // The audience is the https form of the local endpoint's origin (push.ts builds for https only).
    const audience = pushOrigin.replace(/^http:/, 'https:');
    const claims = await checkVapid(String(push.headers.authorization ?? ''), workerKey, audience);
    if (Number(push.headers.ttl) !== PUSH_TTL_S) fail(`The push's TTL is ${String(push.headers.ttl)}.`);
    if (push.headers['content-encoding'] !== 'aes128gcm') fail('The push body is not aes128gcm (RFC 8291).');
    const payload = await decryptPush(
      push.body,
      { privateKey: ua.privateKey, publicKey: uaPublic },
      authSecret,
    );
    const parsed = JSON.parse(payload) as unknown;
    if (JSON.stringify(parsed) !== JSON.stringify({ t: 'new-message', mailbox: id })) {
      fail(`The push payload says more than which mailbox has news: ${payload}`);
    }

    // A second deposit within the interval does not push again.
    if ((await deposit()).status !== 201) fail('The second deposit was refused.');
    await new Promise((r) => setTimeout(r, 1_500));
    if (received.length !== 1) fail(`A second deposit within ${MIN_PUSH_INTERVAL_MS} ms pushed again.`);

    // Unsubscribed: no more pushes, and a subscription to an address elsewhere than https is refused.
    const insecure = await fetch(`${base}/mailboxes/${id}/push`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        endpoint: 'http://push.example/x',
        keys: { p256dh: b64url(uaPublic), auth: b64url(authSecret) },
      }),
    });
    if (insecure.status !== 400)
      fail(`A plain-http push endpoint elsewhere was answered ${insecure.status}.`);
    const off = await fetch(`${base}/mailboxes/${id}/push`, { method: 'DELETE', headers: auth });
    if (off.status !== 204) fail(`Turning pushes off answered ${off.status}.`);
    const errors = worker.errors();
    if (errors.length > 0) fail(`The worker logged errors: ${errors.slice(0, 3).join(' | ')}`);
    console.log(
      `push: a deposit pushed to the subscription's endpoint with a valid VAPID header (ES256, aud ${String(claims.aud)}, ` +
        `sub ${String(claims.sub)}), TTL ${PUSH_TTL_S} s, an aes128gcm body that decrypts to ${payload}; ` +
        `a second deposit within ${MIN_PUSH_INTERVAL_MS / 1000} s did not push; in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    await worker.stop();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`push: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
