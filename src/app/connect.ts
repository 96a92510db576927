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
 * fingerprints into its prologue (on the worker relay, its relay room). The meeting through the
 * worker itself, and its route ladder, is worker-meeting.ts.
 */
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
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
} from '../protocol/pairing';
import { rendezvousRoom, type RendezvousPair } from '../protocol/rendezvous';
import { deriveUserId } from '../protocol/user-id';
import { createSession, type PeerInfo, type Session, type SessionIdentity } from '../protocol/session';
import { RtcError } from '../rtc/errors';
import { decodeInviteCode, encodeInviteCode } from '../rtc/invite-code';
import { createSimplePeerTransport } from '../rtc/simple-peer-transport';
import type { Transport } from '../rtc/transport';
import { CAPABILITIES } from './capabilities';
import type { AppConfig } from './config';
import { ownIceOptions } from './turn-servers';
import { meetThroughWorker, noWorker } from './worker-meeting';

export { CAPABILITIES };

export { RELAY_FALLBACK_MS } from './worker-meeting';

export interface Connected {
  session: Session;
  peer: PeerInfo;
  transport: Transport;
  /**
   * 60 digits, the same on both sides unless someone sits in the middle. Computed on request
   * (10,400 SHA-512 calls: kept off the path to a ready session).
   */
  safetyNumber(): Promise<string>;
  /**
   * True when pairing itself proved the peer's key: a worker invite with the key hash, or a short
   * code whose CPace result the handshake's prologue holds.
   */
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
  /** After a short code: the binding both derived from it (short-code.ts), mixed into the prologue. */
  pairingBinding?: Uint8Array,
  /** What this side announces: this version's, unless a test plays an older app. */
  capabilities: readonly string[] = CAPABILITIES,
): Promise<Connected> {
  const session = createSession({
    channel: transport,
    initiator: transport.info.initiator,
    localFingerprint: transport.info.localFingerprint,
    remoteFingerprint: transport.info.remoteFingerprint,
    ...(transport.info.relayRoomId ? { relayRoomId: transport.info.relayRoomId } : {}),
    maxMessageSize: transport.info.maxMessageSize,
    identity,
    capabilities: [...capabilities],
    ...(ratchetId ? { ratchetId } : {}),
    ...(pairingBinding ? { pairingBinding } : {}),
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
    keyProvenByInvite: invite !== undefined || pairingBinding !== undefined,
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

interface WorkerPairing {
  connected: Promise<Connected>;
  cancel(): void;
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
export function warmUp(identity: SessionIdentity): void {
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
  /** An attempt at a better route beside a working relayed session (worker-meeting.ts, `climbing`). */
  climbing = false,
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
        climbing,
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
