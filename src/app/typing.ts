/**
 * The typing indicator's timing (DESIGN.md, Application records: `typing`), kept in memory only:
 *
 * - the contact's: 'started' shows them typing until 'stopped' arrives, a message of theirs
 *   arrives, or TYPING_EXPIRY_MS pass without another 'started' (a lost 'stopped', a closed tab);
 * - ours: at most one 'started' every TYPING_STARTED_EVERY_MS while typing goes on, and 'stopped'
 *   only after a 'started' (the UI says 'stopped' after about 5 s without a key press).
 */

/** The contact shows as typing this long after their last 'started', unless 'stopped' comes first. */
export const TYPING_EXPIRY_MS = 6_000;
/** At most one 'started' this often. */
export const TYPING_STARTED_EVERY_MS = 3_000;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface PeerTyping {
  /** A typing record (or, with false, a message) from the contact. */
  received(contactId: string, typing: boolean): void;
  /** Whether the contact shows as typing now. */
  typing(contactId: string): boolean;
  dispose(): void;
}

/** The contacts' typing state; `emit` hears each change (true, then false once). */
export function createPeerTyping(
  emit: (contactId: string, typing: boolean) => void,
  timers: Timers = realTimers,
): PeerTyping {
  const expiries = new Map<string, unknown>();
  const stop = (contactId: string): void => {
    const handle = expiries.get(contactId);
    if (handle === undefined) return;
    timers.clearTimeout(handle);
    expiries.delete(contactId);
    emit(contactId, false);
  };
  return {
    received(contactId, typing) {
      if (!typing) {
        stop(contactId);
        return;
      }
      const was = expiries.get(contactId);
      if (was !== undefined) timers.clearTimeout(was);
      expiries.set(
        contactId,
        timers.setTimeout(() => stop(contactId), TYPING_EXPIRY_MS),
      );
      if (was === undefined) emit(contactId, true);
    },
    typing: (contactId) => expiries.has(contactId),
    dispose() {
      for (const handle of expiries.values()) timers.clearTimeout(handle);
      expiries.clear();
    },
  };
}

/** Ours: whether to send a typing record now (`on` the person's state), and remembers it. */
export function createOwnTyping(now: () => number): (contactId: string, on: boolean) => boolean {
  const started = new Map<string, number>();
  return (contactId, on) => {
    const last = started.get(contactId);
    if (!on) {
      if (last === undefined) return false;
      started.delete(contactId);
      return true;
    }
    const at = now();
    if (last !== undefined && at - last < TYPING_STARTED_EVERY_MS && at >= last) return false;
    started.set(contactId, at);
    return true;
  };
}
