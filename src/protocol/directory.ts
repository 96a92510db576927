/**
 * The username directory's wire contract (issue 15, item 3), shared by the worker's Directory
 * Durable Object (`signaling-worker/src/directory.ts`, routed by directory-routes.ts) and the app.
 * Pure TypeScript: no DOM, no Workers runtime.
 *
 * A person may claim a handle such as `@alice.42`. The app normalizes it (`normalizeHandle`) and
 * sends only `handleHash(handle)`: unpadded base64url of SHA-256("SecMsg/0.1 handle" ‖ handle),
 * 43 characters, the shape of a room id. Under that hash the worker keeps a contact card, opaque
 * bytes it only counts, and the owner hash: SHA-256 of a random 32-byte release secret the claimer
 * keeps.
 *
 *   owner                                        worker: one Directory per handle hash   finder
 *     │── PUT /directory/<hash> {card, owner} ─────▶│ 201 claimed (200: the same owner      │
 *     │                                             │ again: new card, new expiry; 409: not │
 *     │                                             │ this owner's)                         │
 *     │                                             │◀────────── GET /directory/<hash> ─────│
 *     │                                             │──── 200 {card} (404: nobody holds it) ▶│
 *     │── DELETE /directory/<hash> {secret} ───────▶│ 204 released (403: wrong secret)      │
 *
 * What the directory learns: that a handle hash is held, when it is claimed, refreshed, looked up
 * or released, and the address each request comes from (used for the rate limits below, stored
 * only as a hash and only for the window it counts). The worker never parses the card, but the
 * card is not secret: whoever looks the handle up reads it (contact-card.ts: the handle itself,
 * the owner's public keys and the mailbox requests go to), and so can whoever runs the worker.
 * Handles are short, too, so a hash can be matched to its handle by trying names: the hash keeps
 * handles out of URLs and logs, not out of reach of a determined operator.
 * What it cannot do: forge or change a card: the card is signed with its owner's ML-DSA key, and
 * the app checks that signature (and the handle on it) before it shows anything. It can withhold
 * a card, or keep answering one its owner has replaced or released. A card found by username
 * names a key nobody has compared: a contact added this way is unverified until its safety number
 * is compared.
 *
 * Limits, per client address (`CF-Connecting-IP`; without one, all such clients share one count):
 * at most LOOKUP_LIMIT lookups per LOOKUP_WINDOW_MS, held and missing handles alike (against
 * enumeration), and at most CLAIM_LIMIT claims, refreshes and releases per CLAIM_WINDOW_MS. These
 * counts are global, not per handle. A window opens at the client's first request after the
 * previous one ended. A claim expires CLAIM_TTL_MS after its last PUT.
 *
 * Every refusal is an HTTP status with a JSON body `{"error":{"code","message"}}`: a code from
 * `DirectoryErrorCode` and a sentence a person can read; a 429 also has `retry-after` (seconds).
 * Every answer allows any origin (CORS), and OPTIONS answers a preflight.
 */

export const DIRECTORY_PATH_PREFIX = '/directory/';
/** The hash's domain separation, before the normalized handle. */
export const HANDLE_HASH_CONTEXT = 'SecMsg/0.1 handle';
/** Base64url of 32 bytes, unpadded: a handle hash, an owner hash, a release secret. */
export const HANDLE_HASH_LENGTH = 43;

/** The largest card, decoded. */
export const MAX_CARD_BYTES = 12 * 1024;
/** The longest `card`: unpadded base64url of MAX_CARD_BYTES bytes. */
export const MAX_CARD_LENGTH = Math.ceil((MAX_CARD_BYTES * 4) / 3);
/** The longest request body the worker reads (a PUT with the largest card, and room to spare). */
export const MAX_DIRECTORY_BODY_BYTES = MAX_CARD_LENGTH + 1024;

/** A claim is deleted this long after its last PUT (the storage alarm). */
export const CLAIM_TTL_MS = 90 * 24 * 60 * 60_000;
/** Lookups per client address per window, held and missing handles alike. */
export const LOOKUP_LIMIT = 20;
export const LOOKUP_WINDOW_MS = 10 * 60_000;
/** Claims, refreshes and releases (PUT and DELETE) per client address per window. */
export const CLAIM_LIMIT = 10;
export const CLAIM_WINDOW_MS = 60 * 60_000;

// ── Handles ──────────────────────────────────────────────────────────────────────────────────────

/** A normalized handle: 3 to 20 of a-z, 0-9 and _ starting with a letter, a dot, 2 to 4 digits. */
const HANDLE_PATTERN = /^[a-z][a-z0-9_]{2,19}\.[0-9]{2,4}$/;

export function isHandle(value: unknown): value is string {
  return typeof value === 'string' && HANDLE_PATTERN.test(value);
}

/**
 * The handle in `text` as the directory knows it: without surrounding spaces and a leading `@`,
 * ASCII letters in lower case (no other case folding, so no look-alike letter from another script
 * becomes an ASCII one). Throws DirectoryError('BAD_HANDLE') with a sentence when it is no handle.
 */
export function normalizeHandle(text: string): string {
  const bare = text.trim().replace(/^@/, '');
  const handle = bare.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (!isHandle(handle)) throw new DirectoryError('BAD_HANDLE');
  return handle;
}

/** How a handle is shown: `@alice.42`. */
export function displayHandle(handle: string): string {
  return `@${handle}`;
}

/** Unpadded base64url of SHA-256(utf8(HANDLE_HASH_CONTEXT) ‖ utf8(handle)), for a normalized handle. */
export async function handleHash(handle: string): Promise<string> {
  if (!isHandle(handle)) throw new DirectoryError('BAD_HANDLE');
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(HANDLE_HASH_CONTEXT + handle),
  );
  return toBase64Url(new Uint8Array(digest));
}

// Local base64url (RFC 4648 §5, unpadded): src/crypto/bytes.ts has the same, but the worker
// compiles this file under the Workers types, where that module's typed arrays do not fit.
function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url that BASE64URL_PATTERN and the length rule have already checked. */
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Unpadded base64url of exactly 32 bytes: the 43rd character carries 4 bits and two zero bits.
const ID32_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True when `value` has the shape of a handle hash (and of an owner hash or a release secret). */
export function isHandleHash(value: unknown): value is string {
  return typeof value === 'string' && ID32_PATTERN.test(value);
}

export function directoryPath(hash: string): string {
  if (!isHandleHash(hash))
    throw new DirectoryError('BAD_REQUEST', 'A handle hash is 43 base64url characters.');
  return DIRECTORY_PATH_PREFIX + hash;
}

// ── Bodies ───────────────────────────────────────────────────────────────────────────────────────

/** `PUT /directory/<hash>`: the card (base64url) and the owner hash (base64url of 32 bytes). */
export interface ClaimRequest {
  readonly card: string;
  readonly owner: string;
}

/** `DELETE /directory/<hash>`: the release secret whose SHA-256 is the owner hash. */
export interface ReleaseRequest {
  readonly secret: string;
}

/** `GET` → 200. */
export interface LookupResponse {
  readonly card: string;
}

/** `PUT` → 201 (created) or 200 (the same owner again). `expires`: ms since the epoch. */
export interface ClaimResponse {
  readonly created: boolean;
  readonly expires: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

function parseObject(text: string, shape: string, keys: readonly string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DirectoryError('BAD_REQUEST', 'The request body is not JSON.', { cause });
  }
  if (!isPlainObject(value) || !exactKeys(value, keys)) {
    throw new DirectoryError('BAD_REQUEST', `The body must be ${shape}.`);
  }
  return value;
}

/**
 * The card's bytes, checked: canonical unpadded base64url of 1 to MAX_CARD_BYTES bytes (too many
 * is TOO_LARGE, before decoding).
 */
export function decodeCard(card: unknown): Uint8Array<ArrayBuffer> {
  if (typeof card !== 'string') throw new DirectoryError('BAD_REQUEST', 'The card must be a string.');
  if (card.length > MAX_CARD_LENGTH) throw new DirectoryError('TOO_LARGE');
  if (!BASE64URL_PATTERN.test(card) || card.length % 4 === 1) {
    throw new DirectoryError('BAD_REQUEST', 'The card must be unpadded base64url of one byte or more.');
  }
  const bytes = fromBase64Url(card);
  if (bytes.length > MAX_CARD_BYTES) throw new DirectoryError('TOO_LARGE');
  if (toBase64Url(bytes) !== card) {
    throw new DirectoryError('BAD_REQUEST', 'The card must be unpadded base64url with no stray bits.');
  }
  return bytes;
}

/** A card's bytes as a lookup answers them (the inverse of decodeCard). */
export function encodeCard(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > MAX_CARD_BYTES) {
    throw new DirectoryError('BAD_REQUEST', `A card is 1 to ${MAX_CARD_BYTES} bytes.`);
  }
  return toBase64Url(bytes);
}

/** The worker's reading of a PUT body; unknown fields are refused. */
export function decodeClaimRequest(text: string): { card: Uint8Array<ArrayBuffer>; owner: Uint8Array } {
  const value = parseObject(text, '{"card", "owner"}', ['card', 'owner']);
  if (!isHandleHash(value.owner)) {
    throw new DirectoryError('BAD_REQUEST', 'The owner must be 43 base64url characters (32 bytes).');
  }
  return { card: decodeCard(value.card), owner: fromBase64Url(value.owner) };
}

export function encodeClaimRequest(request: ClaimRequest): string {
  decodeCard(request.card);
  if (!isHandleHash(request.owner))
    throw new DirectoryError('BAD_REQUEST', 'The owner must be 43 base64url characters (32 bytes).');
  return JSON.stringify({ card: request.card, owner: request.owner });
}

/** The worker's reading of a DELETE body; unknown fields are refused. */
export function decodeReleaseRequest(text: string): { secret: Uint8Array } {
  const value = parseObject(text, '{"secret"}', ['secret']);
  if (!isHandleHash(value.secret)) {
    throw new DirectoryError('BAD_REQUEST', 'The secret must be 43 base64url characters (32 bytes).');
  }
  return { secret: fromBase64Url(value.secret) };
}

export function encodeReleaseRequest(request: ReleaseRequest): string {
  if (!isHandleHash(request.secret))
    throw new DirectoryError('BAD_REQUEST', 'The secret must be 43 base64url characters (32 bytes).');
  return JSON.stringify({ secret: request.secret });
}

/** The app's reading of a 200 lookup answer. */
export function decodeLookupResponse(text: string): LookupResponse {
  const { card } = parseObject(text, '{"card"}', ['card']);
  if (typeof card !== 'string') throw new DirectoryError('BAD_REQUEST', 'The card must be a string.');
  decodeCard(card);
  return { card };
}

/** The app's reading of a 200/201 claim answer. */
export function decodeClaimResponse(text: string): ClaimResponse {
  const value = parseObject(text, '{"created", "expires"}', ['created', 'expires']);
  const { created, expires } = value;
  if (typeof created !== 'boolean' || typeof expires !== 'number' || !Number.isSafeInteger(expires)) {
    throw new DirectoryError('BAD_REQUEST', 'A claim answer is {"created": boolean, "expires": ms}.');
  }
  return { created, expires };
}

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

export const DirectoryErrorCode = {
  /** The request is not one the directory knows, or a field is missing or malformed. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The app's own check: the text is no handle (the worker never sees handles). */
  BAD_HANDLE: 'BAD_HANDLE',
  /** Nobody holds this handle: never claimed, released, or expired. */
  NOT_FOUND: 'NOT_FOUND',
  /** Another owner holds this handle. */
  TAKEN: 'TAKEN',
  /** The release secret does not match the owner hash. Nothing changed. */
  WRONG_SECRET: 'WRONG_SECRET',
  /** A card over MAX_CARD_BYTES, or a body over MAX_DIRECTORY_BODY_BYTES. */
  TOO_LARGE: 'TOO_LARGE',
  /** Too many lookups, or claims and releases, from this address; `retry-after` says when. */
  RATE_LIMITED: 'RATE_LIMITED',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  INTERNAL: 'INTERNAL',
} as const;
export type DirectoryErrorCode = (typeof DirectoryErrorCode)[keyof typeof DirectoryErrorCode];

const STATUS: Record<DirectoryErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_HANDLE: 400,
  NOT_FOUND: 404,
  TAKEN: 409,
  WRONG_SECRET: 403,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  METHOD_NOT_ALLOWED: 405,
  INTERNAL: 500,
};

const MESSAGES: Record<DirectoryErrorCode, string> = {
  BAD_REQUEST: 'The username request was malformed.',
  BAD_HANDLE:
    'A username is 3 to 20 letters, digits or underscores starting with a letter, then a dot and 2 to 4 digits, such as alice.42.',
  NOT_FOUND: 'Nobody has this username: it was never claimed, or it was released or expired.',
  TAKEN: 'Someone else has this username already; choose another.',
  WRONG_SECRET: 'This username was not released: the release secret is not its owner’s.',
  TOO_LARGE: `The contact card is larger than the directory accepts (${MAX_CARD_BYTES / 1024} KiB).`,
  RATE_LIMITED: 'Too many username requests came from this network; try again later.',
  METHOD_NOT_ALLOWED: 'This username request is not allowed here.',
  INTERNAL: 'The username directory had a problem. Try again in a moment.',
};

export function directoryErrorStatus(code: DirectoryErrorCode): number {
  return STATUS[code];
}

/** The worker's sentence for `code` (a 429 says more: `rateLimitMessage`). */
export function directoryErrorMessage(code: DirectoryErrorCode): string {
  return MESSAGES[code];
}

export function isDirectoryErrorCode(value: unknown): value is DirectoryErrorCode {
  return typeof value === 'string' && Object.hasOwn(MESSAGES, value);
}

function inMinutes(retryAfterS: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterS / 60));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** The 429's sentence: what was counted, and when to try again. */
export function rateLimitMessage(kind: 'lookup' | 'claim', retryAfterS: number): string {
  return kind === 'lookup'
    ? `Too many usernames were looked up from this network; try again in ${inMinutes(retryAfterS)}.`
    : `Too many usernames were claimed or released from this network; try again in ${inMinutes(retryAfterS)}.`;
}

export function encodeDirectoryError(
  code: DirectoryErrorCode,
  message = directoryErrorMessage(code),
): string {
  return JSON.stringify({ error: { code, message } });
}

/** The app's reading of a refusal body: the code and the worker's sentence. */
export function decodeDirectoryError(text: string): { code: DirectoryErrorCode; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DirectoryError('BAD_REQUEST', 'The directory’s answer is not JSON.', { cause });
  }
  const error = isPlainObject(value) && exactKeys(value, ['error']) ? value.error : undefined;
  if (
    !isPlainObject(error) ||
    !exactKeys(error, ['code', 'message']) ||
    !isDirectoryErrorCode(error.code) ||
    typeof error.message !== 'string'
  ) {
    throw new DirectoryError('BAD_REQUEST', 'The directory’s answer is not a refusal it knows.');
  }
  return { code: error.code, message: error.message };
}

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    readonly code: DirectoryErrorCode,
    message: string = directoryErrorMessage(code),
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: DirectoryErrorCode): e is DirectoryError {
    return e instanceof DirectoryError && (code === undefined || e.code === code);
  }
}
