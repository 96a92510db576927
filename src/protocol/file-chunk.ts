/**
 * One piece of a file (issue 14): the payload of a FILE_CHUNK frame, and the per-file encryption
 * of the chunk inside it. The chunk is sealed under the file's own key, which the `file-offer`
 * record gave through the ratchet, so what a receiver writes is the sender's whatever route or
 * session it came by; the frame around it carries the session's HMAC and is not encrypted a second
 * time (frame.ts, secure-frames.ts: one AES-GCM pass a side instead of two).
 *
 *   payload = fileId (16) ‖ index (u32) ‖ sealed
 *   sealed  = AES-256-GCM under the file key of  k (u8, 0 … 40) ‖ proof (32 × k) ‖ 0x00 ‖ chunk
 *
 * The proof is the chunk's Merkle audit path (src/crypto/merkle.ts) up to the offer's root. It is
 * inside the encryption because its hashes are of plaintext chunks: in the clear they would let a
 * relay or TURN server test whether a transfer is a file it knows. The 0x00 before the chunk is
 * RFC 9162's leaf prefix, so the receiver hashes the leaf where it lies, with no copy. What a relay
 * sees is the file id (random, one per file), the index and the sizes.
 *
 * Encryption is AES-256-GCM (aead.ts) with
 *   nonce = 8 zero bytes ‖ u32 index
 *   AD    = utf8("SecMsg/0.1 file chunk") ‖ fileId ‖ u32 index ‖ u32 count
 * so a chunk cannot be moved to another file, another place or a file of another length. Sealing is
 * deterministic: one key is used for one file only, and a chunk sent again (after a resume, on
 * another route) reuses its nonce with the same plaintext (the same proof, the same bytes), which
 * gives the same bytes and reveals nothing. A sender must therefore never seal different bytes
 * under one key and index: a file that changed on disk needs a new offer with a new key.
 */
import { AES_GCM_TAG_LENGTH, AeadKey } from '../crypto/aead';
import { bufferView, concatBytes, utf8 } from '../crypto/bytes';
import { CryptoError } from '../crypto/errors';
import { MERKLE_HASH_BYTES, MERKLE_LEAF_PREFIX } from '../crypto/merkle';
import { ProtocolError } from './errors';
import { MAX_CHUNK_BYTES } from './file-records';
import { MESSAGE_ID_LENGTH } from './record-limits';
import { PROLOGUE_LABEL } from './version';

/** Longer than any path in a tree of up to 2^40 leaves. */
export const MAX_CHUNK_PROOF_HASHES = 40;
const HEAD = MESSAGE_ID_LENGTH + 4; // fileId ‖ index
const CHUNK_AD_LABEL = utf8(`${PROLOGUE_LABEL} file chunk`);
const MAX_U32 = 0xffffffff;

/** A FILE_CHUNK frame's payload: which file and chunk, and the chunk sealed with its proof. */
export interface ChunkFrame {
  fileId: Uint8Array;
  index: number;
  sealed: Uint8Array;
}

function argument(message: string): ProtocolError {
  return new ProtocolError('BAD_ARGUMENT', message);
}
const isU32 = (n: unknown): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= MAX_U32;

export function encodeChunkFrame(f: ChunkFrame): Uint8Array<ArrayBuffer> {
  const [head, sealed] = chunkFrameParts(f);
  const out = new Uint8Array(HEAD + sealed.length);
  out.set(head, 0);
  out.set(sealed, HEAD);
  return out;
}

/**
 * {@link encodeChunkFrame}'s bytes as two parts, fileId ‖ index and the sealed chunk, for a sender
 * that copies them into its frame once (FrameProtector.seal) rather than joining them first.
 */
export function chunkFrameParts(f: ChunkFrame): [Uint8Array<ArrayBuffer>, Uint8Array] {
  if (!(f.fileId instanceof Uint8Array) || f.fileId.length !== MESSAGE_ID_LENGTH) {
    throw argument(`fileId must be ${MESSAGE_ID_LENGTH} bytes.`);
  }
  if (!isU32(f.index)) throw argument('index must be a whole number below 2^32.');
  if (!(f.sealed instanceof Uint8Array) || f.sealed.length <= AES_GCM_TAG_LENGTH) {
    throw argument(`sealed must be longer than its ${AES_GCM_TAG_LENGTH}-byte tag.`);
  }
  const head = new Uint8Array(HEAD);
  head.set(f.fileId, 0);
  new DataView(head.buffer).setUint32(MESSAGE_ID_LENGTH, f.index);
  return [head, f.sealed];
}

/**
 * The parts of a FILE_CHUNK frame's payload. `sealed` is a view into `bytes` (no copy of the
 * chunk), the file id a copy. Refuses a bad structure with BAD_RECORD; whether the chunk is
 * genuine is for {@link openChunk} and the Merkle proof to say.
 */
export function decodeChunkFrame(bytes: Uint8Array): ChunkFrame {
  if (!(bytes instanceof Uint8Array) || bytes.length <= HEAD + AES_GCM_TAG_LENGTH) {
    throw new ProtocolError('BAD_RECORD', 'A file chunk arrived cut short.');
  }
  const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MESSAGE_ID_LENGTH);
  return { fileId: bytes.slice(0, MESSAGE_ID_LENGTH), index, sealed: bytes.subarray(HEAD) };
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

/**
 * Chunk `index` of a file of `count` chunks with its Merkle proof, sealed: the ciphertext of
 * k ‖ proof ‖ 0x00 ‖ chunk, then the 16-byte tag. Deterministic.
 *
 * `scratch`, when given, is where the plaintext is built instead of a new buffer (its first
 * {@link chunkPlaintextLength} bytes); the caller must not touch it until the returned promise
 * settles (WebCrypto copies its input when called, but not every implementation promises that).
 * A `chunk` that already lies in `scratch` where the plaintext puts it (after k ‖ proof ‖ 0x00, a
 * sender that read it there) is used where it is.
 */
export async function sealChunk(
  key: FileKey,
  fileId: Uint8Array,
  index: number,
  count: number,
  proof: readonly Uint8Array[],
  chunk: Uint8Array,
  scratch?: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const [nonce, ad] = nonceAndAd(fileId, index, count);
  const hashes: readonly Uint8Array[] = proof;
  if (!Array.isArray(hashes) || hashes.length > MAX_CHUNK_PROOF_HASHES) {
    throw argument(`proof must be a list of at most ${MAX_CHUNK_PROOF_HASHES} hashes.`);
  }
  proof.forEach((p, i) => {
    if (!(p instanceof Uint8Array) || p.length !== MERKLE_HASH_BYTES) {
      throw argument(`proof[${i}] must be ${MERKLE_HASH_BYTES} bytes.`);
    }
  });
  if (!(chunk instanceof Uint8Array) || chunk.length < 1 || chunk.length > MAX_CHUNK_BYTES) {
    throw argument(`A chunk must be 1 byte to ${MAX_CHUNK_BYTES / 1024} KiB long.`);
  }
  const at = 1 + proof.length * MERKLE_HASH_BYTES;
  const length = chunkPlaintextLength(proof.length, chunk.length);
  if (scratch !== undefined && (!(scratch instanceof Uint8Array) || scratch.length < length)) {
    throw argument(`scratch must be at least ${length} bytes for this chunk.`);
  }
  const plaintext = scratch ? scratch.subarray(0, length) : new Uint8Array(length);
  plaintext[0] = proof.length;
  proof.forEach((p, i) => plaintext.set(p, 1 + i * MERKLE_HASH_BYTES));
  plaintext[at] = MERKLE_LEAF_PREFIX;
  // A chunk the caller read straight into its place in `scratch` is not copied onto itself.
  const inPlace = chunk.buffer === plaintext.buffer && chunk.byteOffset === plaintext.byteOffset + at + 1;
  if (!inPlace) plaintext.set(chunk, at + 1);
  return key.encrypt(nonce, plaintext, ad);
}

/** The length of k ‖ proof ‖ 0x00 ‖ chunk, what {@link sealChunk} encrypts. */
export function chunkPlaintextLength(proofHashes: number, chunkBytes: number): number {
  return 1 + proofHashes * MERKLE_HASH_BYTES + 1 + chunkBytes;
}

/** What {@link openChunk} found inside a sealed chunk: views into one decrypted buffer. */
export interface OpenedChunk {
  proof: Uint8Array[];
  chunk: Uint8Array<ArrayBuffer>;
  /** 0x00 ‖ chunk: the Merkle leaf's input, in place (crypto/merkle.ts merkleLeafHashPrefixed). */
  leafInput: Uint8Array<ArrayBuffer>;
}

/**
 * Opens what {@link sealChunk} made for the same file id, index and count; any other bytes, or the
 * same under another id, index, count or key, throw ProtocolError('DECRYPT_FAILED'). Bytes that
 * decrypt but are not k ‖ proof ‖ 0x00 ‖ chunk (the key holder made them) throw BAD_RECORD.
 */
export async function openChunk(
  key: FileKey,
  fileId: Uint8Array,
  index: number,
  count: number,
  sealed: Uint8Array,
): Promise<OpenedChunk> {
  const [nonce, ad] = nonceAndAd(fileId, index, count);
  if (!(sealed instanceof Uint8Array)) throw argument('sealed must be a Uint8Array.');
  let plaintext: Uint8Array<ArrayBuffer>;
  try {
    plaintext = await key.decrypt(nonce, bufferView(sealed), ad);
  } catch (cause) {
    if (CryptoError.is(cause, 'DECRYPT_FAILED')) {
      throw new ProtocolError('DECRYPT_FAILED', 'A file chunk could not be decrypted.', { cause });
    }
    throw cause;
  }
  const k = plaintext[0] ?? MAX_CHUNK_PROOF_HASHES + 1;
  const at = 1 + k * MERKLE_HASH_BYTES;
  if (k > MAX_CHUNK_PROOF_HASHES || plaintext.length < at + 2 || plaintext[at] !== MERKLE_LEAF_PREFIX) {
    throw new ProtocolError('BAD_RECORD', 'A file chunk was not made as the protocol says.');
  }
  const proof: Uint8Array[] = [];
  for (let i = 0; i < k; i++) {
    proof.push(plaintext.subarray(1 + i * MERKLE_HASH_BYTES, 1 + (i + 1) * MERKLE_HASH_BYTES));
  }
  return { proof, chunk: plaintext.subarray(at + 1), leafInput: plaintext.subarray(at) };
}
