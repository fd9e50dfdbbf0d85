"""RFC 6962 tree arithmetic: one decomposition for roots and both kinds of proof.

Every hash the log ever needs is the hash of a range of leaves ``[begin, end)``
that RFC 6962's recursion produces.  Each such range splits into *perfect*
subtrees (aligned, power-of-two sized), and perfect subtrees never change once
complete, so they are what the store keeps.  ``root``, ``inclusion_proof`` and
``consistency_proof`` differ only in which ranges they ask for; the hashes
come from :func:`range_hashes`, which reads the perfect subtrees in one lookup
and folds them right to left.  Verification lives in
:mod:`custos.ledger.verifier`, the auditor's module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from custos.ledger.verifier import EMPTY_ROOT, leaf_hash, node_hash

__all__ = [
    "MemoryTree",
    "NodeId",
    "consistency_ranges",
    "fold",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "range_hashes",
]


@dataclass(frozen=True, slots=True, order=True)
class NodeId:
    """A perfect subtree: leaves ``[index * 2**level, (index + 1) * 2**level)``."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level


NodeLookup = Callable[[Iterable[NodeId]], Mapping[NodeId, bytes]]


def _largest_power_of_two_below(n: int) -> int:
    """The split point k of RFC 6962: the largest power of two strictly below n."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(begin: int, end: int) -> list[NodeId]:
    """Decompose ``[begin, end)`` into maximal aligned perfect subtrees, left to right."""
    nodes = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length()
        while (1 << level) > end - begin:
            level -= 1
        nodes.append(NodeId(level, begin >> level))
        begin += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree hashes (left to right, sizes decreasing) into one hash."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Ranges whose hashes form RFC 6962 PATH(index, D[0:size]), from the leaf's sibling up."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges = []
    begin, end = 0, size
    while end - begin > 1:
        split = begin + _largest_power_of_two_below(end - begin)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin = split
    return ranges[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Ranges whose hashes form RFC 6962 PROOF(old_size, D[0:new_size])."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    ranges = []
    begin, end, old_is_whole_subtree = 0, new_size, True
    while end != old_size:
        split = begin + _largest_power_of_two_below(end - begin)
        if old_size <= split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin, old_is_whole_subtree = split, False
    if not old_is_whole_subtree:
        ranges.append((begin, end))
    return ranges[::-1]


def range_hashes(ranges: Sequence[tuple[int, int]], lookup: NodeLookup) -> list[bytes]:
    """Hash each range from its perfect subtrees, fetched in a single lookup."""
    plans = [perfect_subtrees(begin, end) for begin, end in ranges]
    found = lookup({node for plan in plans for node in plan})
    missing = {node for plan in plans for node in plan} - set(found)
    if missing:
        raise LookupError(f"tree nodes missing from the store: {sorted(missing)[:5]}")
    return [fold([found[node] for node in plan]) for plan in plans]


class MemoryTree:
    """An in-memory tree with the same interface the database store offers.

    Used by tests, the benchmarks and anyone who wants proofs for a list of leaves.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> None:
        """Append leaf *data*; interior nodes are added as subtrees complete."""
        current, level, index = leaf_hash(leaf), 0, self.size
        self._levels[0].append(current)
        while index & 1:
            current = node_hash(self._levels[level][index - 1], current)
            level, index = level + 1, index >> 1
            if len(self._levels) == level:
                self._levels.append([])
            self._levels[level].append(current)

    def lookup(self, nodes: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Return the stored hash of each requested perfect subtree."""
        return {node: self._levels[node.level][node.index] for node in nodes}

    def root(self, size: int | None = None) -> bytes:
        """Root at ``size`` (default: the whole tree)."""
        size = self.size if size is None else size
        return range_hashes([(0, size)], self.lookup)[0] if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Audit path for leaf ``index`` in the tree of ``size`` leaves."""
        return range_hashes(inclusion_ranges(index, size), self.lookup)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
        return range_hashes(consistency_ranges(old_size, new_size), self.lookup)
