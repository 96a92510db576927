import { describe, expect, it } from 'vitest';
import {
  MAX_BATCH_BLOBS,
  MAX_LIST_MAILBOXES,
  MAX_MAILBOX_BLOB_BYTES,
  MailboxError,
  authorization,
  isBlobId,
  isMailboxId,
  mailboxErrorMessage,
  mailboxErrorStatus,
  readAuthorization,
} from './mailbox';
import {
  decodeBlobIdsRequest,
  decodeError,
  decodeListRequest,
  decodeListResponse,
  decodeMailboxListing,
  encodeError,
} from './mailbox-json';
import {
  decodeDepositBatch,
  decodeFetchResponse,
  encodeDepositBatch,
  encodeFetchResponse,
  encodeId16,
} from './mailbox-binary';
import { toBase64Url } from '../crypto/bytes';

const id32 = (fill: number) => toBase64Url(new Uint8Array(32).fill(fill));
const blobId = (fill: number) => encodeId16(new Uint8Array(16).fill(fill));

function refused(f: () => unknown, code = 'BAD_REQUEST'): MailboxError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MailboxError);
    expect((e as MailboxError).code).toBe(code);
    expect((e as MailboxError).message).toMatch(/^[A-Z].*\.$/);
    return e as MailboxError;
  }
  throw new Error('expected a refusal');
}

describe('mailbox ids and tokens', () => {
  it('accepts exactly the base64url of 32 (ids, tokens) and 16 bytes (blob ids)', () => {
    for (let i = 0; i < 256; i += 17) {
      expect(isMailboxId(id32(i))).toBe(true);
      expect(isBlobId(blobId(i))).toBe(true);
    }
    expect(isMailboxId(id32(1).slice(0, 42))).toBe(false);
    expect(isMailboxId(`${id32(1).slice(0, 42)}B`)).toBe(false); // non-zero trailing bits
    expect(isMailboxId(`${id32(1)}=`)).toBe(false);
    expect(isBlobId(`${blobId(1).slice(0, 21)}B`)).toBe(false);
    expect(isBlobId(id32(1))).toBe(false);
  });

  it('reads a token from the Authorization header only in the Mailbox scheme', () => {
    const token = id32(9);
    expect(readAuthorization(authorization(token))).toBe(token);
    expect(readAuthorization(`Bearer ${token}`)).toBeNull();
    expect(readAuthorization(`Mailbox ${token} `)).toBeNull();
    expect(readAuthorization(null)).toBeNull();
    refused(() => authorization('short'));
  });
});

describe('mailbox request bodies', () => {
  it('validates a list request field by field', () => {
    const mailboxes = [{ id: id32(1), token: id32(2) }];
    expect(decodeListRequest(JSON.stringify({ mailboxes }))).toEqual({ mailboxes });
    refused(() => decodeListRequest('['));
    refused(() => decodeListRequest(JSON.stringify({ mailboxes, extra: 1 })));
    refused(() => decodeListRequest(JSON.stringify({ mailboxes: [{ ...mailboxes[0], x: 1 }] })));
    refused(() => decodeListRequest(JSON.stringify({ mailboxes: [mailboxes[0], mailboxes[0]] })));
    refused(() => decodeListRequest(JSON.stringify({ mailboxes: [] })));
    const many = Array.from({ length: MAX_LIST_MAILBOXES + 1 }, (_, i) => ({ id: id32(i), token: id32(0) }));
    refused(() => decodeListRequest(JSON.stringify({ mailboxes: many })));
  });

  it('validates blob ids for fetch and delete', () => {
    expect(decodeBlobIdsRequest(JSON.stringify({ ids: [blobId(1), blobId(2)] })).ids).toHaveLength(2);
    refused(() => decodeBlobIdsRequest(JSON.stringify({ ids: [blobId(1), blobId(1)] })));
    refused(() => decodeBlobIdsRequest(JSON.stringify({ ids: [] })));
    refused(() => decodeBlobIdsRequest(JSON.stringify({ ids: ['x'] })));
    const many = Array.from({ length: MAX_BATCH_BLOBS + 1 }, (_, i) =>
      encodeId16(Uint8Array.of(i >> 8, i & 255, ...new Uint8Array(14))),
    );
    refused(() => decodeBlobIdsRequest(JSON.stringify({ ids: many })));
  });
});

describe('mailbox answers, as the app checks them', () => {
  it('round-trips a fetch answer and refuses one that holds what was not asked for', () => {
    const blobs = [
      { id: blobId(1), at: 1_700_000_000_000, data: new Uint8Array([1, 2, 3]) },
      { id: blobId(2), at: 1_700_000_000_001, data: new Uint8Array(MAX_MAILBOX_BLOB_BYTES).fill(5) },
    ];
    const body = encodeFetchResponse(blobs);
    expect(decodeFetchResponse(body, [blobId(1), blobId(2), blobId(3)])).toEqual(blobs);
    refused(() => decodeFetchResponse(body, [blobId(1)]));
    refused(() => decodeFetchResponse(body.subarray(0, body.length - 1), [blobId(1), blobId(2)]));
    refused(() => decodeFetchResponse(body.subarray(0, 20), [blobId(1)]));
    // The same blob twice is refused: each one asked for is answered at most once.
    const twice = encodeFetchResponse([blobs[0]!, blobs[0]!]);
    refused(() => decodeFetchResponse(twice, [blobId(1)]));
    expect(decodeFetchResponse(new Uint8Array(0), [blobId(1)])).toEqual([]);
  });

  it('checks a list answer against the mailboxes asked for, and words errors its own way', () => {
    const asked = [id32(1), id32(2)];
    const text = JSON.stringify({
      results: [
        { id: asked[0], blobs: [{ id: blobId(1), size: 10, at: 5 }] },
        { id: asked[1], error: { code: 'NO_MAILBOX', message: '<script>anything the worker says' } },
      ],
    });
    const results = decodeListResponse(text, asked);
    expect(results[0]).toEqual({ id: asked[0], blobs: [{ id: blobId(1), size: 10, at: 5 }] });
    expect(results[1]).toEqual({
      id: asked[1],
      error: { code: 'NO_MAILBOX', message: mailboxErrorMessage('NO_MAILBOX') },
    });
    refused(() => decodeListResponse(text, [asked[1]!, asked[0]!]));
    refused(() => decodeListResponse(text, asked.slice(0, 1)));
    refused(() =>
      decodeListResponse(
        JSON.stringify({ results: [{ id: asked[0], blobs: [{ id: blobId(1), size: 0, at: 5 }] }] }),
        [asked[0]!],
      ),
    );
    refused(() =>
      decodeMailboxListing(JSON.stringify({ blobs: [{ id: blobId(1), size: 1, at: 1, who: 'x' }] })),
    );
  });

  it('reads an error body to its code, and anything else as INTERNAL', () => {
    expect(decodeError(encodeError('MAILBOX_FULL')).code).toBe('MAILBOX_FULL');
    expect(decodeError('<html>').code).toBe('INTERNAL');
    expect(decodeError(JSON.stringify({ error: { code: 'NOPE' } })).code).toBe('INTERNAL');
    expect(mailboxErrorStatus('WRONG_TOKEN')).toBe(403);
  });
});

describe('batch deposits', () => {
  it('round-trip, and refuse what the worker would refuse', () => {
    const blobs = [Uint8Array.of(1), new Uint8Array(MAX_MAILBOX_BLOB_BYTES).fill(2)];
    expect(decodeDepositBatch(encodeDepositBatch(blobs))).toEqual(blobs);
    refused(() => encodeDepositBatch([]));
    refused(() => encodeDepositBatch([new Uint8Array(0)]), 'TOO_LARGE');
    refused(() => encodeDepositBatch([new Uint8Array(MAX_MAILBOX_BLOB_BYTES + 1)]), 'TOO_LARGE');
    refused(
      () => encodeDepositBatch(Array.from({ length: 17 }, () => new Uint8Array(MAX_MAILBOX_BLOB_BYTES))),
      'TOO_LARGE',
    );
    refused(() => decodeDepositBatch(new Uint8Array(0)));
    refused(() => decodeDepositBatch(Uint8Array.of(0, 0, 0, 2, 1)));
  });
});
