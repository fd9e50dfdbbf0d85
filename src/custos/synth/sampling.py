"""Seeded sampling primitives that keep generation fast, streaming and reproducible.

Generating ten million taxpayers in pure Python leaves a budget of a few
microseconds per draw, so weighted draws are taken in blocks; requests are
built from reservoir samples so nothing but the sample stays in memory; and
identifiers (TINs, delivery points) come from a keyed permutation of a
counter, which makes them unique by construction without a set of everything
issued so far, and lets a generated variant be checked for "is this address
anyone's?" by inverting the permutation.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def make_rng(seed: int, stream: str) -> random.Random:
    """An independent generator for one named stream of a run.

    Streams are separate so that, for example, the master file depends only on
    the seed and its size, not on how many requests are drawn from it.
    """
    # Not for secrets: a reproducible synthetic corpus is the point.
    return random.Random(f"custos-synth:{seed}:{stream}")  # noqa: S311


def cumulative(weights: Sequence[float]) -> list[float]:
    """Running totals of ``weights``, the form ``random.choices`` draws from fastest."""
    return list(itertools.accumulate(weights))


class WeightedSampler(Generic[T]):
    """Draws from a fixed weighted population, a block of draws at a time."""

    __slots__ = ("_block", "_buffer", "_cum", "_rng", "_values")

    def __init__(
        self, rng: random.Random, values: Sequence[T], cum_weights: Sequence[float], block: int = 1024
    ):
        if not values or len(values) != len(cum_weights):
            raise ValueError("a weighted sampler needs as many cumulative weights as values")
        self._rng = rng
        self._values = values
        self._cum = cum_weights
        self._block = block
        self._buffer: list[T] = []

    def __call__(self) -> T:
        """One draw."""
        if not self._buffer:
            self._buffer = self._rng.choices(self._values, cum_weights=self._cum, k=self._block)
        return self._buffer.pop()


class Reservoir(Generic[T]):
    """A uniform sample of at most ``capacity`` items from a stream of unknown length."""

    __slots__ = ("_rng", "capacity", "items", "seen")

    def __init__(self, rng: random.Random, capacity: int):
        self._rng = rng
        self.capacity = capacity
        self.items: list[T] = []
        self.seen = 0

    def add(self, item: T) -> None:
        """Offer one item (algorithm R)."""
        self.seen += 1
        if len(self.items) < self.capacity:
            self.items.append(item)
            return
        slot = int(self._rng.random() * self.seen)
        if slot < self.capacity:
            self.items[slot] = item


_ROUNDS = 4
_MULT = 0x9E3779B1
_WORD = (1 << 48) - 1


class Permutation:
    """A keyed bijection of ``range(size)``: a balanced Feistel network with cycle walking.

    Not cryptographic; it only has to look shuffled and be exactly invertible.
    """

    __slots__ = ("_half", "_keys", "_mask", "size")

    def __init__(self, size: int, rng: random.Random):
        if size < 2:
            raise ValueError("a permutation needs at least two points")
        bits = max(2, (size - 1).bit_length())
        self._half = (bits + 1) // 2
        self._mask = (1 << self._half) - 1
        self._keys = tuple(rng.getrandbits(self._half) for _ in range(_ROUNDS))
        self.size = size

    def forward(self, index: int) -> int:
        """The image of ``index``."""
        half, mask, size = self._half, self._mask, self.size
        x = index
        while True:
            left, right = x >> half, x & mask
            for key in self._keys:
                mixed = ((right ^ key) * _MULT) & _WORD
                left, right = right, left ^ ((mixed ^ (mixed >> half)) & mask)
            x = (left << half) | right
            if x < size:
                return x

    def inverse(self, image: int) -> int:
        """The index whose image is ``image``."""
        half, mask, size = self._half, self._mask, self.size
        x = image
        while True:
            left, right = x >> half, x & mask
            for key in reversed(self._keys):
                mixed = ((left ^ key) * _MULT) & _WORD
                left, right = right ^ ((mixed ^ (mixed >> half)) & mask), left
            x = (left << half) | right
            if x < size:
                return x
