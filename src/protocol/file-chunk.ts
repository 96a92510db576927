/**
 * One piece of a file (issue 14): the plaintext of a FILE_CHUNK frame, and the per-file encryption
 * of the chunk inside it. The frame is sealed like every other (secure-frames.ts); the chunk is also
 * sealed under the file's own key, which the `file-offer` record gave through the ratchet, so what
 * a receiver writes is the sender's whatever route or session it came by.
 *
 *   fileId (16) ‖ index (u32) ‖ proof length k (u8, 0 … 40) ‖ proof (32 × k) ‖
 *   ciphertext (chunk ‖ 16-byte tag, ≥ 17 bytes)
 *
 * The proof is the chunk's Merkle audit path (src/crypto/merkle.ts) up to the offer's root.
 *
 * Encryption is AES-256-GCM (aead.ts) with
 *   nonce = 8 zero bytes ‖ u32 index
 *   AD    = utf8("SecMsg/0.1 file chunk") ‖ fileId ‖ u32 index ‖ u32 count
 * so a chunk cannot be moved to another file, another place or a file of another length. Sealing is
 * deterministic: one key is used for one file only, and a chunk sent again (after a resume, on
 * another route) reuses its nonce with the same plaintext, which gives the same bytes and reveals
 * nothing. A sender must therefore never seal different bytes under one key and index: a file that
 * changed on disk needs a new offer with a new key.
 */
import { AES_GCM_TAG_LENGTH, AeadKey } from '../crypto/aead';
import { bufferView, concatBytes, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { MERKLE_HASH_BYTES } from '../crypto/merkle';
import { ProtocolError } from './errors';
import { MAX_CHUNK_BYTES } from './file-records';
import { MESSAGE_ID_LENGTH } from './record-limits';
import { PROLOGUE_LABEL } from './version';

/** Longer than any path in a tree of up to 2^40 leaves. */
export const MAX_CHUNK_PROOF_HASHES = 40;
const HEAD = MESSAGE_ID_LENGTH + 4 + 1; // fileId ‖ index ‖ k
const CHUNK_AD_LABEL = utf8(`${PROLOGUE_LABEL} file chunk`);
const MAX_U32 = 0xffffffff;

export interface ChunkFrame {
  fileId: Uint8Array;
  index: number;
  proof: Uint8Array[];
  ciphertext: Uint8Array;
}

function argument(message: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', message);
}
const isU32 = (n: unknown): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_U32;

export function encodeChunkFrame(f: ChunkFrame): Uint8Array<ArrayBuffer> {
  if (!(f.fileId instanceof Uint8Array) || f.fileId.length !== MESSAGE_ID_LENGTH) {
    throw argument(`fileId must be ${MESSAGE_ID_LENGTH} bytes.`);
  }
  if (!isU32(f.index)) throw argument('index must be a whole number below 2^32.');
  if (!Array.isArray(f.proof) || f.proof.length > MAX_CHUNK_PROOF_HASHES) {
    throw argument(`proof must be a list of at most ${MAX_CHUNK_PROOF_HASHES} hashes.`);
  }
  f.proof.forEach((p, i) => {
    if (!(p instanceof Uint8Array) || p.length !== MERKLE_HASH_BYTES) {
      throw argument(`proof[${i}] must be ${MERKLE_HASH_BYTES} bytes.`);
    }
  });
  if (!(f.ciphertext instanceof Uint8Array) || f.ciphertext.length <= AES_GCM_TAG_LENGTH) {
    throw argument(`ciphertext must be longer than its ${AES_GCM_TAG_LENGTH}-byte tag.`);
  }
  const k = f.proof.length;
  const out = new Uint8Array(HEAD + k * MERKLE_HASH_BYTES + f.ciphertext.length);
  out.set(f.fileId, 0);
  new DataView(out.buffer).setUint32(MESSAGE_ID_LENGTH, f.index);
  out[HEAD - 1] = k;
  f.proof.forEach((p, i) => out.set(p, HEAD + i * MERKLE_HASH_BYTES));
  out.set(f.ciphertext, HEAD + k * MERKLE_HASH_BYTES);
  return out;
}

/**
 * The parts of a FILE_CHUNK frame's plaintext. The proof and the ciphertext are views into `bytes`
 * (no copy of the chunk), the file id a copy. Refuses a bad structure with BAD_RECORD; whether the
 * chunk is genuine is for {@link openChunk} and the Merkle proof to say.
 */
export function decodeChunkFrame(bytes: Uint8Array): ChunkFrame {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEAD) {
    throw new ProtocolError('BAD_RECORD', 'A file chunk arrived cut short.');
  }
  const k = bytes[HEAD - 1]!;
  if (k > MAX_CHUNK_PROOF_HASHES)
    throw new ProtocolError('BAD_RECORD', 'A file chunk arrived with too long a proof.');
  const at = HEAD + k * MERKLE_HASH_BYTES;
  if (bytes.length <= at + AES_GCM_TAG_LENGTH)
    throw new ProtocolError('BAD_RECORD', 'A file chunk arrived cut short.');
  const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MESSAGE_ID_LENGTH);
  const proof: Uint8Array[] = [];
  for (let i = 0; i < k; i++) {
    proof.push(bytes.subarray(HEAD + i * MERKLE_HASH_BYTES, HEAD + (i + 1) * MERKLE_HASH_BYTES));
  }
  return { fileId: bytes.slice(0, MESSAGE_ID_LENGTH), index, proof, ciphertext: bytes.subarray(at) };
}

/** The per-file AES-256-GCM key, an opaque handle. */
export type FileKey = AeadKey;

/** The key from a `file-offer`'s 32 key bytes. */
export async function importFileKey(key: Uint8Array): Promise<FileKey> {
  try {
    return await AeadKey.import(key);
  } catch (cause) {
    throw new ProtocolError('BAD_ARGUMENT', 'A file key must be 32 bytes.', { cause });
  }
}

function nonceAndAd(
  fileId: Uint8Array,
  index: number,
  count: number,
): [Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>] {
  if (!(fileId instanceof Uint8Array) || fileId.length !== MESSAGE_ID_LENGTH) {
    throw argument(`fileId must be ${MESSAGE_ID_LENGTH} bytes.`);
  }
  if (!isU32(count) || count < 1)
    throw argument('count must be a whole number of chunks from 1 to 2^32 - 1.');
  if (!isU32(index) || index >= count) throw argument('index must be a chunk index below count.');
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setUint32(8, index);
  const numbers = new Uint8Array(8);
  const view = new DataView(numbers.buffer);
  view.setUint32(0, index);
  view.setUint32(4, count);
  return [nonce, concatBytes(CHUNK_AD_LABEL, fileId, numbers)];
}

/** Chunk `index` of a file of `count` chunks, sealed: ciphertext ‖ 16-byte tag. Deterministic. */
export async function sealChunk(
  key: FileKey,
  fileId: Uint8Array,
  index: number,
  count: number,
  plaintext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const [nonce, ad] = nonceAndAd(fileId, index, count);
  if (!(plaintext instanceof Uint8Array) || plaintext.length < 1 || plaintext.length > MAX_CHUNK_BYTES) {
    throw argument(`A chunk must be 1 byte to ${MAX_CHUNK_BYTES / 1024} KiB long.`);
  }
  return key.encrypt(nonce, bufferView(plaintext), ad);
}

/**
 * Opens what {@link sealChunk} made for the same file id, index and count; any other bytes, or the
 * same under another id, index, count or key, throw ProtocolError('DECRYPT_FAILED').
 */
export async function openChunk(
  key: FileKey,
  fileId: Uint8Array,
  index: number,
  count: number,
  ciphertext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const [nonce, ad] = nonceAndAd(fileId, index, count);
  if (!(ciphertext instanceof Uint8Array)) throw argument('ciphertext must be a Uint8Array.');
  try {
    return await key.decrypt(nonce, bufferView(ciphertext), ad);
  } catch (cause) {
    if (CryptoError.is(cause, 'DECRYPT_FAILED')) {
      throw new ProtocolError('DECRYPT_FAILED', 'A file chunk could not be decrypted.', { cause });
    }
    throw cause;
  }
}
