"""Proof mutation (spec §6 test 4): every mutated proof or statement is rejected.

A tree of up to 200 leaves, a random statement in it, and one mutation of the
proof (flip a bit, drop, duplicate, reorder, append or prepend a hash) or of
the statement (index, either size, either root, the leaf).  The two tests run
5,000 examples each: 10,000 in total, and a single accepted mutation fails.

A mutation only counts if it makes the claim false.  Each mutated case is
checked against the true tree (MemoryTree): a claim that is still true and
carries the true proof is not a false accept, so such examples are discarded
(with distinct leaves this does not happen in practice).

When a size changes, the root changes with it (the true root at the new size,
as a checkpoint of the same log would state): see
``test_proof_alone_does_not_bind_size_to_a_stale_root`` for why.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from custos.ledger import verifier
from custos.ledger.merkle import MemoryTree
from custos.ledger.verifier import VerificationError, leaf_hash

TREE_SIZE = 256
MAX_SIZE = 200
SEEDS = 4
EXAMPLES_PER_TEST = 5_000

MUTATION_SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Tree:
    """A tree of TREE_SIZE distinct leaves, with its leaf data and leaf hashes."""

    tree: MemoryTree
    leaves: list[bytes]
    hashes: list[bytes]


@functools.cache
def make_tree(seed: int) -> Tree:
    leaves = [hashlib.sha256(f"leaf {seed}/{i}".encode()).digest() for i in range(TREE_SIZE)]
    return Tree(MemoryTree(leaves), leaves, [leaf_hash(leaf) for leaf in leaves])


@functools.cache
def cached_root(seed: int, size: int) -> bytes:
    return make_tree(seed).tree.root(size)


@dataclass(frozen=True)
class Inclusion:
    index: int
    size: int
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes

    def verify(self) -> None:
        verifier.verify_inclusion(self.index, self.size, self.leaf, list(self.proof), self.root)


@dataclass(frozen=True)
class Consistency:
    size1: int
    size2: int
    proof: tuple[bytes, ...]
    root1: bytes
    root2: bytes

    def verify(self) -> None:
        verifier.verify_consistency(self.size1, self.size2, list(self.proof), self.root1, self.root2)


def inclusion_is_true(seed: int, case: Inclusion) -> bool:
    """The claim holds in the true tree and the proof is its true proof."""
    tree = make_tree(seed)
    return (
        0 <= case.index < case.size <= TREE_SIZE
        and case.leaf == tree.hashes[case.index]
        and case.root == cached_root(seed, case.size)
        and list(case.proof) == tree.tree.inclusion_proof(case.index, case.size)
    )


def consistency_is_true(seed: int, case: Consistency) -> bool:
    """The claim holds in the true tree and the proof is its true proof."""
    tree = make_tree(seed)
    return (
        0 < case.size1 <= case.size2 <= TREE_SIZE
        and case.root1 == cached_root(seed, case.size1)
        and case.root2 == cached_root(seed, case.size2)
        and list(case.proof) == tree.tree.consistency_proof(case.size1, case.size2)
    )


def flip_bit(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# --- Proof mutations, shared by both kinds of proof. -------------------------


def proof_mutations(
    proof: tuple[bytes, ...], plausible: list[bytes]
) -> st.SearchStrategy[tuple[str, tuple[bytes, ...]]]:
    """(name, mutated proof) for every mutation that applies to ``proof``."""
    n = len(proof)
    extra = st.one_of(st.binary(min_size=32, max_size=32), st.sampled_from(plausible))
    options: list[st.SearchStrategy[tuple[str, tuple[bytes, ...]]]] = [
        extra.map(lambda h: ("append", (*proof, h))),
        extra.map(lambda h: ("prepend", (h, *proof))),
    ]
    if n:
        positions = st.integers(0, n - 1)
        options += [
            st.tuples(positions, st.integers(0, 255)).map(
                lambda jb: ("flip_bit", (*proof[: jb[0]], flip_bit(proof[jb[0]], jb[1]), *proof[jb[0] + 1 :]))
            ),
            positions.map(lambda j: ("drop", proof[:j] + proof[j + 1 :])),
            st.tuples(positions, st.integers(0, n)).map(
                lambda jk: ("duplicate", (*proof[: jk[1]], proof[jk[0]], *proof[jk[1] :]))
            ),
            st.integers(0, n - 1).map(lambda j: ("truncate", proof[:j])),
            st.sampled_from([1, 2, 31, 33, 64]).flatmap(
                lambda length: positions.map(
                    lambda j: ("resize_hash", (*proof[:j], (proof[j] * 2)[:length], *proof[j + 1 :]))
                )
            ),
        ]
    if n >= 2:
        options.append(
            st.permutations(range(n)).map(
                lambda order: (
                    ("reorder", tuple(proof[i] for i in order))
                    if list(order) != list(range(n))
                    else ("reorder", proof[1:] + proof[:1])
                )
            )
        )
    return st.one_of(options)


def other_root(seed: int, size: int, root: bytes, extra: list[bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    """A root that is not the true root at ``size``: a flipped bit, another size's, another tree's..."""
    return st.one_of(
        st.integers(0, 255).map(lambda bit: ("root_bit", flip_bit(root, bit))),
        st.integers(0, TREE_SIZE)
        .filter(lambda s: s != size)
        .map(lambda s: ("root_other_size", cached_root(seed, s))),
        st.integers(1, SEEDS - 1).map(lambda d: ("root_other_tree", cached_root((seed + d) % SEEDS, size))),
        st.sampled_from([verifier.EMPTY_ROOT, bytes(32), *extra]).map(lambda r: ("root_other_hash", r)),
    ).filter(lambda item: item[1] != root)


# --- Inclusion. --------------------------------------------------------------


@st.composite
def mutated_inclusions(draw: st.DrawFn) -> tuple[int, Inclusion, str, Inclusion]:
    seed = draw(st.integers(0, SEEDS - 1))
    tree = make_tree(seed)
    size = draw(st.integers(1, MAX_SIZE))
    index = draw(st.integers(0, size - 1))
    proof = tuple(tree.tree.inclusion_proof(index, size))
    root = cached_root(seed, size)
    original = Inclusion(index, size, tree.hashes[index], proof, root)
    plausible = [*proof, root, tree.hashes[index], *tree.hashes[max(0, index - 2) : index + 3]]

    kind = draw(st.sampled_from(["proof", "proof", "proof", "index", "size", "root", "leaf"]))
    if kind == "proof":
        name, mutated_proof = draw(proof_mutations(proof, plausible))
        mutated = replace(original, proof=mutated_proof)
    elif kind == "index":
        new_index = draw(st.integers(-2, size + 2).filter(lambda i: i != index))
        name, mutated = "index", replace(original, index=new_index)
    elif kind == "size":
        new_size = draw(st.integers(-1, TREE_SIZE + 8).filter(lambda s: s != size))
        new_root = cached_root(seed, new_size) if 0 <= new_size <= TREE_SIZE else root
        name, mutated = "size", replace(original, size=new_size, root=new_root)
    elif kind == "root":
        name, new_root = draw(other_root(seed, size, root, list(proof)))
        mutated = replace(original, root=new_root)
    else:
        name, new_leaf = draw(
            st.one_of(
                st.integers(0, 255).map(lambda bit: ("leaf_bit", flip_bit(original.leaf, bit))),
                st.integers(0, TREE_SIZE - 1)
                .filter(lambda i: i != index)
                .map(lambda i: ("leaf_other", tree.hashes[i])),
                st.just(("leaf_data_not_hash", tree.leaves[index])),
                st.sampled_from(list(proof) or [cached_root(seed, 2)]).map(lambda h: ("leaf_interior", h)),
            )
        )
        mutated = replace(original, leaf=new_leaf)
    return seed, original, name, mutated


@MUTATION_SETTINGS
@given(mutated_inclusions())
def test_mutated_inclusion_proofs_are_rejected(case: tuple[int, Inclusion, str, Inclusion]) -> None:
    """Any mutation of an inclusion proof or its (index, size, leaf, root) is rejected."""
    seed, original, name, mutated = case
    original.verify()
    assume(mutated != original and not inclusion_is_true(seed, mutated))
    event(name)
    with pytest.raises(VerificationError):
        mutated.verify()


# --- Consistency. ------------------------------------------------------------


@st.composite
def mutated_consistencies(draw: st.DrawFn) -> tuple[int, Consistency, str, Consistency]:
    seed = draw(st.integers(0, SEEDS - 1))
    tree = make_tree(seed)
    size2 = draw(st.integers(1, MAX_SIZE))
    size1 = draw(st.integers(1, size2))
    proof = tuple(tree.tree.consistency_proof(size1, size2))
    root1, root2 = cached_root(seed, size1), cached_root(seed, size2)
    original = Consistency(size1, size2, proof, root1, root2)
    plausible = [*proof, root1, root2, cached_root(seed, max(size1 - 1, 0)), cached_root(seed, size2 + 1)]

    kinds = ["proof"] * 3 + ["size1", "size2", "root1", "root2"] + (["swap"] if size1 != size2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "proof":
        name, mutated_proof = draw(proof_mutations(proof, plausible))
        mutated = replace(original, proof=mutated_proof)
    elif kind == "size1":
        new_size = draw(st.integers(-1, TREE_SIZE + 8).filter(lambda s: s != size1))
        new_root = cached_root(seed, new_size) if 0 <= new_size <= TREE_SIZE else root1
        name, mutated = "size1", replace(original, size1=new_size, root1=new_root)
    elif kind == "size2":
        new_size = draw(st.integers(-1, TREE_SIZE + 8).filter(lambda s: s != size2))
        new_root = cached_root(seed, new_size) if 0 <= new_size <= TREE_SIZE else root2
        name, mutated = "size2", replace(original, size2=new_size, root2=new_root)
    elif kind == "root1":
        name, new_root = draw(other_root(seed, size1, root1, list(proof)))
        mutated = replace(original, root1=new_root)
        name = f"{name}_1"
    elif kind == "root2":
        name, new_root = draw(other_root(seed, size2, root2, list(proof)))
        mutated = replace(original, root2=new_root)
        name = f"{name}_2"
    else:
        name, mutated = "swap_roots", replace(original, root1=root2, root2=root1)
    return seed, original, name, mutated


@MUTATION_SETTINGS
@given(mutated_consistencies())
def test_mutated_consistency_proofs_are_rejected(case: tuple[int, Consistency, str, Consistency]) -> None:
    """Any mutation of a consistency proof or its (size1, size2, root1, root2) is rejected."""
    seed, original, name, mutated = case
    original.verify()
    assume(mutated != original and not consistency_is_true(seed, mutated))
    event(name)
    with pytest.raises(VerificationError):
        mutated.verify()


# --- Deterministic companions. ------------------------------------------------


class TestOracle:
    def test_oracle_accepts_the_true_claims(self) -> None:
        """The truth oracle used above says true for genuine proofs (so it discards nothing real)."""
        tree = make_tree(0)
        for size in (1, 2, 3, 7, 8, 200):
            for index in {0, size // 2, size - 1}:
                proof = tuple(tree.tree.inclusion_proof(index, size))
                case = Inclusion(index, size, tree.hashes[index], proof, cached_root(0, size))
                assert inclusion_is_true(0, case)
                case.verify()
            for size1 in {1, size // 2 or 1, size}:
                proof = tuple(tree.tree.consistency_proof(size1, size))
                claim = Consistency(size1, size, proof, cached_root(0, size1), cached_root(0, size))
                assert consistency_is_true(0, claim)
                claim.verify()

    def test_leaves_and_roots_are_distinct(self) -> None:
        """Distinct leaves and roots at every size, so index and root mutations change the claim."""
        for seed in range(SEEDS):
            assert len(set(make_tree(seed).hashes)) == TREE_SIZE
        roots = {cached_root(seed, size) for seed in range(SEEDS) for size in range(1, TREE_SIZE + 1)}
        assert len(roots) == SEEDS * TREE_SIZE


class TestExhaustiveSmallTrees:
    @pytest.mark.parametrize("size", range(1, 17))
    def test_every_single_bit_flip_is_rejected(self, size: int) -> None:
        """In trees of 1-16 leaves, flipping any one bit of any inclusion proof hash is rejected."""
        tree = make_tree(1)
        root = cached_root(1, size)
        for index in range(size):
            proof = tree.tree.inclusion_proof(index, size)
            for j in range(len(proof)):
                for bit in range(256):
                    mutated = [*proof[:j], flip_bit(proof[j], bit), *proof[j + 1 :]]
                    with pytest.raises(VerificationError):
                        verifier.verify_inclusion(index, size, tree.hashes[index], mutated, root)

    @pytest.mark.parametrize("size2", range(1, 17))
    def test_every_other_size_pair_is_rejected(self, size2: int) -> None:
        """A proof for (m, n) fails for every other (m', n') and true roots, unless it proves that too."""
        tree = make_tree(2)
        for size1 in range(1, size2 + 1):
            proof = tree.tree.consistency_proof(size1, size2)
            for other2 in range(0, 18):
                for other1 in range(0, other2 + 1):
                    claim = Consistency(
                        other1, other2, tuple(proof), cached_root(2, other1), cached_root(2, other2)
                    )
                    if consistency_is_true(2, claim):
                        continue  # (k, k) with the empty proof is true for every k
                    with pytest.raises(VerificationError):
                        claim.verify()


def _accepts(check: Callable[[], None]) -> bool:
    try:
        check()
    except VerificationError:
        return False
    return True


def test_proof_alone_does_not_bind_size_to_a_stale_root() -> None:
    """RFC 9162 verification trusts the (size, root) pair: it must come from one signed checkpoint.

    The proof for leaf 0 in the 4-leaf tree also "verifies" leaf 0 in a 3-leaf tree
    whose root is claimed to be the 4-leaf root: both shapes chain the same two
    hashes.  No 3-leaf tree has that root (it would need a leaf hash equal to a node
    hash), so this is harmless only because callers take size and root together
    from a signed checkpoint, as verify_inclusion_file and verify_log do.  This is
    why the mutation tests above move the root with the size.
    """
    tree = make_tree(0)
    proof = tree.tree.inclusion_proof(0, 4)
    assert _accepts(lambda: verifier.verify_inclusion(0, 3, tree.hashes[0], proof, cached_root(0, 4)))
    assert not _accepts(lambda: verifier.verify_inclusion(0, 3, tree.hashes[0], proof, cached_root(0, 3)))
