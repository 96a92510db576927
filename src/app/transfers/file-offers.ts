/**
 * A file message and its `file-offer` record (protocol/file-records.ts), both ways: the record an
 * outgoing file message travels as (delivery.ts sends it like a text: outbox, acks, the mailbox
 * when the contact is offline), and the message a received offer is stored as.
 *
 * A file small enough to travel inside its offer (`inline`, at most 192 KiB: a mailbox blob holds
 * 256 KiB, with room left for the ratchet's header and the thumbnail) arrives complete; its bytes
 * are checked against the offer's Merkle root before it is stored as done. Anything larger is
 * stored as offered, and its chunks come over a live session once accepted (transfers.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from '../../crypto/bytes';
import { merkleRoot } from '../../crypto/merkle';
import type { FileOfferRecord } from '../../protocol/file-records';
import { fileChunkCount, type StoredFile } from '../../store/file-types';
import type { MessageRoute, StoredMessage } from '../../store/message-types';
import { boundPeerTime } from '../../store/peer-time';

export const INLINE_MISMATCH =
  'This file could not be verified: its bytes did not match the fingerprint it was sent with, so it was not kept.';

/** The record that offers an outgoing file message's file. */
export function fileOfferRecord(id: Uint8Array, sentAt: number, f: StoredFile): FileOfferRecord {
  return {
    kind: 'file-offer',
    id,
    sentAt,
    name: f.name,
    mime: f.mime,
    size: f.size,
    chunkSize: f.chunkSize,
    key: f.key,
    root: f.root,
    media: f.media,
    ...(f.durationMs === undefined ? {} : { durationMs: f.durationMs }),
    ...(f.width === undefined || f.height === undefined ? {} : { width: f.width, height: f.height }),
    ...(f.thumbnail === undefined ? {} : { thumbnail: f.thumbnail }),
    ...(f.inline === undefined ? {} : { inline: f.inline }),
  };
}

/** RFC 9162 leaf hashes of `bytes` cut into `chunkSize` pieces (synchronous: for inline files only). */
export function leafHashesSync(bytes: Uint8Array, chunkSize: number): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) {
    const h = sha256.create();
    h.update(Uint8Array.of(0));
    h.update(bytes.subarray(at, Math.min(bytes.length, at + chunkSize)));
    leaves.push(h.digest());
  }
  return leaves;
}

/** A received offer as stored: an inline file checked against its root and done, else offered. */
export function receivedFileMessage(
  contactId: string,
  r: FileOfferRecord,
  route: MessageRoute,
  receivedAt: number,
): StoredMessage {
  const base = {
    name: r.name,
    mime: r.mime,
    size: r.size,
    chunkSize: r.chunkSize,
    media: r.media,
    ...(r.durationMs === undefined ? {} : { durationMs: r.durationMs }),
    ...(r.width === undefined || r.height === undefined ? {} : { width: r.width, height: r.height }),
    ...(r.thumbnail === undefined ? {} : { thumbnail: r.thumbnail }),
    key: r.key,
    root: r.root,
  };
  let file: StoredFile;
  if (r.inline === undefined) file = { ...base, state: 'offered', have: [] };
  else if (constantTimeEqual(merkleRoot(leafHashesSync(r.inline, r.chunkSize)), r.root)) {
    file = { ...base, inline: r.inline, state: 'done', have: [[0, fileChunkCount(r)]] };
  } else file = { ...base, state: 'failed', have: [], error: INLINE_MISMATCH };
  return {
    contactId,
    messageId: r.id,
    direction: 'in',
    body: '',
    sentAt: boundPeerTime(r.sentAt, receivedAt),
    receivedAt,
    state: 'delivered',
    route,
    file,
  };
}
