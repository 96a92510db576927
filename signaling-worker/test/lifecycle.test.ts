/**
 * What outlives a single event: inactivity expiry through the storage alarm, a used invite (both
 * peers said `done`; see the Room's header for when a `done` counts), and eviction — after the
 * instance is torn down, the room still knows who is in it and whose `done` counted.
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

const DONE = '{"t":"done"}';
const PEER_JOINED = '{"t":"peer-joined"}';
const PEER_LEFT = '{"t":"peer-left"}';
const FINISHED = { code: 1000, reason: 'pairing finished' };

async function storageOf(roomId: string): Promise<{ keys: string[]; alarm: number | null }> {
  return runInDurableObject(roomStub(roomId), async (_room, state) => ({
    keys: [...(await state.storage.list()).keys()],
    alarm: await state.storage.getAlarm(),
  }));
}

/** The ids of the peers whose `done` counted, as the room keeps them. */
async function doneOf(roomId: string): Promise<unknown> {
  return runInDurableObject(roomStub(roomId), async (_room, state) => state.storage.get('done'));
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

describe('done: a room is used only once both of its peers said it', () => {
  it('a peer alone that says done does not use the room', async () => {
    const roomId = newRoomId();
    const a = await join(roomId, 0);
    a.send(DONE);
    await a.expectHandled(); // ignored: no reply, no close
    expect((await storageOf(roomId)).keys).toEqual([]);

    // A later join works, and a still relays.
    const b = await join(roomId, 1);
    expect(await a.nextText()).toBe(PEER_JOINED);
    a.send(`{"t":"blob","d":"${blob(5)}"}`);
    expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(5)}"}`);
    await b.expectNothingPending();
  });

  it('one of two peers saying done does not use the room', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    await a.expectHandled();
    await b.expectNothingPending(); // not closed, told nothing

    // Both still relay, the room is still full (not used), and a place freed is taken again.
    b.send(`{"t":"blob","d":"${blob(6)}"}`);
    expect(await a.nextText()).toBe(`{"t":"blob","d":"${blob(6)}"}`);
    expect(await (await connect(roomId)).closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_FULL });
    b.close();
    expect(await a.nextText()).toBe(PEER_LEFT);
    const c = await join(roomId, 1);
    expect(await a.nextText()).toBe(PEER_JOINED);
    await c.expectNothingPending();
  });

  it('both peers saying done closes both with 1000 "pairing finished" and later joins get 4005', async () => {
    const { roomId, a, b } = await pair();
    a.send(`{"t":"blob","d":"${blob(9)}"}`);
    a.send(DONE);
    expect(await b.nextText()).toBe(`{"t":"blob","d":"${blob(9)}"}`);
    b.send(DONE);
    expect(await a.closeCode()).toEqual(FINISHED);
    expect(await b.closeCode()).toEqual(FINISHED);

    for (let i = 0; i < 2; i++) {
      const closed = await (await connect(roomId)).closeCode();
      expect(closed).toEqual({ code: SignalingCloseCode.INVITE_USED, reason: 'invite already used' });
      expect(closeCodeMessage(closed.code)).toMatch(/this invite was already used/i);
    }

    const { keys, alarm } = await storageOf(roomId);
    expect(keys).toEqual(['used']);
    expect(alarm).toBeGreaterThan(Date.now() + USED_ROOM_RETENTION_MS - 60_000);
  });

  it('A says done and closes at once, then B says done: the room is used', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    a.close();
    expect(await b.nextText()).toBe(PEER_LEFT);
    b.send(DONE);
    expect(await b.closeCode()).toEqual(FINISHED);
    expect(await (await connect(roomId)).closeCode()).toMatchObject({ code: SignalingCloseCode.INVITE_USED });
  });

  it('the same peer saying done twice counts once', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    a.send(DONE);
    await a.expectHandled();
    await b.expectNothingPending();
    expect(await doneOf(roomId)).toHaveLength(1);

    // Still one `done`: with b gone, a third one from a, alone, does not use the room either.
    b.close();
    expect(await a.nextText()).toBe(PEER_LEFT);
    a.send(DONE);
    await a.expectHandled();
    expect((await storageOf(roomId)).keys).toEqual(['done']);
    const c = await join(roomId, 1);
    expect(await a.nextText()).toBe(PEER_JOINED);
    await c.expectNothingPending();
  });

  it('a counted done survives eviction', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    await a.expectHandled();
    a.close();
    expect(await b.nextText()).toBe(PEER_LEFT);

    const stub = roomStub(roomId);
    const before = await runInDurableObject(stub, (room) => room);
    await evictDurableObject(stub); // b's WebSocket hibernates; the instance and its memory are gone
    expect(await runInDurableObject(stub, (room) => room)).not.toBe(before);
    await evictDurableObject(stub);

    b.send(DONE);
    expect(await b.closeCode()).toEqual(FINISHED);
    await evictDurableObject(stub);
    expect(await (await connect(roomId)).closeCode()).toMatchObject({ code: SignalingCloseCode.INVITE_USED });
  });

  it('the idle alarm forgets counted dones', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    await a.expectHandled();
    expect((await storageOf(roomId)).keys).toEqual(['done']);
    expect(await runDurableObjectAlarm(roomStub(roomId))).toBe(true);
    expect(await a.closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_EXPIRED });
    expect(await b.closeCode()).toMatchObject({ code: SignalingCloseCode.ROOM_EXPIRED });
    expect(await storageOf(roomId)).toEqual({ keys: [], alarm: null });

    // Had a's `done` been kept, this one (from a peer alone) would count and use the room.
    const c = await join(roomId, 0);
    c.send(DONE);
    await c.expectHandled();
    const d = await join(roomId, 1);
    expect(await c.nextText()).toBe(PEER_JOINED);
    await d.expectNothingPending();
  });

  it('is forgotten when its retention alarm runs', async () => {
    const { roomId, a, b } = await pair();
    a.send(DONE);
    b.send(DONE);
    await a.closeCode();
    await b.closeCode();
    expect(await runDurableObjectAlarm(roomStub(roomId))).toBe(true);
    expect(await storageOf(roomId)).toEqual({ keys: [], alarm: null });
    await join(roomId, 0);
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
