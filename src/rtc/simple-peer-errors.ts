/**
 * simple-peer's errors in SecMsg's terms: its `err.code` strings (simple-peer 9.11) mapped to an
 * RtcError with a sentence a person can read.
 */
import { RtcError } from './errors';

/** Maps simple-peer's error codes (`err.code`) to what a person is told. */
export function toRtcError(error: unknown): RtcError {
  if (error instanceof RtcError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const options = { cause: error };
  switch (code) {
    case 'ERR_ICE_CONNECTION_FAILURE':
    case 'ERR_CONNECTION_FAILURE':
      return new RtcError(
        'ICE_FAILED',
        'No network path to the other device was found; a firewall may be in the way, or the devices may need a relay server.',
        options,
      );
    case 'ERR_ICE_CONNECTION_CLOSED':
      return new RtcError('CHANNEL_CLOSED', 'The connection to the other device was closed.', options);
    case 'ERR_DATA_CHANNEL':
      return new RtcError('CHANNEL_FAILED', 'The connection to the other device broke down.', options);
    case 'ERR_SET_REMOTE_DESCRIPTION':
    case 'ERR_ADD_ICE_CANDIDATE':
    case 'ERR_SIGNALING':
      return new RtcError(
        'SIGNAL_INVALID',
        "The browser refused the other device's connection details.",
        options,
      );
    case 'ERR_WEBRTC_SUPPORT':
      return new RtcError(
        'NO_WEBRTC',
        'This browser cannot make direct connections (WebRTC is missing or turned off).',
        options,
      );
    default:
      return new RtcError('SETUP_FAILED', 'The browser could not set up the connection.', options);
  }
}
