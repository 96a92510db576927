/**
 * Pairing by a short code read aloud (DESIGN.md, Pairing; issue 15), both sides:
 *
 *   creator: asks the worker for a nameplate, draws two words, shows `7-word-word`, and waits in the
 *            nameplate for the one who types it; joiner: types the code and claims the nameplate.
 *   Through the nameplate, one CPace exchange with key confirmation (src/protocol/short-code.ts):
 *   a wrong code ends both sides with "the codes did not match", messages changed on the way with
 *   possible interception; nothing else is said and no contact is made.
 *   On a match, both go to the signaling room of the secret CPace gave them (its blobs sealed with
 *   it: pairing.ts) and meet as for an invite (worker-meeting.ts: DataChannel, TURN or relay); the
 *   session mixes CPace's Noise binding into its prologue, so the keys it authenticates belong to
 *   whoever knew the code, and the new contact is verified by the code.
 *
 * The joiner makes the WebRTC offer (so it is the Noise initiator), as for invites.
 */
import { createSignalingCipher } from '../protocol/pairing';
import type { SessionIdentity } from '../protocol/session';
import {
  answerCreator,
  formatShortCode,
  outcomeError,
  parseShortCode,
  randomCodeWords,
  startCreatorExchange,
  type ShortCode,
  type ShortCodeOutcome,
} from '../protocol/short-code';
import { RtcError } from '../rtc/errors';
import { openNameplate, type NameplateEvent, type NameplateSocket } from '../rtc/nameplate-client';
import type { AppConfig } from './config';
import { secureSession, warmUp, type Connected } from './connect';
import { meetThroughWorker, noWorker, type MeetingDeps } from './worker-meeting';

/** Where a short-code pairing is, for the screen. */
export type ShortCodeProgress =
  /** The code is shown; nobody has typed it yet (or the last one to try left). */
  | 'waiting'
  /** Someone typed it: the codes are being compared. */
  | 'comparing'
  /** The codes matched: the connection is being made. */
  | 'connecting';

export interface ShortCodePairing {
  connected: Promise<Connected>;
  cancel(): void;
}

export interface ShortCodeInvite extends ShortCodePairing {
  /** The code to read out, once the worker gave a nameplate. */
  code: Promise<string>;
}

export interface ShortCodeDeps extends MeetingDeps {
  openNameplate?: typeof openNameplate;
}

function unexpected(): RtcError {
  return new RtcError(
    'SIGNAL_INVALID',
    'The signaling server sent a pairing message out of order. Try again with a new code.',
  );
}

async function expectPake(socket: NameplateSocket): Promise<Uint8Array> {
  const event: NameplateEvent = await socket.next();
  if (event.t !== 'pake') throw unexpected();
  return event.bytes;
}

/** Sends the last message and gives the worker a moment to pass it on before this side hangs up. */
async function sendLast(socket: NameplateSocket, bytes: Uint8Array): Promise<void> {
  socket.sendPake(bytes);
  await Promise.race([socket.next().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
  socket.close();
}

function cancelled(): RtcError {
  return new RtcError('SIGNAL_INVALID', 'Cancelled.');
}

/**
 * The shared second half: after a match, meet in the room of CPace's secret with its binding in
 * the prologue; otherwise the sentence for the outcome.
 */
async function meetAfterCode(
  outcome: ShortCodeOutcome,
  role: 'inviter' | 'joiner',
  identity: SessionIdentity,
  config: AppConfig,
  register: (cancel: () => void) => void,
  onProgress: ((p: ShortCodeProgress) => void) | undefined,
  deps: ShortCodeDeps,
): Promise<Connected> {
  if (outcome.kind !== 'match') throw outcomeError(outcome);
  onProgress?.('connecting');
  const cipher = await createSignalingCipher(outcome.roomSecret, role);
  const binding = outcome.noiseBinding;
  return meetThroughWorker(
    {
      offerer: role === 'joiner',
      cipher,
      useUp: true,
      secure: async (t) => secureSession(t, identity, undefined, undefined, binding),
      peerLeft: () =>
        new RtcError('SIGNAL_INVALID', 'The other person left before the connection was made. Try again.'),
    },
    config,
    register,
    deps,
  );
}

/** Makes a code and waits for the other person to type it. */
export function startShortCode(
  identity: SessionIdentity,
  config: AppConfig,
  onProgress?: (p: ShortCodeProgress) => void,
  deps: ShortCodeDeps = {},
): ShortCodeInvite {
  const url = config.signalingUrl;
  if (!url) throw noWorker();
  warmUp(identity);
  let stop = (): void => undefined;
  let stopped = false;
  let showCode!: (code: string) => void;
  let noCode!: (e: unknown) => void;
  const code = new Promise<string>((resolve, reject) => {
    showCode = resolve;
    noCode = reject;
  });
  const connected = (async () => {
    const socket = (deps.openNameplate ?? openNameplate)({ url });
    stop = () => socket.close();
    const first = await socket.next();
    if (first.t !== 'nameplate') throw unexpected();
    const shortCode: ShortCode = { nameplate: first.n, words: randomCodeWords() };
    const exchange = startCreatorExchange(shortCode);
    socket.sendPake(exchange.m1);
    showCode(formatShortCode(shortCode));
    onProgress?.('waiting');
    let m2: Uint8Array | undefined;
    while (!m2) {
      const event = await socket.next();
      if (event.t === 'claimed') onProgress?.('comparing');
      else if (event.t === 'unclaimed') onProgress?.('waiting');
      else if (event.t === 'pake') m2 = event.bytes;
      else throw unexpected();
    }
    const { m3, outcome } = await exchange.finish(m2);
    await sendLast(socket, m3);
    if (stopped) throw cancelled();
    return meetAfterCode(outcome, 'inviter', identity, config, (c) => (stop = c), onProgress, deps);
  })();
  connected.catch(noCode);
  code.catch(() => undefined);
  return {
    code,
    connected,
    cancel: () => {
      stopped = true;
      stop();
    },
  };
}

/**
 * Claims the code the other person read out. Throws at once (a sentence) for a code that cannot
 * be one; everything else ends `connected`.
 */
export function joinShortCode(
  text: string,
  identity: SessionIdentity,
  config: AppConfig,
  onProgress?: (p: ShortCodeProgress) => void,
  deps: ShortCodeDeps = {},
): ShortCodePairing {
  const url = config.signalingUrl;
  if (!url) throw noWorker();
  const shortCode = parseShortCode(text);
  warmUp(identity);
  let stop = (): void => undefined;
  let stopped = false;
  const connected = (async () => {
    const socket = (deps.openNameplate ?? openNameplate)({ url, nameplate: shortCode.nameplate });
    stop = () => socket.close();
    onProgress?.('comparing');
    const exchange = await answerCreator(shortCode, await expectPake(socket));
    socket.sendPake(exchange.m2);
    const outcome = await exchange.finish(await expectPake(socket));
    socket.close();
    if (stopped) throw cancelled();
    return meetAfterCode(outcome, 'joiner', identity, config, (c) => (stop = c), onProgress, deps);
  })();
  return {
    connected,
    cancel: () => {
      stopped = true;
      stop();
    },
  };
}
