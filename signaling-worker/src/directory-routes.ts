/**
 * The router's half of the username directory (src/protocol/directory.ts has the contract): checks
 * each request before any Durable Object sees it, counts it in the client address's
 * DirectoryLimiter, turns it into one RPC call on the Directory named by the handle hash, and words
 * every refusal as a JSON error with a sentence.
 *
 * The order is fixed: a malformed request is refused first (it counts nowhere and tells nothing),
 * then the request is counted (lookups in one window; claims, refreshes and releases in another),
 * and only then is the Directory asked, so a lookup of a held handle and of a missing one cost the
 * same, and a release cannot stand in for a lookup beyond the claim window.
 *
 * The app's pages come from another origin than the worker, so every answer allows any origin:
 * nothing here rides on cookies; the release secret travels in the body.
 */
import {
  DIRECTORY_PATH_PREFIX,
  DirectoryError,
  type DirectoryErrorCode,
  MAX_DIRECTORY_BODY_BYTES,
  decodeClaimRequest,
  decodeReleaseRequest,
  encodeCard,
  directoryErrorMessage,
  directoryErrorStatus,
  encodeDirectoryError,
  isHandleHash,
  rateLimitMessage,
} from '../../src/protocol/directory';
import type { RateKind } from './directory';
import { type BodyRefusals, readText } from './request-body';

const ALLOWED = 'GET, PUT, DELETE, OPTIONS';

const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'access-control-allow-origin': '*',
  'access-control-allow-methods': ALLOWED,
  'access-control-allow-headers': 'content-type',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '86400',
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...BASE_HEADERS },
  });
}

function errorResponse(
  code: DirectoryErrorCode,
  message = directoryErrorMessage(code),
  headers: Record<string, string> = {},
): Response {
  return new Response(encodeDirectoryError(code, message), {
    status: directoryErrorStatus(code),
    headers: { 'content-type': 'application/json', ...BASE_HEADERS, ...headers },
  });
}

/** How this contract refuses a body (request-body.ts). */
const DIRECTORY_BODY: BodyRefusals = {
  tooLarge: () => tooLargeBody(),
  unreadable: (message, cause) =>
    new DirectoryError('BAD_REQUEST', message, cause === undefined ? undefined : { cause }),
};

/** The body as text, at most MAX_DIRECTORY_BODY_BYTES. */
async function readJson(request: Request): Promise<string> {
  return readText(request, MAX_DIRECTORY_BODY_BYTES, DIRECTORY_BODY);
}

const tooLargeBody = (): DirectoryError =>
  new DirectoryError('TOO_LARGE', `The request body is over ${MAX_DIRECTORY_BODY_BYTES} bytes.`);

/**
 * The name of the client's DirectoryLimiter: a hash of its address (Cloudflare's
 * `cf-connecting-ip`), so no address is stored; one shared name where there is none.
 */
export async function clientKey(request: Request): Promise<string> {
  const address = request.headers.get('cf-connecting-ip') ?? 'local';
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`SecMsg directory rate ${address}`),
  );
  return [...new Uint8Array(digest, 0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Counts the request in the client's window: null when it fits, else the 429 to answer. */
async function limit(request: Request, env: Env, kind: RateKind): Promise<Response | null> {
  const key = await clientKey(request);
  const outcome = await env.DIRECTORY_LIMITS.get(env.DIRECTORY_LIMITS.idFromName(key)).take(kind);
  if (outcome.ok) return null;
  return errorResponse('RATE_LIMITED', rateLimitMessage(kind, outcome.retryAfterS), {
    'retry-after': String(outcome.retryAfterS),
  });
}

async function handle(request: Request, env: Env, hash: string): Promise<Response> {
  const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(hash));
  if (request.method === 'GET') {
    const limited = await limit(request, env, 'lookup');
    if (limited) return limited;
    const outcome = await stub.lookup();
    return outcome.ok ? json(200, { card: encodeCard(outcome.card) }) : errorResponse(outcome.code);
  }
  if (request.method === 'PUT') {
    const { card, owner } = decodeClaimRequest(await readJson(request));
    const limited = await limit(request, env, 'claim');
    if (limited) return limited;
    const outcome = await stub.claim(owner, card);
    if (!outcome.ok) return errorResponse(outcome.code);
    return json(outcome.created ? 201 : 200, { created: outcome.created, expires: outcome.expires });
  }
  if (request.method === 'DELETE') {
    const { secret } = decodeReleaseRequest(await readJson(request));
    const limited = await limit(request, env, 'claim');
    if (limited) return limited;
    const outcome = await stub.release(secret);
    return outcome.ok
      ? new Response(null, { status: 204, headers: BASE_HEADERS })
      : errorResponse(outcome.code);
  }
  return errorResponse('METHOD_NOT_ALLOWED', undefined, { allow: ALLOWED });
}

/** Answers a request whose path starts with DIRECTORY_PATH_PREFIX. */
export async function routeDirectory(request: Request, env: Env): Promise<Response> {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: BASE_HEADERS });
  try {
    const hash = new URL(request.url).pathname.slice(DIRECTORY_PATH_PREFIX.length);
    if (!isHandleHash(hash)) {
      return errorResponse('BAD_REQUEST', 'A handle hash is 43 base64url characters.');
    }
    return await handle(request, env, hash);
  } catch (e) {
    if (e instanceof DirectoryError) return errorResponse(e.code, e.message);
    console.error('directory router: unexpected error', e);
    return errorResponse('INTERNAL');
  }
}
