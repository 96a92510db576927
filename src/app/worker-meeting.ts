/**
 * One side of a meeting through the signaling worker (an invite room or a known contact's
 * rendezvous room), until a session is ready, walking the route ladder of DESIGN.md, Routes and
 * delivery: a DataChannel (direct, or through TURN with servers the room hands out), else the
 * worker relay. What the two sides say to each other travels sealed (src/protocol/pairing.ts).
 */
import { fromBase64Url, toBase64Url } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from '../protocol/errors';
import type { SignalingCipher } from '../protocol/pairing';
import { isRelayRoomId } from '../protocol/relay';
import { RtcError } from '../rtc/errors';
import { connectRelay, type RelayConnection } from '../rtc/relay-transport';
import type { SessionDescription } from '../rtc/sdp';
import { connectSignaling, type SignalingClient } from '../rtc/signaling-client';
import type { SimplePeerConnection, SimplePeerTransportOptions } from '../rtc/simple-peer-transport';
import type { Transport } from '../rtc/transport';
import type { AppConfig } from './config';
import type { Connected } from './connect';
import { askRoomForTurn } from './turn-servers';

/** How long the DataChannel may take to open before the offerer moves both sides to the worker relay. */
export const RELAY_FALLBACK_MS = 6_000;
/**
 * How long a climbing meeting's DataChannel may take (route-climber.ts): longer, as the relay
 * carries the conversation meanwhile and nobody waits on this one.
 */
export const CLIMB_CHANNEL_MS = 15_000;

/** What travels, sealed, through the worker: a session description, or the relay room to use. */
type MeetingSignal =
  | SessionDescription
  /** The offerer chose the worker relay: both sides go to this relay room (32 bytes, base64url). */
  | { type: 'relay'; room: string }
  /** The answerer asks for the worker relay ("Always relay"): it will not answer an offer. */
  | { type: 'relay-please' };

function isMeetingSignal(value: unknown): value is MeetingSignal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { type?: unknown; sdp?: unknown; room?: unknown };
  if (v.type === 'relay') return isRelayRoomId(v.room);
  if (v.type === 'relay-please') return Object.keys(v).length === 1;
  return (v.type === 'offer' || v.type === 'answer') && typeof v.sdp === 'string' && v.sdp.length < 16_000;
}

export function noWorker(): RtcError {
  return new RtcError(
    'SIGNAL_INVALID',
    'No signaling server is configured: use an invite code instead, or set one in settings.',
  );
}

/** One side of a meeting in a worker room. */
export interface WorkerMeeting {
  /** This side makes the WebRTC offer (and so is the Noise initiator); the other answers. */
  offerer: boolean;
  cipher: SignalingCipher;
  /** Send `done` once connected, so that the worker refuses the room from then on (invites). */
  useUp: boolean;
  /** What secures the session once the channel is open (checks the peer's key as it must). */
  secure: (t: Transport) => Promise<Connected>;
  /** The peer left the room before the connection was made. */
  peerLeft?: () => RtcError;
  /** Told whether the other side is in the room ('connecting') or not yet ('waiting'). */
  onProgress?: (progress: 'waiting' | 'connecting') => void;
  /**
   * An attempt at a better route while a relayed session still works (route-climber.ts): this
   * side never proposes the worker relay, and the meeting fails when no DataChannel opens within
   * CLIMB_CHANNEL_MS or when the other side asks for the relay.
   */
  climbing?: boolean;
}

/** Why a climbing meeting ended without a DataChannel (route-climber.ts backs off and tries later). */
export const NO_BETTER_ROUTE = 'No direct or TURN path opened; the conversation stays on the relay.';

/** What a meeting is made of; tests pass fakes. */
export interface MeetingDeps {
  connectSignaling?: typeof connectSignaling;
  connectRelay?: typeof connectRelay;
  /** Makes the WebRTC connection (simple-peer's by default). */
  createConnection?: (options: SimplePeerTransportOptions) => SimplePeerConnection;
  relayFallbackMs?: number;
}

/**
 * Runs one side of a meeting through the signaling worker until the session is ready: the offer
 * and the answer travel as sealed blobs; whatever arrives that is not what this side waits for is
 * refused. The route ladder (DESIGN.md, Routes and delivery): a DataChannel (direct, or through
 * TURN) first; when its channel has not opened within RELAY_FALLBACK_MS, or when either side has
 * "Always relay" on, the offerer chooses a worker relay room, sends its id sealed, and both sides
 * run the same session over the relay instead (bound to that room).
 */
export async function meetThroughWorker(
  meeting: WorkerMeeting,
  config: AppConfig,
  register: (cancel: () => void) => void,
  deps: MeetingDeps = {},
): Promise<Connected> {
  if (!config.signalingUrl) throw noWorker();
  const signalingUrl = config.signalingUrl;
  const { offerer, cipher } = meeting;
  const relayTo = deps.connectRelay ?? connectRelay;
  const signaling: SignalingClient = (deps.connectSignaling ?? connectSignaling)({
    url: signalingUrl,
    roomId: cipher.roomId,
  });
  // TURN credentials from the room, merged with the user's servers (turn-servers.ts).
  const turn = askRoomForTurn(
    signaling,
    config,
    deps.createConnection ? { create: deps.createConnection } : {},
  );
  let conn: SimplePeerConnection | undefined;
  let relay: RelayConnection | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  /** A channel is open: the room has done its part, whoever leaves it now. */
  let channelOpen = false;
  return new Promise<Connected>((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(fallback);
      signaling.close();
      conn?.close();
      relay?.close();
    };
    // Cancelling settles the meeting too (rejected), so that whoever waits on it moves on.
    register(() => {
      if (settled) return;
      settled = true;
      stop();
      reject(new RtcError('SIGNAL_INVALID', 'Cancelled.'));
    });
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      stop();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const secure = async (t: Transport): Promise<Connected> => {
      channelOpen = true;
      clearTimeout(fallback);
      return meeting.secure(t);
    };
    const succeed = (connected: Connected): void => {
      if (settled) {
        void connected.session.close('cancelled');
        return;
      }
      settled = true;
      clearTimeout(fallback);
      if (meeting.useUp) signaling.done();
      signaling.close();
      resolve(connected);
    };
    const send = async (signal: MeetingSignal): Promise<void> => {
      signaling.sendBlob(await cipher.seal(signal));
    };
    /**
     * A DataChannel attempt. When it finds no path, the relay is next (the offerer chooses it; the
     * answerer waits for its id); a session that fails on an open channel fails the meeting (a
     * failed handshake is never retried silently).
     */
    const watch = (c: SimplePeerConnection): void => {
      c.transport.then(secure).then(succeed, (e: unknown) => {
        if (relay || settled) return;
        if (channelOpen) fail(e);
        else if (meeting.climbing) fail(new RtcError('ICE_FAILED', NO_BETTER_ROUTE));
        else if (offerer) offerRelay();
      });
    };
    /** Both sides go to the relay room; the DataChannel attempt, if any, is dropped. */
    const useRelay = (room: Uint8Array): void => {
      if (relay || channelOpen) return;
      clearTimeout(fallback);
      relay = relayTo({ url: signalingUrl, roomId: room, initiator: offerer });
      conn?.close();
      relay.transport.then(secure).then(succeed, fail);
    };
    const offerRelay = (): void => {
      if (!offerer || relay || channelOpen) return;
      if (meeting.climbing) {
        fail(new RtcError('ICE_FAILED', NO_BETTER_ROUTE));
        return;
      }
      const room = randomBytes(32);
      send({ type: 'relay', room: toBase64Url(room) })
        .then(() => useRelay(room))
        .catch(fail);
    };
    const startOffer = (): void => {
      if (!offerer || conn || relay) return;
      if (config.alwaysRelay) {
        offerRelay();
        return;
      }
      conn = turn.connection(true);
      const c = conn;
      c.localSignal()
        .then(async (d) => send(d))
        .catch(fail);
      watch(c);
      const wait = meeting.climbing ? CLIMB_CHANNEL_MS : RELAY_FALLBACK_MS;
      fallback = setTimeout(offerRelay, deps.relayFallbackMs ?? wait);
    };
    signaling.on('hello', (peers) => {
      meeting.onProgress?.(peers > 0 ? 'connecting' : 'waiting');
      if (peers > 0) startOffer();
    });
    signaling.on('peer-joined', () => {
      meeting.onProgress?.('connecting');
      startOffer();
    });
    signaling.on('peer-left', () => {
      if (meeting.peerLeft && !channelOpen) fail(meeting.peerLeft());
    });
    signaling.on('blob', (blob) => {
      cipher
        .open(blob)
        .then((msg) => {
          if (!isMeetingSignal(msg))
            throw new ProtocolError('BAD_SIGNAL', 'A pairing message had the wrong shape.');
          const unexpected = (): ProtocolError =>
            new ProtocolError('BAD_SIGNAL', 'An unexpected pairing message arrived.');
          if (msg.type === 'relay') {
            if (offerer) throw unexpected();
            useRelay(fromBase64Url(msg.room));
            return;
          }
          if (msg.type === 'relay-please') {
            if (!offerer) throw unexpected();
            offerRelay();
            return;
          }
          if (offerer) {
            if (msg.type !== 'answer' || !conn || relay) throw unexpected();
            conn.acceptRemote(msg);
            return;
          }
          if (msg.type !== 'offer' || conn) throw unexpected();
          if (config.alwaysRelay) {
            // No answer, so none of this device's addresses reaches the other side.
            if (!relay) send({ type: 'relay-please' }).catch(fail);
            return;
          }
          if (relay) return; // the relay came first
          conn = turn.connection(false);
          const c = conn;
          c.acceptRemote(msg);
          c.localSignal()
            .then(async (d) => send(d))
            .catch(fail);
          watch(c);
        })
        .catch(fail);
    });
    signaling.on('close', (info) => {
      // A normal close comes after `done` (the connection is made, or being secured): not a failure.
      // Nor is losing the worker once a channel is open: the room has done its part (as for
      // `peer-left`), and the handshake on that channel decides (an invite room then stays unused
      // until its idle expiry).
      if (!info.normal && !channelOpen) fail(new RtcError('SIGNAL_INVALID', info.message));
    });
  });
}
