/**
 * TURN credentials (src/protocol/turn.ts, src/turn.ts): a room gives them only to a peer whose
 * partner is in the room, valid by coturn's REST formula; a lone peer, an HTTP caller and a room
 * over its budget get none; an unconfigured worker says so; Cloudflare's API is called as its
 * documentation says and its port-53 URLs are dropped (with a fake fetch).
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { decodeServerMessage } from '../../src/protocol/signaling';
import { TURN_PATH, TURN_ROOM_REQUESTS, TURN_TTL_S, turnRefusalMessage } from '../../src/protocol/turn';
import {
  CLOUDFLARE_TURN_API,
  cloudflareServers,
  coturnPassword,
  mintTurnCredentials,
  turnProvider,
} from '../src/turn';
import { ORIGIN, join, newRoomId, pair } from './helpers';

/** vitest.config.ts's bindings. */
const SECRET = 'turn-test-secret';
const TURN_URL = 'turn:turn.test:3478?transport=udp';

describe('coturn REST credentials', () => {
  it('are base64(HMAC-SHA1(secret, username)), as an independent implementation computes them', async () => {
    // printf '%s' '1700000000:abcdefghijklmnop' | openssl dgst -sha1 -hmac 'turn-test-secret' -binary | base64
    expect(await coturnPassword(SECRET, '1700000000:abcdefghijklmnop')).toBe('I9qvRHgx6K1Nnhc77fzM6y+S2/8=');
    // printf '%s' '1433895918506:my_username' | openssl dgst -sha1 -hmac 'north' -binary | base64
    expect(await coturnPassword('north', '1433895918506:my_username')).toBe('Gx/rOncp1ZXBdeBo0S3RrYQnHDA=');
  });

  it('are given to a peer whose partner is in the room, and to nobody else', async () => {
    const { a, b } = await pair();
    const before = Math.floor(Date.now() / 1000);
    a.send('{"t":"turn"}');
    const answer = await a.next();
    const after = Math.floor(Date.now() / 1000);
    if (answer.t !== 'turn') throw new Error(`Expected credentials, got ${JSON.stringify(answer)}`);
    expect(answer.ttl).toBe(TURN_TTL_S);
    expect(answer.servers).toHaveLength(1);
    const server = answer.servers[0]!;
    // The configured URL on port 53 is dropped: browsers refuse it.
    expect(server.urls).toEqual([TURN_URL]);
    const match = /^(\d+):([A-Za-z0-9_-]{16})$/.exec(server.username ?? '');
    expect(match).not.toBeNull();
    const expiry = Number(match![1]);
    expect(expiry).toBeGreaterThanOrEqual(before + TURN_TTL_S);
    expect(expiry).toBeLessThanOrEqual(after + TURN_TTL_S);
    expect(server.credential).toBe(await coturnPassword(SECRET, server.username!));
    await b.expectNothingPending();

    // The other peer gets its own, with another random id.
    b.send('{"t":"turn"}');
    const other = await b.next();
    if (other.t !== 'turn') throw new Error(`Expected credentials, got ${JSON.stringify(other)}`);
    expect(other.servers[0]!.username).not.toBe(server.username);
    await a.expectNothingPending();
  });

  it('are refused to a peer alone in its room, before anyone came and after they left', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    a.send('{"t":"turn"}');
    expect(await a.nextText()).toBe('{"t":"no-turn","reason":"alone"}');

    const b = await join(roomId, 1);
    expect((await a.next()).t).toBe('peer-joined');
    b.close();
    expect((await a.next()).t).toBe('peer-left');
    a.send('{"t":"turn"}');
    expect(await a.nextText()).toBe('{"t":"no-turn","reason":"alone"}');
  });

  it('are refused over HTTP, with a sentence', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await exports.default.fetch(new Request(ORIGIN + TURN_PATH, { method }));
      expect(response.status).toBe(403);
      const body = await response.text();
      expect(body).toMatch(/^TURN credentials are given only inside a signaling room[^\n]*\.\n$/);
      expect(body).not.toMatch(/turn:|username|credential"/);
    }
  });

  it(`are given at most ${TURN_ROOM_REQUESTS} times a room in each window`, async () => {
    const { a, b } = await pair();
    for (let i = 0; i < TURN_ROOM_REQUESTS; i++) {
      const asker = i % 2 === 0 ? a : b;
      asker.send('{"t":"turn"}');
      expect((await asker.next()).t).toBe('turn');
    }
    a.send('{"t":"turn"}');
    expect(await a.nextText()).toBe('{"t":"no-turn","reason":"rate-limited"}');
    // Still in the room: the refusal is an answer, not a close.
    a.send('{"t":"blob","d":"AAAA"}');
    expect(await b.nextText()).toBe('{"t":"blob","d":"AAAA"}');
  });
});

describe('configuration', () => {
  it('without a provider answers "unconfigured", and so does a secret without URLs', async () => {
    expect(await mintTurnCredentials({})).toEqual({ t: 'no-turn', reason: 'unconfigured' });
    expect(turnProvider({ TURN_SHARED_SECRET: 'x' })).toEqual({ kind: 'none' });
    expect(await mintTurnCredentials({ TURN_SHARED_SECRET: 'x', TURN_URLS: ' ' })).toEqual({
      t: 'no-turn',
      reason: 'unconfigured',
    });
    expect(turnRefusalMessage('unconfigured')).toMatch(/no TURN relay configured/);
  });

  it('reports half a configuration as a mistake, and gives nothing', async () => {
    expect(turnProvider({ TURN_URLS: TURN_URL }).kind).toBe('misconfigured');
    expect(turnProvider({ TURN_KEY_ID: 'abc' }).kind).toBe('misconfigured');
    expect(turnProvider({ TURN_KEY_API_TOKEN: 'abc' }).kind).toBe('misconfigured');
    expect(turnProvider({ TURN_KEY_ID: '../x', TURN_KEY_API_TOKEN: 't' }).kind).toBe('misconfigured');
    expect(turnProvider({ TURN_SHARED_SECRET: 's', TURN_URLS: 'http://turn.test' }).kind).toBe(
      'misconfigured',
    );
    expect(turnProvider({ TURN_SHARED_SECRET: 's', TURN_URLS: 'turn:turn.test:53' }).kind).toBe(
      'misconfigured',
    );
    expect(await mintTurnCredentials({ TURN_KEY_ID: 'abc' })).toEqual({
      t: 'no-turn',
      reason: 'unconfigured',
    });
  });

  it('prefers Cloudflare when both providers are configured', () => {
    const provider = turnProvider({
      TURN_SHARED_SECRET: 's',
      TURN_URLS: TURN_URL,
      TURN_KEY_ID: 'key1',
      TURN_KEY_API_TOKEN: 'token1',
    });
    expect(provider).toEqual({ kind: 'cloudflare', keyId: 'key1', token: 'token1' });
  });
});

/** Cloudflare's documented 201 answer (developers.cloudflare.com, Realtime TURN, Generate Credentials). */
const CLOUDFLARE_REPLY = {
  iceServers: [
    { urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] },
    {
      urls: [
        'turn:turn.cloudflare.com:3478?transport=udp',
        'turn:turn.cloudflare.com:53?transport=udp',
        'turn:turn.cloudflare.com:3478?transport=tcp',
        'turns:turn.cloudflare.com:5349?transport=tcp',
      ],
      username:
        'bc91b63e2b5d759f8eb9f3b58062439e0a0e15893d76317d833265ad08d6631099ce7c7087caabb31ad3e1c386424e3e',
      credential:
        'ebd71f1d3edbc2b0edae3cd5a6d82284aeb5c3b8fdaa9b8e3bf9cec683e0d45fe9f5b44e5145db3300f06c250a15b4a0',
    },
  ],
};

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function fakeFetch(reply: () => Response | Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      init,
    });
    return reply();
  };
  return { fetch: fetchImpl, calls };
}

const CLOUDFLARE_ENV = { TURN_KEY_ID: 'a1b2c3', TURN_KEY_API_TOKEN: 'secret-token' };

describe('Cloudflare Realtime TURN', () => {
  it('asks the API as documented and hands out its servers without port 53', async () => {
    const fake = fakeFetch(() => Response.json(CLOUDFLARE_REPLY, { status: 201 }));
    const answer = await mintTurnCredentials(CLOUDFLARE_ENV, { fetch: fake.fetch });
    expect(fake.calls).toHaveLength(1);
    const { url, init } = fake.calls[0]!;
    expect(url).toBe(`${CLOUDFLARE_TURN_API}/a1b2c3/credentials/generate-ice-servers`);
    expect(url).toBe('https://rtc.live.cloudflare.com/v1/turn/keys/a1b2c3/credentials/generate-ice-servers');
    expect(init?.method).toBe('POST');
    const headers = new Headers(init?.headers);
    expect(headers.get('authorization')).toBe('Bearer secret-token');
    expect(headers.get('content-type')).toBe('application/json');
    expect(typeof init?.body).toBe('string');
    expect(JSON.parse(init?.body as string)).toEqual({ ttl: TURN_TTL_S });

    const turn = CLOUDFLARE_REPLY.iceServers[1]!;
    expect(answer).toEqual({
      t: 'turn',
      ttl: TURN_TTL_S,
      servers: [
        { urls: ['stun:stun.cloudflare.com:3478'] },
        {
          urls: [
            'turn:turn.cloudflare.com:3478?transport=udp',
            'turn:turn.cloudflare.com:3478?transport=tcp',
            'turns:turn.cloudflare.com:5349?transport=tcp',
          ],
          username: turn.username,
          credential: turn.credential,
        },
      ],
    });
    expect(JSON.stringify(answer)).not.toMatch(/:53(?!\d)/);
  });

  it('accepts the older single-server shape', () => {
    const turn = CLOUDFLARE_REPLY.iceServers[1]!;
    expect(cloudflareServers({ iceServers: turn })).toEqual([
      {
        urls: [
          'turn:turn.cloudflare.com:3478?transport=udp',
          'turn:turn.cloudflare.com:3478?transport=tcp',
          'turns:turn.cloudflare.com:5349?transport=tcp',
        ],
        username: turn.username,
        credential: turn.credential,
      },
    ]);
  });

  it.each([
    ['an error status', () => new Response('{"error":"bad token"}', { status: 401 })],
    ['a reply that is not JSON', () => new Response('<html>', { status: 201 })],
    [
      'a reply without TURN URLs',
      () => Response.json({ iceServers: [{ urls: ['stun:stun.cloudflare.com:3478'] }] }),
    ],
    [
      'a reply with only port-53 TURN URLs',
      () =>
        Response.json({
          iceServers: [{ urls: ['turn:turn.cloudflare.com:53'], username: 'u', credential: 'c' }],
        }),
    ],
    [
      'a TURN URL without credentials',
      () => Response.json({ iceServers: [{ urls: ['turn:turn.cloudflare.com:3478'] }] }),
    ],
  ])('answers "unavailable" to %s', async (_what, reply) => {
    const fake = fakeFetch(reply);
    expect(await mintTurnCredentials(CLOUDFLARE_ENV, { fetch: fake.fetch })).toEqual({
      t: 'no-turn',
      reason: 'unavailable',
    });
  });

  it('answers "unavailable" when the API cannot be reached', async () => {
    const fake = fakeFetch(async () => Promise.reject(new TypeError('network down')));
    expect(await mintTurnCredentials(CLOUDFLARE_ENV, { fetch: fake.fetch })).toEqual({
      t: 'no-turn',
      reason: 'unavailable',
    });
  });

  it('sends nothing a client would refuse', async () => {
    const fake = fakeFetch(() => Response.json(CLOUDFLARE_REPLY, { status: 201 }));
    const answer = await mintTurnCredentials(CLOUDFLARE_ENV, { fetch: fake.fetch });
    expect(decodeServerMessage(JSON.stringify(answer))).toEqual(answer);
  });
});
