"""How requesters write an address: equivalent variants and the corruptions that change it.

Format variants must still name the same delivery point (Pub 28 treats
"APT 4", "# 4" and "UNIT 4" alike; "STREET" is "ST"; ZIP+4 refines ZIP), so a
matcher that fails on them loses recall. Corruptions (another unit, no unit,
another house number) name a different delivery point, so a matcher that
accepts them makes the costly error: a false confirmation.
"""

from __future__ import annotations

import dataclasses
import random

from custos.synth.addresses import (
    DIRECTIONALS,
    PO_BOX,
    PUERTO_RICO,
    RURAL_ROUTE,
    STREET,
    SUFFIXES,
    Address,
)

Lines = tuple[str, str, str, str, str]  # line1, line2, city, state, zip

UNIT_FORMS = ("APT", "UNIT", "#", "APARTMENT", "APT.", "#{}")


def _title(text: str) -> str:
    words = []
    for word in text.split(" "):
        if word[:1].isalpha():
            words.append(word[:1].upper() + word[1:].lower())
        else:
            words.append(word.lower())
    return " ".join(words)


def _unit_text(form: str, unit_id: str) -> str:
    return form.format(unit_id) if "{}" in form else f"{form} {unit_id}"


def _primary(address: Address, rng: random.Random, changes: list[str]) -> str:
    kind = address.kind
    if kind == STREET:
        predir, suffix, postdir = address.predir, address.suffix, address.postdir
        if predir and rng.random() < 0.6:
            predir = DIRECTIONALS[predir]
            changes.append("directional spelled out")
        if postdir and rng.random() < 0.6:
            postdir = DIRECTIONALS[postdir]
            changes.append("directional spelled out")
        if suffix and rng.random() < 0.45 and SUFFIXES[suffix] != suffix:
            suffix = SUFFIXES[suffix]
            changes.append("suffix spelled out")
        elif suffix and rng.random() < 0.1:
            suffix += "."
            changes.append("abbreviation with period")
        parts = (address.number, predir, address.street, suffix, postdir)
        return " ".join(p for p in parts if p)
    if kind == PO_BOX:
        form = rng.choice(("P.O. BOX", "POST OFFICE BOX", "P O BOX", "PO BOX"))
        if form != "PO BOX":
            changes.append(f"{form}")
        return f"{form} {address.number}"
    if kind == RURAL_ROUTE:
        form = rng.choice(("RURAL ROUTE {} BOX {}", "RR {} BOX {}", "R R {} BOX {}"))
        if not form.startswith("RR"):
            changes.append("rural route spelled")
        return form.format(address.route, address.number)
    return f"{address.number} CALLE {address.street}"


def _zip(address: Address, rng: random.Random, changes: list[str]) -> str:
    zip5, zip4 = address.zip.zip5, address.zip4
    if rng.random() >= 0.35:
        return f"{zip5}-{zip4}" if address.zip4_on_file else zip5
    if address.zip4_on_file:
        if rng.random() < 0.5:
            changes.append("ZIP+4 dropped")
            return zip5
        changes.append("ZIP+4 without hyphen")
        return zip5 + zip4
    changes.append("ZIP+4 added")
    return f"{zip5}-{zip4}"


def format_variant(address: Address, rng: random.Random) -> tuple[Lines, str]:
    """The same delivery point written differently, and a note saying how."""
    for _ in range(8):
        changes: list[str] = []
        line1 = _primary(address, rng, changes)
        line2 = ""
        if address.kind == PUERTO_RICO:
            urb = f"{rng.choice(('URB', 'URBANIZACION', 'URB.'))} {address.urb}"
            if not urb.startswith("URB "):
                changes.append("urbanization spelled")
            if rng.random() < 0.3:
                line1, line2 = urb, line1
                changes.append("urbanization in line 1")
            else:
                line2 = urb
        elif address.unit_id:
            form = rng.choice(UNIT_FORMS)
            unit = _unit_text(form, address.unit_id)
            if unit != address.unit():
                changes.append(f"unit written {unit!r}")
            in_line1 = rng.random() < 0.5
            if in_line1 != address.unit_in_line1:
                changes.append("unit in line 1" if in_line1 else "unit in line 2")
            line1, line2 = (f"{line1} {unit}", "") if in_line1 else (line1, unit)
        zip_code = _zip(address, rng, changes)
        city = address.zip.city
        if address.zip.aliases and rng.random() < 0.3:
            city = address.zip.aliases[rng.randrange(len(address.zip.aliases))]
            changes.append("alias city")
        roll = rng.random()
        if roll < 0.25:
            line1, line2, city = _title(line1), _title(line2), _title(city)
            changes.append("title case")
        elif roll < 0.35:
            line1, line2, city = line1.lower(), line2.lower(), city.lower()
            changes.append("lower case")
        lines = (line1, line2, city, address.zip.state, zip_code)
        if lines != address.master:
            return lines, "; ".join(dict.fromkeys(changes)) or "reformatted"
    zip_code = address.zip.zip5 if address.zip4_on_file else f"{address.zip.zip5}-{address.zip4}"
    line1, line2, city, state, _ = address.master
    return (line1, line2, city, state, zip_code), "ZIP+4 toggled"


def without_unit(address: Address) -> Lines:
    """The building's street address only: the unit is missing."""
    _, _, city, state, zip_code = address.master
    return (address.street_line(), "", city, state, zip_code)


def with_unit(address: Address, unit_id: str) -> Lines:
    """The same building, another unit (written as the master writes units)."""
    return address.with_unit(address.unit_type, unit_id, address.unit_in_line1).master


def with_number(address: Address, number: int) -> Lines:
    """The same street and unit, another house number."""
    changed = dataclasses.replace(address, number=str(number))
    return changed.render_master()


def wrong_numbers(number: str, rng: random.Random) -> list[int]:
    """Plausible mistakes for a house number: a neighbour, a transposition, a mistyped digit."""
    value = int(number)
    candidates = [value + d for d in (2, -2, 4, -4, 10, -10, 1, -1)]
    if len(number) >= 2:
        i = rng.randrange(len(number) - 1)
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        if swapped[0] != "0":
            candidates.insert(0, int(swapped))
    i = rng.randrange(len(number))
    digit = str((int(number[i]) + rng.randrange(1, 10)) % 10)
    typo = number[:i] + digit + number[i + 1 :]
    if typo[0] != "0":
        candidates.insert(0, int(typo))
    rng.shuffle(candidates)
    return [c for c in candidates if c != value and c > 0]
