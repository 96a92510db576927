/**
 * Waking a mailbox's owner (DESIGN.md, Routes and delivery, item 4): a Web Push message (RFC 8030)
 * with a VAPID signature (RFC 8292), built by @block65/webcrypto-web-push on WebCrypto. The payload is
 * encrypted to the subscription's keys (RFC 8291), so the push service reads nothing; and it says
 * nothing but which mailbox has news, which the worker knows anyway.
 *
 * The VAPID key is the worker secret VAPID_PRIVATE_JWK (a P-256 private key as a JWK: `npm start`
 * makes a local one; see README, Deploy). Without it the worker sends no pushes and says so.
 */
import { buildPushPayload } from '@block65/webcrypto-web-push';
import { PUSH_TTL_S, type PushSubscriptionJson } from '../../src/protocol/mailbox';

/** The contact a push service may write to about this worker's pushes (RFC 8292 `sub`). */
const DEFAULT_CONTACT = 'mailto:push@secmsg.invalid';

export interface VapidKey {
  readonly jwk: JsonWebKey;
  /** base64url of the uncompressed point (0x04 ‖ x ‖ y): the browser's applicationServerKey. */
  readonly publicKey: string;
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The worker's VAPID key from its secret, or null when none is set or it is not a P-256 JWK. */
export function vapidKey(env: Env): VapidKey | null {
  const text = env.VAPID_PRIVATE_JWK;
  if (typeof text !== 'string' || text === '') return null;
  try {
    const jwk = JSON.parse(text) as JsonWebKey;
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) return null;
    const x = fromBase64Url(jwk.x);
    const y = fromBase64Url(jwk.y);
    if (x.length !== 32 || y.length !== 32) return null;
    const point = new Uint8Array(65);
    point[0] = 0x04;
    point.set(x, 1);
    point.set(y, 33);
    return { jwk, publicKey: toBase64Url(point) };
  } catch {
    return null;
  }
}

export type PushOutcome = 'sent' | 'gone' | 'failed';

/**
 * Sends one wake-up for `mailboxId` to `subscription`. 'gone': the push service says the
 * subscription no longer exists (404, 410), and it should be forgotten.
 */
export async function sendWakeUp(
  env: Env,
  subscription: PushSubscriptionJson,
  mailboxId: string,
): Promise<PushOutcome> {
  const key = vapidKey(env);
  if (!key) return 'failed';
  // A local endpoint over plain http (development and tests only, PUSH_ALLOW_LOCAL): the library
  // builds requests for https endpoints only, so it builds for the https form of the address (the
  // JWT's audience), and the request goes to the http one.
  const local = env.PUSH_ALLOW_LOCAL === '1' && subscription.endpoint.startsWith('http:');
  const target = local ? subscription.endpoint.replace(/^http:/, 'https:') : subscription.endpoint;
  try {
    const built = await buildPushPayload(
      {
        data: { t: 'new-message', mailbox: mailboxId },
        // A topic replaces an undelivered wake-up of the same mailbox instead of piling them up.
        options: { ttl: PUSH_TTL_S, urgency: 'high', topic: mailboxId.slice(0, 32) },
      },
      { endpoint: target, expirationTime: null, keys: { ...subscription.keys } },
      { subject: env.VAPID_CONTACT || DEFAULT_CONTACT, publicKey: key.publicKey, privateKey: key.jwk.d },
    );
    const response = await fetch(subscription.endpoint, {
      method: 'POST',
      headers: built.headers,
      body: built.body,
    });
    if (response.status === 404 || response.status === 410) return 'gone';
    return response.ok ? 'sent' : 'failed';
  } catch (e) {
    console.error('push: could not send a wake-up', e);
    return 'failed';
  }
}
