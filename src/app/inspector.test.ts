/**
 * The inspector over two real sessions on the in-memory transport pair, with the tap playing the
 * network attacker: every frame both ways is logged with what each receive check made of it, and
 * nothing that was encrypted ever reaches the log or its export.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toBase64Url, toHex, utf8 } from '../crypto/bytes';
import { HmacKey } from '../crypto/hmac';
import { randomBytes } from '../crypto/random';
import type { ProtocolErrorCode } from '../protocol/errors';
import { FRAME_HEADER_LENGTH, FrameType, encodeFrame } from '../protocol/frame';
import { createMemoryTransportPair, type Side } from '../rtc/memory-transport';
import type { PathInfo } from '../rtc/transport';
import { text as standInMessage } from '../protocol/session.test-util';
import { CAPABILITIES, createIdentity, secureSession, type Connected } from './connect';
import {
  INSPECTOR_FORMAT,
  createInspector,
  describeFrame,
  inspectorFileName,
  type InspectorFrame,
} from './inspector';

const flush = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
};

/** What the tap does to the next frame from a side: the frames to deliver instead of it. */
type Attack = (frame: Uint8Array) => Uint8Array[];

async function connectedPair() {
  const attacks: Record<Side, Attack[]> = { a: [], b: [] };
  const { a, b } = createMemoryTransportPair({
    tap: (from, data) => {
      const attack = attacks[from].shift();
      return attack ? attack(data) : data;
    },
  });
  const [alice, bob] = await Promise.all([
    secureSession(a, await createIdentity('Alice')),
    secureSession(b, await createIdentity('Bob')),
  ]);
  return { alice, bob, attacks };
}

/** A stand-in ratchet message: the inspector sees frames, not what the ratchet makes of them. */
const text = standInMessage;

const flipped = (frame: Uint8Array, at: number): Uint8Array => {
  const copy = frame.slice();
  copy[at < 0 ? copy.length + at : at]! ^= 0x01;
  return copy;
};

/** The parts of a logged frame these tests pin down. */
const brief = (f: InspectorFrame) => ({
  direction: f.direction,
  type: f.type,
  sequence: f.sequence,
  hmac: f.hmac,
  aead: f.aead,
  result: f.result,
});

function handshakeFrames(c: Connected) {
  const out = { direction: 'out' as const, hmac: 'none (handshake)', aead: 'n/a', result: 'ok', sequence: 0 };
  const inn = { ...out, direction: 'in' as const };
  return c.transport.info.initiator
    ? [
        { ...out, type: 'HANDSHAKE_REQUEST' },
        { ...inn, type: 'HANDSHAKE_RESPONSE' },
        { ...out, type: 'HANDSHAKE_FINISH' },
      ]
    : [
        { ...inn, type: 'HANDSHAKE_REQUEST' },
        { ...out, type: 'HANDSHAKE_RESPONSE' },
        { ...inn, type: 'HANDSHAKE_FINISH' },
      ];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createInspector over real sessions', () => {
  it('logs the handshake and the messages both ways, and states the session facts', async () => {
    const { alice, bob } = await connectedPair();
    const ai = createInspector(alice);
    const bi = createInspector(bob);
    const inbound = (i: typeof ai) =>
      i.frames().filter((f) => f.type === 'REGULAR_MESSAGE' && f.direction === 'in');
    await alice.session.send(text('hello'));
    await vi.waitFor(() => expect(inbound(bi)).toHaveLength(1));
    await bob.session.send(text('hi'));
    await vi.waitFor(() => expect(inbound(ai)).toHaveLength(1));
    await flush();

    const sealedOut = {
      direction: 'out',
      type: 'REGULAR_MESSAGE',
      hmac: 'sealed',
      aead: 'sealed',
      result: 'ok',
    };
    const openedIn = { direction: 'in', type: 'REGULAR_MESSAGE', hmac: 'ok', aead: 'ok', result: 'ok' };
    expect(ai.frames().map(brief)).toEqual([
      ...handshakeFrames(alice),
      { ...sealedOut, sequence: 0 },
      { ...openedIn, sequence: 0 },
    ]);
    expect(bi.frames().map(brief)).toEqual([
      ...handshakeFrames(bob),
      { ...openedIn, sequence: 0 },
      { ...sealedOut, sequence: 0 },
    ]);
    for (const f of [...ai.frames(), ...bi.frames()]) {
      expect(f.flags).toBe(0);
      expect(f.problem).toBeUndefined();
      if (f.type.startsWith('HANDSHAKE')) {
        expect(f.timestamp).toBe(0);
        expect(f.size).toBe(FRAME_HEADER_LENGTH + f.length!);
      } else {
        expect(Math.abs(f.timestamp! - Date.now())).toBeLessThan(10_000);
        expect(f.size).toBe(FRAME_HEADER_LENGTH + f.length! + 32);
      }
    }
    expect(ai.frames().map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    // The same frame seen from both ends: sizes and lengths agree.
    expect(ai.frames()[3]!.size).toBe(bi.frames()[3]!.size);

    const a = ai.session();
    const b = bi.session();
    expect(a.role).toBe('initiator (offerer)');
    expect(b.role).toBe('responder (answerer)');
    expect(a.protocolVersion).toBe('v0.1');
    expect(a.localFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(a.localFingerprint).toBe(b.remoteFingerprint);
    expect(a.remoteFingerprint).toBe(b.localFingerprint);
    expect(a.localFingerprint).not.toBe(a.remoteFingerprint);
    expect(a.handshakeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.handshakeHash).toBe(b.handshakeHash);
    expect(a.handshakeHash).toBe(toHex(alice.peer.handshakeHash));
    expect(a.capabilities).toEqual({ ours: CAPABILITIES, theirs: CAPABILITIES, common: CAPABILITIES });
    expect(a.state).toBe('open');
    expect(a.path).toBeUndefined();
    expect(await ai.path()).toBeUndefined(); // the memory transport has no network path
  });

  it('labels each refused frame by the check that refused it, and the session goes on', async () => {
    const { alice, bob, attacks } = await connectedPair();
    const bi = createInspector(bob);
    const send = async (attack: Attack) => {
      const seen = bi.frames().filter((f) => f.direction === 'in').length;
      attacks.a.push(attack);
      await alice.session.send(text('x'));
      // The changed copy and the genuine frame, both handled (however loaded the machine is).
      await vi.waitFor(() => expect(bi.frames().filter((f) => f.direction === 'in').length).toBe(seen + 2));
      await flush();
    };
    // An attacker injects a changed copy ahead of each genuine frame.
    await send((f) => [flipped(f, -1), f]); // one bit of the HMAC
    await send((f) => [flipped(f, 4), f]); // reserved flags
    await send((f) => {
      const header = { type: FrameType.HANDSHAKE_REQUEST, flags: 0, seq: 0, timestamp: 0, length: 32 };
      return [encodeFrame({ header, payload: randomBytes(32) }), f];
    });
    await send((f) => [f, f]); // replayed after it
    // HMAC valid yet ciphertext broken: only someone with the MAC key can make one, so the
    // test lets the next HMAC check pass and changes one ciphertext byte.
    vi.spyOn(HmacKey.prototype, 'verify').mockResolvedValueOnce(true);
    await send((f) => [flipped(f, FRAME_HEADER_LENGTH), f]);

    const inbound = bi
      .frames()
      .filter((f) => f.direction === 'in' && !(f.type.startsWith('HANDSHAKE') && f.result === 'ok'))
      .map(brief);
    const genuine = (sequence: number) => ({
      direction: 'in',
      type: 'REGULAR_MESSAGE',
      sequence,
      hmac: 'ok',
      aead: 'ok',
      result: 'ok',
    });
    // A refused frame shows the header it claims when that header parses at all.
    const refused = (
      result: ProtocolErrorCode,
      hmac: string,
      aead: string,
      type = 'unknown',
      sequence: number | undefined = undefined,
    ) => ({ direction: 'in', type, sequence, hmac, aead, result });
    expect(inbound).toEqual([
      refused('BAD_MAC', 'failed', 'not checked', 'REGULAR_MESSAGE', 0),
      genuine(0),
      refused('BAD_FLAGS', 'not checked', 'not checked'),
      genuine(1),
      refused('UNEXPECTED_TYPE', 'not checked', 'not checked', 'HANDSHAKE_REQUEST', 0),
      genuine(2),
      genuine(3),
      refused('REPLAY', 'ok', 'not checked', 'REGULAR_MESSAGE', 3),
      refused('DECRYPT_FAILED', 'ok', 'failed', 'REGULAR_MESSAGE', 4),
      genuine(4),
    ]);
    const problems = bi.frames().filter((f) => f.result !== 'ok');
    expect(problems).toHaveLength(5);
    for (const f of problems) expect(f.problem).toMatch(/^[A-Z].*\.$/);
    expect(problems[0]!.problem).toMatch(/HMAC did not match/);
    expect(problems[4]!.problem).toMatch(/AES-GCM/);
    expect(bob.session.state).toBe('open');
  });

  it('exports frames and facts as JSON with no plaintext, keys or addresses', async () => {
    const { alice, bob } = await connectedPair();
    const path: PathInfo = {
      local: { type: 'relay', protocol: 'udp', relayProtocol: 'tls', address: '203.0.113.7', port: 3478 },
      remote: { type: 'srflx', protocol: 'udp', address: '198.51.100.9', port: 40_000 },
    };
    const ai = createInspector({
      ...alice,
      transport: { ...alice.transport, path: async () => Promise.resolve(path) },
      now: () => Date.UTC(2025, 0, 31, 14, 5, 9),
    });
    const bi = createInspector(bob);
    const marker = `MARKER-${toHex(randomBytes(12))}`;
    const inbound = (i: typeof ai) =>
      i
        .frames()
        .filter(
          (f) =>
            f.direction === 'in' &&
            f.type !== 'HANDSHAKE_REQUEST' &&
            f.type !== 'HANDSHAKE_RESPONSE' &&
            f.type !== 'HANDSHAKE_FINISH',
        );
    await alice.session.send(text(`${marker} from Alice`));
    await vi.waitFor(() => expect(inbound(bi)).toHaveLength(1));
    await bob.session.send(text(`${marker} from Bob`));
    await vi.waitFor(() => expect(inbound(ai)).toHaveLength(1));
    await alice.session.close(`${marker} bye`);
    await vi.waitFor(() => expect(inbound(bi)).toHaveLength(2));
    await flush();
    expect(bi.frames().at(-1)).toMatchObject({ direction: 'in', type: 'CLOSE', hmac: 'ok', aead: 'ok' });
    expect(ai.frames().at(-1)).toMatchObject({ direction: 'out', type: 'CLOSE', hmac: 'sealed' });

    expect(await ai.path()).toEqual(path);
    expect(ai.session().path).toEqual(path);
    expect(ai.session().state).toBe('closed');
    const json = ai.exportJson();
    const parsed: unknown = JSON.parse(json);
    expect(Object.keys(parsed as object).sort()).toEqual(['exportedAt', 'format', 'frames', 'session']);
    expect(parsed).toMatchObject({
      format: INSPECTOR_FORMAT,
      exportedAt: '2025-01-31T14:05:09.000Z',
      session: {
        protocolVersion: 'v0.1',
        role: 'initiator (offerer)',
        handshakeHash: toHex(alice.peer.handshakeHash),
        state: 'closed',
        path: {
          local: { type: 'relay', protocol: 'udp', relayProtocol: 'tls' },
          remote: { type: 'srflx', protocol: 'udp' },
        },
      },
      frames: JSON.parse(JSON.stringify(ai.frames())) as unknown,
    });
    expect(ai.frames()).toHaveLength(6);
    for (const f of (parsed as { frames: object[] }).frames) {
      for (const key of Object.keys(f)) {
        expect([
          'index',
          'at',
          'direction',
          'type',
          'flags',
          'sequence',
          'timestamp',
          'length',
          'size',
          'hmac',
          'aead',
          'result',
          'problem',
        ]).toContain(key);
      }
    }

    for (const out of [json, bi.exportJson(), JSON.stringify(ai.frames()), JSON.stringify(bi.frames())]) {
      for (const body of [marker, `${marker} from Alice`, `${marker} bye`]) {
        const bytes = utf8(body);
        expect(out).not.toContain(marker.slice(7)); // the random part, in any case
        expect(out.toLowerCase()).not.toContain(toHex(bytes));
        expect(out).not.toContain(Buffer.from(bytes).toString('base64').slice(0, 20));
        expect(out).not.toContain(toBase64Url(bytes).slice(0, 20));
      }
      expect(out).not.toContain('203.0.113.7');
      expect(out).not.toContain('198.51.100.9');
      expect(out).not.toContain(toHex(alice.peer.staticKey));
      expect(out).not.toContain(toHex(bob.peer.staticKey));
    }
  });

  it('keeps the newest frames up to its limit, tells subscribers, and stops on dispose', async () => {
    const { alice } = await connectedPair();
    let t = 1000;
    const ai = createInspector({ ...alice, limit: 4, now: () => t++ });
    expect(ai.frames()).toHaveLength(3); // the handshake
    const seen: InspectorFrame[] = [];
    const unsubscribe = ai.subscribe((f) => seen.push(f));
    await alice.session.send(text('1'));
    await alice.session.send(text('2'));
    expect(seen.map((f) => f.sequence)).toEqual([0, 1]);
    unsubscribe();
    await alice.session.send(text('3'));
    expect(seen).toHaveLength(2);
    expect(ai.frames().map((f) => [f.index, f.type, f.sequence])).toEqual([
      [2, 'HANDSHAKE_FINISH', 0],
      [3, 'REGULAR_MESSAGE', 0],
      [4, 'REGULAR_MESSAGE', 1],
      [5, 'REGULAR_MESSAGE', 2],
    ]);
    expect(ai.frames().at(-1)!.at).toBeGreaterThan(ai.frames()[0]!.at);
    expect(Object.isFrozen(ai.frames()[0])).toBe(true);
    ai.dispose();
    await alice.session.send(text('4'));
    expect(ai.frames().at(-1)!.index).toBe(5);
    expect(() => createInspector({ ...alice, limit: 0 })).toThrow(RangeError);
  });
});

describe('describeFrame', () => {
  const header = { type: FrameType.REGULAR_MESSAGE, flags: 0, seq: 7, timestamp: 1, length: 20 };
  const cases: [ProtocolErrorCode, string, string][] = [
    ['TRUNCATED', 'not checked', 'not checked'],
    ['BAD_PROTOCOL_ID', 'not checked', 'not checked'],
    ['BAD_VERSION', 'not checked', 'not checked'],
    ['BAD_FLAGS', 'not checked', 'not checked'],
    ['UNKNOWN_TYPE', 'not checked', 'not checked'],
    ['TOO_LARGE', 'not checked', 'not checked'],
    ['BAD_LENGTH', 'not checked', 'not checked'],
    ['UNEXPECTED_TYPE', 'not checked', 'not checked'],
    ['BAD_MAC', 'failed', 'not checked'],
    ['REPLAY', 'ok', 'not checked'],
    ['OUT_OF_ORDER', 'ok', 'not checked'],
    ['STALE', 'ok', 'not checked'],
    ['NONCE_EXHAUSTED', 'ok', 'not checked'],
    ['DECRYPT_FAILED', 'ok', 'failed'],
    ['BAD_RECORD', 'ok', 'ok'],
    ['TOO_MANY_ERRORS', 'not checked', 'not checked'],
  ];
  it.each(cases)('%s: HMAC %s, AES-GCM %s, with a sentence', (code, hmac, aead) => {
    const f = describeFrame({ at: 9, direction: 'in', size: 77, result: code }, 3, 9);
    expect(f).toMatchObject({ index: 3, at: 9, direction: 'in', type: 'unknown', size: 77, hmac, aead });
    expect(f.problem).toMatch(/^[A-Z].*\.$/);
  });

  it('keeps the header of a frame refused after opening (a bad record)', () => {
    expect(
      describeFrame({ at: 0, direction: 'in', header, size: 77, result: 'BAD_RECORD' }, 0, 0),
    ).toMatchObject({
      type: 'REGULAR_MESSAGE',
      sequence: 7,
      timestamp: 1,
      length: 20,
      flags: 0,
    });
  });

  it('a FILE_CHUNK frame shows its HMAC and that its payload is under the file key, not the session’s AES-GCM', () => {
    const chunk = { ...header, type: FrameType.FILE_CHUNK };
    expect(
      describeFrame({ at: 0, direction: 'out', header: chunk, size: 99, result: 'ok' }, 0, 0),
    ).toMatchObject({
      type: 'FILE_CHUNK',
      hmac: 'sealed',
      aead: 'file key',
      result: 'ok',
    });
    expect(
      describeFrame({ at: 0, direction: 'in', header: chunk, size: 99, result: 'ok' }, 0, 0),
    ).toMatchObject({
      type: 'FILE_CHUNK',
      hmac: 'ok',
      aead: 'file key',
      result: 'ok',
    });
    // A REGULAR_MESSAGE is unchanged.
    expect(describeFrame({ at: 0, direction: 'in', header, size: 99, result: 'ok' }, 0, 0).aead).toBe('ok');
  });

  it('names the file by the UTC time', () => {
    expect(inspectorFileName(new Date(Date.UTC(2025, 0, 31, 14, 5, 9)))).toBe(
      'secmsg-inspector-2025-01-31T14-05-09Z.json',
    );
  });
});
