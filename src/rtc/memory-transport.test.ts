import { describe, expect, it } from 'vitest';
import { createMemoryTransportPair } from './memory-transport';

const tick = async () => new Promise((r) => setTimeout(r, 0));

describe('memory transport pair', () => {
  it('delivers copies in order, both ways, and queues events sent before anyone listens', async () => {
    const { a, b } = createMemoryTransportPair();
    const payload = new Uint8Array([1, 2, 3]);
    a.send(payload);
    a.send(new Uint8Array([4]));
    payload[0] = 9; // the sender reusing its buffer changes nothing in flight
    await tick();
    const got: number[][] = [];
    b.on('message', (d) => got.push([...d])); // subscribed after delivery: queued, not lost
    b.send(new Uint8Array([5]));
    const back: number[][] = [];
    a.on('message', (d) => back.push([...d]));
    await tick();
    expect(got).toEqual([[1, 2, 3], [4]]);
    expect(back).toEqual([[5]]);
  });

  it('shares fingerprints consistently and marks the offerer as initiator', () => {
    const { a, b } = createMemoryTransportPair();
    expect(a.info.initiator).toBe(true);
    expect(b.info.initiator).toBe(false);
    expect(a.info.localFingerprint).toEqual(b.info.remoteFingerprint);
    expect(b.info.localFingerprint).toEqual(a.info.remoteFingerprint);
  });

  it('delivers what was sent before close, then closes both sides, then refuses to send', async () => {
    const { a, b } = createMemoryTransportPair();
    const events: string[] = [];
    b.on('message', () => events.push('message'));
    b.on('close', () => events.push('b-close'));
    a.on('close', () => events.push('a-close'));
    a.send(new Uint8Array([1]));
    a.close();
    await tick();
    await tick();
    expect(events).toEqual(['message', 'a-close', 'b-close']);
    expect(() => a.send(new Uint8Array([2]))).toThrow(/closed/);
  });

  it('lets a tap drop, duplicate and rewrite messages', async () => {
    const { a, b } = createMemoryTransportPair({
      tap: (_side, d) => (d[0] === 0 ? null : d[0] === 1 ? [d, d] : Uint8Array.of(42)),
    });
    const got: number[] = [];
    b.on('message', (d) => got.push(d[0]!));
    a.send(Uint8Array.of(0));
    a.send(Uint8Array.of(1));
    a.send(Uint8Array.of(2));
    await tick();
    expect(got).toEqual([1, 1, 42]);
  });
});
