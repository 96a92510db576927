/**
 * The mailbox's wire contract (DESIGN.md, Routes and delivery, item 4), shared by the worker's
 * Mailbox Durable Object (`signaling-worker/src/mailbox.ts`) and the app. Pure TypeScript: no DOM,
 * no Workers runtime.
 *
 * A mailbox is one person's inbound store for one contact. Its owner makes two random values:
 *   - the mailbox id (32 bytes, base64url): the address, which the owner announces to that
 *     contact inside the conversation ratchet; whoever holds it may deposit;
 *   - the read token (32 bytes, base64url): kept by the owner alone; the worker stores only its
 *     SHA-256 and asks for the token itself to list, fetch, delete or drop.
 * Nothing names an identity: the worker learns sizes and times, and ids it cannot link to each
 * other when the owner replaces a mailbox (drains the old one, then drops it).
 *
 *   owner                                  worker                                     contact
 *     │── PUT /mailboxes/<id>  (token) ──────▶│ claims the id: stores SHA-256(token)         │
 *     │   ... announces <id> to the contact through the ratchet ...                          │
 *     │                                       │◀── POST /mailboxes/<id>/blobs  (ciphertext) ─│
 *     │                                       │◀── POST /mailboxes/<id>/batch  (several) ────│
 *     │── POST /mailboxes/list {[id, token]} ▶│ one request for every mailbox the owner has  │
 *     │── POST /mailboxes/<id>/fetch {ids} ──▶│ the blobs, in one binary answer              │
 *     │── POST /mailboxes/<id>/delete {ids} ─▶│ after the owner stored them                  │
 *     │── DELETE /mailboxes/<id> ────────────▶│ a replaced mailbox, once drained             │
 *     │── PUT /mailboxes/<id>/push {sub} ────▶│ a deposit then wakes the owner's device      │
 *
 * Every refusal is an HTTP status with a JSON body `{"error":{"code","message"}}`: a code from
 * `MailboxErrorCode` and a sentence a person can read. The worker keeps no list of mailboxes and
 * has no request that enumerates them.
 */

export const MAILBOX_PATH_PREFIX = '/mailboxes/';
/** `POST` here lists many mailboxes at once (the owner's app opening). */
export const MAILBOX_LIST_PATH = '/mailboxes/list';
/** The Authorization scheme that carries a read token. */
export const MAILBOX_AUTH_SCHEME = 'Mailbox';

/** Base64url of 32 bytes, unpadded. */
export const MAILBOX_ID_LENGTH = 43;
export const MAILBOX_TOKEN_LENGTH = 43;
/** Base64url of 16 bytes, unpadded: the id the worker gives a deposited blob. */
export const BLOB_ID_LENGTH = 22;

/** The largest blob. */
export const MAX_MAILBOX_BLOB_BYTES = 256 * 1024;
/** A mailbox holds at most this many blobs ... */
export const MAX_MAILBOX_BLOBS = 1000;
/** ... and at most this many bytes of them. */
export const MAX_MAILBOX_BYTES = 16 * 1024 * 1024;
/** A blob is deleted this long after it was deposited, read or not (the storage alarm). */
export const BLOB_TTL_MS = 14 * 24 * 60 * 60_000;
/** A mailbox whose owner has not called for this long is deleted with everything in it. */
export const MAILBOX_IDLE_MS = 30 * 24 * 60 * 60_000;
/** The most mailboxes one `POST /mailboxes/list` may name. */
export const MAX_LIST_MAILBOXES = 100;
/** The most blob ids one fetch or delete may name. */
export const MAX_BATCH_BLOBS = 100;
/** A fetch answers with at most this many bytes of blobs; the rest wait for the next fetch. */
export const MAX_FETCH_BYTES = 4 * 1024 * 1024;
/** The most bytes of blobs one batch deposit carries (besides their 4-byte lengths). */
export const MAX_DEPOSIT_BATCH_BYTES = 4 * 1024 * 1024;
/** The longest JSON request body the worker reads. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * Per client (its address, hashed), per mailbox, per window: deposits, and the owner's requests.
 * A window opens at the client's first request after the previous one ended.
 */
export const RATE_WINDOW_MS = 60_000;
export const RATE_LIMIT_DEPOSITS = 120;
export const RATE_LIMIT_OWNER_REQUESTS = 600;
/**
 * Requests with a wrong token, per client per mailbox per window: counted apart from the owner's,
 * so that others behind the same address cannot use up the owner's window.
 */
export const RATE_LIMIT_WRONG_TOKEN = 60;

// ── Wake-up (Web Push, RFC 8030 with VAPID, RFC 8292) ───────────────────────────────────────────

/** `GET` here: the worker's VAPID public key, `{"publicKey": base64url of the 65-byte point}`. */
export const PUSH_KEY_PATH = '/push/key';
/** A mailbox wakes its owner at most once per this interval, however many deposits arrive. */
export const MIN_PUSH_INTERVAL_MS = 10_000;
/** How long the push service may hold a wake-up for an offline device, in seconds. */
export const PUSH_TTL_S = 24 * 60 * 60;
export const MAX_PUSH_ENDPOINT_LENGTH = 2048;

/** What a mailbox keeps of its owner's push subscription (the browser's PushSubscription). */
export interface PushSubscriptionJson {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

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

export const MailboxErrorCode = {
  /** The request is not one the worker knows, or a field is missing or malformed. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** No mailbox has this id (never claimed, dropped, or deleted after a long idle time). */
  NO_MAILBOX: 'NO_MAILBOX',
  /** The read token is missing, malformed or not this mailbox's. Nothing was read or changed. */
  WRONG_TOKEN: 'WRONG_TOKEN',
  /** Claiming an id that another token already claimed. */
  ALREADY_CLAIMED: 'ALREADY_CLAIMED',
  /** A blob larger than MAX_MAILBOX_BLOB_BYTES, or a request body over its limit. */
  TOO_LARGE: 'TOO_LARGE',
  /** The mailbox holds MAX_MAILBOX_BLOBS blobs or MAX_MAILBOX_BYTES bytes already. */
  MAILBOX_FULL: 'MAILBOX_FULL',
  /** Too many requests from this client in this window; `retry-after` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A method this path does not allow. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** The worker failed unexpectedly. */
  INTERNAL: 'INTERNAL',
  /** This worker has no VAPID key: it cannot wake devices (messages still wait in mailboxes). */
  PUSH_UNAVAILABLE: 'PUSH_UNAVAILABLE',
} as const;
export type MailboxErrorCode = (typeof MailboxErrorCode)[keyof typeof MailboxErrorCode];

const STATUS: Record<MailboxErrorCode, number> = {
  BAD_REQUEST: 400,
  NO_MAILBOX: 404,
  WRONG_TOKEN: 403,
  ALREADY_CLAIMED: 409,
  TOO_LARGE: 413,
  MAILBOX_FULL: 507,
  RATE_LIMITED: 429,
  METHOD_NOT_ALLOWED: 405,
  INTERNAL: 500,
  PUSH_UNAVAILABLE: 503,
};

const MESSAGES: Record<MailboxErrorCode, string> = {
  BAD_REQUEST: 'The mailbox request was malformed.',
  NO_MAILBOX: 'There is no mailbox with this id; it may have been replaced or expired.',
  WRONG_TOKEN: 'This mailbox’s read token was missing or wrong, so nothing was read or changed.',
  ALREADY_CLAIMED: 'This mailbox id belongs to someone else already.',
  TOO_LARGE: `The message is larger than a mailbox accepts (${MAX_MAILBOX_BLOB_BYTES / 1024} KiB).`,
  MAILBOX_FULL: `The mailbox is full (${MAX_MAILBOX_BLOBS} messages or ${MAX_MAILBOX_BYTES / 1024 / 1024} MiB); it empties when its owner comes online.`,
  RATE_LIMITED: 'Too many mailbox requests; try again in a minute.',
  METHOD_NOT_ALLOWED: 'This mailbox request is not allowed here.',
  INTERNAL: 'The mailbox server had a problem. Try again in a moment.',
  PUSH_UNAVAILABLE: 'This server cannot send notifications; messages still wait in the mailbox.',
};

/** The HTTP status the worker answers `code` with. */
export function mailboxErrorStatus(code: MailboxErrorCode): number {
  return STATUS[code];
}

/** The worker's sentence for `code` (the app may word it its own way). */
export function mailboxErrorMessage(code: MailboxErrorCode): string {
  return MESSAGES[code];
}

export function isMailboxErrorCode(value: unknown): value is MailboxErrorCode {
  return typeof value === 'string' && Object.hasOwn(MESSAGES, value);
}

export class MailboxError extends Error {
  override readonly name = 'MailboxError';
  constructor(
    readonly code: MailboxErrorCode,
    message: string = mailboxErrorMessage(code),
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// Unpadded base64url of exactly 32 bytes: the 43rd character carries 4 bits and two zero bits.
const ID32_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
// Of exactly 16 bytes: the 22nd character carries 2 bits and four zero bits.
const ID16_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export function isMailboxId(value: unknown): value is string {
  return typeof value === 'string' && ID32_PATTERN.test(value);
}

export function isMailboxToken(value: unknown): value is string {
  return typeof value === 'string' && ID32_PATTERN.test(value);
}

export function isBlobId(value: unknown): value is string {
  return typeof value === 'string' && ID16_PATTERN.test(value);
}

/** `Authorization: Mailbox <token>` → the token, or null when absent or malformed. */
export function readAuthorization(header: string | null): string | null {
  if (header === null) return null;
  const prefix = `${MAILBOX_AUTH_SCHEME} `;
  if (!header.startsWith(prefix)) return null;
  const token = header.slice(prefix.length);
  return isMailboxToken(token) ? token : null;
}

export function authorization(token: string): string {
  if (!isMailboxToken(token))
    throw new MailboxError('BAD_REQUEST', 'The read token must be 43 base64url characters.');
  return `${MAILBOX_AUTH_SCHEME} ${token}`;
}

// ── Bodies ───────────────────────────────────────────────────────────────────────────────────────

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

// ── A batch deposit: several blobs in one binary body ──────────────────────────────────────────

/** Each blob: its length (4, big-endian) ‖ bytes; 1 to MAX_BATCH_BLOBS of them. */
export function encodeDepositBatch(blobs: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  if (blobs.length === 0 || blobs.length > MAX_BATCH_BLOBS) {
    throw new MailboxError('BAD_REQUEST', `A batch holds 1 to ${MAX_BATCH_BLOBS} messages.`);
  }
  let length = 0;
  for (const b of blobs) {
    if (b.length === 0 || b.length > MAX_MAILBOX_BLOB_BYTES) throw new MailboxError('TOO_LARGE');
    length += 4 + b.length;
  }
  if (length - 4 * blobs.length > MAX_DEPOSIT_BATCH_BYTES) throw new MailboxError('TOO_LARGE');
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of blobs) {
    view.setUint32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/** The worker's reading of a batch deposit: every length in bounds, nothing left over. */
export function decodeDepositBatch(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (out.length === MAX_BATCH_BLOBS) {
      throw new MailboxError('BAD_REQUEST', `A batch holds 1 to ${MAX_BATCH_BLOBS} messages.`);
    }
    if (bytes.length - at < 4)
      throw new MailboxError('BAD_REQUEST', 'A batch ends in the middle of a length.');
    const length = view.getUint32(at);
    if (length === 0) throw new MailboxError('BAD_REQUEST', 'A batch holds an empty message.');
    if (length > MAX_MAILBOX_BLOB_BYTES) throw new MailboxError('TOO_LARGE');
    if (length > bytes.length - at - 4)
      throw new MailboxError('BAD_REQUEST', 'A batch ends in the middle of a message.');
    out.push(bytes.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (out.length === 0)
    throw new MailboxError('BAD_REQUEST', `A batch holds 1 to ${MAX_BATCH_BLOBS} messages.`);
  return out;
}

/** The longest batch body: MAX_DEPOSIT_BATCH_BYTES of blobs and their lengths. */
export const MAX_DEPOSIT_BATCH_BODY = MAX_DEPOSIT_BATCH_BYTES + 4 * MAX_BATCH_BLOBS;

// ── The fetch answer: blobs in one binary body ─────────────────────────────────────────────────

const ENTRY_HEADER_BYTES = 16 + 8 + 4;

export interface FetchedBlob {
  readonly id: string;
  readonly at: number;
  readonly data: Uint8Array;
}

/** Each blob: its id (16 bytes) ‖ deposit time (8, big-endian ms) ‖ length (4, big-endian) ‖ bytes. */
export function encodeFetchResponse(blobs: readonly FetchedBlob[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const b of blobs) length += ENTRY_HEADER_BYTES + b.data.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of blobs) {
    out.set(decodeId16(b.id), at);
    view.setBigUint64(at + 16, BigInt(b.at));
    view.setUint32(at + 24, b.data.length);
    out.set(b.data, at + ENTRY_HEADER_BYTES);
    at += ENTRY_HEADER_BYTES + b.data.length;
  }
  return out;
}

/**
 * The app's reading of a fetch answer: every entry well formed, each one it asked for at most once,
 * none it did not ask for. Blobs the answer leaves out (over MAX_FETCH_BYTES) come in a later fetch.
 */
export function decodeFetchResponse(bytes: Uint8Array, asked: readonly string[]): FetchedBlob[] {
  const wanted = new Set(asked);
  const out: FetchedBlob[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < ENTRY_HEADER_BYTES) {
      throw new MailboxError('BAD_REQUEST', 'The worker’s fetch answer ends in the middle of an entry.');
    }
    const id = encodeId16(bytes.subarray(at, at + 16));
    const time = Number(view.getBigUint64(at + 16));
    const length = view.getUint32(at + 24);
    if (!wanted.delete(id)) {
      throw new MailboxError('BAD_REQUEST', 'The worker’s fetch answer holds a blob that was not asked for.');
    }
    if (length < 1 || length > MAX_MAILBOX_BLOB_BYTES || length > bytes.length - at - ENTRY_HEADER_BYTES) {
      throw new MailboxError('BAD_REQUEST', 'The worker’s fetch answer holds a blob of an impossible size.');
    }
    if (!Number.isSafeInteger(time)) {
      throw new MailboxError('BAD_REQUEST', 'The worker’s fetch answer holds an impossible time.');
    }
    const start = at + ENTRY_HEADER_BYTES;
    out.push({ id, at: time, data: bytes.slice(start, start + length) });
    at = start + length;
  }
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Unpadded base64url of 16 bytes (22 characters). */
export function encodeId16(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < 16; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeId16(id: string): Uint8Array {
  if (!isBlobId(id)) throw new MailboxError('BAD_REQUEST', 'A blob id is not 22 base64url characters.');
  const out = new Uint8Array(16);
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const ch of id) {
    acc = ((acc << 6) | B64URL.indexOf(ch)) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
