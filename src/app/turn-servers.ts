/**
 * TURN servers for a connection made through the signaling worker (DESIGN.md, Routes and
 * delivery, item 2; the wire contract is src/protocol/turn.ts). Once both sides are in the room,
 * each asks it for credentials, once; a WebRTC connection is created when the answer is in (or
 * after TURN_WAIT_MS without one), with the user's own ICE servers from Settings first and the
 * worker's after them. A refusal or a silent worker only means no TURN: the connection goes ahead
 * with the user's servers, as before.
 *
 *   signaling: hello(peers: 1) or peer-joined ─► requestTurn() ─► turn / no-turn
 *   turnConnection(true|false) ─► waits for that ─► createSimplePeerTransport({ iceServers, policy })
 *
 * simple-peer creates its RTCPeerConnection in its constructor, and an offerer starts gathering
 * at once, so the servers must be known before it is made: turnConnection() returns a
 * SimplePeerConnection at once and makes the real one when the servers are known, holding an
 * early acceptRemote() until then.
 */
import { turnRefusalMessage, type TurnAnswer, type TurnServer } from '../protocol/turn';
import { RtcError } from '../rtc/errors';
import { checkDescription, type SessionDescription } from '../rtc/sdp';
import type { SignalingClient } from '../rtc/signaling-client';
import {
  createSimplePeerTransport,
  type SimplePeerConnection,
  type SimplePeerTransportOptions,
} from '../rtc/simple-peer-transport';
import type { AppConfig } from './config';

/** The longest a connection waits for the worker's TURN answer before going ahead without it. */
export const TURN_WAIT_MS = 2_000;

/** The ICE part of a connection's options: servers and the transport policy. */
export type IceOptions = Pick<SimplePeerTransportOptions, 'iceServers' | 'iceTransportPolicy'>;

/** The user's own ICE settings, for connections that do not go through the worker (invite codes). */
export function ownIceOptions(config: Pick<AppConfig, 'iceServers' | 'iceTransportPolicy'>): IceOptions {
  return {
    iceServers: config.iceServers,
    ...(config.iceTransportPolicy ? { iceTransportPolicy: config.iceTransportPolicy } : {}),
  };
}

/** The user's servers first, then the worker's TURN servers, as RTCIceServer records. */
export function mergeIceServers(
  own: readonly RTCIceServer[],
  granted: readonly TurnServer[],
): RTCIceServer[] {
  return [
    ...own,
    ...granted.map((s): RTCIceServer => ({
      urls: [...s.urls],
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(s.credential !== undefined ? { credential: s.credential } : {}),
    })),
  ];
}

export interface TurnAsk {
  /** Resolves with the ICE options once the room answered, or after the wait; never rejects. */
  iceOptions(): Promise<IceOptions>;
  /** A connection made with iceOptions() once they are known (see the header). */
  connection(initiator: boolean): SimplePeerConnection;
  /** The worker's last answer, for whoever wants to say why there is no TURN. */
  answer(): TurnAnswer | undefined;
}

export interface TurnAskDeps {
  waitMs?: number;
  /** Makes the real connection; tests pass a fake. */
  create?: (options: SimplePeerTransportOptions) => SimplePeerConnection;
}

/**
 * Listens on a meeting's signaling connection: asks the room for TURN credentials as soon as the
 * other side is there (the room refuses a lone peer), once.
 */
export function askRoomForTurn(
  signaling: Pick<SignalingClient, 'on' | 'requestTurn'>,
  config: Pick<AppConfig, 'iceServers' | 'iceTransportPolicy'>,
  deps: TurnAskDeps = {},
): TurnAsk {
  const waitMs = deps.waitMs ?? TURN_WAIT_MS;
  const create = deps.create ?? createSimplePeerTransport;
  let asked = false;
  let last: TurnAnswer | undefined;
  let settle: (answer: TurnAnswer | undefined) => void = () => undefined;
  const answered = new Promise<TurnAnswer | undefined>((resolve) => (settle = resolve));
  let timer: ReturnType<typeof setTimeout> | undefined;

  const ask = (): void => {
    if (asked) return;
    asked = true;
    signaling.requestTurn();
    timer = setTimeout(() => settle(undefined), waitMs);
  };
  signaling.on('hello', (peers) => {
    if (peers > 0) ask();
  });
  signaling.on('peer-joined', ask);
  signaling.on('turn', (answer) => {
    last = answer;
    clearTimeout(timer);
    if (answer.t === 'no-turn') console.info('SecMsg:', turnRefusalMessage(answer.reason));
    settle(answer);
  });
  // A closed room answers nothing more: go ahead with what there is.
  signaling.on('close', () => {
    clearTimeout(timer);
    settle(undefined);
  });

  const iceOptions = async (): Promise<IceOptions> => {
    ask(); // a connection is wanted now: the other side is in the room, whatever was heard
    const answer = await answered;
    const granted = answer?.t === 'turn' ? answer.servers : [];
    return { ...ownIceOptions(config), iceServers: mergeIceServers(config.iceServers, granted) };
  };

  return {
    iceOptions,
    connection: (initiator) => lazyConnection(iceOptions(), (ice) => create({ initiator, ...ice })),
    answer: () => last,
  };
}

const closedError = (): RtcError => new RtcError('CHANNEL_CLOSED', 'The connection is closed.');

/** A SimplePeerConnection whose real one is made once `options` resolves. */
function lazyConnection(
  options: Promise<IceOptions>,
  make: (ice: IceOptions) => SimplePeerConnection,
): SimplePeerConnection {
  let real: SimplePeerConnection | undefined;
  let closed = false;
  let early: SessionDescription | undefined;
  const ready = options.then((ice) => {
    if (closed) throw closedError();
    real = make(ice);
    if (early) real.acceptRemote(early);
    return real;
  });
  const transport = ready.then(async (r) => r.transport);
  // Callers that never ask are not an error (as in simple-peer-transport.ts).
  ready.catch(() => undefined);
  transport.catch(() => undefined);
  return {
    transport,
    localSignal: async () => (await ready).localSignal(),
    acceptRemote(desc) {
      if (closed) throw closedError();
      if (real) {
        real.acceptRemote(desc);
        return;
      }
      if (early)
        throw new RtcError('SIGNAL_INVALID', "The other device's connection details were already given.");
      early = checkDescription(desc).desc; // a bad description is refused now, as the real one would
    },
    close() {
      closed = true;
      real?.close();
    },
  };
}
