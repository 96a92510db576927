/**
 * The session's types (session.ts implements them): who this side is, what it learns of the peer,
 * the ratchet material a handshake hands the app, its events and its interface.
 */
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import type { ByteChannel } from './channel';
import type { ProtocolError, ProtocolErrorCode } from './errors';
import type { FrameHeader } from './frame';
import type { RatchetAnnouncement } from './handshake-payload';
import type { KeyRotation } from './key-rotation';
import type { DhKeyPair } from './noise';
import type { RatchetInitKeys } from './ratchet';

export interface SessionIdentity {
  keyPair: DhKeyPair;
  /** The ML-DSA-87 identity key pair: signs every handshake. */
  signing: SigningKeyPair;
  /** Derived from both public keys (user-id.ts). */
  userId: Uint8Array;
  displayName: string;
  /** This identity's latest key rotations, oldest first, announced so contacts can follow them. */
  rotations?: readonly KeyRotation[];
}

/** What the app needs to start or continue the conversation ratchet after the handshake. */
export interface RatchetStart {
  /** This side was the Noise initiator ("Alice" if a new ratchet starts, docs/ratchet.md). */
  initiator: boolean;
  /** A new ratchet's root key and id, from this session (`deriveRatchetInit`). */
  rootKey: Uint8Array;
  ratchetId: Uint8Array;
  /** The ratchet keys this side announced, with their private halves. */
  ours: RatchetInitKeys;
  /** What the peer announced: the ratchet id it holds (all zero: none) and its fresh keys. */
  theirs: RatchetAnnouncement;
  /** The ratchet id this side announced (all zero: none). */
  ourId: Uint8Array;
}

export interface SessionOptions {
  channel: ByteChannel;
  /** True on the WebRTC offerer. */
  initiator: boolean;
  /** SHA-256 DTLS certificate fingerprints (32 bytes each) from the local and remote SDP. */
  localFingerprint: Uint8Array;
  remoteFingerprint: Uint8Array;
  /**
   * On the worker relay route (no DTLS): the relay room's 32-byte id, which the prologue binds
   * instead of the fingerprints (DESIGN.md, Transport session).
   */
  relayRoomId?: Uint8Array;
  /**
   * A secret both sides derived while pairing (32 bytes: short-code.ts's Noise binding), appended
   * to the prologue (prologue.ts `bindPairing`), so that the handshake completes only between the
   * two who took part in that pairing.
   */
  pairingBinding?: Uint8Array;
  identity: SessionIdentity;
  capabilities?: string[];
  /** The channel's largest message in bytes (the peer's SDP max-message-size). */
  maxMessageSize?: number;
  now?: () => number;
  handshakeTimeoutMs?: number;
  /**
   * Checks the peer's keys (authenticated by Noise and its ML-DSA signature) before the session
   * opens; throw a ProtocolError to refuse them. On the initiator it runs before our static key is
   * sent.
   */
  verifyPeer?: (keys: { staticKey: Uint8Array; signingKey: Uint8Array }) => Promise<void>;
  /** The id of the conversation ratchet this side holds with the expected peer, if any. */
  ratchetId?: Uint8Array;
}

export interface PeerInfo {
  /** The peer's X25519 identity public key, authenticated by the handshake. */
  staticKey: Uint8Array;
  /** The peer's ML-DSA-87 identity public key; its signature over the handshake verified. */
  signingKey: Uint8Array;
  /** Derived here from both keys (user-id.ts); the peer does not send one. */
  userId: Uint8Array;
  /** The Noise protocol name this session ran. */
  suite: string;
  /** Key rotations the peer announced, oldest first: claims until the app checks them against a pin. */
  rotations: KeyRotation[];
  displayName: string;
  capabilities: string[];
  protocolVersion: { major: number; minor: number };
  /** Peer clock minus ours at the handshake, in ms. */
  clockOffsetMs: number;
  /** The Noise handshake hash: a value both sides share only if nobody sits in the middle. */
  handshakeHash: Uint8Array;
  /** The Noise prologue this side used (label ‖ offerer fp ‖ answerer fp). */
  prologue: Uint8Array;
}

export type SessionState = 'handshaking' | 'open' | 'closed';

export interface SessionClose {
  by: 'local' | 'peer' | 'error' | 'channel';
  /** Our own sentence for why the session ended; never contains text the peer chose. */
  message: string;
  code?: ProtocolErrorCode;
  /**
   * The reason the peer gave in its CLOSE frame (at most 256 bytes of valid UTF-8), kept apart
   * from `message`: it is the peer's text, to be shown only as such, made visible.
   */
  peerReason?: string;
}

/** One frame in or out, for the protocol inspector. Never holds plaintext. */
export interface FrameEvent {
  /** When the frame was sent or received, by this side's clock (ms). */
  at: number;
  direction: 'in' | 'out';
  /** For a refused frame, the header as it arrived (unauthenticated), when it could be parsed. */
  header?: FrameHeader;
  size: number;
  result: 'ok' | ProtocolErrorCode;
}

export type SessionEvents = {
  /** One conversation-ratchet message (structure checked; the app decrypts it). */
  message: (message: Uint8Array) => void;
  /** One FILE_CHUNK frame's plaintext (structure checked: file-chunk.ts); the app verifies and decrypts it. */
  chunk: (chunk: Uint8Array) => void;
  /** A frame was refused; the session goes on unless this was the third in a row. */
  error: (error: ProtocolError) => void;
  close: (info: SessionClose) => void;
  frame: (event: FrameEvent) => void;
};

export interface Session {
  readonly ready: Promise<PeerInfo>;
  readonly state: SessionState;
  /** The largest ratchet message this session can send, in bytes. */
  readonly maxMessageSize: number;
  /** Sends one conversation-ratchet message (ratchet.ts) in a REGULAR_MESSAGE frame. */
  send(message: Uint8Array): Promise<void>;
  /**
   * Sends one encoded file chunk (file-chunk.ts) in a FILE_CHUNK frame, in order with `send`'s;
   * given whole or as parts that follow one another (chunkFrameParts), which must not change
   * until the promise settles.
   */
  sendChunk(chunk: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /**
   * The ratchet material of this session, once it is open (for the app only: it holds secrets).
   * Handed out once: a second call returns undefined.
   */
  takeRatchetStart(): RatchetStart | undefined;
  close(reason?: string): Promise<void>;
  on<K extends keyof SessionEvents>(event: K, fn: SessionEvents[K]): () => void;
}
