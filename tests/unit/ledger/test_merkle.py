"""The Merkle core against known answers, the transparency-dev corpus and a naive RFC 6962."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from custos.ledger import verifier
from custos.ledger.merkle import MemoryTree, NodeId, leaf_hash, node_hash

REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
KNOWN_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


# --- A naive RFC 6962 section 2.1, written straight from the text. ----------


def naive_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return naive_path(m, leaves[:k]) + [naive_mth(leaves[k:])]
    return naive_path(m - k, leaves[k:]) + [naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [naive_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return naive_subproof(m, leaves[:k], b) + [naive_mth(leaves[k:])]
    return naive_subproof(m - k, leaves[k:], False) + [naive_mth(leaves[:k])]


def leaves_for(n: int) -> list[bytes]:
    return [b"leaf-%d" % i for i in range(n)]


class TestKnownAnswers:
    def test_roots_for_sizes_0_to_8(self) -> None:
        """The root over the reference leaves equals the published value at every size 0-8."""
        tree = MemoryTree()
        assert tree.root(0).hex() == KNOWN_ROOTS[0]
        for size, leaf in enumerate(REFERENCE_LEAVES, start=1):
            tree.append(leaf)
            assert tree.root().hex() == KNOWN_ROOTS[size]
        for size in range(9):
            assert tree.root(size).hex() == KNOWN_ROOTS[size]

    def test_reference_tree_file_agrees(self, vectors_dir: Path) -> None:
        """The vendored reference-tree.json holds the same roots and node hashes."""
        ref = json.loads((vectors_dir / "merkle" / "reference-tree.json").read_text())
        assert ref["root_hash_by_size_hex"] == KNOWN_ROOTS
        tree = MemoryTree(REFERENCE_LEAVES)
        for level, hashes in enumerate(ref["node_hashes_by_level_hex"]):
            for index, expected in enumerate(hashes):
                assert tree.lookup([NodeId(level, index)])[NodeId(level, index)].hex() == expected


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _vector_files(vectors_dir: Path, kind: str) -> list[Path]:
    files = sorted((vectors_dir / "merkle" / "testdata" / kind).rglob("*.json"))
    assert len(files) == 98, f"expected 98 {kind} vectors, found {len(files)}"
    return files


def _verify_vector(kind: str, case: dict[str, Any]) -> bool:
    proof = [_b64(h) for h in (case["proof"] or [])]
    try:
        if kind == "inclusion":
            verifier.verify_inclusion(
                case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), proof, _b64(case["root"])
            )
        else:
            verifier.verify_consistency(
                case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"])
            )
    except verifier.VerificationError:
        return False
    return True


@pytest.mark.parametrize("kind", ["inclusion", "consistency"])
def test_transparency_dev_corpus(vectors_dir: Path, kind: str) -> None:
    """Every happy path verifies and every mutation (wantErr) is rejected."""
    wrong = []
    for path in _vector_files(vectors_dir, kind):
        case = json.loads(path.read_text())
        if _verify_vector(kind, case) == case["wantErr"]:
            wrong.append(str(path.relative_to(vectors_dir)))
    assert wrong == []


@pytest.mark.parametrize("kind", ["inclusion", "consistency"])
def test_corpus_happy_paths_are_what_we_generate(vectors_dir: Path, kind: str) -> None:
    """Our generator produces exactly the proofs in the numbered happy-path files."""
    for number in range(5):
        case = json.loads(
            (vectors_dir / "merkle" / "testdata" / kind / str(number) / "happy-path.json").read_text()
        )
        proof = [_b64(h) for h in (case["proof"] or [])]
        if kind == "inclusion":
            tree = MemoryTree(REFERENCE_LEAVES[: case["treeSize"]])
            assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == proof
            assert tree.root() == _b64(case["root"])
        else:
            tree = MemoryTree(REFERENCE_LEAVES[: case["size2"]])
            assert tree.consistency_proof(case["size1"], case["size2"]) == proof


class TestDifferential:
    def test_roots_match_naive_up_to_300(self) -> None:
        """Roots equal the naive MTH for every size 0-300."""
        leaves = leaves_for(300)
        tree = MemoryTree()
        assert tree.root(0) == naive_mth([])
        for n in range(1, 301):
            tree.append(leaves[n - 1])
            assert tree.root() == naive_mth(leaves[:n]), n

    def test_all_inclusion_proofs_up_to_128(self) -> None:
        """Every (index, size) with size <= 128 matches PATH and verifies, within ceil(log2 n)."""
        leaves = leaves_for(128)
        tree = MemoryTree(leaves)
        for n in range(1, 129):
            root = tree.root(n)
            for m in range(n):
                proof = tree.inclusion_proof(m, n)
                assert proof == naive_path(m, leaves[:n]), (m, n)
                assert len(proof) <= math.ceil(math.log2(n)) if n > 1 else proof == []
                verifier.verify_inclusion(m, n, leaf_hash(leaves[m]), proof, root)

    def test_all_consistency_proofs_up_to_64(self) -> None:
        """Every (m, n) with n <= 64 matches SUBPROOF and verifies, within ceil(log2 n) + 1."""
        leaves = leaves_for(64)
        tree = MemoryTree(leaves)
        for n in range(1, 65):
            for m in range(1, n + 1):
                proof = tree.consistency_proof(m, n)
                assert proof == naive_subproof(m, leaves[:n], True), (m, n)
                assert len(proof) <= math.ceil(math.log2(n)) + 1
                verifier.verify_consistency(m, n, proof, tree.root(m), tree.root(n))


class TestPitfalls:
    def test_second_preimage_two_leaves_vs_concatenated_hashes(self) -> None:
        """Two leaves and one leaf holding their concatenated hashes give different roots."""
        a, b = b"a", b"b"
        two = MemoryTree([a, b]).root()
        forged = MemoryTree([leaf_hash(a) + leaf_hash(b)]).root()
        assert two != forged
        assert two == node_hash(leaf_hash(a), leaf_hash(b))

    def test_interior_node_presented_as_leaf_fails(self) -> None:
        """An inclusion 'proof' that treats an interior node as a leaf does not verify."""
        tree = MemoryTree(leaves_for(4))
        interior = node_hash(leaf_hash(b"leaf-0"), leaf_hash(b"leaf-1"))
        with pytest.raises(verifier.VerificationError):
            verifier.verify_inclusion(0, 2, interior, [tree.root(4)[:0] or interior], tree.root(4))
        with pytest.raises(verifier.VerificationError):
            verifier.verify_inclusion(0, 4, leaf_hash(interior), tree.inclusion_proof(0, 4)[1:], tree.root(4))

    def test_duplicated_last_leaf_changes_root(self) -> None:
        """root(D) != root(D + [D[-1]]) and roots at sizes 1-1000 are all distinct."""
        leaves = leaves_for(1000)
        tree = MemoryTree()
        seen = set()
        for n, leaf in enumerate(leaves, start=1):
            tree.append(leaf)
            seen.add(tree.root())
            assert len(seen) == n
        for n in (1, 2, 3, 5, 6, 7, 100):
            assert MemoryTree(leaves[:n]).root() != MemoryTree(leaves[:n] + [leaves[n - 1]]).root()

    def test_c2sp_seven_entry_example_shape(self) -> None:
        """The 7-entry example of C2SP merkle-tree.md has exactly the documented proofs.

        Naming as there: leaves a-g, h=H(a,b), i=H(c,d), j=H(e,f), k=H(h,i), l=H(j,g).
        """
        tree = MemoryTree(leaves_for(7))
        a, b, c, d, e, f, g = (leaf_hash(leaf) for leaf in leaves_for(7))
        h, i, j = node_hash(a, b), node_hash(c, d), node_hash(e, f)
        k, l = node_hash(h, i), node_hash(j, g)  # noqa: E741 - the spec's own letter
        assert tree.inclusion_proof(0, 7) == [b, i, l]
        assert tree.inclusion_proof(3, 7) == [c, h, l]
        assert tree.inclusion_proof(4, 7) == [f, g, k]
        assert tree.inclusion_proof(6, 7) == [j, k]
        assert tree.consistency_proof(3, 7) == [c, d, h, l]
        assert tree.consistency_proof(4, 7) == [l]
        assert tree.consistency_proof(6, 7) == [j, g, k]
