import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../crypto/bytes';
import { MAX_LIST_MAILBOXES } from '../protocol/mailbox';
import { encodeError } from '../protocol/mailbox-json';
import { encodeFetchResponse, encodeId16 } from '../protocol/mailbox-binary';
import { MailboxError, MailboxUnreachableError, createMailboxClient, mailboxBaseUrl } from './mailbox-client';

const id32 = (n: number) => toBase64Url(new Uint8Array(32).fill(n));
const blobId = (n: number) => encodeId16(new Uint8Array(16).fill(n));

/** A fetch that records each request and answers from `answer`. */
function recorder(answer: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; method: string; headers: Record<string, string>; body: unknown }[] = [];
  const fetchImpl = (async (input: string, init: RequestInit) => {
    await Promise.resolve();
    calls.push({
      url: input,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    return answer(input, init);
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

describe('mailbox client', () => {
  it('turns the signaling address into the mailbox origin', () => {
    expect(mailboxBaseUrl('ws://127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
    expect(mailboxBaseUrl('wss://signal.example/')).toBe('https://signal.example');
    expect(mailboxBaseUrl('')).toBeUndefined();
    expect(mailboxBaseUrl('ftp://x')).toBeUndefined();
    expect(mailboxBaseUrl('not a url')).toBeUndefined();
  });

  it('sends the token only in the Authorization header, never cookies or a referrer', async () => {
    const { calls, fetchImpl } = recorder(() => new Response('{"created":true}', { status: 201 }));
    const client = createMailboxClient('http://w', fetchImpl);
    await client.claim({ id: id32(1), token: id32(2) });
    expect(calls[0]).toMatchObject({ url: `http://w/mailboxes/${id32(1)}`, method: 'PUT' });
    expect(calls[0]!.headers.authorization).toBe(`Mailbox ${id32(2)}`);
    expect(calls[0]!.url).not.toContain(id32(2));
    expect(client.requests).toBe(1);
  });

  it('lists many mailboxes in as few requests as the worker allows', async () => {
    const { calls, fetchImpl } = recorder((_url, init) => {
      const asked = (JSON.parse(init.body as string) as { mailboxes: { id: string }[] }).mailboxes;
      return new Response(JSON.stringify({ results: asked.map((m) => ({ id: m.id, blobs: [] })) }));
    });
    const client = createMailboxClient('http://w', fetchImpl);
    const boxes = Array.from({ length: MAX_LIST_MAILBOXES + 5 }, (_, i) => ({
      id: id32(i),
      token: id32(200),
    }));
    const results = await client.list(boxes);
    expect(results).toHaveLength(boxes.length);
    expect(calls).toHaveLength(2);
  });

  it('fetches again what an answer left out over its byte limit, and stops at blobs that are gone', async () => {
    const ids = [blobId(1), blobId(2), blobId(3)];
    let round = 0;
    const { calls, fetchImpl } = recorder(() => {
      round++;
      const blobs =
        round === 1
          ? [{ id: ids[0]!, at: 1, data: Uint8Array.of(1) }]
          : round === 2
            ? [{ id: ids[1]!, at: 2, data: Uint8Array.of(2) }]
            : [];
      return new Response(encodeFetchResponse(blobs));
    });
    const client = createMailboxClient('http://w', fetchImpl);
    const got = await client.fetch({ id: id32(1), token: id32(2) }, ids);
    expect(got.map((b) => b.id)).toEqual([ids[0], ids[1]]);
    expect(calls.map((c) => JSON.parse(c.body as string) as unknown)).toEqual([
      { ids },
      { ids: ids.slice(1) },
      { ids: ids.slice(2) },
    ]);
  });

  it('throws the worker’s code worded by the app, and an unreachable worker as such', async () => {
    const refusing = createMailboxClient(
      'http://w',
      recorder(() => new Response(encodeError('MAILBOX_FULL', 'worker words <b>'), { status: 507 }))
        .fetchImpl,
    );
    const error = await refusing.deposit(id32(1), Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailboxError);
    expect((error as MailboxError).code).toBe('MAILBOX_FULL');
    expect((error as MailboxError).message).not.toContain('<b>');
    const down = createMailboxClient('http://w', async () =>
      Promise.reject(new TypeError('Failed to fetch')),
    );
    await expect(down.deposit(id32(1), Uint8Array.of(1))).rejects.toBeInstanceOf(MailboxUnreachableError);
  });
});
