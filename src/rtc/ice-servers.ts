/** The ICE servers a connection uses unless configured: one public STUN server, no TURN. */
export const DEFAULT_ICE_SERVERS: RTCIceServer[] = [{ urls: 'stun:stun.l.google.com:19302' }];
