import { describe, expect, it } from 'vitest';
import { CAPABILITIES, FILE_CHUNKS_CAPABILITY, offerWaitsFor, readsFileChunks } from './capabilities';

/** A live session as the chat sees it, with the peer's announced capabilities. */
const live = (state: string, capabilities: readonly string[]) => ({
  state,
  connected: { peer: { capabilities } },
});

describe('capabilities', () => {
  it('this version announces MAC-only file chunks, and reads them from a peer that does', () => {
    expect(CAPABILITIES).toContain(FILE_CHUNKS_CAPABILITY);
    expect(readsFileChunks(CAPABILITIES)).toBe(true);
    expect(readsFileChunks(['text.v1', 'ack.v1'])).toBe(false); // an app from before them
    expect(readsFileChunks([])).toBe(false);
  });

  it('a sent offer waits for the person, their coming online, or their app’s update', () => {
    expect(offerWaitsFor(live('open', CAPABILITIES))).toBe('accept');
    expect(offerWaitsFor(live('open', ['text.v1', 'ack.v1']))).toBe('update');
    expect(offerWaitsFor(live('closed', ['text.v1', 'ack.v1']))).toBe('online');
    expect(offerWaitsFor(undefined)).toBe('online');
  });
});
