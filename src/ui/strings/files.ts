/**
 * The words of files, photos, videos and voice notes in a chat: the composer's attach and record
 * buttons (AttachButton.tsx, VoiceRecorderButton.tsx) and a file message's bubble (FileMessage.tsx):
 * its preview, size, progress, state and buttons. Sizes are binary units (1 KiB = 1,024 bytes).
 */

// The composer.
export const attachFile = 'Attach a file';
export const chooseFile = 'Choose a file to send';
export const recordVoiceNote = 'Record a voice note';
export const stopAndSend = 'Stop and send the voice note';
export const cancelVoiceNote = 'Cancel the voice note';
/** While the microphone opens. */
export const startingMicrophone = 'Starting the microphone…';
/** Beside the elapsed time while a voice note is being recorded. */
export const recording = (elapsed: string): string => `Recording ${elapsed}`;

/** A length of time as minutes and seconds: "0:04", "12:30". */
export const duration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** The unit a size is written in, and the divisor that goes with it (bytes below 1 KiB). */
function unitOf(bytes: number): { unit: string; divisor: number } {
  let divisor = 1;
  let unit = '';
  for (const u of UNITS) {
    if (bytes < divisor * 1024) break;
    divisor *= 1024;
    unit = u;
  }
  return { unit, divisor };
}

/** A number in a unit: whole KiB ("120"), one decimal for MiB and up ("50.0"). */
function amount(bytes: number, unit: string, divisor: number): string {
  return unit === 'KiB' || unit === '' ? String(Math.round(bytes / divisor)) : (bytes / divisor).toFixed(1);
}

/** A size in words: "3 bytes", "1 byte", "120 KiB", "50.0 MiB", "12.3 GiB". */
export const size = (bytes: number): string => {
  const { unit, divisor } = unitOf(bytes);
  if (unit === '') return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  return `${amount(bytes, unit, divisor)} ${unit}`;
};

/** How much of a file moved, in the unit of its size: "12.5 of 50.0 MiB". */
export const progress = (done: number, total: number): string => {
  const { unit, divisor } = unitOf(total);
  if (unit === '') return `${done} of ${total} bytes`;
  return `${amount(done, unit, divisor)} of ${amount(total, unit, divisor)} ${unit}`;
};

// A file message.
export const photo = (name: string): string => `Photo: ${name}`;
export const video = (name: string): string => `Video: ${name}`;
export const voiceNote = (duration: string): string => `Voice note, ${duration}`;
/** A voice note whose length is not known. */
export const voiceNoteNoDuration = 'Voice note';
export const transferOf = (name: string): string => `Transfer of ${name}`;
export const waitingToAccept = (contact: string): string => `Waiting for ${contact} to accept`;
export const willSendWhenOnline = (contact: string): string => `Will send when ${contact} is online`;
/** Connected, but the contact's app is older than file chunks as this version sends them. */
export const willSendWhenUpdated = (contact: string): string =>
  `Will send when ${contact} updates SecMsg: their app cannot receive files from this version yet`;
export const preparing = 'Preparing…';
export const accept = (name: string): string => `Accept ${name}`;
export const decline = (name: string): string => `Decline ${name}`;
export const cancel = (name: string): string => `Cancel ${name}`;
export const save = (name: string): string => `Save ${name}`;
/** Before accepting: the file's size, and the free space on this device when the browser says. */
export const sizeAndFree = (fileSize: string, free: string | undefined): string =>
  free === undefined ? fileSize : `${fileSize} · ${free} free on this device`;
export const sent = 'Sent';
export const cancelled = 'Cancelled';
export const cancelledBy = (contact: string): string => `Cancelled by ${contact}`;
/** A failed transfer whose reason was not kept. */
export const failed = 'The transfer failed.';
/** The visible words of the buttons (their accessible names carry the file's name). */
export const acceptWord = 'Accept';
export const declineWord = 'Decline';
export const cancelWord = 'Cancel';
export const saveWord = 'Save';
/**
 * What stands for a file message's text where a text would be (a reply's quote, an arrival's
 * announcement), by its kind: "Photo", "Video", "Voice note", or "File: NAME".
 */
export const fileWord = (media: 'file' | 'image' | 'video' | 'voice', name: string): string =>
  media === 'image'
    ? 'Photo'
    : media === 'video'
      ? 'Video'
      : media === 'voice'
        ? 'Voice note'
        : `File: ${name}`;
/** Save was pressed but the file's bytes are gone from this device (storage cleared). */
export const notOnThisDevice = 'This file is no longer on this device.';
/** The name a recorded voice note is sent under (its extension is added). */
export const voiceNoteFileName = 'Voice note';
