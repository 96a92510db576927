/**
 * Keeps known contacts reachable without a new invite: for every contact with no open session,
 * meet in today's rendezvous room (src/protocol/rendezvous.ts) and hand the session to the
 * messenger, which checks the pinned key (another key is a key change) and flushes the outbox.
 * It starts when the app opens, again whenever a session drops, and at once when the network
 * comes back; failed attempts back off (1 s, 2 s, 4 s … 30 s). Each contact's state is visible.
 *
 *   contact offline ──► connecting ──► waiting (in the room, they are not) ──► connected
 *          ▲                 │ fails                     │ room closes (idle) / fails
 *          └── retrying in N s ◄─────────────────────────┘
 */
import { createEmitter } from '../protocol/events';
import type { Contact } from '../store/contact-types';
import type { AppConfig } from './config';
import { RtcError } from '../rtc/errors';
import type { KnownContactConnection, connectKnownContact } from './connect';
import { isInterception, type Messenger } from './messenger';

/** What the contact's security log says when a reconnect looked like interception (our words). */
export const INTERCEPTION_REASON =
  'Connecting again failed the way it would if someone sat in the middle: the other side did not prove it holds the key you have for this contact.';

export type ReachState =
  | 'connected'
  | 'connecting'
  | 'waiting'
  | 'retrying'
  | 'no-server'
  | 'blocked'
  /** A handshake failed as it would under interception: no attempt until the user tries again. */
  | 'paused';

export interface Reach {
  readonly state: ReachState;
  /** When the next attempt starts (ms since the epoch), while 'retrying'. */
  readonly retryAt?: number;
}

export interface ReconnectorDeps {
  messenger: Messenger;
  config: AppConfig;
  connect?: typeof connectKnownContact;
  now?: () => number;
  /** Waits `ms`, or less when `wake` fires first. */
  sleep?: (ms: number, wake: Promise<void>) => Promise<void>;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface Reconnector {
  /** Starts (or resumes) the loops of every known contact that is not connected. */
  start(): void;
  status(contactId: string): Reach;
  /** Skips the wait of every retrying contact (the network came back). */
  retryNow(): void;
  on(event: 'status', fn: (contactId: string) => void): () => void;
  dispose(): void;
}

/** An attempt that waited this long in the room was not a failure: start again at once. */
const LONG_WAIT_MS = 60_000;

/**
 * `connectKnownContact`, with the connection code (WebRTC, simple-peer, the worker client) loaded
 * on the first attempt rather than with the page, so the conversation list shows first. The route
 * climber (route-climber.ts) uses it and `sleepOrWake` too.
 */
export const lazyConnectKnownContact: typeof connectKnownContact = (...args) => {
  let inner: KnownContactConnection | undefined;
  let cancelled = false;
  const connected = import('./connect').then(async (m) => {
    if (cancelled) throw new RtcError('SIGNAL_INVALID', 'Cancelled.');
    inner = m.connectKnownContact(...args);
    return inner.connected;
  });
  return {
    connected,
    cancel: () => {
      cancelled = true;
      inner?.cancel();
    },
  };
};

/** Waits `ms`, or less when `wake` fires first. */
export async function sleepOrWake(ms: number, wake: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), wake]);
  clearTimeout(timer);
}

export function createReconnector(deps: ReconnectorDeps): Reconnector {
  const { messenger, config } = deps;
  const connect = deps.connect ?? lazyConnectKnownContact;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? sleepOrWake;
  const minDelay = deps.minDelayMs ?? 1_000;
  const maxDelay = deps.maxDelayMs ?? 30_000;
  const events = createEmitter<{ status: (contactId: string) => void }>();
  const reach = new Map<string, Reach>();
  const running = new Set<string>();
  const attempts = new Map<string, KnownContactConnection>();
  let disposed = false;
  let wakeUp: () => void = () => undefined;
  let wake = new Promise<void>((resolve) => (wakeUp = resolve));

  const set = (id: string, r: Reach): void => {
    reach.set(id, r);
    events.emit('status', id);
  };
  const isOpen = (id: string): boolean => messenger.live(id)?.state === 'open';

  const run = async (id: string): Promise<void> => {
    let failures = 0;
    while (!disposed) {
      const contact: Contact | undefined = await messenger.contact(id);
      if (!contact) return;
      if (isOpen(id)) return set(id, { state: 'connected' });
      if (contact.pendingKey) return set(id, { state: 'blocked' });
      if (contact.reconnectPaused) return set(id, { state: 'paused' });
      if (!config.signalingUrl || !contact.rendezvous) return set(id, { state: 'no-server' });
      set(id, { state: 'connecting' });
      const started = now();
      const attempt = connect(
        messenger.identity,
        contact.rendezvous,
        config,
        started,
        (p) => {
          if (!disposed) set(id, { state: p });
        },
        async () => messenger.ratchetId(id),
      );
      attempts.set(id, attempt);
      try {
        const connected = await attempt.connected;
        attempts.delete(id);
        if (disposed) {
          await connected.session.close('the app closed');
          return;
        }
        const { outcome } = await messenger.adopt(connected, { kind: 'rendezvous', contactId: id });
        // A key the user refused was met (and closed): keep trying for the real one, backing off.
        if (outcome === 'refused') throw new RtcError('SIGNAL_INVALID', 'Met a key that was refused.');
        // The messenger's 'connection' event (open) set the state; a key change blocks instead.
        return;
      } catch (e) {
        attempts.delete(id);
        if (disposed) return;
        if (isInterception(e)) {
          // A security event, never retried silently (DESIGN.md, Transport session).
          await messenger.pauseReconnect(id, INTERCEPTION_REASON);
          return set(id, { state: 'paused' });
        }
        failures = now() - started > LONG_WAIT_MS ? 0 : failures + 1;
        const delay = Math.min(maxDelay, failures === 0 ? minDelay : minDelay * 2 ** (failures - 1));
        set(id, { state: 'retrying', retryAt: now() + delay });
        await sleep(delay, wake);
      }
    }
  };

  /** Contacts whose session dropped while their loop was still finishing: run it once more. */
  const again = new Set<string>();
  const ensure = (id: string): void => {
    if (disposed) return;
    if (running.has(id)) {
      again.add(id);
      return;
    }
    running.add(id);
    run(id)
      .catch((e: unknown) => console.error('SecMsg: reconnecting failed.', e))
      .finally(() => {
        running.delete(id);
        if (again.delete(id)) ensure(id);
      });
  };

  const offConnection = messenger.on('connection', (id) => {
    if (isOpen(id)) {
      set(id, { state: 'connected' });
      attempts.get(id)?.cancel(); // paired by hand meanwhile
      return;
    }
    // A dropped session: both sides come back to the room.
    ensure(id);
  });
  const offContacts = messenger.on('contacts', () => {
    void messenger.contacts().then((list) => {
      for (const c of list) if (!isOpen(c.id)) ensure(c.id);
    });
  });

  return {
    start() {
      void messenger.contacts().then((list) => {
        for (const c of list) ensure(c.id);
      });
    },
    status: (id) => reach.get(id) ?? { state: isOpen(id) ? 'connected' : 'connecting' },
    retryNow() {
      wakeUp();
      wake = new Promise<void>((resolve) => (wakeUp = resolve));
    },
    on: (event, fn) => events.on(event, fn),
    dispose() {
      disposed = true;
      offConnection();
      offContacts();
      for (const a of attempts.values()) a.cancel();
      attempts.clear();
      wakeUp();
      events.clear();
    },
  };
}
