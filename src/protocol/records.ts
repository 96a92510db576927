/**
 * Application records (DESIGN.md, Application records), each the plaintext of one conversation
 * ratchet message. Binary, big-endian; decode validates every field and rejects trailing bytes.
 *
 *   text:         0x01 ‖ id (16) ‖ sentAt (u64 ms) ‖ body length (u32) ‖ body (UTF-8)
 *   ack:          0x02 ‖ count (u16, 1 … 1024) ‖ ids (16 each)
 *   key-rotation: 0x03 ‖ the rotation's wire form (key-rotation.ts), signed by the old ML-DSA key
 *   mailbox:      0x04 ‖ mailbox id (32): "deposit for me here" (src/protocol/mailbox.ts), replacing
 *                 the one announced before
 *   0x05 … 0x0A:  reply, reaction, edit, delete, receipt, typing (feature-records.ts)
 *   0x0B … 0x0D:  file-offer, file-chunk-ack, file-cancel (file-records.ts)
 */
import { concatBytes, decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { type FeatureRecord, decodeFeatureRecord, encodeFeatureRecord } from './feature-records';
import { ProtocolError } from './errors';
import {
  type FileRecord,
  RECORD_FILE_CANCEL,
  RECORD_FILE_CHUNK_ACK,
  RECORD_FILE_OFFER,
  decodeFileRecord,
  encodeFileRecord,
} from './file-records';
import { type KeyRotation, decodeKeyRotation, encodeKeyRotation } from './key-rotation';
import { MAX_ACK_IDS, MAX_TEXT_BODY_BYTES, MESSAGE_ID_LENGTH } from './record-limits';

export { MAX_ACK_IDS, MAX_TEXT_BODY_BYTES, MESSAGE_ID_LENGTH } from './record-limits';

const RECORD_TEXT = 0x01;
const RECORD_ACK = 0x02;
const RECORD_KEY_ROTATION = 0x03;
const RECORD_MAILBOX = 0x04;
export const MAILBOX_ID_BYTES = 32;

export interface TextRecord {
  kind: 'text';
  id: Uint8Array;
  sentAt: number;
  body: string;
}
export interface AckRecord {
  kind: 'ack';
  ids: Uint8Array[];
}
export interface KeyRotationRecord {
  kind: 'key-rotation';
  rotation: KeyRotation;
}
/** The sender's inbound mailbox for this conversation, as raw id bytes (base64url on the wire to the worker). */
export interface MailboxRecord {
  kind: 'mailbox';
  id: Uint8Array;
}
export type AppRecord =
  TextRecord | AckRecord | KeyRotationRecord | MailboxRecord | FeatureRecord | FileRecord;
export type {
  FeatureRecord,
  DeleteRecord,
  EditRecord,
  ReactionRecord,
  ReceiptRecord,
  ReplyRecord,
  TypingRecord,
} from './feature-records';
export type { FileRecord, FileOfferRecord, FileChunkAckRecord, FileCancelRecord } from './file-records';

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_RECORD', message);
}

function checkId(id: unknown, name: string): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== MESSAGE_ID_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `${name} must be ${MESSAGE_ID_LENGTH} bytes.`);
  }
}

export function encodeRecord(record: AppRecord): Uint8Array<ArrayBuffer> {
  switch (record.kind) {
    case 'text': {
      checkId(record.id, 'id');
      if (!Number.isSafeInteger(record.sentAt) || record.sentAt < 0) {
        throw new ProtocolError('BAD_ARGUMENT', 'sentAt must be a non-negative integer of milliseconds.');
      }
      const body = utf8(record.body);
      if (body.length > MAX_TEXT_BODY_BYTES) {
        throw new ProtocolError(
          'BAD_ARGUMENT',
          `This message is too long to send (the limit is ${MAX_TEXT_BODY_BYTES / 1024} KiB).`,
        );
      }
      const out = new Uint8Array(1 + MESSAGE_ID_LENGTH + 8 + 4 + body.length);
      const view = new DataView(out.buffer);
      out[0] = RECORD_TEXT;
      out.set(record.id, 1);
      view.setUint32(17, Math.floor(record.sentAt / 2 ** 32));
      view.setUint32(21, record.sentAt >>> 0);
      view.setUint32(25, body.length);
      out.set(body, 29);
      return out;
    }
    case 'ack': {
      const n = record.ids.length;
      if (n < 1 || n > MAX_ACK_IDS)
        throw new ProtocolError('BAD_ARGUMENT', `An ack must name 1 to ${MAX_ACK_IDS} message ids.`);
      const out = new Uint8Array(3 + n * MESSAGE_ID_LENGTH);
      out[0] = RECORD_ACK;
      new DataView(out.buffer).setUint16(1, n);
      record.ids.forEach((id, i) => {
        checkId(id, `ids[${i}]`);
        out.set(id, 3 + i * MESSAGE_ID_LENGTH);
      });
      return out;
    }
    case 'key-rotation':
      return concatBytes(Uint8Array.of(RECORD_KEY_ROTATION), encodeKeyRotation(record.rotation));
    case 'mailbox':
      if (!(record.id instanceof Uint8Array) || record.id.length !== MAILBOX_ID_BYTES) {
        throw new ProtocolError('BAD_ARGUMENT', `id must be ${MAILBOX_ID_BYTES} bytes.`);
      }
      return concatBytes(Uint8Array.of(RECORD_MAILBOX), record.id);
    case 'file-offer':
    case 'file-chunk-ack':
    case 'file-cancel':
      return encodeFileRecord(record);
    default:
      return encodeFeatureRecord(record);
  }
}

export function decodeRecord(bytes: Uint8Array): AppRecord {
  if (bytes.length < 1) throw bad('An empty record arrived.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case RECORD_TEXT: {
      if (bytes.length < 29) throw bad('A text message arrived cut short.');
      const id = bytes.slice(1, 17);
      const hi = view.getUint32(17);
      if (hi > 0x1fffff) throw bad('A text message arrived with an impossible send time.');
      const sentAt = hi * 2 ** 32 + view.getUint32(21);
      const length = view.getUint32(25);
      if (length > MAX_TEXT_BODY_BYTES) throw bad('A text message arrived longer than the limit.');
      if (bytes.length !== 29 + length) throw bad('A text message arrived with a body of the wrong length.');
      let body: string;
      try {
        body = decodeUtf8Strict(bytes.subarray(29));
      } catch (cause) {
        throw new ProtocolError('BAD_RECORD', 'A text message arrived that is not valid UTF-8.', { cause });
      }
      return { kind: 'text', id, sentAt, body };
    }
    case RECORD_ACK: {
      if (bytes.length < 3) throw bad('An acknowledgement arrived cut short.');
      const n = view.getUint16(1);
      if (n < 1 || n > MAX_ACK_IDS) throw bad('An acknowledgement arrived with an invalid count.');
      if (bytes.length !== 3 + n * MESSAGE_ID_LENGTH)
        throw bad('An acknowledgement arrived with the wrong length.');
      const ids: Uint8Array[] = [];
      for (let i = 0; i < n; i++)
        ids.push(bytes.slice(3 + i * MESSAGE_ID_LENGTH, 3 + (i + 1) * MESSAGE_ID_LENGTH));
      return { kind: 'ack', ids };
    }
    case RECORD_KEY_ROTATION:
      return { kind: 'key-rotation', rotation: decodeKeyRotation(bytes.subarray(1)) };
    case RECORD_MAILBOX:
      if (bytes.length !== 1 + MAILBOX_ID_BYTES)
        throw bad('A mailbox announcement arrived with the wrong length.');
      return { kind: 'mailbox', id: bytes.slice(1) };
    case RECORD_FILE_OFFER:
    case RECORD_FILE_CHUNK_ACK:
    case RECORD_FILE_CANCEL:
      return decodeFileRecord(bytes);
    default:
      return decodeFeatureRecord(bytes); // which refuses a type it does not know either
  }
}
