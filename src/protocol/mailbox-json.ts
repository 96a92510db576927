/**
 * The mailbox's JSON bodies (src/protocol/mailbox.ts has the contract): each request checked field
 * by field as the worker reads it, each answer as the app reads it (unknown fields refused), and the
 * owner's push subscription.
 */
import {
  MAX_BATCH_BLOBS,
  MAX_LIST_MAILBOXES,
  MAX_MAILBOX_BLOBS,
  MAX_MAILBOX_BLOB_BYTES,
  MAX_PUSH_ENDPOINT_LENGTH,
  MailboxError,
  type MailboxErrorCode,
  type PushSubscriptionJson,
  isBlobId,
  isMailboxErrorCode,
  isMailboxId,
  isMailboxToken,
  mailboxErrorMessage,
} from './mailbox';

/** What a list names of each blob: no content, no sender. */
export interface BlobListing {
  readonly id: string;
  readonly size: number;
  /** Deposit time, ms since the epoch, by the worker's clock. */
  readonly at: number;
}

export interface MailboxListing {
  readonly blobs: readonly BlobListing[];
}

/** One entry of `POST /mailboxes/list`'s answer: the listing, or why there is none. */
export type ListResult =
  | { readonly id: string; readonly blobs: readonly BlobListing[] }
  | { readonly id: string; readonly error: { readonly code: MailboxErrorCode; readonly message: string } };

export interface ListRequest {
  readonly mailboxes: readonly { readonly id: string; readonly token: string }[];
}

/** Fetch and delete name blobs by id. */
export interface BlobIdsRequest {
  readonly ids: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new MailboxError('BAD_REQUEST', 'The request body is not JSON.', { cause });
  }
}

/** Validates `POST /mailboxes/list`'s body field by field; unknown fields are refused. */
export function decodeListRequest(text: string): ListRequest {
  const value = parseJson(text);
  if (!isPlainObject(value) || !exactKeys(value, ['mailboxes']) || !Array.isArray(value.mailboxes)) {
    throw new MailboxError('BAD_REQUEST', 'The body must be {"mailboxes": [{"id", "token"}, …]}.');
  }
  const list = value.mailboxes as unknown[];
  if (list.length === 0 || list.length > MAX_LIST_MAILBOXES) {
    throw new MailboxError('BAD_REQUEST', `A list names 1 to ${MAX_LIST_MAILBOXES} mailboxes.`);
  }
  const seen = new Set<string>();
  const mailboxes = list.map((entry) => {
    if (!isPlainObject(entry) || !exactKeys(entry, ['id', 'token'])) {
      throw new MailboxError('BAD_REQUEST', 'Each mailbox is {"id", "token"}.');
    }
    const { id, token } = entry;
    if (!isMailboxId(id))
      throw new MailboxError('BAD_REQUEST', 'A mailbox id is not 43 base64url characters.');
    if (!isMailboxToken(token))
      throw new MailboxError('BAD_REQUEST', 'A read token is not 43 base64url characters.');
    if (seen.has(id)) throw new MailboxError('BAD_REQUEST', 'A list names the same mailbox twice.');
    seen.add(id);
    return { id, token };
  });
  return { mailboxes };
}

/** Validates a fetch's or a delete's body: 1 to MAX_BATCH_BLOBS distinct blob ids. */
export function decodeBlobIdsRequest(text: string): BlobIdsRequest {
  const value = parseJson(text);
  if (!isPlainObject(value) || !exactKeys(value, ['ids']) || !Array.isArray(value.ids)) {
    throw new MailboxError('BAD_REQUEST', 'The body must be {"ids": [blob id, …]}.');
  }
  const ids = value.ids as unknown[];
  if (ids.length === 0 || ids.length > MAX_BATCH_BLOBS) {
    throw new MailboxError('BAD_REQUEST', `A request names 1 to ${MAX_BATCH_BLOBS} blobs.`);
  }
  if (!ids.every(isBlobId))
    throw new MailboxError('BAD_REQUEST', 'A blob id is not 22 base64url characters.');
  if (new Set(ids).size !== ids.length)
    throw new MailboxError('BAD_REQUEST', 'A request names a blob twice.');
  return { ids };
}

function readListing(value: unknown): BlobListing {
  if (!isPlainObject(value) || !exactKeys(value, ['id', 'size', 'at'])) {
    throw new MailboxError('BAD_REQUEST', 'The worker listed a blob with other fields than id, size and at.');
  }
  const { id, size, at } = value;
  if (!isBlobId(id)) throw new MailboxError('BAD_REQUEST', 'The worker listed a malformed blob id.');
  if (!Number.isSafeInteger(size) || (size as number) < 1 || (size as number) > MAX_MAILBOX_BLOB_BYTES) {
    throw new MailboxError('BAD_REQUEST', 'The worker listed a blob of an impossible size.');
  }
  if (!Number.isSafeInteger(at) || (at as number) < 0) {
    throw new MailboxError('BAD_REQUEST', 'The worker listed a blob with an impossible time.');
  }
  return { id, size: size as number, at: at as number };
}

function readBlobList(value: unknown): BlobListing[] {
  if (!Array.isArray(value) || value.length > MAX_MAILBOX_BLOBS) {
    throw new MailboxError('BAD_REQUEST', 'The worker’s blob list is malformed.');
  }
  return value.map(readListing);
}

/** The app's check of a `GET /mailboxes/<id>/blobs` answer. */
export function decodeMailboxListing(text: string): MailboxListing {
  const value = parseJson(text);
  if (!isPlainObject(value) || !exactKeys(value, ['blobs'])) {
    throw new MailboxError('BAD_REQUEST', 'The worker’s listing is malformed.');
  }
  return { blobs: readBlobList(value.blobs) };
}

/** The app's check of a `POST /mailboxes/list` answer against what it asked for. */
export function decodeListResponse(text: string, asked: readonly string[]): ListResult[] {
  const value = parseJson(text);
  if (!isPlainObject(value) || !exactKeys(value, ['results']) || !Array.isArray(value.results)) {
    throw new MailboxError('BAD_REQUEST', 'The worker’s list answer is malformed.');
  }
  const results = value.results as unknown[];
  if (results.length !== asked.length) {
    throw new MailboxError('BAD_REQUEST', 'The worker’s list answer does not match the mailboxes asked for.');
  }
  return results.map((entry, i): ListResult => {
    if (!isPlainObject(entry) || entry.id !== asked[i]) {
      throw new MailboxError(
        'BAD_REQUEST',
        'The worker’s list answer does not match the mailboxes asked for.',
      );
    }
    const id = asked[i]!;
    if (exactKeys(entry, ['id', 'blobs'])) return { id, blobs: readBlobList(entry.blobs) };
    if (
      exactKeys(entry, ['id', 'error']) &&
      isPlainObject(entry.error) &&
      isMailboxErrorCode(entry.error.code)
    ) {
      return { id, error: { code: entry.error.code, message: mailboxErrorMessage(entry.error.code) } };
    }
    throw new MailboxError('BAD_REQUEST', 'The worker’s list answer is malformed.');
  });
}

/** A JSON error body. */
export function encodeError(code: MailboxErrorCode, message: string = mailboxErrorMessage(code)): string {
  return JSON.stringify({ error: { code, message } });
}

/** The app's reading of an error body: the code, worded by the app, or INTERNAL when unreadable. */
export function decodeError(text: string): MailboxError {
  try {
    const value: unknown = JSON.parse(text);
    if (isPlainObject(value) && isPlainObject(value.error) && isMailboxErrorCode(value.error.code)) {
      return new MailboxError(value.error.code);
    }
  } catch {
    // not JSON: fall through
  }
  return new MailboxError('INTERNAL');
}

// ── The owner's push subscription ─────────────────────────────────────────────────────────────

function base64UrlLength(text: unknown, bytes: number): boolean {
  return (
    typeof text === 'string' && /^[A-Za-z0-9_-]+$/.test(text) && Math.floor((text.length * 3) / 4) === bytes
  );
}

/**
 * Validates a push subscription field by field: an `https:` endpoint (or `http:` to this machine
 * when `allowLocal`, for development and tests), with no credentials, of bounded length; a P-256
 * public key (65 bytes, uncompressed) and a 16-byte auth secret, base64url.
 */
export function decodePushSubscription(text: string, allowLocal = false): PushSubscriptionJson {
  const value = parseJson(text);
  if (!isPlainObject(value) || !exactKeys(value, ['endpoint', 'keys']) || !isPlainObject(value.keys)) {
    throw new MailboxError('BAD_REQUEST', 'The body must be a push subscription: {"endpoint", "keys"}.');
  }
  const { endpoint, keys } = value;
  if (typeof endpoint !== 'string' || endpoint.length > MAX_PUSH_ENDPOINT_LENGTH) {
    throw new MailboxError('BAD_REQUEST', 'The push endpoint must be a web address of bounded length.');
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new MailboxError('BAD_REQUEST', 'The push endpoint is not a web address.', { cause });
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (!(url.protocol === 'https:' || (allowLocal && url.protocol === 'http:' && local))) {
    throw new MailboxError('BAD_REQUEST', 'The push endpoint must be an https address.');
  }
  if (url.username !== '' || url.password !== '') {
    throw new MailboxError('BAD_REQUEST', 'The push endpoint must not carry credentials.');
  }
  if (
    !exactKeys(keys, ['p256dh', 'auth']) ||
    !base64UrlLength(keys.p256dh, 65) ||
    !base64UrlLength(keys.auth, 16)
  ) {
    throw new MailboxError(
      'BAD_REQUEST',
      'The push keys must be a 65-byte P-256 key and a 16-byte secret, base64url.',
    );
  }
  return { endpoint: url.href, keys: { p256dh: keys.p256dh as string, auth: keys.auth as string } };
}
