/**
 * The application records' sizes that the page needs before any record is encoded (records.ts, and
 * the key-rotation code it brings, load with the first session).
 */
export const MESSAGE_ID_LENGTH = 16;
/** The longest text body in UTF-8 bytes (64 KiB): far below the frame limit. */
export const MAX_TEXT_BODY_BYTES = 64 * 1024;
export const MAX_ACK_IDS = 1024;
