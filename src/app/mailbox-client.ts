/**
 * The app's side of the worker's mailbox HTTP API (src/protocol/mailbox.ts): one method per
 * request, every answer checked before it is believed, every refusal a `MailboxError` with the
 * worker's code worded by us, and an unreachable worker a `MailboxUnreachableError`.
 */
import {
  MAILBOX_LIST_PATH,
  PUSH_KEY_PATH,
  type PushSubscriptionJson,
  MAILBOX_PATH_PREFIX,
  MAX_BATCH_BLOBS,
  MAX_LIST_MAILBOXES,
  MailboxError,
  authorization,
} from '../protocol/mailbox';
import { type ListResult, decodeError, decodeListResponse } from '../protocol/mailbox-json';
import { type FetchedBlob, encodeDepositBatch, decodeFetchResponse } from '../protocol/mailbox-binary';

/** The worker could not be reached at all (offline, a proxy, the worker down). */
export class MailboxUnreachableError extends Error {
  override readonly name = 'MailboxUnreachableError';
  constructor(options?: ErrorOptions) {
    super('The mailbox server could not be reached; messages wait on this device.', options);
  }
}

export interface MailboxAccess {
  readonly id: string;
  readonly token: string;
}

export interface MailboxClient {
  /** Claims `id` for `token` (again with the same token is fine). */
  claim(box: MailboxAccess): Promise<void>;
  /** Deposits one ratchet message into the contact's mailbox. */
  deposit(id: string, blob: Uint8Array): Promise<void>;
  /** Deposits several, in order, all or none (at most MAX_BATCH_BLOBS and MAX_DEPOSIT_BATCH_BYTES). */
  depositMany(id: string, blobs: readonly Uint8Array[]): Promise<void>;
  /** Lists many mailboxes, as few requests as the worker allows (MAX_LIST_MAILBOXES a request). */
  list(boxes: readonly MailboxAccess[]): Promise<ListResult[]>;
  /** The named blobs still held, oldest first: several requests when they pass MAX_FETCH_BYTES. */
  fetch(box: MailboxAccess, ids: readonly string[]): Promise<FetchedBlob[]>;
  /** Deletes the named blobs. */
  remove(box: MailboxAccess, ids: readonly string[]): Promise<void>;
  /** Deletes the mailbox with everything in it. */
  drop(box: MailboxAccess): Promise<void>;
  /** Asks the worker to wake this browser (a Web Push) when something is deposited in `box`. */
  setPush(box: MailboxAccess, subscription: PushSubscriptionJson): Promise<void>;
  /** No more wake-ups for `box`. */
  clearPush(box: MailboxAccess): Promise<void>;
  /** The worker's VAPID public key (base64url), for the browser's push subscription. */
  pushKey(): Promise<string>;
  /** HTTP requests made so far (the benchmark counts what opening the app costs). */
  readonly requests: number;
}

/** `ws(s)://host` of the signaling worker → `http(s)://host`; undefined when none is configured. */
export function mailboxBaseUrl(signalingUrl: string): string | undefined {
  if (signalingUrl === '') return undefined;
  try {
    const url = new URL(signalingUrl);
    if (url.protocol === 'ws:') url.protocol = 'http:';
    else if (url.protocol === 'wss:') url.protocol = 'https:';
    else if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createMailboxClient(baseUrl: string, fetchImpl: typeof fetch = fetch): MailboxClient {
  let requests = 0;

  const request = async (
    method: string,
    path: string,
    o: { token?: string; body?: Uint8Array<ArrayBuffer> | string } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = authorization(o.token);
    if (typeof o.body === 'string') headers['content-type'] = 'application/json';
    else if (o.body) headers['content-type'] = 'application/octet-stream';
    requests++;
    let response: Response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        headers,
        ...(o.body === undefined ? {} : { body: o.body }),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (cause) {
      throw new MailboxUnreachableError({ cause });
    }
    if (!response.ok) throw decodeError(await response.text().catch(() => ''));
    return response;
  };

  const boxPath = (id: string, action = ''): string =>
    `${MAILBOX_PATH_PREFIX}${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

  return {
    get requests() {
      return requests;
    },

    async claim(box) {
      await request('PUT', boxPath(box.id), { token: box.token });
    },

    async deposit(id, blob) {
      await request('POST', boxPath(id, 'blobs'), { body: Uint8Array.from(blob) });
    },

    async depositMany(id, blobs) {
      await request('POST', boxPath(id, 'batch'), { body: encodeDepositBatch(blobs) });
    },

    async list(boxes) {
      const results: ListResult[] = [];
      for (const part of chunks(boxes, MAX_LIST_MAILBOXES)) {
        const response = await request('POST', MAILBOX_LIST_PATH, {
          body: JSON.stringify({ mailboxes: part.map(({ id, token }) => ({ id, token })) }),
        });
        results.push(
          ...decodeListResponse(
            await response.text(),
            part.map((b) => b.id),
          ),
        );
      }
      return results;
    },

    async fetch(box, ids) {
      const out: FetchedBlob[] = [];
      for (const part of chunks(ids, MAX_BATCH_BLOBS)) {
        let asked = part;
        while (asked.length > 0) {
          const response = await request('POST', boxPath(box.id, 'fetch'), {
            token: box.token,
            body: JSON.stringify({ ids: asked }),
          });
          const got = decodeFetchResponse(new Uint8Array(await response.arrayBuffer()), asked);
          if (got.length === 0) break; // the rest are gone (deleted or expired)
          out.push(...got);
          // The worker answers in deposit order and stops at its byte limit: what it left out
          // comes after the last one it sent.
          const last = asked.indexOf(got[got.length - 1]!.id);
          asked = asked.slice(last + 1);
        }
      }
      return out;
    },

    async remove(box, ids) {
      for (const part of chunks(ids, MAX_BATCH_BLOBS)) {
        await request('POST', boxPath(box.id, 'delete'), {
          token: box.token,
          body: JSON.stringify({ ids: part }),
        });
      }
    },

    async drop(box) {
      await request('DELETE', boxPath(box.id), { token: box.token });
    },

    async setPush(box, subscription) {
      await request('PUT', boxPath(box.id, 'push'), {
        token: box.token,
        body: JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys }),
      });
    },

    async clearPush(box) {
      await request('DELETE', boxPath(box.id, 'push'), { token: box.token });
    },

    async pushKey() {
      const response = await request('GET', PUSH_KEY_PATH);
      const value: unknown = await response.json().catch(() => null);
      const key =
        typeof value === 'object' && value !== null ? (value as { publicKey?: unknown }).publicKey : null;
      if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{87}$/.test(key)) {
        throw new MailboxError('INTERNAL', 'The server’s notification key is malformed.');
      }
      return key;
    },
  };
}

export { MailboxError };
