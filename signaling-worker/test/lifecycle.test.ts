/**
 * What outlives a single event: inactivity expiry through the storage alarm, a used invite, and
 * eviction — after the instance is torn down, the room still knows who is in it.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  RATE_LIMIT_MESSAGES,
  ROOM_IDLE_MS,
  SignalingCloseCode,
  USED_ROOM_RETENTION_MS,
  closeCodeMessage,
} from '../../src/protocol/signaling';
import { blob, connect, join, newRoomId, pair, roomStub } from './helpers';

async function storageOf(roomId: string): Promise<{ keys: string[]; alarm: number | null }> {
  return runInDurableObject(roomStub(roomId), async (_room, state) => ({
    keys: [...(await state.storage.list()).keys()],
    alarm: await state.storage.getAlarm(),
  }));
}

describe('expiry', () => {
  it('sets the alarm ten minutes after the last activity', async () => {
    const before = Date.now();
    const { roomId, a } = await pair();
    a.send(`{"t":"blob","d":"${blob(2)}"}`);
    await a.expectNothingPending();
    const { alarm } = await storageOf(roomId);
    expect(alarm).toBeGreaterThanOrEqual(before + ROOM_IDLE_MS);
    expect(alarm).toBeLessThanOrEqual(Date.now() + ROOM_IDLE_MS);
  });

  it('closes everyone with 4004 when the alarm runs, and deletes the room', async () => {
    const { roomId, a, b } = await pair();
    expect(await runDurableObjectAlarm(roomStub(roomId))).toBe(true);
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_EXPIRED });
    expect(await b.closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_EXPIRED });
    expect(await storageOf(roomId)).toEqual({ keys: [], alarm: null });
    // The id is free again: a join starts an empty room.
    const c = await join(roomId, 0);
    await c.expectNothingPending();
  });
});

describe('a used invite', () => {
  it('closes both peers normally on done, and refuses later joins with 4005', async () => {
    const { roomId, a, b } = await pair();
    a.send(`{"t":"blob","d":"${blob(9)}"}`);
    a.send('{"t":"done"}');
    expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(9)}"}`);
    expect(await a.closeCode()).toMatchObject({ code: 1000 });
    expect(await b.closeCode()).toMatchObject({ code: 1000 });

    const late = await connect(roomId);
    const closed = await late.closeCode();
    expect(closed).toEqual({ code: SignalingCloseCode.INVITE_USED, reason: 'invite already used' });
    expect(closeCodeMessage(closed.code)).toMatch(/this invite was already used/i);

    const { keys, alarm } = await storageOf(roomId);
    expect(keys).toEqual(['used']);
    expect(alarm).toBeGreaterThan(Date.now() + USED_ROOM_RETENTION_MS - 60_000);
  });

  it('is used even when the inviter revokes it alone, and survives eviction', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    a.send('{"t":"done"}');
    expect(await a.closeCode()).toMatchObject({ code: 1000 });
    const stub = roomStub(roomId);
    await runInDurableObject(stub, () => undefined); // make sure an instance is running to evict
    await evictDurableObject(stub);
    expect(await (await connect(roomId)).closeCode()).toMatchObject({ code: SignalingCloseCode.INVITE_USED });
  });

  it('is forgotten when its retention alarm runs', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    a.send('{"t":"done"}');
    await a.closeCode();
    expect(await runDurableObjectAlarm(roomStub(roomId))).toBe(true);
    expect(await storageOf(roomId)).toEqual({ keys: [], alarm: null });
  });
});

describe('eviction', () => {
  it('keeps peers, their places and their rate windows across a torn-down instance', async () => {
    const { roomId, a, b } = await pair();
    const stub = roomStub(roomId);
    const half = RATE_LIMIT_MESSAGES / 2;
    for (let i = 0; i < half; i++) a.send(`{"t":"blob","d":"${blob(4, i)}"}`);
    for (let i = 0; i < half; i++) expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(4, i)}"}`);

    const before = await runInDurableObject(stub, (room) => room);
    await evictDurableObject(stub); // WebSockets hibernate; the instance and its memory are gone
    const after = await runInDurableObject(stub, (room) => room);
    expect(after).not.toBe(before);

    // Still full: a third peer is refused.
    expect(await (await connect(roomId)).closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_FULL });

    // Still relaying to the right peer, in both directions, and never back to the sender.
    await evictDurableObject(stub);
    b.send(`{"t":"blob","d":"${blob(7)}"}`);
    expect(await a.nextText()).toBe(`{"t":"blob","d":"${blob(7)}"}`);
    await b.expectNothingPending();

    // Still counting: a's window already holds `half` messages, so it may send `half` more.
    await evictDurableObject(stub);
    for (let i = 0; i <= half; i++) a.send(`{"t":"blob","d":"${blob(4, 100 + i)}"}`);
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.RATE_LIMITED });
    for (let i = 0; i < half; i++) expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(4, 100 + i)}"}`);
    expect(await b.nextText()).toBe('{"t":"peer-left"}');
  });

  it('still frees a place when a peer leaves while the room hibernates', async () => {
    const { roomId, a, b } = await pair();
    await evictDurableObject(roomStub(roomId));
    b.close();
    expect(await a.nextText()).toBe('{"t":"peer-left"}');
    await join(roomId, 1);
  });
});
