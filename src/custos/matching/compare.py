"""Field comparisons: each returns an agreement level a person can read.

Levels, strongest first, and what they mean:

* surname: ``exact`` (same folded surname), ``token_set`` (same tokens in any
  order: GARCIA MARQUEZ / MARQUEZ GARCIA), ``joined`` (GARCIAMARQUEZ),
  ``token_subset`` (only the paternal or only the maternal surname given),
  ``fuzzy`` (a typo: Jaro-Winkler at or above the strong threshold, or one
  edit in a surname of at least ``one_edit_min_length`` letters),
  ``phonetic`` (sounds alike; never enough to confirm), ``disagree``.
* given name: ``exact``, ``compound_token`` (Juan Carlos / Carlos),
  ``nickname`` (Bill / William, Pepe / José: one is a listed nickname of the
  other), ``fuzzy``, ``initial``
  (J / John; never enough to confirm), ``similar`` (Daniel / Danielle, or
  Bill / Bob, two nicknames of Robert: someone else could be meant), ``disagree``.
* date of birth: ``exact``, ``transposed`` (day and month swapped),
  ``missing`` (either side), ``near`` (one digit off: possibly the same
  person, never confirming), ``conflict``.
* suffix: ``agree``, ``missing`` (either side), ``conflict`` (JR vs SR).
* middle name: ``agree`` (initials), ``missing``, ``conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA, JaroWinkler

from custos.matching.thresholds import MatchThresholds
from custos.standardize.models import StandardName
from custos.standardize.names import given_name_groups, nickname_equivalent, phonetic_key

STRONG_SURNAME = frozenset({"exact", "token_set", "joined", "token_subset", "fuzzy"})
STRONG_GIVEN = frozenset({"exact", "compound_token", "nickname", "fuzzy"})
POSSIBLE_SURNAME = STRONG_SURNAME | {"phonetic"}
POSSIBLE_GIVEN = STRONG_GIVEN | {"initial", "similar"}


@dataclass(frozen=True, slots=True)
class NameLevels:
    """The agreement levels of two names, and whether the order was swapped."""

    surname: str
    given: str
    suffix: str
    middle: str
    swapped: bool


def _similarity(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b)) if a and b else 0.0


def _one_edit(a: str, b: str, min_length: int) -> bool:
    """One typing error (insert, delete, substitute or swap two letters) in a long enough name."""
    return min(len(a), len(b)) >= min_length and OSA.distance(a, b, score_cutoff=1) <= 1


def compare_surname(a: StandardName, b: StandardName, thresholds: MatchThresholds) -> str:
    """Agreement level of two surnames."""
    if not a.surname_tokens or not b.surname_tokens:
        return "disagree"
    if a.surname_tokens == b.surname_tokens or a.surname == b.surname:
        return "exact"
    set_a, set_b = set(a.surname_tokens), set(b.surname_tokens)
    if set_a == set_b:
        return "token_set"
    joined_a, joined_b = a.surname_joined, b.surname_joined
    if joined_a == joined_b:
        return "joined"
    if set_a < set_b or set_b < set_a:
        return "token_subset"
    if _similarity(joined_a, joined_b) >= thresholds.name_fuzzy_strong or _one_edit(
        joined_a, joined_b, thresholds.one_edit_min_length
    ):
        return "fuzzy"
    if phonetic_key(joined_a) == phonetic_key(joined_b):
        return "phonetic"
    return "disagree"


def compare_given(a: StandardName, b: StandardName, thresholds: MatchThresholds) -> str:
    """Agreement level of two given names (first tokens, then any token)."""
    if not a.given_tokens or not b.given_tokens:
        return "disagree"
    first_a, first_b = a.given_tokens[0], b.given_tokens[0]
    if first_a == first_b and (len(first_a) > 1 or a.given == b.given):
        return "exact"
    if len(first_a) == 1 or len(first_b) == 1:
        return "initial" if first_a[0] == first_b[0] else "disagree"
    if {t for t in a.given_tokens if len(t) > 1} & {t for t in b.given_tokens if len(t) > 1}:
        return "compound_token"
    if first_a in given_name_groups(first_b) or first_b in given_name_groups(first_a):
        return "nickname"
    similarity = _similarity(first_a, first_b)
    if similarity >= thresholds.name_fuzzy_strong and first_a[:1] == first_b[:1]:
        return "fuzzy"
    if similarity >= thresholds.name_fuzzy_possible or nickname_equivalent(first_a, first_b):
        # Two nicknames of one name (BILL and BOB of ROBERT) or look-alikes: maybe the same person.
        return "similar"
    return "disagree"


def compare_suffix(a: StandardName, b: StandardName) -> str:
    """JR against SR is a conflict; a missing suffix is no evidence either way."""
    if a.suffix is None or b.suffix is None:
        return "missing"
    return "agree" if a.suffix == b.suffix else "conflict"


def compare_middle(a: StandardName, b: StandardName) -> str:
    """Middle names compared by initial."""
    if not a.middle or not b.middle:
        return "missing"
    return "agree" if a.middle[0] == b.middle[0] else "conflict"


def compare_names(a: StandardName, b: StandardName, thresholds: MatchThresholds) -> NameLevels:
    """Compare two names directly, and swapped when the direct order does not agree."""
    surname, given = compare_surname(a, b, thresholds), compare_given(a, b, thresholds)
    swapped = False
    if surname not in STRONG_SURNAME or given not in STRONG_GIVEN:
        flipped = StandardName(
            given=b.surname,
            given_tokens=b.surname_tokens,
            middle=b.middle,
            surname=b.given,
            surname_tokens=b.given_tokens,
            suffix=b.suffix,
        )
        swapped_surname = compare_surname(a, flipped, thresholds)
        swapped_given = compare_given(a, flipped, thresholds)
        if swapped_surname in {"exact", "token_set", "joined"} and swapped_given == "exact":
            surname, given, swapped = swapped_surname, swapped_given, True
    return NameLevels(surname, given, compare_suffix(a, b), compare_middle(a, b), swapped)


def compare_dob(a: str | None, b: str | None) -> str:
    """Compare two YYYY-MM-DD dates of birth."""
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if len(a) == 10 and len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return "transposed"
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return "near"
    return "conflict"
