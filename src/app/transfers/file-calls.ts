/**
 * The messenger's file calls, as it spreads them into its interface: send a file, photo, video or
 * voice note (location data stripped from photos first, a thumbnail made for images and videos),
 * accept, cancel, read one back, and how much storage the device has. Loaded on first use.
 *
 * Before sending, a photo loses its location: the GPS tags go from the file's own metadata
 * (media/exif.ts, pixels untouched) when the format allows; otherwise (HEIC and other formats the
 * app cannot edit) the photo is re-encoded as a JPEG, which keeps no metadata at all.
 */
import type { Contact } from '../../store/contact-types';
import type { StoredMessage } from '../../store/message-types';
import type { Stores } from '../../store/stores';
import type { FeatureCalls } from '../feature-calls';
import { AppError } from '../errors';
import type { OfflineDelivery } from '../offline-delivery';
import type { FileToSend, Transfers } from './transfers';

export interface FileCalls {
  /**
   * Stores the file and offers it to the contact: at once when connected; a small one (≤ 192 KiB)
   * through the mailbox otherwise; a larger one waits until both are online.
   */
  sendFile(
    contactId: string,
    file: Blob,
    options?: { name?: string; voice?: { durationMs: number } },
  ): Promise<StoredMessage>;
  acceptFile(contactId: string, messageId: Uint8Array): Promise<void>;
  /** Stops the transfer on both sides and removes its partial bytes. */
  cancelFile(contactId: string, messageId: Uint8Array): Promise<void>;
  /** The whole file (disk-backed where stored), once it is all on this device. */
  fileBlob(contactId: string, messageId: Uint8Array): Promise<Blob | undefined>;
  /** The browser's storage estimate, for "free space" before accepting a large file. */
  storageEstimate(): Promise<{ usage: number; quota: number } | undefined>;
  /** Deletes every file this device keeps ("Delete everything"). */
  forgetFiles(): Promise<void>;
}

export interface FileCallDeps {
  readonly files: () => Promise<Transfers>;
  readonly mustGet: (contactId: string) => Promise<Contact>;
  readonly offline: () => Promise<OfflineDelivery | undefined>;
  readonly mailboxTrouble: (e: unknown) => void;
  readonly storageEstimate: () => Promise<{ usage: number; quota: number } | undefined>;
  readonly forgetFiles: () => Promise<void>;
}

/** Images and videos the browser can show: their kind; anything else is a file. */
function mediaOf(mime: string): FileToSend['media'] {
  if (/^image\/(jpeg|png|webp|gif|avif|heic|heif)$/i.test(mime)) return 'image';
  if (/^video\//i.test(mime)) return 'video';
  return 'file';
}

/** The photo without its location (see the header); undefined when it cannot be made safe. */
async function withoutLocation(file: Blob, mime: string): Promise<Blob | undefined> {
  const { canStripLocation, stripLocation } = await import('../media/exif');
  if (canStripLocation(mime)) {
    try {
      return new Blob(
        [stripLocation(new Uint8Array(await file.arrayBuffer()), mime) as Uint8Array<ArrayBuffer>],
        {
          type: mime,
        },
      );
    } catch {
      // a file the parser cannot read: re-encode it below
    }
  }
  const { compressImage } = await import('../media/thumbnail');
  return compressImage(file, 8 * 1024 * 1024);
}

export function fileCalls(deps: FileCallDeps): FileCalls {
  return {
    async sendFile(contactId, input, options = {}) {
      const contact = await deps.mustGet(contactId);
      if (contact.pendingKey) {
        throw new AppError(
          'KEY_CHANGE_PENDING',
          'This contact’s identity key changed. Accept or refuse the new key before sending.',
        );
      }
      if (input.size === 0)
        throw new AppError('EMPTY_MESSAGE', 'This file is empty: there is nothing to send.');
      // The type without its parameters (a recorder's `audio/webm;codecs=opus`), and only one the
      // offer can carry: anything else travels as plain bytes.
      const { mimeTypeProblem, safeFileName } = await import('../../protocol/file-records');
      const bare = (input.type.split(';')[0] ?? '').trim();
      const mime = bare && mimeTypeProblem(bare) === undefined ? bare : 'application/octet-stream';
      const givenName = options.name ?? (input instanceof File ? input.name : 'file');
      const name = safeFileName(givenName);
      const media = options.voice ? 'voice' : mediaOf(mime);
      let blob: Blob = input;
      let sentMime = mime;
      if (media === 'image') {
        const clean = await withoutLocation(input, mime);
        if (!clean) {
          throw new AppError(
            'UNSUPPORTED_FILE',
            'This photo could not be read to remove its location, so it was not sent. Send it as a file from another app, or take a screenshot of it.',
          );
        }
        blob = clean;
        sentMime = clean.type || mime;
      }
      let thumb: { bytes: Uint8Array; width: number; height: number } | undefined;
      if (media === 'image' || media === 'video') {
        const { makeThumbnail } = await import('../media/thumbnail');
        thumb = await makeThumbnail(blob, media).catch(() => undefined);
      }
      const meta: FileToSend = {
        name: sentMime === mime ? name : name.replace(/\.[^.]*$/, '') + '.jpg',
        mime: sentMime,
        media,
        ...(options.voice ? { durationMs: Math.round(options.voice.durationMs) } : {}),
        ...(thumb ? { thumbnail: thumb.bytes, width: thumb.width, height: thumb.height } : {}),
      };
      const stored = await (await deps.files()).send(contactId, blob, meta);
      if (stored.state === 'queued') {
        // No session took it: the contact's mailbox may. A small file travels whole in its offer;
        // a larger one's offer tells them it is waiting, and its chunks go once both are online.
        void deps
          .offline()
          .then(async (o) => o?.depositOutbox(contactId))
          .catch(deps.mailboxTrouble);
      }
      return stored;
    },
    acceptFile: async (contactId, messageId) => (await deps.files()).accept(contactId, messageId),
    cancelFile: async (contactId, messageId) => (await deps.files()).cancel(contactId, messageId),
    fileBlob: async (contactId, messageId) => (await deps.files()).blob(contactId, messageId),
    storageEstimate: async () => deps.storageEstimate(),
    forgetFiles: async () => deps.forgetFiles(),
  };
}

/**
 * `calls` with deletes that also stop a file message's transfer and remove its bytes (the other
 * side is told, so it stops too); the transfers' code loads only for a file message.
 */
export function forgettingFiles<T extends Pick<FeatureCalls, 'deleteForMe' | 'deleteForEveryone'>>(
  calls: T,
  stores: Stores,
  files: () => Promise<Transfers>,
): T {
  const forget = async (contactId: string, messageId: Uint8Array): Promise<void> => {
    if ((await stores.messages.get(contactId, messageId))?.file)
      await (await files()).forget(contactId, messageId);
  };
  return {
    ...calls,
    deleteForMe: async (contactId: string, messageId: Uint8Array) => {
      await forget(contactId, messageId);
      await calls.deleteForMe(contactId, messageId);
    },
    deleteForEveryone: async (contactId: string, messageId: Uint8Array) => {
      await forget(contactId, messageId);
      await calls.deleteForEveryone(contactId, messageId);
    },
  };
}
