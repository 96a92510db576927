/**
 * What the session needs from a transport: an ordered, reliable, message-oriented duplex byte
 * channel. `src/rtc`'s `Transport` is one; so is the in-memory pair used in tests.
 */
export type ChannelEvents = {
  /** One received message; its buffer is the listener's (a buffer a message, shared with nothing). */
  message: (data: Uint8Array) => void;
  close: () => void;
};

export interface ByteChannel {
  /** Takes `data`'s bytes before it returns (sent or copied): the caller may reuse or release the buffer. */
  send(data: Uint8Array): void;
  close(): void;
  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): () => void;
}
