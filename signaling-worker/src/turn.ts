/**
 * TURN credentials, minted for the Room (the contract, and what counts as a capability, are in
 * src/protocol/turn.ts). The provider comes from the worker's configuration:
 *
 * - Cloudflare Realtime TURN, when TURN_KEY_ID and TURN_KEY_API_TOKEN are set (secrets):
 *     POST https://rtc.live.cloudflare.com/v1/turn/keys/<TURN_KEY_ID>/credentials/generate-ice-servers
 *     Authorization: Bearer <TURN_KEY_API_TOKEN>, body {"ttl": <seconds>}
 *     → 201 {"iceServers": [{"urls": [...]}, {"urls": [...], "username": "…", "credential": "…"}]}
 *   URLs on port 53 are dropped (browsers refuse them), and so is anything that fails the contract's
 *   checks.
 * - coturn's REST credentials, when TURN_SHARED_SECRET (secret) and TURN_URLS (URLs separated by
 *   spaces or commas) are set; the TURN server runs with `use-auth-secret` and
 *   `static-auth-secret=<the same secret>`:
 *     username   = "<expiry, unix seconds>:<random id>"
 *     credential = base64(HMAC-SHA1(secret, username))
 * - Neither: "no TURN configured" (a secret without URLs names no server, so it counts as neither).
 *   Half of Cloudflare's pair, or TURN_URLS that do not parse, is a configuration mistake: logged,
 *   and answered as unconfigured.
 */
import {
  MAX_TURN_SERVERS,
  MAX_TURN_URLS,
  TURN_TTL_S,
  type TurnAnswer,
  type TurnServer,
  checkTurnServer,
  isIceUrl,
  withoutPort53,
} from '../../src/protocol/turn';

/** The variables this module reads (a subset of Env, so tests can pass a plain object). */
export type TurnEnv = Pick<Env, 'TURN_SHARED_SECRET' | 'TURN_URLS' | 'TURN_KEY_ID' | 'TURN_KEY_API_TOKEN'>;

export type TurnProvider =
  | { readonly kind: 'none' }
  | { readonly kind: 'misconfigured'; readonly problem: string }
  | { readonly kind: 'coturn'; readonly secret: string; readonly urls: readonly string[] }
  | { readonly kind: 'cloudflare'; readonly keyId: string; readonly token: string };

export const CLOUDFLARE_TURN_API = 'https://rtc.live.cloudflare.com/v1/turn/keys';
/** How long the worker waits for Cloudflare's API before answering "unavailable". */
export const CLOUDFLARE_TIMEOUT_MS = 5_000;
/** Cloudflare's key ids are hex; anything else would change the request's path. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** Which provider the configuration names. */
export function turnProvider(env: TurnEnv): TurnProvider {
  if (set(env.TURN_KEY_ID) || set(env.TURN_KEY_API_TOKEN)) {
    if (!set(env.TURN_KEY_ID) || !set(env.TURN_KEY_API_TOKEN)) {
      return { kind: 'misconfigured', problem: 'TURN_KEY_ID and TURN_KEY_API_TOKEN must be set together.' };
    }
    const keyId = env.TURN_KEY_ID.trim();
    if (!KEY_ID_PATTERN.test(keyId)) {
      return { kind: 'misconfigured', problem: 'TURN_KEY_ID is not a Cloudflare TURN key id.' };
    }
    return { kind: 'cloudflare', keyId, token: env.TURN_KEY_API_TOKEN.trim() };
  }
  if (!set(env.TURN_URLS)) return { kind: 'none' };
  if (!set(env.TURN_SHARED_SECRET)) {
    return { kind: 'misconfigured', problem: 'TURN_URLS is set but TURN_SHARED_SECRET is not.' };
  }
  const urls = env.TURN_URLS.split(/[\s,]+/).filter((u) => u !== '');
  const usable = withoutPort53(urls);
  if (!urls.every(isIceUrl) || usable.length === 0 || usable.length > MAX_TURN_URLS) {
    return {
      kind: 'misconfigured',
      problem: `TURN_URLS must be 1 to ${MAX_TURN_URLS} turn: or turns: URLs, not on port 53.`,
    };
  }
  return { kind: 'coturn', secret: env.TURN_SHARED_SECRET, urls: usable };
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** coturn's REST API password for `username`: base64(HMAC-SHA1(secret, username)). */
export async function coturnPassword(secret: string, username: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    enc.encode(secret),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  return base64(new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(username))));
}

/** One coturn server entry valid for `ttlS` seconds from `nowMs`. */
export async function coturnServer(
  secret: string,
  urls: readonly string[],
  nowMs: number,
  ttlS = TURN_TTL_S,
): Promise<TurnServer> {
  const expiry = Math.floor(nowMs / 1000) + ttlS;
  // The id: 12 random bytes, base64url (no ':' in it, which separates coturn's fields).
  const id = base64(crypto.getRandomValues(new Uint8Array(12)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  const username = `${expiry}:${id}`;
  return { urls: [...urls], username, credential: await coturnPassword(secret, username) };
}

/**
 * Cloudflare's reply, checked: `iceServers` (a list, or one server as the older endpoint gave),
 * each server's URLs without port 53, servers left with no URL dropped. Undefined when nothing
 * usable is left or the reply is not of that shape.
 */
export function cloudflareServers(reply: unknown): TurnServer[] | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const raw: unknown = Reflect.get(reply, 'iceServers');
  const list: unknown[] = Array.isArray(raw) ? (raw as unknown[]) : raw === undefined ? [] : [raw];
  const out: TurnServer[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const urlsValue: unknown = Reflect.get(entry, 'urls');
    const urls = (typeof urlsValue === 'string' ? [urlsValue] : Array.isArray(urlsValue) ? urlsValue : [])
      .filter((u): u is string => typeof u === 'string')
      .filter((u) => isIceUrl(u));
    const kept = withoutPort53(urls).slice(0, MAX_TURN_URLS);
    if (kept.length === 0) continue;
    const username: unknown = Reflect.get(entry, 'username');
    const credential: unknown = Reflect.get(entry, 'credential');
    const server = checkTurnServer({
      urls: kept,
      ...(username === undefined ? {} : { username }),
      ...(credential === undefined ? {} : { credential }),
    });
    if (server) out.push(server);
  }
  // A relay is what was asked for: without a single turn: URL the answer is of no use.
  if (!out.some((s) => s.urls.some((u) => u.startsWith('turn')))) return undefined;
  return out.slice(0, MAX_TURN_SERVERS);
}

export interface MintOptions {
  nowMs?: number;
  /** Cloudflare's API is reached through this (tests pass a fake). */
  fetch?: typeof fetch;
}

/**
 * Credentials from the configured provider, or why there are none. Never throws: a provider's
 * failure is logged (without its token) and answered "unavailable".
 */
export async function mintTurnCredentials(env: TurnEnv, options: MintOptions = {}): Promise<TurnAnswer> {
  const provider = turnProvider(env);
  const nowMs = options.nowMs ?? Date.now();
  switch (provider.kind) {
    case 'none':
      return { t: 'no-turn', reason: 'unconfigured' };
    case 'misconfigured':
      console.error(`turn: ${provider.problem}`);
      return { t: 'no-turn', reason: 'unconfigured' };
    case 'coturn':
      return {
        t: 'turn',
        servers: [await coturnServer(provider.secret, provider.urls, nowMs)],
        ttl: TURN_TTL_S,
      };
    case 'cloudflare':
      return fromCloudflare(provider, options.fetch ?? fetch);
  }
}

async function fromCloudflare(
  provider: { keyId: string; token: string },
  fetchImpl: typeof fetch,
): Promise<TurnAnswer> {
  const url = `${CLOUDFLARE_TURN_API}/${provider.keyId}/credentials/generate-ice-servers`;
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${provider.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttl: TURN_TTL_S }),
      signal: AbortSignal.timeout(CLOUDFLARE_TIMEOUT_MS),
    });
    if (!response.ok) {
      console.error(`turn: Cloudflare answered ${response.status} to a credentials request.`);
      return { t: 'no-turn', reason: 'unavailable' };
    }
    const servers = cloudflareServers(await response.json());
    if (!servers) {
      console.error('turn: Cloudflare answered without a usable TURN server.');
      return { t: 'no-turn', reason: 'unavailable' };
    }
    return { t: 'turn', servers, ttl: TURN_TTL_S };
  } catch (e) {
    console.error('turn: the Cloudflare credentials request failed.', e instanceof Error ? e.name : 'error');
    return { t: 'no-turn', reason: 'unavailable' };
  }
}
