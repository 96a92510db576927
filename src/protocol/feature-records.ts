/**
 * The conversation-feature application records (DESIGN.md, Application records): replies,
 * reactions, edits, deletes, read receipts and the typing indicator. records.ts keeps the one
 * `encodeRecord` / `decodeRecord` entry point and hands these types here. Binary, big-endian;
 * decode validates every field and rejects trailing bytes.
 *
 *   reply:    0x05 ‖ id (16) ‖ sentAt (u64 ms) ‖ quoted id (16) ‖ body length (u32) ‖ body (UTF-8)
 *   reaction: 0x06 ‖ id (16) ‖ sentAt (u64) ‖ target id (16) ‖ emoji length (u8, 0 … 32) ‖ emoji
 *             (UTF-8, one grapheme; empty = "I take my reaction back")
 *   edit:     0x07 ‖ id (16) ‖ sentAt (u64) ‖ target id (16) ‖ body length (u32, ≥ 1) ‖ body
 *   delete:   0x08 ‖ id (16) ‖ sentAt (u64) ‖ target id (16)            (delete for everyone)
 *   receipt:  0x09 ‖ id (16) ‖ sentAt (u64) ‖ count (u16, 1 … 1024) ‖ ids read (16 each)
 *   typing:   0x0A ‖ state (u8: 0 stopped, 1 started)
 *
 * A reply is a record type of its own rather than an optional field of `text`: the text record has
 * no flags or room for an optional field without loosening "trailing bytes are refused", and a
 * new type keeps both decoders exact. Only the quoted message's id travels, never its text: the
 * receiver shows the quote from its own copy (or says it does not have that message).
 *
 * Every record but `typing` has its own random id (acknowledged, kept in the sender's outbox until
 * then, dropped as a duplicate by the receiver) and the sender's time. `typing` is never stored,
 * never acknowledged and goes only over a live session.
 */
import { decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { ProtocolError } from './errors';
import { MAX_ACK_IDS, MAX_TEXT_BODY_BYTES, MESSAGE_ID_LENGTH } from './record-limits';

export const RECORD_REPLY = 0x05;
export const RECORD_REACTION = 0x06;
export const RECORD_EDIT = 0x07;
export const RECORD_DELETE = 0x08;
export const RECORD_RECEIPT = 0x09;
export const RECORD_TYPING = 0x0a;

/** The longest reaction, in UTF-8 bytes (a family emoji with skin tones fits). */
export const MAX_REACTION_BYTES = 32;
/** At most this many message ids in one read receipt (as in an ack). */
export const MAX_RECEIPT_IDS = MAX_ACK_IDS;

export interface ReplyRecord {
  kind: 'reply';
  id: Uint8Array;
  sentAt: number;
  /** The id of the message quoted (either side's). */
  replyTo: Uint8Array;
  body: string;
}
export interface ReactionRecord {
  kind: 'reaction';
  id: Uint8Array;
  sentAt: number;
  target: Uint8Array;
  /** One emoji; '' takes the sender's reaction back. */
  emoji: string;
}
export interface EditRecord {
  kind: 'edit';
  id: Uint8Array;
  sentAt: number;
  target: Uint8Array;
  body: string;
}
export interface DeleteRecord {
  kind: 'delete';
  id: Uint8Array;
  sentAt: number;
  target: Uint8Array;
}
export interface ReceiptRecord {
  kind: 'receipt';
  id: Uint8Array;
  sentAt: number;
  /** Messages of the receiver's that the sender has read. */
  ids: Uint8Array[];
}
export interface TypingRecord {
  kind: 'typing';
  typing: boolean;
}
export type FeatureRecord =
  ReplyRecord | ReactionRecord | EditRecord | DeleteRecord | ReceiptRecord | TypingRecord;

const HEAD = 1 + MESSAGE_ID_LENGTH + 8; // type ‖ id ‖ sentAt
const TARGETED = HEAD + MESSAGE_ID_LENGTH; // … ‖ target id

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_RECORD', message);
}

function argument(message: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', message);
}

function checkId(id: unknown, name: string): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== MESSAGE_ID_LENGTH) {
    throw argument(`${name} must be ${MESSAGE_ID_LENGTH} bytes.`);
  }
}

const segmenter =
  typeof Intl !== 'undefined' && 'Segmenter' in Intl
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

/**
 * Why `emoji` cannot be a reaction, as a sentence; undefined when it can. '' (no reaction) can.
 * A reaction is at most MAX_REACTION_BYTES of UTF-8, one grapheme (where the platform can count
 * them), with no control character and no space.
 */
export function reactionProblem(emoji: string): string | undefined {
  if (emoji === '') return undefined;
  if (utf8(emoji).length > MAX_REACTION_BYTES) return 'A reaction is one emoji.';
  if (/[\p{Cc}\p{Z}\p{Cs}]/u.test(emoji))
    return 'A reaction is one emoji, with no spaces or control characters.';
  if (segmenter && [...segmenter.segment(emoji)].length !== 1) return 'A reaction is one emoji.';
  return undefined;
}

function checkedBody(body: string, min: number): Uint8Array {
  const bytes = utf8(body);
  if (bytes.length > MAX_TEXT_BODY_BYTES) {
    throw argument(`This message is too long to send (the limit is ${MAX_TEXT_BODY_BYTES / 1024} KiB).`);
  }
  if (bytes.length < min) throw argument('An edit needs a new text.');
  return bytes;
}

/** type ‖ id ‖ sentAt ‖ [target] ‖ rest, with the argument checks every record shares. */
function layout(
  type: number,
  record: { id: Uint8Array; sentAt: number },
  target: Uint8Array | undefined,
  rest: Uint8Array,
): Uint8Array<ArrayBuffer> {
  checkId(record.id, 'id');
  if (!Number.isSafeInteger(record.sentAt) || record.sentAt < 0) {
    throw argument('sentAt must be a non-negative integer of milliseconds.');
  }
  if (target !== undefined) checkId(target, 'target');
  const at = target === undefined ? HEAD : TARGETED;
  const out = new Uint8Array(at + rest.length);
  const view = new DataView(out.buffer);
  out[0] = type;
  out.set(record.id, 1);
  view.setUint32(17, Math.floor(record.sentAt / 2 ** 32));
  view.setUint32(21, record.sentAt >>> 0);
  if (target !== undefined) out.set(target, HEAD);
  out.set(rest, at);
  return out;
}

function lengthPrefixed(body: Uint8Array, bytes: 1 | 4): Uint8Array {
  const out = new Uint8Array(bytes + body.length);
  if (bytes === 1) out[0] = body.length;
  else new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, bytes);
  return out;
}

export function encodeFeatureRecord(record: FeatureRecord): Uint8Array<ArrayBuffer> {
  switch (record.kind) {
    case 'reply':
      checkId(record.replyTo, 'replyTo');
      return layout(RECORD_REPLY, record, record.replyTo, lengthPrefixed(checkedBody(record.body, 0), 4));
    case 'reaction': {
      if (typeof record.emoji !== 'string') throw argument('emoji must be a string.');
      const problem = reactionProblem(record.emoji);
      if (problem) throw argument(problem);
      return layout(RECORD_REACTION, record, record.target, lengthPrefixed(utf8(record.emoji), 1));
    }
    case 'edit':
      return layout(RECORD_EDIT, record, record.target, lengthPrefixed(checkedBody(record.body, 1), 4));
    case 'delete':
      return layout(RECORD_DELETE, record, record.target, new Uint8Array(0));
    case 'receipt': {
      const n = record.ids.length;
      if (n < 1 || n > MAX_RECEIPT_IDS) {
        throw argument(`A read receipt must name 1 to ${MAX_RECEIPT_IDS} message ids.`);
      }
      const rest = new Uint8Array(2 + n * MESSAGE_ID_LENGTH);
      new DataView(rest.buffer).setUint16(0, n);
      record.ids.forEach((id, i) => {
        checkId(id, `ids[${i}]`);
        rest.set(id, 2 + i * MESSAGE_ID_LENGTH);
      });
      return layout(RECORD_RECEIPT, record, undefined, rest);
    }
    case 'typing':
      if (typeof record.typing !== 'boolean') throw argument('typing must be true or false.');
      return Uint8Array.of(RECORD_TYPING, record.typing ? 1 : 0);
    default:
      throw argument(
        'record.kind must be "text", "ack", "key-rotation", "mailbox", "reply", "reaction", "edit", "delete", "receipt", "typing", "file-offer", "file-chunk-ack" or "file-cancel".',
      );
  }
}

function text(bytes: Uint8Array, what: string): string {
  try {
    return decodeUtf8Strict(bytes);
  } catch (cause) {
    throw new ProtocolError('BAD_RECORD', `${what} arrived that is not valid UTF-8.`, { cause });
  }
}

/** id and sentAt of a record at least `min` bytes long. */
function head(
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

/** A u32-length-prefixed body at TARGETED, ending the record. */
function body(bytes: Uint8Array, view: DataView, min: number, what: string): string {
  const length = view.getUint32(TARGETED);
  if (length > MAX_TEXT_BODY_BYTES) throw bad(`${what} arrived longer than the limit.`);
  if (length < min) throw bad(`${what} arrived with no text.`);
  if (bytes.length !== TARGETED + 4 + length) throw bad(`${what} arrived with a body of the wrong length.`);
  return text(bytes.subarray(TARGETED + 4), what);
}

/** Decodes a record of one of the types above; any other type is refused (BAD_RECORD). */
export function decodeFeatureRecord(bytes: Uint8Array): FeatureRecord {
  if (bytes.length < 1) throw bad('An empty record arrived.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const target = (): Uint8Array => bytes.slice(HEAD, TARGETED);
  switch (bytes[0]) {
    case RECORD_REPLY: {
      const what = 'A reply';
      const h = head(bytes, view, TARGETED + 4, what);
      return { kind: 'reply', ...h, replyTo: target(), body: body(bytes, view, 0, what) };
    }
    case RECORD_REACTION: {
      const what = 'A reaction';
      const h = head(bytes, view, TARGETED + 1, what);
      const length = bytes[TARGETED]!;
      if (length > MAX_REACTION_BYTES) throw bad(`${what} arrived longer than the limit.`);
      if (bytes.length !== TARGETED + 1 + length) throw bad(`${what} arrived with the wrong length.`);
      const emoji = text(bytes.subarray(TARGETED + 1), what);
      if (reactionProblem(emoji)) throw bad(`${what} arrived that is not one emoji.`);
      return { kind: 'reaction', ...h, target: target(), emoji };
    }
    case RECORD_EDIT: {
      const what = 'An edit';
      const h = head(bytes, view, TARGETED + 4, what);
      return { kind: 'edit', ...h, target: target(), body: body(bytes, view, 1, what) };
    }
    case RECORD_DELETE: {
      const what = 'A delete';
      const h = head(bytes, view, TARGETED, what);
      if (bytes.length !== TARGETED) throw bad(`${what} arrived with the wrong length.`);
      return { kind: 'delete', ...h, target: target() };
    }
    case RECORD_RECEIPT: {
      const what = 'A read receipt';
      const h = head(bytes, view, HEAD + 2, what);
      const n = view.getUint16(HEAD);
      if (n < 1 || n > MAX_RECEIPT_IDS) throw bad(`${what} arrived with an invalid count.`);
      if (bytes.length !== HEAD + 2 + n * MESSAGE_ID_LENGTH)
        throw bad(`${what} arrived with the wrong length.`);
      const ids: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const at = HEAD + 2 + i * MESSAGE_ID_LENGTH;
        ids.push(bytes.slice(at, at + MESSAGE_ID_LENGTH));
      }
      return { kind: 'receipt', ...h, ids };
    }
    case RECORD_TYPING:
      if (bytes.length !== 2) throw bad('A typing indicator arrived with the wrong length.');
      if (bytes[1] !== 0 && bytes[1] !== 1) throw bad('A typing indicator arrived with an unknown state.');
      return { kind: 'typing', typing: bytes[1] === 1 };
    default:
      throw bad(`A record of unknown type ${bytes[0]} arrived.`);
  }
}
