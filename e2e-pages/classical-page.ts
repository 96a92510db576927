/**
 * A peer that offers only classical cryptography, for e2e/classical-peer.spec.ts: it makes an
 * invite code, and once the DataChannel opens it starts `Noise_XX_25519_AESGCM_SHA256` (SecMsg's
 * handshake before the post-quantum one: message 1 is its X25519 ephemeral key alone) in a v0.1
 * HANDSHAKE_REQUEST frame, as an app without ML-KEM would. SecMsg must refuse it with a sentence.
 */
import { FrameType, encodeFrame } from '../src/protocol/frame';
import { createHandshake, generateDhKeyPair } from '../src/protocol/noise';
import { decodeInviteCode, encodeInviteCode } from '../src/rtc/invite-code';
import { createSimplePeerTransport } from '../src/rtc/simple-peer-transport';

export interface ClassicalHarness {
  /** The classical peer's invite code. */
  offer(): Promise<string>;
  /** Takes the app's answer code; the classical handshake starts when the channel opens. */
  accept(code: string): void;
  /** What happened: the first message was sent, and whether the app closed the channel after it. */
  state(): { sent: boolean; closed: boolean; received: number };
}

declare global {
  interface Window {
    classical: ClassicalHarness;
  }
}

const conn = createSimplePeerTransport({ initiator: true, iceServers: [] });
const seen = { sent: false, closed: false, received: 0 };

void conn.transport.then(async (t) => {
  t.on('message', () => seen.received++);
  t.on('close', () => (seen.closed = true));
  const hs = createHandshake({ initiator: true, prologue: new Uint8Array(0), s: await generateDhKeyPair() });
  const message = await hs.writeMessage(new Uint8Array(0));
  const header = {
    type: FrameType.HANDSHAKE_REQUEST,
    flags: 0,
    seq: 0,
    timestamp: 0,
    length: message.length,
  };
  t.send(encodeFrame({ header, payload: message }));
  seen.sent = true;
});

window.classical = {
  async offer() {
    return encodeInviteCode(await conn.localSignal());
  },
  accept(code) {
    conn.acceptRemote(decodeInviteCode(code));
  },
  state: () => ({ ...seen }),
};
