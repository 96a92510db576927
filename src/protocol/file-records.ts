/**
 * The file-transfer application records (DESIGN.md, Application records; issue 14): an offer that
 * names a file and commits to its chunks, the receiver's acknowledgement of the chunks it holds,
 * and a cancel from either side. records.ts keeps the one `encodeRecord` / `decodeRecord` entry
 * point and hands these types here. Binary, big-endian; decode validates every field and rejects
 * trailing bytes. The chunks themselves travel outside the ratchet (file-chunk.ts).
 *
 *   file-offer:     0x0B ‖ id (16) ‖ sentAt (u64 ms) ‖ flags (u8) ‖ size (u64, 1 … 2^40) ‖
 *                   chunkSize (u32, 16 … 192 KiB, a multiple of 1 KiB) ‖ key (32) ‖ root (32) ‖
 *                   media (u8: 0 file, 1 image, 2 video, 3 voice) ‖ name length (u8, ≥ 1) ‖ name ‖
 *                   mime length (u8, 1 … 127) ‖ mime ‖
 *                   [durationMs (u32)]                        flag 0x01, voice and video only
 *                   [width (u16, ≥ 1) ‖ height (u16, ≥ 1)]    flag 0x02, image and video only
 *                   [thumbnail length (u16, ≤ 24 KiB) ‖ thumbnail (a JPEG)]   flag 0x04
 *                   [the whole file (size bytes, size ≤ 192 KiB)]             flag 0x08, to the end
 *   file-chunk-ack: 0x0C ‖ fileId (16) ‖ count (u16, 0 … 512) ‖ ranges (start u32 ‖ end u32 each)
 *   file-cancel:    0x0D ‖ id (16) ‖ sentAt (u64) ‖ fileId (16) ‖ reason (u8: 0 cancelled,
 *                   1 failed, 2 unavailable)
 *
 * An offer's id is the file's id. `key` is the per-file AES-256-GCM key and `root` the Merkle root
 * (src/crypto/merkle.ts) over the chunks' leaf hashes: the ratchet carries both, so a chunk that
 * opens under the key and whose proof leads to the root is the sender's. Other flag bits are
 * refused. Names are what a file system and a download bar can show safely (see
 * {@link fileNameProblem}); senders pass theirs through {@link safeFileName} first.
 *
 * An ack lists the chunks the receiver holds, verified and written, as half-open ranges
 * [start, end) of chunk indexes, sorted and merged (no two overlap or touch). Like `typing` it has
 * no id: it is never stored nor acknowledged, and the next one says it all again. The range helpers
 * (chunk-ranges.ts, re-exported here) keep such lists.
 */
import { decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { ProtocolError } from './errors';
import type { ChunkRange } from './chunk-ranges';
import { MESSAGE_ID_LENGTH } from './record-limits';

export {
  type ChunkRange,
  addRange,
  contains,
  coversAll,
  firstMissing,
  mergeRanges,
  rangesCount,
} from './chunk-ranges';

export const RECORD_FILE_OFFER = 0x0b;
export const RECORD_FILE_CHUNK_ACK = 0x0c;
export const RECORD_FILE_CANCEL = 0x0d;

/** The largest file an offer can announce: 1 TiB. */
export const MAX_FILE_BYTES = 2 ** 40;
export const MIN_CHUNK_BYTES = 16 * 1024;
export const MAX_CHUNK_BYTES = 192 * 1024;
export const MAX_FILE_NAME_BYTES = 255;
export const MAX_MIME_BYTES = 127;
export const MAX_THUMBNAIL_BYTES = 24 * 1024;
/** Files up to this size may travel whole inside the offer. */
export const MAX_INLINE_FILE_BYTES = 192 * 1024;
export const MAX_ACK_RANGES = 512;
export const FILE_KEY_BYTES = 32;
export const FILE_ROOT_BYTES = 32;

export const FILE_MEDIA = ['file', 'image', 'video', 'voice'] as const;
export type FileMedia = (typeof FILE_MEDIA)[number];
export const FILE_CANCEL_REASONS = ['cancelled', 'failed', 'unavailable'] as const;
export type FileCancelReason = (typeof FILE_CANCEL_REASONS)[number];

export interface FileOfferRecord {
  kind: 'file-offer';
  /** The message id, and the file's id in chunks, acks and cancels. */
  id: Uint8Array;
  sentAt: number;
  name: string;
  mime: string;
  size: number;
  chunkSize: number;
  key: Uint8Array;
  root: Uint8Array;
  media: FileMedia;
  durationMs?: number;
  width?: number;
  height?: number;
  thumbnail?: Uint8Array;
  inline?: Uint8Array;
}
export interface FileChunkAckRecord {
  kind: 'file-chunk-ack';
  fileId: Uint8Array;
  ranges: ChunkRange[];
}
export interface FileCancelRecord {
  kind: 'file-cancel';
  id: Uint8Array;
  sentAt: number;
  fileId: Uint8Array;
  reason: FileCancelReason;
}
export type FileRecord = FileOfferRecord | FileChunkAckRecord | FileCancelRecord;

const FLAG_DURATION = 0x01;
const FLAG_DIMENSIONS = 0x02;
const FLAG_THUMBNAIL = 0x04;
const FLAG_INLINE = 0x08;
const HEAD = 1 + MESSAGE_ID_LENGTH + 8; // type ‖ id ‖ sentAt
const OFFER_FIXED = HEAD + 1 + 8 + 4 + FILE_KEY_BYTES + FILE_ROOT_BYTES + 1; // … ‖ media
const MAX_U32 = 0xffffffff;

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_RECORD', message);
}
function argument(message: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', message);
}
function checkBytes(value: unknown, name: string, length: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length)
    throw argument(`${name} must be ${length} bytes.`);
}
const isInt = (n: unknown, min: number, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

/** How many chunks of `chunkSize` bytes a file of `size` bytes has (the last may be shorter). */
export function chunkCount(size: number, chunkSize: number): number {
  if (!isInt(size, 0, MAX_FILE_BYTES)) throw argument('size must be a whole number of bytes up to 1 TiB.');
  if (!isInt(chunkSize, 1, MAX_U32)) throw argument('chunkSize must be a positive whole number of bytes.');
  return Math.ceil(size / chunkSize);
}

// Controls (C0, DEL, C1), lone surrogates, path separators and the bidi controls that can make a
// name read backwards ("exe.pdf" shown for "fdp.exe").
const FORBIDDEN_NAME_CHARS = /[\p{Cc}\p{Cs}/\\\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_NAME_CHARS_ALL = new RegExp(FORBIDDEN_NAME_CHARS.source, 'gu');

/** Why `name` cannot name a file in an offer, as a sentence; undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name === '') return 'A file needs a name.';
  if (utf8(name).length > MAX_FILE_NAME_BYTES)
    return `A file name is at most ${MAX_FILE_NAME_BYTES} bytes long.`;
  if (FORBIDDEN_NAME_CHARS.test(name)) {
    return 'A file name cannot hold control characters, slashes or text direction marks.';
  }
  if (name === '.' || name === '..') return 'A file name cannot be "." or "..".';
  return undefined;
}

/**
 * A name the decoder accepts, for senders: forbidden characters become '_', a name over 255
 * UTF-8 bytes is cut on a code point boundary keeping its extension, and a name with nothing left
 * becomes 'file'.
 */
export function safeFileName(name: string): string {
  let out = String(name).replace(FORBIDDEN_NAME_CHARS_ALL, '_');
  if (utf8(out).length > MAX_FILE_NAME_BYTES) {
    const dot = out.lastIndexOf('.');
    const ext = dot > 0 && out.length - dot <= 16 ? out.slice(dot) : '';
    out = cutToBytes(out.slice(0, out.length - ext.length), MAX_FILE_NAME_BYTES - utf8(ext).length) + ext;
  }
  return fileNameProblem(out) === undefined ? out : 'file';
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes, ending on a code point boundary. */
function cutToBytes(text: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const cp of text) {
    bytes += utf8(cp).length;
    if (bytes > max) break;
    out += cp;
  }
  return out;
}

// RFC 6838 §4.2 restricted-name, type "/" subtype, no parameters.
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

/** Why `mime` cannot be an offer's media type, as a sentence; undefined when it can. */
export function mimeTypeProblem(mime: string): string | undefined {
  if (typeof mime !== 'string' || mime.length < 1 || mime.length > MAX_MIME_BYTES || !MIME.test(mime)) {
    return `A file type must be a media type like "image/jpeg", at most ${MAX_MIME_BYTES} characters.`;
  }
  return undefined;
}

const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Why the offer's optional parts do not fit its media and size; undefined when they do. */
function optionalProblem(o: FileOfferRecord): string | undefined {
  const timed = o.media === 'voice' || o.media === 'video';
  const visual = o.media === 'image' || o.media === 'video';
  if (o.durationMs !== undefined && !(timed && isInt(o.durationMs, 0, MAX_U32))) {
    return 'durationMs must be a whole number of milliseconds, for voice notes and videos only.';
  }
  if ((o.width === undefined) !== (o.height === undefined)) return 'width and height go together.';
  if (o.width !== undefined && !(visual && isInt(o.width, 1, 0xffff) && isInt(o.height, 1, 0xffff))) {
    return 'width and height must be 1 to 65535 pixels, for images and videos only.';
  }
  if (o.thumbnail !== undefined) {
    const t: unknown = o.thumbnail;
    if (!(t instanceof Uint8Array) || t.length > MAX_THUMBNAIL_BYTES || !isJpeg(t)) {
      return `A thumbnail must be a JPEG of at most ${MAX_THUMBNAIL_BYTES / 1024} KiB.`;
    }
  }
  if (o.inline !== undefined) {
    const i: unknown = o.inline;
    if (!(i instanceof Uint8Array) || i.length !== o.size || o.size > MAX_INLINE_FILE_BYTES) {
      return `Only a whole file of at most ${MAX_INLINE_FILE_BYTES / 1024} KiB can travel inside the offer.`;
    }
  }
  return undefined;
}

function sizeProblem(size: number, chunkSize: number): string | undefined {
  if (!isInt(size, 1, MAX_FILE_BYTES)) return 'This file is empty or too large to send (the limit is 1 TiB).';
  if (!isInt(chunkSize, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES) || chunkSize % 1024 !== 0) {
    return 'chunkSize must be a multiple of 1 KiB from 16 to 192 KiB.';
  }
  return undefined;
}

function head(type: number, id: Uint8Array, sentAt: number, rest: number): Uint8Array<ArrayBuffer> {
  checkBytes(id, 'id', MESSAGE_ID_LENGTH);
  if (!isInt(sentAt, 0, Number.MAX_SAFE_INTEGER))
    throw argument('sentAt must be a non-negative integer of milliseconds.');
  const out = new Uint8Array(HEAD + rest);
  out[0] = type;
  out.set(id, 1);
  writeU64(new DataView(out.buffer), 17, sentAt);
  return out;
}
function writeU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / 2 ** 32));
  view.setUint32(at + 4, n >>> 0);
}

function encodeOffer(o: FileOfferRecord): Uint8Array<ArrayBuffer> {
  checkBytes(o.key, 'key', FILE_KEY_BYTES);
  checkBytes(o.root, 'root', FILE_ROOT_BYTES);
  const media = FILE_MEDIA.indexOf(o.media);
  if (media < 0) throw argument('media must be "file", "image", "video" or "voice".');
  const problem =
    fileNameProblem(o.name) ??
    mimeTypeProblem(o.mime) ??
    sizeProblem(o.size, o.chunkSize) ??
    optionalProblem(o);
  if (problem) throw argument(problem);
  const name = utf8(o.name);
  const flags =
    (o.durationMs !== undefined ? FLAG_DURATION : 0) |
    (o.width !== undefined ? FLAG_DIMENSIONS : 0) |
    (o.thumbnail !== undefined ? FLAG_THUMBNAIL : 0) |
    (o.inline !== undefined ? FLAG_INLINE : 0);
  const optional =
    (o.durationMs !== undefined ? 4 : 0) +
    (o.width !== undefined ? 4 : 0) +
    (o.thumbnail !== undefined ? 2 + o.thumbnail.length : 0) +
    (o.inline?.length ?? 0);
  const length = OFFER_FIXED - HEAD + 1 + name.length + 1 + o.mime.length + optional;
  const out = head(RECORD_FILE_OFFER, o.id, o.sentAt, length);
  const view = new DataView(out.buffer);
  out[HEAD] = flags;
  writeU64(view, HEAD + 1, o.size);
  view.setUint32(HEAD + 9, o.chunkSize);
  out.set(o.key, HEAD + 13);
  out.set(o.root, HEAD + 13 + FILE_KEY_BYTES);
  let at = OFFER_FIXED - 1;
  out[at++] = media;
  out[at++] = name.length;
  out.set(name, at);
  at += name.length;
  out[at++] = o.mime.length;
  out.set(utf8(o.mime), at);
  at += o.mime.length;
  if (o.durationMs !== undefined) {
    view.setUint32(at, o.durationMs);
    at += 4;
  }
  if (o.width !== undefined && o.height !== undefined) {
    view.setUint16(at, o.width);
    view.setUint16(at + 2, o.height);
    at += 4;
  }
  if (o.thumbnail) {
    view.setUint16(at, o.thumbnail.length);
    out.set(o.thumbnail, at + 2);
    at += 2 + o.thumbnail.length;
  }
  if (o.inline) out.set(o.inline, at);
  return out;
}

function checkRanges(ranges: unknown): string | undefined {
  if (!Array.isArray(ranges) || ranges.length > MAX_ACK_RANGES) {
    return `An acknowledgement names at most ${MAX_ACK_RANGES} ranges of chunks.`;
  }
  let previousEnd = -1;
  for (const r of ranges as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0], 0, MAX_U32) || !isInt(r[1], 0, MAX_U32)) {
      return 'Each range of chunks must be [start, end) with whole numbers below 2^32.';
    }
    const [start, end] = r as [number, number];
    if (start >= end) return 'A range of chunks must not be empty.';
    if (start <= previousEnd) return 'Ranges of chunks must be sorted and merged.';
    previousEnd = end;
  }
  return undefined;
}

export function encodeFileRecord(record: FileRecord): Uint8Array<ArrayBuffer> {
  switch (record.kind) {
    case 'file-offer':
      return encodeOffer(record);
    case 'file-chunk-ack': {
      checkBytes(record.fileId, 'fileId', MESSAGE_ID_LENGTH);
      const problem = checkRanges(record.ranges);
      if (problem) throw argument(problem);
      const out = new Uint8Array(1 + MESSAGE_ID_LENGTH + 2 + 8 * record.ranges.length);
      const view = new DataView(out.buffer);
      out[0] = RECORD_FILE_CHUNK_ACK;
      out.set(record.fileId, 1);
      view.setUint16(17, record.ranges.length);
      record.ranges.forEach(([start, end], i) => {
        view.setUint32(19 + 8 * i, start);
        view.setUint32(23 + 8 * i, end);
      });
      return out;
    }
    case 'file-cancel': {
      checkBytes(record.fileId, 'fileId', MESSAGE_ID_LENGTH);
      const reason = FILE_CANCEL_REASONS.indexOf(record.reason);
      if (reason < 0) throw argument('reason must be "cancelled", "failed" or "unavailable".');
      const out = head(RECORD_FILE_CANCEL, record.id, record.sentAt, MESSAGE_ID_LENGTH + 1);
      out.set(record.fileId, HEAD);
      out[HEAD + MESSAGE_ID_LENGTH] = reason;
      return out;
    }
    default:
      throw argument('record.kind must be "file-offer", "file-chunk-ack" or "file-cancel".');
  }
}

function readHead(
  bytes: Uint8Array,
  view: DataView,
  min: number,
  what: string,
): { id: Uint8Array; sentAt: number } {
  if (bytes.length < min) throw bad(`${what} arrived cut short.`);
  const hi = view.getUint32(17);
  if (hi > 0x1fffff) throw bad(`${what} arrived with an impossible send time.`);
  return { id: bytes.slice(1, 17), sentAt: hi * 2 ** 32 + view.getUint32(21) };
}

function decodeOffer(bytes: Uint8Array, view: DataView): FileOfferRecord {
  const what = 'A file offer';
  const { id, sentAt } = readHead(bytes, view, OFFER_FIXED + 2, what);
  const flags = bytes[HEAD]!;
  if (flags & ~(FLAG_DURATION | FLAG_DIMENSIONS | FLAG_THUMBNAIL | FLAG_INLINE)) {
    throw bad(`${what} arrived with unknown flags.`);
  }
  const sizeHi = view.getUint32(HEAD + 1);
  if (sizeHi > MAX_FILE_BYTES / 2 ** 32) throw bad(`${what} arrived for a file over 1 TiB.`);
  const size = sizeHi * 2 ** 32 + view.getUint32(HEAD + 5);
  const chunkSize = view.getUint32(HEAD + 9);
  const sizes = sizeProblem(size, chunkSize);
  if (sizes) throw bad(`${what} arrived with an impossible size or chunk size.`);
  const key = bytes.slice(HEAD + 13, HEAD + 13 + FILE_KEY_BYTES);
  const root = bytes.slice(HEAD + 13 + FILE_KEY_BYTES, OFFER_FIXED - 1);
  const media = FILE_MEDIA[bytes[OFFER_FIXED - 1]!];
  if (media === undefined) throw bad(`${what} arrived with an unknown kind of media.`);
  let at = OFFER_FIXED;
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw bad(`${what} arrived cut short.`);
    return bytes.subarray(at, (at += n));
  };
  let name: string;
  try {
    name = decodeUtf8Strict(take(bytes[at++]!));
  } catch (cause) {
    if (ProtocolError.is(cause)) throw cause;
    throw new ProtocolError('BAD_RECORD', `${what} arrived with a name that is not valid UTF-8.`, { cause });
  }
  if (fileNameProblem(name)) throw bad(`${what} arrived with a file name that cannot be used.`);
  if (at >= bytes.length) throw bad(`${what} arrived cut short.`);
  const mime = String.fromCharCode(...take(bytes[at++]!));
  if (mimeTypeProblem(mime)) throw bad(`${what} arrived with an invalid file type.`);
  const offer: FileOfferRecord = {
    kind: 'file-offer',
    id,
    sentAt,
    name,
    mime,
    size,
    chunkSize,
    key,
    root,
    media,
  };
  const u16 = (): number => view.getUint16(take(2).byteOffset - bytes.byteOffset);
  const u32 = (): number => view.getUint32(take(4).byteOffset - bytes.byteOffset);
  if (flags & FLAG_DURATION) offer.durationMs = u32();
  if (flags & FLAG_DIMENSIONS) [offer.width, offer.height] = [u16(), u16()];
  if (flags & FLAG_THUMBNAIL) offer.thumbnail = take(u16()).slice();
  if (flags & FLAG_INLINE) {
    if (size > MAX_INLINE_FILE_BYTES) throw bad(`${what} arrived with a file too large to travel inside it.`);
    offer.inline = take(size).slice();
  }
  if (at !== bytes.length) throw bad(`${what} arrived with the wrong length.`);
  if (optionalProblem(offer)) throw bad(`${what} arrived with details that do not fit the file.`);
  return offer;
}

/** Decodes a record of one of the types above; any other type is refused (BAD_RECORD). */
export function decodeFileRecord(bytes: Uint8Array): FileRecord {
  if (bytes.length < 1) throw bad('An empty record arrived.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case RECORD_FILE_OFFER:
      return decodeOffer(bytes, view);
    case RECORD_FILE_CHUNK_ACK: {
      const what = 'A file acknowledgement';
      if (bytes.length < 19) throw bad(`${what} arrived cut short.`);
      const n = view.getUint16(17);
      if (n > MAX_ACK_RANGES) throw bad(`${what} arrived with too many ranges.`);
      if (bytes.length !== 19 + 8 * n) throw bad(`${what} arrived with the wrong length.`);
      const ranges: ChunkRange[] = [];
      for (let i = 0; i < n; i++) ranges.push([view.getUint32(19 + 8 * i), view.getUint32(23 + 8 * i)]);
      if (checkRanges(ranges)) throw bad(`${what} arrived with ranges out of order.`);
      return { kind: 'file-chunk-ack', fileId: bytes.slice(1, 17), ranges };
    }
    case RECORD_FILE_CANCEL: {
      const what = 'A file cancel';
      const h = readHead(bytes, view, HEAD + MESSAGE_ID_LENGTH + 1, what);
      if (bytes.length !== HEAD + MESSAGE_ID_LENGTH + 1) throw bad(`${what} arrived with the wrong length.`);
      const reason = FILE_CANCEL_REASONS[bytes[HEAD + MESSAGE_ID_LENGTH]!];
      if (reason === undefined) throw bad(`${what} arrived with an unknown reason.`);
      return { kind: 'file-cancel', ...h, fileId: bytes.slice(HEAD, HEAD + MESSAGE_ID_LENGTH), reason };
    }
    default:
      throw bad(`A record of unknown type ${bytes[0]} arrived.`);
  }
}
