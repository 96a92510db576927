/**
 * The app's side of the worker's username directory (src/protocol/directory.ts): look up, claim
 * and release a handle. Only the handle's hash travels; the card is opaque here (contact-card.ts
 * reads it). Every answer is checked before it is believed; every refusal is a `DirectoryError`
 * worded by us (a 429 says when to try again, from its `retry-after`), and a worker that cannot be
 * reached a `DirectoryUnreachableError`.
 */
import { toBase64Url } from '../crypto/bytes';
import {
  type ClaimResponse,
  DirectoryError,
  type DirectoryErrorCode,
  decodeCard,
  decodeClaimResponse,
  decodeDirectoryError,
  decodeLookupResponse,
  directoryPath,
  encodeClaimRequest,
  encodeReleaseRequest,
  handleHash,
  rateLimitMessage,
} from '../protocol/directory';

/** The worker could not be reached at all (offline, a proxy, the worker down). */
export class DirectoryUnreachableError extends Error {
  override readonly name = 'DirectoryUnreachableError';
  constructor(options?: ErrorOptions) {
    super('The username directory could not be reached; check the connection and try again.', options);
  }
}

export interface DirectoryClient {
  /** The card held for `handle` (normalized). Throws `DirectoryError('NOT_FOUND')` when none is. */
  lookup(handle: string): Promise<Uint8Array>;
  /**
   * Claims `handle` with `card`, owned by SHA-256 of `releaseSecret` (32 bytes). The same owner
   * again replaces the card. Throws `DirectoryError('TAKEN')` when another owner holds it.
   */
  claim(handle: string, card: Uint8Array, releaseSecret: Uint8Array): Promise<ClaimResponse>;
  /** Releases `handle`. Throws `DirectoryError('WRONG_SECRET')` or `('NOT_FOUND')`. */
  release(handle: string, releaseSecret: Uint8Array): Promise<void>;
}

/** Our sentence for a refusal the worker answered with `code` (and `retry-after` for a 429). */
function refusal(
  code: DirectoryErrorCode,
  kind: 'lookup' | 'claim',
  retryAfter: string | null,
): DirectoryError {
  if (code === 'RATE_LIMITED') {
    const seconds = Number(retryAfter);
    return new DirectoryError(
      code,
      rateLimitMessage(kind, Number.isFinite(seconds) && seconds > 0 ? seconds : 60),
    );
  }
  return new DirectoryError(code);
}

const STATUS_CODES: Record<number, DirectoryErrorCode> = {
  400: 'BAD_REQUEST',
  403: 'WRONG_SECRET',
  404: 'NOT_FOUND',
  409: 'TAKEN',
  413: 'TOO_LARGE',
  429: 'RATE_LIMITED',
};

export function createDirectoryClient(baseUrl: string, fetchImpl: typeof fetch = fetch): DirectoryClient {
  const request = async (
    method: 'GET' | 'PUT' | 'DELETE',
    handle: string,
    kind: 'lookup' | 'claim',
    body?: string,
  ): Promise<Response> => {
    const path = directoryPath(await handleHash(handle));
    let response: Response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (cause) {
      throw new DirectoryUnreachableError({ cause });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let code: DirectoryErrorCode;
    try {
      code = decodeDirectoryError(text).code;
    } catch {
      // Not the worker's JSON (a proxy's page, say): the status alone says what happened.
      code = STATUS_CODES[response.status] ?? 'INTERNAL';
    }
    throw refusal(code, kind, response.headers.get('retry-after'));
  };

  return {
    async lookup(handle) {
      const response = await request('GET', handle, 'lookup');
      if (response.status !== 200) throw new DirectoryError('INTERNAL');
      try {
        return decodeCard(decodeLookupResponse(await response.text()).card);
      } catch (cause) {
        throw new DirectoryError(
          'INTERNAL',
          'The username directory answered with something that is no card.',
          {
            cause,
          },
        );
      }
    },

    async claim(handle, card, releaseSecret) {
      const owner = toBase64Url(
        new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', Uint8Array.from(releaseSecret))),
      );
      const response = await request(
        'PUT',
        handle,
        'claim',
        encodeClaimRequest({ card: toBase64Url(card), owner }),
      );
      try {
        return decodeClaimResponse(await response.text());
      } catch (cause) {
        throw new DirectoryError('INTERNAL', 'The username directory’s answer to the claim is malformed.', {
          cause,
        });
      }
    },

    async release(handle, releaseSecret) {
      await request('DELETE', handle, 'claim', encodeReleaseRequest({ secret: toBase64Url(releaseSecret) }));
    },
  };
}

export { DirectoryError };
