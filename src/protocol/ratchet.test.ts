/**
 * The conversation ratchet (docs/ratchet.md). Every test is written so that it fails when the
 * property it names is taken out of ratchet.ts; the comment above each says which change breaks it.
 *
 * Independent references: node:crypto (OpenSSL) for HMAC, HKDF and AES-GCM, so the KDFs and the
 * associated data are checked against the page, not against the code under test.
 *
 * The sending half of a DH step waits for a side's next message, at most one a second
 * (DH_STEP_INTERVAL_MS): a test that needs a step at every turn advances `now` by a second or more,
 * or passes `dhStepIntervalMs: 0` (the classic algorithm's rhythm).
 */
import { createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { aesGcmEncrypt } from '../crypto/aead';
import { concatBytes, toHex, utf8 } from '../crypto/bytes';
import { generateRawX25519KeyPair } from '../crypto/x25519-raw';
import { ProtocolError } from './errors';
import {
  DH_STEP_INTERVAL_MS,
  KEM_STEP_INTERVAL_MS,
  MAX_RECEIVING_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  RATCHET_HEADER_LENGTH,
  RATCHET_KEM_BLOCK_LENGTH,
  RATCHET_STATE_VERSION,
  SKIPPED_KEY_TTL_MS,
  decodeRatchetMessage,
  defaultRatchetCrypto,
  deriveRatchetInit,
  encodeRatchetHeader,
  generateRatchetInitKeys,
  initRatchet,
  kdfChainKey,
  kdfRoot,
  messageKeys,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetStats,
  readRatchetState,
  type RatchetCrypto,
  type RatchetHeader,
  type RatchetOptions,
  type RatchetState,
} from './ratchet';

// Every AES-GCM encryption passes through unchanged, and is recorded: the message-key tests read
// the key and nonce each message was sealed with.
vi.mock('../crypto/aead', async (importOriginal) => {
  const real = await importOriginal<typeof import('../crypto/aead')>();
  return { ...real, aesGcmEncrypt: vi.fn(real.aesGcmEncrypt) };
});

// ── Harness ─────────────────────────────────────────────────────────────────────────────────────

type Side = 'alice' | 'bob';
const other = (side: Side): Side => (side === 'alice' ? 'bob' : 'alice');
const T0 = 1_700_000_000_000;

interface Sent {
  from: Side;
  bytes: Uint8Array;
  text: string;
  /** What ratchetEncrypt reported: whether it made the sending half of a DH step, with a KEM step. */
  step: { dh: boolean; kem: boolean };
}

type DuoOptions = {
  crypto?: RatchetCrypto;
  kemStepIntervalMs?: number;
  dhStepIntervalMs?: number;
  now?: number;
};

function random(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

function codeOf(e: unknown): string {
  return ProtocolError.is(e) ? e.code : `not a ProtocolError: ${String(e)}`;
}

let counter = 0;

/**
 * An exact digest of a value's every field (types, keys, numbers, bytes): two states have the same
 * digest exactly when they are deep-equal. vitest's toEqual takes ~17 ms on a state (it walks the
 * 3 KB ML-KEM keys element by element), so the harness compares digests; one test below also
 * compares with toEqual.
 */
function digest(value: unknown): string {
  const h = createHash('sha256');
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) {
      h.update(`u${v.length}:`);
      h.update(v);
    } else if (Array.isArray(v)) {
      h.update(`a${v.length}:`);
      for (const item of v) walk(item);
    } else if (v === null) h.update('n');
    else if (typeof v === 'object') {
      const keys = Object.keys(v).sort();
      h.update(`o${keys.length}:`);
      for (const k of keys) {
        h.update(`k${k.length}:${k}`);
        walk((v as Record<string, unknown>)[k]);
      }
    } else if (typeof v === 'number') h.update(`d${Object.is(v, -0) ? '-0' : String(v)};`);
    else if (typeof v === 'string') h.update(`s${v.length}:${v}`);
    else if (typeof v === 'boolean' || v === undefined) h.update(`${String(v)};`);
    else throw new Error(`digest: unexpected ${typeof v} in a state`);
  };
  walk(value);
  return h.digest('hex');
}

/**
 * Two parties over one ratchet. Every call checks that the state it passed in is deep-equal
 * afterwards to what it was before (the functions never change their input), by `digest`. Each
 * side's root keys are recorded as they change, for `expectRootsInStep`.
 */
class Duo {
  now = T0;
  /** Each side's root keys, hex, the start's first, in the order it had them. */
  readonly roots: Record<Side, string[]>;
  private constructor(
    public states: Record<Side, RatchetState>,
    readonly ids: Record<Side, Uint8Array>,
    readonly crypto: RatchetCrypto,
    readonly intervals: { kemStepIntervalMs?: number; dhStepIntervalMs?: number },
  ) {
    this.roots = { alice: [toHex(states.alice.rootKey)], bob: [toHex(states.bob.rootKey)] };
  }

  static async start(o: DuoOptions = {}): Promise<Duo> {
    const crypto = o.crypto ?? defaultRatchetCrypto;
    const now = o.now ?? T0;
    const intervals = {
      ...(o.kemStepIntervalMs === undefined ? {} : { kemStepIntervalMs: o.kemStepIntervalMs }),
      ...(o.dhStepIntervalMs === undefined ? {} : { dhStepIntervalMs: o.dhStepIntervalMs }),
    };
    const { rootKey, ratchetId } = deriveRatchetInit(random(32), random(32));
    const ids = {
      alice: (await generateRawX25519KeyPair()).publicKey,
      bob: (await generateRawX25519KeyPair()).publicKey,
    };
    const keys = { alice: await generateRatchetInitKeys(crypto), bob: await generateRatchetInitKeys(crypto) };
    const init = async (side: Side): Promise<RatchetState> =>
      initRatchet({
        initiator: side === 'alice',
        rootKey,
        ratchetId,
        ours: keys[side],
        theirs: {
          dhPublicKey: keys[other(side)].dh.publicKey,
          kemPublicKey: keys[other(side)].kem.publicKey,
        },
        localIdentityKey: ids[side],
        remoteIdentityKey: ids[other(side)],
        now,
        crypto,
        ...intervals,
      });
    const duo = new Duo({ alice: await init('alice'), bob: await init('bob') }, ids, crypto, intervals);
    duo.now = now;
    return duo;
  }

  private options(): RatchetOptions {
    return { now: this.now, crypto: this.crypto, ...this.intervals };
  }

  private keep(side: Side, state: RatchetState): void {
    this.states[side] = state;
    const root = toHex(state.rootKey);
    if (this.roots[side].at(-1) !== root) this.roots[side].push(root);
  }

  async send(from: Side, text = `message ${++counter} from ${from}`): Promise<Sent> {
    const before = this.states[from];
    const snapshot = digest(before);
    const { state, message, step } = await ratchetEncrypt(before, utf8(text), this.options());
    expect(digest(before)).toBe(snapshot);
    this.keep(from, state);
    return { from, bytes: message, text, step };
  }

  async sendMany(from: Side, count: number): Promise<Sent[]> {
    const out: Sent[] = [];
    for (let i = 0; i < count; i++) out.push(await this.send(from));
    return out;
  }

  /** Delivers `m` to its receiver and expects its plaintext back; keeps the new state unless told not to. */
  async receive(m: Sent, keep = true): Promise<{ dh: boolean; kem: boolean }> {
    const to = other(m.from);
    const before = this.states[to];
    const snapshot = digest(before);
    const { state, plaintext, step } = await ratchetDecrypt(before, m.bytes, this.options());
    expect(digest(before)).toBe(snapshot);
    expect(new TextDecoder().decode(plaintext)).toBe(m.text);
    if (keep) this.keep(to, state);
    return step;
  }

  async receiveAll(ms: readonly Sent[]): Promise<void> {
    for (const m of ms) await this.receive(m);
  }

  /** Delivers bytes that must be refused; returns the code, having checked nothing changed. */
  async refuse(to: Side, bytes: Uint8Array): Promise<string> {
    const before = this.states[to];
    const snapshot = digest(before);
    let code = 'accepted';
    try {
      await ratchetDecrypt(before, bytes, this.options());
    } catch (e) {
      code = codeOf(e);
    }
    expect(digest(before)).toBe(snapshot);
    return code;
  }

  reload(side: Side): void {
    this.states[side] = readRatchetState(structuredClone(this.states[side]));
  }

  /**
   * The two sides' root chains are one chain: each side's root keys so far are the other's, up to
   * where the shorter record ends (a side is at most one step behind, the step it has not read).
   */
  expectRootsInStep(): void {
    const { alice, bob } = this.roots;
    const common = Math.min(alice.length, bob.length);
    expect(alice.slice(0, common)).toEqual(bob.slice(0, common));
    expect(Math.abs(alice.length - bob.length)).toBeLessThanOrEqual(1);
  }
}

/** AES-256-GCM open with node:crypto; null when it does not authenticate. */
function gcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
): Uint8Array | null {
  if (ciphertext.length < 16) return null;
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(ad);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  try {
    return new Uint8Array(
      Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]),
    );
  } catch {
    return null;
  }
}

/** The associated data as docs/ratchet.md writes it, built here rather than taken from the code. */
function pageAd(sender: Uint8Array, receiver: Uint8Array, headerBytes: Uint8Array): Uint8Array {
  return concatBytes(utf8('SecMsg/0.1 ratchet'), sender, receiver, headerBytes);
}

function sha256Id(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Every byte string in a state, wherever it sits. */
function byteStrings(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (Array.isArray(value)) for (const v of value) byteStrings(v, out);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) byteStrings(v, out);
  return out;
}

/**
 * An attacker holding a copy of a state and nothing else: every 32-byte string in it, tried as a
 * message key seed and as a chain key (up to `depth` steps on), against each message. Returns the
 * texts it reads.
 */
async function extractAndRead(
  stolen: RatchetState,
  messages: readonly Sent[],
  ids: Record<Side, Uint8Array>,
  depth = 24,
): Promise<string[]> {
  const candidates: { key: Uint8Array; nonce: Uint8Array }[] = [];
  for (const bytes of byteStrings(stolen).filter((b) => b.length === 32)) {
    candidates.push(messageKeys(bytes));
    let ck = bytes;
    for (let i = 0; i < depth; i++) {
      const { messageKeySeed, nextChainKey } = await kdfChainKey(ck);
      candidates.push(messageKeys(messageKeySeed));
      ck = nextChainKey;
    }
  }
  const read: string[] = [];
  for (const m of messages) {
    const { headerBytes, ciphertext } = decodeRatchetMessage(m.bytes);
    const ad = pageAd(ids[m.from], ids[other(m.from)], headerBytes);
    if (candidates.some((c) => gcmOpen(c.key, c.nonce, ciphertext, ad) !== null)) read.push(m.text);
  }
  return read;
}

/** Primitives that throw when called: a refusal that uses none of them derived no key. */
const refusing: RatchetCrypto = {
  generateDh: () => {
    throw new Error('generateDh called');
  },
  dh: () => {
    throw new Error('dh called');
  },
  kemKeyPair: () => {
    throw new Error('kemKeyPair called');
  },
  kemEncapsulate: () => {
    throw new Error('kemEncapsulate called');
  },
  kemDecapsulate: () => {
    throw new Error('kemDecapsulate called');
  },
};

/** A well-formed KEM block to no one's key, for states and headers built by hand. */
function someKemBlock(): NonNullable<RatchetHeader['kem']> {
  const { publicKey } = defaultRatchetCrypto.kemKeyPair();
  return { targetId: random(8), cipherText: random(1568), newPublicKey: publicKey };
}

// ── KDFs ────────────────────────────────────────────────────────────────────────────────────────

describe('KDFs', () => {
  const hmacNode = (key: Uint8Array, byte: number): Uint8Array =>
    new Uint8Array(
      createHmac('sha256', key)
        .update(Buffer.from([byte]))
        .digest(),
    );

  // Breaks if KDF_CK uses other constants, swaps the outputs, or is anything but HMAC-SHA256.
  it("kdfChainKey is Signal's chain-key step: HMAC-SHA256(ck, 0x01) and HMAC-SHA256(ck, 0x02)", async () => {
    const fixed = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(await kdfChainKey(fixed)).toEqual({
      messageKeySeed: hmacNode(fixed, 1),
      nextChainKey: hmacNode(fixed, 2),
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (ck) => {
        const out = await kdfChainKey(ck);
        expect(out.messageKeySeed).toEqual(hmacNode(ck, 1));
        expect(out.nextChainKey).toEqual(hmacNode(ck, 2));
      }),
      { numRuns: 200 },
    );
  });

  // Breaks if KDF_RK, the message keys or the start derive anything but what the page says.
  it('KDF_RK, the message keys and the start are the HKDF calls docs/ratchet.md names', () => {
    const hkdfNode = (ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array =>
      new Uint8Array(hkdfSync('sha256', ikm, salt, utf8(info), length));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b, c) => {
          const classical = hkdfNode(b, a, 'SecMsg/0.1 ratchet root', 64);
          expect(kdfRoot(a, b)).toEqual({ rootKey: classical.slice(0, 32), chainKey: classical.slice(32) });
          const pq = hkdfNode(concatBytes(b, c), a, 'SecMsg/0.1 ratchet root', 64);
          expect(kdfRoot(a, b, c)).toEqual({ rootKey: pq.slice(0, 32), chainKey: pq.slice(32) });
          const mk = hkdfNode(a, new Uint8Array(32), 'SecMsg/0.1 ratchet message', 44);
          expect(messageKeys(a)).toEqual({ key: mk.slice(0, 32), nonce: mk.slice(32) });
          const init = hkdfNode(a, b, 'SecMsg/0.1 ratchet init', 48);
          expect(deriveRatchetInit(a, b)).toEqual({ rootKey: init.slice(0, 32), ratchetId: init.slice(32) });
        },
      ),
      { numRuns: 50 },
    );
  });
});

// ── Wire format ─────────────────────────────────────────────────────────────────────────────────

describe('wire format', () => {
  // Breaks if a field moves, changes width or byte order, or a flag is not written.
  it('encodes headers of 50 and 3,194 bytes and decodes them back', async () => {
    const kem = defaultRatchetCrypto.kemKeyPair();
    const dh = (await generateRawX25519KeyPair()).publicKey;
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        u32,
        u32,
        fc.constantFrom('block', 'left out', 'none'),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 40 }),
        (pn, n, kemState, ack, ct) => {
          const withKem = kemState === 'block';
          const header: RatchetHeader = {
            dhPublicKey: dh,
            previousCount: pn,
            n,
            chainAck: ack,
            kem: withKem
              ? { targetId: random(8), cipherText: random(1568), newPublicKey: kem.publicKey }
              : null,
            kemLeftOut: kemState === 'left out',
          };
          const bytes = encodeRatchetHeader(header);
          expect(bytes.length).toBe(withKem ? 3194 : 50);
          expect(bytes[0]).toBe(2);
          expect(bytes[1]).toBe({ block: 1, 'left out': 2, none: 0 }[kemState]);
          expect(new DataView(bytes.buffer).getUint32(34)).toBe(pn);
          expect(new DataView(bytes.buffer).getUint32(38)).toBe(n);
          expect(digest(bytes.subarray(42, 50))).toBe(digest(ack));
          const decoded = decodeRatchetMessage(concatBytes(bytes, ct));
          expect(digest(decoded.header)).toBe(digest(header));
          expect(digest(decoded.headerBytes)).toBe(digest(bytes));
          expect(digest(decoded.ciphertext)).toBe(digest(ct));
        },
      ),
      { numRuns: 100 },
    );
    expect(RATCHET_HEADER_LENGTH + RATCHET_KEM_BLOCK_LENGTH).toBe(3194);
    // Left out, a chain ack is none (zero) and bit 1 clear.
    const bare = encodeRatchetHeader({ dhPublicKey: dh, previousCount: 0, n: 0, kem: null });
    expect(toHex(bare.subarray(1, 2)) + toHex(bare.subarray(42))).toBe('00' + '00'.repeat(8));
  });

  // Breaks if ratchetDecrypt reads the state or calls a primitive before the decoder has refused
  // the bytes, or if any one of these checks goes.
  it('refuses anything malformed before any key is derived', async () => {
    const duo = await Duo.start();
    const plain = (await duo.send('alice')).bytes;
    const withKem = (await duo.send('bob')).bytes;
    expect(withKem[1]).toBe(1);
    const edit = (bytes: Uint8Array, f: (b: Uint8Array) => void): Uint8Array => {
      const copy = bytes.slice();
      f(copy);
      return copy;
    };
    const qHigh = edit(withKem, (b) => {
      // First coefficient of the new encapsulation key := 4095 ≥ q.
      b[RATCHET_HEADER_LENGTH + 8 + 1568] = 0xff;
      b[RATCHET_HEADER_LENGTH + 8 + 1568 + 1]! |= 0x0f;
    });
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['shorter than a header', plain.subarray(0, RATCHET_HEADER_LENGTH - 1)],
      ['no room for the tag', plain.subarray(0, RATCHET_HEADER_LENGTH + 15)],
      ['version 1 (before the chain ack)', edit(plain, (b) => (b[0] = 1))],
      ['version 3', edit(plain, (b) => (b[0] = 3))],
      ['version 0', edit(plain, (b) => (b[0] = 0))],
      ['a reserved flag', edit(plain, (b) => (b[1] = 0x04))],
      ['a KEM block both present and left out', edit(withKem, (b) => (b[1] = 0x03))],
      ['a KEM flag without its block', edit(plain, (b) => (b[1] = 0x01))],
      ['KEM block cut short', withKem.subarray(0, 3000)],
      ['bit 255 of the DH key', edit(plain, (b) => (b[33]! |= 0x80))],
      ['DH key u = p', edit(plain, (b) => b.set([0xed, ...new Array<number>(30).fill(0xff), 0x7f], 2))],
      ['DH key u = 0', edit(plain, (b) => b.fill(0, 2, 34))],
      ['DH key u = 1', edit(plain, (b) => b.set([1, ...new Array<number>(31).fill(0)], 2))],
      ['an unreduced ML-KEM key', qHigh],
    ];
    for (const [name, bytes] of cases) {
      expect(() => decodeRatchetMessage(bytes), name).toThrow(ProtocolError);
      let code = 'accepted';
      try {
        // No state at all: the decoder must refuse before the state is even looked at.
        await ratchetDecrypt(null as unknown as RatchetState, bytes, { now: T0, crypto: refusing });
      } catch (e) {
        code = codeOf(e);
      }
      expect(code, name).toBe('BAD_RATCHET_MESSAGE');
    }
  });
});

// ── Round trips ─────────────────────────────────────────────────────────────────────────────────

describe('round trips', () => {
  it('Alice writes first', async () => {
    const duo = await Duo.start();
    for (let turn = 0; turn < 4; turn++) {
      duo.now += 5000;
      await duo.receiveAll(await duo.sendMany(turn % 2 ? 'bob' : 'alice', 3));
    }
    expect(ratchetStats(duo.states.alice).dhSteps).toBeGreaterThan(3);
  });

  it('Bob writes first', async () => {
    const duo = await Duo.start();
    for (let turn = 0; turn < 4; turn++) {
      duo.now += 5000;
      await duo.receiveAll(await duo.sendMany(turn % 2 ? 'alice' : 'bob', 2));
    }
  });

  // Both write before either has read the other (crossing chains), several times over.
  it('both write at once', async () => {
    const duo = await Duo.start();
    for (let round = 0; round < 4; round++) {
      duo.now += 700;
      const fromAlice = await duo.sendMany('alice', 2);
      const fromBob = await duo.sendMany('bob', 2);
      await duo.receiveAll(fromBob);
      await duo.receiveAll(fromAlice);
    }
    await duo.receive(await duo.send('alice'));
    await duo.receive(await duo.send('bob'));
  });

  /**
   * A model of a conversation: random interleavings of sends, turns (sent and read at once),
   * deliveries in any order, drops, replays, clock ticks (none, a few ms, seconds) and reloads
   * (structuredClone + readRatchetState) at any point, with the sending half every turn
   * (`dhStepIntervalMs` 0), deferred up to a second (the default) or up to 300 ms. Every delivered
   * message is read exactly once with its text, and a second delivery is refused. A message is
   * deliverable while its sending chain is among the receiver's last MAX_RECEIVING_CHAINS chains
   * of that sender (counted here from what ratchetEncrypt reports, not read from the state).
   * After every operation the two root chains are one chain (`expectRootsInStep`); at the end,
   * after one message each way, the root keys are equal.
   * The chain ack, played by the model: a message names the newest chain of the receiver's its
   * sender has read; a side's message carries its chain's KEM block exactly while the chain began
   * with a KEM step and the side has read no message naming it, and says the block is left out
   * after that; and a block is left out only when the receiver has read the chain already.
   * Breaks if the sending half runs while it is not due (crossing steps fork the root chain), if
   * it builds on a root key other than the one the receiving half left, if a message of a chain
   * kept is lost, or if a KEM block travels longer than until the sender reads an acknowledgement,
   * or is left out before.
   */
  it('long random conversations, random deferral, reloads anywhere: nothing lost, root chains agree', async () => {
    const side = fc.constantFrom<Side>('alice', 'bob');
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('send' as const),
          side,
          count: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('turn' as const),
          side,
          count: fc.integer({ min: 1, max: 3 }),
          reversed: fc.boolean(),
        }),
      },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), side, pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), side, pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), side, pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('reload' as const), side }) },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('tick' as const),
          ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 3000 })),
        }),
      },
    );
    const interval = fc.constantFrom<number | undefined>(undefined, 0, 300);
    let leftOut = 0;
    await fc.assert(
      fc.asyncProperty(
        interval,
        fc.array(op, { minLength: 30, maxLength: 90 }),
        async (dhStepIntervalMs, ops) => {
          const duo = await Duo.start(dhStepIntervalMs === undefined ? {} : { dhStepIntervalMs });
          // Each side's sending chains, numbered from 0 (Bob's first is made by his first message);
          // the newest chain of the peer each side has seen.
          const chain: Record<Side, number> = { alice: 0, bob: -1 };
          const seen: Record<Side, number> = { alice: -1, bob: 0 };
          // Whether each side's current chain began with a KEM step; the newest chain of each side
          // named by a chain ack that side has read.
          const kemChain: Record<Side, boolean> = { alice: false, bob: false };
          const acked: Record<Side, number> = { alice: -1, bob: -1 };
          type Flight = Sent & { chain: number; ack: number };
          const inFlight: Record<Side, Flight[]> = { alice: [], bob: [] }; // by receiver
          const delivered: Flight[] = [];
          const send = async (from: Side): Promise<Flight> => {
            const m = await duo.send(from);
            if (m.step.dh) {
              chain[from] += 1;
              kemChain[from] = m.step.kem;
            }
            const { kem, kemLeftOut } = decodeRatchetMessage(m.bytes).header;
            const acknowledged = acked[from] >= chain[from];
            expect({ block: kem !== null, leftOut: kemLeftOut }).toEqual({
              block: kemChain[from] && !acknowledged,
              leftOut: kemChain[from] && acknowledged,
            });
            if (kemLeftOut) {
              expect(seen[other(from)]).toBeGreaterThanOrEqual(chain[from]);
              leftOut += 1;
            }
            return { ...m, chain: chain[from], ack: seen[from] };
          };
          const deliver = async (m: Flight): Promise<void> => {
            const to = other(m.from);
            if (seen[to] - m.chain >= MAX_RECEIVING_CHAINS) {
              expect(await duo.refuse(to, m.bytes)).not.toBe('accepted');
              return;
            }
            const step = await duo.receive(m);
            expect(step.dh).toBe(m.chain > seen[to]);
            seen[to] = Math.max(seen[to], m.chain);
            acked[to] = Math.max(acked[to], m.ack);
            delivered.push(m);
          };
          for (const o of ops) {
            if (o.kind === 'send') {
              for (let i = 0; i < o.count; i++) inFlight[other(o.side)].push(await send(o.side));
            } else if (o.kind === 'turn') {
              // Sent and read at once; whatever was already on the way stays there.
              const turn: Flight[] = [];
              for (let i = 0; i < o.count; i++) turn.push(await send(o.side));
              for (const m of o.reversed ? turn.reverse() : turn) await deliver(m);
            } else if (o.kind === 'deliver' || o.kind === 'drop') {
              const queue = inFlight[o.side];
              if (queue.length === 0) continue;
              const [m] = queue.splice(o.pick % queue.length, 1);
              if (o.kind === 'deliver') await deliver(m!);
            } else if (o.kind === 'replay') {
              const mine = delivered.filter((m) => other(m.from) === o.side);
              if (mine.length === 0) continue;
              const m = mine[o.pick % mine.length]!;
              const code = await duo.refuse(o.side, m.bytes);
              if (seen[o.side] - m.chain < MAX_RECEIVING_CHAINS) expect(code).toBe('RATCHET_DUPLICATE');
              else expect(code).not.toBe('accepted');
            } else if (o.kind === 'reload') {
              duo.reload(o.side);
            } else {
              duo.now += o.ms;
            }
            duo.expectRootsInStep();
          }
          // Whatever is still on the way arrives, newest first; then one message each way.
          for (const to of ['alice', 'bob'] as const) {
            for (const m of inFlight[to].reverse()) await deliver(m);
          }
          await deliver(await send('alice'));
          await deliver(await send('bob'));
          duo.expectRootsInStep();
          expect(toHex(duo.states.alice.rootKey)).toBe(toHex(duo.states.bob.rootKey));
          for (const s of ['alice', 'bob'] as const) {
            const stats = ratchetStats(duo.states[s]);
            expect(stats.skippedKeys).toBeLessThanOrEqual(MAX_SKIPPED_KEYS);
            expect(duo.states[s].receiving.length).toBeLessThanOrEqual(MAX_RECEIVING_CHAINS);
          }
        },
      ),
      { numRuns: 40 },
    );
    expect(leftOut, 'messages that left a delivered block out').toBeGreaterThan(0);
  }, 90_000);
});

// ── Order, skips and limits ─────────────────────────────────────────────────────────────────────

describe('out of order, missing messages and limits', () => {
  // Breaks if skipped keys are not stored, or if pn is not used to finish the previous chain.
  it('reads messages out of order and after gaps, within a chain and across DH steps (pn)', async () => {
    const duo = await Duo.start();
    const first = await duo.sendMany('alice', 5);
    await duo.receive(first[4]!);
    await duo.receive(first[1]!);
    await duo.receive(await duo.send('bob'));
    const second = await duo.sendMany('alice', 3);
    expect(decodeRatchetMessage(second[0]!.bytes).header.previousCount).toBe(5);
    await duo.receive(second[2]!);
    for (const m of [first[0]!, first[3]!, second[0]!, first[2]!, second[1]!]) await duo.receive(m);

    // Only pn tells Bob that Alice's first chain went on after what he saw.
    const duo2 = await Duo.start();
    const early = await duo2.sendMany('alice', 5);
    await duo2.receive(early[0]!);
    await duo2.receive(await duo2.send('bob'));
    const late = await duo2.send('alice');
    await duo2.receive(late);
    expect(ratchetStats(duo2.states.bob).skippedKeys).toBe(4);
    for (const m of early.slice(1).reverse()) await duo2.receive(m);
    expect(ratchetStats(duo2.states.bob).skippedKeys).toBe(0);
  });

  // Breaks if the limit is off by one, counted per chain only, or checked after keys were stored.
  it(`refuses a header that needs more than ${MAX_SKIP} skipped keys, and changes nothing`, async () => {
    const duo = await Duo.start();
    const burst = await duo.sendMany('alice', MAX_SKIP + 2); // n = 0 … 2001
    expect(await duo.refuse('bob', burst[MAX_SKIP + 1]!.bytes)).toBe('RATCHET_SKIP_LIMIT');
    await duo.receive(burst[MAX_SKIP]!); // 2,000 skipped: allowed
    expect(ratchetStats(duo.states.bob).skippedKeys).toBe(MAX_SKIP);
    await duo.receive(burst[MAX_SKIP + 1]!);
    await duo.receive(burst[0]!);
    await duo.receive(burst[1999]!);

    // Across a DH step: (pn − what Bob read of the old chain) + n.
    const duo2 = await Duo.start();
    const old = await duo2.sendMany('alice', 1001);
    await duo2.receive(old[0]!);
    await duo2.receive(await duo2.send('bob'));
    const fresh = await duo2.sendMany('alice', 1002);
    expect(decodeRatchetMessage(fresh[1001]!.bytes).header.previousCount).toBe(1001);
    expect(await duo2.refuse('bob', fresh[1001]!.bytes)).toBe('RATCHET_SKIP_LIMIT'); // 1000 + 1001
    await duo2.receive(fresh[1000]!); // 1000 + 1000
    expect(ratchetStats(duo2.states.bob).skippedKeys).toBe(MAX_SKIP);
    await duo2.receive(old[500]!);
    await duo2.receive(fresh[3]!);
  }, 30_000);

  // Breaks if the total cap, the drop order (oldest first) or the chain cap goes.
  it(`keeps at most ${MAX_SKIPPED_KEYS} skipped keys, of at most ${MAX_RECEIVING_CHAINS} chains, dropping the oldest`, async () => {
    const duo = await Duo.start({ dhStepIntervalMs: 0 }); // a new chain of Alice's every round
    const check = (): void => {
      const bob = duo.states.bob;
      expect(ratchetStats(bob).skippedKeys).toBeLessThanOrEqual(MAX_SKIPPED_KEYS);
      expect(bob.receiving.length).toBeLessThanOrEqual(MAX_RECEIVING_CHAINS);
      expect(bob.receiving.filter((c) => c.skipped.length > 0).length).toBeLessThanOrEqual(
        MAX_RECEIVING_CHAINS,
      );
    };
    const rounds: Sent[][] = [];
    const round = async (count: number): Promise<void> => {
      const ms = await duo.sendMany('alice', count);
      rounds.push(ms);
      await duo.receive(ms[count - 1]!); // everything before it is skipped
      check();
      await duo.receive(await duo.send('bob'));
      await duo.receive(await duo.send('alice'));
      rounds.at(-1)!.pop(); // read
      check();
    };
    await round(701);
    await round(701);
    expect(ratchetStats(duo.states.bob).skippedKeys).toBe(1400);
    await round(701); // 2,100 would be stored: the oldest 100 go
    expect(ratchetStats(duo.states.bob).skippedKeys).toBe(MAX_SKIPPED_KEYS);
    expect(await duo.refuse('bob', rounds[0]![99]!.bytes)).toBe('RATCHET_DUPLICATE');
    await duo.receive(rounds[0]![100]!);
    await duo.receive(rounds[1]![0]!);
    for (let i = 0; i < 3; i++) await round(2);
    // Seven chains of Alice's now: the first two are forgotten with their keys.
    expect(duo.states.bob.receiving.length).toBe(MAX_RECEIVING_CHAINS);
    expect(await duo.refuse('bob', rounds[0]![300]!.bytes)).not.toBe('accepted');
    expect(await duo.refuse('bob', rounds[1]![300]!.bytes)).not.toBe('accepted');
    await duo.receive(rounds[2]![300]!);
    check();
  }, 30_000);

  // Breaks if keys never expire, or expire a moment early.
  it('skipped keys expire after 30 days', async () => {
    const duo = await Duo.start();
    const ms = await duo.sendMany('alice', 3);
    await duo.receive(ms[2]!); // m0, m1 stored at T0
    duo.now = T0 + SKIPPED_KEY_TTL_MS - 1;
    await duo.receive(ms[0]!);
    duo.now = T0 + SKIPPED_KEY_TTL_MS;
    expect(await duo.refuse('bob', ms[1]!.bytes)).toBe('RATCHET_DUPLICATE');
    expect(ratchetStats(duo.states.bob).skippedKeys).toBe(1);
    await duo.receive(await duo.send('alice'));
    expect(ratchetStats(duo.states.bob).skippedKeys).toBe(0);
  });
});

// ── Forgeries and replays ───────────────────────────────────────────────────────────────────────

describe('forgeries and replays change nothing', () => {
  // Breaks if encrypt or decrypt (either half of a DH+KEM step, a skip, a refusal) writes into the
  // state given.
  it('ratchetEncrypt and ratchetDecrypt never change the state they are given (toEqual)', async () => {
    const duo = await Duo.start();
    const ms = await duo.sendMany('alice', 3);
    await duo.receive(ms[2]!);
    const bob = duo.states.bob;
    const before = structuredClone(bob);
    const reply = await ratchetEncrypt(bob, utf8('reply'), { now: T0 }); // Bob's first: DH + KEM step
    expect(reply.step).toEqual({ dh: true, kem: true });
    await ratchetDecrypt(bob, ms[0]!.bytes, { now: T0 }); // a skipped key used
    await expect(ratchetDecrypt(bob, ms[2]!.bytes, { now: T0 })).rejects.toThrow(ProtocolError);
    expect(bob).toEqual(before);
    const alice = duo.states.alice;
    const aliceBefore = structuredClone(alice);
    const step = await ratchetDecrypt(alice, reply.message, { now: T0 }); // receiving half, KEM
    expect(step.step).toEqual({ dh: true, kem: true });
    const received = structuredClone(step.state);
    const aliceNext = await ratchetEncrypt(step.state, utf8('next'), { now: T0 }); // sending half
    expect(aliceNext.step).toEqual({ dh: true, kem: true });
    expect(step.state).toEqual(received);
    expect(alice).toEqual(aliceBefore);
    expect(digest(alice)).toBe(digest(aliceBefore));
    expect(digest(step.state)).not.toBe(digest(aliceBefore));
  });

  // Breaks if any header or ciphertext bit is left out of the authentication, or if a refused
  // message leaves anything behind (the `refuse` helper compares the whole state).
  it('any flipped bit of header or ciphertext is refused, and the genuine message still reads', async () => {
    const duo = await Duo.start();
    await duo.receive(await duo.send('alice'));
    const plain = await duo.send('alice'); // same chain: no DH step
    const withKem = await duo.send('bob'); // Bob's first chain: a KEM step
    expect(decodeRatchetMessage(withKem.bytes).header.kem).not.toBeNull();
    const messages = [plain, withKem];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1 }), fc.nat(), async (which, at) => {
        const m = messages[which]!;
        const bit = at % (m.bytes.length * 8);
        const forged = m.bytes.slice();
        forged[bit >> 3]! ^= 1 << (bit & 7);
        expect(await duo.refuse(other(m.from), forged)).not.toBe('accepted');
        await duo.receive(m, false);
      }),
      { numRuns: 80 },
    );
  });

  // Breaks if a step's derivations (new receiving chain, skipped keys, KEM key consumed) are kept
  // when AES-GCM fails, or if the KEM target is not checked.
  it('a new DH key, a wrong n, a KEM block to the wrong key: refused, nothing changes', async () => {
    const duo = await Duo.start();
    await duo.receive(await duo.send('alice'));
    const genuine = await duo.send('bob');
    const { header, ciphertext } = decodeRatchetMessage(genuine.bytes);
    const forge = (h: RatchetHeader): Uint8Array => concatBytes(encodeRatchetHeader(h), ciphertext);

    const newDh = { ...header, dhPublicKey: (await generateRawX25519KeyPair()).publicKey };
    expect(await duo.refuse('alice', forge(newDh))).toBe('DECRYPT_FAILED');
    expect(await duo.refuse('alice', forge({ ...header, n: 1 }))).toBe('DECRYPT_FAILED');
    expect(await duo.refuse('alice', forge({ ...header, n: 7, previousCount: 3 }))).toBe('DECRYPT_FAILED');
    const wrongTarget = { ...header, kem: { ...header.kem!, targetId: random(8) } };
    expect(await duo.refuse('alice', forge(wrongTarget))).toBe('RATCHET_UNKNOWN_KEM_KEY');
    const noKem = { ...header, kem: null };
    expect(await duo.refuse('alice', forge(noKem))).toBe('DECRYPT_FAILED');
    await duo.receive(genuine);

    // A block to a key already opened: its secret is gone.
    const next = await duo.send('alice');
    const openedTarget = decodeRatchetMessage(next.bytes).header;
    await duo.receive(next);
    const stale = { ...openedTarget, dhPublicKey: (await generateRawX25519KeyPair()).publicKey };
    expect(await duo.refuse('bob', concatBytes(encodeRatchetHeader(stale), random(40)))).toBe(
      'RATCHET_UNKNOWN_KEM_KEY',
    );
    await duo.receive(await duo.send('alice'));
  });

  // Breaks if used keys are kept, or if replays are not recognised in old chains.
  it('a replayed message is refused as a duplicate, in the current chain and in older ones', async () => {
    const duo = await Duo.start();
    const ms = await duo.sendMany('alice', 3);
    await duo.receive(ms[0]!);
    expect(await duo.refuse('bob', ms[0]!.bytes)).toBe('RATCHET_DUPLICATE');
    await duo.receive(ms[2]!);
    await duo.receive(ms[1]!); // was skipped
    expect(await duo.refuse('bob', ms[1]!.bytes)).toBe('RATCHET_DUPLICATE');
    const reply = await duo.send('bob');
    await duo.receive(reply);
    expect(await duo.refuse('alice', reply.bytes)).toBe('RATCHET_DUPLICATE'); // started her chain
    await duo.receive(await duo.send('alice'));
    for (const m of ms) expect(await duo.refuse('bob', m.bytes)).toBe('RATCHET_DUPLICATE'); // old chain
  });
});

// ── Forward secrecy ─────────────────────────────────────────────────────────────────────────────

describe('forward secrecy', () => {
  // Breaks if a used message key (skipped or not) stays in the state, or a chain key is kept
  // from before a message read: the attacker tries every 32-byte string in the copy.
  it('a copy of the state taken after message N reads no message up to N', async () => {
    const duo = await Duo.start();
    const first = await duo.sendMany('alice', 6);
    await duo.receive(first[0]!);
    await duo.receive(first[3]!);
    await duo.receive(first[5]!);
    // Control: in a copy taken now, the attacker finds the skipped keys and only those.
    const middle = structuredClone(duo.states.bob);
    expect(await extractAndRead(middle, first, duo.ids)).toEqual([
      first[1]!.text,
      first[2]!.text,
      first[4]!.text,
    ]);

    await duo.receive(await duo.send('bob'));
    const second = await duo.sendMany('alice', 4);
    await duo.receive(second[2]!);
    for (const m of [first[1]!, second[0]!, first[4]!, first[2]!, second[3]!, second[1]!])
      await duo.receive(m);
    const all = [...first, ...second];

    const stolen = structuredClone(duo.states.bob);
    expect(await extractAndRead(stolen, all, duo.ids)).toEqual([]);
    for (const m of all) {
      await expect(ratchetDecrypt(stolen, m.bytes, { now: duo.now })).rejects.toSatisfy((e) =>
        ProtocolError.is(e, 'RATCHET_DUPLICATE'),
      );
    }
    // …while the next message is readable with it (the copy is a working state).
    const later = await duo.send('alice');
    expect(await extractAndRead(stolen, [later], duo.ids)).toEqual([later.text]);
  });
});

// ── Break-in recovery ───────────────────────────────────────────────────────────────────────────

/** Records every X25519 key pair generated, so a test can play a DH oracle. */
function recordingCrypto(): {
  crypto: RatchetCrypto;
  oracle: (a: Uint8Array, b: Uint8Array) => Promise<Uint8Array>;
} {
  const privates = new Map<string, Uint8Array>();
  const crypto: RatchetCrypto = {
    ...defaultRatchetCrypto,
    generateDh: async () => {
      const pair = await defaultRatchetCrypto.generateDh();
      privates.set(toHex(pair.publicKey), pair.privateKey);
      return pair;
    },
  };
  const oracle = async (a: Uint8Array, b: Uint8Array): Promise<Uint8Array> => {
    const pa = privates.get(toHex(a));
    if (pa) return defaultRatchetCrypto.dh(pa, b);
    const pb = privates.get(toHex(b));
    if (pb) return defaultRatchetCrypto.dh(pb, a);
    throw new Error('the oracle has not seen either key');
  };
  return { crypto, oracle };
}

/**
 * Eve: a copy of the victim's state, every message both ways (in the order sent), the exported
 * KDFs, and `dh` — what she can compute of X25519(a, b) for two public keys (a guess where she
 * cannot). She follows the root chain: the first message with a new ratchet key of one side is the
 * next root step, KDF_RK(RK, DH(that key, the other side's latest), KEM secret). She opens a KEM
 * block only with a secret key found in the stolen state; a block she cannot open she leaves out.
 */
class Eve {
  private rootKey: Uint8Array;
  private readonly latest: Record<Side, Uint8Array>;
  private readonly chains = new Map<string, { chainKey: Uint8Array; index: number }>();
  private readonly skipped = new Map<string, Uint8Array>();
  private readonly kemSecrets = new Map<string, Uint8Array>();

  constructor(
    stolen: RatchetState,
    victim: Side,
    private readonly ids: Record<Side, Uint8Array>,
    private readonly dh: (a: Uint8Array, b: Uint8Array) => Promise<Uint8Array>,
  ) {
    this.rootKey = stolen.rootKey;
    this.latest = { alice: new Uint8Array(), bob: new Uint8Array() };
    this.latest[victim] = stolen.sending.dh.publicKey;
    this.latest[other(victim)] = stolen.remoteDhPublicKey;
    if (stolen.sending.chainKey) {
      this.chains.set(toHex(stolen.sending.dh.publicKey), {
        chainKey: stolen.sending.chainKey,
        index: stolen.sending.index,
      });
    }
    for (const c of stolen.receiving) {
      if (c.chainKey) this.chains.set(toHex(c.dhPublicKey), { chainKey: c.chainKey, index: c.next });
      for (const k of c.skipped) this.skipped.set(`${toHex(c.dhPublicKey)}:${k.n}`, k.seed);
    }
    if (stolen.kem.own) this.kemSecrets.set(sha256Id(stolen.kem.own.publicKey), stolen.kem.own.secretKey);
  }

  /** Sees one message; returns its text if she can read it. */
  async observe(m: Sent): Promise<string | null> {
    const { header, headerBytes, ciphertext } = decodeRatchetMessage(m.bytes);
    const id = toHex(header.dhPublicKey);
    if (!this.chains.has(id) && ![...this.skipped.keys()].some((k) => k.startsWith(`${id}:`))) {
      const dhOut = await this.dh(header.dhPublicKey, this.latest[other(m.from)]);
      let ss: Uint8Array | undefined;
      if (header.kem) {
        const sk = this.kemSecrets.get(toHex(header.kem.targetId));
        if (sk) ss = defaultRatchetCrypto.kemDecapsulate(header.kem.cipherText, sk);
      }
      const root = kdfRoot(this.rootKey, dhOut, ss);
      this.rootKey = root.rootKey;
      this.latest[m.from] = header.dhPublicKey;
      this.chains.set(id, { chainKey: root.chainKey, index: 0 });
    }
    let seed = this.skipped.get(`${id}:${header.n}`);
    const chain = this.chains.get(id);
    if (!seed && chain && header.n >= chain.index) {
      let ck = chain.chainKey;
      for (let i = chain.index; i < header.n; i++) ck = (await kdfChainKey(ck)).nextChainKey;
      seed = (await kdfChainKey(ck)).messageKeySeed;
    }
    if (!seed) return null;
    const { key, nonce } = messageKeys(seed);
    const plaintext = gcmOpen(
      key,
      nonce,
      ciphertext,
      pageAd(this.ids[m.from], this.ids[other(m.from)], headerBytes),
    );
    return plaintext && new TextDecoder().decode(plaintext);
  }
}

/**
 * Warm-up turns of two messages, each read at once, 2 s apart, ending with one of the victim's
 * peer, which the victim reads; with `theft: 'write'`, then one of the victim's, which the peer
 * reads. The theft. Then turns of two messages, peer first, each read at once: six, 2 s apart, at
 * a human pace; twelve, 100 ms apart (the last warm-up turn too), in a fast exchange. Returns the
 * stolen copy, the later turns and when each was written.
 *
 * With `theft: 'read'` the copy is what the victim stores between reading the peer and writing:
 * its sending half is due, and its next sending key does not exist yet.
 */
async function theftScenario(
  victim: Side,
  o: DuoOptions,
  at: { theft: 'read' | 'write'; pace: 'human' | 'fast' },
): Promise<{ duo: Duo; stolen: RatchetState; turns: Sent[][]; times: number[] }> {
  const duo = await Duo.start(o);
  const peer = other(victim);
  const warmUp = [peer, victim, peer, victim, peer, ...(at.theft === 'write' ? [victim] : [])];
  const tick = at.pace === 'human' ? 2000 : 100;
  for (const [i, side] of warmUp.entries()) {
    duo.now += i === warmUp.length - 1 ? tick : 2000;
    await duo.receiveAll(await duo.sendMany(side, 2));
  }
  const stolen = structuredClone(duo.states[victim]);
  expect(stolen.sending.stepDue).toBe(at.theft === 'read');
  const turns: Sent[][] = [];
  const times: number[] = [];
  for (let t = 0; t < (at.pace === 'human' ? 6 : 12); t++) {
    duo.now += tick;
    const ms = await duo.sendMany(t % 2 === 0 ? peer : victim, 2);
    await duo.receiveAll(ms);
    turns.push(ms);
    times.push(duo.now);
  }
  return { duo, stolen, turns, times };
}

/** The ratchet key a turn's messages carry. */
const turnKey = (turn: readonly Sent[]): string =>
  toHex(decodeRatchetMessage(turn[0]!.bytes).header.dhPublicKey);

/** A classical Eve: she computes X25519 only with the stolen sending key; anything else she guesses. */
function classicalEve(stolen: RatchetState, victim: Side, ids: Record<Side, Uint8Array>): Eve {
  const stolenDh = { publicKey: stolen.sending.dh.publicKey, privateKey: stolen.sending.dh.privateKey };
  return new Eve(stolen, victim, ids, async (a, b) => {
    if (toHex(a) === toHex(stolenDh.publicKey)) return defaultRatchetCrypto.dh(stolenDh.privateKey, b);
    if (toHex(b) === toHex(stolenDh.publicKey)) return defaultRatchetCrypto.dh(stolenDh.privateKey, a);
    return random(32); // her best guess
  });
}

/** Which messages of each turn Eve reads, in the order they were sent. */
async function eveReads(eve: Eve, turns: readonly Sent[][]): Promise<boolean[][]> {
  const readable: boolean[][] = [];
  for (const turn of turns) {
    const row: boolean[] = [];
    for (const m of turn) row.push((await eve.observe(m)) === m.text);
    readable.push(row);
  }
  return readable;
}

/** Readable turns before `first`, nothing from it on. */
const recoveredAt = (first: number, turns: number): boolean[][] =>
  Array.from({ length: turns }, (_, t) => [t < first, t < first]);

describe('break-in recovery', () => {
  /**
   * Classical: Eve has a copy of the victim's state and no way to compute X25519 herself. She runs
   * ratchetDecrypt on her copy with everything the peer sends, and follows the victim's own
   * sending chains with the KDFs. KEM steps are off, so only the DH ratchet can recover. At a human
   * pace every turn makes a DH step, and she loses both directions at the victim's first sending
   * chain whose key was drawn after the theft:
   * - copy taken after the victim read the peer (its sending half due): she reads the peer's
   *   current chain, then nothing from the victim's next turn on (its key is drawn at that turn);
   * - copy taken after the victim wrote: she reads the peer's next chain (its DH is with the
   *   stolen key), then nothing from the victim's next chain on. This is where the classic
   *   algorithm, which drew the key on reading, stopped for a copy taken after reading.
   * Breaks if a step does not draw a fresh DH key, or the root chain does not take in the DH output.
   */
  it('classical: the attacker loses both directions at the first victim chain keyed after the theft', async () => {
    for (const victim of ['bob', 'alice'] as const) {
      for (const theft of ['read', 'write'] as const) {
        const { duo, stolen, turns } = await theftScenario(
          victim,
          { kemStepIntervalMs: Infinity },
          { theft, pace: 'human' },
        );
        const peer = other(victim);
        // Turn 0 is the peer's current chain ('read') or its next one, built on the stolen key
        // ('write'); turn 1 is a new victim chain.
        expect(turnKey(turns[0]!) === toHex(stolen.remoteDhPublicKey)).toBe(theft === 'read');
        expect(turnKey(turns[1]!)).not.toBe(toHex(stolen.sending.dh.publicKey));
        const eve = classicalEve(stolen, victim, duo.ids);
        let copy = stolen;
        const readable: boolean[][] = [];
        for (const turn of turns) {
          const row: boolean[] = [];
          for (const m of turn) {
            const model = (await eve.observe(m)) === m.text;
            if (m.from === peer) {
              let api: boolean;
              try {
                const out = await ratchetDecrypt(copy, m.bytes, {
                  now: duo.now,
                  kemStepIntervalMs: Infinity,
                });
                copy = out.state;
                api = new TextDecoder().decode(out.plaintext) === m.text;
              } catch {
                api = false;
              }
              expect(api, `${victim}, ${theft}: ratchetDecrypt and the model agree`).toBe(model);
            }
            row.push(model);
          }
          readable.push(row);
        }
        expect(readable, `${victim}, ${theft}`).toEqual(recoveredAt(1, 6));
      }
    }
  });

  /**
   * Post-quantum: X25519 is broken (Eve's `dh` is an oracle for any two keys seen), the ML-KEM
   * secrets are not, except those in the stolen state. Right after the theft Eve reads what the
   * copy's chains and KEM secret give her: the peer's current chain ('read'), or its next one,
   * whose KEM block goes to the victim's stolen key ('write'). From the victim's next KEM step on
   * — its encapsulation to the peer's fresh key — she reads nothing, in either direction: the
   * same message as the classical attacker, within the two DH+KEM round trips the page promises.
   * Control: the same with KEM steps off, and she reads everything.
   * Breaks if KDF_RK leaves out the KEM secret, or KEM steps stop happening.
   */
  it('post-quantum: with X25519 broken, the KEM step recovers; without it nothing does', async () => {
    for (const victim of ['bob', 'alice'] as const) {
      for (const theft of ['read', 'write'] as const) {
        for (const kemOn of [true, false]) {
          const { crypto, oracle } = recordingCrypto();
          const { duo, stolen, turns } = await theftScenario(
            victim,
            { crypto, ...(kemOn ? {} : { kemStepIntervalMs: Infinity }) },
            { theft, pace: 'human' },
          );
          const readable = await eveReads(new Eve(stolen, victim, duo.ids, oracle), turns);
          const kemBlocks = turns.map((t) => decodeRatchetMessage(t[0]!.bytes).header.kem !== null);
          if (kemOn) {
            // Every turn is a new chain with a KEM step, or ('read', turn 0) continues one.
            expect(kemBlocks).toEqual([true, true, true, true, true, true]);
            expect(readable, `${victim}, ${theft}`).toEqual(recoveredAt(1, 6));
          } else {
            expect(kemBlocks).toEqual([false, false, false, false, false, false]);
            expect(readable.flat().every(Boolean), `${victim}, ${theft}, KEM off`).toBe(true);
          }
        }
      }
    }
  });

  /**
   * In a fast exchange (a turn every 100 ms) the victim's sending half waits until a second has
   * passed since its last one, and break-in recovery with it: Eve, classical or post-quantum,
   * reads every message until the victim's first sending half after the theft, which comes at
   * its first turn a second or more after its previous one, and nothing from there on.
   * Breaks if recovery does not come at that step (the step does not happen once the interval
   * has passed, or does not mix in a fresh DH and KEM secret), or if it comes earlier than the
   * interval allows (the deferral is not enforced, and this test then no longer shows the bound).
   */
  it('fast exchange: recovery waits for the first sending half once the interval has passed', async () => {
    for (const victim of ['bob', 'alice'] as const) {
      for (const attacker of ['classical', 'post-quantum'] as const) {
        const { crypto, oracle } = recordingCrypto();
        const { duo, stolen, turns, times } = await theftScenario(
          victim,
          attacker === 'classical' ? { kemStepIntervalMs: Infinity } : { crypto },
          { theft: 'read', pace: 'fast' },
        );
        const last = stolen.sending.startedAt!;
        const first = turns.findIndex((_, t) => t % 2 === 1 && times[t]! - last >= DH_STEP_INTERVAL_MS);
        expect(first, 'the victim waits for the interval').toBeGreaterThan(1);
        // The victim's turns before `first` stay on its stolen chain; at `first`, a new key.
        for (let t = 1; t < first; t += 2)
          expect(turnKey(turns[t]!)).toBe(toHex(stolen.sending.dh.publicKey));
        expect(turnKey(turns[first]!)).not.toBe(toHex(stolen.sending.dh.publicKey));
        const kemBlock = decodeRatchetMessage(turns[first]![0]!.bytes).header.kem;
        expect(kemBlock !== null).toBe(attacker === 'post-quantum');
        const eve =
          attacker === 'classical'
            ? classicalEve(stolen, victim, duo.ids)
            : new Eve(stolen, victim, duo.ids, oracle);
        expect(await eveReads(eve, turns), `${victim}, ${attacker}`).toEqual(
          recoveredAt(first, turns.length),
        );
      }
    }
  });
});

// ── The sending half and KEM steps ─────────────────────────────────────────────────────────────

describe('the sending half and KEM steps', () => {
  type Step = { dh: boolean; kem: boolean };

  /**
   * Runs alternating turns of 1 to 3 messages, each read at once, `tick(i)` ms apart. From the
   * headers alone it records each side's sending halves (a message under a ratchet key of its
   * sender not seen before) with their times and KEM blocks, and counts the root steps (each
   * sending half, and its receiving half when the peer reads it). It also plays the deferral rule
   * of docs/ratchet.md by itself and checks every message against it: a sending half exactly when
   * the sender has no chain, or has read a key of the peer newer than its chain's and its last
   * sending half is `dhStepIntervalMs` old (or the clock reads earlier than it).
   */
  async function conversation(
    turns: number,
    tick: (i: number) => number,
    o: DuoOptions = {},
  ): Promise<{
    duo: Duo;
    stepAt: Record<Side, number[]>;
    kemAt: Record<Side, number[]>;
    counted: Record<Side, { dh: number; kem: number }>;
    messages: Sent[];
  }> {
    const duo = await Duo.start(o);
    const interval = o.dhStepIntervalMs ?? DH_STEP_INTERVAL_MS;
    const keys: Record<Side, Set<string>> = {
      alice: new Set([toHex(duo.states.alice.sending.dh.publicKey)]), // her first chain: no step
      bob: new Set(),
    };
    const model = {
      alice: { chain: true, due: false, last: null as number | null },
      bob: { chain: false, due: true, last: null as number | null },
    };
    const stepAt: Record<Side, number[]> = { alice: [], bob: [] };
    const kemAt: Record<Side, number[]> = { alice: [], bob: [] };
    const counted = { alice: { dh: 1, kem: 0 }, bob: { dh: 1, kem: 0 } };
    const messages: Sent[] = [];
    for (let i = 0; i < turns; i++) {
      duo.now += tick(i);
      const from: Side = i % 2 ? 'bob' : 'alice';
      const to = other(from);
      for (let k = 0; k < 1 + (i % 3); k++) {
        const m = await duo.send(from);
        const { dhPublicKey, kem } = decodeRatchetMessage(m.bytes).header;
        const fresh = !keys[from].has(toHex(dhPublicKey));
        const { chain, due, last } = model[from];
        const expected = !chain || (due && (last === null || duo.now - last >= interval || duo.now < last));
        expect(fresh, `turn ${i}, message ${k}: the deferral rule`).toBe(expected);
        const step: Step = { dh: fresh, kem: fresh && kem !== null };
        if (fresh) {
          keys[from].add(toHex(dhPublicKey));
          model[from] = { chain: true, due: false, last: duo.now };
          model[to].due = true; // once read, below
          stepAt[from].push(duo.now);
          counted[from].dh += 1;
          counted[to].dh += 1;
          if (kem) {
            kemAt[from].push(duo.now);
            counted[from].kem += 1;
            counted[to].kem += 1;
          }
        }
        expect(m.step).toEqual(step);
        expect(await duo.receive(m)).toEqual(step);
        messages.push(m);
      }
      duo.expectRootsInStep();
    }
    return { duo, stepAt, kemAt, counted, messages };
  }

  const expectCounted = (duo: Duo, counted: Record<Side, { dh: number; kem: number }>): void => {
    for (const side of ['alice', 'bob'] as const) {
      const stats = ratchetStats(duo.states[side]);
      expect({ dh: stats.dhSteps, kem: stats.kemSteps }, side).toEqual(counted[side]);
    }
  };

  // Breaks if a turn a second or more after the side's last one does not step, or its step skips
  // the KEM step when a fresh peer key is there and time has passed.
  it('at a human pace (≥ 1 s a turn) every turn is a DH step, and every DH step a KEM step', async () => {
    const { duo, stepAt, kemAt, counted } = await conversation(10, () => KEM_STEP_INTERVAL_MS);
    expect(stepAt.alice.length + stepAt.bob.length).toBe(10 - 1); // Alice's first turn is on her starting chain
    expect(kemAt).toEqual(stepAt);
    expectCounted(duo, counted);
    for (const side of ['alice', 'bob'] as const) {
      const stats = ratchetStats(duo.states[side]);
      expect(stats.dhSteps - stats.kemSteps).toBe(1); // only the first KDF_RK of the start has no KEM
    }
  });

  // Breaks if the sending half runs more than once a second for a side, before the peer has a
  // newer key, or not at the first message once the interval has passed (the model above), or if
  // the count of root steps is off.
  it('in a fast exchange, at most one sending half a second for each side, at the first chance', async () => {
    for (const tick of [0, 7, 100, 450]) {
      const { duo, stepAt, counted } = await conversation(tick === 7 ? 300 : 30, () => tick);
      for (const side of ['alice', 'bob'] as const) {
        const times = stepAt[side];
        for (let i = 1; i < times.length; i++) {
          expect(times[i]! - times[i - 1]!, `${side}, ${tick} ms`).toBeGreaterThanOrEqual(
            DH_STEP_INTERVAL_MS,
          );
        }
        if (tick === 0)
          expect(times, side).toEqual([T0]); // the first, then none
        else expect(times.length, `${side}, ${tick} ms`).toBeGreaterThan(1);
      }
      expectCounted(duo, counted);
    }
  });

  // Breaks if a message of the symmetric ratchet reuses a key or nonce (the chain does not move,
  // two chains share a key), or if a message reads twice.
  it('in a fast exchange every message has a key and nonce of its own, and reads once', async () => {
    const seal = vi.mocked(aesGcmEncrypt);
    for (const tick of [0, 6]) {
      seal.mockClear();
      const { duo, stepAt, messages } = await conversation(200, () => tick);
      expect(seal).toHaveBeenCalledTimes(messages.length);
      const keys = seal.mock.calls.map(([key]) => toHex(key));
      const nonces = seal.mock.calls.map(([, nonce]) => toHex(nonce));
      expect(new Set(keys).size).toBe(messages.length);
      expect(new Set(nonces).size).toBe(messages.length);
      const steps = stepAt.alice.length + stepAt.bob.length;
      // Each side's first; with 6 ms a turn (1.2 s in all), one more each after a second.
      expect(steps).toBe(tick === 0 ? 2 : 4);
      for (const m of messages.filter((_, i) => i % 7 === 0)) {
        expect(await duo.refuse(other(m.from), m.bytes)).toBe('RATCHET_DUPLICATE');
      }
    }
  });

  // Breaks if the KEM interval is not enforced, or enforced per conversation instead of per side.
  // The sending half runs at every turn here, so only the KEM rule holds KEM steps back.
  it('with a DH step every turn, at most one KEM step a second for each side', async () => {
    for (const tick of [0, 100, 450]) {
      const { duo, kemAt, stepAt, counted } = await conversation(24, () => tick, { dhStepIntervalMs: 0 });
      for (const side of ['alice', 'bob'] as const) {
        const times = kemAt[side];
        for (let i = 1; i < times.length; i++) {
          expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(KEM_STEP_INTERVAL_MS);
        }
        if (tick === 0) expect(times.length).toBe(1);
        expect(stepAt[side].length).toBeGreaterThan(times.length);
        const stats = ratchetStats(duo.states[side]);
        expect(stats.kemSteps).toBeLessThan(stats.dhSteps);
      }
      expectCounted(duo, counted);
    }
  });

  // Breaks if a side with no sending chain waits for the interval (or Bob's start makes his chain
  // before he writes), or if a side steps without a newer key of the peer, however long it waits.
  it('a side steps at its first message, and later only after reading a newer key of the peer', async () => {
    const duo = await Duo.start({ dhStepIntervalMs: 3_600_000 });
    expect(duo.states.bob.sending.chainKey).toBeNull();
    expect((await duo.send('alice')).step.dh).toBe(false); // her starting chain
    const first = await duo.send('bob');
    expect(first.step).toEqual({ dh: true, kem: true });
    duo.now += 86_400_000;
    expect((await duo.send('bob')).step.dh).toBe(false); // nothing new read: no step, a day later
    await duo.receive(first);
    expect((await duo.send('alice')).step.dh).toBe(true); // her first sending half
    duo.now += 60_000;
    await duo.receive(await duo.send('bob'));
    expect((await duo.send('alice')).step.dh).toBe(false); // read nothing newer
  });

  /**
   * Crossing messages, deferral, a reload while the step is due: the deferred sending half starts
   * from the root key the receiving half left (KDF_RK(RK, DH(new DHs, DHr)), computed here from
   * the page), its pn counts the messages written while it waited, and the peer's receiving half
   * lands on the same root key.
   * Breaks if the sending half starts from another root key, loses the due step across a reload,
   * or counts pn from where the step became due.
   */
  it('a deferred sending half continues the root chain where the receiving half left it', async () => {
    const duo = await Duo.start({ kemStepIntervalMs: Infinity });
    await duo.receive(await duo.send('bob')); // B1
    await duo.receive(await duo.send('alice')); // A1: Bob's step is due, and waits (B1 is at T0)
    const due = duo.states.bob;
    expect(due.sending.stepDue).toBe(true);
    duo.now = T0 + 400;
    const waiting = await duo.sendMany('bob', 2); // on B1 still
    const crossing = await duo.send('alice'); // on A1, written before she reads Bob
    expect(waiting.map((m) => m.step.dh)).toEqual([false, false]);
    await duo.receiveAll([...waiting, crossing]);
    expect(duo.roots.bob.at(-1)).toBe(toHex(due.rootKey));
    duo.reload('bob');
    duo.now = T0 + 1000;
    const stepped = await duo.send('bob');
    expect(stepped.step.dh).toBe(true);
    const { header } = decodeRatchetMessage(stepped.bytes);
    expect(header.previousCount).toBe(1 + 2); // B1's first message and the two that waited
    const bob = duo.states.bob;
    expect(toHex(bob.sending.dh.publicKey)).toBe(toHex(header.dhPublicKey));
    const dh = await defaultRatchetCrypto.dh(bob.sending.dh.privateKey, bob.remoteDhPublicKey);
    expect(toHex(bob.rootKey)).toBe(toHex(kdfRoot(due.rootKey, dh).rootKey));
    await duo.receive(stepped);
    expect(toHex(duo.states.alice.rootKey)).toBe(toHex(bob.rootKey));
    duo.expectRootsInStep();
  });

  // Breaks if a side encapsulates to a peer key it already used once the interval has passed: the
  // peer erased that secret, so the block would be refused. The KEM step waits for a fresh key.
  it('encapsulates to each peer key once, and waits for the next', async () => {
    const duo = await Duo.start({ dhStepIntervalMs: 0 });
    await duo.receive(await duo.send('alice'));
    duo.now = T0 + 100;
    await duo.receive(await duo.send('bob')); // Bob's first: KEM step to kA0, offers kB1
    duo.now = T0 + 200;
    await duo.receive(await duo.send('alice')); // Alice: KEM step to kB1, offers kA1
    duo.now = T0 + 300;
    const plain = await duo.send('bob');
    expect(plain.step).toEqual({ dh: true, kem: false }); // his last KEM step was 200 ms ago
    await duo.receive(plain);
    duo.now = T0 + 1500;
    // Alice's interval has passed, but kB1 is used and Bob has offered no other.
    const alice = await duo.send('alice');
    expect(alice.step).toEqual({ dh: true, kem: false });
    await duo.receive(alice);
    duo.now = T0 + 1600;
    const bob = await duo.send('bob'); // a fresh kA1, interval passed: KEM step
    expect(bob.step).toEqual({ dh: true, kem: true });
    await duo.receive(bob);
    const again = await duo.send('alice'); // and now Alice again, to his new key
    expect(again.step).toEqual({ dh: true, kem: true });
    await duo.receive(again);
  });

  // Breaks if a clock set back stops KEM steps until it catches up.
  it('a clock that went back does not hold KEM steps up', async () => {
    const duo = await Duo.start({ dhStepIntervalMs: 0 });
    await duo.receive(await duo.send('bob')); // KEM step at T0
    await duo.receive(await duo.send('alice')); // KEM step at T0
    duo.now = T0 - 3_600_000;
    const bob = await duo.send('bob');
    expect(bob.step).toEqual({ dh: true, kem: true });
    await duo.receive(bob);
    expect((await duo.send('alice')).step).toEqual({ dh: true, kem: true });
  });

  // Breaks if a clock set back stops sending halves until it catches up, or lets a side step
  // more than once a second from then on.
  it('a clock that went back does not hold the sending half up', async () => {
    const duo = await Duo.start({ kemStepIntervalMs: Infinity });
    await duo.receive(await duo.send('bob')); // his first sending half, at T0
    await duo.receive(await duo.send('alice')); // hers
    duo.now = T0 - 3_600_000;
    const back = await duo.send('bob');
    expect(back.step.dh).toBe(true);
    await duo.receive(back);
    await duo.receive(await duo.send('alice'));
    duo.now += 10;
    expect((await duo.send('bob')).step.dh).toBe(false); // 10 ms after the last, by the new clock
  });

  it('refuses intervals that are not a number of milliseconds', async () => {
    const duo = await Duo.start();
    for (const dhStepIntervalMs of [-1, NaN, Infinity]) {
      await expect(
        ratchetEncrypt(duo.states.alice, utf8('x'), { now: T0, dhStepIntervalMs }),
      ).rejects.toSatisfy((e) => ProtocolError.is(e, 'BAD_ARGUMENT'));
    }
    await expect(
      ratchetEncrypt(duo.states.alice, utf8('x'), { now: T0, kemStepIntervalMs: -1 }),
    ).rejects.toSatisfy((e) => ProtocolError.is(e, 'BAD_ARGUMENT'));
  });
});

// ── The chain ack and the KEM block ─────────────────────────────────────────────────────────────

describe('the chain ack: a KEM block travels until the peer holds its chain', () => {
  const headerOf = (m: Sent): RatchetHeader => decodeRatchetMessage(m.bytes).header;
  const prefix = (key: Uint8Array): string => toHex(key.subarray(0, 8));

  /**
   * A ping-pong, each message read before the next is written, at paces from one instant to a
   * second a message. Counted from the bytes: a message carries its chain's KEM block exactly
   * when it is the first message of a chain that began with a KEM step (the peer's reply, read
   * before the next message, acknowledges the chain), so it is 3,194 bytes of header; every other
   * one has 50, and says so (flag bit 1) when its chain's block was left out.
   * Breaks if the chain ack is not written or not taken (every message of a KEM chain then carries
   * the block), or if a block-less message of a KEM chain does not set bit 1.
   */
  it('in a ping-pong, only the first message of each KEM chain carries the block', async () => {
    const counts: Record<number, number> = {};
    for (const tick of [0, 1, 10, 100, 1000]) {
      const duo = await Duo.start();
      const keys = new Set([toHex(duo.states.alice.sending.dh.publicKey)]); // her first chain: no step
      const kemChains = new Set<string>();
      let blocks = 0;
      for (let i = 0; i < 240; i++) {
        duo.now += tick;
        const m = await duo.send(i % 2 ? 'bob' : 'alice');
        const header = headerOf(m);
        const key = toHex(header.dhPublicKey);
        const first = !keys.has(key);
        keys.add(key);
        if (first && m.step.kem) kemChains.add(key);
        const block = first && kemChains.has(key);
        expect(
          { block: header.kem !== null, leftOut: header.kemLeftOut },
          `${tick} ms, message ${i}`,
        ).toEqual({
          block,
          leftOut: !first && kemChains.has(key),
        });
        const headerLength = RATCHET_HEADER_LENGTH + (block ? RATCHET_KEM_BLOCK_LENGTH : 0);
        expect(m.bytes.length).toBe(headerLength + utf8(m.text).length + 16);
        if (block) blocks += 1;
        await duo.receive(m);
      }
      expect(blocks).toBe(ratchetStats(duo.states.alice).kemSteps);
      counts[tick] = blocks;
    }
    // At most one KEM step a side a second: each side's first only, at one instant and over
    // 0.24 s; three a side over 2.4 s; 24 a side over 24 s; at a second a message, every message but
    // Alice's first starts a KEM chain (the classic rhythm), and carries its block.
    expect(counts).toEqual({ 0: 2, 1: 2, 10: 6, 100: 48, 1000: 239 });
  }, 30_000);

  /**
   * Bob writes three messages on his first chain; Alice reads only the second (the first is late)
   * and answers; Bob writes two more before her answer arrives: all five carry the block. Once he
   * has read her answer (and reloaded), his messages on the same chain leave it out, and Alice
   * reads them all, and the late ones.
   * Breaks if the block goes before an acknowledgement is read (after the first message, or once
   * the peer could have read it), or if the delivered mark does not survive a reload.
   */
  it('every message of a KEM chain carries the block until its sender has read an acknowledgement', async () => {
    const duo = await Duo.start();
    const early = await duo.sendMany('bob', 3);
    await duo.receive(early[1]!);
    const answer = await duo.send('alice');
    expect(toHex(headerOf(answer).chainAck)).toBe(prefix(headerOf(early[0]!).dhPublicKey));
    const waiting = await duo.sendMany('bob', 2);
    for (const m of [...early, ...waiting]) expect(headerOf(m).kem).not.toBeNull();
    await duo.receive(answer);
    duo.reload('bob');
    const after = await duo.sendMany('bob', 2);
    for (const m of after) {
      expect(m.step.dh).toBe(false); // the same chain (his next step waits for the interval)
      expect({ kem: headerOf(m).kem, leftOut: headerOf(m).kemLeftOut }).toEqual({ kem: null, leftOut: true });
      expect(m.bytes.length).toBe(RATCHET_HEADER_LENGTH + utf8(m.text).length + 16);
    }
    await duo.receiveAll([after[1]!, waiting[1]!, early[0]!, after[0]!, waiting[0]!, early[2]!]);
  });

  /**
   * Alice's first chain, B1 (KEM) delivered to Alice and acknowledged, then B2 (KEM): a message of
   * Alice's naming no chain (written before she read any), then one naming B1, both read by Bob
   * while his current chain's block is still out, change nothing of his sending chain; the first
   * message naming B2 drops B2's block.
   */
  async function ackScenario(): Promise<{ duo: Duo; noneAck: Sent; b1Ack: Sent; b2: Sent }> {
    const duo = await Duo.start();
    const noneAck = await duo.send('alice');
    expect(toHex(headerOf(noneAck).chainAck)).toBe('00'.repeat(8));
    const b1 = await duo.send('bob');
    await duo.receive(b1);
    const a1 = await duo.sendMany('alice', 2); // her first sending half; both name B1
    await duo.receive(a1[0]!);
    expect(duo.states.bob.sending.kemDelivered).toBe(true);
    duo.now += DH_STEP_INTERVAL_MS;
    const b2 = await duo.send('bob');
    expect(b2.step).toEqual({ dh: true, kem: true });
    return { duo, noneAck, b1Ack: a1[1]!, b2 };
  }

  // Breaks if reading a message drops the current chain's block whatever its ack names (or any
  // chain the peer holds, or none).
  it('an acknowledgement of a chain other than the current one changes nothing about the block', async () => {
    const { duo, noneAck, b1Ack, b2 } = await ackScenario();
    const before = duo.states.bob.sending;
    for (const m of [b1Ack, noneAck]) {
      await duo.receive(m); // late: names B1, then no chain at all
      expect(digest(duo.states.bob.sending)).toBe(digest(before));
    }
    const more = await duo.send('bob');
    expect(headerOf(more).kem).not.toBeNull();
    await duo.receiveAll([b2, more]);
    const ack = await duo.send('alice'); // names B2
    expect(toHex(headerOf(ack).chainAck)).toBe(prefix(headerOf(b2).dhPublicKey));
    await duo.receive(ack);
    expect({ kem: duo.states.bob.sending.kem, delivered: duo.states.bob.sending.kemDelivered }).toEqual({
      kem: null,
      delivered: true,
    });
    const last = await duo.send('bob');
    expect({ kem: headerOf(last).kem, leftOut: headerOf(last).kemLeftOut }).toEqual({
      kem: null,
      leftOut: true,
    });
    await duo.receive(last);
  });

  // Breaks if the chain ack is left out of the associated data: the forgeries below would then be
  // read, and drop a block the peer may not hold.
  it('a chain ack cannot be forged: a changed ack fails AES-GCM, and the block stays', async () => {
    const { duo, b1Ack, b2 } = await ackScenario();
    const b2Key = headerOf(b2).dhPublicKey;
    // A genuine message of Alice's, its ack rewritten to name Bob's current chain (public: it is
    // in his headers).
    const forged = b1Ack.bytes.slice();
    forged.set(b2Key.subarray(0, 8), 42);
    expect(await duo.refuse('bob', forged)).toBe('DECRYPT_FAILED');
    await duo.receive(b2);
    const genuine = await duo.send('alice'); // names B2
    for (let bit = 0; bit < 64; bit += 9) {
      const flipped = genuine.bytes.slice();
      flipped[42 + (bit >> 3)]! ^= 1 << (bit & 7);
      expect(await duo.refuse('bob', flipped)).toBe('DECRYPT_FAILED');
    }
    expect(headerOf(await duo.send('bob')).kem).not.toBeNull(); // still out
    await duo.receive(b1Ack);
    await duo.receive(genuine);
    expect(headerOf(await duo.send('bob')).kemLeftOut).toBe(true);
  });

  /**
   * A message that leaves its block out was written after its receiver acknowledged the chain, so
   * the receiver held it; if it does not now, the chain is older than the chains it keeps, or its
   * state is older than the one that acknowledged. Both are refused as RATCHET_DUPLICATE, saying
   * so, before any key is derived, and nothing changes. (The same state reads the chain's first
   * message, which has its block.)
   * Breaks if such a message is tried as a chain without a KEM step (a guess, refused only by
   * AES-GCM, after a DH), or if anything is derived before the refusal.
   */
  it('a message whose block was left out, of a chain not held, is refused with a reason', async () => {
    const duo = await Duo.start();
    const b1 = await duo.send('bob');
    const restored = duo.states.alice; // a copy of Alice's from before she read B1
    await duo.receive(b1);
    await duo.receive(await duo.send('alice')); // names B1
    const late = await duo.send('bob'); // on B1 still, block left out
    expect(headerOf(late).kemLeftOut).toBe(true);

    const refusal = async (state: RatchetState): Promise<ProtocolError> => {
      const snapshot = digest(state);
      const e: unknown = await ratchetDecrypt(state, late.bytes, { now: duo.now, crypto: refusing }).then(
        () => new Error('accepted'),
        (error: unknown) => error,
      );
      expect(digest(state)).toBe(snapshot);
      expect(codeOf(e)).toBe('RATCHET_DUPLICATE');
      return e as ProtocolError;
    };
    expect((await refusal(restored)).message).toMatch(/no longer holds.*earlier copy/);
    expect((await ratchetDecrypt(restored, b1.bytes, { now: duo.now })).step).toEqual({
      dh: true,
      kem: true,
    });

    // Five newer chains of Bob's later, B1 is no longer kept.
    for (let round = 0; round < MAX_RECEIVING_CHAINS; round++) {
      duo.now += DH_STEP_INTERVAL_MS;
      await duo.receive(await duo.send('bob'));
      await duo.receive(await duo.send('alice'));
    }
    expect(
      duo.states.alice.receiving.some((c) => prefix(c.dhPublicKey) === toHex(headerOf(late).chainAck)),
    ).toBe(false);
    await refusal(duo.states.alice);
    expect(await duo.refuse('alice', late.bytes)).toBe('RATCHET_DUPLICATE');
  });
});

// ── Stored state ────────────────────────────────────────────────────────────────────────────────

describe('readRatchetState', () => {
  async function busyState(): Promise<RatchetState> {
    const duo = await Duo.start();
    const a = await duo.sendMany('alice', 4);
    await duo.receive(a[3]!);
    duo.now += 2000;
    await duo.receive(await duo.send('bob'));
    const b = await duo.sendMany('alice', 3);
    await duo.receive(b[2]!);
    // Alice's chain acknowledges Bob's: reading it delivered his block, and made his step due.
    expect(duo.states.bob.sending.kemDelivered).toBe(true);
    return duo.states.bob; // two chains with skipped keys, a KEM block delivered, a step due
  }

  /** Bob after his first message: a sending chain with its KEM block, not yet acknowledged. */
  async function blockState(): Promise<RatchetState> {
    const duo = await Duo.start();
    await duo.send('bob');
    expect(duo.states.bob.sending.kem).not.toBeNull();
    return duo.states.bob;
  }

  // Breaks if a field is left out of the copy, or a byte string shares a larger buffer (which
  // would put, say, a whole message into storage).
  it('reads back what structuredClone kept, every byte string on its own buffer', async () => {
    const busy = await busyState();
    expect(busy.receiving.length).toBe(2);
    expect(ratchetStats(busy).skippedKeys).toBe(5);
    for (const state of [busy, await blockState()]) {
      const read = readRatchetState(structuredClone(state));
      expect(read).toEqual(state);
      for (const s of [state, read]) {
        for (const bytes of byteStrings(s)) {
          expect(bytes.byteOffset).toBe(0);
          expect(bytes.buffer.byteLength).toBe(bytes.length);
        }
      }
    }
  });

  // Breaks if readRatchetState hands back views of what it was given (a caller wiping or reusing
  // its buffers would change the state, and a view into a larger buffer stores that whole buffer).
  it('copies what it reads: nothing in the result is a view of the input', async () => {
    for (const state of [await busyState(), await blockState()]) expectCopied(state);
  });

  function expectCopied(state: RatchetState): void {
    const views = (v: unknown): unknown => {
      if (v instanceof Uint8Array) {
        const big = new Uint8Array(v.length + 64);
        big.set(v, 32);
        return big.subarray(32, 32 + v.length);
      }
      if (Array.isArray(v)) return v.map(views);
      if (typeof v === 'object' && v !== null)
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, views(x)]));
      return v;
    };
    const input = views(state);
    const read = readRatchetState(input);
    expect(digest(read)).toBe(digest(state));
    for (const bytes of byteStrings(read)) expect(bytes.buffer.byteLength).toBe(bytes.length);
    for (const bytes of byteStrings(input)) bytes.fill(0);
    expect(digest(read)).toBe(digest(state));
  }

  // Breaks if a version 1 state (written when the sending half ran on reading) is refused, or read
  // as due: its chain was built on the peer's latest key, and a step the peer does not expect
  // would fork the root chain the moment the peer steps too.
  it('reads a version 1 state as not due, and the conversation goes on', async () => {
    const duo = await Duo.start();
    await duo.receive(await duo.send('bob'));
    await duo.receive(await duo.send('alice')); // Alice's sending half; Bob has read it
    const v1 = structuredClone(duo.states.alice) as unknown as Record<string, unknown> & {
      sending: Record<string, unknown>;
    };
    v1.version = 1;
    delete v1.sending.startedAt;
    delete v1.sending.stepDue;
    delete v1.sending.kemDelivered;
    const read = readRatchetState(v1);
    expect(read.version).toBe(RATCHET_STATE_VERSION);
    expect({ startedAt: read.sending.startedAt, stepDue: read.sending.stepDue }).toEqual({
      startedAt: null,
      stepDue: false,
    });
    expect(digest(read)).toBe(
      digest({ ...duo.states.alice, sending: { ...duo.states.alice.sending, startedAt: null } }),
    );
    duo.states.alice = read;
    duo.now += 5000;
    const same = await duo.send('alice');
    expect(same.step.dh).toBe(false);
    await duo.receive(same);
    for (const side of ['bob', 'alice', 'bob'] as const) {
      duo.now += 5000;
      const m = await duo.send(side);
      expect(m.step.dh).toBe(true);
      await duo.receive(m);
    }
    expect(toHex(duo.states.alice.rootKey)).toBe(toHex(duo.states.bob.rootKey));
    const noChain = { ...v1, sending: { ...v1.sending, chainKey: null } };
    expect(() => readRatchetState(noChain)).toThrow(/sending\.chainKey/);
  });

  // Breaks if a version 2 state (written before the chain ack) is refused, or read as if its block
  // had been acknowledged: the peer may not hold that chain yet, and could not read it without.
  it('reads a version 2 state as its block not yet acknowledged; the block travels until an ack', async () => {
    const duo = await Duo.start();
    await duo.receive(await duo.send('bob'));
    const a1 = await duo.send('alice'); // her first sending half: a KEM step
    const v2 = structuredClone(duo.states.alice) as unknown as Record<string, unknown> & {
      sending: Record<string, unknown>;
    };
    v2.version = 2;
    delete v2.sending.kemDelivered;
    const read = readRatchetState(v2);
    expect(read.version).toBe(RATCHET_STATE_VERSION);
    expect(read.sending.kemDelivered).toBe(false);
    expect(digest(read)).toBe(digest(duo.states.alice));
    duo.states.alice = read;
    const again = await duo.send('alice');
    expect(decodeRatchetMessage(again.bytes).header.kem).not.toBeNull();
    await duo.receiveAll([again, a1]);
    await duo.receive(await duo.send('bob')); // acknowledges A1
    const after = decodeRatchetMessage((await duo.send('alice')).bytes).header;
    expect({ kem: after.kem, leftOut: after.kemLeftOut }).toEqual({ kem: null, leftOut: true });
  });

  // Breaks if any one of these checks goes.
  it('refuses malformed states with BAD_RATCHET_STATE', async () => {
    const good = await busyState();
    const noChain = {
      chainKey: null,
      index: 0,
      previousCount: 0,
      kem: null,
      kemDelivered: false,
      startedAt: null,
      stepDue: true,
    };
    type Mutable = Record<string, unknown> & RatchetState;
    const cases: [string, (s: Mutable) => unknown][] = [
      ['not an object', () => 'state'],
      ['null', () => null],
      ['version 4', (s) => ({ ...s, version: 4 })],
      ['version 0', (s) => ({ ...s, version: 0 })],
      ['no version', (s) => ({ ...s, version: undefined })],
      ['ratchetId of 17 bytes', (s) => ({ ...s, ratchetId: new Uint8Array(17) })],
      ['rootKey of 31 bytes', (s) => ({ ...s, rootKey: new Uint8Array(31) })],
      ['rootKey as an array', (s) => ({ ...s, rootKey: Array.from(s.rootKey) })],
      ['identity key of 33 bytes', (s) => ({ ...s, localIdentityKey: new Uint8Array(33) })],
      ['a low-order DH key', (s) => ({ ...s, remoteDhPublicKey: new Uint8Array(32) })],
      ['sending private key of 16 bytes', (s) => void (s.sending.dh.privateKey = new Uint8Array(16))],
      ['negative send index', (s) => void (s.sending.index = -1)],
      ['fractional send index', (s) => void (s.sending.index = 1.5)],
      ['send index past 2^32 − 1', (s) => void (s.sending.index = 2 ** 32)],
      ['previousCount NaN', (s) => void (s.sending.previousCount = NaN)],
      ['stepDue missing', (s) => void delete (s.sending as Partial<RatchetState['sending']>).stepDue],
      ['stepDue a number', (s) => void ((s.sending as { stepDue: unknown }).stepDue = 1)],
      ['startedAt a string', (s) => void ((s.sending as { startedAt: unknown }).startedAt = 'then')],
      ['startedAt negative', (s) => void (s.sending.startedAt = -1)],
      ['no sending chain, yet not due', (s) => void Object.assign(s.sending, noChain, { stepDue: false })],
      ['no sending chain, yet a message number', (s) => void Object.assign(s.sending, noChain, { index: 1 })],
      [
        'no sending chain, yet a KEM block',
        (s) => void Object.assign(s.sending, { ...noChain, kem: someKemBlock() }),
      ],
      [
        'no sending chain, yet a block delivered',
        (s) => void Object.assign(s.sending, { ...noChain, kemDelivered: true }),
      ],
      ['due without a peer key read', (s) => void (s.receiving = [])],
      [
        'KEM block ciphertext short',
        (s) =>
          void Object.assign(s.sending, {
            kem: { ...someKemBlock(), cipherText: new Uint8Array(100) },
            kemDelivered: false,
          }),
      ],
      [
        'kemDelivered missing',
        (s) => void delete (s.sending as Partial<RatchetState['sending']>).kemDelivered,
      ],
      ['kemDelivered a number', (s) => void ((s.sending as { kemDelivered: unknown }).kemDelivered = 1)],
      ['a block delivered, yet kept', (s) => void (s.sending.kem = someKemBlock())],
      ['receiving not a list', (s) => ({ ...s, receiving: {} })],
      [
        'six receiving chains',
        (s) => void s.receiving.push(...Array.from({ length: 4 }, () => s.receiving[1]!)),
      ],
      ['current chain without a chain key', (s) => void (s.receiving[0]!.chainKey = null)],
      ['old chain with a chain key', (s) => void (s.receiving[1]!.chainKey = new Uint8Array(32))],
      ['current chain not DHr', (s) => void (s.receiving = [s.receiving[1]!, s.receiving[0]!])],
      ['negative next', (s) => void (s.receiving[0]!.next = -1)],
      ['skipped key at next', (s) => void (s.receiving[0]!.skipped[0]!.n = s.receiving[0]!.next)],
      ['skipped keys out of order', (s) => void s.receiving[1]!.skipped.reverse()],
      ['skipped seed of 16 bytes', (s) => void (s.receiving[0]!.skipped[0]!.seed = new Uint8Array(16))],
      ['negative storedAt', (s) => void (s.receiving[0]!.skipped[0]!.storedAt = -1)],
      [
        `${MAX_SKIPPED_KEYS + 1} skipped keys`,
        (s) => {
          const c = s.receiving[1]!;
          c.next = MAX_SKIPPED_KEYS + 10;
          c.skipped = Array.from({ length: MAX_SKIPPED_KEYS - 1 }, (_, n) => ({
            n,
            seed: new Uint8Array(32),
            storedAt: 0,
          }));
        },
      ],
      [
        'KEM secret key short',
        (s) => void (s.kem.own = { publicKey: s.kem.peer.publicKey, secretKey: new Uint8Array(10) }),
      ],
      ['peer used not a boolean', (s) => void ((s.kem.peer as { used: unknown }).used = 'yes')],
      ['lastStepAt a string', (s) => void ((s.kem as { lastStepAt: unknown }).lastStepAt = 'then')],
      ['negative dhSteps', (s) => void (s.dhSteps = -1)],
      ['more KEM steps than DH steps', (s) => void (s.kemSteps = s.dhSteps + 1)],
    ];
    expect(good.sending.stepDue).toBe(true);
    expect(() => readRatchetState(structuredClone(good))).not.toThrow();
    const fresh = readRatchetState(structuredClone({ ...good, sending: { ...good.sending, ...noChain } })); // a Bob who has not written yet
    expect(fresh.sending.chainKey).toBeNull();
    for (const [name, mutate] of cases) {
      const copy = structuredClone(good) as Mutable;
      const result = mutate(copy);
      const input = result === undefined ? copy : result;
      let code = 'accepted';
      try {
        readRatchetState(input);
      } catch (e) {
        code = codeOf(e);
      }
      expect(code, name).toBe('BAD_RATCHET_STATE');
    }
  });
});
