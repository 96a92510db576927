/**
 * What the session needs from a transport: an ordered, reliable, message-oriented duplex byte
 * channel. `src/rtc`'s `Transport` is one; so is the in-memory pair used in tests.
 */
export type ChannelEvents = {
  message: (data: Uint8Array) => void;
  close: () => void;
};

export interface ByteChannel {
  send(data: Uint8Array): void;
  close(): void;
  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): () => void;
}
