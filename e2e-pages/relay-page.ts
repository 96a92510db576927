/**
 * A signaling party in the middle, for e2e/interception.spec.ts. It answers Alice's invite code
 * with its own DTLS certificate, makes its own offer to Bob, and copies every DataChannel
 * message from one side to the other: exactly what a malicious signaling server could do.
 * SecMsg must notice, because each side's Noise prologue binds the DTLS fingerprints it sees.
 */
import { decodeInviteCode, encodeInviteCode } from '../src/rtc/invite-code';
import { createSimplePeerTransport, type WebRtcTransport } from '../src/rtc/simple-peer-transport';

export interface RelayHarness {
  /** Takes Alice's invite code, returns the relay's answer code for her. */
  answerAlice(code: string): Promise<string>;
  /** The relay's own invite code for Bob. */
  offerBob(): Promise<string>;
  /** Takes Bob's answer code. */
  acceptBob(code: string): void;
  /** Messages copied each way so far. */
  relayed(): { toBob: number; toAlice: number; closed: boolean };
}

declare global {
  interface Window {
    relay: RelayHarness;
  }
}

const toAlice = createSimplePeerTransport({ initiator: false, iceServers: [] });
const toBob = createSimplePeerTransport({ initiator: true, iceServers: [] });
const counts = { toBob: 0, toAlice: 0, closed: false };

function wire(from: WebRtcTransport, to: WebRtcTransport, key: 'toBob' | 'toAlice'): void {
  from.on('message', (data) => {
    counts[key]++;
    to.send(data);
  });
  from.on('close', () => {
    counts.closed = true;
    to.close();
  });
}

void Promise.all([toAlice.transport, toBob.transport]).then(([a, b]) => {
  wire(a, b, 'toBob');
  wire(b, a, 'toAlice');
});

window.relay = {
  async answerAlice(code) {
    toAlice.acceptRemote(decodeInviteCode(code));
    return encodeInviteCode(await toAlice.localSignal());
  },
  async offerBob() {
    return encodeInviteCode(await toBob.localSignal());
  },
  acceptBob(code) {
    toBob.acceptRemote(decodeInviteCode(code));
  },
  relayed: () => ({ ...counts }),
};
