/** What this version of the app announces in its handshake payload. */
export const CAPABILITIES = ['text.v1', 'ack.v1'];
