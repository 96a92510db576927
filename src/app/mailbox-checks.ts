/**
 * When the app reads its mailboxes: when it opens, when the device comes back online, when the page
 * becomes visible again, and every MAILBOX_POLL_MS while it is visible (a push wakes a closed app;
 * this covers an open one). Checks never overlap; a failure waits for the next occasion.
 */
import type { Messenger } from './messenger-api';

export const MAILBOX_POLL_MS = 30_000;

export interface MailboxChecks {
  /** Checks now (the other occasions call this too). */
  checkNow(): Promise<void>;
  dispose(): void;
}

export function startMailboxChecks(
  messenger: Pick<Messenger, 'checkMailboxes'>,
  env: {
    readonly target?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
    readonly document?: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
    readonly pollMs?: number;
  } = {},
): MailboxChecks {
  const target = env.target ?? globalThis;
  const doc = env.document ?? globalThis.document;
  const pollMs = env.pollMs ?? MAILBOX_POLL_MS;
  let running: Promise<void> | undefined;
  let disposed = false;

  const checkNow = async (): Promise<void> => {
    if (disposed) return;
    running ??= messenger
      .checkMailboxes()
      .then(() => undefined)
      .catch((e: unknown) => {
        // The worker unreachable or refusing: messages wait, on both sides; the next occasion retries.
        if (!(e instanceof Error && (e.name === 'MailboxError' || e.name === 'MailboxUnreachableError'))) {
          console.error('SecMsg: reading the mailboxes failed', e);
        }
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const visible = (): boolean => doc?.visibilityState !== 'hidden';
  const onVisibility = (): void => {
    if (visible()) void checkNow();
  };
  const onOnline = (): void => void checkNow();
  target.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  const timer = setInterval(() => {
    if (visible()) void checkNow();
  }, pollMs);
  void checkNow();

  return {
    checkNow,
    dispose() {
      disposed = true;
      clearInterval(timer);
      target.removeEventListener('online', onOnline);
      doc?.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
