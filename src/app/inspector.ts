/**
 * The protocol inspector: per conversation, the recent frames both ways with their decoded
 * header and what each receive check made of them, and the facts that bind the session (both
 * DTLS fingerprints, the handshake hash, the ICE candidate pair, capabilities, version, the suite
 * and its post-quantum parts), and the conversation ratchet's counters (DH and KEM steps, chain
 * indexes, skipped keys held: counts only, never a key).
 *
 *   session 'frame' events ──► ring buffer (default 500) ──► subscribers (the UI), exportJson()
 *   transport.info, PeerInfo ──► session()        transport.path?() ──► path()
 *
 * It sees only what the session's `frame` event carries: headers, sizes and result codes. It
 * never holds plaintext or key material, so neither can reach the screen or an exported file.
 * Addresses of the network path are shown on screen but left out of the export, which people
 * attach to bug reports.
 *
 * The session queues events emitted before anyone listens and hands them to the first
 * listener: create the inspector as the first `frame` listener (right after connecting) and the
 * handshake frames are in the log, stamped with the inspector's creation time.
 */
import { toHex } from '../crypto/bytes';
import type { ProtocolErrorCode } from '../protocol/errors';
import { FrameType, frameHasMac, frameTypeName, isFrameType } from '../protocol/frame';
import type { FrameEvent, PeerInfo, Session, SessionState } from '../protocol/session';
import { formatFingerprint } from '../rtc/sdp';
import type { PathInfo, Transport } from '../rtc/transport';
import { CAPABILITIES } from './capabilities';
import type { RatchetView } from './conversation';

/** The sentence the inspector shows for SecMsg's one suite (DESIGN.md, Transport session). */
export const POST_QUANTUM_SUMMARY =
  'Post-quantum: the handshake mixes an ML-KEM-1024 secret with X25519 and both sides sign it with ML-DSA-87; every message has its own key from a Double Ratchet that mixes ML-KEM-1024 secrets in as it goes.';

export type { CandidateInfo, PathInfo } from '../rtc/transport';

export const INSPECTOR_FORMAT = 'secmsg-inspector/1';
export const DEFAULT_INSPECTOR_LIMIT = 500;

/**
 * The HMAC-SHA256 trailer: checked and matched, checked and failed, not reached (the frame was
 * refused before that step), absent on a Noise handshake frame, or made by us on a frame we sent.
 */
export type HmacResult = 'ok' | 'failed' | 'not checked' | 'none (handshake)' | 'sealed';
/**
 * AES-256-GCM of the payload: as above; 'n/a' on handshake frames, which Noise protects itself;
 * 'file key' on FILE_CHUNK frames, whose payload is encrypted under the file's own key and checked
 * by the transfer, not by the session (secure-frames.ts).
 */
export type AeadResult = 'ok' | 'failed' | 'not checked' | 'n/a' | 'sealed' | 'file key';

export interface InspectorFrame {
  /** 0, 1, 2 … in the order the inspector saw frames; a gap at the start means older ones fell out. */
  readonly index: number;
  /** When the inspector recorded the frame, local ms since the epoch. */
  readonly at: number;
  readonly direction: 'in' | 'out';
  /** 'REGULAR_MESSAGE', 'HANDSHAKE_REQUEST' …, or 'unknown' when the session gave no header. */
  readonly type: string;
  /** The header fields; absent when the session gave no header (a frame refused while opening). */
  readonly flags?: number;
  /** Per direction, from 0; a safe integer (the codec refuses larger values). */
  readonly sequence?: number;
  /** The sender's clock in ms since the epoch; 0 on handshake frames. */
  readonly timestamp?: number;
  /** The payload length declared by the header. */
  readonly length?: number;
  /** Bytes on the wire: header, payload and HMAC trailer. */
  readonly size: number;
  readonly hmac: HmacResult;
  readonly aead: AeadResult;
  readonly result: 'ok' | ProtocolErrorCode;
  /** What went wrong, as a sentence, when result is not 'ok'. */
  readonly problem?: string;
}

export type InspectorRole = 'initiator (offerer)' | 'responder (answerer)';

export interface InspectorCapabilities {
  readonly ours: readonly string[];
  readonly theirs: readonly string[];
  /** What both sides announced: what the session may use. */
  readonly common: readonly string[];
}

/** The conversation ratchet's counters (ratchet.ts `ratchetStats`): no key material. */
export interface InspectorRatchet {
  /** The ratchet's id, hex (the same on both sides). */
  readonly id: string;
  /** Root-chain steps so far, both directions, and how many of them mixed an ML-KEM-1024 secret. */
  readonly dhSteps: number;
  readonly kemSteps: number;
  /** Messages sent in the current sending chain, and received in the current receiving chain. */
  readonly sendIndex: number;
  readonly receiveIndex: number;
  /** Message keys kept for messages that have not arrived yet (at most 2,000). */
  readonly skippedKeys: number;
}

export interface InspectorSession {
  /** The version both sides speak, e.g. 'v0.1' (frame version byte 0x01). */
  readonly protocolVersion: string;
  /** The Noise protocol the session ran, e.g. Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256. */
  readonly suite: string;
  /** What protects the session against a quantum computer, in a sentence. */
  readonly postQuantum: string;
  /** The conversation ratchet, once one is running for this contact. */
  readonly ratchet?: InspectorRatchet;
  readonly role: InspectorRole;
  /** SHA-256 DTLS certificate fingerprints as SDP writes them: 'AB:CD:…'. */
  readonly localFingerprint: string;
  readonly remoteFingerprint: string;
  /** The Noise handshake hash, lower-case hex; the same on both sides unless someone sits between. */
  readonly handshakeHash: string;
  readonly capabilities: InspectorCapabilities;
  /** The session's state now. */
  readonly state: SessionState;
  /** The ICE candidate pair, once `path()` has found it. */
  readonly path?: PathInfo;
}

export interface InspectorOptions {
  session: Session;
  transport: Transport;
  /** The authenticated peer, from `session.ready` (`Connected.peer`). */
  peer: PeerInfo;
  /** What this side announced in the handshake; default CAPABILITIES (src/app/connect.ts). */
  capabilities?: readonly string[];
  now?: () => number;
  /** How many frames to keep; the oldest fall out first. Default 500. */
  limit?: number;
  /** The contact's ratchet counters now (conversation.ts `view`). */
  ratchet?: () => RatchetView | undefined;
}

export interface Inspector {
  /** The frames kept, newest last. */
  frames(): readonly InspectorFrame[];
  /** The session facts; `path` is there once `path()` has resolved with one. */
  session(): InspectorSession;
  /**
   * Asks the transport for the candidate pair in use now; the last one found when the transport
   * no longer knows (closed), undefined when never known (the in-memory transport).
   */
  path(): Promise<PathInfo | undefined>;
  /** `fn` runs for every frame added; returns the unsubscribe function. */
  subscribe(fn: (frame: InspectorFrame) => void): () => void;
  /** The frame log and session facts as JSON: no plaintext, no keys, no network addresses. */
  exportJson(): string;
  /** Stops listening to the session; the frames kept stay readable. */
  dispose(): void;
}

/** What each refusal means for the two checks and for a person reading the log. */
function refusal(code: ProtocolErrorCode): { hmac: HmacResult; aead: AeadResult; problem: string } {
  const beforeMac = (problem: string) => ({
    hmac: 'not checked' as const,
    aead: 'not checked' as const,
    problem: `${problem} It was refused before the HMAC check.`,
  });
  const afterMac = (problem: string) => ({
    hmac: 'ok' as const,
    aead: 'not checked' as const,
    problem: `The HMAC matched, but ${problem} It was dropped before decryption.`,
  });
  switch (code) {
    case 'TRUNCATED':
      return beforeMac('The frame was shorter than its header or than the length it declared.');
    case 'BAD_LENGTH':
      return beforeMac(
        'The frame was longer than it declared, or its sequence number or timestamp was out of range.',
      );
    case 'TOO_LARGE':
      return beforeMac('The frame declared a payload larger than the limit.');
    case 'BAD_PROTOCOL_ID':
      return beforeMac('The frame did not start with the SecMsg protocol id.');
    case 'BAD_VERSION':
      return beforeMac('The frame carried another protocol version.');
    case 'BAD_FLAGS':
      return beforeMac('The frame had reserved flag bits set.');
    case 'UNKNOWN_TYPE':
      return beforeMac('The frame had an unknown type.');
    case 'UNEXPECTED_TYPE':
      return beforeMac('A handshake frame (which carries no HMAC) arrived after the handshake.');
    case 'BAD_MAC':
      return {
        hmac: 'failed',
        aead: 'not checked',
        problem:
          "The HMAC did not match: the frame was changed on the way or not made with this session's key. It was dropped before decryption.",
      };
    case 'REPLAY':
      return afterMac('its sequence number was already used (a replayed frame).');
    case 'OUT_OF_ORDER':
      return afterMac('its sequence number skipped ahead of the next one expected.');
    case 'STALE':
      return afterMac("its timestamp was more than 120 s away from the sender's clock.");
    case 'NONCE_EXHAUSTED':
      return afterMac("this session's sequence numbers are used up.");
    case 'DECRYPT_FAILED':
      return {
        hmac: 'ok',
        aead: 'failed',
        problem: 'The HMAC matched, but AES-GCM refused the ciphertext. The frame was dropped.',
      };
    case 'BAD_RATCHET_MESSAGE':
      return {
        hmac: 'ok',
        aead: 'ok',
        problem: 'The frame opened, but the ratchet message inside was malformed. It was dropped.',
      };
    case 'BAD_RECORD':
      return {
        hmac: 'ok',
        aead: 'ok',
        problem: 'The frame opened, but the record inside was malformed. It was dropped.',
      };
    default:
      return {
        hmac: 'not checked',
        aead: 'not checked',
        problem: `The frame was refused (${code}).`,
      };
  }
}

/** Turns one session frame event into a log entry. */
export function describeFrame(event: FrameEvent, index: number, at: number): InspectorFrame {
  const { header } = event;
  const known = header !== undefined && isFrameType(header.type);
  const mac = known ? frameHasMac(header.type) : undefined;
  const fields = header
    ? {
        type: known ? frameTypeName(header.type) : 'unknown',
        flags: header.flags,
        sequence: header.seq,
        timestamp: header.timestamp,
        length: header.length,
      }
    : { type: 'unknown' };
  const base = { index, at, direction: event.direction, ...fields, size: event.size };
  if (event.result !== 'ok') {
    return { ...base, result: event.result, ...refusal(event.result) };
  }
  if (mac === false) {
    return { ...base, hmac: 'none (handshake)', aead: 'n/a', result: 'ok' };
  }
  if (header?.type === FrameType.FILE_CHUNK) {
    return { ...base, hmac: event.direction === 'out' ? 'sealed' : 'ok', aead: 'file key', result: 'ok' };
  }
  if (event.direction === 'out') {
    return { ...base, hmac: 'sealed', aead: 'sealed', result: 'ok' };
  }
  // An inbound frame the session accepted after the handshake passed both checks.
  return { ...base, hmac: 'ok', aead: 'ok', result: 'ok' };
}

function describePath(path: PathInfo): PathInfo {
  const strip = ({ type, protocol, relayProtocol }: PathInfo['local']) =>
    relayProtocol === undefined ? { type, protocol } : { type, protocol, relayProtocol };
  return { local: strip(path.local), remote: strip(path.remote) };
}

export function createInspector(options: InspectorOptions): Inspector {
  const { session, transport, peer } = options;
  const now = options.now ?? Date.now;
  const limit = options.limit ?? DEFAULT_INSPECTOR_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer.');
  const ours = [...(options.capabilities ?? CAPABILITIES)];
  const theirs = [...peer.capabilities];
  // Read once: the facts of this session do not change, and a closed transport may refuse later.
  const { info } = transport;
  const role: InspectorRole = info.initiator ? 'initiator (offerer)' : 'responder (answerer)';
  const facts = {
    protocolVersion: `v${peer.protocolVersion.major}.${peer.protocolVersion.minor}`,
    suite: peer.suite,
    postQuantum: POST_QUANTUM_SUMMARY,
    role,
    localFingerprint: formatFingerprint(info.localFingerprint),
    remoteFingerprint: formatFingerprint(info.remoteFingerprint),
    handshakeHash: toHex(peer.handshakeHash),
    capabilities: { ours, theirs, common: ours.filter((c) => theirs.includes(c)) },
  };

  /**
   * The newest `limit` frames as the session reported them, in a ring (frame n at n % limit),
   * each described only when someone reads it: a file transfer sends hundreds of frames a second
   * that no one looks at unless the inspector is open.
   */
  const ring: { event: FrameEvent; index: number; frame?: InspectorFrame }[] = [];
  const listeners = new Set<(frame: InspectorFrame) => void>();
  let count = 0;
  let lastPath: PathInfo | undefined;
  const described = (entry: (typeof ring)[number]): InspectorFrame =>
    (entry.frame ??= Object.freeze(describeFrame(entry.event, entry.index, entry.event.at)));
  /** The frames held, oldest first. */
  const log = (): InspectorFrame[] => {
    const out: InspectorFrame[] = [];
    for (let i = Math.max(0, count - limit); i < count; i++) out.push(described(ring[i % limit]!));
    return out;
  };

  const unsubscribe = session.on('frame', (event) => {
    const entry = { event, index: count };
    ring[count % limit] = entry;
    count++;
    if (listeners.size === 0) return;
    const frame = described(entry);
    for (const fn of [...listeners]) {
      try {
        fn(frame);
      } catch (e) {
        // A failing subscriber must not break the session that emitted the frame.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  });

  const ratchetNow = (): InspectorRatchet | undefined => {
    const r = options.ratchet?.();
    return (
      r && {
        id: toHex(r.ratchetId),
        dhSteps: r.dhSteps,
        kemSteps: r.kemSteps,
        sendIndex: r.sendIndex,
        receiveIndex: r.receiveIndex,
        skippedKeys: r.skippedKeys,
      }
    );
  };

  const current = (): InspectorSession => {
    const ratchet = ratchetNow();
    return {
      ...facts,
      state: session.state,
      ...(ratchet ? { ratchet } : {}),
      ...(lastPath ? { path: lastPath } : {}),
    };
  };

  return {
    frames: log,
    session: current,
    async path() {
      try {
        lastPath = (await transport.path?.()) ?? lastPath;
      } catch {
        // the path is only unknown, not an error
      }
      return lastPath;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
      };
    },
    exportJson() {
      const { path, ...rest } = current();
      return JSON.stringify(
        {
          format: INSPECTOR_FORMAT,
          exportedAt: new Date(now()).toISOString(),
          session: { ...rest, path: path ? describePath(path) : null },
          frames: log(),
        },
        null,
        2,
      );
    },
    dispose() {
      unsubscribe();
      listeners.clear();
    },
  };
}

/** `secmsg-inspector-2025-01-31T14-05-09Z.json`: sorts by time and is valid on every file system. */
export function inspectorFileName(date: Date): string {
  return `secmsg-inspector-${date.toISOString().slice(0, 19).replace(/:/g, '-')}Z.json`;
}
