import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from './errors';
import { FrameType } from './frame';
import { NoiseCipherState } from './noise';
import { FrameProtector, deriveFrameMacKeys } from './secure-frames';

/** Two protectors facing each other, keyed as after a handshake. */
async function protectorPair(now: () => number = Date.now) {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const cipher = async (k: Uint8Array) => {
    const c = new NoiseCipherState();
    await c.initializeKey(k);
    return c;
  };
  const macs = await deriveFrameMacKeys(randomBytes(32), randomBytes(32));
  const a = new FrameProtector({
    send: await cipher(k1),
    recv: await cipher(k2),
    sendMac: macs.initiatorToResponder,
    recvMac: macs.responderToInitiator,
    now,
  });
  const b = new FrameProtector({
    send: await cipher(k2),
    recv: await cipher(k1),
    sendMac: macs.responderToInitiator,
    recvMac: macs.initiatorToResponder,
    now,
  });
  return { a, b };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('FrameProtector', () => {
  it('opens frames whose HMAC checks were started as they arrived, in order, refusing a bad one the same', async () => {
    const { a, b } = await protectorPair();
    const frames = [];
    for (let i = 0; i < 6; i++) {
      frames.push(
        await a.seal(i % 2 ? FrameType.FILE_CHUNK : FrameType.REGULAR_MESSAGE, Uint8Array.of(i, i, i)),
      );
    }
    const forged = frames[3]!.slice();
    forged[forged.length - 1]! ^= 1; // its HMAC
    // Every check started before any frame is opened, as a receiver does when they come together.
    const checks = [...frames, forged].map((f): Promise<boolean> | undefined => b.checkMac(f));
    expect(checks.every((c) => c instanceof Promise)).toBe(true);
    expect(b.checkMac(Uint8Array.of(1, 2, 3))).toBeUndefined(); // not a frame: open says why
    const opened = [];
    for (const i of [0, 1, 2]) opened.push((await b.open(frames[i]!, undefined, checks[i])).plaintext[0]);
    // The forged copy of frame 3, with its own check: refused as without one, and advances nothing.
    const refused = await rejection(b.open(forged, undefined, checks[6]));
    expect(refused).toMatchObject({ code: 'BAD_MAC' });
    for (const i of [3, 4, 5]) opened.push((await b.open(frames[i]!, undefined, checks[i])).plaintext[0]);
    expect(opened).toEqual([0, 1, 2, 3, 4, 5]);
    // A check is of its own bytes: frame 4's check given with frame 3's bytes lets nothing through
    // that its own would not (the sequence check still runs in order).
    const { a: a2, b: b2 } = await protectorPair();
    const two = [
      await a2.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(7)),
      await a2.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(8)),
    ];
    const replayed = await rejection(b2.open(two[1]!, undefined, b2.checkMac(two[1]!)));
    expect(replayed).toMatchObject({ code: 'OUT_OF_ORDER' });
    expect((await b2.open(two[0]!, undefined, b2.checkMac(two[0]!))).plaintext[0]).toBe(7);
  });

  it('seal/open round trip (property)', async () => {
    const { a, b } = await protectorPair();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (plaintext, close) => {
        const type = close ? FrameType.CLOSE : FrameType.REGULAR_MESSAGE;
        const opened = await b.open(await a.seal(type, plaintext));
        expect([...opened.plaintext]).toEqual([...plaintext]);
        expect(opened.header.type).toBe(type);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any single flipped byte, and the untouched frame still opens afterwards (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (plaintext, position, mask) => {
          const { a, b } = await protectorPair();
          const frame = await a.seal(FrameType.REGULAR_MESSAGE, plaintext);
          const bad = frame.slice();
          const at = position % bad.length;
          bad[at]! ^= mask;
          const e = await rejection(b.open(bad));
          expect(ProtocolError.is(e), `byte ${at}: ${String(e)}`).toBe(true);
          // Nothing advanced: the genuine frame is still the next one.
          expect([...(await b.open(frame)).plaintext]).toEqual([...plaintext]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes only ever raise ProtocolError (property)', async () => {
    const { b } = await protectorPair();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // Start like a frame so that the deeper checks are reached too.
          fc
            .tuple(fc.constantFrom(1, 2, 3, 4, 5), fc.uint8Array({ minLength: 20, maxLength: 200 }))
            .map(([t, rest]) => Uint8Array.from([0x53, 0x4d, 0x01, t, 0, ...rest])),
        ),
        async (bytes) => {
          const e = await rejection(b.open(bytes));
          expect(ProtocolError.is(e), String(e)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a frame refused after decryption (a malformed record) advances nothing: the same frame opens again', async () => {
    const { a, b } = await protectorPair();
    const frame = await a.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(0xee));
    const refused = await rejection(
      b.open(frame, () => {
        throw new ProtocolError('BAD_RECORD', 'A record of unknown type 238 arrived.');
      }),
    );
    expect(ProtocolError.is(refused, 'BAD_RECORD')).toBe(true);
    // Had the refusal advanced the receive counter, this would be a REPLAY.
    expect([...(await b.open(frame)).plaintext]).toEqual([0xee]);
    const next = await a.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(1));
    expect([...(await b.open(next)).plaintext]).toEqual([1]);
  });

  it('a FILE_CHUNK frame is MAC-only: its payload goes as given, uses up its sequence number, and any flipped byte is refused', async () => {
    const { a, b } = await protectorPair();
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const first = await a.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(1));
    const chunk = await a.seal(FrameType.FILE_CHUNK, payload);
    const after = await a.seal(FrameType.REGULAR_MESSAGE, Uint8Array.of(2));
    // header (25) ‖ the payload itself, no AES-GCM tag ‖ HMAC (32); the sequence is the next one.
    expect(chunk.length).toBe(25 + payload.length + 32);
    expect([...chunk.subarray(25, 25 + payload.length)]).toEqual([...payload]);
    expect(new DataView(chunk.buffer).getUint32(9)).toBe(1);
    expect([...(await b.open(first)).plaintext]).toEqual([1]);
    for (const at of [0, 3, 12, 21, 25, 200, 25 + payload.length, chunk.length - 1]) {
      const bad = chunk.slice();
      bad[at]! ^= 0x40;
      const e = await rejection(b.open(bad));
      expect(ProtocolError.is(e)).toBe(true);
    }
    // A structure refusal advances nothing; then the frame opens, and the one after it decrypts
    // with the sequence number after the chunk's.
    const refused = await rejection(
      b.open(chunk, () => {
        throw new ProtocolError('BAD_RECORD', 'A file chunk arrived cut short.');
      }),
    );
    expect(ProtocolError.is(refused, 'BAD_RECORD')).toBe(true);
    const opened = await b.open(chunk);
    expect(opened.header.type).toBe(FrameType.FILE_CHUNK);
    expect([...opened.plaintext]).toEqual([...payload]);
    expect(ProtocolError.is(await rejection(b.open(chunk)), 'REPLAY')).toBe(true);
    expect([...(await b.open(after)).plaintext]).toEqual([2]);
  });

  it('seals a payload given in parts exactly as the joined payload, for FILE_CHUNK and the others', async () => {
    const { a, b } = await protectorPair(() => 1_700_000_000_000);
    const parts = [
      Uint8Array.of(1, 2, 3),
      new Uint8Array(0),
      Uint8Array.from({ length: 500 }, (_, i) => i & 0xff),
    ];
    const joined = Uint8Array.of(...parts.flatMap((p) => [...p]));
    for (const type of [FrameType.FILE_CHUNK, FrameType.REGULAR_MESSAGE]) {
      const opened = await b.open(await a.seal(type, parts));
      expect(opened.header.type).toBe(type);
      expect([...opened.plaintext]).toEqual([...joined]);
    }
    // A FILE_CHUNK frame from parts is byte for byte the one from the joined payload.
    const twin = await protectorPair(() => 1_700_000_000_000);
    const [x, y] = await Promise.all([
      twin.a.seal(FrameType.FILE_CHUNK, parts),
      twin.b.seal(FrameType.FILE_CHUNK, joined),
    ]);
    expect(x.subarray(0, 25 + joined.length)).toEqual(y.subarray(0, 25 + joined.length));
  });

  it('never seals more than the payload limit', async () => {
    const { a } = await protectorPair();
    const e = await rejection(a.seal(FrameType.REGULAR_MESSAGE, new Uint8Array(a.maxPlaintext + 1)));
    expect(ProtocolError.is(e, 'TOO_LARGE')).toBe(true);
    await expect(a.seal(FrameType.REGULAR_MESSAGE, new Uint8Array(a.maxPlaintext))).resolves.toBeInstanceOf(
      Uint8Array,
    );
  });

  it('derives distinct MAC keys per direction, never equal to each other', async () => {
    const macs = await deriveFrameMacKeys(randomBytes(32), randomBytes(32));
    const data = new Uint8Array([1, 2, 3]);
    const t1 = await macs.initiatorToResponder.sign(data);
    expect(await macs.responderToInitiator.verify(data, t1)).toBe(false);
    expect(await macs.initiatorToResponder.verify(data, t1)).toBe(true);
  });
});
