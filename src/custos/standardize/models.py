"""Standardized names and addresses: the values matching compares.

Every value carries the normalizer version that produced it, so a decision
can say exactly which rules read the request and the master record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NORMALIZER_VERSION = "std-2026.11-1"


class AddressKind(StrEnum):
    """What kind of delivery point an address names."""

    STREET = "street"
    PO_BOX = "po_box"
    RURAL_ROUTE = "rural_route"
    HIGHWAY_CONTRACT = "highway_contract"
    GENERAL_DELIVERY = "general_delivery"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True, slots=True)
class StandardAddress:
    """A USPS Pub 28 style address, split into the parts that identify a delivery point.

    All text is upper-case ASCII.  ``primary_number`` is the house number for a
    street address ("123", "12-34", "1/2" kept as "123 1/2"), the box number
    for a PO box, and the box number for a rural route or highway contract
    (whose route number is ``route``).  ``unit_type`` is the Pub 28
    abbreviation (APT, STE, UNIT, ...; "#" becomes UNIT); two addresses with
    the same ``unit_id`` are the same delivery point whatever their unit types.
    ``city`` is the USPS preferred city for the ZIP when the supplied city is
    one of its names or aliases, else the supplied city folded.
    ``problems`` lists defects found while parsing (codes such as
    ``NO_PRIMARY_NUMBER``, ``STATE_ZIP_MISMATCH``, ``CITY_ZIP_MISMATCH``,
    ``NO_CITY``, ``NO_STATE``, ``NO_ZIP``, ``PLACEHOLDER``, ``UNPARSEABLE``).
    """

    kind: AddressKind
    primary_number: str | None
    predirectional: str | None
    street_name: str | None
    street_suffix: str | None
    postdirectional: str | None
    unit_type: str | None
    unit_id: str | None
    route: str | None
    urbanization: str | None
    city: str | None
    state: str | None
    zip5: str | None
    zip4: str | None
    problems: tuple[str, ...] = ()
    version: str = NORMALIZER_VERSION

    @property
    def street_key(self) -> str:
        """The delivery point without its unit: kind, number, street and ZIP (or city+state)."""
        place = self.zip5 or f"{self.city or ''},{self.state or ''}"
        parts = (
            self.kind.value, self.route or "", self.primary_number or "", self.predirectional or "",
            self.street_name or "", self.street_suffix or "", self.postdirectional or "",
            self.urbanization or "", place,
        )  # fmt: skip
        return "|".join(parts)

    @property
    def delivery_point_key(self) -> str:
        """Equal for two addresses exactly when they are the same delivery point, unit included."""
        return f"{self.street_key}|{self.unit_id or ''}"


class Suffix(StrEnum):
    """Generational suffixes that distinguish a Jr from a Sr of one name."""

    JR = "JR"
    SR = "SR"
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"


@dataclass(frozen=True, slots=True)
class StandardName:
    """A person's name folded for comparison (upper-case ASCII, no punctuation).

    ``given_tokens`` holds every token of the given name ("JOSE MARIA" gives
    ("JOSE", "MARIA")); ``surname`` keeps particles ("DE LA CRUZ"), with
    hyphens turned into spaces; ``surname_tokens`` drops the particles (de,
    del, de la, de los, de las, y, da, das, do, dos, van, von, der, den, le,
    la, st, saint, mc and mac stay attached) so that "Garcia-Marquez",
    "GARCIA MARQUEZ" and "Garcia y Marquez" share ("GARCIA", "MARQUEZ").
    ``surname_joined`` is the tokens concatenated ("GARCIAMARQUEZ"), which
    matches systems that dropped the space.
    """

    given: str
    given_tokens: tuple[str, ...]
    middle: str
    surname: str
    surname_tokens: tuple[str, ...]
    suffix: Suffix | None
    version: str = NORMALIZER_VERSION

    @property
    def surname_joined(self) -> str:
        """Surname tokens without separators."""
        return "".join(self.surname_tokens)
