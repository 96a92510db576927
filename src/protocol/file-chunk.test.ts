/**
 * FILE_CHUNK payload (file-chunk.ts): the layout, round trips, structure refused with BAD_RECORD;
 * the per-file sealing of k ‖ proof ‖ 0x00 ‖ chunk: its exact bytes (checked against
 * @noble/ciphers directly), round trip, deterministic, the Merkle leaf input in place, and any
 * flipped byte of the ciphertext, file id or index, or another count or key, fails with
 * DECRYPT_FAILED; decrypted bytes that are not that structure fail with BAD_RECORD.
 */
import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../crypto/bytes';
import { merkleLeafHash, merkleLeafHashPrefixed } from '../crypto/merkle';
import { expectCode, expectDecodesExactlyOrRefuses } from './codec.test-util';
import { ProtocolError } from './errors';
import {
  type ChunkFrame,
  MAX_CHUNK_PROOF_HASHES,
  chunkFrameParts,
  chunkPlaintextLength,
  decodeChunkFrame,
  encodeChunkFrame,
  importFileKey,
  openChunk,
  sealChunk,
} from './file-chunk';
import { MAX_CHUNK_BYTES } from './file-records';

const fileIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const frames: fc.Arbitrary<ChunkFrame> = fc.record({
  fileId: fileIdArb,
  index: fc.oneof(fc.nat(), fc.constantFrom(0, 0xffffffff)),
  sealed: fc.uint8Array({ minLength: 17, maxLength: 300 }),
});

const rejects = async (p: Promise<unknown>, code: ProtocolError['code']): Promise<void> => {
  await expect(p).rejects.toSatisfy((e) => ProtocolError.is(e, code));
};

describe('chunk frames', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(frames, (f) => {
        expect(decodeChunkFrame(encodeChunkFrame(f))).toEqual(f);
      }),
    );
  });

  it('in two parts are the same bytes: fileId ‖ index, then the sealed part itself', () => {
    fc.assert(
      fc.property(frames, (f) => {
        const [head, sealed] = chunkFrameParts(f);
        expect(head.length).toBe(20);
        expect(sealed).toBe(f.sealed);
        expect(concatBytes(head, sealed)).toEqual(encodeChunkFrame(f));
      }),
    );
    expect(() =>
      chunkFrameParts({ fileId: new Uint8Array(15), index: 0, sealed: new Uint8Array(17) }),
    ).toThrow(ProtocolError);
  });

  it('are laid out as the header says, and decode into views of the bytes', () => {
    const f: ChunkFrame = {
      fileId: new Uint8Array(16).fill(1),
      index: 0x01020304,
      sealed: new Uint8Array(17).fill(4),
    };
    const bytes = encodeChunkFrame(f);
    expect(bytes).toEqual(concatBytes(f.fileId, Uint8Array.of(1, 2, 3, 4), f.sealed));
    const back = decodeChunkFrame(bytes);
    expect(back.sealed.buffer).toBe(bytes.buffer);
    // ...inside a larger buffer too.
    const padded = concatBytes(Uint8Array.of(9, 9), bytes).subarray(2);
    expect(decodeChunkFrame(padded)).toEqual(f);
  });

  it('a frame cut anywhere, or one whose sealed part is only a tag, is refused', () => {
    const bytes = encodeChunkFrame({ fileId: new Uint8Array(16), index: 0, sealed: new Uint8Array(17) });
    for (let n = 0; n < bytes.length; n++)
      expectCode(() => decodeChunkFrame(bytes.subarray(0, n)), 'BAD_RECORD');
    expect(decodeChunkFrame(bytes).sealed).toHaveLength(17);
  });

  it('random bytes decode to what encodes back the same, or are refused with BAD_RECORD', () => {
    expectDecodesExactlyOrRefuses(
      fc.uint8Array({ maxLength: 120 }),
      decodeChunkFrame,
      encodeChunkFrame,
      'BAD_RECORD',
    );
  });

  it.each([
    ['a short file id', { fileId: new Uint8Array(15) }],
    ['a negative index', { index: -1 }],
    ['an index of 2^32', { index: 2 ** 32 }],
    ['a sealed part of only a tag', { sealed: new Uint8Array(16) }],
  ])('encode refuses %s with BAD_ARGUMENT', (_, patch) => {
    const f = { fileId: new Uint8Array(16), index: 0, sealed: new Uint8Array(17), ...patch };
    expectCode(() => encodeChunkFrame(f), 'BAD_ARGUMENT');
  });
});

describe('sealing chunks with their proof under the file key', () => {
  const keyBytes = Uint8Array.from({ length: 32 }, (_, i) => i);
  const fileId = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const chunk = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  const proof = [new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22)];
  const nonce = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5);
  const ad = concatBytes(utf8('SecMsg/0.1 file chunk'), fileId, Uint8Array.of(0, 0, 0, 5, 0, 0, 0, 9));

  it('seals k ‖ proof ‖ 0x00 ‖ chunk with the nonce and associated data of the header, deterministically', async () => {
    const key = await importFileKey(keyBytes);
    const sealed = await sealChunk(key, fileId, 5, 9, proof, chunk);
    const plaintext = concatBytes(Uint8Array.of(2), ...proof, Uint8Array.of(0), chunk);
    expect(sealed).toEqual(gcm(keyBytes, nonce, ad).encrypt(plaintext));
    expect(sealed.length).toBe(1 + 64 + 1 + chunk.length + 16);
    expect(await sealChunk(key, fileId, 5, 9, proof, chunk)).toEqual(sealed);
    const opened = await openChunk(key, fileId, 5, 9, sealed);
    expect(opened.chunk).toEqual(chunk);
    expect(opened.proof).toEqual(proof);
    expect(opened.leafInput).toEqual(concatBytes(Uint8Array.of(0), chunk));
    // The leaf input lies in the decrypted buffer, right before the chunk, and hashes as the leaf.
    expect(opened.leafInput.buffer).toBe(opened.chunk.buffer);
    expect(await merkleLeafHashPrefixed(opened.leafInput)).toEqual(await merkleLeafHash(chunk));
  });

  it('built in a scratch buffer, seals the same bytes, and leaves the rest of the buffer as it was', async () => {
    const key = await importFileKey(keyBytes);
    const length = chunkPlaintextLength(proof.length, chunk.length);
    expect(length).toBe(1 + 64 + 1 + chunk.length);
    const scratch = new Uint8Array(length + 10).fill(0xee);
    const sealed = await sealChunk(key, fileId, 5, 9, proof, chunk, scratch);
    expect(sealed).toEqual(await sealChunk(key, fileId, 5, 9, proof, chunk));
    expect([...scratch.subarray(length)]).toEqual(new Array(10).fill(0xee));
    // Used again for another chunk (as the sender's pump does), it seals that one right.
    const other = chunk.subarray(0, 10);
    const again = await sealChunk(key, fileId, 6, 9, [proof[0]!], other, scratch);
    expect((await openChunk(key, fileId, 6, 9, again)).chunk).toEqual(other);
    // Too short for the chunk: refused before anything is written.
    const short = new Uint8Array(length - 1);
    await rejects(sealChunk(key, fileId, 5, 9, proof, chunk, short), 'BAD_ARGUMENT');
    expect(short.every((b) => b === 0)).toBe(true);
  });

  it('seals a chunk read straight into its place in the scratch buffer as it seals a copied one', async () => {
    const key = await importFileKey(keyBytes);
    const at = chunkPlaintextLength(proof.length, 0);
    const scratch = new Uint8Array(at + chunk.length + 5).fill(0xee);
    scratch.set(chunk, at); // where the sender's reader puts it
    const inPlace = scratch.subarray(at, at + chunk.length);
    const sealed = await sealChunk(key, fileId, 5, 9, proof, inPlace, scratch);
    expect(sealed).toEqual(await sealChunk(key, fileId, 5, 9, proof, chunk));
    // A chunk elsewhere in the same buffer (one byte off its place) is copied into place, not used as is.
    const other = new Uint8Array(at + chunk.length + 1);
    other.set(chunk, at + 1);
    const offByOne = await sealChunk(key, fileId, 5, 9, proof, other.subarray(at + 1), other);
    expect((await openChunk(key, fileId, 5, 9, offByOne)).chunk).toEqual(chunk);
  });

  it('round-trips any chunk, proof, index and count', async () => {
    const key = await importFileKey(keyBytes);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.array(hash, { maxLength: MAX_CHUNK_PROOF_HASHES }),
        fc
          .integer({ min: 1, max: 0xffffffff })
          .chain((count) => fc.tuple(fc.constant(count), fc.nat(count - 1))),
        fileIdArb,
        async (plaintext, path, [count, index], id) => {
          const sealed = await sealChunk(key, id, index, count, path, plaintext);
          const opened = await openChunk(key, id, index, count, sealed);
          expect(opened.chunk).toEqual(plaintext);
          expect(opened.proof).toEqual(path);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('any flipped byte of the ciphertext or the file id, or another index, count or key fails', async () => {
    const key = await importFileKey(keyBytes);
    const sealed = await sealChunk(key, fileId, 5, 9, proof, chunk);
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const bad = sealed.slice();
        bad[at]! ^= x;
        await rejects(openChunk(key, fileId, 5, 9, bad), 'DECRYPT_FAILED');
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(15), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const otherId = fileId.slice();
        otherId[at]! ^= x;
        await rejects(openChunk(key, otherId, 5, 9, sealed), 'DECRYPT_FAILED');
      }),
      { numRuns: 30 },
    );
    for (const index of [4, 6, 0, 8])
      await rejects(openChunk(key, fileId, index, 9, sealed), 'DECRYPT_FAILED');
    for (const count of [6, 8, 10, 0xffffffff])
      await rejects(openChunk(key, fileId, 5, count, sealed), 'DECRYPT_FAILED');
    const otherKey = await importFileKey(keyBytes.map((b) => b ^ 1));
    await rejects(openChunk(otherKey, fileId, 5, 9, sealed), 'DECRYPT_FAILED');
    await rejects(openChunk(key, fileId, 5, 9, sealed.subarray(0, 16)), 'DECRYPT_FAILED');
    await rejects(openChunk(key, fileId, 5, 9, sealed.subarray(0, sealed.length - 1)), 'DECRYPT_FAILED');
  });

  it.each([
    ['a proof length over 40', concatBytes(Uint8Array.of(41), new Uint8Array(41 * 32), Uint8Array.of(0, 1))],
    ['a proof longer than the bytes', concatBytes(Uint8Array.of(3), new Uint8Array(64), Uint8Array.of(0, 1))],
    ['no 0x00 before the chunk', concatBytes(Uint8Array.of(1), new Uint8Array(32), Uint8Array.of(1, 1))],
    ['an empty chunk', concatBytes(Uint8Array.of(1), new Uint8Array(32), Uint8Array.of(0))],
    ['nothing at all', new Uint8Array(0)],
  ])('decrypted bytes with %s are refused with BAD_RECORD', async (_, plaintext) => {
    // Only the key holder can make these: it is the structure that is wrong, not the encryption.
    const key = await importFileKey(keyBytes);
    const sealed = gcm(keyBytes, nonce, ad).encrypt(plaintext);
    await rejects(openChunk(key, fileId, 5, 9, sealed), 'BAD_RECORD');
  });

  it('opens a sealed part that is a view into a decoded frame', async () => {
    const key = await importFileKey(keyBytes);
    const sealed = await sealChunk(key, fileId, 2, 3, proof.slice(0, 1), chunk);
    const frame = encodeChunkFrame({ fileId, index: 2, sealed });
    const f = decodeChunkFrame(concatBytes(Uint8Array.of(7), frame).subarray(1));
    expect((await openChunk(key, f.fileId, f.index, 3, f.sealed)).chunk).toEqual(chunk);
  });

  it('refuses bad arguments with BAD_ARGUMENT', async () => {
    await rejects(importFileKey(new Uint8Array(31)), 'BAD_ARGUMENT');
    const key = await importFileKey(keyBytes);
    await rejects(sealChunk(key, fileId.subarray(1), 0, 1, [], chunk), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 1, 1, [], chunk), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 0, 0, [], chunk), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 0, 2 ** 32, [], chunk), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, -1, 2, [], chunk), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 0, 1, [], new Uint8Array(0)), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 0, 1, [], new Uint8Array(MAX_CHUNK_BYTES + 1)), 'BAD_ARGUMENT');
    await rejects(sealChunk(key, fileId, 0, 2, [new Uint8Array(31)], chunk), 'BAD_ARGUMENT');
    const tooLong = Array.from({ length: 41 }, () => new Uint8Array(32));
    await rejects(sealChunk(key, fileId, 0, 2, tooLong, chunk), 'BAD_ARGUMENT');
    await rejects(openChunk(key, fileId, 3, 3, new Uint8Array(40)), 'BAD_ARGUMENT');
  });
});
