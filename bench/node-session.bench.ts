/**
 * Node benchmark of the v0.1 session core against the bare platform, in one process:
 *  1. seal+open through the session's frames (FrameProtector: AES-256-GCM + HMAC-SHA256 + checks)
 *     versus bare WebCrypto AES-256-GCM encrypt+decrypt, for 64 B and 64 KiB messages;
 *  2. a full session handshake between two sessions over the in-memory transport: the hybrid one
 *     the session runs (Noise_XXhfs_25519+MLKEM1024, ML-DSA-87 signatures, fresh ratchet keys),
 *     beside plain Noise XX with the same static keys (createHandshake, in memory, payloads the size
 *     of the classical session's introduction), which the session no longer speaks.
 * Runs are interleaved (bare, session, bare, session, …) and medians of 9 (15 for handshakes) are
 * reported. The conversation ratchet and its store are bench/ratchet-store.bench.ts.
 */
import { generateSigningKeyPair } from '../src/crypto/ml-dsa-keygen';
import { randomBytes } from '../src/crypto/random';
import { FrameType } from '../src/protocol/frame';
import { NoiseCipherState, createHandshake, generateDhKeyPair } from '../src/protocol/noise';
import { FrameProtector, deriveFrameMacKeys } from '../src/protocol/secure-frames';
import { createSession, type SessionIdentity } from '../src/protocol/session';
import { deriveUserId } from '../src/protocol/user-id';
import { createMemoryTransportPair } from '../src/rtc/memory-transport';

const RUNS = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function protectorPair(): Promise<{ a: FrameProtector; b: FrameProtector }> {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const cs = async (k: Uint8Array) => {
    const c = new NoiseCipherState();
    await c.initializeKey(k);
    return c;
  };
  const macs = await deriveFrameMacKeys(randomBytes(32), randomBytes(32));
  return {
    a: new FrameProtector({
      send: await cs(k1),
      recv: await cs(k2),
      sendMac: macs.initiatorToResponder,
      recvMac: macs.responderToInitiator,
    }),
    b: new FrameProtector({
      send: await cs(k2),
      recv: await cs(k1),
      sendMac: macs.responderToInitiator,
      recvMac: macs.initiatorToResponder,
    }),
  };
}

/** Bytes per second of bare AES-256-GCM encrypt+decrypt with a fresh nonce each message. */
async function bareRun(size: number, count: number): Promise<number> {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', randomBytes(32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const msg = randomBytes(size);
  const ad = new Uint8Array(25);
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    view.setUint32(8, i);
    const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: ad }, key, msg);
    await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: ad }, key, ct);
  }
  return (size * count) / ((performance.now() - t0) / 1000);
}

async function sessionRun(size: number, count: number): Promise<number> {
  const { a, b } = await protectorPair();
  const msg = randomBytes(size);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await b.open(await a.seal(FrameType.REGULAR_MESSAGE, msg));
  return (size * count) / ((performance.now() - t0) / 1000);
}

/** An in-memory identity as the app makes one: X25519 and ML-DSA-87 keys, the user id from both. */
async function identity(displayName: string): Promise<SessionIdentity> {
  const keyPair = await generateDhKeyPair();
  const signing = await generateSigningKeyPair();
  return { keyPair, signing, userId: deriveUserId(keyPair.publicKey, signing.publicKey), displayName };
}

let identities: Promise<[SessionIdentity, SessionIdentity]> | undefined;

async function handshakeRun(): Promise<number> {
  const { a, b } = createMemoryTransportPair();
  const [ia, ib] = await (identities ??= Promise.all([identity('A'), identity('B')]));
  const t0 = performance.now();
  const sa = createSession({
    channel: a,
    initiator: true,
    localFingerprint: a.info.localFingerprint,
    remoteFingerprint: a.info.remoteFingerprint,
    identity: ia,
  });
  const sb = createSession({
    channel: b,
    initiator: false,
    localFingerprint: b.info.localFingerprint,
    remoteFingerprint: b.info.remoteFingerprint,
    identity: ib,
  });
  await Promise.all([sa.ready, sb.ready]);
  const ms = performance.now() - t0;
  await sa.close();
  return ms;
}

/**
 * Plain Noise XX between the same static keys, messages handed over in memory, payloads of the
 * classical session's introduction size (28 bytes for name "A" and its two capabilities), then
 * Split and the frame MAC keys: the classical session's handshake without its channel.
 */
async function classicalRun(): Promise<number> {
  const [ia, ib] = await (identities ??= Promise.all([identity('A'), identity('B')]));
  const prologue = randomBytes(74);
  const t0 = performance.now();
  const i = createHandshake({ initiator: true, prologue, s: ia.keyPair, pattern: 'XX' });
  const r = createHandshake({ initiator: false, prologue, s: ib.keyPair, pattern: 'XX' });
  await r.readMessage(await i.writeMessage(new Uint8Array(0)));
  await i.readMessage(await r.writeMessage(randomBytes(28)));
  await r.readMessage(await i.writeMessage(randomBytes(28)));
  await Promise.all(
    [i, r].map(async (hs) => {
      hs.split();
      await deriveFrameMacKeys(hs.chainingKey(), hs.handshakeHash());
    }),
  );
  return performance.now() - t0;
}

const fmt = (bps: number) => `${(bps / 2 ** 20).toFixed(1)} MiB/s`;

async function main(): Promise<void> {
  console.log(`SecMsg Node benchmark (node ${process.version}, ${RUNS} interleaved runs, medians)`);
  for (const [label, size, count] of [
    ['64 B', 64, 4000],
    ['64 KiB', 64 * 1024, 600],
  ] as const) {
    await bareRun(size, count / 4); // warm up both paths
    await sessionRun(size, count / 4);
    const bare: number[] = [];
    const sess: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      bare.push(await bareRun(size, count));
      sess.push(await sessionRun(size, count));
    }
    const ratio = median(sess) / median(bare);
    console.log(
      `seal+open ${label.padEnd(6)}: session ${fmt(median(sess))}, bare AES-GCM ${fmt(median(bare))}, ratio ${ratio.toFixed(2)}` +
        (size === 64 * 1024 ? ` (target >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})` : ''),
    );
  }
  await handshakeRun(); // warm up both, and make the identities
  await classicalRun();
  const hs: number[] = [];
  const xx: number[] = [];
  for (let r = 0; r < Math.max(RUNS, 15); r++) {
    hs.push(await handshakeRun());
    xx.push(await classicalRun());
  }
  const m = median(hs);
  console.log(
    `handshake (3 messages, both sides, in-memory channel): hybrid session ${m.toFixed(2)} ms, ` +
      `classical Noise XX ${median(xx).toFixed(2)} ms (the < 10 ms target was set for classical XX: ` +
      `${median(xx) < 10 ? 'met' : 'NOT met'}; none is set for the hybrid in Node)`,
  );
}

await main();
