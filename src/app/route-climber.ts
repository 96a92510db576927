/**
 * Climbs back up the route ladder (DESIGN.md, Routes and delivery: "a dropped route falls back
 * down the list and climbs back up when it can"). While a contact's session runs over the worker
 * relay, this device tries for a DataChannel (direct, or through TURN) again in the pair's
 * rendezvous room, beside the relayed session, which carries the conversation meanwhile. When a
 * channel opens and its handshake proves the pinned key, the messenger adopts the new session and
 * closes the relayed one; the outbox sends again what was not acknowledged and the ratchet refuses
 * what it has already opened, so nothing is lost or doubled (as on any session replacement).
 *
 * Both sides must be in the room at once, and neither tells the other (only the session crosses
 * the relay), so attempts start at wall-clock slots both devices compute alike: every
 * CLIMB_SLOT_MS for the first CLIMB_FAST_ATTEMPTS, then every CLIMB_SLOW_SLOT_MS (a multiple of
 * the first, so two devices with different failure counts still meet there). An attempt waits in
 * the room at most CLIMB_WAIT_MS for the other side: clocks that differ by less still meet. The
 * network coming back or the app becoming visible (`now()`) tries at once.
 *
 *   relayed session open ──► next slot ──► meet, DataChannel only ──► adopted: Direct or TURN
 *                               ▲                │ no path / nobody came / failed
 *                               └────────────────┘
 * Not climbed: from TURN to a direct path (both are DataChannels; ICE already chose the best pair
 * it found), and never with "Always relay" on.
 */
import type { Contact } from '../store/contact-types';
import type { AppConfig } from './config';
import type { KnownContactConnection, connectKnownContact } from './connect';
import { isInterception, type Messenger } from './messenger';
import { lazyConnectKnownContact, sleepOrWake } from './reconnector';

/** Slots for the first attempts after a session went to the relay. */
export const CLIMB_SLOT_MS = 60_000;
/** Slots after that: a multiple of CLIMB_SLOT_MS. */
export const CLIMB_SLOW_SLOT_MS = 5 * CLIMB_SLOT_MS;
export const CLIMB_FAST_ATTEMPTS = 5;
/** How long an attempt waits for the other side, and then for its channel and handshake. */
export const CLIMB_WAIT_MS = 30_000;

/** What the contact's security log says when an attempt looked like interception (our words). */
export const CLIMB_INTERCEPTION_REASON =
  'Trying a direct path again failed the way it would if someone sat in the middle: the other side did not prove it holds the key you have for this contact.';

/** The start of the next slot after `at`, for a contact whose attempts failed `failures` times. */
export function nextClimbSlot(at: number, failures: number): number {
  const period = failures < CLIMB_FAST_ATTEMPTS ? CLIMB_SLOT_MS : CLIMB_SLOW_SLOT_MS;
  return (Math.floor(at / period) + 1) * period;
}

export interface RouteClimberDeps {
  messenger: Messenger;
  config: AppConfig;
  connect?: typeof connectKnownContact;
  now?: () => number;
  /** Waits `ms`, or less when `wake` fires first. */
  sleep?: (ms: number, wake: Promise<void>) => Promise<void>;
  waitMs?: number;
}

export interface RouteClimber {
  /** Tries at once for every relayed contact (the network changed, the app became visible). */
  now(): void;
  dispose(): void;
}

export function createRouteClimber(deps: RouteClimberDeps): RouteClimber {
  const { messenger, config } = deps;
  const connect = deps.connect ?? lazyConnectKnownContact;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? sleepOrWake;
  const waitMs = deps.waitMs ?? CLIMB_WAIT_MS;
  const running = new Set<string>();
  const attempts = new Map<string, KnownContactConnection>();
  let disposed = false;
  let wakeUp: () => void = () => undefined;
  let wake = new Promise<void>((resolve) => (wakeUp = resolve));
  /** How many times `now()` was called: a call during an attempt is not lost. */
  let pokes = 0;

  /** The contact's open session when it runs over the worker relay. */
  const relayed = (id: string): boolean => {
    const live = messenger.live(id);
    return live?.state === 'open' && live.connected.transport.info.relayRoomId !== undefined;
  };
  const mayClimb = (
    contact: Contact | undefined,
  ): contact is Contact & Required<Pick<Contact, 'rendezvous'>> =>
    contact !== undefined &&
    contact.rendezvous !== undefined &&
    !contact.pendingKey &&
    !contact.reconnectPaused &&
    !config.alwaysRelay &&
    config.signalingUrl !== undefined;

  /**
   * One attempt; resolves when a new session was adopted. Should the relayed session drop
   * meanwhile, the attempt goes on: its session is what the reconnector looks for then.
   */
  const attempt = async (
    id: string,
    contact: Contact & Required<Pick<Contact, 'rendezvous'>>,
  ): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => a.cancel(), waitMs);
    };
    const a = connect(
      messenger.identity,
      contact.rendezvous,
      config,
      now(),
      // Once the other side is in the room, the channel and the handshake get a wait of their own.
      (progress) => {
        if (progress === 'connecting') arm();
      },
      async () => messenger.ratchetId(id),
      true,
    );
    attempts.set(id, a);
    arm();
    try {
      const connected = await a.connected;
      if (disposed) {
        await connected.session.close('the app closed');
        return;
      }
      await messenger.adopt(connected, { kind: 'rendezvous', contactId: id });
    } finally {
      clearTimeout(timer);
      attempts.delete(id);
    }
  };

  const run = async (id: string): Promise<void> => {
    let failures = 0;
    /** `now()` was called while an attempt of this loop ran: the next one starts at once. */
    let seenPokes = pokes;
    while (!disposed) {
      const at = now();
      if (pokes === seenPokes) await sleep(nextClimbSlot(at, failures) - at, wake);
      seenPokes = pokes;
      if (disposed || !relayed(id)) return;
      const contact = await messenger.contact(id);
      if (!mayClimb(contact)) return;
      try {
        await attempt(id, contact);
        return;
      } catch (e) {
        if (disposed) return;
        if (isInterception(e)) {
          // A security event, never retried silently (DESIGN.md, Transport session).
          await messenger.pauseReconnect(id, CLIMB_INTERCEPTION_REASON);
          return;
        }
        failures++;
      }
    }
  };

  const ensure = (id: string): void => {
    if (disposed || running.has(id) || !relayed(id) || config.alwaysRelay) return;
    running.add(id);
    run(id)
      .catch((e: unknown) => console.error('SecMsg: trying a better route failed.', e))
      .finally(() => running.delete(id));
  };

  const off = messenger.on('connection', ensure);
  void messenger.contacts().then((list) => {
    for (const c of list) ensure(c.id);
  });

  return {
    now() {
      pokes++;
      wakeUp();
      wake = new Promise<void>((resolve) => (wakeUp = resolve));
    },
    dispose() {
      disposed = true;
      off();
      for (const a of attempts.values()) a.cancel();
      attempts.clear();
      wakeUp();
    },
  };
}
