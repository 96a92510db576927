/**
 * One tab drives a profile at a time: it holds the Web Lock `secmsg-profile` for as long as it is
 * open (the browser releases it when the tab closes or crashes). Another tab of the same profile
 * waits for the lock, says so, and takes over when it is released. So only one tab opens
 * connections and writes the history, and no write is lost or doubled between tabs.
 */
export const PROFILE_LOCK = 'secmsg-profile';

/** The part of `LockManager` this module uses. */
export interface Locks {
  request(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<void>;
}

export function browserLocks(): Locks | undefined {
  return (globalThis.navigator as Navigator | undefined)?.locks;
}

/**
 * Resolves once this tab holds the profile lock (at once when no other tab has it; `onWaiting`
 * is called first when one does). The lock is then held until the page goes away. Without Web
 * Locks (very old browsers) it resolves at once.
 */
export async function holdProfileLock(locks: Locks | undefined, onWaiting: () => void): Promise<void> {
  if (!locks) return;
  const forever = new Promise<void>(() => undefined);
  const gotIt = await new Promise<boolean>((resolve, reject) => {
    locks
      .request(PROFILE_LOCK, { ifAvailable: true }, async (lock) => {
        resolve(lock !== null);
        if (lock !== null) await forever;
      })
      .catch(reject);
  });
  if (gotIt) return;
  onWaiting();
  await new Promise<void>((resolve, reject) => {
    locks
      .request(PROFILE_LOCK, {}, async () => {
        resolve();
        await forever;
      })
      .catch(reject);
  });
}
