/** The wire protocol's version: v0.1, carried as the frame version byte 0x01. */
export const PROTOCOL_VERSION = { major: 0, minor: 1 } as const;
export const PROTOCOL_VERSION_LABEL = 'v0.1';
export const FRAME_VERSION = 0x01;
/** First bytes of the Noise prologue (DESIGN.md, Handshake). */
export const PROLOGUE_LABEL = 'SecMsg/0.1';
/** HKDF info for the per-direction frame MAC keys. */
export const FRAME_MAC_INFO = 'SecMsg/0.1 frame-mac';
