/** Test helpers: two sessions over an in-memory transport pair, with a tap for the attacker. */
import { randomBytes } from '../crypto/random';
import { deriveUserId } from './user-id';
import { createMemoryTransportPair, type MemoryTransportOptions, type Side } from '../rtc/memory-transport';
import type { Transport } from '../rtc/transport';
import type { ProtocolError } from './errors';
import { generateDhKeyPair, type DhKeyPair } from './noise';
import type { AppRecord } from './records';
import {
  createSession,
  type Session,
  type SessionClose,
  type SessionIdentity,
  type SessionOptions,
} from './session';

export async function makeIdentity(displayName: string, keyPair?: DhKeyPair): Promise<SessionIdentity> {
  const pair = keyPair ?? (await generateDhKeyPair());
  return { keyPair: pair, userId: deriveUserId(pair.publicKey), displayName };
}

export interface Observed {
  session: Session;
  records: AppRecord[];
  errors: ProtocolError[];
  closes: SessionClose[];
}

export function observe(session: Session): Observed {
  const o: Observed = { session, records: [], errors: [], closes: [] };
  session.on('record', (r) => o.records.push(r));
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

export function text(body: string): AppRecord {
  return { kind: 'text', id: randomBytes(16), sentAt: Date.now(), body };
}

export type { Side };
