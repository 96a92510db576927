/** Every message is validated; the room closes a peer that breaks a rule, with a documented code. */
import { describe, expect, it } from 'vitest';
import {
  MAX_BLOB_LENGTH,
  MAX_FRAME_LENGTH,
  RATE_LIMIT_MESSAGES,
  SignalingCloseCode,
  closeReason,
} from '../../src/protocol/signaling';
import { blob, connect, join, newRoomId, pair } from './helpers';

describe('limits', () => {
  it('refuses a third peer with 4001 and leaves the two alone', async () => {
    const { roomId, a, b } = await pair();
    const c = await connect(roomId);
    expect(await c.closeCode()).toEqual({
      code: SignalingCloseCode.ROOM_FULL,
      reason: closeReason(SignalingCloseCode.ROOM_FULL),
    });
    await a.expectNothingPending();
    a.send(`{"t":"blob","d":"${blob(5)}"}`);
    expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(5)}"}`);
  });

  it.each([
    ['a blob over 16 KiB', `{"t":"blob","d":"${'A'.repeat(MAX_BLOB_LENGTH + 2)}"}`],
    ['a frame over the frame limit', `{"t":"done"}${' '.repeat(MAX_FRAME_LENGTH)}`],
  ])('closes %s with 4002 and tells the other peer', async (_label, frame) => {
    const { a, b } = await pair();
    a.send(frame);
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.TOO_LARGE });
    expect(await b.nextText()).toBe('{"t":"peer-left"}');
  });

  it(`closes a peer's message number ${RATE_LIMIT_MESSAGES + 1} in the window with 4003`, async () => {
    const { a, b } = await pair();
    for (let i = 0; i <= RATE_LIMIT_MESSAGES; i++) a.send(`{"t":"blob","d":"${blob(4, i)}"}`);
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.RATE_LIMITED });
    for (let i = 0; i < RATE_LIMIT_MESSAGES; i++) {
      expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(4, i)}"}`);
    }
    expect(await b.nextText()).toBe('{"t":"peer-left"}');
  });

  it.each([
    ['not JSON', '{"t":"blob",'],
    ['a JSON array', '[]'],
    ['an unknown type', '{"t":"offer","sdp":"v=0"}'],
    ['an extra field', '{"t":"done","room":"x"}'],
    ['a blob that is not base64url', '{"t":"blob","d":"a+b/"}'],
    ['a numeric blob', '{"t":"blob","d":7}'],
    ['a binary frame', new Uint8Array([0x7b, 0x7d]).buffer],
  ])('closes %s with 4000', async (_label, frame) => {
    const { a, b } = await pair();
    a.send(frame);
    expect(await a.closeCode()).toEqual({
      code: SignalingCloseCode.MALFORMED,
      reason: closeReason(SignalingCloseCode.MALFORMED),
    });
    expect(await b.nextText()).toBe('{"t":"peer-left"}');
    await b.expectNothingPending();
  });

  it('closes a lone peer that sends garbage, too', async () => {
    const a = await join(newRoomId(), 0);
    a.send('hello');
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.MALFORMED });
  });
});
