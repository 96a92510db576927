/**
 * SecMsg protocol v0.1 session: a hybrid post-quantum Noise handshake
 * (Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256, ML-DSA-87 signatures) bound to the DTLS session,
 * then HMAC-framed AES-GCM frames carrying conversation-ratchet messages, over an ordered,
 * reliable duplex byte channel.
 *
 *   initiator (WebRTC offerer)                          responder (answerer)
 *   prologue = "SecMsg/0.1" ‖ offerer DTLS fp ‖ answerer DTLS fp   (each side from its own SDP)
 *     HANDSHAKE_REQUEST  [-> e, e1]                    ─────────►
 *               ◄─────────   HANDSHAKE_RESPONSE [<- e, ee, ekem1, s, es] + payload(responder)
 *     HANDSHAKE_FINISH   [-> s, se] + payload(initiator) ─────────►
 *   payload = introduction, ML-DSA-87 key, ratchet announcement, key rotations, and an ML-DSA-87
 *             signature over the handshake hash before the payload (handshake-payload.ts)
 *   Split(): AES-GCM keys per direction; HKDF(ck, h, "SecMsg/0.1 frame-mac") → HMAC keys;
 *            HKDF(ck, h, "SecMsg/0.1 ratchet init") → the conversation ratchet's start (ratchet.ts)
 *     REGULAR_MESSAGE / CLOSE frames, both ways, seq from 0 per direction; a REGULAR_MESSAGE
 *     carries one ratchet message (docs/ratchet.md), which the app decrypts and commits
 *
 * SecMsg runs only this suite: a peer that offers the classical handshake alone (a first message
 * without the ML-KEM key), or a payload without the ML-DSA key and signature, is refused with a
 * sentence, never talked to with less.
 *
 * Handshake frames carry sequence 0 and timestamp 0 (the clock travels inside the encrypted
 * payload), so every header bit of a handshake frame is checked. A handshake that fails to
 * authenticate is reported as possible interception and never retried silently.
 *
 * What the peer says about itself is bounded before anything uses it: its user id is derived from
 * its authenticated static key (user-id.ts), never read from it; its clock must lie within a day
 * of ours (frame timestamps are then checked against it); its close reason never becomes our
 * words (`SessionClose.peerReason` keeps it apart). `verifyPeer` lets the caller refuse the peer's
 * static key before this side reveals its own: on the initiator, right after message 2 and before
 * message 3 carries our static key (so a worker-invite joiner, which initiates, checks the inviter
 * first).
 */
import { bufferView, concatBytes, constantTimeEqual, decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { type SigningKeyPair, signWithIdentityKey } from '../crypto/ml-dsa-key';
import { mlDsa87Verify } from '../crypto/ml-dsa';
import type { ByteChannel } from './channel';
import { ProtocolError, type ProtocolErrorCode } from './errors';
import { createEmitter } from './events';
import {
  FRAME_HEADER_LENGTH,
  FRAME_MAC_LENGTH,
  FrameType,
  MAX_FRAME_PAYLOAD,
  decodeFrame,
  encodeFrame,
  type FrameHeader,
} from './frame';
import {
  HANDSHAKE_SIGNATURE_CONTEXT,
  RATCHET_ID_LENGTH,
  decodeHandshakePayload,
  encodeHandshakePayload,
  type HandshakePayload,
  type RatchetAnnouncement,
} from './handshake-payload';
import type { KeyRotation } from './key-rotation';
import { createHandshake, type DhKeyPair, type NoiseHandshake } from './noise';
import {
  type RatchetInitKeys,
  decodeRatchetMessage,
  deriveRatchetInit,
  generateRatchetInitKeys,
} from './ratchet';
import { FrameProtector, deriveFrameMacKeys } from './secure-frames';
import { deriveUserId } from './user-id';
import { ML_DSA_87_SIGNATURE_LENGTH, ML_KEM_1024_PUBLIC_KEY_LENGTH } from '../crypto/pq-lengths';
import { PROLOGUE_LABEL, PROTOCOL_VERSION } from './version';

export const DTLS_FINGERPRINT_LENGTH = 32;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;
/** Consecutive bad frames after which the session closes. */
export const MAX_CONSECUTIVE_FAILURES = 3;
const MAX_CLOSE_REASON_BYTES = 256;
/** A peer clock further than this from ours is implausible and refused (DESIGN.md, Frames). */
export const MAX_CLOCK_OFFSET_MS = 24 * 60 * 60 * 1000;

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
   * The ratchet material of this session, once it is open (for the app only: it holds secrets).
   * Handed out once: a second call returns undefined.
   */
  takeRatchetStart(): RatchetStart | undefined;
  close(reason?: string): Promise<void>;
  on<K extends keyof SessionEvents>(event: K, fn: SessionEvents[K]): () => void;
}

export function buildPrologue(
  initiator: boolean,
  localFingerprint: Uint8Array,
  remoteFingerprint: Uint8Array,
): Uint8Array {
  for (const [name, fp] of [
    ['localFingerprint', localFingerprint],
    ['remoteFingerprint', remoteFingerprint],
  ] as const) {
    if (!(fp instanceof Uint8Array) || fp.length !== DTLS_FINGERPRINT_LENGTH) {
      throw new ProtocolError('BAD_ARGUMENT', `${name} must be a 32-byte SHA-256 DTLS fingerprint.`);
    }
  }
  const [offerer, answerer] = initiator
    ? [localFingerprint, remoteFingerprint]
    : [remoteFingerprint, localFingerprint];
  return concatBytes(utf8(PROLOGUE_LABEL), offerer, answerer);
}

function interception(cause: unknown): ProtocolError {
  return new ProtocolError(
    'POSSIBLE_INTERCEPTION',
    'The secure handshake failed: the connection may be intercepted. Nothing was sent. Pair again, and compare safety numbers.',
    { cause },
  );
}

/** The peer's close reason as text, or '' when it is not valid UTF-8. */
function closeReason(plaintext: Uint8Array): string {
  try {
    return decodeUtf8Strict(plaintext).slice(0, MAX_CLOSE_REASON_BYTES);
  } catch {
    return '';
  }
}

/** The header a refused frame claims, for the inspector; undefined when it does not parse. */
function claimedHeader(data: Uint8Array): FrameHeader | undefined {
  try {
    return decodeFrame(data).header;
  } catch {
    return undefined;
  }
}

/** Serial task queue: WebCrypto calls resolve in any order, frames must not. */
function createQueue(): (task: () => Promise<void> | void) => Promise<void> {
  let tail: Promise<void> = Promise.resolve();
  return async (task) => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function createSession(options: SessionOptions): Session {
  const { channel, initiator, identity } = options;
  const now = options.now ?? Date.now;
  const prologue = buildPrologue(initiator, options.localFingerprint, options.remoteFingerprint);
  const maxPayload = Math.min(
    MAX_FRAME_PAYLOAD,
    (options.maxMessageSize ?? MAX_FRAME_PAYLOAD + FRAME_HEADER_LENGTH + FRAME_MAC_LENGTH) -
      FRAME_HEADER_LENGTH -
      FRAME_MAC_LENGTH,
  );
  if (!(maxPayload > 64))
    throw new ProtocolError('BAD_ARGUMENT', 'maxMessageSize is too small for SecMsg frames.');
  const ourRatchetId = options.ratchetId ?? new Uint8Array(RATCHET_ID_LENGTH);
  if (!(ourRatchetId instanceof Uint8Array) || ourRatchetId.length !== RATCHET_ID_LENGTH) {
    throw new ProtocolError('BAD_ARGUMENT', `ratchetId must be ${RATCHET_ID_LENGTH} bytes.`);
  }
  const introduction = {
    version: { ...PROTOCOL_VERSION },
    displayName: identity.displayName,
    capabilities: options.capabilities ?? [],
    signingKey: identity.signing.publicKey,
    rotations: [...(identity.rotations ?? [])],
  };
  // Validates our own identity up front (the keys and signature are placeholders of their sizes).
  encodeHandshakePayload({
    ...introduction,
    clock: now(),
    ratchet: {
      id: ourRatchetId,
      dhPublicKey: new Uint8Array(32),
      kemPublicKey: new Uint8Array(ML_KEM_1024_PUBLIC_KEY_LENGTH),
    },
    signature: new Uint8Array(ML_DSA_87_SIGNATURE_LENGTH),
  });
  /** Fresh ratchet keys for this session, announced in our payload (docs/ratchet.md). */
  const ratchetKeys = generateRatchetInitKeys();
  ratchetKeys.catch(() => undefined); // awaited by the handshake, which reports a failure
  let peerRatchet: RatchetAnnouncement | undefined;
  let ratchetStart: RatchetStart | undefined;

  const events = createEmitter<SessionEvents>();
  const inbound = createQueue();
  const outbound = createQueue();
  const hs: NoiseHandshake = createHandshake({ initiator, prologue, s: identity.keyPair, pattern: 'XXhfs' });
  let state: SessionState = 'handshaking';
  let protector: FrameProtector | undefined;
  let failures = 0;
  let closing = false;
  let handshakeFramesRead = 0;
  let resolveReady!: (info: PeerInfo) => void;
  let rejectReady!: (e: ProtocolError) => void;
  const ready = new Promise<PeerInfo>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // callers that never await `ready` learn of failure via 'close'

  const timer = setTimeout(() => {
    fail(
      new ProtocolError('HANDSHAKE_TIMEOUT', 'The other side did not complete the secure handshake in time.'),
    );
  }, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);

  const unsubscribe = [
    channel.on('message', (data: Uint8Array) => {
      void inbound(async () => receive(data));
    }),
    // Frames that arrived before the close are still processed first (a CLOSE among them).
    channel.on('close', () => {
      void inbound(onChannelClose);
    }),
  ];

  function onChannelClose(): void {
    if (state === 'closed') return;
    if (state === 'handshaking') {
      fail(
        new ProtocolError(
          'HANDSHAKE_ABORTED',
          'The connection closed before the secure handshake finished: the connection may be intercepted, or the other side gave up.',
        ),
      );
    } else {
      finish({ by: 'channel', message: 'The connection was lost.' });
    }
  }

  function finish(info: SessionClose): void {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(timer);
    for (const u of unsubscribe) u();
    channel.close();
    events.emit('close', info);
  }

  function fail(error: ProtocolError): void {
    if (state === 'closed') return;
    const wasHandshaking = state === 'handshaking';
    if (wasHandshaking) rejectReady(error);
    finish({ by: 'error', code: error.code, message: error.message });
  }

  function sendRaw(frame: Uint8Array, header: FrameHeader): void {
    channel.send(frame);
    events.emit('frame', { at: now(), direction: 'out', header, size: frame.length, result: 'ok' });
  }

  function sendHandshake(type: FrameType, message: Uint8Array): void {
    const header: FrameHeader = { type, flags: 0, seq: 0, timestamp: 0, length: message.length };
    sendRaw(encodeFrame({ header, payload: message }), header);
  }

  /**
   * Our payload for the message being written, signed over the handshake hash as it stands before
   * it (DESIGN.md, Transport session).
   */
  async function ourPayload(hashBeforePayload: Uint8Array): Promise<Uint8Array> {
    const keys = await ratchetKeys;
    const payload: HandshakePayload = {
      ...introduction,
      clock: now(),
      ratchet: { id: ourRatchetId, dhPublicKey: keys.dh.publicKey, kemPublicKey: keys.kem.publicKey },
      signature: await signWithIdentityKey(
        identity.signing.privateKey,
        hashBeforePayload,
        HANDSHAKE_SIGNATURE_CONTEXT,
      ),
    };
    return encodeHandshakePayload(payload);
  }

  async function acceptPeer(payloadBytes: Uint8Array): Promise<PeerInfo> {
    const payload = decodeHandshakePayload(payloadBytes);
    const signedHash = hs.lastPayloadHash;
    if (
      !signedHash ||
      !mlDsa87Verify(payload.signingKey, signedHash, payload.signature, HANDSHAKE_SIGNATURE_CONTEXT)
    ) {
      throw new ProtocolError(
        'POSSIBLE_INTERCEPTION',
        'The other device’s post-quantum signature over the handshake did not verify: the connection may be intercepted. Nothing was sent.',
      );
    }
    if (
      payload.version.major !== PROTOCOL_VERSION.major ||
      payload.version.minor !== PROTOCOL_VERSION.minor
    ) {
      throw new ProtocolError(
        'INCOMPATIBLE_VERSION',
        `The other side speaks SecMsg protocol v${payload.version.major}.${payload.version.minor}, which this app cannot talk to; update both apps.`,
      );
    }
    const staticKey = hs.remoteStaticKey;
    if (!staticKey)
      throw new ProtocolError('HANDSHAKE_STATE', 'The other side did not present an identity key.');
    if (
      constantTimeEqual(staticKey, identity.keyPair.publicKey) ||
      constantTimeEqual(payload.signingKey, identity.signing.publicKey)
    ) {
      throw new ProtocolError(
        'OWN_KEY',
        "The other side presented this device's own identity key: it is either this device talking to itself or someone replaying our key.",
      );
    }
    const clockOffsetMs = payload.clock - now();
    if (Math.abs(clockOffsetMs) > MAX_CLOCK_OFFSET_MS) {
      throw new ProtocolError(
        'BAD_CLOCK',
        "The other device's clock is more than a day away from this one's. Set the right date and time on both devices, then connect again.",
      );
    }
    await options.verifyPeer?.({ staticKey, signingKey: payload.signingKey });
    peerRatchet = payload.ratchet;
    return {
      staticKey,
      signingKey: payload.signingKey,
      userId: deriveUserId(staticKey, payload.signingKey),
      suite: hs.protocolName,
      rotations: payload.rotations,
      displayName: payload.displayName,
      capabilities: payload.capabilities,
      protocolVersion: payload.version,
      clockOffsetMs,
      handshakeHash: new Uint8Array(0),
      prologue: prologue.slice(),
    };
  }

  async function completeHandshake(peer: PeerInfo): Promise<void> {
    const { send, recv } = hs.split();
    const handshakeHash = hs.handshakeHash();
    const keys = await deriveFrameMacKeys(hs.chainingKey(), handshakeHash);
    const { rootKey, ratchetId } = deriveRatchetInit(hs.chainingKey(), handshakeHash);
    ratchetStart = {
      initiator,
      rootKey,
      ratchetId,
      ours: await ratchetKeys,
      theirs: peerRatchet!,
      ourId: ourRatchetId.slice(),
    };
    protector = new FrameProtector({
      send,
      recv,
      sendMac: initiator ? keys.initiatorToResponder : keys.responderToInitiator,
      recvMac: initiator ? keys.responderToInitiator : keys.initiatorToResponder,
      maxPayload,
      now,
      peerClockOffsetMs: peer.clockOffsetMs,
    });
    clearTimeout(timer);
    state = 'open';
    resolveReady({ ...peer, handshakeHash });
  }

  async function handshakeStep(data: Uint8Array): Promise<void> {
    const frame = decodeFrame(data, maxPayload);
    const { header } = frame;
    const expected = initiator
      ? FrameType.HANDSHAKE_RESPONSE
      : handshakeFramesRead === 0
        ? FrameType.HANDSHAKE_REQUEST
        : FrameType.HANDSHAKE_FINISH;
    if (header.type !== expected) {
      throw new ProtocolError('HANDSHAKE_STATE', 'A handshake message arrived out of order.');
    }
    if (header.seq !== 0 || header.timestamp !== 0) {
      throw new ProtocolError('HANDSHAKE_STATE', 'A handshake message arrived with an unexpected header.');
    }
    events.emit('frame', { at: now(), direction: 'in', header, size: data.length, result: 'ok' });
    handshakeFramesRead++;
    let payload: Uint8Array;
    try {
      payload = await hs.readMessage(frame.payload);
    } catch (e) {
      if (ProtocolError.is(e, 'DECRYPT_FAILED')) throw interception(e);
      throw e;
    }
    if (header.type === FrameType.HANDSHAKE_REQUEST) {
      if (payload.length !== 0)
        throw new ProtocolError('BAD_HANDSHAKE_PAYLOAD', 'The first handshake message must not carry data.');
      sendHandshake(FrameType.HANDSHAKE_RESPONSE, await hs.writeMessage(ourPayload));
      return;
    }
    const peer = await acceptPeer(payload);
    if (header.type === FrameType.HANDSHAKE_RESPONSE) {
      sendHandshake(FrameType.HANDSHAKE_FINISH, await hs.writeMessage(ourPayload));
    }
    await completeHandshake(peer);
  }

  async function receive(data: Uint8Array): Promise<void> {
    if (state === 'closed') return;
    if (state === 'handshaking') {
      try {
        await handshakeStep(data);
      } catch (e) {
        fail(
          ProtocolError.is(e)
            ? e
            : new ProtocolError('HANDSHAKE_STATE', 'The secure handshake failed unexpectedly.', { cause: e }),
        );
      }
      return;
    }
    const p = protector!;
    let opened;
    try {
      // The ratchet message's structure is checked before the receive counter advances: a frame
      // that decrypts but carries a malformed one is refused like any bad frame, and advances nothing.
      opened = await p.open(data, (header, plaintext) => {
        if (header.type !== FrameType.CLOSE) decodeRatchetMessage(plaintext);
      });
    } catch (e) {
      const error = ProtocolError.is(e)
        ? e
        : new ProtocolError('DECRYPT_FAILED', 'A message could not be opened.', { cause: e });
      refuse(error, data.length, claimedHeader(data));
      return;
    }
    const { header, plaintext } = opened;
    if (header.type === FrameType.CLOSE) {
      events.emit('frame', { at: now(), direction: 'in', header, size: data.length, result: 'ok' });
      const reason = closeReason(plaintext);
      finish({
        by: 'peer',
        message: 'The other side ended the session.',
        ...(reason ? { peerReason: reason } : {}),
      });
      return;
    }
    failures = 0;
    events.emit('frame', { at: now(), direction: 'in', header, size: data.length, result: 'ok' });
    events.emit('message', plaintext);
  }

  function refuse(error: ProtocolError, size: number, header?: FrameHeader): void {
    failures++;
    events.emit('frame', {
      at: now(),
      direction: 'in',
      ...(header ? { header } : {}),
      size,
      result: error.code,
    });
    events.emit('error', error);
    if (failures >= MAX_CONSECUTIVE_FAILURES) {
      void close('too many invalid messages', {
        by: 'error',
        code: 'TOO_MANY_ERRORS',
        message: 'The session was closed after three invalid messages in a row.',
      });
    }
  }

  async function sealAndSend(
    type: typeof FrameType.REGULAR_MESSAGE | typeof FrameType.CLOSE,
    plaintext: Uint8Array,
  ): Promise<void> {
    const frame = await protector!.seal(type, plaintext);
    sendRaw(frame, decodeFrame(frame, maxPayload).header);
  }

  async function close(reason = '', info?: SessionClose): Promise<void> {
    if (state === 'closed') return;
    if (state === 'open' && !closing) {
      closing = true; // refuse further sends at once
      const bytes = utf8(reason);
      try {
        await outbound(async () => sealAndSend(FrameType.CLOSE, bytes.subarray(0, MAX_CLOSE_REASON_BYTES)));
      } catch {
        // best effort: the channel may already be gone
      }
    }
    finish(info ?? { by: 'local', message: 'You ended the session.' });
  }

  // The initiator opens the handshake at once.
  if (initiator) {
    void inbound(async () => {
      try {
        sendHandshake(FrameType.HANDSHAKE_REQUEST, await hs.writeMessage(new Uint8Array(0)));
      } catch (e) {
        fail(
          ProtocolError.is(e)
            ? e
            : new ProtocolError('HANDSHAKE_STATE', 'The secure handshake could not start.', { cause: e }),
        );
      }
    });
  }

  return {
    ready,
    get state() {
      return state;
    },
    get maxMessageSize() {
      return maxPayload - 16;
    },
    takeRatchetStart() {
      const start = ratchetStart;
      ratchetStart = undefined;
      return start;
    },
    async send(message) {
      if (state !== 'open' || closing) {
        throw new ProtocolError(
          'CLOSED',
          state === 'handshaking' && !closing
            ? 'The secure session is not ready yet.'
            : 'The session is closed; reconnect to send.',
        );
      }
      if (!(message instanceof Uint8Array)) throw new ProtocolError('BAD_ARGUMENT', 'message must be bytes.');
      const plaintext = bufferView(message);
      await outbound(async () => {
        if (state !== 'open' || closing)
          throw new ProtocolError('CLOSED', 'The session is closed; reconnect to send.');
        await sealAndSend(FrameType.REGULAR_MESSAGE, plaintext);
      });
    },
    close,
    on: events.on,
  };
}
