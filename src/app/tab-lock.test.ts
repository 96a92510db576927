import { describe, expect, it } from 'vitest';
import { holdProfileLock, type Locks } from './tab-lock';

/** A LockManager for one exclusive lock, with release by hand (a tab closing). */
function fakeLocks() {
  let holder: { release: () => void } | undefined;
  const queue: (() => void)[] = [];
  const locks: Locks & { releaseHolder(): void } = {
    async request(_name, options, callback) {
      if (holder && options.ifAvailable) return callback(null);
      if (holder) await new Promise<void>((resolve) => queue.push(resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      holder = { release };
      void callback({});
      await released;
      holder = undefined;
      queue.shift()?.();
    },
    releaseHolder() {
      holder?.release();
    },
  };
  return locks;
}

describe('holdProfileLock', () => {
  it('takes the lock at once when no other tab has it', async () => {
    let waited = false;
    await holdProfileLock(fakeLocks(), () => (waited = true));
    expect(waited).toBe(false);
  });

  it('waits, saying so, while another tab holds it, and takes over when that tab closes', async () => {
    const locks = fakeLocks();
    await holdProfileLock(locks, () => undefined);
    let waiting = false;
    let held = false;
    const second = holdProfileLock(locks, () => (waiting = true)).then(() => (held = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(waiting).toBe(true);
    expect(held).toBe(false);
    locks.releaseHolder(); // the first tab closes
    await second;
    expect(held).toBe(true);
  });

  it('goes on at once where Web Locks are missing', async () => {
    await expect(holdProfileLock(undefined, () => undefined)).resolves.toBeUndefined();
  });
});
