/**
 * Short codes read aloud (DESIGN.md, Pairing; issue 15): the code's format, and the CPace exchange
 * that turns it into keys both sides share only when they typed the same words. No I/O: the
 * messages travel through the worker's nameplate (nameplate.ts) and the app runs this.
 *
 *   code   = <nameplate>-<first word>-<second word>, e.g. 7-aardvark-adroitness (short-code-words.ts)
 *   CPace  = CPACE-RISTR255-SHA512 (src/crypto/cpace.ts), initiator-responder: the creator (A) is the
 *            initiator, the joiner (B) the responder.
 *            PRS = "<first word>-<second word>"   CI = lv_cat("SecMsg/0.1 short code", nameplate)
 *            sid = 16 random bytes chosen by A     ADa = "creator", ADb = "joiner"
 *   m1 (A→B) = 0x01 ‖ sid (16) ‖ Ya (32)
 *   m2 (B→A) = Yb (32) ‖ h_B (32) ‖ tag_B (32)
 *   m3 (A→B) = h_A (32) ‖ tag_A (32)
 *   h      = SHA-256(lv_cat("SecMsg/0.1 short code transcript", nameplate, sid, Ya, Yb)), as each
 *            side saw them
 *   keys   = HKDF-SHA256(ISK, salt = h, info = "SecMsg/0.1 short code keys", 112) =
 *            confirm_A (32) ‖ confirm_B (32) ‖ room secret (16) ‖ Noise binding (32)
 *   tag_X  = HMAC-SHA256(confirm_X, h); when the creator refuses an m2 whose transcript differs
 *            from its own, tag_A = HMAC-SHA256(confirm_A, h ‖ 0x01) instead (a refusal)
 *
 * Each side checks the other's tag (explicit key confirmation), so a wrong code fails on both
 * sides before anything else is said, with one guess spent. The two transcript hashes tell a wrong
 * code (same messages seen, tags differ) from messages changed on the way (the hashes differ):
 * that is reported as possible interception, by the creator at once and by the joiner from the
 * creator's refusal (which only the holder of the same keys can make). A party in the middle that also rewrites the hashes
 * makes it look like a wrong code instead; either way nothing is paired and it had one guess.
 * On a match, the room secret leads both into a signaling room whose blobs are sealed with it
 * (pairing.ts `createSignalingCipher`), and the Noise binding goes into the session's prologue
 * (prologue.ts), so the contact's keys are those of whoever knew the code.
 */
import { concatBytes, constantTimeEqual, utf8 } from '../crypto/bytes';
import {
  CPACE_ELEMENT_BYTES,
  cpaceCalculateGenerator,
  cpaceIskIr,
  cpaceLvCat,
  cpaceScalarMult,
  cpaceScalarMultVfy,
} from '../crypto/cpace';
import { hkdfSha256 } from '../crypto/hkdf';
import { hmacSha256 } from '../crypto/hmac';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { MAX_NAMEPLATE, isNameplate } from './nameplate';
import { FIRST_WORDS, SECOND_WORDS, codeWord, isFirstWord, isSecondWord } from './short-code-words';

export const SHORT_CODE_VERSION = 1;
const SID_LENGTH = 16;
const HASH_LENGTH = 32;
export const M1_LENGTH = 1 + SID_LENGTH + CPACE_ELEMENT_BYTES;
export const M2_LENGTH = CPACE_ELEMENT_BYTES + HASH_LENGTH + 32;
export const M3_LENGTH = HASH_LENGTH + 32;
/** The room secret's length: pairing.ts's ROOM_SECRET_LENGTH. */
const ROOM_SECRET_LENGTH = 16;
export const NOISE_BINDING_LENGTH = 32;

const CI_LABEL = utf8('SecMsg/0.1 short code');
const TRANSCRIPT_LABEL = utf8('SecMsg/0.1 short code transcript');
const KEYS_INFO = utf8('SecMsg/0.1 short code keys');
const AD_CREATOR = utf8('creator');
const AD_JOINER = utf8('joiner');
/** Appended to the transcript hash in the creator's refusal. */
const REFUSAL = Uint8Array.of(0x01);

export interface ShortCode {
  readonly nameplate: number;
  readonly words: readonly [string, string];
}

function badCode(message: string): ProtocolError {
  return new ProtocolError('BAD_SHORT_CODE', message);
}

/** `7-aardvark-adroitness`. */
export function formatShortCode(code: ShortCode): string {
  return `${code.nameplate}-${code.words[0]}-${code.words[1]}`;
}

/** Two random words for a new code (the nameplate comes from the worker). */
export function randomCodeWords(): [string, string] {
  const [a, b] = randomBytes(2);
  return [FIRST_WORDS[a!]!, SECOND_WORDS[b!]!];
}

/**
 * Reads a code as a person types it: spaces, hyphens or dots between the parts, any case, the
 * words' accents ignored. Errors are sentences saying which part is wrong.
 */
export function parseShortCode(text: string): ShortCode {
  const parts = text
    .trim()
    .split(/[\s\-.,]+/u)
    .filter((p) => p.length > 0);
  if (parts.length === 0)
    throw badCode('Type the code the other person reads out, for example 7-orca-whimsical.');
  const [number, first, second, ...rest] = parts;
  if (!/^\d{1,4}$/.test(number!) || !isNameplate(Number(number))) {
    throw badCode(`The code starts with its number, from 1 to ${MAX_NAMEPLATE}, then two words.`);
  }
  if (first === undefined || second === undefined) throw badCode('The code has two words after its number.');
  if (rest.length > 0) throw badCode('The code has only two words after its number.');
  if (!isFirstWord(first)) {
    throw badCode(
      isSecondWord(first)
        ? `“${codeWord(first)}” is a second word: check the order of the words.`
        : `“${first.slice(0, 40)}” is not one of the code’s words: check its spelling.`,
    );
  }
  if (!isSecondWord(second)) {
    throw badCode(
      isFirstWord(second)
        ? `“${codeWord(second)}” is a first word: check the order of the words.`
        : `“${second.slice(0, 40)}” is not one of the code’s words: check its spelling.`,
    );
  }
  return { nameplate: Number(number), words: [codeWord(first), codeWord(second)] };
}

/** What both sides get from a matching code. */
export interface ShortCodeKeys {
  /** 16 bytes: the secret of the signaling room both go to next (pairing.ts). */
  readonly roomSecret: Uint8Array;
  /** 32 bytes the session mixes into its Noise prologue (prologue.ts). */
  readonly noiseBinding: Uint8Array;
}

export type ShortCodeOutcome =
  | ({ readonly kind: 'match' } & ShortCodeKeys)
  /** Both saw the same messages but the keys differ: the codes were not the same. */
  | { readonly kind: 'mismatch' }
  /** The messages one side sent are not those the other received. */
  | { readonly kind: 'interception' };

/** The sentence for an outcome that is not a match. */
export function outcomeError(outcome: Exclude<ShortCodeOutcome, { kind: 'match' }>): ProtocolError {
  return outcome.kind === 'mismatch'
    ? new ProtocolError(
        'CODES_DID_NOT_MATCH',
        'The codes did not match, so no contact was made. Check the code with the other person and try again with a new code.',
      )
    : new ProtocolError(
        'POSSIBLE_INTERCEPTION',
        'The pairing messages were changed on the way between you: someone may be intercepting. No contact was made. Try again with a new code, on another network if you can.',
      );
}

function prs(code: ShortCode): Uint8Array {
  return utf8(`${code.words[0]}-${code.words[1]}`);
}

function nameplateBytes(code: ShortCode): Uint8Array {
  return Uint8Array.of(code.nameplate >> 8, code.nameplate & 0xff);
}

function ci(code: ShortCode): Uint8Array {
  return cpaceLvCat(CI_LABEL, utf8(String(code.nameplate)));
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', concatBytes(data)));
}

/** A secret scalar: 32 random bytes, which cpace.ts reads modulo the group order. */
function randomScalar(): Uint8Array {
  return randomBytes(32);
}

interface Keys {
  confirmCreator: Uint8Array;
  confirmJoiner: Uint8Array;
  roomSecret: Uint8Array;
  noiseBinding: Uint8Array;
}

async function transcriptHash(
  code: ShortCode,
  sid: Uint8Array,
  ya: Uint8Array,
  yb: Uint8Array,
): Promise<Uint8Array> {
  return sha256(cpaceLvCat(TRANSCRIPT_LABEL, nameplateBytes(code), sid, ya, yb));
}

async function deriveKeys(isk: Uint8Array, h: Uint8Array): Promise<Keys> {
  const okm = await hkdfSha256(isk, h, KEYS_INFO, 32 + 32 + ROOM_SECRET_LENGTH + NOISE_BINDING_LENGTH);
  return {
    confirmCreator: okm.slice(0, 32),
    confirmJoiner: okm.slice(32, 64),
    roomSecret: okm.slice(64, 64 + ROOM_SECRET_LENGTH),
    noiseBinding: okm.slice(64 + ROOM_SECRET_LENGTH),
  };
}

/** A side's keys when its K is valid; undefined when the peer's share was invalid (never honest). */
async function sideKeys(
  sid: Uint8Array,
  y: Uint8Array,
  peerShare: Uint8Array,
  ya: Uint8Array,
  yb: Uint8Array,
  h: Uint8Array,
): Promise<Keys | undefined> {
  const k = cpaceScalarMultVfy(y, peerShare);
  if (k === null) return undefined;
  const isk = cpaceIskIr(sid, k, ya, AD_CREATOR, yb, AD_JOINER);
  return deriveKeys(isk, h);
}

function badMessage(which: string): ProtocolError {
  return new ProtocolError('BAD_SIGNAL', `The other side's ${which} pairing message had the wrong shape.`);
}

/** The creator's side: m1 to send, then `finish(m2)` gives m3 to send and the outcome. */
export interface CreatorExchange {
  readonly m1: Uint8Array;
  finish(m2: Uint8Array): Promise<{ m3: Uint8Array; outcome: ShortCodeOutcome }>;
}

export function startCreatorExchange(code: ShortCode): CreatorExchange {
  const sid = randomBytes(SID_LENGTH);
  const ya = randomScalar();
  const g = cpaceCalculateGenerator(prs(code), ci(code), sid);
  const shareA = cpaceScalarMult(ya, g);
  const m1 = concatBytes(Uint8Array.of(SHORT_CODE_VERSION), sid, shareA);
  let used = false;
  return {
    m1,
    async finish(m2) {
      if (used) throw new ProtocolError('BAD_ARGUMENT', 'This exchange already finished.');
      used = true;
      // A malformed m2 still gets an m3 (from a share of zeros: the joiner then sees a transcript
      // that differs from its own), so both sides end.
      const wellFormed = m2 instanceof Uint8Array && m2.length === M2_LENGTH;
      const shareB = wellFormed ? m2.slice(0, 32) : new Uint8Array(32);
      const hB = wellFormed ? m2.slice(32, 64) : new Uint8Array(32);
      const tagB = wellFormed ? m2.slice(64) : new Uint8Array(32);
      const h = await transcriptHash(code, sid, shareA, shareB);
      const keys = await sideKeys(sid, ya, shareB, shareA, shareB, h);
      ya.fill(0);
      const changed = !wellFormed || !keys || !constantTimeEqual(h, hB);
      // The confirmation, or on a changed transcript the refusal; without valid keys, a tag under a
      // key nobody has, so the joiner's check fails too.
      const confirm = keys?.confirmCreator ?? randomBytes(32);
      const m3 = concatBytes(h, await hmacSha256(confirm, changed ? concatBytes(h, REFUSAL) : h));
      let outcome: ShortCodeOutcome;
      if (changed || !keys) outcome = { kind: 'interception' };
      else if (!constantTimeEqual(await hmacSha256(keys.confirmJoiner, h), tagB))
        outcome = { kind: 'mismatch' };
      else outcome = { kind: 'match', roomSecret: keys.roomSecret, noiseBinding: keys.noiseBinding };
      return { m3, outcome };
    },
  };
}

/** The joiner's side: from m1, m2 to send, then `finish(m3)` gives the outcome. */
export interface JoinerExchange {
  readonly m2: Uint8Array;
  finish(m3: Uint8Array): Promise<ShortCodeOutcome>;
}

/**
 * Answers the creator's m1. Throws BAD_SIGNAL for an m1 of the wrong shape or version (nothing is
 * sent back, so no guess is spent); an m1 whose share is not a valid point is answered and ends as
 * interception.
 */
export async function answerCreator(code: ShortCode, m1: Uint8Array): Promise<JoinerExchange> {
  if (!(m1 instanceof Uint8Array) || m1.length !== M1_LENGTH) throw badMessage('first');
  if (m1[0] !== SHORT_CODE_VERSION) {
    throw new ProtocolError(
      'INCOMPATIBLE_VERSION',
      'The other device uses another version of short codes: update SecMsg on both devices and try again.',
    );
  }
  const sid = m1.slice(1, 1 + SID_LENGTH);
  const shareA = m1.slice(1 + SID_LENGTH);
  const yb = randomScalar();
  const g = cpaceCalculateGenerator(prs(code), ci(code), sid);
  const shareB = cpaceScalarMult(yb, g);
  const h = await transcriptHash(code, sid, shareA, shareB);
  const keys = await sideKeys(sid, yb, shareA, shareA, shareB, h);
  yb.fill(0);
  const m2 = concatBytes(shareB, h, await hmacSha256(keys?.confirmJoiner ?? randomBytes(32), h));
  let used = false;
  return {
    m2,
    async finish(m3) {
      if (used) throw new ProtocolError('BAD_ARGUMENT', 'This exchange already finished.');
      used = true;
      if (!keys || !(m3 instanceof Uint8Array) || m3.length !== M3_LENGTH) return { kind: 'interception' };
      if (!constantTimeEqual(m3.slice(0, 32), h)) return { kind: 'interception' };
      const tag = m3.slice(32);
      if (constantTimeEqual(await hmacSha256(keys.confirmCreator, h), tag)) {
        return { kind: 'match', roomSecret: keys.roomSecret, noiseBinding: keys.noiseBinding };
      }
      // The same keys, but the creator saw another m2 than the one sent: changed on the way.
      if (constantTimeEqual(await hmacSha256(keys.confirmCreator, concatBytes(h, REFUSAL)), tag)) {
        return { kind: 'interception' };
      }
      return { kind: 'mismatch' };
    },
  };
}
