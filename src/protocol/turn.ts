/**
 * TURN credentials from the signaling worker (DESIGN.md, Routes and delivery, item 2): the
 * contract's types, limits and checks, shared by the worker (`signaling-worker/src/turn.ts`, the
 * Room) and the app (`src/app/turn-servers.ts`). Pure TypeScript: no DOM, no Workers runtime.
 *
 *   peer A                          worker: the Room of roomId                         peer B
 *      │══ both in the room (hello peers:1 / peer-joined), see signaling.ts ══════════════│
 *      │── {"t":"turn"} ───────────────────▶│ another peer is here, and this room has     │
 *      │                                    │ asked fewer than TURN_ROOM_REQUESTS times   │
 *      │                                    │ in TURN_ROOM_WINDOW_MS: mint credentials    │
 *      │◀── {"t":"turn","servers":[…],"ttl":86400} ─│                                      │
 *      │                                    │◀──────────────────────────── {"t":"turn"} ──│
 *      │                                    │── {"t":"turn","servers":[…],"ttl":86400} ──▶│
 *   A lone peer, an unconfigured worker, a room over its budget or a provider that fails hears
 *      │◀── {"t":"no-turn","reason":"alone" | "unconfigured" | "rate-limited" | "unavailable"}
 *   and connects without TURN. An HTTP request to TURN_PATH hears 403 and a sentence.
 *
 * What proves a capability. The worker cannot check a room secret without learning it (a room id
 * is SHA-256 of the invite secret, or an HKDF output of the pair's rendezvous secret), so it gives
 * credentials only where two WebSockets have met in one room: two parties that each derived the
 * room id. That is what pairing and rendezvous already require, and it keeps the credentials off
 * any public URL. It is not a proof against a determined abuser: anyone can make up a secret and
 * open both sockets, as anyone can make an invite. The limits are what bound that: credentials for
 * at most TURN_ROOM_REQUESTS requests a room each TURN_ROOM_WINDOW_MS, on top of the room's
 * per-peer message rate, and each credential lives TURN_TTL_S.
 *
 * Providers (worker configuration, see the README):
 * - coturn's REST credentials (`use-auth-secret`, `static-auth-secret`): username
 *   `<expiry unix seconds>:<random id>`, credential base64(HMAC-SHA1(secret, username)), for the
 *   URLs in TURN_URLS;
 * - Cloudflare Realtime TURN: the worker asks Cloudflare's API for ICE servers with a TTL, and
 *   drops every URL on port 53, which browsers refuse to use.
 */

/** Bumped when this contract changes incompatibly (it rides on the signaling WebSocket). */
export const TURN_VERSION = 1;
/** Where an HTTP caller asks, and is refused: credentials come only through a room. */
export const TURN_PATH = '/turn';
/**
 * How long minted credentials stay valid, in seconds: one rendezvous day (rendezvous.ts,
 * RENDEZVOUS_DAY_MS), so a connection made today keeps its relay as long as today's room lasts.
 */
export const TURN_TTL_S = 86_400;
/** The longest TTL a client accepts (Cloudflare's own maximum, 48 hours). */
export const MAX_TURN_TTL_S = 172_800;
/** A room answers at most this many TURN requests in each window (two per meeting). */
export const TURN_ROOM_REQUESTS = 20;
export const TURN_ROOM_WINDOW_MS = 10 * 60_000;
/** Bounds on an answer: servers, URLs a server, and the length of one URL, username or credential. */
export const MAX_TURN_SERVERS = 4;
export const MAX_TURN_URLS = 8;
export const MAX_TURN_FIELD_LENGTH = 512;

/** One ICE server as the worker hands it out: the RTCIceServer fields a browser needs. */
export interface TurnServer {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** Why the worker gave no credentials. */
export type TurnRefusal = 'alone' | 'unconfigured' | 'rate-limited' | 'unavailable';
export const TURN_REFUSALS: readonly TurnRefusal[] = ['alone', 'unconfigured', 'rate-limited', 'unavailable'];

/** The worker's answer to `{"t":"turn"}`. */
export type TurnAnswer =
  | { readonly t: 'turn'; readonly servers: readonly TurnServer[]; readonly ttl: number }
  | { readonly t: 'no-turn'; readonly reason: TurnRefusal };

const REFUSAL_SENTENCES: Record<TurnRefusal, string> = {
  alone:
    'TURN credentials are given only to two people who have met in a room, and nobody else is in this one.',
  unconfigured: 'This signaling server has no TURN relay configured, so connections use direct paths only.',
  'rate-limited': 'This room asked for TURN credentials too often; it can ask again in a few minutes.',
  unavailable: 'The TURN relay provider did not answer, so this connection uses direct paths only.',
};

/** A sentence a person (or a log) reads for a refusal. */
export function turnRefusalMessage(reason: TurnRefusal): string {
  return REFUSAL_SENTENCES[reason];
}

/** What an HTTP caller of TURN_PATH reads (with status 403). */
export const TURN_HTTP_REFUSAL =
  'TURN credentials are given only inside a signaling room that two people have joined, over its WebSocket.';

export function isTurnRefusal(value: unknown): value is TurnRefusal {
  return typeof value === 'string' && (TURN_REFUSALS as readonly string[]).includes(value);
}

// RFC 7064 (stun:, stuns:) and RFC 7065 (turn:, turns:) URIs: a host (a name, an IPv4 address or
// a bracketed IPv6 address), an optional port, and for TURN an optional `?transport=udp|tcp`.
const ICE_URL_PATTERN =
  /^(stuns?|turns?):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\?transport=(?:udp|tcp))?$/;

/** The port an ICE server URL names, or undefined when it is not one SecMsg accepts. */
export function iceUrlPort(url: string): number | undefined {
  if (url.length > MAX_TURN_FIELD_LENGTH) return undefined;
  const m = ICE_URL_PATTERN.exec(url);
  if (!m) return undefined;
  const scheme = m[1]!;
  if (m[4] !== undefined && scheme.startsWith('stun')) return undefined;
  if (m[3] === undefined) return scheme.endsWith('s') ? 5349 : 3478; // RFC 7064 §3.1, RFC 7065 §3.1
  const port = Number(m[3]);
  return port >= 1 && port <= 0xffff ? port : undefined;
}

/** True for a well-formed stun:, stuns:, turn: or turns: URL. */
export function isIceUrl(url: unknown): url is string {
  return typeof url === 'string' && iceUrlPort(url) !== undefined;
}

/** Browsers refuse ICE servers on port 53 (DNS); a list without them. */
export function withoutPort53(urls: readonly string[]): string[] {
  return urls.filter((u) => iceUrlPort(u) !== 53);
}

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TURN_FIELD_LENGTH;
}

/**
 * Checks one server of an answer (or of a provider's reply, after port 53 is dropped): 1 to
 * MAX_TURN_URLS valid URLs, and a username and credential together or neither (a TURN URL needs
 * both). Returns undefined when it is not one.
 */
export function checkTurnServer(value: unknown): TurnServer | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (!keys.every((k) => k === 'urls' || k === 'username' || k === 'credential')) return undefined;
  const urls: unknown = Reflect.get(value, 'urls');
  const username: unknown = Reflect.get(value, 'username');
  const credential: unknown = Reflect.get(value, 'credential');
  if (!Array.isArray(urls) || urls.length === 0 || urls.length > MAX_TURN_URLS) return undefined;
  const checked: string[] = [];
  for (const u of urls as unknown[]) {
    if (!isIceUrl(u)) return undefined;
    checked.push(u);
  }
  if (username === undefined && credential === undefined) {
    return checked.every((u) => u.startsWith('stun')) ? { urls: checked } : undefined;
  }
  if (!isShortString(username) || !isShortString(credential)) return undefined;
  return { urls: checked, username, credential };
}

/** Checks a list of servers: 1 to MAX_TURN_SERVERS of them, each as checkTurnServer says. */
export function checkTurnServers(value: unknown): TurnServer[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_TURN_SERVERS) return undefined;
  const out: TurnServer[] = [];
  for (const s of value as unknown[]) {
    const server = checkTurnServer(s);
    if (!server) return undefined;
    out.push(server);
  }
  return out;
}

/** True for a TTL a client accepts: whole seconds, 1 to MAX_TURN_TTL_S. */
export function isTurnTtl(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TURN_TTL_S;
}
