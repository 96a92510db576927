/**
 * A self-test of the secure session core on this device: two sessions over the in-memory
 * transport run the full handshake, exchange a message and compute the safety number. The page
 * shows the outcome, so a person (and the browser test) can see the core works in this browser.
 */
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
import { deriveUserId } from '../protocol/user-id';
import { randomBytes } from '../crypto/random';
import { x25519Backend, type X25519Backend } from '../crypto/x25519';
import { generateDhKeyPair } from '../protocol/noise';
import type { AppRecord } from '../protocol/records';
import { createSession, type Session } from '../protocol/session';
import { createMemoryTransportPair } from '../rtc/memory-transport';
import type { Transport } from '../rtc/transport';

export interface SelfTestResult {
  backend: X25519Backend;
  handshakeMs: number;
  safetyNumbersMatch: boolean;
  messageDelivered: boolean;
}

export async function runSelfTest(): Promise<SelfTestResult> {
  const { a, b } = createMemoryTransportPair();
  const open = async (t: Transport, name: string) => {
    const keyPair = await generateDhKeyPair();
    // The user id as every identity has it: derived from the key (the peer recomputes it).
    const identity = { keyPair, userId: deriveUserId(keyPair.publicKey), displayName: name };
    const session = createSession({
      channel: t,
      initiator: t.info.initiator,
      localFingerprint: t.info.localFingerprint,
      remoteFingerprint: t.info.remoteFingerprint,
      identity,
    });
    return { identity, session };
  };
  const alice = await open(a, 'Alice');
  const bob = await open(b, 'Bob');
  const t0 = performance.now();
  const [aliceSees, bobSees] = await Promise.all([alice.session.ready, bob.session.ready]);
  const handshakeMs = performance.now() - t0;
  const received = nextRecord(bob.session);
  await alice.session.send({ kind: 'text', id: randomBytes(16), sentAt: Date.now(), body: 'self-test' });
  const record = await received;
  const party = (id: Uint8Array, key: Uint8Array) => ({ id, key: identityKeyBytes(key) });
  const [n1, n2] = await Promise.all([
    safetyNumber(
      party(alice.identity.userId, alice.identity.keyPair.publicKey),
      party(aliceSees.userId, aliceSees.staticKey),
    ),
    safetyNumber(
      party(bob.identity.userId, bob.identity.keyPair.publicKey),
      party(bobSees.userId, bobSees.staticKey),
    ),
  ]);
  await alice.session.close('self-test done');
  return {
    backend: await x25519Backend(),
    handshakeMs,
    safetyNumbersMatch: n1 === n2,
    messageDelivered: record.kind === 'text' && record.body === 'self-test',
  };
}

async function nextRecord(session: Session): Promise<AppRecord> {
  return new Promise((resolve) => {
    const off = session.on('record', (r) => {
      off();
      resolve(r);
    });
  });
}
