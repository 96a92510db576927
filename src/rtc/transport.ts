/**
 * The transport contract every SecMsg connection satisfies: an ordered, reliable,
 * message-oriented duplex channel (a WebRTC DataChannel in the app, an in-memory pair in tests).
 * Events go through `on(event, fn)`, which returns an unsubscribe function; events that arrive
 * before a listener are queued, not lost.
 */
import type { ByteChannel } from '../protocol/channel';

export type TransportEvents = {
  /** The channel is open and `send` may be called. */
  open: () => void;
  /** One whole message from the other side. */
  message: (data: Uint8Array) => void;
  /** The channel is closed, by either side or by failure; no more events follow. */
  close: () => void;
  /** Something went wrong; a `close` follows when the channel cannot go on. */
  error: (error: Error) => void;
};

/**
 * What the session binds to: both DTLS fingerprints (or, on the worker relay, its room id), the
 * role, and the size limit.
 */
export interface TransportInfo {
  initiator: boolean;
  /** All zero on the worker relay, which has no DTLS (the session binds `relayRoomId` instead). */
  localFingerprint: Uint8Array;
  remoteFingerprint: Uint8Array;
  maxMessageSize: number;
  /** Set on the worker relay route: the relay room's 32-byte id. */
  relayRoomId?: Uint8Array;
}

/** One end of the ICE candidate pair in use (W3C webrtc-stats, RTCIceCandidateStats). */
export interface CandidateInfo {
  /** How the address was found: local interface, STUN reflexive, peer reflexive, TURN relay. */
  type: 'host' | 'srflx' | 'prflx' | 'relay' | 'unknown';
  /** The transport between the candidates: 'udp' or 'tcp' ('unknown' when not reported). */
  protocol: string;
  /** An IP address or an mDNS name (`….local`); absent when the browser hides it. */
  address?: string;
  port?: number;
  /** For a local relay candidate: how this device reaches the TURN server ('udp', 'tcp', 'tls'). */
  relayProtocol?: string;
}

/** The network path the channel uses now: the selected ICE candidate pair. */
export interface PathInfo {
  local: CandidateInfo;
  remote: CandidateInfo;
}

export interface Transport extends ByteChannel {
  readonly info: TransportInfo;
  send(data: Uint8Array): void;
  close(): void;
  on<E extends keyof TransportEvents>(event: E, fn: TransportEvents[E]): () => void;
  /**
   * The candidate pair in use, for the protocol inspector; undefined when it is not known (not
   * connected yet, closed, or the platform reports no stats). Transports without a network path
   * (the in-memory pair) leave it out.
   */
  path?(): Promise<PathInfo | undefined>;
}
