/**
 * Merkle tree hash over SHA-256 as in RFC 9162 §2.1 (the same tree as RFC 6962 §2.1), used to
 * commit a file offer to all its chunks with one 32-byte root and to check each chunk as it
 * arrives with an audit path of ⌈log2 n⌉ hashes at most.
 *
 *   leaf hash: SHA-256(0x00 ‖ chunk)                    (§2.1.1, MTH of one entry)
 *   node hash: SHA-256(0x01 ‖ left ‖ right)             (§2.1.1, MTH of a split list)
 *
 * A tree is built level by level: pairs are hashed left to right and an odd last node is carried up
 * unchanged. That gives the same root and the same audit paths as §2.1.1's recursive split at the
 * largest power of two below n (the left subtree is always complete), in O(n) and keeping every
 * level, so `proof(i)` (§2.1.3.1 PATH) reads one sibling a level. `verifyMerkleProof` follows
 * §2.1.3.2 step by step. There is no empty tree here: a file has at least one chunk.
 *
 * Leaf hashes of 64 KiB chunks go through WebCrypto (a hand-off to another thread, but far faster
 * than JS at that size); node hashes hash 65 bytes, where @noble/hashes on the calling thread wins.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, constantTimeEqual } from './bytes';
import { CryptoError, assertBytes } from './errors';

export const MERKLE_HASH_BYTES = 32;

/** RFC 9162 §2.1.1: the byte a leaf's input begins with (a node's is 0x01). */
export const MERKLE_LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256(0x00 ‖ chunk), RFC 9162 §2.1.1. */
export async function merkleLeafHash(chunk: Uint8Array): Promise<Uint8Array> {
  assertBytes(chunk, 'chunk');
  return sha256Async(concatBytes(Uint8Array.of(MERKLE_LEAF_PREFIX), chunk));
}

/** SHA-256 with WebCrypto (another thread, no copy into JS). */
async function sha256Async(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

/**
 * The same leaf hash, of a chunk that already sits after a 0x00 byte: `prefixed` is 0x00 ‖ chunk
 * (a view, hashed where it is, with no copy of the chunk). Anything else is a BAD_ARGUMENT.
 */
export async function merkleLeafHashPrefixed(prefixed: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  assertBytes(prefixed, 'prefixed');
  if (prefixed.length < 2 || prefixed[0] !== MERKLE_LEAF_PREFIX) {
    throw new CryptoError('BAD_ARGUMENT', 'prefixed must be the leaf prefix 0x00 followed by the chunk.');
  }
  return sha256Async(prefixed);
}

const nodeInput = new Uint8Array(1 + 2 * MERKLE_HASH_BYTES);
nodeInput[0] = NODE_PREFIX;

/** SHA-256(0x01 ‖ left ‖ right), RFC 9162 §2.1.1. */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertBytes(left, 'left', MERKLE_HASH_BYTES);
  assertBytes(right, 'right', MERKLE_HASH_BYTES);
  // Synchronous, so one scratch buffer serves every call.
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + MERKLE_HASH_BYTES);
  return sha256(nodeInput);
}

export interface MerkleTree {
  /** The number of leaves (≥ 1). */
  readonly count: number;
  readonly root: Uint8Array;
  /** The audit path of leaf `index` (RFC 9162 §2.1.3.1), from the leaf's sibling up. */
  proof(index: number): Uint8Array[];
}

/** Hash `at` of a level stored as one buffer of 32-byte hashes. */
function hashAt(level: Uint8Array, at: number): Uint8Array {
  return level.subarray(at * MERKLE_HASH_BYTES, (at + 1) * MERKLE_HASH_BYTES);
}

/**
 * The tree over `leaves`, which are leaf hashes (from {@link merkleLeafHash}), at least one. Each
 * level is kept as one buffer, 2n hashes in all: 64 bytes a chunk.
 */
export function buildMerkleTree(leaves: readonly Uint8Array[]): MerkleTree {
  if (!Array.isArray(leaves) || leaves.length < 1) {
    throw new CryptoError('BAD_ARGUMENT', 'leaves must hold at least one leaf hash.');
  }
  const count = leaves.length;
  const first = new Uint8Array(count * MERKLE_HASH_BYTES);
  leaves.forEach((leaf, i) => {
    assertBytes(leaf, `leaves[${i}]`, MERKLE_HASH_BYTES);
    first.set(leaf, i * MERKLE_HASH_BYTES);
  });
  const levels = [first];
  for (let level = first, n = count; n > 1;) {
    const up = Math.ceil(n / 2);
    const next = new Uint8Array(up * MERKLE_HASH_BYTES);
    for (let i = 0; i + 1 < n; i += 2) {
      next.set(merkleNodeHash(hashAt(level, i), hashAt(level, i + 1)), (i / 2) * MERKLE_HASH_BYTES);
    }
    // An odd last node moves up unchanged: it is the right subtree of every split above it
    // until it meets a left sibling (RFC 9162 §2.1.1 with k the largest power of two below n).
    if (n % 2 === 1) next.set(hashAt(level, n - 1), (up - 1) * MERKLE_HASH_BYTES);
    levels.push(next);
    level = next;
    n = up;
  }
  const root = levels[levels.length - 1]!.slice();
  return {
    count,
    root,
    proof(index: number): Uint8Array[] {
      if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
        throw new CryptoError('BAD_ARGUMENT', `index must be a leaf index from 0 to ${count - 1}.`);
      }
      const path: Uint8Array[] = [];
      let i = index;
      for (let l = 0; l < levels.length - 1; l++) {
        const sibling = i ^ 1;
        // A node without a sibling was carried up: that level adds nothing to the path.
        if (sibling * MERKLE_HASH_BYTES < levels[l]!.length) path.push(hashAt(levels[l]!, sibling).slice());
        i = Math.floor(i / 2);
      }
      return path;
    },
  };
}

/** The root over leaf hashes `leaves` (MTH, RFC 9162 §2.1.1). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return buildMerkleTree(leaves).root;
}

/**
 * Whether `proof` shows that `leafHash` is leaf `index` of the `count`-leaf tree with `root`
 * (RFC 9162 §2.1.3.2). False on any malformed input (lengths, an index out of range, a proof too
 * long or too short); it never throws for bad data.
 */
export function verifyMerkleProof(
  root: Uint8Array,
  index: number,
  count: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!(root instanceof Uint8Array) || root.length !== MERKLE_HASH_BYTES) return false;
  if (!Number.isSafeInteger(count) || count < 1) return false;
  // A verifier that has proven nothing yet hashes the whole path up to the root.
  return createMerkleVerifier(root, count).verify(index, leafHash, proof);
}

/**
 * Checks audit paths against one tree (RFC 9162 §2.1.3.2), remembering the nodes of
 * the paths it accepted, one a level: chunks that arrive in order share all but the lowest levels
 * of their paths, so a path is hashed up only until it reaches a node already shown to lead to the
 * root (about two node hashes a chunk instead of ⌈log2 n⌉); the rest of the path is then checked
 * for its shape (lengths and count) only.
 *
 * Node (level s, position j) is the root of leaves [j·2^s, min((j+1)·2^s, n)), which is where the
 * §2.1.3.2 walk stands after s right shifts with fn = j; a node remembered at the same place must be
 * equal, or the path is refused. Every remembered node was on an accepted path, so it is the tree's
 * own (SHA-256 being collision resistant). One consequence: a path whose lower part meets a proven
 * node is accepted even if its upper siblings are wrong; the chunk it proves is proven all the same.
 */
export interface MerkleVerifier {
  verify(index: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): boolean;
  /** Node hashes computed so far (for tests and diagnosis). */
  readonly nodeHashes: number;
}

export function createMerkleVerifier(root: Uint8Array, count: number): MerkleVerifier {
  if (!(root instanceof Uint8Array) || root.length !== MERKLE_HASH_BYTES) {
    throw new CryptoError('BAD_ARGUMENT', 'root must be a 32-byte hash.');
  }
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new CryptoError('BAD_ARGUMENT', 'count must be a positive whole number.');
  }
  const rootCopy = root.slice();
  /** By level: the position and hash of the node last proven there. */
  const proven: ({ at: number; hash: Uint8Array } | undefined)[] = [];
  let nodeHashes = 0;

  return {
    get nodeHashes() {
      return nodeHashes;
    },
    verify(index, leafHash, proof) {
      if (!(leafHash instanceof Uint8Array) || leafHash.length !== MERKLE_HASH_BYTES) return false;
      if (!Array.isArray(proof)) return false;
      // RFC 9162 §2.1.3.2: 1. leaf_index < tree_size; 2. fn = leaf_index, sn = tree_size − 1;
      // 3. r = the leaf hash; 4. for each p in the path: a. sn = 0 means a path too long;
      // b. a right child (or a node carried up): r = HASH(0x01 ‖ p ‖ r), then shift until fn is
      // odd or 0; otherwise r = HASH(0x01 ‖ r ‖ p); c. shift once. 5. sn must end at 0, r the root.
      if (!Number.isSafeInteger(index) || index < 0 || index >= count) return false;
      let fn = index;
      let sn = count - 1;
      let level = 0;
      let r: Uint8Array = leafHash;
      /** Nodes this path computed, to remember once it is accepted. */
      const found: { level: number; at: number; hash: Uint8Array }[] = [];
      /** Set once r equals a proven node: hashing stops, the shape is still checked. */
      let met = false;
      for (const p of proof as readonly unknown[]) {
        if (!(p instanceof Uint8Array) || p.length !== MERKLE_HASH_BYTES) return false;
        if (sn === 0) return false;
        if (fn % 2 === 1 || fn === sn) {
          if (!met) r = merkleNodeHash(p, r);
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
            level++;
          }
        } else if (!met) {
          r = merkleNodeHash(r, p);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
        level++;
        if (met) continue;
        nodeHashes++;
        const known = proven[level];
        if (known?.at === fn) {
          if (!constantTimeEqual(r, known.hash)) return false;
          met = true;
        } else {
          found.push({ level, at: fn, hash: r });
        }
      }
      if (sn !== 0) return false;
      if (!met && !constantTimeEqual(r, rootCopy)) return false;
      for (const n of found) proven[n.level] = { at: n.at, hash: n.hash };
      return true;
    },
  };
}
