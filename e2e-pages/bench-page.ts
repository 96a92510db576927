/**
 * Benchmark page for bench/browser.bench.ts. Both ends live in this one page, over loopback with
 * host candidates only, so the app path and the bare platform run side by side:
 *
 *   bare:      RTCPeerConnection ⇄ RTCPeerConnection, one ordered, reliable RTCDataChannel; bulk
 *              messages as large as the app's bulk frames, with the transport's own high/low-water
 *              backpressure (bufferedAmount, bufferedamountlow)
 *   app:       createSimplePeerTransport ⇄ createSimplePeerTransport (offer and answer handed over
 *              in-page), then createSession on each as secureSession does: the hybrid handshake
 *              (Noise_XXhfs_25519+MLKEM1024, ML-DSA-87 signatures), then HMAC-framed AES-GCM frames
 *              carrying conversation-ratchet messages; then, as the app does for a contact with no
 *              ratchet yet, initRatchet on each side from `session.takeRatchetStart()`
 *   classical: the same kind of transport pair, and the same three framed handshake messages as
 *              plain Noise XX (`createHandshake({ pattern: 'XX' })` with the session's static keys),
 *              payloads as long as the classical session's introduction was, then what that session
 *              did to open (Split, frame MAC keys, FrameProtector). The session itself no longer
 *              speaks classical XX: this is the reference the hybrid handshake is compared with.
 *
 * Every run uses fresh connections and measures, in order:
 *   handshake  app: from both channels open to both `session.ready` (three messages);
 *              classical: from both channels open to both sides' frame keys ready;
 *              bare: the hybrid handshake's three message sizes, A → B → A → B, no work between
 *   ping-pong  64-byte messages echoed by the other end, one at a time; the median round trip.
 *              bare: 64 B. app, through session and ratchet: each side ratchet-encrypts a text
 *              record with a 64 B body (ratchetEncrypt, state in memory, now = Date.now()), sends it
 *              on its session, and the other side decrypts it (ratchetDecrypt, decodeRecord) and
 *              answers the same way, with whatever DH and KEM steps the ratchet makes at that pace.
 *              app, session alone (the session checks a ratchet message's structure, nothing more):
 *              a 64 B record's ratchet message without a KEM block (151 B), made once and echoed,
 *              as the session carried a 64 B record before the ratchet; and one of the messages the
 *              last ratchet ping-pong carried, of their median size, echoed the same way: what the
 *              ratchet's message size costs, apart from its computing.
 *              The ratchet ping-pong goes first or last in turn, on the same connection.
 *   bulk       `bulkBytes` of application data in 64 KiB messages through the session only (its
 *              frame keys, no ratchet: file-sized data may use the session keys only), from the first
 *              send until the receiver has it all. The session carries only ratchet-shaped messages
 *              (it refuses anything else), so each 64 KiB travels behind a ratchet header and before
 *              a 16-byte stand-in tag: 58 bytes of wrapping, no ratchet work.
 * Runs rotate the order of bare, app and classical every run, after one small warm-up run of each.
 * `window.bench.run(opts)` returns every run's figures and their medians.
 *
 * `window.bench.profile(opts)` says where the time goes: it times the app path's pieces on
 * bulk-sized frames without a network (the WebCrypto calls alone, serially and overlapped, and
 * FrameProtector's seal and open), seal and open of a 64-byte frame, the ratchet's steps on a
 * 64-byte record, and 64-byte round trips on the bare channel, through the simple-peer transport
 * alone, through the session, and through session and ratchet.
 */
import { CAPABILITIES, createIdentity } from '../src/app/connect';
import { utf8 } from '../src/crypto/bytes';
import { HmacKey } from '../src/crypto/hmac';
import { mlDsa87Verify } from '../src/crypto/ml-dsa';
import { signWithIdentityKey } from '../src/crypto/ml-dsa-key';
import { mlKem1024Decapsulate, mlKem1024Encapsulate, mlKem1024KeyPair } from '../src/crypto/ml-kem';
import { x25519SharedSecret } from '../src/crypto/x25519';
import { randomBytes } from '../src/crypto/random';
import {
  FrameType,
  FRAME_HEADER_LENGTH,
  FRAME_MAC_LENGTH,
  decodeFrame,
  encodeFrame,
} from '../src/protocol/frame';
import { HANDSHAKE_SIGNATURE_CONTEXT } from '../src/protocol/handshake-payload';
import {
  NoiseCipherState,
  createHandshake,
  generateDhKeyPair,
  type NoiseHandshake,
} from '../src/protocol/noise';
import { buildPrologue } from '../src/protocol/prologue';
import {
  decodeRatchetMessage,
  encodeRatchetHeader,
  generateRatchetInitKeys,
  initRatchet,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from '../src/protocol/ratchet';
import { decodeRecord, encodeRecord, MAX_TEXT_BODY_BYTES, type TextRecord } from '../src/protocol/records';
import { AEAD_TAG_LENGTH, FrameProtector, deriveFrameMacKeys } from '../src/protocol/secure-frames';
import { createSession, type PeerInfo, type Session, type SessionIdentity } from '../src/protocol/session';
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  createSimplePeerTransport,
  type SimplePeerConnection,
  type WebRtcTransport,
} from '../src/rtc/simple-peer-transport';

export interface BenchOptions {
  /** Measured runs of each path. */
  runs: number;
  /** Application bytes a bulk run carries; a multiple of 64 KiB. */
  bulkBytes: number;
  /** Round trips a ping-pong run makes (after 10 unmeasured ones). */
  pings: number;
  /** Application bytes of the warm-up run's bulk phase. */
  warmupBulkBytes: number;
  /** How many session.send() calls the bulk sender keeps in flight. */
  sendWindow: number;
}

/** The bare platform's figures in one run. */
export interface BareFigures {
  /** The hybrid handshake's three message sizes, with no work between them. */
  handshakeMs: number;
  /** 64-byte messages. */
  pingRttMs: number;
  /**
   * The least DESIGN.md asks of a round trip on this channel: each message of the ratchet ping's
   * size sealed twice and opened twice with AES-256-GCM (the ratchet's layer inside the frame's),
   * WebCrypto keys imported beforehand, no HMAC, no KDF, no record: the floor the session and
   * ratchet can approach.
   */
  floorPingRttMs: number;
  bulkMiBps: number;
  /**
   * UDP packets Chromium dropped before they left (candidate-pair packetsDiscardedOnSend, both
   * ends, the whole run): SCTP losses that the platform itself causes under bulk load.
   */
  discardedPackets: number;
}

/** The app path's figures in one run. */
export interface AppFigures extends Omit<BareFigures, 'floorPingRttMs'> {
  /** Channel open → both sessions ready: the hybrid handshake. */
  handshakeMs: number;
  /** initRatchet on both sides from the session's ratchet start (a contact's first session). */
  ratchetStartMs: number;
  /** 64 B text records through session and ratchet, both ways. */
  ratchetPingRttMs: number;
  /**
   * The session alone, as before the ratchet: a 64 B text record's ratchet message without a KEM
   * block (header, record, tag: 151 B), echoed as opaque bytes.
   */
  pingRttMs: number;
  /**
   * The session alone with what the ratchet ping-pong carries: one of its messages of their median
   * size (with the KEM block, when most of them carry one), echoed.
   */
  sessionRatchetSizedPingRttMs: number;
  /** 64 KiB messages through the session only. */
  bulkMiBps: number;
  /** Ratchet messages of the ping-pong that carried a KEM block. */
  ratchetKemSteps: number;
  /** The median size of the ratchet messages the ping-pong carried. */
  ratchetMessageBytes: number;
}

/** Classical Noise XX over the same kind of channel, in one run. */
export interface ClassicalFigures {
  handshakeMs: number;
}

export interface BenchResult {
  options: BenchOptions;
  /** Application bytes per bulk message. */
  chunkBytes: number;
  /** Bytes on the channel per bulk message: the app's frame, and the bare path's message. */
  frameBytes: number;
  /** The hybrid handshake's three frame sizes, which the bare handshake stand-in also sends. */
  handshakeBytes: number[];
  /** The classical XX handshake's three frame sizes. */
  classicalHandshakeBytes: number[];
  /**
   * Ping-pong message sizes: bare, and the session-alone ping's 64 B record as a ratchet message
   * without a KEM block (the ratchet's own: AppFigures.ratchetMessageBytes).
   */
  pingBytes: { bare: number; session: number };
  bare: BareFigures[];
  app: AppFigures[];
  classical: ClassicalFigures[];
  median: { bare: BareFigures; app: AppFigures; classical: ClassicalFigures };
}

export interface ProfileOptions {
  /** Frames timed per measurement. */
  frames: number;
  /** Frames in flight at once in the overlapped measurements. */
  overlap: number;
}

/** Where the time goes. `…Us` fields: microseconds per 64 KiB-body frame, each measured alone. */
export interface ProfileResult {
  frameBytes: number;
  encodeRecordUs: number;
  decodeRecordUs: number;
  aesGcmEncryptUs: number;
  aesGcmEncryptOverlappedUs: number;
  hmacSignUs: number;
  hmacSignOverlappedUs: number;
  /** Encrypt of frame i + 1 beside HMAC of frame i: what a pipelined seal would cost. */
  encryptBesideHmacUs: number;
  /** FrameProtector.seal: encrypt, then HMAC, one frame at a time (as the session sends). */
  sealUs: number;
  /** FrameProtector.open: HMAC verify, then decrypt, one frame at a time (as the session receives). */
  openUs: number;
  /** seal on one side and open of the previous frame on the other, overlapped: the session's steady state. */
  sealAndOpenConcurrentUs: number;
  /** FrameProtector.seal and open of a 64-byte ratchet message frame, µs each. */
  smallSealUs: number;
  smallOpenUs: number;
  /** The ratchet on a 64 B text record, µs a message (medians), states in memory. */
  ratchet: {
    /** encodeRecord + ratchetEncrypt, the same sending chain. */
    encryptUs: number;
    /** ratchetDecrypt + decodeRecord, the same receiving chain (one side writes, the other reads). */
    decryptSameChainUs: number;
    /**
     * A and B writing in turn: one message's encode + encrypt + decrypt + decode, with the DH and
     * KEM steps the ratchet makes at that pace.
     */
    alternatingUs: number;
    /** The same with a DH and a KEM step on every message (both intervals 0): what they cost. */
    alternatingEveryStepUs: number;
  };
  /**
   * The hybrid handshake's primitives, ms a call (medians of 9), and how many of each one handshake
   * makes, both sides together (as this page runs both).
   */
  handshake: {
    mlDsa87SignMs: number;
    mlDsa87VerifyMs: number;
    mlKem1024KeyPairMs: number;
    mlKem1024EncapsulateMs: number;
    mlKem1024DecapsulateMs: number;
    x25519KeyPairMs: number;
    x25519AgreementMs: number;
    /** Calls a handshake makes of each, both sides together. */
    calls: {
      mlDsa87Sign: number;
      mlDsa87Verify: number;
      mlKem1024KeyPair: number;
      mlKem1024Encapsulate: number;
      mlKem1024Decapsulate: number;
      x25519KeyPair: number;
      x25519Agreement: number;
    };
  };
  /** Median 64-byte round trips (ms), fresh connections, medians of three: what each layer adds. */
  pingRttMs: {
    bare: number;
    transport: number;
    session: number;
    sessionRatchetSized: number;
    ratchet: number;
  };
}

export interface BenchApi {
  run(options?: Partial<BenchOptions>): Promise<BenchResult>;
  profile(options?: Partial<ProfileOptions>): Promise<ProfileResult>;
}

declare global {
  interface Window {
    bench: BenchApi;
  }
}

const DEFAULTS: BenchOptions = {
  runs: 9,
  bulkBytes: 64 * 1024 * 1024,
  pings: 200,
  warmupBulkBytes: 8 * 1024 * 1024,
  sendWindow: 8,
};
const PING_BYTES = 64;
const PING_WARMUP = 10;
const STEP_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;
/** Application bytes per bulk message. */
const CHUNK_BYTES = MAX_TEXT_BODY_BYTES;
/** The stand-in for the AES-GCM tag a ratchet message ends with (the session checks it is there). */
const RATCHET_TAG_LENGTH = 16;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Field by field medians of figures of one kind. */
function medians<T extends object>(fs: readonly T[]): T {
  const first = fs[0];
  if (!first) throw new Error('no runs');
  const out: Record<string, number> = {};
  for (const key of Object.keys(first)) {
    out[key] = median(fs.map((f) => (f as Record<string, number>)[key]!));
  }
  return out as T;
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

const asciiText = (length: number): string =>
  Array.from(randomBytes(length), (b) => String.fromCharCode(0x61 + (b % 26))).join('');

const textRecord = (body: string): TextRecord => ({
  kind: 'text',
  id: randomBytes(16),
  sentAt: Date.now(),
  body,
});

/** A valid ratchet header (no KEM block) with an arbitrary but acceptable X25519 key. */
let headerKey: Uint8Array | undefined;
async function ratchetShaped(data: Uint8Array): Promise<Uint8Array> {
  headerKey ??= (await identitiesFor())[0].keyPair.publicKey;
  const header = encodeRatchetHeader({ dhPublicKey: headerKey, previousCount: 0, n: 0, kem: null });
  const out = new Uint8Array(header.length + data.length + RATCHET_TAG_LENGTH);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** The current run's RTCPeerConnections (simple-peer's too, through `wrtc`), for their stats. */
let runConnections: RTCPeerConnection[] = [];
class TrackedPeerConnection extends RTCPeerConnection {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    runConnections.push(this);
  }
}
const wrtc = { RTCPeerConnection: TrackedPeerConnection, RTCSessionDescription, RTCIceCandidate };

async function discardedPackets(): Promise<number> {
  let n = 0;
  for (const pc of runConnections) {
    (await pc.getStats()).forEach((s: { type?: string; packetsDiscardedOnSend?: number }) => {
      if (s.type === 'candidate-pair') n += s.packetsDiscardedOnSend ?? 0;
    });
  }
  return n;
}

// --- bare: two RTCPeerConnections and one RTCDataChannel --------------------------------------

interface BarePair {
  a: RTCDataChannel;
  b: RTCDataChannel;
  close(): void;
}

async function gathered(pc: RTCPeerConnection): Promise<RTCSessionDescription> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (pc.iceGatheringState !== 'complete') return;
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      pc.addEventListener('icegatheringstatechange', check);
    });
  }
  const desc = pc.localDescription;
  if (!desc) throw new Error('no local description after gathering');
  return desc;
}

async function opened(ch: RTCDataChannel): Promise<void> {
  if (ch.readyState === 'open') return;
  await new Promise<void>((resolve, reject) => {
    ch.addEventListener('open', () => resolve(), { once: true });
    ch.addEventListener('close', () => reject(new Error('bare channel closed before opening')), {
      once: true,
    });
  });
}

/** Non-trickle, like the app's transport: one complete offer, one complete answer. */
async function connectBare(): Promise<BarePair> {
  const pa = new TrackedPeerConnection({ iceServers: [] });
  const pb = new TrackedPeerConnection({ iceServers: [] });
  const a = pa.createDataChannel('bench', { ordered: true });
  const b = new Promise<RTCDataChannel>((resolve) =>
    pb.addEventListener('datachannel', (e) => resolve(e.channel), { once: true }),
  );
  await pa.setLocalDescription();
  await pb.setRemoteDescription(await gathered(pa));
  await pb.setLocalDescription();
  await pa.setRemoteDescription(await gathered(pb));
  const pair = { a, b: await b };
  await Promise.all([opened(pair.a), opened(pair.b)]);
  for (const ch of [pair.a, pair.b]) {
    ch.binaryType = 'arraybuffer';
    ch.bufferedAmountLowThreshold = DEFAULT_LOW_WATER_MARK;
  }
  return {
    ...pair,
    close() {
      pair.a.close();
      pa.close();
      pb.close();
    },
  };
}

async function bareHandshake(p: BarePair, sizes: readonly number[]): Promise<number> {
  const [m1, m2, m3] = sizes.map((n) => new Uint8Array(n));
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let atB = 0;
    p.b.onmessage = () => {
      if (atB++ === 0) p.b.send(m2!);
      else resolve();
    };
    p.a.onmessage = () => p.a.send(m3!);
    p.a.send(m1!);
  });
  const ms = performance.now() - t0;
  p.a.onmessage = p.b.onmessage = null;
  return ms;
}

async function barePing(p: BarePair, pings: number): Promise<number> {
  const msg = new Uint8Array(PING_BYTES);
  let next = (): void => undefined;
  p.b.onmessage = (e: MessageEvent<ArrayBuffer>) => p.b.send(e.data);
  p.a.onmessage = () => next();
  const rtts: number[] = [];
  for (let i = 0; i < PING_WARMUP + pings; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      next = resolve;
      p.a.send(msg);
    });
    if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
  }
  p.a.onmessage = p.b.onmessage = null;
  return median(rtts);
}

/**
 * BareFigures.floorPingRttMs: the bare ping-pong with two AES-256-GCM layers on each message, as
 * a ratchet message (64 B record, 151 B) inside a frame (25 B header as associated data), and
 * nothing else: each side seals twice before it sends and opens twice when a message arrives.
 */
async function floorPing(p: BarePair, pings: number): Promise<number> {
  const rawKeys = [randomBytes(32), randomBytes(32)];
  const [inner, outer] = await Promise.all(
    rawKeys.map(async (k) => crypto.subtle.importKey('raw', k, 'AES-GCM', false, ['encrypt', 'decrypt'])),
  );
  const innerAd = new Uint8Array(64 + 32 + 18 + 8);
  const frameHeader = new Uint8Array(25);
  const record = new Uint8Array(PING_BYTES + 3);
  let counter = 0;
  const iv = (): Uint8Array<ArrayBuffer> => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(8, ++counter);
    return nonce;
  };
  const gcm = (nonce: Uint8Array<ArrayBuffer>, ad: Uint8Array<ArrayBuffer>) => ({
    name: 'AES-GCM',
    iv: nonce,
    additionalData: ad,
  });
  const seal = async (): Promise<ArrayBuffer> => {
    const n1 = iv();
    const sealedRecord = await crypto.subtle.encrypt(gcm(n1, innerAd), inner!, record);
    const n2 = iv();
    const frame = await crypto.subtle.encrypt(gcm(n2, frameHeader), outer!, sealedRecord);
    const out = new Uint8Array(24 + frame.byteLength);
    out.set(n1, 0);
    out.set(n2, 12);
    out.set(new Uint8Array(frame), 24);
    return out.buffer;
  };
  const open = async (data: ArrayBuffer): Promise<void> => {
    const bytes = new Uint8Array(data);
    const sealedRecord = await crypto.subtle.decrypt(
      gcm(bytes.slice(12, 24), frameHeader),
      outer!,
      bytes.subarray(24),
    );
    await crypto.subtle.decrypt(gcm(bytes.slice(0, 12), innerAd), inner!, sealedRecord);
  };
  let next = (): void => undefined;
  let fail = (_: unknown): void => undefined;
  p.b.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    void (async () => {
      await open(e.data);
      p.b.send(await seal());
    })().catch((e: unknown) => fail(e));
  };
  p.a.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    open(e.data).then(() => next(), fail);
  };
  const rtts: number[] = [];
  for (let i = 0; i < PING_WARMUP + pings; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      next = resolve;
      fail = reject;
      seal().then((m) => p.a.send(m), reject);
    });
    if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
  }
  p.a.onmessage = p.b.onmessage = null;
  return median(rtts);
}

async function bareBulk(p: BarePair, count: number, frameBytes: number): Promise<number> {
  const chunk = randomBytes(frameBytes); // the browser copies it on every send()
  const total = count * frameBytes;
  let got = 0;
  const all = new Promise<void>((resolve) => {
    p.b.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      got += e.data.byteLength;
      if (got >= total) resolve();
    };
  });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    // What the app's transport does: send while at most the high-water mark is buffered, then
    // wait for bufferedamountlow (the low-water mark).
    if (p.a.bufferedAmount > DEFAULT_HIGH_WATER_MARK) {
      await new Promise<void>((resolve) =>
        p.a.addEventListener('bufferedamountlow', () => resolve(), { once: true }),
      );
    }
    p.a.send(chunk);
  }
  await all;
  const ms = performance.now() - t0;
  p.b.onmessage = null;
  return ms;
}

// --- app: simple-peer transports, sessions and ratchets --------------------------------------

interface AppPair {
  conns: [SimplePeerConnection, SimplePeerConnection];
  ta: WebRtcTransport;
  tb: WebRtcTransport;
}

async function connectApp(): Promise<AppPair> {
  const ca = createSimplePeerTransport({ initiator: true, iceServers: [], wrtc });
  const cb = createSimplePeerTransport({ initiator: false, iceServers: [], wrtc });
  cb.acceptRemote(await ca.localSignal());
  ca.acceptRemote(await cb.localSignal());
  const [ta, tb] = await Promise.all([ca.transport, cb.transport]);
  return { conns: [ca, cb], ta, tb };
}

/** What secureSession does, short of the safety number. */
function sessionOver(t: WebRtcTransport, identity: SessionIdentity): Session {
  return createSession({
    channel: t,
    initiator: t.info.initiator,
    localFingerprint: t.info.localFingerprint,
    remoteFingerprint: t.info.remoteFingerprint,
    maxMessageSize: t.info.maxMessageSize,
    identity,
    capabilities: CAPABILITIES,
  });
}

/** What conversation.ts `start` does for a contact with no ratchet yet, state kept in memory. */
async function startRatchet(
  session: Session,
  identity: SessionIdentity,
  peer: PeerInfo,
): Promise<RatchetState> {
  const start = session.takeRatchetStart();
  if (!start) throw new Error('the session gave no ratchet start');
  return initRatchet({
    initiator: start.initiator,
    rootKey: start.rootKey,
    ratchetId: start.ratchetId,
    ours: start.ours,
    theirs: { dhPublicKey: start.theirs.dhPublicKey, kemPublicKey: start.theirs.kemPublicKey },
    localIdentityKey: identity.keyPair.publicKey,
    remoteIdentityKey: peer.staticKey,
    now: Date.now(),
  });
}

/** Rejects when either session reports a refused frame or closes. */
function watch(sessions: readonly Session[]): { failed: Promise<never>; stop(): void } {
  const offs: (() => void)[] = [];
  const failed = new Promise<never>((_, reject) => {
    for (const s of sessions) {
      offs.push(s.on('error', (e) => reject(new Error(`session refused a frame: ${e.code}`))));
      offs.push(s.on('close', (info) => reject(new Error(`session closed: ${info.message}`))));
    }
  });
  failed.catch(() => undefined);
  return { failed, stop: () => offs.forEach((off) => off()) };
}

/** One ratchet message echoed as opaque bytes: the session's own share of a round trip. */
async function sessionPing(sa: Session, sb: Session, message: Uint8Array, pings: number): Promise<number> {
  let waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const offB = sb.on('message', (m) => {
    sb.send(m).catch((e: unknown) => waiting?.reject(toError(e)));
  });
  const offA = sa.on('message', () => waiting?.resolve());
  const rtts: number[] = [];
  try {
    for (let i = 0; i < PING_WARMUP + pings; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        waiting = { resolve, reject };
        sa.send(message).catch(reject);
      });
      if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
    }
  } finally {
    offA();
    offB();
  }
  return median(rtts);
}

/** What a ping-pong through session and ratchet measured, and what it carried. */
interface RatchetPing {
  rttMs: number;
  /** Messages that carried a KEM block. */
  kemSteps: number;
  /** The median size of the ratchet messages it carried. */
  messageBytes: number;
  /** One of them, of that size: what the ratchet-sized session-alone ping echoes. */
  typical: Uint8Array;
}

/**
 * The message the ratchet-sized session-alone ping echoes: one the last ratchet ping carried, of
 * their median size (with a KEM block or without, as the ratchet sends them most of the time).
 */
let ratchetSizedProbe: Uint8Array | undefined;

/** Both ends' ratchet states, advanced in memory as messages go. */
interface Ratchets {
  a: RatchetState;
  b: RatchetState;
}

/** encodeRecord + ratchetEncrypt: what the app does to send a record. */
async function sealRecord(
  state: RatchetState,
  record: TextRecord,
): Promise<{ state: RatchetState; message: Uint8Array }> {
  return ratchetEncrypt(state, encodeRecord(record), { now: Date.now() });
}

/** ratchetDecrypt + decodeRecord: what the app does with a message (short of storing it). */
async function openRecord(
  state: RatchetState,
  message: Uint8Array,
): Promise<{ state: RatchetState; record: TextRecord }> {
  const opened = await ratchetDecrypt(state, message, { now: Date.now() });
  const record = decodeRecord(opened.plaintext);
  if (record.kind !== 'text') throw new Error('the ratchet ping-pong got another record than text');
  return { state: opened.state, record };
}

/**
 * 64 B text records through session and ratchet: A seals a record and sends it; B opens it and
 * answers with a record of its own the same way; A opens the answer. Advances `r`.
 */
async function pingThroughRatchets(
  sa: Session,
  sb: Session,
  r: Ratchets,
  pings: number,
): Promise<RatchetPing> {
  const body = asciiText(PING_BYTES);
  let waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const fail = (e: unknown) => waiting?.reject(toError(e));
  let kemSteps = 0;
  let counting = false;
  const carried: Uint8Array[] = [];
  const count = (m: Uint8Array): void => {
    if (!counting) return;
    carried.push(m);
    if (decodeRatchetMessage(m).header.kem) kemSteps++;
  };
  const offB = sb.on('message', (m) => {
    count(m);
    void (async () => {
      const got = await openRecord(r.b, m);
      const answer = await sealRecord(got.state, textRecord(got.record.body));
      r.b = answer.state;
      await sb.send(answer.message);
    })().catch(fail);
  });
  const offA = sa.on('message', (m) => {
    count(m);
    void (async () => {
      const got = await openRecord(r.a, m);
      r.a = got.state;
      waiting?.resolve();
    })().catch(fail);
  });
  const rtts: number[] = [];
  try {
    for (let i = 0; i < PING_WARMUP + pings; i++) {
      counting = i >= PING_WARMUP;
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        waiting = { resolve, reject };
        void (async () => {
          const sealed = await sealRecord(r.a, textRecord(body));
          r.a = sealed.state;
          await sa.send(sealed.message);
        })().catch(reject);
      });
      if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
    }
  } finally {
    offA();
    offB();
  }
  const messageBytes = median(carried.map((m) => m.length));
  const typical = carried.find((m) => m.length === messageBytes) ?? carried[0]!;
  return { rttMs: median(rtts), kemSteps, messageBytes, typical };
}

/** Session only: `count` ratchet-shaped 64 KiB messages from A to B. */
async function appBulk(
  sa: Session,
  sb: Session,
  ta: WebRtcTransport,
  count: number,
  message: Uint8Array,
  sendWindow: number,
): Promise<number> {
  const total = count * CHUNK_BYTES;
  const wrapping = message.length - CHUNK_BYTES;
  let got = 0;
  let off = (): void => undefined;
  const all = new Promise<void>((resolve) => {
    off = sb.on('message', (m) => {
      got += m.length - wrapping;
      if (got >= total) resolve();
    });
  });
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    // session.send() queues in order; a few in flight keep its queue from running dry.
    inFlight.push(sa.send(message));
    if (inFlight.length >= sendWindow) await inFlight.shift();
    if (ta.bufferedAmount > DEFAULT_HIGH_WATER_MARK) await ta.drain();
  }
  await Promise.all(inFlight);
  await all;
  const ms = performance.now() - t0;
  off();
  return ms;
}

/** Closes sessions and transports, and waits (a while at most) until both transports report it. */
async function closeApp(pair: AppPair, sessions: readonly Session[]): Promise<void> {
  const closed = Promise.all(
    [pair.ta, pair.tb].map(async (t) => new Promise<void>((resolve) => t.on('close', () => resolve()))),
  );
  await Promise.all(sessions.map(async (s) => s.close()));
  for (const c of pair.conns) c.close();
  await within(5_000, 'closing', closed).catch(() => undefined); // best effort: the next run opens its own
}

// --- classical: Noise XX over the same kind of channel ----------------------------------------

/**
 * The length of the introduction the classical session sent in messages 2 and 3 (its payload
 * format before the hybrid handshake, git a7dc1ed^:src/protocol/handshake-payload.ts): major,
 * minor, u64 clock, name length, name, capability count, then each capability with its length.
 */
function classicalPayloadLength(displayName: string, capabilities: readonly string[]): number {
  return 2 + 8 + 1 + utf8(displayName).length + 1 + capabilities.reduce((n, c) => n + 1 + c.length, 0);
}

/** Messages from a channel, in order, one `next()` at a time. */
function inbox(t: WebRtcTransport): { next(): Promise<Uint8Array>; off(): void } {
  const queued: Uint8Array[] = [];
  let waiter: ((m: Uint8Array) => void) | undefined;
  const off = t.on('message', (m) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(m);
    } else queued.push(m);
  });
  return {
    next: async () => {
      const m = queued.shift();
      if (m) return m;
      return new Promise<Uint8Array>((resolve) => (waiter = resolve));
    },
    off,
  };
}

/**
 * One side of the classical session's handshake as it ran before the hybrid one: three framed
 * messages (sequence and timestamp 0), the introduction in 2 and 3, then Split, the frame MAC keys
 * and a FrameProtector. Returns the sizes of the frames it sent.
 */
async function classicalSide(
  t: WebRtcTransport,
  identity: SessionIdentity,
  payloadLength: number,
): Promise<number[]> {
  const initiator = t.info.initiator;
  const hs: NoiseHandshake = createHandshake({
    initiator,
    prologue: buildPrologue(initiator, t.info.localFingerprint, t.info.remoteFingerprint),
    s: identity.keyPair,
    pattern: 'XX',
  });
  const messages = inbox(t);
  const sent: number[] = [];
  const send = (type: FrameType, message: Uint8Array): void => {
    const frame = encodeFrame({
      header: { type, flags: 0, seq: 0, timestamp: 0, length: message.length },
      payload: message,
    });
    sent.push(frame.length);
    t.send(frame);
  };
  const read = async (type: FrameType): Promise<Uint8Array> => {
    const frame = decodeFrame(await messages.next());
    if (frame.header.type !== type) throw new Error('classical handshake: a message out of order');
    return hs.readMessage(frame.payload);
  };
  try {
    if (initiator) {
      send(FrameType.HANDSHAKE_REQUEST, await hs.writeMessage(new Uint8Array(0)));
      await read(FrameType.HANDSHAKE_RESPONSE);
      send(FrameType.HANDSHAKE_FINISH, await hs.writeMessage(randomBytes(payloadLength)));
    } else {
      await read(FrameType.HANDSHAKE_REQUEST);
      send(FrameType.HANDSHAKE_RESPONSE, await hs.writeMessage(randomBytes(payloadLength)));
      await read(FrameType.HANDSHAKE_FINISH);
    }
  } finally {
    messages.off();
  }
  const { send: sendKey, recv } = hs.split();
  const keys = await deriveFrameMacKeys(hs.chainingKey(), hs.handshakeHash());
  new FrameProtector({
    send: sendKey,
    recv,
    sendMac: initiator ? keys.initiatorToResponder : keys.responderToInitiator,
    recvMac: initiator ? keys.responderToInitiator : keys.initiatorToResponder,
  });
  return sent;
}

let classicalHandshakeBytes: number[] = [];

async function classicalRun(): Promise<ClassicalFigures> {
  const ids = await identitiesFor();
  const payloadLength = classicalPayloadLength(ids[0].displayName, CAPABILITIES);
  const pair = await within(STEP_TIMEOUT_MS, 'connecting the classical transports', connectApp());
  try {
    const t0 = performance.now();
    const [sentA, sentB] = await within(
      STEP_TIMEOUT_MS,
      'the classical handshake',
      Promise.all([
        classicalSide(pair.ta, ids[0], payloadLength),
        classicalSide(pair.tb, ids[1], payloadLength),
      ]),
    );
    const handshakeMs = performance.now() - t0;
    classicalHandshakeBytes = [sentA[0]!, sentB[0]!, sentA[1]!];
    return { handshakeMs };
  } finally {
    await closeApp(pair, []);
  }
}

// --- runs --------------------------------------------------------------------------------------

let identities: Promise<[SessionIdentity, SessionIdentity]> | undefined;
let handshakeBytes: number[] = [];

/** Two in-memory identities with X25519 and ML-DSA-87 keys, made once for the page. */
async function identitiesFor(): Promise<[SessionIdentity, SessionIdentity]> {
  identities ??= Promise.all([createIdentity('A'), createIdentity('B')]);
  return identities;
}

/** A 64 B text record's ratchet message without a KEM block, as the session carries it (no ratchet). */
let smallProbe: Uint8Array;

async function appRun(
  o: BenchOptions,
  bulkBytes: number,
  bulkMessage: Uint8Array,
  ratchetFirst: boolean,
): Promise<AppFigures> {
  const ids = await identitiesFor();
  runConnections = [];
  const pair = await within(STEP_TIMEOUT_MS, 'connecting the app transports', connectApp());
  const sizes: number[] = [];
  const t0 = performance.now();
  const sa = sessionOver(pair.ta, ids[0]);
  const sb = sessionOver(pair.tb, ids[1]);
  const offs = [sa, sb].map((s) => s.on('frame', (f) => f.direction === 'out' && sizes.push(f.size)));
  let w: ReturnType<typeof watch> | undefined;
  try {
    const [pa, pb] = await within(STEP_TIMEOUT_MS, 'the handshake', Promise.all([sa.ready, sb.ready]));
    const handshakeMs = performance.now() - t0;
    offs.forEach((off) => off());
    handshakeBytes = sizes;
    const t1 = performance.now();
    const [ra, rb] = await Promise.all([startRatchet(sa, ids[0], pa), startRatchet(sb, ids[1], pb)]);
    const ratchetStartMs = performance.now() - t1;
    const ratchets: Ratchets = { a: ra, b: rb };
    w = watch([sa, sb]);
    const failed = w.failed;
    const pingSession = async (probe: Uint8Array) =>
      within(
        STEP_TIMEOUT_MS,
        'session ping-pong',
        Promise.race([failed, sessionPing(sa, sb, probe, o.pings)]),
      );
    const pingRatchet = async () =>
      within(
        STEP_TIMEOUT_MS,
        'ratchet ping-pong',
        Promise.race([failed, pingThroughRatchets(sa, sb, ratchets, o.pings)]),
      );
    // The ratchet ping first or last, in turn; the two session-alone pings beside each other.
    let ratchetPing: RatchetPing | undefined;
    if (ratchetFirst) ratchetPing = await pingRatchet();
    ratchetSizedProbe = ratchetPing?.typical ?? ratchetSizedProbe;
    const pingRttMs = await pingSession(smallProbe);
    const sessionRatchetSizedPingRttMs = await pingSession(ratchetSizedProbe!);
    ratchetPing ??= await pingRatchet();
    ratchetSizedProbe = ratchetPing.typical;
    const count = bulkBytes / CHUNK_BYTES;
    const ms = await within(
      STEP_TIMEOUT_MS,
      'app bulk',
      Promise.race([failed, appBulk(sa, sb, pair.ta, count, bulkMessage, o.sendWindow)]),
    );
    return {
      handshakeMs,
      ratchetStartMs,
      ratchetPingRttMs: ratchetPing.rttMs,
      pingRttMs,
      sessionRatchetSizedPingRttMs,
      ratchetKemSteps: ratchetPing.kemSteps,
      ratchetMessageBytes: ratchetPing.messageBytes,
      bulkMiBps: bulkBytes / MiB / (ms / 1000),
      discardedPackets: await discardedPackets(),
    };
  } finally {
    w?.stop();
    await closeApp(pair, [sa, sb]);
  }
}

async function bareRun(o: BenchOptions, bulkBytes: number, frameBytes: number): Promise<BareFigures> {
  runConnections = [];
  const p = await within(STEP_TIMEOUT_MS, 'connecting the bare channel', connectBare());
  try {
    const handshakeMs = await within(STEP_TIMEOUT_MS, 'bare handshake', bareHandshake(p, handshakeBytes));
    const pingRttMs = await within(STEP_TIMEOUT_MS, 'bare ping-pong', barePing(p, o.pings));
    const floorPingRttMs = await within(STEP_TIMEOUT_MS, 'floor ping-pong', floorPing(p, o.pings));
    const ms = await within(STEP_TIMEOUT_MS, 'bare bulk', bareBulk(p, bulkBytes / CHUNK_BYTES, frameBytes));
    return {
      handshakeMs,
      pingRttMs,
      floorPingRttMs,
      bulkMiBps: bulkBytes / MiB / (ms / 1000),
      discardedPackets: await discardedPackets(),
    };
  } finally {
    p.close();
  }
}

const describeBare = (f: BareFigures): string =>
  `bulk ${f.bulkMiBps.toFixed(1)} MiB/s (${f.discardedPackets} packets discarded), ` +
  `ping ${f.pingRttMs.toFixed(3)} ms (two AES-GCM layers: ${f.floorPingRttMs.toFixed(3)} ms), handshake ${f.handshakeMs.toFixed(2)} ms`;

const describeApp = (f: AppFigures): string =>
  `bulk ${f.bulkMiBps.toFixed(1)} MiB/s (${f.discardedPackets} packets discarded), ` +
  `ping session+ratchet ${f.ratchetPingRttMs.toFixed(3)} ms (${f.ratchetKemSteps} of its messages with a KEM block, ` +
  `median ${f.ratchetMessageBytes} B), ` +
  `session alone ${f.pingRttMs.toFixed(3)} ms (${f.sessionRatchetSizedPingRttMs.toFixed(3)} ms with the ratchet's message size), hybrid handshake ${f.handshakeMs.toFixed(2)} ms, ` +
  `ratchet start ${f.ratchetStartMs.toFixed(2)} ms`;

async function run(options: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const o = { ...DEFAULTS, ...options };
  if (!(o.runs >= 1) || o.bulkBytes % CHUNK_BYTES !== 0 || o.warmupBulkBytes % CHUNK_BYTES !== 0) {
    throw new Error(`runs must be ≥ 1 and the bulk sizes multiples of ${CHUNK_BYTES} bytes`);
  }
  const bulkMessage = await ratchetShaped(randomBytes(CHUNK_BYTES));
  smallProbe = await ratchetShaped(encodeRecord(textRecord(asciiText(PING_BYTES))));
  const frameBytes = FRAME_HEADER_LENGTH + bulkMessage.length + AEAD_TAG_LENGTH + FRAME_MAC_LENGTH;
  // Warm-up, app first: it records the handshake frame sizes the bare stand-in sends (and the
  // ratchet ping first, for the message the session-alone ping echoes).
  await appRun(o, o.warmupBulkBytes, bulkMessage, true);
  await bareRun(o, o.warmupBulkBytes, frameBytes);
  await classicalRun();
  const bare: BareFigures[] = [];
  const app: AppFigures[] = [];
  const classical: ClassicalFigures[] = [];
  for (let r = 0; r < o.runs; r++) {
    const steps = [
      async () => bare.push(await bareRun(o, o.bulkBytes, frameBytes)),
      async () => app.push(await appRun(o, o.bulkBytes, bulkMessage, r % 2 === 1)),
      async () => classical.push(await classicalRun()),
    ];
    // Each path goes first, second and third in turn.
    const order = [0, 1, 2].map((i) => steps[(i + r) % 3]!);
    for (const step of order) await step();
    console.log(
      `run ${r + 1}/${o.runs}: bare ${describeBare(bare.at(-1)!)}; app ${describeApp(app.at(-1)!)}; ` +
        `classical XX handshake ${classical.at(-1)!.handshakeMs.toFixed(2)} ms`,
    );
  }
  return {
    options: o,
    chunkBytes: CHUNK_BYTES,
    frameBytes,
    handshakeBytes,
    classicalHandshakeBytes,
    pingBytes: { bare: PING_BYTES, session: smallProbe.length },
    bare,
    app,
    classical,
    median: { bare: medians(bare), app: medians(app), classical: medians(classical) },
  };
}

// --- profile -------------------------------------------------------------------------------------

async function protectorPair(): Promise<{ a: FrameProtector; b: FrameProtector }> {
  const cipher = async (key: Uint8Array): Promise<NoiseCipherState> => {
    const c = new NoiseCipherState();
    await c.initializeKey(key);
    return c;
  };
  const [k1, k2] = [randomBytes(32), randomBytes(32)];
  const macs = await deriveFrameMacKeys(randomBytes(32), randomBytes(32));
  return {
    a: new FrameProtector({
      send: await cipher(k1),
      recv: await cipher(k2),
      sendMac: macs.initiatorToResponder,
      recvMac: macs.responderToInitiator,
    }),
    b: new FrameProtector({
      send: await cipher(k2),
      recv: await cipher(k1),
      sendMac: macs.responderToInitiator,
      recvMac: macs.initiatorToResponder,
    }),
  };
}

/** Microseconds per call of `step(i)`, `frames` calls, `overlap` at a time. */
async function perFrame(frames: number, overlap: number, step: (i: number) => unknown): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < frames; i += overlap) {
    const batch: unknown[] = [];
    for (let j = i; j < Math.min(frames, i + overlap); j++) batch.push(step(j));
    await Promise.all(batch);
  }
  return ((performance.now() - t0) * 1000) / frames;
}

/** Two ratchets started as a session starts them, without a network (fresh keys, random root). */
async function ratchetPair(): Promise<Ratchets> {
  const [ia, ib] = await identitiesFor();
  const [ka, kb] = await Promise.all([generateRatchetInitKeys(), generateRatchetInitKeys()]);
  const rootKey = randomBytes(32);
  const ratchetId = randomBytes(16);
  const start = async (initiator: boolean) => {
    const [ours, theirs] = initiator ? [ka, kb] : [kb, ka];
    const [self, peer] = initiator ? [ia, ib] : [ib, ia];
    return initRatchet({
      initiator,
      rootKey,
      ratchetId,
      ours,
      theirs: { dhPublicKey: theirs.dh.publicKey, kemPublicKey: theirs.kem.publicKey },
      localIdentityKey: self.keyPair.publicKey,
      remoteIdentityKey: peer.keyPair.publicKey,
      now: Date.now(),
    });
  };
  return { a: await start(true), b: await start(false) };
}

/** Median µs of the ratchet's steps on 64 B text records (see ProfileResult.ratchet). */
async function ratchetProfile(messages: number): Promise<ProfileResult['ratchet']> {
  const body = asciiText(PING_BYTES);
  const timed = async <T>(us: number[], f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    us.push((performance.now() - t0) * 1000);
    return out;
  };
  // One way: A writes `messages` records on one chain, B reads them.
  let r = await ratchetPair();
  const enc: number[] = [];
  const dec: number[] = [];
  const sealed: Uint8Array[] = [];
  for (let i = 0; i < messages; i++) {
    const s = await timed(enc, async () => sealRecord(r.a, textRecord(body)));
    r.a = s.state;
    sealed.push(s.message);
  }
  for (const m of sealed) r.b = (await timed(dec, async () => openRecord(r.b, m))).state;
  // Both ways, one message each in turn: every read is a DH step; then with a KEM step each.
  // Both ways, one message each in turn (the ping-pong's pattern): a message's encrypt and
  // decrypt together, with whatever DH and KEM steps the ratchet makes at that pace; then with a
  // DH and a KEM step on every message (dhStepIntervalMs and kemStepIntervalMs 0, given to both
  // calls; a ratchet without the DH option steps on every reply anyway).
  const alternating = async (everyMessage: boolean): Promise<number> => {
    r = await ratchetPair();
    const us: number[] = [];
    for (let i = 0; i < messages; i++) {
      const [from, to] = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const options = {
        now: Date.now(),
        ...(everyMessage ? { dhStepIntervalMs: 0, kemStepIntervalMs: 0 } : {}),
      };
      await timed(us, async () => {
        const sealed = await ratchetEncrypt(r[from], encodeRecord(textRecord(body)), options);
        r[from] = sealed.state;
        const opened = await ratchetDecrypt(r[to], sealed.message, options);
        decodeRecord(opened.plaintext);
        r[to] = opened.state;
      });
    }
    return median(us.slice(2)); // the first two start the chains
  };
  return {
    encryptUs: median(enc),
    decryptSameChainUs: median(dec),
    alternatingUs: await alternating(false),
    alternatingEveryStepUs: await alternating(true),
  };
}

/** The hybrid handshake's primitives, one at a time (see ProfileResult.handshake). */
async function handshakeProfile(times: number): Promise<ProfileResult['handshake']> {
  const [ia, ib] = await identitiesFor();
  const ms = async (f: () => unknown): Promise<number> => {
    const each: number[] = [];
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      await f();
      each.push(performance.now() - t0);
    }
    return median(each);
  };
  const hash = randomBytes(32);
  const context = HANDSHAKE_SIGNATURE_CONTEXT;
  const signature = await signWithIdentityKey(ia.signing.privateKey, hash, context);
  const kem = mlKem1024KeyPair();
  const { cipherText } = mlKem1024Encapsulate(kem.publicKey);
  return {
    mlDsa87SignMs: await ms(async () => signWithIdentityKey(ia.signing.privateKey, hash, context)),
    mlDsa87VerifyMs: await ms(() => mlDsa87Verify(ia.signing.publicKey, hash, signature, context)),
    mlKem1024KeyPairMs: await ms(() => mlKem1024KeyPair()),
    mlKem1024EncapsulateMs: await ms(() => mlKem1024Encapsulate(kem.publicKey)),
    mlKem1024DecapsulateMs: await ms(() => mlKem1024Decapsulate(cipherText, kem.secretKey)),
    x25519KeyPairMs: await ms(async () => generateDhKeyPair()),
    x25519AgreementMs: await ms(async () => x25519SharedSecret(ia.keyPair.privateKey, ib.keyPair.publicKey)),
    // Per side: one signature made and one checked; the initiator's e1 key pair and each side's
    // ratchet key pair (ML-KEM and X25519); the responder's encapsulation, the initiator's
    // decapsulation; an ephemeral X25519 key each, and ee, es, se on both sides.
    calls: {
      mlDsa87Sign: 2,
      mlDsa87Verify: 2,
      mlKem1024KeyPair: 3,
      mlKem1024Encapsulate: 1,
      mlKem1024Decapsulate: 1,
      x25519KeyPair: 4,
      x25519Agreement: 6,
    },
  };
}

async function profile(options: Partial<ProfileOptions> = {}): Promise<ProfileResult> {
  const { frames, overlap } = { frames: 1024, overlap: 8, ...options };
  const subtle = globalThis.crypto.subtle;
  const body = asciiText(MAX_TEXT_BODY_BYTES);
  const record = textRecord(body);
  const plaintext = encodeRecord(record);
  const aes = await subtle.importKey('raw', randomBytes(32), 'AES-GCM', false, ['encrypt']);
  const hmac = await HmacKey.import(randomBytes(32));
  const ad = randomBytes(FRAME_HEADER_LENGTH);
  const authenticated = randomBytes(FRAME_HEADER_LENGTH + plaintext.length + AEAD_TAG_LENGTH);
  const encrypt = async (i: number): Promise<ArrayBuffer> => {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, i);
    return subtle.encrypt({ name: 'AES-GCM', iv, additionalData: ad }, aes, plaintext);
  };
  const result: Omit<
    ProfileResult,
    | 'sealUs'
    | 'openUs'
    | 'sealAndOpenConcurrentUs'
    | 'smallSealUs'
    | 'smallOpenUs'
    | 'ratchet'
    | 'handshake'
    | 'pingRttMs'
  > = {
    frameBytes: FRAME_HEADER_LENGTH + plaintext.length + AEAD_TAG_LENGTH + FRAME_MAC_LENGTH,
    encodeRecordUs: await perFrame(frames, 1, () => encodeRecord(record)),
    decodeRecordUs: await perFrame(frames, 1, () => decodeRecord(plaintext)),
    aesGcmEncryptUs: await perFrame(frames, 1, encrypt),
    aesGcmEncryptOverlappedUs: await perFrame(frames, overlap, encrypt),
    hmacSignUs: await perFrame(frames, 1, async () => hmac.sign(authenticated)),
    hmacSignOverlappedUs: await perFrame(frames, overlap, async () => hmac.sign(authenticated)),
    encryptBesideHmacUs: await perFrame(frames, 1, async (i) =>
      Promise.all([encrypt(i), hmac.sign(authenticated)]),
    ),
  };
  let { a, b } = await protectorPair();
  const sealed: Uint8Array[] = [];
  const sealUs = await perFrame(frames, 1, async () =>
    sealed.push(await a.seal(FrameType.REGULAR_MESSAGE, plaintext)),
  );
  const openUs = await perFrame(frames, 1, async (i) => b.open(sealed[i]!));
  ({ a, b } = await protectorPair());
  // The session's steady state: the sender seals frame i while the receiver opens frame i − 1.
  let previous: Uint8Array | undefined;
  const sealAndOpenConcurrentUs = await perFrame(frames, 1, async () => {
    const [frame] = await Promise.all([
      a.seal(FrameType.REGULAR_MESSAGE, plaintext),
      previous ? b.open(previous) : undefined,
    ]);
    previous = frame;
  });
  // A 64 B text record's ratchet message, as the session carries it.
  const small = (await sealRecord((await ratchetPair()).a, textRecord(asciiText(PING_BYTES)))).message;
  ({ a, b } = await protectorPair());
  const smallSealed: Uint8Array[] = [];
  const smallSealUs = await perFrame(frames, 1, async () =>
    smallSealed.push(await a.seal(FrameType.REGULAR_MESSAGE, small)),
  );
  const smallOpenUs = await perFrame(frames, 1, async (i) => b.open(smallSealed[i]!));
  return {
    ...result,
    sealUs,
    openUs,
    sealAndOpenConcurrentUs,
    smallSealUs,
    smallOpenUs,
    ratchet: await ratchetProfile(400),
    handshake: await handshakeProfile(9),
    pingRttMs: await pingLadder(),
  };
}

/** 64-byte round trips through the simple-peer transport alone, echoed as they arrive. */
async function transportPing(ta: WebRtcTransport, tb: WebRtcTransport, pings: number): Promise<number> {
  const msg = new Uint8Array(PING_BYTES);
  let next = (): void => undefined;
  const offB = tb.on('message', (d) => tb.send(d));
  const offA = ta.on('message', () => next());
  const rtts: number[] = [];
  for (let i = 0; i < PING_WARMUP + pings; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      next = resolve;
      ta.send(msg);
    });
    if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
  }
  offA();
  offB();
  return median(rtts);
}

/**
 * Ping-pong on the bare channel, the transport alone, the session (a 151 B message, then one of
 * the ratchet's size), and session + ratchet, three times each.
 */
async function pingLadder(): Promise<ProfileResult['pingRttMs']> {
  const ids = await identitiesFor();
  const rtt = {
    bare: [] as number[],
    transport: [] as number[],
    session: [] as number[],
    sessionRatchetSized: [] as number[],
    ratchet: [] as number[],
  };
  const small = await ratchetShaped(encodeRecord(textRecord(asciiText(PING_BYTES))));
  for (let r = 0; r < 3; r++) {
    const p = await connectBare();
    rtt.bare.push(await barePing(p, DEFAULTS.pings));
    p.close();
    const t = await connectApp();
    rtt.transport.push(await transportPing(t.ta, t.tb, DEFAULTS.pings));
    await closeApp(t, []);
    const s = await connectApp();
    const [sa, sb] = [sessionOver(s.ta, ids[0]), sessionOver(s.tb, ids[1])];
    const [pa, pb] = await Promise.all([sa.ready, sb.ready]);
    const ratchets: Ratchets = {
      a: await startRatchet(sa, ids[0], pa),
      b: await startRatchet(sb, ids[1], pb),
    };
    const viaRatchet = await pingThroughRatchets(sa, sb, ratchets, DEFAULTS.pings);
    rtt.ratchet.push(viaRatchet.rttMs);
    rtt.session.push(await sessionPing(sa, sb, small, DEFAULTS.pings));
    rtt.sessionRatchetSized.push(await sessionPing(sa, sb, viaRatchet.typical, DEFAULTS.pings));
    await closeApp(s, [sa, sb]);
  }
  return {
    bare: median(rtt.bare),
    transport: median(rtt.transport),
    session: median(rtt.session),
    sessionRatchetSized: median(rtt.sessionRatchetSized),
    ratchet: median(rtt.ratchet),
  };
}

window.bench = { run, profile };
