/**
 * The TURN contract: which ICE server URLs are accepted and what port they name (RFC 7064/7065
 * defaults), port 53 dropped, the shape of a server, and the `turn` / `no-turn` messages through
 * the signaling codecs, refused when any field is off.
 */
import { describe, expect, it } from 'vitest';
import {
  SignalingError,
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
} from './signaling';
import {
  MAX_TURN_SERVERS,
  MAX_TURN_TTL_S,
  MAX_TURN_URLS,
  TURN_REFUSALS,
  checkTurnServer,
  iceUrlPort,
  isIceUrl,
  turnRefusalMessage,
  withoutPort53,
} from './turn';

const TURN = { urls: ['turn:turn.example.org:3478?transport=udp'], username: '1:a', credential: 'c' };

describe('ICE server URLs', () => {
  it.each([
    ['stun:stun.example.org', 3478],
    ['stuns:stun.example.org', 5349],
    ['turn:turn.example.org', 3478],
    ['turns:turn.example.org', 5349],
    ['turn:127.0.0.1:34780?transport=udp', 34_780],
    ['turn:[::1]:34780?transport=tcp', 34_780],
    ['turns:turn.cloudflare.com:443?transport=tcp', 443],
    ['turn:turn.cloudflare.com:53?transport=udp', 53],
  ])('%s names port %i', (url, port) => {
    expect(iceUrlPort(url)).toBe(port);
    expect(isIceUrl(url)).toBe(true);
  });

  it.each([
    'http://turn.example.org',
    'turn:',
    'turn:turn.example.org:0',
    'turn:turn.example.org:65536',
    'turn:turn.example.org:3478?transport=sctp',
    'stun:stun.example.org:3478?transport=udp',
    'turn:user@turn.example.org',
    'turn:turn.example.org:3478 ',
    `turn:${'a'.repeat(600)}`,
  ])('refuses %s', (url) => {
    expect(isIceUrl(url)).toBe(false);
  });

  it('drops port 53, which browsers refuse, and keeps the rest in order', () => {
    expect(
      withoutPort53([
        'stun:stun.cloudflare.com:3478',
        'stun:stun.cloudflare.com:53',
        'turn:turn.cloudflare.com:53?transport=udp',
        'turn:turn.cloudflare.com:3478?transport=udp',
        'turn:turn.cloudflare.com:5349',
      ]),
    ).toEqual([
      'stun:stun.cloudflare.com:3478',
      'turn:turn.cloudflare.com:3478?transport=udp',
      'turn:turn.cloudflare.com:5349',
    ]);
  });
});

describe('a server', () => {
  it('is a TURN server with both credentials, or STUN without any', () => {
    expect(checkTurnServer(TURN)).toEqual(TURN);
    expect(checkTurnServer({ urls: ['stun:stun.example.org'] })).toEqual({ urls: ['stun:stun.example.org'] });
    expect(checkTurnServer({ urls: ['turn:turn.example.org'] })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, credential: undefined })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, username: '' })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, extra: 1 })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, urls: [] })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, urls: 'turn:turn.example.org' })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, urls: Array(MAX_TURN_URLS + 1).fill(TURN.urls[0]) })).toBeUndefined();
    expect(checkTurnServer({ ...TURN, credential: 'x'.repeat(513) })).toBeUndefined();
  });
});

describe('messages', () => {
  it('round-trip through the signaling codecs', () => {
    expect(encodeClientMessage({ t: 'turn' })).toBe('{"t":"turn"}');
    expect(decodeClientMessage('{"t":"turn"}')).toEqual({ t: 'turn' });
    const answer = { t: 'turn' as const, servers: [TURN], ttl: 86_400 };
    expect(decodeServerMessage(encodeServerMessage(answer))).toEqual(answer);
    for (const reason of TURN_REFUSALS) {
      const text = encodeServerMessage({ t: 'no-turn', reason });
      expect(text).toBe(`{"t":"no-turn","reason":"${reason}"}`);
      expect(decodeServerMessage(text)).toEqual({ t: 'no-turn', reason });
      expect(turnRefusalMessage(reason)).toMatch(/^[A-Z].*\.$/);
    }
  });

  it.each([
    ['a client turn with a field', () => decodeClientMessage('{"t":"turn","x":1}')],
    ['no servers', () => decodeServerMessage('{"t":"turn","servers":[],"ttl":60}')],
    [
      'too many servers',
      () =>
        decodeServerMessage(
          JSON.stringify({ t: 'turn', servers: Array(MAX_TURN_SERVERS + 1).fill(TURN), ttl: 60 }),
        ),
    ],
    ['a zero ttl', () => decodeServerMessage(JSON.stringify({ t: 'turn', servers: [TURN], ttl: 0 }))],
    [
      'a ttl past two days',
      () => decodeServerMessage(JSON.stringify({ t: 'turn', servers: [TURN], ttl: MAX_TURN_TTL_S + 1 })),
    ],
    ['a missing ttl', () => decodeServerMessage(JSON.stringify({ t: 'turn', servers: [TURN] }))],
    ['an unknown reason', () => decodeServerMessage('{"t":"no-turn","reason":"nope"}')],
    ['an extra field', () => decodeServerMessage('{"t":"no-turn","reason":"alone","why":"x"}')],
    [
      'an encoder given a bad server',
      () => encodeServerMessage({ t: 'turn', servers: [{ urls: ['http://x'] }], ttl: 60 }),
    ],
  ])('refuses %s', (_what, f) => {
    expect(f).toThrow(SignalingError);
  });
});
