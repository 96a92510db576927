import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import { DirectoryError, encodeDirectoryError, handleHash } from '../protocol/directory';
import { DirectoryUnreachableError, createDirectoryClient } from './directory-client';

interface Seen {
  method: string;
  url: string;
  body?: string;
}

function fakeFetch(answer: (seen: Seen) => Response | Error) {
  const seen: Seen[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const s: Seen = {
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : input.toString(),
    };
    if (typeof init?.body === 'string') s.body = init.body;
    seen.push(s);
    const a = answer(s);
    if (a instanceof Error) throw a;
    return Promise.resolve(a);
  }) as typeof fetch;
  return { impl, seen };
}

const refusal = (status: number, code: Parameters<typeof encodeDirectoryError>[0], headers = {}) =>
  new Response(encodeDirectoryError(code, 'The worker’s own words.'), { status, headers });

describe('directory client', () => {
  it('looks a handle up by its hash only, and returns the card’s bytes', async () => {
    const card = new Uint8Array([1, 2, 3, 4]);
    const { impl, seen } = fakeFetch(() => new Response(JSON.stringify({ card: toBase64Url(card) })));
    const client = createDirectoryClient('http://w', impl);
    expect(await client.lookup('alice.42')).toEqual(card);
    expect(seen[0]).toEqual({ method: 'GET', url: `http://w/directory/${await handleHash('alice.42')}` });
    expect(seen[0]!.url).not.toContain('alice');
  });

  it('claims with the SHA-256 of the release secret as the owner, and releases with the secret', async () => {
    const { impl, seen } = fakeFetch((s) =>
      s.method === 'PUT'
        ? new Response(JSON.stringify({ created: true, expires: 5 }), { status: 201 })
        : new Response(null, { status: 204 }),
    );
    const client = createDirectoryClient('http://w', impl);
    const secret = new Uint8Array(32).fill(7);
    expect(await client.claim('alice.42', new Uint8Array([9]), secret)).toEqual({
      created: true,
      expires: 5,
    });
    const owner = toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', secret)));
    expect(JSON.parse(seen[0]!.body!)).toEqual({ card: 'CQ', owner });
    await client.release('alice.42', secret);
    expect(JSON.parse(seen[1]!.body!)).toEqual({ secret: toBase64Url(secret) });
  });

  it('words every refusal itself, a 429 with when to try again', async () => {
    const cases: [Response, DirectoryError['code'], RegExp][] = [
      [refusal(404, 'NOT_FOUND'), 'NOT_FOUND', /Nobody has this username/],
      [refusal(409, 'TAKEN'), 'TAKEN', /Someone else has this username/],
      [refusal(403, 'WRONG_SECRET'), 'WRONG_SECRET', /release secret/],
      [
        refusal(429, 'RATE_LIMITED', { 'retry-after': '130' }),
        'RATE_LIMITED',
        /looked up .* try again in 3 minutes/,
      ],
      [new Response('<html>bad gateway</html>', { status: 502 }), 'INTERNAL', /had a problem/],
      [new Response('nope', { status: 404 }), 'NOT_FOUND', /Nobody has this username/],
    ];
    for (const [response, code, sentence] of cases) {
      const client = createDirectoryClient('http://w', fakeFetch(() => response.clone()).impl);
      const e: unknown = await client.lookup('alice.42').catch((x: unknown) => x);
      expect(DirectoryError.is(e, code), code).toBe(true);
      expect((e as Error).message).toMatch(sentence);
      expect((e as Error).message).not.toContain('own words');
    }
  });

  it('says so when the worker cannot be reached, and refuses malformed answers and handles', async () => {
    const down = createDirectoryClient('http://w', fakeFetch(() => new TypeError('Failed to fetch')).impl);
    await expect(down.lookup('alice.42')).rejects.toBeInstanceOf(DirectoryUnreachableError);
    const odd = createDirectoryClient('http://w', fakeFetch(() => new Response('{"card": 5}')).impl);
    await expect(odd.lookup('alice.42')).rejects.toSatisfy((e) => DirectoryError.is(e, 'INTERNAL'));
    await expect(odd.lookup('Not a handle')).rejects.toSatisfy((e) => DirectoryError.is(e, 'BAD_HANDLE'));
  });
});
