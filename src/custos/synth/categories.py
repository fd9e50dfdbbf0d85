"""Request categories, their expected codes and the default mix.

Each request tests one thing, so accuracy can be reported per category: how
often the engine confirms what it should (recall on easy variations) and,
above all, how often it confirms what it must not (false confirmations on
moved people, wrong units, relatives and ambiguous households).

The expected code follows the confirmation rule: CONFIRMED only if the
supplied address (unit included) is the address of record of exactly one
taxpayer who is the named person and nobody else at that address could be
meant; PENDING_REVIEW where someone else at the address could equally be meant
(identical or near-identical names, no distinguishing date of birth);
NOT_CONFIRMED otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.synth.population import (
    POOL_ACCENTABLE,
    POOL_ACCENTED,
    POOL_ANY,
    POOL_COMPOUND,
    POOL_FAMILY,
    POOL_HISPANIC,
    POOL_JRSR,
    POOL_MOVED,
    POOL_NAMESAKE,
    POOL_TWINS,
    POOL_UNIT,
)

CONFIRMED, NOT_CONFIRMED, PENDING_REVIEW = "CONFIRMED", "NOT_CONFIRMED", "PENDING_REVIEW"


@dataclass(frozen=True, slots=True)
class Category:
    """One kind of request: where its subjects come from and what the engine should answer."""

    name: str
    expected: str  # the usual expected code; a few categories have a documented second outcome
    pools: tuple[tuple[str, float], ...]  # (pool, share of this category's requests)
    summary: str


_CATEGORIES = (
    Category("exact", CONFIRMED, ((POOL_ANY, 1.0),), "clean copy of the address of record, names and DOB"),
    Category(
        "format_variant", CONFIRMED, ((POOL_ANY, 1.0),),
        "same delivery point written differently: spelled-out suffix/directional, APT/#/UNIT, unit line, "
        "ZIP+4, alias city, case",
    ),
    Category(
        "nickname", CONFIRMED, ((POOL_HISPANIC, 0.4), (POOL_ANY, 0.6)),
        "given name replaced by an English nickname or a Spanish diminutive (PEPE for JOSÉ)",
    ),
    Category("typo_name", CONFIRMED, ((POOL_ANY, 1.0),), "one edit in a surname of 7 or more letters"),
    Category("accents_dropped", CONFIRMED, ((POOL_ACCENTED, 1.0),), "filed with accents, requested without"),
    Category(
        "accents_added", CONFIRMED, ((POOL_ACCENTABLE, 1.0),), "filed without accents, requested with"
    ),
    Category(
        "compound_surname_variant", CONFIRMED, ((POOL_COMPOUND, 1.0),),
        "compound or particle surname with hyphen/space swapped, concatenated, or paternal surname only",
    ),
    Category("swapped_name_order", CONFIRMED, ((POOL_ANY, 1.0),), "given name and surname swapped"),
    Category(
        "dob_missing", CONFIRMED, ((POOL_ANY, 0.85), (POOL_NAMESAKE, 0.15)),
        "no DOB: CONFIRMED when nobody else at the address could be meant, PENDING_REVIEW when a "
        "co-resident has the same name",
    ),
    Category(
        "dob_transposed", CONFIRMED, ((POOL_ANY, 1.0),), "day and month of the DOB swapped, all else exact"
    ),
    Category(
        "moved_old_address", NOT_CONFIRMED, ((POOL_MOVED, 1.0),),
        "an older address of the person (a previous tax year's row), not the address of record",
    ),
    Category(
        "wrong_unit", NOT_CONFIRMED, ((POOL_UNIT, 1.0),), "right building, another unit (occupied or not)"
    ),
    Category("missing_unit", NOT_CONFIRMED, ((POOL_UNIT, 1.0),), "right building, unit left out"),
    Category(
        "wrong_house_number", NOT_CONFIRMED, ((POOL_ANY, 1.0),),
        "right street, another house number that is nobody's address",
    ),
    Category(
        "absent_person", NOT_CONFIRMED, ((POOL_ANY, 1.0),),
        "person not in the master file: fresh address, an unrelated household's address, or a namesake of "
        "a taxpayer elsewhere; PENDING_REVIEW when a co-resident has a similar name (and no DOB is given)",
    ),
    Category(
        "relative_at_address", NOT_CONFIRMED, ((POOL_FAMILY, 0.7), (POOL_ANY, 0.3)),
        "a relative with the household's surname and a clearly different given name who is not a "
        "taxpayer at the address (non-filer, child who moved out, or absent sibling)",
    ),
    Category(
        "jr_sr_no_suffix", PENDING_REVIEW, ((POOL_JRSR, 1.0),), "Jr and Sr at one address; no suffix, no DOB"
    ),
    Category(
        "jr_sr_with_suffix", CONFIRMED, ((POOL_JRSR, 1.0),),
        "Jr and Sr at one address; suffix and/or DOB identifies one",
    ),
    Category(
        "twins_similar_names", PENDING_REVIEW, ((POOL_TWINS, 1.0),),
        "twins with similar names and one DOB; the requested given name is a typo or nickname of both",
    ),
    Category(
        "namesake_same_address", PENDING_REVIEW, ((POOL_NAMESAKE, 1.0),),
        "two taxpayers of one full name at one address; no DOB",
    ),
    Category(
        "zip_only", NOT_CONFIRMED, ((POOL_ANY, 1.0),),
        "no street line, only ZIP (with or without city and state): reason INSUFFICIENT_IDENTIFIERS",
    ),
    Category(
        "placeholder", NOT_CONFIRMED, ((POOL_ANY, 1.0),),
        "placeholder street line (UNKNOWN ADDRESS, N/A, ...) or blank address: "
        "reason INSUFFICIENT_IDENTIFIERS",
    ),
)  # fmt: skip

CATEGORIES: dict[str, Category] = {c.name: c for c in _CATEGORIES}

# Default share of each category in a request batch. About 64 % of requests should be
# confirmed; the rest are the traps where a false confirmation would be a wrongful disclosure.
REQUEST_MIX: dict[str, float] = {
    "exact": 0.23,
    "format_variant": 0.12,
    "nickname": 0.05,
    "typo_name": 0.05,
    "accents_dropped": 0.03,
    "accents_added": 0.02,
    "compound_surname_variant": 0.04,
    "swapped_name_order": 0.02,
    "dob_missing": 0.05,
    "dob_transposed": 0.02,
    "moved_old_address": 0.08,
    "wrong_unit": 0.03,
    "missing_unit": 0.03,
    "wrong_house_number": 0.04,
    "absent_person": 0.05,
    "relative_at_address": 0.04,
    "jr_sr_no_suffix": 0.02,
    "jr_sr_with_suffix": 0.02,
    "twins_similar_names": 0.015,
    "namesake_same_address": 0.015,
    "zip_only": 0.015,
    "placeholder": 0.015,
}


def allocate(total: int, mix: dict[str, float]) -> dict[str, int]:
    """Split ``total`` requests by ``mix`` (largest remainder; every listed category gets one if it can)."""
    unknown = sorted(set(mix) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown request categories: {', '.join(unknown)}")
    if any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError("request mix weights must be non-negative and not all zero")
    weight = sum(mix.values())
    names = [n for n in CATEGORIES if mix.get(n, 0) > 0]
    exact = {n: total * mix[n] / weight for n in names}
    counts = {n: int(exact[n]) for n in names}
    by_remainder = sorted(names, key=lambda n: (-(exact[n] - counts[n]), names.index(n)))
    for name in by_remainder[: total - sum(counts.values())]:
        counts[name] += 1
    if total >= len(names):
        for name in names:
            while counts[name] == 0:
                donor = max(names, key=lambda n: counts[n])
                counts[donor] -= 1
                counts[name] += 1
    return {n: counts[n] for n in CATEGORIES if counts.get(n, 0) > 0}
