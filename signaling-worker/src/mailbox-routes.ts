/**
 * The router's half of the mailbox (src/protocol/mailbox.ts has the contract): checks each request
 * before any Durable Object sees it, turns it into one RPC call on the Mailbox named by the id (or
 * one per mailbox for a list), and words every refusal as a JSON error with a sentence.
 *
 * The app's pages come from another origin than the worker, so every answer allows any origin:
 * nothing here rides on cookies, every capability travels in the URL or the Authorization header.
 */
import {
  MAILBOX_LIST_PATH,
  MAILBOX_PATH_PREFIX,
  MAX_DEPOSIT_BATCH_BODY,
  MAX_JSON_BODY_BYTES,
  MAX_MAILBOX_BLOB_BYTES,
  MailboxError,
  type MailboxErrorCode,
  isMailboxId,
  mailboxErrorMessage,
  mailboxErrorStatus,
  readAuthorization,
} from '../../src/protocol/mailbox';
import {
  type ListResult,
  decodeBlobIdsRequest,
  decodePushSubscription,
  decodeListRequest,
  encodeError,
} from '../../src/protocol/mailbox-json';
import { decodeDepositBatch, encodeFetchResponse } from '../../src/protocol/mailbox-binary';
import type { MailboxOutcome } from './mailbox';
import { vapidKey } from './push';
import { type BodyRefusals, readBody, readText } from './request-body';

const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-expose-headers': 'retry-after',
  'access-control-max-age': '86400',
};

const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  ...CORS_HEADERS,
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...BASE_HEADERS, ...headers },
  });
}

function errorResponse(code: MailboxErrorCode, message?: string, retryAfterS?: number): Response {
  return new Response(encodeError(code, message ?? mailboxErrorMessage(code)), {
    status: mailboxErrorStatus(code),
    headers: {
      'content-type': 'application/json',
      ...BASE_HEADERS,
      ...(retryAfterS === undefined ? {} : { 'retry-after': String(retryAfterS) }),
      ...(code === 'METHOD_NOT_ALLOWED' ? { allow: 'GET, POST, PUT, DELETE, OPTIONS' } : {}),
    },
  });
}

function refused(outcome: Extract<MailboxOutcome<object>, { ok: false }>): Response {
  return errorResponse(outcome.code, undefined, outcome.retryAfterS);
}

/** How this contract refuses a body (request-body.ts). */
const MAILBOX_BODY: BodyRefusals = {
  tooLarge: () => new MailboxError('TOO_LARGE'),
  unreadable: (message, cause) =>
    new MailboxError('BAD_REQUEST', message, cause === undefined ? undefined : { cause }),
};

async function readJson(request: Request): Promise<string> {
  return readText(request, MAX_JSON_BODY_BYTES, MAILBOX_BODY);
}

/**
 * The client a rate window counts: a hash of its address (Cloudflare's `cf-connecting-ip`), so no
 * address is stored; one shared key where there is none (local development, tests).
 */
async function clientKey(request: Request): Promise<string> {
  const address = request.headers.get('cf-connecting-ip') ?? 'local';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`SecMsg rate ${address}`));
  return [...new Uint8Array(digest, 0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function stubFor(env: Env, id: string): DurableObjectStub<import('./mailbox').Mailbox> {
  return env.MAILBOXES.get(env.MAILBOXES.idFromName(id));
}

async function list(request: Request, env: Env, client: string): Promise<Response> {
  if (request.method !== 'POST') return errorResponse('METHOD_NOT_ALLOWED');
  const { mailboxes } = decodeListRequest(await readJson(request));
  const results = await Promise.all(
    mailboxes.map(async ({ id, token }): Promise<ListResult> => {
      const outcome = await stubFor(env, id).list(token, client);
      if (outcome.ok) return { id, blobs: outcome.blobs };
      return { id, error: { code: outcome.code, message: mailboxErrorMessage(outcome.code) } };
    }),
  );
  return json(200, { results });
}

/** `/mailboxes/<id>[/<action>]` */
async function one(
  request: Request,
  env: Env,
  client: string,
  id: string,
  action: string,
): Promise<Response> {
  const stub = stubFor(env, id);
  const method = request.method;
  if (action === 'blobs' && method === 'POST') {
    const data = await readBody(request, MAX_MAILBOX_BLOB_BYTES, MAILBOX_BODY);
    if (data.length === 0) return errorResponse('BAD_REQUEST', 'A deposit must not be empty.');
    const outcome = await stub.deposit(data, client);
    return outcome.ok ? json(201, { id: outcome.id, size: outcome.size, at: outcome.at }) : refused(outcome);
  }
  if (action === 'batch' && method === 'POST') {
    const blobs = decodeDepositBatch(await readBody(request, MAX_DEPOSIT_BATCH_BODY, MAILBOX_BODY));
    const outcome = await stub.depositMany(blobs, client);
    return outcome.ok ? json(201, { blobs: outcome.blobs }) : refused(outcome);
  }
  const known =
    (action === 'push' && (method === 'PUT' || method === 'DELETE')) ||
    (action === '' && (method === 'PUT' || method === 'DELETE')) ||
    (action === 'blobs' && method === 'GET') ||
    ((action === 'fetch' || action === 'delete') && method === 'POST');
  if (!known) {
    return ['', 'blobs', 'batch', 'fetch', 'delete', 'push'].includes(action)
      ? errorResponse('METHOD_NOT_ALLOWED')
      : errorResponse('BAD_REQUEST', 'There is no such mailbox request.');
  }
  const token = readAuthorization(request.headers.get('authorization'));
  if (token === null) return errorResponse('WRONG_TOKEN');
  if (action === 'push') {
    const outcome =
      method === 'PUT'
        ? await stub.setPush(
            token,
            id,
            decodePushSubscription(await readJson(request), env.PUSH_ALLOW_LOCAL === '1'),
            client,
          )
        : await stub.clearPush(token, client);
    return outcome.ok ? new Response(null, { status: 204, headers: BASE_HEADERS }) : refused(outcome);
  }
  if (action === '' && method === 'PUT') {
    const outcome = await stub.claim(token, client);
    return outcome.ok ? json(outcome.created ? 201 : 200, { created: outcome.created }) : refused(outcome);
  }
  if (action === '') {
    const outcome = await stub.drop(token, client);
    return outcome.ok ? new Response(null, { status: 204, headers: BASE_HEADERS }) : refused(outcome);
  }
  if (action === 'blobs') {
    const outcome = await stub.list(token, client);
    return outcome.ok ? json(200, { blobs: outcome.blobs }) : refused(outcome);
  }
  const { ids } = decodeBlobIdsRequest(await readJson(request));
  if (action === 'fetch') {
    const outcome = await stub.fetchBlobs(token, ids, client);
    if (!outcome.ok) return refused(outcome);
    return new Response(encodeFetchResponse(outcome.blobs), {
      status: 200,
      headers: { 'content-type': 'application/octet-stream', ...BASE_HEADERS },
    });
  }
  const outcome = await stub.remove(token, ids, client);
  return outcome.ok ? json(200, { deleted: outcome.deleted }) : refused(outcome);
}

/** Answers a request whose path starts with MAILBOX_PATH_PREFIX. */
export async function routeMailbox(request: Request, env: Env): Promise<Response> {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: BASE_HEADERS });
  try {
    const { pathname } = new URL(request.url);
    const client = await clientKey(request);
    if (pathname === MAILBOX_LIST_PATH) return await list(request, env, client);
    const [id = '', action = '', ...rest] = pathname.slice(MAILBOX_PATH_PREFIX.length).split('/');
    if (!isMailboxId(id) || rest.length > 0) {
      return errorResponse('BAD_REQUEST', 'A mailbox id is 43 base64url characters.');
    }
    return await one(request, env, client, id, action);
  } catch (e) {
    if (e instanceof MailboxError) return errorResponse(e.code, e.message);
    console.error('mailbox router: unexpected error', e);
    return errorResponse('INTERNAL');
  }
}

/** `GET /push/key`: the worker's VAPID public key, for the browser's push subscription. */
export function routePushKey(request: Request, env: Env): Response {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: BASE_HEADERS });
  if (request.method !== 'GET') return errorResponse('METHOD_NOT_ALLOWED');
  const key = vapidKey(env);
  return key ? json(200, { publicKey: key.publicKey }) : errorResponse('PUSH_UNAVAILABLE');
}
