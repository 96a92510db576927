/** simple-peer's error codes, each mapped to an RtcError with a sentence. */
import { describe, expect, it } from 'vitest';
import { RtcError } from './errors';
import { toRtcError } from './simple-peer-errors';

describe('toRtcError', () => {
  it('maps every simple-peer error code to an RtcError with a sentence', () => {
    const cases: [string | undefined, RtcError['code']][] = [
      ['ERR_ICE_CONNECTION_FAILURE', 'ICE_FAILED'],
      ['ERR_CONNECTION_FAILURE', 'ICE_FAILED'],
      ['ERR_ICE_CONNECTION_CLOSED', 'CHANNEL_CLOSED'],
      ['ERR_DATA_CHANNEL', 'CHANNEL_FAILED'],
      ['ERR_SET_REMOTE_DESCRIPTION', 'SIGNAL_INVALID'],
      ['ERR_ADD_ICE_CANDIDATE', 'SIGNAL_INVALID'],
      ['ERR_SIGNALING', 'SIGNAL_INVALID'],
      ['ERR_WEBRTC_SUPPORT', 'NO_WEBRTC'],
      ['ERR_CREATE_OFFER', 'SETUP_FAILED'],
      ['ERR_PC_CONSTRUCTOR', 'SETUP_FAILED'],
      [undefined, 'SETUP_FAILED'],
    ];
    for (const [code, expected] of cases) {
      const e = toRtcError(Object.assign(new Error('x'), code ? { code } : {}));
      expect(e.code, code).toBe(expected);
      expect(e.message).toMatch(/^[A-Z].*\.$/);
    }
    const same = new RtcError('TIMEOUT', 'Late.');
    expect(toRtcError(same)).toBe(same);
    expect(toRtcError('a string').code).toBe('SETUP_FAILED');
  });
});
