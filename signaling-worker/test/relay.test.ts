/** Two peers relay blobs both ways: exactly what was sent, and only to the other peer. */
import { describe, expect, it } from 'vitest';
import { MAX_BLOB_BYTES, PING_FRAME, PONG_FRAME } from '../../src/protocol/signaling';
import { blob, join, newRoomId, pair } from './helpers';

describe('relay', () => {
  it('greets each peer and tells the first of the second', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    const b = await join(roomId, 1);
    expect(await a.nextText()).toBe('{"t":"peer-joined"}');
    await a.expectNothingPending();
    await b.expectNothingPending();
  });

  it('relays blobs both ways, verbatim, to the other peer only', async () => {
    const { a, b } = await pair();
    const offer = blob(1200, 1);
    const answer = blob(MAX_BLOB_BYTES, 2);
    a.send(`{"t":"blob","d":"${offer}"}`);
    expect(await b.nextText()).toBe(`{"t":"blob","d":"${offer}"}`);
    // Whitespace and key order are the sender's business; `d` arrives unchanged.
    b.send(`{ "d": "${answer}", "t": "blob" }`);
    expect(await a.nextText()).toBe(`{"t":"blob","d":"${answer}"}`);
    await a.expectNothingPending();
    await b.expectNothingPending();
  });

  it('keeps rooms apart', async () => {
    const one = await pair();
    const two = await pair();
    one.a.send(`{"t":"blob","d":"${blob(10)}"}`);
    expect(await one.b.nextText()).toBe(`{"t":"blob","d":"${blob(10)}"}`);
    await two.a.expectNothingPending();
    await two.b.expectNothingPending();
  });

  it('keeps blobs in order', async () => {
    const { a, b } = await pair();
    const sent = Array.from({ length: 20 }, (_, i) => blob(8 + i, i));
    for (const d of sent) a.send(`{"t":"blob","d":"${d}"}`);
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) {
      const msg = await b.next();
      if (msg.t === 'blob') got.push(msg.d);
    }
    expect(got).toEqual(sent);
  });

  it('drops a blob sent while alone', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    a.send(`{"t":"blob","d":"${blob(16)}"}`);
    await a.expectNothingPending();
    const b = await join(roomId, 1);
    expect(await a.nextText()).toBe('{"t":"peer-joined"}');
    await b.expectNothingPending();
  });

  it('tells the other peer when one leaves, and frees the place', async () => {
    const { roomId, a, b } = await pair();
    b.close(1000, 'bye');
    expect(await b.closeCode()).toMatchObject({ code: 1000 });
    expect(await a.nextText()).toBe('{"t":"peer-left"}');
    const c = await join(roomId, 1);
    expect(await a.nextText()).toBe('{"t":"peer-joined"}');
    c.send(`{"t":"blob","d":"${blob(3)}"}`);
    expect(await a.nextText()).toBe(`{"t":"blob","d":"${blob(3)}"}`);
  });

  it('answers the exact ping frame without the room, and any other ping through it', async () => {
    const { a } = await pair();
    a.send(PING_FRAME);
    expect(await a.nextText()).toBe(PONG_FRAME);
    a.send('{ "t": "ping" }');
    expect(await a.nextText()).toBe(PONG_FRAME);
  });
});
