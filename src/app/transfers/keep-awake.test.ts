import { describe, expect, it, vi } from 'vitest';
import { createKeepAwake } from './keep-awake';

function fakeWakeLock() {
  const released: number[] = [];
  let n = 0;
  const wakeLock = {
    request: vi.fn(async () => {
      const id = ++n;
      return Promise.resolve({
        release: async () => {
          released.push(id);
          return Promise.resolve();
        },
        addEventListener: () => undefined,
      });
    }),
  };
  return { wakeLock, released };
}

const visible = { visibilityState: 'visible' as DocumentVisibilityState, addEventListener: () => undefined };

describe('keep awake', () => {
  it('holds the screen lock while a transfer moves and releases it when none does', async () => {
    const { wakeLock, released } = fakeWakeLock();
    const awake = createKeepAwake(wakeLock, visible);
    awake.update('a', { state: 'offered' });
    expect(wakeLock.request).not.toHaveBeenCalled();
    awake.update('a', { state: 'receiving' });
    awake.update('b', { state: 'sending' });
    await vi.waitFor(() => expect(awake.held).toBe(true));
    expect(wakeLock.request).toHaveBeenCalledTimes(1);
    awake.update('a', { state: 'done' });
    expect(awake.held).toBe(true); // b still moves
    awake.update('b', { state: 'cancelled' });
    expect(awake.held).toBe(false);
    await vi.waitFor(() => expect(released).toEqual([1]));
  });

  it('runs without a lock where the API is missing or refuses', async () => {
    const none = createKeepAwake(undefined, visible);
    none.update('a', { state: 'sending' });
    expect(none.held).toBe(false);
    const refusing = createKeepAwake(
      { request: async () => Promise.reject(new Error('low battery')) },
      visible,
    );
    refusing.update('a', { state: 'sending' });
    await new Promise((r) => setTimeout(r, 0));
    expect(refusing.held).toBe(false);
  });
});
