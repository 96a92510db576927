/**
 * Use cases that turn "I have the app open" into "we share an authenticated encrypted session":
 * manual pairing by codes (no server at all) and pairing through the signaling worker.
 *
 *  manual:  inviter: offer → invite code (text + QR) ─► joiner: answer → answer code ─► inviter
 *  worker:  inviter: link with #join=secret.keyhash; both meet in room SHA-256(secret); the joiner
 *           makes the WebRTC offer, so it is the Noise initiator and learns the inviter's static
 *           key (message 2) before it reveals its own (message 3): it checks that key against the
 *           key hash in the link first, and refuses a wrong one having said nothing about itself.
 *           Offer and answer travel as AES-GCM blobs; then both sides' `done` uses the invite up.
 * Either way the WebRTC offerer is the Noise initiator, and the session binds both DTLS
 * fingerprints into its prologue.
 */
import { fromBase64Url, toBase64Url } from '../crypto/bytes';
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from '../protocol/errors';
import { checkSigningKeyPair } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { generateDhKeyPair } from '../protocol/noise';
import {
  createInvite,
  createSignalingCipher,
  inviteLink,
  matchesInviter,
  parseInvite,
  wrongInviter,
  type Invite,
  type SignalingCipher,
} from '../protocol/pairing';
import { isRelayRoomId } from '../protocol/relay';
import { rendezvousRoom, type RendezvousPair } from '../protocol/rendezvous';
import { deriveUserId } from '../protocol/user-id';
import { createSession, type PeerInfo, type Session, type SessionIdentity } from '../protocol/session';
import { RtcError } from '../rtc/errors';
import { decodeInviteCode, encodeInviteCode } from '../rtc/invite-code';
import type { SessionDescription } from '../rtc/sdp';
import { connectSignaling, type SignalingClient } from '../rtc/signaling-client';
import { connectRelay, type RelayConnection } from '../rtc/relay-transport';
import { createSimplePeerTransport, type SimplePeerConnection } from '../rtc/simple-peer-transport';
import type { Transport } from '../rtc/transport';
import { CAPABILITIES } from './capabilities';
import type { AppConfig } from './config';
import { askRoomForTurn, ownIceOptions } from './turn-servers';

export { CAPABILITIES };

/** How long the DataChannel may take to open before the offerer moves both sides to the worker relay. */
export const RELAY_FALLBACK_MS = 6_000;

export interface Connected {
  session: Session;
  peer: PeerInfo;
  transport: Transport;
  /**
   * 60 digits, the same on both sides unless someone sits in the middle. Computed on request
   * (10,400 SHA-512 calls: kept off the path to a ready session).
   */
  safetyNumber(): Promise<string>;
  /** True when pairing itself proved the peer's key (a worker invite with the key hash). */
  keyProvenByInvite: boolean;
}

/** An identity that lives only in memory (tests, the self-test), its user id derived from its keys. */
export async function createIdentity(displayName: string): Promise<SessionIdentity> {
  const keyPair = await generateDhKeyPair();
  const signing = await generateSigningKeyPair();
  return { keyPair, signing, userId: deriveUserId(keyPair.publicKey, signing.publicKey), displayName };
}

/**
 * Runs the v0.1 handshake over an open transport. With an invite (the joiner of a worker invite,
 * the Noise initiator), the inviter's key is checked against the invite before ours is sent.
 */
export async function secureSession(
  transport: Transport,
  identity: SessionIdentity,
  invite?: Invite,
  ratchetId?: Uint8Array,
): Promise<Connected> {
  const session = createSession({
    channel: transport,
    initiator: transport.info.initiator,
    localFingerprint: transport.info.localFingerprint,
    remoteFingerprint: transport.info.remoteFingerprint,
    ...(transport.info.relayRoomId ? { relayRoomId: transport.info.relayRoomId } : {}),
    maxMessageSize: transport.info.maxMessageSize,
    identity,
    capabilities: CAPABILITIES,
    ...(ratchetId ? { ratchetId } : {}),
    ...(invite
      ? {
          verifyPeer: async (keys: { staticKey: Uint8Array; signingKey: Uint8Array }) =>
            matchesInviter(invite, keys) ? Promise.resolve() : Promise.reject(wrongInviter()),
        }
      : {}),
  });
  const peer = await session.ready;
  if (invite && !matchesInviter(invite, peer)) {
    // verifyPeer already refused it on the initiator; checked again whatever the role.
    await session.close('wrong identity key');
    throw wrongInviter();
  }
  let number: Promise<string> | undefined;
  const computeSafetyNumber = async (): Promise<string> =>
    (number ??= safetyNumber(
      { id: identity.userId, key: identityKeyBytes(identity.keyPair.publicKey) },
      { id: peer.userId, key: identityKeyBytes(peer.staticKey) },
    ));
  return {
    session,
    peer,
    transport,
    safetyNumber: computeSafetyNumber,
    keyProvenByInvite: invite !== undefined,
  };
}

export interface ManualInvite {
  /** The invite code to show (text and QR). */
  code: Promise<string>;
  /** Hand over the answer code the other side shows. */
  acceptAnswer(answerCode: string): void;
  connected: Promise<Connected>;
  cancel(): void;
}

export function startManualInvite(identity: SessionIdentity, config: AppConfig): ManualInvite {
  const conn = createSimplePeerTransport({ initiator: true, ...ownIceOptions(config) });
  const code = conn.localSignal().then(encodeInviteCode);
  return {
    code,
    acceptAnswer(answerCode) {
      const desc = decodeInviteCode(answerCode);
      if (desc.type !== 'answer') {
        throw new RtcError(
          'CODE_INVALID',
          'This is an invite code, not an answer code: paste the code the other person shows after joining.',
        );
      }
      conn.acceptRemote(desc);
    },
    connected: conn.transport.then(async (t) => secureSession(t, identity)),
    cancel: () => conn.close(),
  };
}

export interface ManualJoin {
  /** The answer code to show back to the inviter. */
  answerCode: Promise<string>;
  connected: Promise<Connected>;
  cancel(): void;
}

export function joinManual(inviteCode: string, identity: SessionIdentity, config: AppConfig): ManualJoin {
  const desc = decodeInviteCode(inviteCode);
  if (desc.type !== 'offer') {
    throw new RtcError(
      'CODE_INVALID',
      'This is an answer code: paste it on the device that made the invite.',
    );
  }
  const conn = createSimplePeerTransport({ initiator: false, ...ownIceOptions(config) });
  conn.acceptRemote(desc);
  return {
    answerCode: conn.localSignal().then(encodeInviteCode),
    connected: conn.transport.then(async (t) => secureSession(t, identity)),
    cancel: () => conn.close(),
  };
}

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

interface WorkerPairing {
  connected: Promise<Connected>;
  cancel(): void;
}

function noWorker(): RtcError {
  return new RtcError(
    'SIGNAL_INVALID',
    'No signaling server is configured: use an invite code instead, or set one in settings.',
  );
}

/** One side of a meeting in a worker room. */
interface WorkerMeeting {
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
}

/**
 * Runs one side of a meeting through the signaling worker until the session is ready: the offer
 * and the answer travel as sealed blobs; whatever arrives that is not what this side waits for is
 * refused. The route ladder (DESIGN.md, Routes and delivery): a DataChannel (direct, or through
 * TURN) first; when its channel has not opened within RELAY_FALLBACK_MS, or when either side has
 * "Always relay" on, the offerer chooses a worker relay room, sends its id sealed, and both sides
 * run the same session over the relay instead (bound to that room).
 */
async function meetThroughWorker(
  meeting: WorkerMeeting,
  config: AppConfig,
  register: (cancel: () => void) => void,
): Promise<Connected> {
  if (!config.signalingUrl) throw noWorker();
  const signalingUrl = config.signalingUrl;
  const { offerer, cipher } = meeting;
  const signaling: SignalingClient = connectSignaling({ url: signalingUrl, roomId: cipher.roomId });
  // TURN credentials from the room, merged with the user's servers (turn-servers.ts).
  const turn = askRoomForTurn(signaling, config);
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
        else if (offerer) offerRelay();
      });
    };
    /** Both sides go to the relay room; the DataChannel attempt, if any, is dropped. */
    const useRelay = (room: Uint8Array): void => {
      if (relay || channelOpen) return;
      clearTimeout(fallback);
      relay = connectRelay({ url: signalingUrl, roomId: room, initiator: offerer });
      conn?.close();
      relay.transport.then(secure).then(succeed, fail);
    };
    const offerRelay = (): void => {
      if (!offerer || relay || channelOpen) return;
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
      fallback = setTimeout(offerRelay, RELAY_FALLBACK_MS);
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

/**
 * Runs one side of invite pairing through the worker: the joiner offers (Noise initiator) and
 * checks the inviter's key before revealing its own.
 */
async function pairThroughWorker(
  role: 'inviter' | 'joiner',
  invite: Invite,
  identity: SessionIdentity,
  config: AppConfig,
  register: (cancel: () => void) => void,
): Promise<Connected> {
  if (!config.signalingUrl) throw noWorker();
  warmUp(identity);
  const cipher = await createSignalingCipher(invite.secret, role);
  return meetThroughWorker(
    {
      offerer: role === 'joiner',
      cipher,
      useUp: true,
      secure: async (t) => secureSession(t, identity, role === 'joiner' ? invite : undefined),
    },
    config,
    register,
  );
}

/** Expands the identity's signing key ahead of the handshake that needs it (errors show there). */
function warmUp(identity: SessionIdentity): void {
  checkSigningKeyPair(identity.signing).catch(() => undefined);
}

export interface KnownContactConnection {
  connected: Promise<Connected>;
  cancel(): void;
}

/**
 * Meets a known contact again in today's rendezvous room (from the pair secret kept at pairing),
 * with no invite. The room is not used up: the pair meets there again after any drop. The caller
 * checks the peer's key against the pinned one (the messenger does, on adopt).
 */
export function connectKnownContact(
  identity: SessionIdentity,
  pair: RendezvousPair,
  config: AppConfig,
  at: number = Date.now(),
  onProgress?: (progress: 'waiting' | 'connecting') => void,
  ratchetId?: () => Promise<Uint8Array | undefined>,
): KnownContactConnection {
  let cancel = (): void => undefined;
  let cancelled = false;
  // Both run while the worker room and WebRTC are set up, not after: the contact's ratchet id (it
  // loads the ratchet code and reads storage) and the signing key's first expansion (it loads the
  // ML-DSA code), which the handshake needs.
  const id = ratchetId?.();
  id?.catch(() => undefined);
  warmUp(identity);
  const connected = (async () => {
    if (!config.signalingUrl) throw noWorker();
    const room = await rendezvousRoom(pair, at);
    if (cancelled) throw new RtcError('SIGNAL_INVALID', 'Cancelled.');
    return meetThroughWorker(
      {
        offerer: room.offerer,
        cipher: room.cipher,
        useUp: false,
        secure: async (t) => secureSession(t, identity, undefined, await id),
        peerLeft: () => new RtcError('SIGNAL_INVALID', 'They left before the connection was made.'),
        ...(onProgress ? { onProgress } : {}),
      },
      config,
      (c) => (cancel = c),
    );
  })();
  return {
    connected,
    cancel: () => {
      cancelled = true;
      cancel();
    },
  };
}

export interface WorkerInvite extends WorkerPairing {
  link: string;
}

export function startWorkerInvite(
  identity: SessionIdentity,
  config: AppConfig,
  appUrl: string,
): WorkerInvite {
  if (!config.signalingUrl) throw noWorker();
  const invite = createInvite(identity.userId);
  let cancel = (): void => undefined;
  const connected = pairThroughWorker('inviter', invite, identity, config, (c) => (cancel = c));
  return { link: inviteLink(appUrl, invite), connected, cancel: () => cancel() };
}

export function joinWorkerInvite(link: string, identity: SessionIdentity, config: AppConfig): WorkerPairing {
  const invite = parseInvite(link);
  let cancel = (): void => undefined;
  const connected = pairThroughWorker('joiner', invite, identity, config, (c) => (cancel = c));
  return { connected, cancel: () => cancel() };
}

export { isInviteLink } from './invite-link';
