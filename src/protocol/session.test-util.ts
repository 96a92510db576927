/** Test helpers: two sessions over an in-memory transport pair, with a tap for the attacker. */
import { x25519 } from '@noble/curves/ed25519.js';
import { concatBytes, utf8 } from '../crypto/bytes';
import type { SigningKeyPair } from '../crypto/ml-dsa-key';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { randomBytes } from '../crypto/random';
import { RATCHET_HEADER_LENGTH, encodeRatchetHeader } from './ratchet';
import { deriveUserId } from './user-id';
import { createMemoryTransportPair, type MemoryTransportOptions, type Side } from '../rtc/memory-transport';
import type { Transport } from '../rtc/transport';
import type { ProtocolError } from './errors';
import { generateDhKeyPair, type DhKeyPair } from './noise';
import {
  createSession,
  type Session,
  type SessionClose,
  type SessionIdentity,
  type SessionOptions,
} from './session';

export async function makeIdentity(
  displayName: string,
  keyPair?: DhKeyPair,
  signing?: SigningKeyPair,
): Promise<SessionIdentity> {
  const pair = keyPair ?? (await generateDhKeyPair());
  const sig = signing ?? (await generateSigningKeyPair());
  return { keyPair: pair, signing: sig, userId: deriveUserId(pair.publicKey, sig.publicKey), displayName };
}

export interface Observed {
  session: Session;
  /** The bodies of the stand-in ratchet messages (`text`) that arrived, in order. */
  records: string[];
  errors: ProtocolError[];
  closes: SessionClose[];
}

export function observe(session: Session): Observed {
  const o: Observed = { session, records: [], errors: [], closes: [] };
  session.on('message', (m) => o.records.push(bodyOf(m)));
  session.on('error', (e) => o.errors.push(e));
  session.on('close', (c) => o.closes.push(c));
  return o;
}

export function sessionOn(
  t: Transport,
  identity: SessionIdentity,
  extra: Partial<Omit<SessionOptions, 'channel' | 'identity'>> = {},
): Session {
  return createSession({
    channel: t,
    initiator: t.info.initiator,
    localFingerprint: t.info.localFingerprint,
    remoteFingerprint: t.info.remoteFingerprint,
    maxMessageSize: t.info.maxMessageSize,
    identity,
    handshakeTimeoutMs: 5_000,
    ...extra,
  });
}

export interface PairOptions extends MemoryTransportOptions {
  alice?: SessionIdentity;
  bob?: SessionIdentity;
  aliceOptions?: Partial<Omit<SessionOptions, 'channel' | 'identity'>>;
  bobOptions?: Partial<Omit<SessionOptions, 'channel' | 'identity'>>;
}

export async function sessionPair(options: PairOptions = {}) {
  const transports = createMemoryTransportPair(options);
  const aliceId = options.alice ?? (await makeIdentity('Alice'));
  const bobId = options.bob ?? (await makeIdentity('Bob'));
  const alice = observe(sessionOn(transports.a, aliceId, options.aliceOptions));
  const bob = observe(sessionOn(transports.b, bobId, options.bobOptions));
  return { alice, bob, aliceId, bobId, transports };
}

/** Settles a promise into its value or its error. */
export async function settle<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Waits for queued timers and microtasks to run (memory transport delivers on timers). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

const STAND_IN_KEY = x25519.getPublicKey(randomBytes(32));

/**
 * A stand-in conversation-ratchet message carrying `body` in the clear: the session checks only a
 * ratchet message's structure (the app decrypts it), so these test the frame layer alone.
 */
export function text(body: string): Uint8Array {
  const header = encodeRatchetHeader({ dhPublicKey: STAND_IN_KEY, previousCount: 0, n: 0, kem: null });
  return concatBytes(header, utf8(body), new Uint8Array(16));
}

/** The body of a `text` stand-in. */
export function bodyOf(message: Uint8Array): string {
  return new TextDecoder().decode(message.subarray(RATCHET_HEADER_LENGTH, message.length - 16));
}

export type { Side };
