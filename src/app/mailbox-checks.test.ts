import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMailboxChecks } from './mailbox-checks';

class FakeDocument extends EventTarget {
  visibilityState: DocumentVisibilityState = 'visible';
}

describe('mailbox checks', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const target = new EventTarget();
    const doc = new FakeDocument();
    let calls = 0;
    let release = (): void => undefined;
    const messenger = {
      checkMailboxes: async () => {
        calls++;
        await new Promise<void>((resolve) => (release = resolve));
        return undefined;
      },
    };
    const checks = startMailboxChecks(messenger, { target, document: doc, pollMs: 1000 });
    return { target, doc, checks, calls: () => calls, release: () => release() };
  }

  it('checks on opening, coming online, becoming visible and on a timer while visible, never two at once', async () => {
    const s = setup();
    expect(s.calls()).toBe(1);
    s.target.dispatchEvent(new Event('online')); // one is running: no second
    expect(s.calls()).toBe(1);
    s.release();
    await vi.advanceTimersByTimeAsync(0);
    s.target.dispatchEvent(new Event('online'));
    expect(s.calls()).toBe(2);
    s.release();
    await vi.advanceTimersByTimeAsync(0);
    s.doc.visibilityState = 'hidden';
    await vi.advanceTimersByTimeAsync(1000); // hidden: the timer skips
    expect(s.calls()).toBe(2);
    s.doc.visibilityState = 'visible';
    s.doc.dispatchEvent(new Event('visibilitychange'));
    expect(s.calls()).toBe(3);
    s.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.calls()).toBe(4);
    s.release();
    s.checks.dispose();
    await vi.advanceTimersByTimeAsync(5000);
    s.target.dispatchEvent(new Event('online'));
    expect(s.calls()).toBe(4);
  });
});
