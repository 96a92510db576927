/**
 * SecMsg protocol v0.1 session: a hybrid post-quantum Noise handshake
 * (Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256, ML-DSA-87 signatures) bound to the DTLS session,
 * then HMAC-framed AES-GCM frames carrying conversation-ratchet messages, over an ordered,
 * reliable duplex byte channel.
 *
 *   initiator (WebRTC offerer)                          responder (answerer)
 *   prologue = "SecMsg/0.1" ‖ offerer DTLS fp ‖ answerer DTLS fp   (each side from its own SDP;
 *              on the worker relay, the relay room instead: prologue.ts)
 *     HANDSHAKE_REQUEST  [-> e, e1]                    ─────────►
 *               ◄─────────   HANDSHAKE_RESPONSE [<- e, ee, ekem1, s, es] + payload(responder)
 *     HANDSHAKE_FINISH   [-> s, se] + payload(initiator) ─────────►
 *   payload = introduction, ML-DSA-87 key, ratchet announcement, key rotations, and an ML-DSA-87
 *             signature over the handshake hash before the payload (handshake-payload.ts)
 *   Split(): AES-GCM keys per direction; HKDF(ck, h, "SecMsg/0.1 frame-mac") → HMAC keys;
 *            HKDF(ck, h, "SecMsg/0.1 ratchet init") → the conversation ratchet's start (ratchet.ts)
 *     REGULAR_MESSAGE / FILE_CHUNK / CLOSE frames, both ways, seq from 0 per direction; a
 *     REGULAR_MESSAGE carries one ratchet message (docs/ratchet.md), which the app decrypts and
 *     commits; a FILE_CHUNK one piece of a file, encrypted under that file's key (file-chunk.ts)
 *     and only MAC'd by the frame (secure-frames.ts)
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
import { bufferView, decodeUtf8Strict, utf8 } from '../crypto/bytes';
import { ProtocolError } from './errors';
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
import type { RatchetAnnouncement } from './handshake-payload';
import { checkPeerIntroduction, createIntroduction } from './introduction';
import { createHandshake, type NoiseHandshake } from './noise';
import { bindPairing, buildPrologue, buildRelayPrologue } from './prologue';
import { decodeChunkFrame } from './file-chunk';
import { decodeRatchetMessage, deriveRatchetInit } from './ratchet';
import { FrameProtector, deriveFrameMacKeys, type SealedFrameType } from './secure-frames';
import type {
  PeerInfo,
  RatchetStart,
  Session,
  SessionClose,
  SessionEvents,
  SessionOptions,
  SessionState,
} from './session-types';

export type * from './session-types';
export { MAX_CLOCK_OFFSET_MS } from './introduction';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;
/** Consecutive bad frames after which the session closes. */
export const MAX_CONSECUTIVE_FAILURES = 3;
const MAX_CLOSE_REASON_BYTES = 256;

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
  const routePrologue = options.relayRoomId
    ? buildRelayPrologue(options.relayRoomId)
    : buildPrologue(initiator, options.localFingerprint, options.remoteFingerprint);
  const prologue = options.pairingBinding
    ? bindPairing(routePrologue, options.pairingBinding)
    : routePrologue;
  const maxPayload = Math.min(
    MAX_FRAME_PAYLOAD,
    (options.maxMessageSize ?? MAX_FRAME_PAYLOAD + FRAME_HEADER_LENGTH + FRAME_MAC_LENGTH) -
      FRAME_HEADER_LENGTH -
      FRAME_MAC_LENGTH,
  );
  if (!(maxPayload > 64))
    throw new ProtocolError('BAD_ARGUMENT', 'maxMessageSize is too small for SecMsg frames.');
  // What this side says about itself; checked now, so a bad name fails before anything is sent.
  const introduction = createIntroduction(identity, options.capabilities ?? [], options.ratchetId, now);
  let peerRatchet: RatchetAnnouncement | undefined;
  let ratchetStart: RatchetStart | undefined;

  const events = createEmitter<SessionEvents>();
  const inbound = createQueue();
  const outbound = createQueue();
  const hs: NoiseHandshake = createHandshake({ initiator, prologue, s: identity.keyPair, pattern: 'XXhfs' });
  let state: SessionState = 'handshaking';
  let protector: FrameProtector | undefined;
  /** The buffer FILE_CHUNK frames are built in, one after another (sealAndSend). */
  let chunkFrames: Uint8Array<ArrayBuffer> | undefined;
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
      // After the handshake each frame's HMAC check starts as it arrives (frames that come together
      // are checked at once); the frames are still opened one at a time, in order (receive).
      const mac = state === 'open' ? protector?.checkMac(data) : undefined;
      void inbound(async () => receive(data, mac));
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

  /** The peer's introduction, checked (introduction.ts); the caller's `verifyPeer` has the last word. */
  async function acceptPeer(payloadBytes: Uint8Array): Promise<PeerInfo> {
    const staticKey = hs.remoteStaticKey;
    if (!staticKey)
      throw new ProtocolError('HANDSHAKE_STATE', 'The other side did not present an identity key.');
    const checked = await checkPeerIntroduction(payloadBytes, hs.lastPayloadHash, staticKey, identity, now());
    await options.verifyPeer?.({ staticKey, signingKey: checked.signingKey });
    peerRatchet = checked.ratchet;
    return {
      ...checked.peer,
      suite: hs.protocolName,
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
      ours: await introduction.ratchetKeys,
      theirs: peerRatchet!,
      ourId: introduction.ratchetId.slice(),
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
      sendHandshake(FrameType.HANDSHAKE_RESPONSE, await hs.writeMessage(introduction.payload));
      return;
    }
    const peer = await acceptPeer(payload);
    if (header.type === FrameType.HANDSHAKE_RESPONSE) {
      sendHandshake(FrameType.HANDSHAKE_FINISH, await hs.writeMessage(introduction.payload));
    }
    await completeHandshake(peer);
  }

  async function receive(data: Uint8Array, mac?: Promise<boolean>): Promise<void> {
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
      // The ratchet message's (or file chunk's) structure is checked before the receive counter
      // advances: a frame that decrypts but carries a malformed one is refused like any bad frame,
      // and advances nothing.
      opened = await p.open(
        data,
        (header, plaintext) => {
          if (header.type === FrameType.REGULAR_MESSAGE) decodeRatchetMessage(plaintext);
          else if (header.type === FrameType.FILE_CHUNK) decodeChunkFrame(plaintext);
        },
        mac,
      );
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
    if (header.type === FrameType.FILE_CHUNK) events.emit('chunk', plaintext);
    else events.emit('message', plaintext);
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
    type: SealedFrameType,
    plaintext: Uint8Array | readonly Uint8Array[],
  ): Promise<void> {
    const chunk = type === FrameType.FILE_CHUNK;
    const frame = await protector!.seal(type, plaintext, chunk ? chunkFrames : undefined);
    // The channel takes the bytes before send returns (ByteChannel), so the next chunk's frame is
    // built in the same buffer: no new 64 KiB buffer a chunk for the platform to fault in and the
    // collector to free. Sends are one at a time (outbound), so no two frames share it at once.
    if (chunk) chunkFrames = new Uint8Array(frame.buffer);
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
      return sendSealed(FrameType.REGULAR_MESSAGE, message);
    },
    async sendChunk(chunk) {
      return sendSealed(FrameType.FILE_CHUNK, chunk);
    },
    close,
    on: events.on,
  };

  async function sendSealed(
    type: SealedFrameType,
    message: Uint8Array | readonly Uint8Array[],
  ): Promise<void> {
    if (state !== 'open' || closing) {
      throw new ProtocolError(
        'CLOSED',
        state === 'handshaking' && !closing
          ? 'The secure session is not ready yet.'
          : 'The session is closed; reconnect to send.',
      );
    }
    const parts = message instanceof Uint8Array ? [message] : message;
    if (!Array.isArray(parts) || !parts.every((p) => p instanceof Uint8Array)) {
      throw new ProtocolError('BAD_ARGUMENT', 'message must be bytes.');
    }
    const plaintext = parts.length === 1 ? bufferView(parts[0]!) : parts;
    await outbound(async () => {
      if (state !== 'open' || closing)
        throw new ProtocolError('CLOSED', 'The session is closed; reconnect to send.');
      await sealAndSend(type, plaintext);
    });
  }
}
