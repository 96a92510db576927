/**
 * Files, photos, videos and voice notes between two contacts (issue 14; DESIGN.md, Application
 * records): one use case that composes the offer (file-offers.ts, through delivery's outbox and,
 * when the contact is offline, the mailbox), the sending pump (chunk-pump.ts) and the receiving
 * intake (chunk-intake.ts), with the file's bytes in the device's file storage (file-storage.ts)
 * and its state in the message (store/file-types.ts).
 *
 *   sender: copy the file into storage, hashing each 64 KiB chunk → Merkle root; random file key
 *           → message with the file, `file-offer` record (ratchet) ─────────────► receiver: stored
 *   receiver: accepted (by the person; small media at once) ◄── `file-chunk-ack` (ranges held)
 *   sender ── FILE_CHUNK frames (chunks not in the ranges) ──► receiver: verify, write, flush
 *   receiver ── `file-chunk-ack` every 4 MiB ──► sender: progress, resend refused chunks; all held: done
 *   a new session (reconnect, route change, reload): the receiver acks what it holds, and the
 *   sender continues from there. `file-cancel` from either side stops both and removes the bytes.
 *
 * Only sessions that speak for the contact's pinned key carry chunks or acks (live-sessions.ts
 * checks). Acks and cancels go over a live session only; a side that hears about a transfer it has
 * cancelled answers with the cancel again, so both agree the next time they talk.
 */
import { buildMerkleTree } from '../../crypto/merkle';
import { randomBytes } from '../../crypto/random';
import { decodeChunkFrame } from '../../protocol/file-chunk';
import type { FileCancelRecord, FileChunkAckRecord } from '../../protocol/file-records';
import { FileStorageError, type FileStorage } from '../../store/file-storage';
import {
  type FileMedia,
  type StoredFile,
  fileChunkCount,
  fileStorageName,
  isActiveTransfer,
} from '../../store/file-types';
import type { StoredMessage } from '../../store/message-types';
import type { Stores } from '../../store/stores';
import type { Delivery } from '../delivery';
import type { Live } from '../live-sessions';
import { leafHashesSync } from './file-offers';
import { createReceiving } from './receiving';
import { createSending } from './sending';
import { storeForSending, sweepFiles } from './stored-files';
import { cancelRecord, createTransferContext, keyOf } from './transfer-context';

export const CHUNK_BYTES = 64 * 1024;
/** Files up to this size travel inside their offer (and so through the mailbox too). */
export const INLINE_BYTES = 192 * 1024;
/** Received files up to this size are accepted without asking. */
export const AUTO_ACCEPT_BYTES = 16 * 1024 * 1024;

export interface FileToSend {
  name: string;
  mime: string;
  media: FileMedia;
  durationMs?: number;
  width?: number;
  height?: number;
  thumbnail?: Uint8Array;
}

export interface TransfersDeps {
  readonly stores: Stores;
  readonly storage: () => Promise<FileStorage>;
  readonly delivery: Delivery;
  /** The contact's live session, when it is open and speaks for the pinned key. */
  readonly live: (contactId: string) => Live | undefined;
  readonly serial: <T>(contactId: string, task: () => Promise<T>) => Promise<T>;
  /** A file message's transfer moved (progress, state). */
  readonly fileChanged: (contactId: string, messageId: Uint8Array, file: StoredFile) => void;
  /** A refused chunk, for the contact's security log. */
  readonly refused: (contactId: string, detail: string) => void;
  readonly report: (e: unknown) => void;
}

export interface Transfers {
  /** Stores `blob` (already stripped of location data by the caller) and offers it to the contact. */
  send(contactId: string, blob: Blob, meta: FileToSend): Promise<StoredMessage>;
  accept(contactId: string, messageId: Uint8Array): Promise<void>;
  cancel(contactId: string, messageId: Uint8Array): Promise<void>;
  /** The file message is being deleted: its transfer stops on both sides and its bytes go. */
  forget(contactId: string, messageId: Uint8Array): Promise<void>;
  /** The file's bytes (disk-backed where stored), once it is all here; undefined before. */
  blob(contactId: string, messageId: Uint8Array): Promise<Blob | undefined>;
  /** A received offer was stored (the person decides, or a small file is accepted at once). */
  offered(contactId: string, messageId: Uint8Array): Promise<void>;
  /** A `file-chunk-ack` or `file-cancel` of a trusted session. */
  record(contactId: string, record: FileChunkAckRecord | FileCancelRecord): Promise<void>;
  /** A FILE_CHUNK frame of a trusted session. */
  chunk(contactId: string, bytes: Uint8Array): void;
  /**
   * A trusted session is ready: each receiving transfer says what it holds, so the sender
   * continues; each sending one goes on from the last ack.
   */
  resume(contactId: string): Promise<void>;
}

export function createTransfers(deps: TransfersDeps): Transfers {
  const { stores, serial } = deps;
  const ctx = createTransferContext(deps);
  const { update, sendRecord } = ctx;
  const sending = createSending(ctx);
  const receiving = createReceiving(ctx);
  const incomingFor = async (contactId: string, fileId: Uint8Array) =>
    receiving.incomingFor(contactId, fileId);

  /** Removes what this device keeps of a transfer that ended without the file. */
  const discard = async (contactId: string, fileId: Uint8Array): Promise<void> => {
    await sending.stop(contactId, fileId);
    await receiving.stop(contactId, fileId);
    const storage = await deps.storage();
    for (const name of [
      fileStorageName('in', contactId, fileId),
      fileStorageName('out', contactId, fileId),
      `${fileStorageName('out', contactId, fileId)}-h`,
    ]) {
      await storage.remove(name).catch(() => undefined);
    }
  };

  const theyCancelled = async (contactId: string, r: FileCancelRecord): Promise<void> => {
    const file = await update(contactId, r.fileId, (f) =>
      isActiveTransfer(f.state)
        ? r.reason === 'cancelled'
          ? { ...f, state: 'cancelled', cancelledBy: 'them' }
          : {
              ...f,
              state: 'failed',
              error:
                r.reason === 'failed'
                  ? 'The other device could not verify this file against its fingerprint, so the transfer was stopped.'
                  : 'The other device no longer has this file, so it cannot be sent.',
            }
        : undefined,
    );
    if (file && !isActiveTransfer(file.state) && file.state !== 'done') await discard(contactId, r.fileId);
  };

  /** Stored copies of files being prepared (no message names them yet). */
  const preparing = new Set<string>();
  const sweep = async (): Promise<void> =>
    sweepFiles(await deps.storage(), stores, preparing, async (contactId, fileId) => {
      await update(contactId, fileId, (f) => ({ ...f, state: 'cancelled', cancelledBy: 'me' }));
    });
  // A browser that cannot keep files has nothing to sweep: no need to say so at every start (sending
  // or accepting a file says it, when it matters).
  void sweep().catch((e: unknown) => {
    if (!FileStorageError.is(e, 'UNAVAILABLE')) deps.report(e);
  });

  const chunkQueue = new Map<string, Promise<void>>();
  const recordQueue = new Map<string, Promise<void>>();
  /** When a stale chunk of each file was last answered. */
  const answered = new Map<string, number>();

  return {
    async send(contactId, blob, meta) {
      const fileId = randomBytes(16);
      const size = blob.size;
      if (size < 1) throw new Error('This file is empty: there is nothing to send.');
      const base = {
        name: meta.name,
        mime: meta.mime,
        size,
        chunkSize: CHUNK_BYTES,
        media: meta.media,
        ...(meta.durationMs === undefined ? {} : { durationMs: meta.durationMs }),
        ...(meta.width === undefined || meta.height === undefined
          ? {}
          : { width: meta.width, height: meta.height }),
        ...(meta.thumbnail === undefined ? {} : { thumbnail: meta.thumbnail }),
        key: randomBytes(32),
      };
      let file: StoredFile;
      if (size <= INLINE_BYTES) {
        const bytes = new Uint8Array(await blob.arrayBuffer());
        const tree = buildMerkleTree(leafHashesSync(bytes, CHUNK_BYTES));
        file = { ...base, root: tree.root, inline: bytes, state: 'done', have: [[0, fileChunkCount(base)]] };
      } else {
        // A copy of its own, hashed as it goes, so the transfer survives a reload of this page.
        const name = fileStorageName('out', contactId, fileId);
        preparing.add(name);
        let root: Uint8Array;
        try {
          root = await storeForSending(await deps.storage(), name, blob, CHUNK_BYTES);
        } catch (e) {
          preparing.delete(name);
          throw e;
        }
        file = { ...base, root, state: 'offered', have: [] };
      }
      const outName = fileStorageName('out', contactId, fileId);
      try {
        return await serial(contactId, async () =>
          deps.delivery.send(contactId, '', deps.live(contactId), undefined, { id: fileId, file }),
        );
      } finally {
        preparing.delete(outName);
      }
    },

    async accept(contactId, messageId) {
      const file = await update(contactId, messageId, (f) =>
        f.state === 'offered' && !f.inline ? { ...f, state: 'receiving' } : undefined,
      );
      if (file?.state !== 'receiving') return;
      const inc = await incomingFor(contactId, messageId);
      await inc?.intake.announce();
    },

    async cancel(contactId, messageId) {
      const file = await update(contactId, messageId, (f) =>
        isActiveTransfer(f.state) ? { ...f, state: 'cancelled', cancelledBy: 'me' } : undefined,
      );
      if (file?.state !== 'cancelled') return;
      await discard(contactId, messageId);
      await sendRecord(contactId, cancelRecord(messageId, 'cancelled')).catch(() => undefined);
    },

    async forget(contactId, messageId) {
      const file = (await stores.messages.get(contactId, messageId))?.file;
      if (file && isActiveTransfer(file.state)) {
        await this.cancel(contactId, messageId);
        return;
      }
      await discard(contactId, messageId);
    },

    async blob(contactId, messageId) {
      const message = await stores.messages.get(contactId, messageId);
      const file = message?.file;
      if (!message || !file) return undefined;
      if (file.inline) return new Blob([file.inline as Uint8Array<ArrayBuffer>], { type: file.mime });
      if (message.direction === 'in' && file.state !== 'done') return undefined;
      const stored = await (
        await deps.storage()
      ).read(fileStorageName(message.direction, contactId, messageId));
      // A Blob made of the stored one refers to it on disk; nothing is read into memory.
      return stored && new Blob([stored], { type: file.mime });
    },

    async offered(contactId, messageId) {
      const file = (await stores.messages.get(contactId, messageId))?.file;
      if (!file || file.state !== 'offered' || file.size > AUTO_ACCEPT_BYTES) return;
      await this.accept(contactId, messageId);
    },

    async record(contactId, record) {
      // One at a time per contact, in arrival order (acks only grow, but a pump should not see an
      // older one after a newer).
      const run = (recordQueue.get(contactId) ?? Promise.resolve()).then(async () =>
        record.kind === 'file-chunk-ack'
          ? sending.acked(contactId, record)
          : theyCancelled(contactId, record),
      );
      const settled = run.catch(() => undefined);
      recordQueue.set(contactId, settled);
      void settled.then(() => {
        if (recordQueue.get(contactId) === settled) recordQueue.delete(contactId);
      });
      return run;
    },

    chunk(contactId, bytes) {
      let frame;
      try {
        frame = decodeChunkFrame(bytes);
      } catch {
        return; // the session checked its structure; nothing else can be wrong here
      }
      const key = keyOf(contactId, frame.fileId);
      // In order per file: the intake serialises its own work, the lookup must not reorder.
      const previous = chunkQueue.get(key) ?? Promise.resolve();
      const run = previous.then(async () => {
        const inc = await incomingFor(contactId, frame.fileId);
        if (inc) {
          // Handed over in order and not awaited: the intake checks the chunks that have arrived
          // at once (their decryption and hashing overlap) and takes them in the order given.
          inc.intake.receive(frame).catch(deps.report);
          return;
        }
        // A chunk of a file that is not moving here: the sender missed how it ended (its last ack
        // or cancel went on a session that closed). Say it again, once a second at most.
        const message = await stores.messages.get(contactId, frame.fileId);
        const file = message?.direction === 'in' ? message.file : undefined;
        if (file?.state === 'offered' || file?.state === 'receiving') return;
        const now = Date.now();
        if (now - (answered.get(key) ?? 0) < 1_000) return;
        answered.set(key, now);
        if (file?.state === 'done') {
          await sendRecord(contactId, {
            kind: 'file-chunk-ack',
            fileId: frame.fileId,
            ranges: [[0, fileChunkCount(file)]],
          });
        } else {
          const reason = file?.state === 'failed' ? 'failed' : 'cancelled';
          await sendRecord(contactId, cancelRecord(frame.fileId, reason));
        }
      });
      const settled = run.catch(deps.report);
      chunkQueue.set(key, settled);
      void settled.then(() => {
        if (chunkQueue.get(key) === settled) chunkQueue.delete(key);
      });
    },

    async resume(contactId) {
      for (const m of await stores.messages.activeTransfers(contactId)) {
        if (m.direction === 'out') {
          // Sending already (the receiver accepted): go on from what it last acknowledged; its
          // next ack (it sends one on every new session) corrects the rest.
          const file = m.file;
          const live = deps.live(contactId);
          if (file?.state !== 'sending' || !live) continue;
          await sending.continue(contactId, m.messageId, file.have, live);
          continue;
        }
        if (m.file?.state === 'offered') await this.offered(contactId, m.messageId); // arrived by mailbox
        if (m.file?.state !== 'receiving') continue;
        const inc = await incomingFor(contactId, m.messageId);
        await inc?.intake.announce();
      }
    },
  };
}
