/**
 * Benchmark page for bench/browser.bench.ts. Both ends live in this one page, over loopback with
 * host candidates only, so the app path and the bare platform run side by side:
 *
 *   bare: RTCPeerConnection ⇄ RTCPeerConnection, one ordered, reliable RTCDataChannel; bulk
 *         messages as large as the app's bulk frames, with the transport's own high/low-water
 *         backpressure (bufferedAmount, bufferedamountlow)
 *   app:  createSimplePeerTransport ⇄ createSimplePeerTransport (offer and answer handed over
 *         in-page), then createSession on each as secureSession does: Noise XX, then
 *         HMAC-framed AES-GCM; bulk data as text records with the largest body (64 KiB of ASCII)
 *
 * Every run uses a fresh connection and measures, in order:
 *   handshake  app: from both channels open to both `session.ready` (three Noise messages);
 *              bare: the same three messages, same sizes, A → B → A → B, with no work between
 *   ping-pong  64-byte messages echoed by the other end, one at a time; the median round trip
 *   bulk       `bulkBytes` of application data, from the first send until the receiver has it all
 * Runs alternate bare and app, the order flipped every run, after one small warm-up run of each.
 * `window.bench.run(opts)` returns every run's figures and their medians.
 *
 * `window.bench.profile(opts)` says where the time goes: it times the app path's pieces on
 * bulk-sized frames without a network (the WebCrypto calls alone, serially and overlapped, and
 * FrameProtector's seal and open), seal and open of a 64-byte record, and 64-byte round trips on
 * the bare channel, through the simple-peer transport alone, and through the session.
 */
import { CAPABILITIES } from '../src/app/connect';
import { HmacKey } from '../src/crypto/hmac';
import { randomBytes } from '../src/crypto/random';
import { FrameType, FRAME_HEADER_LENGTH, FRAME_MAC_LENGTH } from '../src/protocol/frame';
import { NoiseCipherState, generateDhKeyPair } from '../src/protocol/noise';
import { decodeRecord, encodeRecord, MAX_TEXT_BODY_BYTES, type TextRecord } from '../src/protocol/records';
import { AEAD_TAG_LENGTH, FrameProtector, deriveFrameMacKeys } from '../src/protocol/secure-frames';
import { createSession, type Session, type SessionIdentity } from '../src/protocol/session';
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

export interface Figures {
  handshakeMs: number;
  pingRttMs: number;
  bulkMiBps: number;
  /**
   * UDP packets Chromium dropped before they left (candidate-pair packetsDiscardedOnSend, both
   * ends, the whole run): SCTP losses that the platform itself causes under bulk load.
   */
  discardedPackets: number;
}

export interface BenchResult {
  options: BenchOptions;
  /** Text-record body bytes per bulk message (application data). */
  chunkBytes: number;
  /** Bytes on the channel per bulk message: the app's frame, and the bare path's message. */
  frameBytes: number;
  /** The three handshake frames' sizes, which the bare handshake stand-in also sends. */
  handshakeBytes: number[];
  bare: Figures[];
  app: Figures[];
  median: { bare: Figures; app: Figures };
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
  /** FrameProtector.seal and open of a 64-byte text record, µs each. */
  smallSealUs: number;
  smallOpenUs: number;
  /** Median 64-byte round trips (ms), fresh connections, medians of three: what each layer adds. */
  pingRttMs: { bare: number; transport: number; session: number };
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

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
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

const asciiText = (length: number): string =>
  Array.from(randomBytes(length), (b) => String.fromCharCode(0x61 + (b % 26))).join('');

const textRecord = (body: string): TextRecord => ({
  kind: 'text',
  id: randomBytes(16),
  sentAt: Date.now(),
  body,
});

/** The channel bytes of one text-record frame with a `bodyBytes`-byte ASCII body. */
const frameBytesFor = (bodyBytes: number): number =>
  FRAME_HEADER_LENGTH +
  encodeRecord(textRecord('a'.repeat(bodyBytes))).length +
  AEAD_TAG_LENGTH +
  FRAME_MAC_LENGTH;

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

// --- app: simple-peer transports and sessions ------------------------------------------------

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

async function appPing(sa: Session, sb: Session, pings: number): Promise<number> {
  const body = asciiText(PING_BYTES);
  let waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const offB = sb.on('record', (r) => {
    sb.send(r).catch((e: unknown) => waiting?.reject(e instanceof Error ? e : new Error(String(e))));
  });
  const offA = sa.on('record', () => waiting?.resolve());
  const rtts: number[] = [];
  try {
    for (let i = 0; i < PING_WARMUP + pings; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        waiting = { resolve, reject };
        sa.send(textRecord(body)).catch(reject);
      });
      if (i >= PING_WARMUP) rtts.push(performance.now() - t0);
    }
  } finally {
    offA();
    offB();
  }
  return median(rtts);
}

async function appBulk(
  sa: Session,
  sb: Session,
  ta: WebRtcTransport,
  count: number,
  body: string,
  sendWindow: number,
): Promise<number> {
  const total = count * body.length;
  let got = 0;
  let off = (): void => undefined;
  const all = new Promise<void>((resolve) => {
    off = sb.on('record', (r) => {
      if (r.kind === 'text') got += r.body.length; // ASCII: characters are bytes
      if (got >= total) resolve();
    });
  });
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    // session.send() queues in order; a few in flight keep its queue from running dry.
    inFlight.push(sa.send(textRecord(body)));
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

// --- runs --------------------------------------------------------------------------------------

let identities: [SessionIdentity, SessionIdentity] | undefined;
let handshakeBytes: number[] = [];

async function sessionIdentities(): Promise<[SessionIdentity, SessionIdentity]> {
  const make = async (displayName: string): Promise<SessionIdentity> => ({
    keyPair: await generateDhKeyPair(),
    userId: randomBytes(16),
    displayName,
  });
  identities ??= [await make('A'), await make('B')];
  return identities;
}

async function appRun(o: BenchOptions, bulkBytes: number, body: string): Promise<Figures> {
  const ids = await sessionIdentities();
  runConnections = [];
  const pair = await within(STEP_TIMEOUT_MS, 'connecting the app transports', connectApp());
  const sizes: number[] = [];
  const t0 = performance.now();
  const sa = sessionOver(pair.ta, ids[0]);
  const sb = sessionOver(pair.tb, ids[1]);
  const offs = [sa, sb].map((s) => s.on('frame', (f) => f.direction === 'out' && sizes.push(f.size)));
  let w: ReturnType<typeof watch> | undefined;
  try {
    await within(STEP_TIMEOUT_MS, 'the handshake', Promise.all([sa.ready, sb.ready]));
    const handshakeMs = performance.now() - t0;
    offs.forEach((off) => off());
    handshakeBytes = sizes;
    w = watch([sa, sb]);
    const pingRttMs = await within(
      STEP_TIMEOUT_MS,
      'app ping-pong',
      Promise.race([w.failed, appPing(sa, sb, o.pings)]),
    );
    const count = bulkBytes / body.length;
    const ms = await within(
      STEP_TIMEOUT_MS,
      'app bulk',
      Promise.race([w.failed, appBulk(sa, sb, pair.ta, count, body, o.sendWindow)]),
    );
    return {
      handshakeMs,
      pingRttMs,
      bulkMiBps: bulkBytes / MiB / (ms / 1000),
      discardedPackets: await discardedPackets(),
    };
  } finally {
    w?.stop();
    await closeApp(pair, [sa, sb]);
  }
}

async function bareRun(
  o: BenchOptions,
  bulkBytes: number,
  chunkBytes: number,
  frameBytes: number,
): Promise<Figures> {
  runConnections = [];
  const p = await within(STEP_TIMEOUT_MS, 'connecting the bare channel', connectBare());
  try {
    const handshakeMs = await within(STEP_TIMEOUT_MS, 'bare handshake', bareHandshake(p, handshakeBytes));
    const pingRttMs = await within(STEP_TIMEOUT_MS, 'bare ping-pong', barePing(p, o.pings));
    const ms = await within(STEP_TIMEOUT_MS, 'bare bulk', bareBulk(p, bulkBytes / chunkBytes, frameBytes));
    return {
      handshakeMs,
      pingRttMs,
      bulkMiBps: bulkBytes / MiB / (ms / 1000),
      discardedPackets: await discardedPackets(),
    };
  } finally {
    p.close();
  }
}

const describe = (f: Figures): string =>
  `bulk ${f.bulkMiBps.toFixed(1)} MiB/s (${f.discardedPackets} packets discarded), ` +
  `ping ${f.pingRttMs.toFixed(3)} ms, handshake ${f.handshakeMs.toFixed(2)} ms`;

const medians = (fs: readonly Figures[]): Figures => ({
  handshakeMs: median(fs.map((f) => f.handshakeMs)),
  pingRttMs: median(fs.map((f) => f.pingRttMs)),
  bulkMiBps: median(fs.map((f) => f.bulkMiBps)),
  discardedPackets: median(fs.map((f) => f.discardedPackets)),
});

async function run(options: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const o = { ...DEFAULTS, ...options };
  const chunkBytes = MAX_TEXT_BODY_BYTES;
  if (!(o.runs >= 1) || o.bulkBytes % chunkBytes !== 0 || o.warmupBulkBytes % chunkBytes !== 0) {
    throw new Error(`runs must be ≥ 1 and the bulk sizes multiples of ${chunkBytes} bytes`);
  }
  const body = asciiText(chunkBytes);
  const frameBytes = frameBytesFor(chunkBytes);
  // Warm-up, app first: it records the handshake frame sizes the bare stand-in sends.
  await appRun(o, o.warmupBulkBytes, body);
  await bareRun(o, o.warmupBulkBytes, chunkBytes, frameBytes);
  const bare: Figures[] = [];
  const app: Figures[] = [];
  for (let r = 0; r < o.runs; r++) {
    const steps = [
      async () => bare.push(await bareRun(o, o.bulkBytes, chunkBytes, frameBytes)),
      async () => app.push(await appRun(o, o.bulkBytes, body)),
    ];
    if (r % 2 === 1) steps.reverse();
    for (const step of steps) await step();
    console.log(`run ${r + 1}/${o.runs}: bare ${describe(bare.at(-1)!)}; app ${describe(app.at(-1)!)}`);
  }
  return {
    options: o,
    chunkBytes,
    frameBytes,
    handshakeBytes,
    bare,
    app,
    median: { bare: medians(bare), app: medians(app) },
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
    'sealUs' | 'openUs' | 'sealAndOpenConcurrentUs' | 'smallSealUs' | 'smallOpenUs' | 'pingRttMs'
  > = {
    frameBytes: frameBytesFor(MAX_TEXT_BODY_BYTES),
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
  const small = encodeRecord(textRecord(asciiText(PING_BYTES)));
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

/** Ping-pong on the bare channel, the transport alone, and the session, interleaved, three times each. */
async function pingLadder(): Promise<ProfileResult['pingRttMs']> {
  const ids = await sessionIdentities();
  const rtt = { bare: [] as number[], transport: [] as number[], session: [] as number[] };
  for (let r = 0; r < 3; r++) {
    const p = await connectBare();
    rtt.bare.push(await barePing(p, DEFAULTS.pings));
    p.close();
    const t = await connectApp();
    rtt.transport.push(await transportPing(t.ta, t.tb, DEFAULTS.pings));
    await closeApp(t, []);
    const s = await connectApp();
    const [sa, sb] = [sessionOver(s.ta, ids[0]), sessionOver(s.tb, ids[1])];
    await Promise.all([sa.ready, sb.ready]);
    rtt.session.push(await appPing(sa, sb, DEFAULTS.pings));
    await closeApp(s, [sa, sb]);
  }
  return { bare: median(rtt.bare), transport: median(rtt.transport), session: median(rtt.session) };
}

window.bench = { run, profile };
