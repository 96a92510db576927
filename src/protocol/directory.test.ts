import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import {
  DirectoryError,
  MAX_CARD_BYTES,
  MAX_CARD_LENGTH,
  MAX_DIRECTORY_BODY_BYTES,
  decodeCard,
  decodeClaimRequest,
  decodeClaimResponse,
  decodeDirectoryError,
  decodeLookupResponse,
  decodeReleaseRequest,
  directoryErrorMessage,
  directoryErrorStatus,
  directoryPath,
  displayHandle,
  encodeCard,
  encodeClaimRequest,
  encodeDirectoryError,
  encodeReleaseRequest,
  handleHash,
  isHandle,
  isHandleHash,
  normalizeHandle,
  rateLimitMessage,
} from './directory';

const b64 = (n: number, fill = 1): string => toBase64Url(new Uint8Array(n).fill(fill));
const key32 = b64(32, 9);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (DirectoryError.is(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('handles', () => {
  it('normalizes a typed handle: spaces, a leading @ and ASCII capitals', () => {
    expect(normalizeHandle('alice.42')).toBe('alice.42');
    expect(normalizeHandle('  @Alice.42 ')).toBe('alice.42');
    expect(normalizeHandle('BOB_SMITH.2026')).toBe('bob_smith.2026');
    expect(displayHandle(normalizeHandle('@Abc.00'))).toBe('@abc.00');
  });

  it('refuses what is no handle, with a sentence saying what one looks like', () => {
    const bad = [
      '',
      '@',
      'alice',
      'al.42',
      '1alice.42',
      '_alice.42',
      'alice.4',
      'alice.12345',
      'alice.42.',
      'ali ce.42',
      'alice-x.42',
      'a'.repeat(21) + '.42',
      '@@alice.42',
      'alicé.42',
      '\u212Aate.42', // the Kelvin sign, which toLowerCase would turn into an ASCII k
      'alice\u200b.42',
      'alice.٤٢', // Arabic-Indic digits
    ];
    for (const text of bad) {
      expect(
        codeOf(() => normalizeHandle(text)),
        text,
      ).toBe('BAD_HANDLE');
    }
    expect(directoryErrorMessage('BAD_HANDLE')).toMatch(/^A username is .* such as alice\.42\.$/);
    expect(isHandle('a'.repeat(20) + '.9999')).toBe(true);
  });

  it('hashes SHA-256("SecMsg/0.1 handle" ‖ handle) to unpadded base64url (values from Python hashlib)', async () => {
    expect(await handleHash('alice.42')).toBe('Uan95JJf8tcNtr4w3BRAoEYpTpJ1s6a-Pt06F_eyMFw');
    expect(await handleHash('bob_smith.2026')).toBe('ZGSoo35LeoW7ws--cTgf4pSdm0sOJIYRAqo-TJSVrqQ');
    expect(isHandleHash(await handleHash('alice.42'))).toBe(true);
    await expect(handleHash('Alice.42')).rejects.toThrow(DirectoryError);
  });

  it('gives a path only for a well-formed hash', async () => {
    const hash = await handleHash('alice.42');
    expect(directoryPath(hash)).toBe(`/directory/${hash}`);
    expect(codeOf(() => directoryPath('alice.42'))).toBe('BAD_REQUEST');
    expect(codeOf(() => directoryPath(hash.slice(0, 42) + 'B'))).toBe('BAD_REQUEST'); // stray bits
  });
});

describe('bodies', () => {
  it('round-trips a claim and a release', () => {
    const card = b64(100);
    const claim = decodeClaimRequest(encodeClaimRequest({ card, owner: key32 }));
    expect(toBase64Url(claim.card)).toBe(card);
    expect(claim.owner).toEqual(new Uint8Array(32).fill(9));
    expect(decodeReleaseRequest(encodeReleaseRequest({ secret: key32 })).secret).toEqual(
      new Uint8Array(32).fill(9),
    );
  });

  it('round-trips any card of 1 to MAX_CARD_BYTES bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
        expect(decodeCard(encodeCard(bytes))).toEqual(bytes);
      }),
    );
    expect(decodeCard(b64(MAX_CARD_BYTES)).length).toBe(MAX_CARD_BYTES);
    expect(encodeClaimRequest({ card: b64(MAX_CARD_BYTES), owner: key32 }).length).toBeLessThan(
      MAX_DIRECTORY_BODY_BYTES,
    );
  });

  it('refuses cards that are empty, too large, padded, not base64url or have stray bits', () => {
    expect(codeOf(() => decodeCard(b64(MAX_CARD_BYTES + 1)))).toBe('TOO_LARGE');
    expect(codeOf(() => decodeCard('A'.repeat(MAX_CARD_LENGTH + 1)))).toBe('TOO_LARGE');
    for (const card of ['', 'AQ==', 'A+B/', 'A', 'AR', 'AQI=', 'ab cd', 42, null]) {
      expect(
        codeOf(() => decodeCard(card)),
        String(card),
      ).toBe('BAD_REQUEST');
    }
    expect(codeOf(() => encodeCard(new Uint8Array(0)))).toBe('BAD_REQUEST');
  });

  it('refuses bodies that are not JSON, have other fields or malformed keys', () => {
    const card = b64(10);
    const bad = [
      'not json',
      '[]',
      'null',
      '{}',
      JSON.stringify({ card }),
      JSON.stringify({ card, owner: key32, extra: 1 }),
      JSON.stringify({ card, owner: b64(31) }),
      JSON.stringify({ card, owner: b64(33) }),
      JSON.stringify({ card, owner: key32 + '=' }),
      JSON.stringify({ card: 5, owner: key32 }),
    ];
    for (const text of bad)
      expect(
        codeOf(() => decodeClaimRequest(text)),
        text,
      ).toBe('BAD_REQUEST');
    for (const text of ['{}', JSON.stringify({ secret: b64(16) }), JSON.stringify({ secret: key32, x: 1 })]) {
      expect(
        codeOf(() => decodeReleaseRequest(text)),
        text,
      ).toBe('BAD_REQUEST');
    }
    expect(codeOf(() => encodeReleaseRequest({ secret: 'short' }))).toBe('BAD_REQUEST');
  });

  it('reads the worker’s answers and nothing else', () => {
    expect(decodeLookupResponse(JSON.stringify({ card: b64(5) }))).toEqual({ card: b64(5) });
    expect(codeOf(() => decodeLookupResponse(JSON.stringify({ card: b64(5), at: 1 })))).toBe('BAD_REQUEST');
    expect(decodeClaimResponse('{"created":true,"expires":1765000000000}')).toEqual({
      created: true,
      expires: 1765000000000,
    });
    expect(codeOf(() => decodeClaimResponse('{"created":1,"expires":1}'))).toBe('BAD_REQUEST');
    expect(codeOf(() => decodeClaimResponse('{"created":true,"expires":1.5}'))).toBe('BAD_REQUEST');
  });
});

describe('refusals', () => {
  it('carry a code and a sentence both ways, with the status the worker answers', () => {
    const text = encodeDirectoryError('TAKEN');
    expect(decodeDirectoryError(text)).toEqual({ code: 'TAKEN', message: directoryErrorMessage('TAKEN') });
    expect(directoryErrorStatus('TAKEN')).toBe(409);
    expect(directoryErrorStatus('NOT_FOUND')).toBe(404);
    expect(directoryErrorStatus('WRONG_SECRET')).toBe(403);
    expect(directoryErrorStatus('RATE_LIMITED')).toBe(429);
    expect(codeOf(() => decodeDirectoryError('{"error":{"code":"NOPE","message":"x"}}'))).toBe('BAD_REQUEST');
    expect(codeOf(() => decodeDirectoryError('<html>'))).toBe('BAD_REQUEST');
  });

  it('says how long to wait, in minutes', () => {
    expect(rateLimitMessage('lookup', 600)).toBe(
      'Too many usernames were looked up from this network; try again in 10 minutes.',
    );
    expect(rateLimitMessage('lookup', 1)).toMatch(/try again in 1 minute\.$/);
    expect(rateLimitMessage('claim', 61)).toMatch(
      /^Too many usernames were claimed or released .* 2 minutes\.$/,
    );
  });
});
