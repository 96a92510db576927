/**
 * Keeps the screen on while a file moves (Screen Wake Lock API, W3C): a phone that locks its screen
 * suspends the page, and the transfer with it. Held while at least one transfer is sending or
 * receiving, released when none is; asked again when the page becomes visible (the browser releases
 * the lock whenever the page is hidden). Where the API is missing or refuses (a low battery, an
 * iframe without permission), transfers simply run without it: they resume after a lock anyway.
 */
import type { StoredFile } from '../../store/file-types';

interface WakeLockLike {
  request(
    type: 'screen',
  ): Promise<{ release(): Promise<void>; addEventListener(t: 'release', f: () => void): void }>;
}

export interface KeepAwake {
  /** A transfer's newest state. */
  update(key: string, file: Pick<StoredFile, 'state'>): void;
  /** Whether the lock is held now. */
  readonly held: boolean;
}

export function createKeepAwake(
  wakeLock: WakeLockLike | undefined = (globalThis.navigator as { wakeLock?: WakeLockLike } | undefined)
    ?.wakeLock,
  doc: Pick<Document, 'visibilityState' | 'addEventListener'> | undefined = globalThis.document,
): KeepAwake {
  const moving = new Set<string>();
  let sentinel: { release(): Promise<void> } | undefined;
  let asking = false;

  const sync = (): void => {
    if (!wakeLock) return;
    if (moving.size === 0) {
      const s = sentinel;
      sentinel = undefined;
      void s?.release().catch(() => undefined);
      return;
    }
    if (sentinel || asking || doc?.visibilityState === 'hidden') return;
    asking = true;
    wakeLock.request('screen').then(
      (s) => {
        asking = false;
        if (moving.size === 0) {
          void s.release().catch(() => undefined);
          return;
        }
        sentinel = s;
        s.addEventListener('release', () => {
          if (sentinel === s) sentinel = undefined;
        });
      },
      () => {
        asking = false; // refused: run without it
      },
    );
  };

  doc?.addEventListener('visibilitychange', sync);

  return {
    update(key, file) {
      if (file.state === 'sending' || file.state === 'receiving') moving.add(key);
      else moving.delete(key);
      sync();
    },
    get held() {
      return sentinel !== undefined;
    },
  };
}
