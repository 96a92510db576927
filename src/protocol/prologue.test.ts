/**
 * The Noise prologue: both sides of one connection build the same bytes, and what binds a session
 * to its route (the DTLS fingerprints, the relay room) changes them. That a differing prologue
 * fails the handshake is session.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../crypto/bytes';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { buildPrologue, buildRelayPrologue } from './prologue';

describe('buildPrologue (a WebRTC DataChannel)', () => {
  it('is the label, then the offerer’s and the answerer’s fingerprints, on both sides', () => {
    const offerer = randomBytes(32);
    const answerer = randomBytes(32);
    const expected = concatBytes(utf8('SecMsg/0.1'), offerer, answerer);
    expect(buildPrologue(true, offerer, answerer)).toEqual(expected);
    expect(buildPrologue(false, answerer, offerer)).toEqual(expected);
    expect(buildPrologue(true, answerer, offerer)).not.toEqual(expected);
  });

  it('refuses a fingerprint that is not 32 bytes, naming it', () => {
    const fp = randomBytes(32);
    expect(() => buildPrologue(true, randomBytes(31), fp)).toThrow(/localFingerprint must be a 32-byte/);
    expect(() => buildPrologue(true, fp, randomBytes(33))).toThrow(/remoteFingerprint must be a 32-byte/);
  });
});

describe('buildRelayPrologue (the worker relay)', () => {
  it('binds the relay room, and is not a DTLS prologue with the same bytes', () => {
    const room = randomBytes(32);
    expect(buildRelayPrologue(room)).toEqual(buildRelayPrologue(room.slice()));
    expect(buildRelayPrologue(room)).not.toEqual(buildRelayPrologue(randomBytes(32)));
    expect(buildRelayPrologue(room)).not.toEqual(buildPrologue(true, room, room));
  });

  it('refuses a relay room id that is not 32 bytes', () => {
    let caught: unknown;
    try {
      buildRelayPrologue(randomBytes(31));
    } catch (e) {
      caught = e;
    }
    expect(ProtocolError.is(caught, 'BAD_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toMatch(/32-byte/);
  });
});
