/**
 * The mailbox's binary bodies (src/protocol/mailbox.ts has the contract): several blobs in one
 * batch deposit, and the blobs of a fetch answer.
 */
import {
  MAX_BATCH_BLOBS,
  MAX_DEPOSIT_BATCH_BYTES,
  MAX_MAILBOX_BLOB_BYTES,
  MailboxError,
  isBlobId,
} from './mailbox';

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
