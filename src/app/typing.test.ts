/** The typing indicator's timing (typing.ts) on a fake clock: expiry, repeats, the rate limit. */
import { describe, expect, it, vi } from 'vitest';
import { TYPING_EXPIRY_MS, TYPING_STARTED_EVERY_MS, createOwnTyping, createPeerTyping } from './typing';

describe('the contact’s typing state', () => {
  it('shows from started until stopped, or until no started came for the expiry time', () => {
    vi.useFakeTimers();
    try {
      const events: string[] = [];
      const peer = createPeerTyping((id, typing) => events.push(`${id}:${typing}`));
      peer.received('c1', true);
      vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1);
      peer.received('c1', true); // still typing: the expiry starts again, no new event
      vi.advanceTimersByTime(TYPING_EXPIRY_MS - 1);
      expect(peer.typing('c1')).toBe(true);
      expect(events).toEqual(['c1:true']);
      vi.advanceTimersByTime(1);
      expect(events).toEqual(['c1:true', 'c1:false']);
      expect(peer.typing('c1')).toBe(false);
      peer.received('c1', false); // nothing to stop
      peer.received('c2', true);
      peer.received('c2', false);
      vi.advanceTimersByTime(TYPING_EXPIRY_MS);
      expect(events).toEqual(['c1:true', 'c1:false', 'c2:true', 'c2:false']);
      peer.received('c3', true);
      peer.dispose();
      vi.advanceTimersByTime(TYPING_EXPIRY_MS);
      expect(events.at(-1)).toBe('c3:true');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('our typing records', () => {
  it('send at most one started every few seconds, and stopped only after a started', () => {
    let now = 10_000;
    const send = createOwnTyping(() => now);
    expect(send('c1', false)).toBe(false);
    expect(send('c1', true)).toBe(true);
    now += TYPING_STARTED_EVERY_MS - 1;
    expect(send('c1', true)).toBe(false);
    expect(send('c2', true)).toBe(true);
    now += 1;
    expect(send('c1', true)).toBe(true);
    expect(send('c1', false)).toBe(true);
    expect(send('c1', false)).toBe(false);
    expect(send('c1', true)).toBe(true); // a new start right after a stop
  });
});
