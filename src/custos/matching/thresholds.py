"""Decision thresholds: configuration with documented defaults.

Every default leans towards PENDING_REVIEW: a false confirmation can send
officers to the wrong person's door, a held record costs a reviewer minutes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    """Thresholds of the decision rules (see docs/matching.md for the reasoning)."""

    name_fuzzy_strong: float = 0.92
    """Jaro-Winkler at or above which two names are the same name with a typo."""

    name_fuzzy_possible: float = 0.85
    """Jaro-Winkler at or above which a different-looking name could still be meant."""

    one_edit_min_length: int = 6
    """A surname this long or longer with one typing error (OSA distance 1) is a typo of
    the same surname; shorter surnames are too easily another family's name."""

    no_dob_max_same_name: int = 1
    """Without a date of birth, confirm only if at most this many taxpayers in the
    whole master file carry the same given name and surname (the candidate included)."""

    no_dob_max_surname_share: float = 0.002
    """Without a date of birth, confirm only if the surname is rarer than this share
    of the master file (GARCIA or SMITH are about 0.3 to 0.8 percent in the US)."""

    no_dob_common_surname_floor: int = 25
    """A surname held by fewer taxpayers than this is never counted as common, so the
    share test above does not misfire on a small master file."""

    no_dob_requires_exact_names: bool = True
    """Without a date of birth, nicknames, typos and partial surnames do not confirm."""
