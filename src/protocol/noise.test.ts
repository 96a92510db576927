import { describe, expect, it } from 'vitest';
import noiseVectors from '../../test-vectors/noise-xx-25519-aesgcm-sha256.json';
import { fromHex, toHex } from '../crypto/bytes';
import { ProtocolError } from './errors';
import { createHandshake, dhKeyPairFromPrivate, generateDhKeyPair, type Handshake } from './noise';

interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_static: string;
  init_ephemeral: string;
  resp_prologue: string;
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

function readVectors(json: unknown): NoiseVector[] {
  const list = (json as { vectors?: unknown }).vectors;
  if (!Array.isArray(list) || list.length === 0) throw new Error('noise vector file has no vectors');
  const hexFields = [
    'init_prologue',
    'init_static',
    'init_ephemeral',
    'resp_prologue',
    'resp_static',
    'resp_ephemeral',
    'handshake_hash',
  ] as const;
  return list.map((v: Record<string, unknown>) => {
    for (const f of hexFields) if (typeof v[f] !== 'string') throw new Error(`vector field ${f} missing`);
    if (!Array.isArray(v['messages'])) throw new Error('vector messages missing');
    return v as unknown as NoiseVector;
  });
}

const vectors = readVectors(noiseVectors);

describe('Noise_XX_25519_AESGCM_SHA256 published vectors (cacophony, via snow)', () => {
  it.each(vectors.map((v, i) => [i, v] as const))(
    'vector %i reproduces every message and the handshake hash',
    async (_i, v) => {
      expect(v.protocol_name).toBe('Noise_XX_25519_AESGCM_SHA256');
      const init = createHandshake({
        initiator: true,
        prologue: fromHex(v.init_prologue),
        s: await dhKeyPairFromPrivate(fromHex(v.init_static)),
        e: await dhKeyPairFromPrivate(fromHex(v.init_ephemeral)),
      });
      const resp = createHandshake({
        initiator: false,
        prologue: fromHex(v.resp_prologue),
        s: await dhKeyPairFromPrivate(fromHex(v.resp_static)),
        e: await dhKeyPairFromPrivate(fromHex(v.resp_ephemeral)),
      });
      const parties: [Handshake, Handshake] = [init, resp];
      let i = 0;
      for (; i < 3; i++) {
        const m = v.messages[i]!;
        const [writer, reader] = i % 2 === 0 ? parties : [resp, init];
        const ct = await writer.writeMessage(fromHex(m.payload));
        expect(toHex(ct)).toBe(m.ciphertext);
        expect(toHex(await reader.readMessage(ct))).toBe(m.payload);
      }
      expect(init.complete && resp.complete).toBe(true);
      expect(toHex(init.handshakeHash())).toBe(v.handshake_hash);
      expect(toHex(resp.handshakeHash())).toBe(v.handshake_hash);
      const ci = init.split();
      const cr = resp.split();
      // Transport messages continue alternating: the responder sends first.
      for (; i < v.messages.length; i++) {
        const m = v.messages[i]!;
        const [send, recv] = i % 2 === 1 ? [cr.send, ci.recv] : [ci.send, cr.recv];
        const ct = await send.encryptWithAd(new Uint8Array(0), fromHex(m.payload));
        expect(toHex(ct)).toBe(m.ciphertext);
        expect(toHex(await recv.decryptWithAd(new Uint8Array(0), ct))).toBe(m.payload);
      }
      expect(i).toBeGreaterThan(3);
    },
  );
});

async function pair(prologueA = new Uint8Array([1]), prologueB = prologueA) {
  const a = createHandshake({ initiator: true, prologue: prologueA, s: await generateDhKeyPair() });
  const b = createHandshake({ initiator: false, prologue: prologueB, s: await generateDhKeyPair() });
  return { a, b };
}

async function expectCode(p: Promise<unknown>, code: ProtocolError['code']): Promise<void> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(ProtocolError.is(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

describe('Noise handshake state', () => {
  it('completes with fresh keys and agrees on the hash and on each direction’s keys', async () => {
    const { a, b } = await pair();
    await b.readMessage(await a.writeMessage(new Uint8Array(0)));
    await a.readMessage(await b.writeMessage(new Uint8Array([2])));
    await b.readMessage(await a.writeMessage(new Uint8Array([3])));
    expect(toHex(a.handshakeHash())).toBe(toHex(b.handshakeHash()));
    const ct = await a.split().send.encryptWithAd(new Uint8Array(0), new Uint8Array([9]));
    expect([...(await b.split().recv.decryptWithAd(new Uint8Array(0), ct))]).toEqual([9]);
  });

  it('refuses messages out of order and repeated', async () => {
    const { a, b } = await pair();
    await expectCode(b.writeMessage(new Uint8Array(0)), 'HANDSHAKE_STATE'); // responder may not speak first
    const { a: a2, b: b2 } = await pair();
    await expectCode(a2.readMessage(new Uint8Array(32)), 'HANDSHAKE_STATE'); // initiator may not read first
    const m1 = await a.writeMessage(new Uint8Array(0));
    await b.readMessage(m1);
    await expectCode(b.readMessage(m1), 'HANDSHAKE_STATE'); // repeated
    void b2;
  });

  it('fails on a flipped bit anywhere in any handshake message', async () => {
    for (const target of [0, 1, 2]) {
      const probe = await pair();
      const msgs: Uint8Array[] = [];
      msgs.push(await probe.a.writeMessage(new Uint8Array(0)));
      await probe.b.readMessage(msgs[0]!);
      msgs.push(await probe.b.writeMessage(new Uint8Array([7, 7])));
      await probe.a.readMessage(msgs[1]!);
      msgs.push(await probe.a.writeMessage(new Uint8Array([8])));
      const length = msgs[target]!.length;
      for (let byte = 0; byte < length; byte++) {
        const { a, b } = await pair();
        const flip = (i: number, m: Uint8Array): Uint8Array => {
          if (i !== target) return m;
          const c = m.slice();
          c[byte]! ^= 0x01 << (byte % 8);
          return c;
        };
        const outcome = await (async () => {
          await b.readMessage(flip(0, await a.writeMessage(new Uint8Array(0))));
          await a.readMessage(flip(1, await b.writeMessage(new Uint8Array([7, 7]))));
          await b.readMessage(flip(2, await a.writeMessage(new Uint8Array([8]))));
          return 'completed';
        })().catch((e: unknown) => e);
        expect(ProtocolError.is(outcome), `message ${target} byte ${byte}: ${String(outcome)}`).toBe(true);
      }
    }
  });

  it('fails when the two prologues differ', async () => {
    const { a, b } = await pair(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]));
    await b.readMessage(await a.writeMessage(new Uint8Array(0)));
    await expectCode(a.readMessage(await b.writeMessage(new Uint8Array(0))), 'DECRYPT_FAILED');
  });

  it('refuses an all-zero ephemeral key and a low-order static key', async () => {
    const { a, b } = await pair();
    const m1 = await a.writeMessage(new Uint8Array(0));
    await b.readMessage(new Uint8Array(m1.length)); // e = 0…0 is only hashed here
    await expectCode(b.writeMessage(new Uint8Array(0)), 'BAD_PUBLIC_KEY'); // ee needs it

    // A responder that announces a low-order static key: the initiator's `es` refuses it.
    const real = await generateDhKeyPair();
    const fake = { publicKey: new Uint8Array(32), privateKey: real.privateKey };
    const init = createHandshake({
      initiator: true,
      prologue: new Uint8Array(0),
      s: await generateDhKeyPair(),
    });
    const resp = createHandshake({ initiator: false, prologue: new Uint8Array(0), s: fake });
    await resp.readMessage(await init.writeMessage(new Uint8Array(0)));
    await expectCode(init.readMessage(await resp.writeMessage(new Uint8Array(0))), 'BAD_PUBLIC_KEY');
  });

  it('refuses a truncated message and is unusable after a failure', async () => {
    const { a, b } = await pair();
    await expectCode(b.readMessage(new Uint8Array(31)), 'TRUNCATED');
    await expectCode(b.readMessage(await a.writeMessage(new Uint8Array(0))), 'HANDSHAKE_STATE');
  });

  it('does not advance the nonce when decryption fails', async () => {
    const { a, b } = await pair();
    await b.readMessage(await a.writeMessage(new Uint8Array(0)));
    await a.readMessage(await b.writeMessage(new Uint8Array(0)));
    await b.readMessage(await a.writeMessage(new Uint8Array(0)));
    const send = a.split().send;
    const recv = b.split().recv;
    const ct = await send.encryptWithAd(new Uint8Array(0), new Uint8Array([1, 2, 3]));
    const bad = ct.slice();
    bad[0]! ^= 1;
    await expectCode(recv.decryptWithAd(new Uint8Array(0), bad), 'DECRYPT_FAILED');
    expect([...(await recv.decryptWithAd(new Uint8Array(0), ct))]).toEqual([1, 2, 3]);
  });
});
