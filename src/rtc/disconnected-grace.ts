/**
 * Staying connected: an open WebRTC connection whose ICE stays 'disconnected' for a grace period
 * is given up, so that the contact is met again (simple-peer-transport.ts wires it).
 *
 * DESIGN.md asks for an ICE restart when the path is 'disconnected' for a few seconds. simple-peer 9
 * cannot do one here: it renegotiates only by emitting new 'signal' data for the other side, and
 * the meeting room that carried the first offer is closed once the session is up (it is not kept
 * open for every contact all day). What is done instead: a path that stays 'disconnected' for
 * DISCONNECTED_GRACE_MS is given up at once (rather than after the browser's ~30 s consent
 * timeout), the session closes, and the reconnector meets the contact again in the rendezvous
 * room: a fresh negotiation that goes down the route ladder (TURN, then the worker relay) when the
 * direct path is gone. The outbox sends again what was not acknowledged; the ratchet stores each
 * message once.
 */
import { RtcError } from './errors';

/** An open connection whose ICE stays 'disconnected' this long is given up. */
export const DISCONNECTED_GRACE_MS = 3_000;

export interface DisconnectedGraceOptions {
  /** How long ICE may stay 'disconnected' while the connection is open. */
  readonly graceMs: number;
  /** Whether the connection is open now; a closed or closing one is not watched. */
  readonly isOpen: () => boolean;
  /** Runs `fn` after `ms`, on the connection's timers (cleared when it closes). */
  readonly after: (ms: number, fn: () => void) => void;
  /** Gives the connection up with `error` (ICE_FAILED). */
  readonly giveUp: (error: RtcError) => void;
}

/** Watches the peer's ICE state from now on; one grace timer at a time, forgotten when ICE recovers. */
export function watchDisconnected(
  peer: { on(event: 'iceStateChange', fn: (iceConnectionState: string) => void): unknown },
  options: DisconnectedGraceOptions,
): void {
  let disconnectedSince: number | undefined;
  peer.on('iceStateChange', (ice) => {
    if (ice !== 'disconnected') {
      disconnectedSince = undefined;
      return;
    }
    if (!options.isOpen() || disconnectedSince !== undefined) return;
    const since = Date.now();
    disconnectedSince = since;
    options.after(options.graceMs, () => {
      if (disconnectedSince !== since || !options.isOpen()) return;
      options.giveUp(
        new RtcError('ICE_FAILED', 'The connection to the other device was lost; connecting again.'),
      );
    });
  });
}
