"""Delivery points for the synthetic population, unique by construction.

A request may be labelled CONFIRMED only if the supplied address is the address
of record of exactly one taxpayer; the labels are therefore only as good as the
guarantee that two unrelated households never share a delivery point by
accident. Every address is drawn from a keyed permutation of a counter over
(ZIP, street, house number) and similar spaces, so addresses never collide,
and any address a request invents (a wrong house number, say) can be checked
against everything issued by inverting the permutation.

ZIP, city and state always agree: they come together from the ``zipcodes``
package. Street addresses use Pub 28 abbreviations in the master file; PO
boxes, rural routes and Puerto Rico urbanizations (with real urbanization
names for the ZIP, from the same package) are included because they are
exactly the forms that trip address parsers.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import zipcodes

from custos.synth.sampling import Permutation

if TYPE_CHECKING:
    from custos.synth.population import Person

_zip_list: Callable[[], list[dict[str, Any]]] = zipcodes.list_all  # typed core, untyped wrapper

STREET, PO_BOX, RURAL_ROUTE, PUERTO_RICO = "street", "po_box", "rural_route", "puerto_rico"

STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
})  # fmt: skip

# Street names that are not themselves Pub 28 suffixes or directionals, so the street
# name, suffix and directional of a rendered line can never be confused.
STREET_NAMES: tuple[str, ...] = (
    "MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LINCOLN", "JACKSON", "CHURCH",
    "WALNUT", "SUNSET", "JEFFERSON", "FRANKLIN", "WILLOW", "MADISON", "ADAMS", "CHESTNUT", "HICKORY",
    "MAGNOLIA", "DOGWOOD", "SYCAMORE", "BIRCH", "ASPEN", "SPRUCE", "HOLLY", "LAUREL", "POPLAR",
    "CHERRY", "PEACH", "HIGHLAND", "MONROE", "WILSON", "HARRISON", "GRANT", "KENNEDY", "ROOSEVELT",
    "JOHNSON", "COLLEGE", "SCHOOL", "MARKET", "WATER", "FRONT", "HIGH", "UNION", "PROSPECT",
    "PLEASANT", "LOCUST", "MULBERRY", "LIBERTY", "ELIZABETH", "COLUMBIA", "VIRGINIA", "CAROLINA",
    "GEORGIA", "DELAWARE", "ONTARIO", "HURON", "ERIE", "SENECA", "CHEROKEE", "DAKOTA", "SHERIDAN",
    "SHERMAN", "GARFIELD", "MCKINLEY", "CLEVELAND", "TAYLOR", "POLK", "TYLER", "PIERCE", "BUCHANAN",
    "FILLMORE", "HAYES", "ARTHUR", "COOLIDGE", "HOOVER", "TRUMAN", "EISENHOWER", "REAGAN", "CARTER",
    "BELMONT", "FAIRVIEW", "GREENWOOD", "KINGSTON", "LAFAYETTE", "LEXINGTON", "CONCORD", "PRINCETON",
    "OXFORD", "CAMBRIDGE", "STRATFORD", "WINDSOR", "HAMPTON", "ASHLAND", "BRADFORD", "CLINTON",
    "DEARBORN", "EVERETT", "FAIRFAX", "GRANDVIEW", "HAWTHORNE", "IRVING", "JUNIPER", "KIRKWOOD",
    "LAKEWOOD", "LINDEN", "MARION", "NEWPORT", "OLIVE", "PALMER", "QUINCY", "REDWOOD", "SALEM",
    "TRENTON", "VERNON", "WESTMINSTER", "YORK", "ALDER", "BAYBERRY", "CAMELLIA", "CYPRESS", "DAISY",
    "EVERGREEN", "FOXGLOVE", "GARDENIA", "HEATHER", "IVY", "JASMINE", "LILAC", "MYRTLE", "OLEANDER",
    "PRIMROSE", "ROSEWOOD", "SAGE", "TULIP", "VIOLET", "WISTERIA", "ACORN", "BLUEBIRD", "CARDINAL",
    "DOVE", "EAGLE", "FALCON", "HERON", "LARK", "ORIOLE", "ROBIN", "SPARROW", "WREN", "1ST", "2ND",
    "3RD", "4TH", "5TH", "6TH", "7TH", "8TH", "9TH", "10TH", "11TH", "12TH", "13TH", "14TH", "15TH",
    "16TH", "17TH", "18TH", "19TH", "20TH", "21ST", "22ND", "23RD", "24TH", "25TH", "26TH", "27TH",
    "28TH", "29TH", "30TH", "31ST", "32ND", "33RD", "34TH", "35TH", "36TH", "37TH", "38TH", "39TH",
    "40TH", "41ST", "42ND", "43RD", "44TH", "45TH",
)  # fmt: skip
# Pub 28 abbreviation -> spelled out
SUFFIXES: dict[str, str] = {
    "ST": "STREET", "AVE": "AVENUE", "RD": "ROAD", "DR": "DRIVE", "LN": "LANE", "CT": "COURT",
    "BLVD": "BOULEVARD", "PL": "PLACE", "WAY": "WAY", "CIR": "CIRCLE", "TER": "TERRACE", "PKWY": "PARKWAY",
}  # fmt: skip
DIRECTIONALS: dict[str, str] = {
    "N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST", "NE": "NORTHEAST", "NW": "NORTHWEST",
    "SE": "SOUTHEAST", "SW": "SOUTHWEST",
}  # fmt: skip
PR_CALLES: tuple[str, ...] = (
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18",
    "19", "20", "A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "SOL", "LUNA", "TULIPAN",
    "ROSA", "DALIA", "ORQUIDEA", "AMAPOLA", "GARDENIA", "JAZMIN", "CEREZA", "ACEROLA", "GUAYABA",
    "MANGO", "PALMA", "CEIBA", "FLAMBOYAN", "MARGINAL", "PRINCIPAL", "LAS FLORES", "LOS PINOS",
    "SAN JUAN", "SANTA ANA", "DEL PARQUE",
)  # fmt: skip
PR_FALLBACK_URBS: tuple[str, ...] = (
    "VILLA CAROLINA", "LOS MAESTROS", "SANTA ROSA", "VILLA FONTANA", "SAN ANTONIO", "LAS LOMAS",
    "JARDINES DE CAPARRA", "VILLA DEL REY", "LEVITTOWN", "PUERTO NUEVO",
)  # fmt: skip

HOUSE_NUMBERS = 9999
PO_BOXES = 9999
RR_ROUTES, RR_BOXES = 12, 999
PR_NUMBERS = 999


@dataclass(frozen=True, slots=True)
class ZipInfo:
    """A ZIP code with its USPS city, state, accepted alias cities and urbanizations."""

    zip5: str
    city: str
    state: str
    aliases: tuple[str, ...] = ()
    urbs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ZipTables:
    """The ZIP codes each kind of address is drawn from."""

    street: tuple[ZipInfo, ...]
    po_box: tuple[ZipInfo, ...]
    puerto_rico: tuple[tuple[ZipInfo, str], ...]  # (ZIP, urbanization name)


@functools.cache
def load_zip_tables() -> ZipTables:
    """Active ZIP codes from the ``zipcodes`` package, in ZIP order."""
    street: list[ZipInfo] = []
    po_box: list[ZipInfo] = []
    pr: list[tuple[ZipInfo, str]] = []
    for entry in sorted(_zip_list(), key=lambda z: str(z["zip_code"])):
        if not entry["active"] or entry["zip_code_type"] not in ("STANDARD", "PO BOX"):
            continue
        state = str(entry["state"])
        aliases = tuple(
            str(c).upper() for c in entry["acceptable_cities"] if str(c).replace(" ", "").isalpha()
        )
        info = ZipInfo(str(entry["zip_code"]), str(entry["city"]).upper(), state, aliases)
        if state in STATES:
            po_box.append(info)
            if entry["zip_code_type"] == "STANDARD":
                street.append(info)
        elif state == "PR" and entry["zip_code_type"] == "STANDARD":
            urbs = sorted(
                {str(c)[4:].upper() for c in entry["unacceptable_cities"] if str(c).startswith("Urb ")}
            )
            for urb in urbs or PR_FALLBACK_URBS:
                pr.append((info, urb))
    return ZipTables(tuple(street), tuple(po_box), tuple(pr))


@dataclass(slots=True)
class Address:
    """One delivery point, with the parts requests vary and its master-file rendering.

    ``number`` is the house number, or the box number of a PO box or rural route.
    ``key`` locates the point in its address space (used to check invented variants).
    """

    kind: str
    zip: ZipInfo
    zip4: str
    zip4_on_file: bool
    number: str
    predir: str = ""
    street: str = ""
    suffix: str = ""
    postdir: str = ""
    route: str = ""
    urb: str = ""
    unit_type: str = ""
    unit_id: str = ""
    unit_in_line1: bool = False
    key: tuple[int, int] = (0, 0)
    master: tuple[str, str, str, str, str] = field(default=("", "", "", "", ""))

    def street_line(self) -> str:
        """The primary line without unit, as the master file writes it."""
        if self.kind == PO_BOX:
            return f"PO BOX {self.number}"
        if self.kind == RURAL_ROUTE:
            return f"RR {self.route} BOX {self.number}"
        if self.kind == PUERTO_RICO:
            return f"{self.number} CALLE {self.street}"
        parts = (self.number, self.predir, self.street, self.suffix, self.postdir)
        return " ".join(p for p in parts if p)

    def unit(self) -> str:
        """The secondary unit as written in the master file ("APT 4B"), or ""."""
        return f"{self.unit_type} {self.unit_id}" if self.unit_id else ""

    def render_master(self) -> tuple[str, str, str, str, str]:
        """(line1, line2, city, state, zip) as the master file holds them."""
        line1, line2 = self.street_line(), self.unit()
        if self.kind == PUERTO_RICO:
            line2 = f"URB {self.urb}"
        elif line2 and self.unit_in_line1:
            line1, line2 = f"{line1} {line2}", ""
        zip_code = f"{self.zip.zip5}-{self.zip4}" if self.zip4_on_file else self.zip.zip5
        return (line1, line2, self.zip.city, self.zip.state, zip_code)

    def with_unit(self, unit_type: str, unit_id: str, unit_in_line1: bool) -> Address:
        """A copy of this (unit-less) address at one unit of the building."""
        copy = Address(
            self.kind, self.zip, self.zip4, self.zip4_on_file, self.number, self.predir, self.street,
            self.suffix, self.postdir, self.route, self.urb, unit_type, unit_id, unit_in_line1, self.key,
        )  # fmt: skip
        copy.master = copy.render_master()
        return copy


@dataclass(slots=True)
class Building:
    """A multi-unit building: one street address, many delivery points."""

    base: Address
    unit_type: str
    unit_ids: list[str]
    # unit id -> the people living there (the household's member list: no reference back, no cycle)
    occupants: dict[str, list[Person]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Streets:
    predir: tuple[str, ...]
    name: tuple[str, ...]
    suffix: tuple[str, ...]
    postdir: tuple[str, ...]


@functools.cache
def _streets() -> _Streets:
    # A fixed street table (the same for every seed): each (name, suffix) pair is one street,
    # about a quarter of them with a directional, so rendered street lines stay unique.
    rng = random.Random("custos-synth:streets")  # noqa: S311 (fixed data, not secrets)
    pre: list[str] = []
    names: list[str] = []
    sfx: list[str] = []
    post: list[str] = []
    for name in STREET_NAMES:
        for suffix in SUFFIXES:
            roll = rng.random()
            pre.append(rng.choice("NSEW") if roll < 0.2 else "")
            post.append(rng.choice(("NE", "NW", "SE", "SW")) if 0.2 <= roll < 0.25 else "")
            names.append(name)
            sfx.append(suffix)
    return _Streets(tuple(pre), tuple(names), tuple(sfx), tuple(post))


class AddressBook:
    """Issues unique delivery points of every kind and answers whether a street address is in use."""

    def __init__(self, rng: random.Random, key_rng: random.Random):
        self.rng = rng
        self.tables = load_zip_tables()
        self._streets = _streets()
        n_streets = len(self._streets.name)
        self._street_shape = (len(self.tables.street), n_streets, HOUSE_NUMBERS)
        self._street = Permutation(len(self.tables.street) * n_streets * HOUSE_NUMBERS, key_rng)
        self._po = Permutation(len(self.tables.po_box) * PO_BOXES, key_rng)
        self._rr = Permutation(len(self.tables.street) * RR_ROUTES * RR_BOXES, key_rng)
        self._pr = Permutation(len(self.tables.puerto_rico) * len(PR_CALLES) * PR_NUMBERS, key_rng)
        self.issued = {STREET: 0, PO_BOX: 0, RURAL_ROUTE: 0, PUERTO_RICO: 0}

    def _next(self, kind: str, space: Permutation) -> int:
        index = self.issued[kind]
        self.issued[kind] = index + 1
        return space.forward(index)

    def _zip4(self) -> tuple[str, bool]:
        rng = self.rng
        return f"{1 + int(rng.random() * 9999):04d}", rng.random() < 0.2

    def street(self) -> Address:
        """A new street address (no unit)."""
        point = self._next(STREET, self._street)
        n_zips, n_streets, _ = self._street_shape
        zip_index, rest = point % n_zips, point // n_zips
        street_index, number = rest % n_streets, rest // n_streets + 1
        s = self._streets
        zip4, on_file = self._zip4()
        address = Address(
            STREET, self.tables.street[zip_index], zip4, on_file, str(number), s.predir[street_index],
            s.name[street_index], s.suffix[street_index], s.postdir[street_index],
            key=(zip_index, street_index),
        )  # fmt: skip
        address.master = address.render_master()
        return address

    def street_in_use(self, address: Address, number: int) -> bool:
        """True if the street address ``address`` with house ``number`` was ever issued."""
        if address.kind != STREET or not 1 <= number <= HOUSE_NUMBERS:
            return True  # outside the space: treat as taken, the caller picks another
        n_zips, n_streets, _ = self._street_shape
        zip_index, street_index = address.key
        point = zip_index + n_zips * (street_index + n_streets * (number - 1))
        return self._street.inverse(point) < self.issued[STREET]

    def po_box(self) -> Address:
        """A new PO box."""
        point = self._next(PO_BOX, self._po)
        zip_info, box = (
            self.tables.po_box[point % len(self.tables.po_box)],
            point // len(self.tables.po_box) + 1,
        )
        zip4, on_file = self._zip4()
        address = Address(PO_BOX, zip_info, zip4, on_file, str(box))
        address.master = address.render_master()
        return address

    def rural_route(self) -> Address:
        """A new rural route box."""
        point = self._next(RURAL_ROUTE, self._rr)
        n_zips = len(self.tables.street)
        zip_index, rest = point % n_zips, point // n_zips
        zip4, on_file = self._zip4()
        address = Address(
            RURAL_ROUTE, self.tables.street[zip_index], zip4, on_file, str(rest // RR_ROUTES + 1),
            route=str(rest % RR_ROUTES + 1),
        )  # fmt: skip
        address.master = address.render_master()
        return address

    def puerto_rico(self) -> Address:
        """A new Puerto Rico urbanization address (number + CALLE + URB)."""
        point = self._next(PUERTO_RICO, self._pr)
        n_urbs = len(self.tables.puerto_rico)
        (zip_info, urb), rest = self.tables.puerto_rico[point % n_urbs], point // n_urbs
        calle, number = PR_CALLES[rest % len(PR_CALLES)], rest // len(PR_CALLES) + 1
        zip4, on_file = self._zip4()
        address = Address(PUERTO_RICO, zip_info, zip4, on_file, str(number), street=calle, urb=urb)
        address.master = address.render_master()
        return address

    def home(self, hispanic: bool) -> Address:
        """A new address for a house: mostly street addresses, some boxes, routes and PR."""
        roll = self.rng.random()
        if hispanic and roll < 0.1:
            return self.puerto_rico()
        if roll < 0.86:
            return self.street()
        if roll < 0.94:
            return self.po_box()
        return self.rural_route()

    def building(self, households: int) -> Building:
        """A new apartment building with ``households`` units."""
        rng = self.rng
        base = self.street()
        unit_type = rng.choices(("APT", "UNIT", "#"), (70, 20, 10))[0]
        if households <= 6 and rng.random() < 0.5:
            ids = [chr(ord("A") + i) for i in range(households)]
        elif households <= 12:
            ids = [str(i + 1) for i in range(households)]
        else:
            per_floor = rng.randrange(4, 11)
            ids = [f"{i // per_floor + 1}{i % per_floor + 1:02d}" for i in range(households)]
        return Building(base, unit_type, ids)

    def unit_of(self, building: Building, unit_id: str) -> Address:
        """The delivery point of one unit (the master file puts the unit in line 1 or line 2)."""
        return building.base.with_unit(building.unit_type, unit_id, self.rng.random() < 0.35)
