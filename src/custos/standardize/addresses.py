"""Standardize a supplied US address into the parts that identify one delivery point.

Why it is built this way:

* A false "same delivery point" is the costliest error custos can make, so when in doubt the
  rules keep two addresses apart: text that cannot be placed goes into ``unit_id`` (problem
  ``EXTRA_TEXT``) instead of being dropped, units compare by identifier, leading zeros stay, and
  unusable fields become ``problems`` codes for the policy layer rather than guesses.
* The master file has 10 M rows and usaddress costs about 0.1 ms per call, so a Pub 28
  tokenizer (the fast path) parses the common clean forms itself and only the rest go to the CRF
  (scourgify's ``parse_address_string``, then bare ``usaddress.tag`` when scourgify refuses an
  ambiguous line).  The CRF only segments the line: both paths name the parts with the same
  grammar and tables (:mod:`custos.standardize.pub28`), which is what makes them agree.
* scourgify's ``normalize_address_record`` is not used: matching needs components, not lines,
  and it rejects PO Box, rural-route and General Delivery lines, which taxpayers use a lot.
  Those forms, Puerto Rico urbanizations and Spanish street types are rules of our own here.
* Nothing raises: any input, however hostile, gives a :class:`StandardAddress`.

Decisions matching relies on: unit ids drop "#" and hyphens ("APT. 4-B", "#4B" and "4B" are
4B) but keep leading zeros (04 is not 4); compound units are space-separated, building then
floor then the rest ("BLDG 3 APT 4": type "BLDG APT", id "3 4"); designators that need no
number are their own id (REAR); house numbers keep Queens hyphens (12-34) and fractions, and a
leading ONE..TWENTY is a number; route numbers lose leading zeros; pre- and postdirectionals stay
distinct (N MAIN ST is not MAIN ST N); with a street and a box, the line nearer the city line
wins (DUAL_ADDRESS); a blank field is missing (NO_*), a filler text is PLACEHOLDER.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import usaddress  # type: ignore[import-untyped]  # ships a .pyi but no py.typed marker
import zipcodes
from anyascii import anyascii
from scourgify.exceptions import AddressNormalizationError  # type: ignore[import-untyped]  # no types
from scourgify.normalize import parse_address_string  # type: ignore[import-untyped]  # no types

from custos.standardize import pub28
from custos.standardize.models import AddressKind, StandardAddress

__all__ = ["fast_path_accepts", "render_lines", "standardize_address", "standardize_uncached"]

MAX_FIELD_CHARS = 200  # longer than any real address field; longer input is refused unparsed
_STREET, _UNPARSEABLE, _GD = AddressKind.STREET, AddressKind.UNPARSEABLE, AddressKind.GENERAL_DELIVERY
Unit = tuple[str | None, str]  # (Pub 28 designator or None for a bare identifier, identifier)

# ASCII folding keeps letters, digits and the separators that carry meaning (# - / &), drops
# apostrophes and periods ("O'BRIEN" is OBRIEN, "N.E." is NE) and turns everything else, control
# characters included, into a space.  A period between words ("ST.APT") is a space.
_FOLD = {
    c: None if chr(c) in "'`." else " " for c in range(128) if not chr(c).isalnum() and chr(c) not in " #-/&"
}
_PERIOD_RE = re.compile(r"(?<=[A-Z0-9]{2})\.(?=[A-Z0-9])")
_HYPHEN_RE = re.compile(r"(?<![0-9])-(?![0-9])")  # hyphens survive only beside a digit: 12-34, 4-B
_PUNCT_RE = re.compile(r"[^A-Z0-9 ]+")
_NUMBER_RE = re.compile(r"\d+(?:-\d+)?[A-Z]?|\d+-[A-Z]")
_FRACTION_RE = re.compile(r"\d/\d{1,2}")
_ORDINAL_RE = re.compile(r"(\d+)(?:ST|ND|RD|TH)")
_UNIT_ID_RE = re.compile(r"(?=[A-Z0-9-]*\d)[A-Z0-9-]{1,10}|[A-Z]")  # strict: a digit or one letter
_LOOSE_ID_RE = re.compile(r"[A-Z0-9-]{1,12}")
_ZIP_RE = re.compile(r"(\d{3,5})(?:-?(\d{4}))?")
_NUMERIC_LINE_RE = re.compile(r"[\d -]+")
_PLACEHOLDER_RE = re.compile(r"\b(?:{})\b|\bX{{3,}}\b".format("|".join(pub28.PLACEHOLDER_PHRASES)))
_BOX_RULES = tuple((AddressKind(kind), re.compile(pattern)) for kind, pattern in pub28.BOX_FORMS)
_UNIT_LABELS = (("SubaddressType", "SubaddressIdentifier"), ("OccupancyType", "OccupancyIdentifier"))
_NUMBER_LABELS = ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix")
_NAME_LABELS: tuple[str, ...] = ("StreetNamePreModifier", "StreetNamePreType", "StreetName")
_NAME_LABELS += ("StreetNamePostType", "StreetNamePostModifier")
_DROPPED_LABELS = frozenset({"Recipient", "NotAddress", "BuildingName", "LandmarkName", "CornerOf"})
_READ_LABELS = {*_NUMBER_LABELS, *_NAME_LABELS, *(k for pair in _UNIT_LABELS for k in pair), *_DROPPED_LABELS}
_READ_LABELS |= {"StreetNamePreDirectional", "StreetNamePostDirectional", "USPSBoxType", "USPSBoxID"}
_READ_LABELS |= {"USPSBoxGroupType", "USPSBoxGroupID"}
_zip_list: Callable[[], list[dict[str, Any]]] = zipcodes.list_all  # typed core, untyped wrapper


def _fold(text: str) -> str:
    """Upper-case ASCII with meaningful punctuation kept and whitespace collapsed."""
    if not text.isascii():
        text = anyascii(text)
    text = text.upper()
    if "." in text:
        text = _PERIOD_RE.sub(" ", text)
    text = text.translate(_FOLD)
    if "#" in text:
        text = text.replace("#", " # ")
    if "-" in text:
        text = _HYPHEN_RE.sub(" ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    """Split a folded line, merging spelled-out directional pairs ("NORTH EAST" is NE)."""
    tokens = text.split()
    for i in range(len(tokens) - 2, -1, -1):
        pair = pub28.DIRECTIONAL_PAIRS.get((tokens[i], tokens[i + 1]))
        if pair:
            tokens[i : i + 2] = [pair]
    return tokens


def _compact(folded: str) -> str:
    return " ".join(_PUNCT_RE.sub(" ", folded).split())


def _is_placeholder(folded: str, *, phrases: bool = True) -> bool:
    """A field that names no address: "N/A", "UNKNOWN ADDRESS", "DON'T CARE 12345", ..."""
    if len(folded) <= 32 and _compact(folded) in pub28.PLACEHOLDER_FIELDS:
        return True
    return phrases and _PLACEHOLDER_RE.search(folded) is not None


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}TH"
    return f"{n}{ {1: 'ST', 2: 'ND', 3: 'RD'}.get(n % 10, 'TH') }"


@functools.cache
def _zip_rows() -> dict[str, dict[str, Any]]:
    """Every ZIP's zipcodes record, indexed once: ``zipcodes.matching`` scans all 42,000 per call."""
    return {str(row["zip_code"]): row for row in _zip_list()}


@functools.cache  # a master file repeats ZIPs millions of times
def _zip_record(zip5: str) -> tuple[str, str, frozenset[str]] | None:
    """The USPS city, the state and every accepted or listed alias (as city keys) of a ZIP."""
    row = _zip_rows().get(zip5)
    if row is None:
        return None
    names = [str(row["city"]), *map(str, row["acceptable_cities"]), *map(str, row["unacceptable_cities"])]
    return _fold(str(row["city"])), str(row["state"]), frozenset(_city(n).replace(" ", "") for n in names)


def _city(text: str) -> str:
    """A city spelled as USPS prefers it: "ST. LOUIS" is SAINT LOUIS."""
    return " ".join(pub28.CITY_WORDS.get(word, word) for word in _compact(_fold(text)).split())


def _absent(folded: str, code: str, problems: set[str]) -> bool:
    """Record a missing or placeholder field; True when the field is unusable."""
    if folded and not _is_placeholder(folded, phrases=code == "NO_CITY"):
        return False
    problems.update((code, "PLACEHOLDER") if folded else (code,))
    return True


def _zip(folded: str, state: str | None, problems: set[str]) -> tuple[str | None, str | None]:
    """ZIP5 and ZIP+4; 4-digit ZIPs regain the zero a spreadsheet dropped where the state has one."""
    match = _ZIP_RE.fullmatch(folded.replace(" ", ""))
    if match is None:
        if not _absent(folded, "NO_ZIP", problems):
            problems.update(("NO_ZIP", "INVALID_ZIP"))
        return None, None
    zip5, zip4 = match.group(1), match.group(2)
    if len(zip5) == 4 and state in pub28.LEADING_ZERO_STATES:
        zip5 = "0" + zip5
    elif len(zip5) == 3 and state in pub28.DOUBLE_ZERO_STATES:
        zip5 = "00" + zip5
    if len(zip5) < 5:
        problems.update(("NO_ZIP", "INVALID_ZIP"))
        return None, None
    if zip5 in pub28.PLACEHOLDER_ZIPS:
        problems.update(("NO_ZIP", "PLACEHOLDER"))
        return None, None
    return zip5, zip4


@functools.lru_cache(maxsize=1 << 17)
def _place(city: str, state: str, zip_code: str) -> tuple[tuple[str | None, ...], frozenset[str]]:
    """((city, state, zip5, zip4), problems) for the raw city, state and ZIP fields."""
    problems: set[str] = set()
    folded_state = _compact(_fold(state))
    state_out = pub28.STATES.get(folded_state, folded_state if folded_state in pub28.STATE_CODES else None)
    if state_out is None and not _absent(folded_state, "NO_STATE", problems):
        problems.update(("NO_STATE", "INVALID_STATE"))
    zip5, zip4 = _zip(_fold(zip_code), state_out, problems)
    folded_city = _fold(city)
    city_out = None if _absent(folded_city, "NO_CITY", problems) else _city(folded_city)
    record = _zip_record(zip5) if zip5 else None
    if zip5 and record is None:
        problems.add("UNKNOWN_ZIP")
    elif record is not None:
        usps_city, zip_state, aliases = record
        if state_out and state_out != zip_state:
            problems.add("STATE_ZIP_MISMATCH")
        if city_out and city_out.replace(" ", "") in aliases:
            city_out = usps_city
        elif city_out:
            problems.add("CITY_ZIP_MISMATCH")
    return (city_out, state_out, zip5, zip4), frozenset(problems)


@dataclass(slots=True)
class _Parts:
    """What one address line says; ``kind`` None means a line with units only (or nothing)."""

    kind: AddressKind | None = None
    number: str | None = None
    predir: str | None = None
    name: str | None = None
    suffix: str | None = None
    postdir: str | None = None
    route: str | None = None
    units: list[Unit] = field(default_factory=list)
    problems: set[str] = field(default_factory=set)


def _parse_units(tokens: list[str], start: int, *, strict: bool) -> list[Unit] | None:
    """Read tokens[start:] as secondary units ("APT 4", "# 4-B", "BLDG 3 APT 4", "REAR"), or None."""
    units: list[Unit] = []
    id_re = _UNIT_ID_RE if strict else _LOOSE_ID_RE
    i, n = start, len(tokens)
    while i < n:
        unit_type = pub28.UNIT_DESIGNATORS.get(tokens[i])
        if unit_type is None:
            return None
        i += 1
        while i < n and tokens[i] in pub28.UNIT_FILLERS:
            i += 1
        if unit_type in pub28.UNITS_WITHOUT_ID and (i == n or not _UNIT_ID_RE.fullmatch(tokens[i])):
            units.append((unit_type, unit_type))  # REAR, BSMT: no identifier needed
            continue
        if i == n or not id_re.fullmatch(tokens[i]):
            return None
        if tokens[i - 1] in pub28.STREET_SUFFIXES and not any(c.isdigit() for c in tokens[i]):
            return None  # "KEY S", "TRLR NE": a street suffix and a directional, not a unit
        units.append((unit_type, tokens[i].replace("-", "")))
        i += 1
    return units or None


def _unit_tail(tokens: list[str], first: int, *, strict: bool) -> tuple[int, list[Unit]]:
    """Where a trailing unit starts (at or after ``first``) and its units; -1 when strict and unsure."""
    for j in range(first, len(tokens)):
        if tokens[j] in pub28.UNIT_DESIGNATORS:
            if strict and tokens[j] in pub28.STREET_SUFFIXES:
                return -1, []  # KEY, TRAILER: unit or street suffix?  The CRF decides.
            units = _parse_units(tokens, j, strict=strict)
            if units is not None:
                return j, units
            if strict:
                return -1, []
    return len(tokens), []


def _canon_name(tokens: list[str], *, has_suffix: bool) -> str:
    """Street name in Pub 28 form: ordinals as 1ST or 21ST, leading street types abbreviated."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        units = pub28.ORDINAL_WORDS.get(tokens[i + 1], 10) if i + 1 < len(tokens) else 10
        if word in pub28.TENS_WORDS and units < 10:  # TWENTY FIRST
            word, i = _ordinal(pub28.TENS_WORDS[word] + units), i + 1
        elif word in pub28.ORDINAL_WORDS:
            word = _ordinal(pub28.ORDINAL_WORDS[word])
        elif (match := _ORDINAL_RE.fullmatch(word)) is not None:
            word = _ordinal(int(match.group(1)))
        out.append(word)
        i += 1
    if len(out) >= 3 and (out[0], out[1]) in pub28.PRE_TYPE_PAIRS:
        out[0:2] = [pub28.PRE_TYPE_PAIRS[out[0], out[1]]]
    elif len(out) >= 2 and out[0] in pub28.PRE_TYPES:
        out[0] = pub28.PRE_TYPES[out[0]]
    elif has_suffix and len(out) == 1 and out[0].isdigit():
        out[0] = _ordinal(int(out[0]))  # 12 ST is 12TH ST
    return " ".join(out)


def _canon_number(tokens: list[str]) -> str | None:
    """House number: ONE is 1, 123-A is 123A, 12-34 stays (Queens), 123 1/2 keeps its fraction."""
    if not tokens:
        return None
    first = pub28.NUMBER_WORDS.get(tokens[0], tokens[0])
    if len(first) > 2 and first[-2] == "-" and first[-1].isalpha() and first[-3].isdigit():
        first = first[:-2] + first[-1]
    if len(tokens) > 1 and tokens[1].isalpha():
        return first + tokens[1]
    return " ".join([first, *tokens[1:]])


def _grammar(
    words: list[str], predir: str | None = None, postdir: str | None = None
) -> tuple[str | None, list[str], str | None, str | None]:
    """Pub 28 street grammar [PRE] NAME [SUFFIX [POST]]: the last suffix word is the suffix."""
    dirs, suffixes, suffix = pub28.DIRECTIONALS, pub28.STREET_SUFFIXES, None
    if postdir is None and len(words) >= 3 and words[-1] in dirs and words[-2] in suffixes:
        postdir, words = dirs[words[-1]], words[:-1]
    if len(words) >= 2 and words[-1] in suffixes:
        suffix, words = suffixes[words[-1]], words[:-1]
    if predir is None and len(words) >= 2 and words[0] in dirs:
        predir, words = dirs[words[0]], words[1:]
    return predir, words, suffix, postdir


def _street(number: str | None, tokens: list[str], units: list[Unit]) -> _Parts | None:
    """A street line from the tokens after the house number, or None when the grammar is unsure."""
    if tokens and tokens[0] in pub28.SPANISH_FIRST:  # Spanish types come first and take no suffix
        return _Parts(_STREET, number, name=_canon_name(tokens, has_suffix=False), units=units)
    predir, s, suffix, postdir = _grammar(tokens)
    if not s or (suffix is None and s[-1] in pub28.DIRECTIONALS and len(s) > 1):
        return None  # "BROADWAY E", "AVENUE N": postdirectional or name?  The CRF decides.
    if suffix is None and len(s) == 1 and (s[0] in pub28.STREET_SUFFIXES or s[0] in pub28.DIRECTIONALS):
        return None
    for word in s:
        if not (word.isalpha() or _ORDINAL_RE.fullmatch(word) or (word.isdigit() and suffix and len(s) == 1)):
            return None
    name = _canon_name(s, has_suffix=suffix is not None)
    return _Parts(_STREET, number, predir, name, suffix, postdir, units=units)


def _rule_street(tokens: list[str]) -> _Parts | None:
    """Spanish street types: "500 CALLE DEL SOL" and "CALLE DEL SOL 500" are one address."""
    if len(tokens) >= 2 and tokens[0] in pub28.SPANISH_FIRST:
        end, units = _unit_tail(tokens, 2, strict=False)
        street = tokens[:end]
        if len(street) >= 3 and _NUMBER_RE.fullmatch(street[-1]):
            return _street(_canon_number(street[-1:]), street[:-1], units)
        return _street(None, street, units)
    if len(tokens) >= 3 and tokens[1] in pub28.SPANISH_FIRST and _NUMBER_RE.fullmatch(tokens[0]):
        end, units = _unit_tail(tokens, 3, strict=False)
        return _street(_canon_number(tokens[:1]), tokens[1:end], units)
    return None


def _fast_street(tokens: list[str]) -> _Parts | None:
    """The Pub 28 tokenizer: NUMBER [1/2] [PRE] NAME [SUFFIX [POST]] [UNIT...], or None to defer."""
    if len(tokens) < 2 or not _NUMBER_RE.fullmatch(tokens[0]):
        return None
    start = 2 if _FRACTION_RE.fullmatch(tokens[1]) else 1
    end, units = _unit_tail(tokens, start + 1, strict=True)
    if end < 0:
        return None
    return _street(_canon_number(tokens[:start]), tokens[start:end], units)


def fast_path_accepts(line1: str) -> bool:
    """Whether the Pub 28 tokenizer parses this street line without the CRF (to profile a file's mix)."""
    tokens = _tokens(_fold(line1))
    if len(tokens) > 1 and tokens[0] in pub28.NUMBER_WORDS:
        tokens[0] = pub28.NUMBER_WORDS[tokens[0]]
    return _fast_street(tokens) is not None


def _box(text: str) -> _Parts | None:
    """PO Box, rural route, highway contract and General Delivery lines (scourgify rejects them)."""
    for kind, rule in _BOX_RULES:
        match = rule.fullmatch(text)
        if match:
            groups = match.groupdict()
            route = groups.get("route")
            parts = _Parts(kind, number=groups.get("num"), route=str(int(route)) if route else None)
            if kind in (AddressKind.RURAL_ROUTE, AddressKind.HIGHWAY_CONTRACT) and route is None:
                parts.problems.add("INCOMPLETE")
            return parts
    return None


def _crf_tag(text: str) -> dict[str, str] | None:
    """The CRF's labels, through scourgify's ambiguity checks first; None when it cannot label."""
    try:
        try:
            return dict(parse_address_string(text))
        except AddressNormalizationError:
            return dict(usaddress.tag(text)[0])
    except Exception:  # RepeatedLabelError and whatever else third-party code raises: unreadable
        return None


def _crf_units(tagged: dict[str, str], place: tuple[str, ...], problems: set[str]) -> list[Unit]:
    """Units from the CRF's labels, plus any leftover text that is not the supplied city or state."""
    units: list[Unit] = []
    texts = [" ".join(tagged[k] for k in pair if k in tagged) for pair in _UNIT_LABELS]
    supplied = {_fold(text) for text in place}  # a label the CRF added, or not the supplied city: keep
    leftovers = [v for k, v in tagged.items() if k not in _READ_LABELS and _fold(v) not in supplied]
    for text in filter(None, [*texts, *leftovers]):
        tokens = [t for t in _tokens(_fold(text)) if t != "-"]
        parsed = _parse_units(tokens, 0, strict=False)
        if parsed is None and len(tokens) == 1 and _LOOSE_ID_RE.fullmatch(tokens[0]):
            parsed = [(None, tokens[0].replace("-", ""))]
        units.extend(parsed or [(None, "".join(t for t in tokens if t != "#"))])
    if leftovers or tagged.keys() & _DROPPED_LABELS:
        problems.add("EXTRA_TEXT")
    return units


def _crf_street(tokens: list[str], place: tuple[str, ...]) -> _Parts:
    """Usaddress for the lines the tokenizer deferred; a trailing unit is read with the Pub 28 table."""
    end, tail_units = _unit_tail(tokens, 2, strict=False)  # the CRF misreads rare designators
    tagged = _crf_tag(" ".join(tokens[:end]))
    if tagged is None:
        return _Parts(_UNPARSEABLE, problems={"UNPARSEABLE"})
    if "IntersectionSeparator" in tagged or any(label.startswith("Second") for label in tagged):
        return _Parts(_UNPARSEABLE, problems={"UNPARSEABLE", "INTERSECTION"})
    occupancy = _fold(tagged.get("OccupancyIdentifier", ""))
    if occupancy in pub28.DIRECTIONALS and "OccupancyType" not in tagged and "StreetNamePostType" in tagged:
        tagged.setdefault("StreetNamePostDirectional", tagged.pop("OccupancyIdentifier"))  # "MAIN HWY E"
    problems: set[str] = set()
    units = _crf_units(tagged, place, problems) + tail_units
    if any(label.startswith("USPSBox") for label in tagged):
        box = _box(_fold(" ".join(v for k, v in tagged.items() if k.startswith("USPSBox"))))
        if box is None:
            return _Parts(_UNPARSEABLE, problems={"UNPARSEABLE", *problems})
        box.units, box.problems = units, box.problems | problems
        return box
    number = _tokens(_fold(" ".join(tagged[k] for k in _NUMBER_LABELS if k in tagged)))
    # A house number takes a fraction or a letter; in "12-34 3RD HWY" 3RD is the street.
    cut = 1 + sum(1 for t in number[1:2] if _FRACTION_RE.fullmatch(t) or (t.isalpha() and len(t) == 1))
    predir = pub28.DIRECTIONALS.get(_fold(tagged.get("StreetNamePreDirectional", "")).replace(" ", ""))
    postdir = pub28.DIRECTIONALS.get(_fold(tagged.get("StreetNamePostDirectional", "")).replace(" ", ""))
    labels = (*(("StreetNamePreDirectional",) if predir is None else ()), *_NAME_LABELS)
    words = number[cut:] + _tokens(_fold(" ".join(tagged[k] for k in labels if k in tagged)))
    predir, words, suffix, postdir = _grammar(words, predir, postdir)  # the CRF segments, Pub 28 names
    if not words and not number:
        return _Parts(_UNPARSEABLE, problems={"UNPARSEABLE", *problems})
    name = _canon_name(words, has_suffix=suffix is not None) if words else None
    parts = _Parts(_STREET, _canon_number(number[:cut]), predir, name, suffix, postdir, units=units)
    parts.problems = problems
    return parts


def _line(tokens: list[str], place: tuple[str, ...], *, line2: bool, fast: bool) -> _Parts:
    """Classify one folded line: a delivery line (street, box, ...), units only, or nothing."""
    problems: set[str] = set()
    if tokens and (tokens[0] in pub28.RECIPIENT_WORDS or tokens[:2] == ["CARE", "OF"]):
        digits = [i for i, t in enumerate(tokens) if t[0].isdigit()]
        tokens, problems = (tokens[digits[0] :], {"EXTRA_TEXT"}) if digits else ([], set())
    if not tokens:
        return _Parts()
    if len(tokens) > 1 and tokens[0] in pub28.NUMBER_WORDS:
        tokens = [pub28.NUMBER_WORDS[tokens[0]], *tokens[1:]]  # the CRF knows ONE but not EIGHT
    units = _parse_units(tokens, 0, strict=False)
    if units is None and line2 and len(tokens) == 1 and _LOOSE_ID_RE.fullmatch(tokens[0]):
        units = [(None, tokens[0].replace("-", ""))]
    if units is not None:
        return _Parts(units=units)
    parts = None if tokens[0][0].isdigit() else _box(" ".join(tokens))  # no box form starts with a digit
    parts = parts or _rule_street(tokens) or (_fast_street(tokens) if fast else None)
    if parts is None and (not line2 or tokens[0][0].isdigit()):
        parts = _crf_street(tokens, place)
    if parts is None or (line2 and parts.kind is _UNPARSEABLE):
        junk = "".join(t for t in tokens if t != "#")
        return _Parts(units=[(None, junk)], problems={"EXTRA_TEXT"}) if junk else _Parts()
    parts.problems |= problems
    return parts


def _urbanization(tokens: list[str]) -> tuple[str | None, list[str]]:
    """Split a Puerto Rico urbanization ("URB LAS GLADIOLAS") off a line, before or after the street."""
    for i, word in enumerate(tokens):
        if word in pub28.URBANIZATION_WORDS:
            if i:
                return " ".join(tokens[i + 1 :]) or None, tokens[:i]
            rest = tokens[1:]
            end = next((j for j, t in enumerate(rest) if t[0].isdigit()), len(rest))
            return " ".join(rest[:end]) or None, rest[end:]
    return None, tokens


def _combine(
    first: _Parts, second: _Parts, junk: tuple[str, str], problems: set[str]
) -> tuple[_Parts, list[Unit]]:
    """The delivery line and its units from line 1 and line 2 (``junk``: each line's text, compacted)."""
    if first.kind is _UNPARSEABLE and second.kind is not None:
        first = _Parts(units=[(None, junk[0])], problems={"EXTRA_TEXT"})  # kept: it may name a unit
    if first.kind is _STREET and second.kind is _STREET:
        second = _Parts(units=[(None, junk[1])], problems={"EXTRA_TEXT"})  # "4 B" under a street: a unit
    if first.kind is None:
        first, second = second, first  # line 1 held a unit or nothing
    elif second.kind is not None:
        problems.add("DUAL_ADDRESS")  # Pub 28: mail goes to the line just above the city line
        first, second = second, _Parts(problems=first.problems)
    problems |= first.problems | second.problems
    if first.kind in (None, _UNPARSEABLE):
        problems.update(("UNPARSEABLE",) if first.kind else ("UNPARSEABLE", "NO_STREET"))
        return _Parts(_UNPARSEABLE), []
    unique: dict[str, Unit] = {}
    for unit in first.units + second.units:
        unique.setdefault(unit[1], unit)
    return first, sorted(unique.values(), key=lambda unit: pub28.UNIT_RANK.get(unit[0] or "", 2))


def _standardize(raw: tuple[object, ...], fast: bool) -> StandardAddress:
    texts = [value if isinstance(value, str) else ("" if value is None else str(value)) for value in raw]
    if any(len(text) > MAX_FIELD_CHARS for text in texts):
        return _build(_Parts(_UNPARSEABLE), [], (None, None, None, None, None), {"TOO_LONG", "UNPARSEABLE"})
    (city, state, zip5, zip4), place_problems = _place(texts[2], texts[3], texts[4])
    problems = set(place_problems)
    line1, line2 = _fold(texts[0]), _fold(texts[1])
    if line1 and (_is_placeholder(line1) or _NUMERIC_LINE_RE.fullmatch(line1)):
        problems.add("PLACEHOLDER")  # R11-R12: a ZIP, digits or filler text is not an address
        line1 = ""
    if len(line2) <= 6 and _compact(line2) in pub28.EMPTY_LINE2:
        line2 = ""
    elif _is_placeholder(line2):
        problems.add("PLACEHOLDER")
        line2 = ""
    urb1, tokens1 = _urbanization(_tokens(line1))
    urb2, tokens2 = _urbanization(_tokens(line2))
    tokens2 = [] if tokens2 == tokens1 else tokens2  # line 2 repeating line 1
    place = tuple(texts[2:])
    first = _line(tokens1, place, line2=False, fast=fast)
    second = _line(tokens2, place, line2=True, fast=fast)
    junk = ("".join(t for t in tokens1 if t != "#"), "".join(t for t in tokens2 if t != "#"))
    main, units = _combine(first, second, junk, problems)
    if main.kind not in (_GD, _UNPARSEABLE) and not main.number:
        problems.add("NO_PRIMARY_NUMBER")
    if main.kind is _STREET and not main.name:
        problems.add("NO_STREET")
    urbanization = (urb1 or urb2) if main.kind is not _UNPARSEABLE else None
    return _build(main, units, (urbanization, city, state, zip5, zip4), problems)


def _build(
    main: _Parts, units: list[Unit], place: tuple[str | None, ...], problems: set[str]
) -> StandardAddress:
    """The StandardAddress; compound units ("BLDG 3 APT 4") keep space-separated types and ids."""
    if any(code.startswith("NO_") or code == "UNPARSEABLE" for code in problems):
        problems.add("INCOMPLETE")  # R13: not a structurally complete address
    elif main.kind is _GD and not all(place[1:4]):
        problems.add("INCOMPLETE")
    if len(units) > 1:
        unit_type: str | None = " ".join(t or "UNIT" for t, _ in units)
        unit_id: str | None = " ".join(i for _, i in units)
    else:
        unit_type, unit_id = units[0] if units else (None, None)
    urbanization, city, state, zip5, zip4 = place
    return StandardAddress(
        main.kind or _UNPARSEABLE, main.number, main.predir, main.name, main.suffix, main.postdir,
        unit_type, unit_id, main.route, urbanization, city, state, zip5, zip4, tuple(sorted(problems)),
    )  # fmt: skip


def standardize_uncached(
    line1: str | None, line2: str | None, city: str | None, state: str | None, zip_code: str | None,
    *, fast_path: bool = True,
) -> StandardAddress:  # fmt: skip
    """Standardize one address; ``fast_path=False`` sends tokenizer-ready street lines to the CRF.

    Never raises: a defect becomes a ``problems`` code, an unreadable address kind UNPARSEABLE.
    """
    try:
        return _standardize((line1, line2, city, state, zip_code), fast_path)
    except Exception:  # a parser bug must not stop a 10 M row load; the row is refused instead
        return _build(_Parts(_UNPARSEABLE), [], (None,) * 5, {"INTERNAL_ERROR", "UNPARSEABLE"})


@functools.lru_cache(maxsize=1 << 16)
def standardize_address(
    line1: str | None, line2: str | None, city: str | None, state: str | None, zip_code: str | None
) -> StandardAddress:
    """Standardize one supplied address (cached: master files and batches repeat addresses).

    Problem codes: NO_PRIMARY_NUMBER, NO_STREET, NO_CITY, NO_STATE, NO_ZIP, PLACEHOLDER,
    UNPARSEABLE, INCOMPLETE (any NO_* or UNPARSEABLE, or General Delivery without city, state
    and ZIP), UNKNOWN_ZIP, INVALID_ZIP, INVALID_STATE, CITY_ZIP_MISMATCH, STATE_ZIP_MISMATCH,
    DUAL_ADDRESS (a street and a box: line 2 wins), EXTRA_TEXT (text that could not be placed;
    kept in ``unit_id`` when it may name a unit), INTERSECTION, TOO_LONG, INTERNAL_ERROR.
    """
    return standardize_uncached(line1, line2, city, state, zip_code)


def _unit_text(address: StandardAddress) -> str:
    if not address.unit_id:
        return ""
    ids = address.unit_id.split()
    types = (address.unit_type or "#").split()
    types = types if len(types) == len(ids) else ["#"] * len(ids)
    return " ".join(i if t == i else f"{t} {i}" for t, i in zip(types, ids, strict=True))  # REAR


def render_lines(address: StandardAddress) -> tuple[str, str]:
    """Print the delivery line and the secondary line back in Pub 28 form ("123 N MAIN ST", "APT 4")."""
    kind, unit = address.kind, _unit_text(address)
    if kind is _STREET:
        parts = (address.primary_number, address.predirectional, address.street_name)
        line1 = " ".join(p for p in (*parts, address.street_suffix, address.postdirectional) if p)
        if address.urbanization:
            return f"{line1} {unit}".strip(), f"URB {address.urbanization}"
        return line1, unit
    if kind is AddressKind.PO_BOX:
        return f"PO BOX {address.primary_number or ''}".strip(), unit
    if kind in (AddressKind.RURAL_ROUTE, AddressKind.HIGHWAY_CONTRACT):
        prefix = "RR" if kind is AddressKind.RURAL_ROUTE else "HC"
        return " ".join(p for p in (prefix, address.route, "BOX", address.primary_number) if p), unit
    if kind is _GD:
        return "GENERAL DELIVERY", unit
    return "", ""
