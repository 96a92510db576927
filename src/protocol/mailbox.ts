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
 * The bodies' codecs are in mailbox-json.ts (JSON requests and answers, push subscriptions) and
 * mailbox-binary.ts (batch deposits, fetch answers).
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
/** The longest batch body: MAX_DEPOSIT_BATCH_BYTES of blobs and their 4-byte lengths. */
export const MAX_DEPOSIT_BATCH_BODY = MAX_DEPOSIT_BATCH_BYTES + 4 * MAX_BATCH_BLOBS;
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
