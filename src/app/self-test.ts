/**
 * A self-test of the secure session core on this device: two sessions over the in-memory
 * transport run the full hybrid handshake (X25519 + ML-KEM-1024, ML-DSA-87 signatures), start the
 * conversation ratchet from it, exchange a message through both, and compute the safety number.
 * The page shows the outcome, so a person (and the browser test) can see the core works in this
 * browser.
 */
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
import { generateSigningKeyPair } from '../crypto/ml-dsa-keygen';
import { deriveUserId } from '../protocol/user-id';
import { randomBytes } from '../crypto/random';
import { x25519Backend, type X25519Backend } from '../crypto/x25519';
import { generateDhKeyPair } from '../protocol/noise';
import { initRatchet, ratchetDecrypt, ratchetEncrypt } from '../protocol/ratchet';
import { decodeRecord, encodeRecord } from '../protocol/records';
import { createSession, type Session, type SessionIdentity } from '../protocol/session';
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
    const signing = await generateSigningKeyPair();
    // The user id as every identity has it: derived from the keys (the peer recomputes it).
    const identity: SessionIdentity = {
      keyPair,
      signing,
      userId: deriveUserId(keyPair.publicKey, signing.publicKey),
      displayName: name,
    };
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
  const ratchets = await Promise.all(
    [alice, bob].map(async ({ identity, session }, i) => {
      const start = session.takeRatchetStart();
      if (!start) throw new Error('The session gave no ratchet material.');
      const peer = i === 0 ? aliceSees : bobSees;
      return initRatchet({
        initiator: start.initiator,
        rootKey: start.rootKey,
        ratchetId: start.ratchetId,
        ours: start.ours,
        theirs: start.theirs,
        localIdentityKey: identity.keyPair.publicKey,
        remoteIdentityKey: peer.staticKey,
        now: Date.now(),
      });
    }),
  );
  const received = nextMessage(bob.session);
  const sealed = await ratchetEncrypt(
    ratchets[0]!,
    encodeRecord({ kind: 'text', id: randomBytes(16), sentAt: Date.now(), body: 'self-test' }),
    { now: Date.now() },
  );
  await alice.session.send(sealed.message);
  const opened = await ratchetDecrypt(ratchets[1]!, await received, { now: Date.now() });
  const record = decodeRecord(opened.plaintext);
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

async function nextMessage(session: Session): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const off = session.on('message', (r) => {
      off();
      resolve(r);
    });
  });
}
