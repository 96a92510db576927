/**
 * The Merkle tree hash against the certificate-transparency reference tree
 * (test-vectors/merkle-rfc6962-sha256.json, see SOURCES.md), against a direct recursive
 * implementation of RFC 9162 §2.1.1 MTH and §2.1.3.1 PATH for every size 1 … 70 and every leaf,
 * and the property that any flipped bit of a leaf, a proof or a root fails verification; the
 * verifier that remembers proven nodes (createMerkleVerifier) against verifyMerkleProof.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VectorFormatError, array, integer, object, string } from '../../test-vectors/load';
import vectorJson from '../../test-vectors/merkle-rfc6962-sha256.json';
import { concatBytes } from './bytes';
import { CryptoError } from './errors';
import {
  MERKLE_HASH_BYTES,
  buildMerkleTree,
  createMerkleVerifier,
  merkleLeafHash,
  merkleLeafHashPrefixed,
  merkleNodeHash,
  merkleRoot,
  verifyMerkleProof,
} from './merkle';

// --- the vectors, read with the typed checks of test-vectors/load.ts ------------------------------

function hexOf(value: unknown, at: string): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-f]*$/.test(value)) {
    throw new VectorFormatError(`${at} must be an even number of lowercase hex digits.`);
  }
  return Uint8Array.from({ length: value.length / 2 }, (_, i) =>
    Number.parseInt(value.slice(2 * i, 2 * i + 2), 16),
  );
}
const hexList = (o: object, key: string): Uint8Array[] =>
  array(o, key, 'vectors').map((v, i) => hexOf(v, `vectors.${key}[${i}]`));

const vectors = object(vectorJson, 'vectors');
string(vectors, 'name', 'vectors');
const leafInputs = hexList(vectors, 'leafInputs');
const roots = hexList(vectors, 'roots');
const nodeHashes = array(vectors, 'nodeHashes', 'vectors').map((level, l) => {
  if (!Array.isArray(level)) throw new VectorFormatError(`vectors.nodeHashes[${l}] must be an array.`);
  return level.map((v: unknown, i) => hexOf(v, `vectors.nodeHashes[${l}][${i}]`));
});
const inclusionProofs = array(vectors, 'inclusionProofs', 'vectors').map((v, i) => {
  const at = `vectors.inclusionProofs[${i}]`;
  const o = object(v, at);
  return { leaf: integer(o, 'leaf', at), size: integer(o, 'size', at), proof: hexList(o, 'proof') };
});

// --- RFC 9162 §2.1.1 and §2.1.3.1 written out recursively, over noble's SHA-256 directly -------

const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(concatBytes(Uint8Array.of(1), l, r));
/** The largest power of two smaller than n (n > 1). */
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));
function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 1) return d[0]!;
  const k = split(d.length);
  return node(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = split(d.length);
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}

/** Distinct leaf hashes, made without the code under test. */
const leafHashes = (n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(0, i >> 8, i & 0xff)));

const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

describe('the certificate-transparency reference tree', () => {
  it('has 8 leaves and their roots', () => {
    expect(leafInputs).toHaveLength(8);
    expect(roots).toHaveLength(8);
    expect(nodeHashes.map((l) => l.length)).toEqual([8, 4, 2, 1]);
    expect(inclusionProofs).toHaveLength(5);
  });

  it('leaf hashes', async () => {
    for (const [i, input] of leafInputs.entries()) {
      expect(await merkleLeafHash(input)).toEqual(nodeHashes[0]![i]);
    }
  });

  it('the root of the first k leaves, k = 1 … 8', () => {
    for (let k = 1; k <= 8; k++) {
      expect(merkleRoot(nodeHashes[0]!.slice(0, k))).toEqual(roots[k - 1]);
      expect(buildMerkleTree(nodeHashes[0]!.slice(0, k)).root).toEqual(roots[k - 1]);
    }
  });

  it('node hashes of the complete subtrees', () => {
    for (let l = 1; l < nodeHashes.length; l++) {
      nodeHashes[l]!.forEach((h, i) => {
        expect(merkleNodeHash(nodeHashes[l - 1]![2 * i]!, nodeHashes[l - 1]![2 * i + 1]!)).toEqual(h);
      });
    }
  });

  it.each(inclusionProofs)(
    'audit path of leaf $leaf (1-based) in a tree of $size',
    ({ leaf, size, proof }) => {
      const leaves = nodeHashes[0]!.slice(0, size);
      const root = roots[size - 1]!;
      const leafHash = leaves[leaf - 1]!;
      expect(buildMerkleTree(leaves).proof(leaf - 1)).toEqual(proof);
      expect(verifyMerkleProof(root, leaf - 1, size, leafHash, proof)).toBe(true);
      // The corruptions of transparency-dev/merkle's verifierCheck.
      const someHash = new Uint8Array(MERKLE_HASH_BYTES).fill(0xab);
      const wrong: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
        [leaf - 2, size, root, leafHash, proof],
        [leaf, size, root, leafHash, proof],
        [(leaf - 1) ^ 2, size, root, leafHash, proof],
        [leaf - 1, size * 2, root, leafHash, proof],
        [leaf - 1, Math.floor(size / 2), root, leafHash, proof],
        [leaf - 1, size, root, someHash, proof],
        [leaf - 1, size, someHash, leafHash, proof],
        [leaf - 1, size, root, leafHash, [...proof, new Uint8Array(0)]],
        [leaf - 1, size, root, leafHash, [...proof, root]],
        [leaf - 1, size, root, leafHash, [new Uint8Array(0), ...proof]],
        [leaf - 1, size, root, leafHash, [root, ...proof]],
        ...proof.map((_, i): [number, number, Uint8Array, Uint8Array, Uint8Array[]] => [
          leaf - 1,
          size,
          root,
          leafHash,
          proof.map((p, j) => (i === j ? flipBit(p, 3) : p)),
        ]),
      ];
      if (proof.length > 0) wrong.push([leaf - 1, size, root, leafHash, proof.slice(0, -1)]);
      if (proof.length > 1)
        wrong.push([leaf - 1, size, root, leafHash, [proof[0]!, someHash, ...proof.slice(1)]]);
      for (const [index, count, r, h, p] of wrong) {
        expect(verifyMerkleProof(r, index, count, h, p), `${index}/${count}`).toBe(false);
      }
    },
  );
});

describe('against RFC 9162 MTH and PATH written recursively', () => {
  it('every size 1 … 70, every leaf: the same root and path, and the path verifies', () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = leafHashes(n);
      const tree = buildMerkleTree(leaves);
      const root = mth(leaves);
      expect(tree.count).toBe(n);
      expect(tree.root).toEqual(root);
      for (let m = 0; m < n; m++) {
        const proof = tree.proof(m);
        expect(proof).toEqual(path(m, leaves));
        expect(verifyMerkleProof(root, m, n, leaves[m]!, proof)).toBe(true);
        if (n > 1) expect(verifyMerkleProof(root, m, n, leaves[(m + 1) % n]!, proof)).toBe(false);
      }
    }
  });

  it('a proof is no longer than ⌈log2 n⌉', () => {
    const tree = buildMerkleTree(leafHashes(1000));
    for (const m of [0, 1, 511, 512, 999]) expect(tree.proof(m).length).toBeLessThanOrEqual(10);
  });
});

describe('any flipped bit fails', () => {
  const cases = fc
    .integer({ min: 1, max: 150 })
    .chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(MERKLE_HASH_BYTES * 8 - 1)));

  it('in the leaf hash', () => {
    fc.assert(
      fc.property(cases, ([n, m, bit]) => {
        const leaves = leafHashes(n);
        const tree = buildMerkleTree(leaves);
        expect(verifyMerkleProof(tree.root, m, n, flipBit(leaves[m]!, bit), tree.proof(m))).toBe(false);
      }),
    );
  });

  it('in the root', () => {
    fc.assert(
      fc.property(cases, ([n, m, bit]) => {
        const leaves = leafHashes(n);
        const tree = buildMerkleTree(leaves);
        expect(verifyMerkleProof(flipBit(tree.root, bit), m, n, leaves[m]!, tree.proof(m))).toBe(false);
      }),
    );
  });

  it('in any hash of the proof', () => {
    fc.assert(
      fc.property(
        cases.filter(([n]) => n > 1),
        fc.nat(),
        ([n, m, bit], which) => {
          const leaves = leafHashes(n);
          const tree = buildMerkleTree(leaves);
          const proof = tree.proof(m);
          const at = which % proof.length;
          proof[at] = flipBit(proof[at]!, bit);
          expect(verifyMerkleProof(tree.root, m, n, leaves[m]!, proof)).toBe(false);
        },
      ),
    );
  });
});

describe('verifyMerkleProof refuses malformed input without throwing', () => {
  const leaves = leafHashes(5);
  const tree = buildMerkleTree(leaves);
  const proof = tree.proof(2);
  const ok = (
    root: unknown = tree.root,
    index: unknown = 2,
    count: unknown = 5,
    leaf: unknown = leaves[2],
    p: unknown = proof,
  ): boolean =>
    verifyMerkleProof(
      root as Uint8Array,
      index as number,
      count as number,
      leaf as Uint8Array,
      p as Uint8Array[],
    );

  it('the valid case it starts from', () => {
    expect(ok()).toBe(true);
  });

  it.each([
    ['a short root', { root: tree.root.subarray(1) }],
    ['a long root', { root: concatBytes(tree.root, Uint8Array.of(0)) }],
    ['a root that is not bytes', { root: Array.from(tree.root) }],
    ['a short leaf hash', { leaf: leaves[2]!.subarray(1) }],
    ['an index equal to the count', { index: 5 }],
    ['an index past the count', { index: 9 }],
    ['a negative index', { index: -1 }],
    ['a fractional index', { index: 1.5 }],
    ['a count of 0', { count: 0, index: 0 }],
    ['a count that is not a number', { count: '5' }],
    ['a NaN count', { count: NaN }],
    ['a proof element of 31 bytes', { p: [proof[0]!.subarray(1), ...proof.slice(1)] }],
    ['a proof element that is not bytes', { p: [Array.from(proof[0]!), ...proof.slice(1)] }],
    ['a proof one hash too long', { p: [...proof, proof[0]] }],
    ['a proof one hash too short', { p: proof.slice(1) }],
    ['an empty proof', { p: [] }],
    ['a proof that is not an array', { p: proof[0] }],
  ])('%s', (_, bad: { root?: unknown; index?: unknown; count?: unknown; leaf?: unknown; p?: unknown }) => {
    const args = { root: tree.root, index: 2, count: 5, leaf: leaves[2], p: proof, ...bad };
    expect(ok(args.root, args.index, args.count, args.leaf, args.p)).toBe(false);
  });

  it('a one-leaf tree: its root is the leaf hash and the proof is empty', () => {
    const one = buildMerkleTree(leaves.slice(0, 1));
    expect(one.root).toEqual(leaves[0]);
    expect(one.proof(0)).toEqual([]);
    expect(verifyMerkleProof(one.root, 0, 1, leaves[0]!, [])).toBe(true);
    expect(verifyMerkleProof(one.root, 0, 1, leaves[0]!, [leaves[1]!])).toBe(false);
  });
});

describe('argument checks', () => {
  const isBadArgument = (f: () => unknown): void => {
    expect(f).toThrow(CryptoError);
    try {
      f();
    } catch (e) {
      expect(CryptoError.is(e, 'BAD_ARGUMENT')).toBe(true);
    }
  };

  it('a tree needs at least one leaf hash of 32 bytes', () => {
    isBadArgument(() => buildMerkleTree([]));
    isBadArgument(() => buildMerkleTree([new Uint8Array(31)]));
    isBadArgument(() => merkleRoot([new Uint8Array(32), new Uint8Array(33)]));
  });

  it('proof() takes a leaf index of the tree', () => {
    const tree = buildMerkleTree(leafHashes(3));
    isBadArgument(() => tree.proof(3));
    isBadArgument(() => tree.proof(-1));
    isBadArgument(() => tree.proof(0.5));
  });

  it('merkleNodeHash takes two 32-byte hashes', () => {
    isBadArgument(() => merkleNodeHash(new Uint8Array(32), new Uint8Array(0)));
    isBadArgument(() => merkleNodeHash(new Uint8Array(16), new Uint8Array(32)));
  });

  it('merkleLeafHash hashes 0x00 ‖ a 64 KiB chunk', async () => {
    const chunk = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) & 0xff);
    expect(await merkleLeafHash(chunk)).toEqual(sha256(concatBytes(Uint8Array.of(0), chunk)));
    await expect(merkleLeafHash('x' as unknown as Uint8Array)).rejects.toThrow(CryptoError);
  });

  it('the tree keeps its own copy of the leaves and hands out copies', () => {
    const leaves = leafHashes(4);
    const tree = buildMerkleTree(leaves);
    const root = tree.root.slice();
    leaves[0]!.fill(0);
    tree.proof(1)[0]!.fill(0);
    expect(tree.root).toEqual(root);
    expect(tree.proof(1)[0]).toEqual(leafHashes(1)[0]);
  });
});

describe('merkleLeafHashPrefixed', () => {
  it('is the leaf hash of what follows the 0x00, and refuses anything else', async () => {
    const chunk = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 13) & 0xff);
    const prefixed = new Uint8Array(chunk.length + 1);
    prefixed.set(chunk, 1);
    expect(await merkleLeafHashPrefixed(prefixed)).toEqual(await merkleLeafHash(chunk));
    const bad = prefixed.slice();
    bad[0] = 1;
    await expect(merkleLeafHashPrefixed(bad)).rejects.toSatisfy((e) => CryptoError.is(e, 'BAD_ARGUMENT'));
    await expect(merkleLeafHashPrefixed(Uint8Array.of(0))).rejects.toSatisfy((e) =>
      CryptoError.is(e, 'BAD_ARGUMENT'),
    );
  });
});

describe('createMerkleVerifier: paths checked against the nodes proven before', () => {
  it('every size 1 … 70, leaves in order, backwards and shuffled: every path accepted, every wrong leaf refused', () => {
    for (let n = 1; n <= 70; n++) {
      const leaves = leafHashes(n);
      const tree = buildMerkleTree(leaves);
      const forwards = [...Array(n).keys()];
      const shuffled = [...forwards].sort((a, b) => ((a * 7919) % 101) - ((b * 7919) % 101));
      for (const order of [forwards, [...forwards].reverse(), shuffled]) {
        const verifier = createMerkleVerifier(tree.root, n);
        for (const m of order) {
          if (n > 1) expect(verifier.verify(m, leaves[(m + 1) % n]!, tree.proof(m)), `${m}/${n}`).toBe(false);
          expect(verifier.verify(m, leaves[m]!, tree.proof(m)), `${m}/${n}`).toBe(true);
        }
      }
    }
  });

  it('in order, about two node hashes a leaf instead of ⌈log2 n⌉', () => {
    const n = 4096;
    const leaves = leafHashes(n);
    const tree = buildMerkleTree(leaves);
    const verifier = createMerkleVerifier(tree.root, n);
    for (let m = 0; m < n; m++) expect(verifier.verify(m, leaves[m]!, tree.proof(m))).toBe(true);
    // Leaf m hashes up to the level where m and m − 1 part: 1 + trailing zeros of m, 2n in all.
    expect(verifier.nodeHashes).toBeLessThanOrEqual(2 * n + 12);
  });

  it('any flipped bit of the leaf or of a proof hash below the first proven node is refused, and leaves nothing remembered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 150 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        fc.nat(MERKLE_HASH_BYTES * 8 - 1),
        fc.boolean(),
        ([n, m], bit, inLeaf) => {
          const leaves = leafHashes(n);
          const tree = buildMerkleTree(leaves);
          const verifier = createMerkleVerifier(tree.root, n);
          // The leaf before m proven first: m's path meets it where the two paths join.
          if (m > 0) expect(verifier.verify(m - 1, leaves[m - 1]!, tree.proof(m - 1))).toBe(true);
          const proof = tree.proof(m);
          const leaf = inLeaf ? flipBit(leaves[m]!, bit) : leaves[m]!;
          // The sibling at the leaf's level is below any node proven so far.
          if (!inLeaf) proof[0] = flipBit(proof[0]!, bit);
          expect(verifier.verify(m, leaf, proof)).toBe(false);
          // Nothing of the refused path was remembered: the right one still passes, wrong ones still fail.
          expect(verifier.verify(m, leaves[m]!, tree.proof(m))).toBe(true);
          expect(verifier.verify(m, leaf, proof)).toBe(false);
        },
      ),
    );
  });

  it('a path that reaches a proven node with a different hash there is refused', () => {
    const leaves = leafHashes(8);
    const tree = buildMerkleTree(leaves);
    const verifier = createMerkleVerifier(tree.root, 8);
    expect(verifier.verify(0, leaves[0]!, tree.proof(0))).toBe(true);
    // Leaf 1's path reaches the node over leaves 0–1 at once, which leaf 0 proved.
    const otherLeaf = leafHashes(9)[8]!;
    expect(verifier.verify(1, otherLeaf, tree.proof(1))).toBe(false);
  });

  it('checks the shape of the whole path even after it meets a proven node', () => {
    const leaves = leafHashes(5);
    const tree = buildMerkleTree(leaves);
    const verifier = createMerkleVerifier(tree.root, 5);
    expect(verifier.verify(0, leaves[0]!, tree.proof(0))).toBe(true);
    const proof = tree.proof(1);
    expect(verifier.verify(1, leaves[1]!, [...proof, proof[0]!])).toBe(false); // one too long
    expect(verifier.verify(1, leaves[1]!, proof.slice(0, -1))).toBe(false); // one too short
    expect(verifier.verify(1, leaves[1]!, [proof[0]!, proof[1]!.subarray(1), ...proof.slice(2)])).toBe(false);
    expect(verifier.verify(5, leaves[1]!, proof)).toBe(false);
    expect(verifier.verify(1, leaves[1]!.subarray(1), proof)).toBe(false);
    expect(verifier.verify(1, leaves[1]!, proof)).toBe(true);
  });

  it('accepts a path whose siblings above a proven node are wrong: the leaf is proven all the same', () => {
    const leaves = leafHashes(8);
    const tree = buildMerkleTree(leaves);
    const verifier = createMerkleVerifier(tree.root, 8);
    expect(verifier.verify(0, leaves[0]!, tree.proof(0))).toBe(true);
    const proof = tree.proof(1);
    proof[2] = flipBit(proof[2]!, 0);
    expect(verifyMerkleProof(tree.root, 1, 8, leaves[1]!, proof)).toBe(false);
    expect(verifier.verify(1, leaves[1]!, proof)).toBe(true);
  });

  it('a one-leaf tree, and its arguments', () => {
    const [leaf] = leafHashes(1);
    expect(createMerkleVerifier(leaf!, 1).verify(0, leaf!, [])).toBe(true);
    expect(createMerkleVerifier(leaf!, 1).verify(0, flipBit(leaf!, 3), [])).toBe(false);
    expect(() => createMerkleVerifier(leaf!.subarray(1), 1)).toThrow(CryptoError);
    expect(() => createMerkleVerifier(leaf!, 0)).toThrow(CryptoError);
    expect(() => createMerkleVerifier(leaf!, 1.5)).toThrow(CryptoError);
  });
});
