"""People, households and their tax years: the structures that make matching hard.

A master file of independent random people would be easy to match and would
teach nothing. Confirmation errors come from structure: households sharing an
address and a surname, apartment buildings whose units differ only in line 2,
a father and son of one name, twins with one date of birth, namesakes, people
who moved (their old address is still in the file, one tax year back),
relatives who do not file, and compound Hispanic surnames filed in several
ways. This module generates such a population as a stream of *sites* (a house
or a building with its households), so ten million taxpayers never need to be
in memory at once.

The special structures the request categories depend on (Jr/Sr pairs, twins,
namesakes at one address) are planted at fixed rates per site, spaced evenly,
so every size of master file has some and the first sites already include one
of each.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from custos.synth.addresses import Address, AddressBook, Building
from custos.synth.names import (
    ACCENTED_GIVEN,
    ACCENTED_SURNAME,
    TWIN_NAME_PAIRS,
    NameTables,
    accent_surname,
    clearly_different_given,
)
from custos.synth.sampling import Permutation, WeightedSampler, cumulative

LATEST_TAX_YEAR = 2024
FIRST_TAX_YEAR = 2019

# kinds of household
SINGLE, FAMILY, APARTMENT, JRSR, TWINS, NAMESAKE, LEFT_HOME = (
    "single", "family", "apartment", "jr_sr", "twins", "namesake", "left_home",
)  # fmt: skip

# pools the request builder samples households from
POOL_ANY, POOL_UNIT, POOL_MOVED, POOL_ACCENTED, POOL_ACCENTABLE = (
    "any",
    "unit",
    "moved",
    "accented",
    "accentable",
)
POOL_COMPOUND, POOL_HISPANIC, POOL_JRSR, POOL_TWINS, POOL_NAMESAKE, POOL_FAMILY = (
    "compound", "hispanic", "jr_sr", "twins_similar", "namesake", "family",
)  # fmt: skip

# Planted structures: share of sites.
PLANTED_RATES: dict[str, float] = {JRSR: 0.012, TWINS: 0.010, NAMESAKE: 0.008}
# Ordinary sites: relative weights.
SITE_WEIGHTS: dict[str, float] = {SINGLE: 0.42, FAMILY: 0.55, APARTMENT: 0.03}
HISPANIC_SHARE = 0.18
MOVE_RATE = 0.18
NONFILER_RATE = 0.08
LEFT_HOME_RATE = 0.12
NAMESAKE_COPY_RATE = 0.03
TWINS_SIMILAR_SHARE = 0.7


@dataclass(slots=True, eq=False)
class Person:
    """One person; ``filer`` people are taxpayers in the master file, the others are absent from it."""

    given: str
    middle: str
    surname: str
    suffix: str
    dob: str
    female: bool
    dob_on_file: bool = True
    filer: bool = True
    tin: str = ""
    first_year: int = LATEST_TAX_YEAR
    latest_year: int = LATEST_TAX_YEAR
    role: str = ""
    timeline: list[tuple[int, Address]] | None = None  # own history, for a child who left home


@dataclass(slots=True, eq=False)
class Household:
    """People sharing one delivery point; ``timeline`` is [(from tax year, address)], oldest first."""

    kind: str
    members: list[Person]
    timeline: list[tuple[int, Address]]
    hispanic: bool = False
    building: Building | None = None
    origin: Household | None = None  # for a child who left home: the parents' household
    left: list[Person] = field(default_factory=list)  # children who left this household
    twins_similar: bool = False

    @property
    def address(self) -> Address:
        """The current address (the address of record of its filers)."""
        return self.timeline[-1][1]

    def filers(self) -> list[Person]:
        """Members who are in the master file."""
        return [m for m in self.members if m.filer]


def timeline_of(person: Person, household: Household) -> list[tuple[int, Address]]:
    """Where a person lived, by tax year."""
    return person.timeline if person.timeline is not None else household.timeline


def address_in(timeline: list[tuple[int, Address]], year: int) -> Address:
    """The address of a timeline in a tax year."""
    for start, address in reversed(timeline):
        if year >= start:
            return address
    return timeline[0][1]


class TinIssuer:
    """Unique TINs: SSNs (area 001-899 except 666) and ITINs (9XX, ITIN groups), permuted."""

    _ITIN_GROUPS = tuple(list(range(50, 66)) + list(range(70, 89)) + [90, 91, 92] + list(range(94, 100)))

    def __init__(self, key_rng: random.Random):
        self._ssn = Permutation(898 * 99 * 9999, key_rng)
        self._itin = Permutation(100 * len(self._ITIN_GROUPS) * 9999, key_rng)
        self.issued_ssn = 0
        self.issued_itin = 0

    def ssn(self) -> str:
        """A new SSN."""
        x = self._ssn.forward(self.issued_ssn)
        self.issued_ssn += 1
        serial, rest = x % 9999 + 1, x // 9999
        group, area = rest % 99 + 1, rest // 99 + 1
        area += area >= 666
        return f"{area:03d}{group:02d}{serial:04d}"

    def itin(self) -> str:
        """A new ITIN."""
        x = self._itin.forward(self.issued_itin)
        self.issued_itin += 1
        serial, rest = x % 9999 + 1, x // 9999
        groups = self._ITIN_GROUPS
        return f"{900 + rest // len(groups):03d}{groups[rest % len(groups)]:02d}{serial:04d}"


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class NameSource:
    """Draws names and dates of birth for one random stream."""

    def __init__(self, rng: random.Random, tables: NameTables):
        self.rng = rng
        self._male = WeightedSampler(rng, tables.male.values, tables.male.cum_weights)
        self._female = WeightedSampler(rng, tables.female.values, tables.female.cum_weights)
        self._surname = WeightedSampler(rng, tables.surnames.values, tables.surnames.cum_weights)
        hs = tables.hispanic_surnames
        self._hsurname = WeightedSampler(rng, hs.values, hs.cum_weights)
        hm, hf = tables.hispanic_male, tables.hispanic_female
        self._hmale = WeightedSampler(rng, hm.values, hm.cum_weights)
        self._hfemale = WeightedSampler(rng, hf.values, hf.cum_weights)

    def plain_given(self, female: bool, hispanic: bool) -> str:
        """A given name, upper-case ASCII."""
        if hispanic and self.rng.random() < 0.75:
            return self._hfemale() if female else self._hmale()
        return self._female() if female else self._male()

    def given(self, female: bool, hispanic: bool) -> str:
        """A given name as filed (Hispanic names often with their accents)."""
        plain = self.plain_given(female, hispanic)
        accented = ACCENTED_GIVEN.get(plain)
        if accented and self.rng.random() < (0.5 if hispanic else 0.25):
            return accented
        return plain

    def middle(self, female: bool, hispanic: bool) -> str:
        """A middle name, an initial, or nothing."""
        roll = self.rng.random()
        if roll < 0.5:
            return self.given(female, hispanic)
        if roll < 0.7:
            return self.plain_given(female, hispanic)[0]
        return ""

    def family_name(self, hispanic: bool) -> str:
        """One family name, upper-case ASCII (particle surnames keep their spaces)."""
        return self._hsurname() if hispanic else self._surname()

    def filed(self, tokens: list[str], hispanic: bool) -> str:
        """A surname as one person files it: compound joined by space or hyphen, maybe accented."""
        rng = self.rng
        surname = tokens[0] if len(tokens) == 1 else (" " if rng.random() < 0.7 else "-").join(tokens)
        if (" " in surname or "-" in surname or surname in ACCENTED_SURNAME) and rng.random() < (
            0.45 if hispanic else 0.3
        ):
            return accent_surname(surname) or surname
        return surname

    def dob(self, year: int) -> str:
        """A date of birth in ``year``."""
        rng = self.rng
        month = _between(rng, 1, 13)
        day = _between(rng, 1, _DAYS[month - 1] + 1)
        return f"{year:04d}-{month:02d}-{day:02d}"

    def person(self, female: bool, hispanic: bool, surname: str, born: int, suffix: str = "") -> Person:
        """A new person."""
        return Person(
            self.given(female, hispanic),
            self.middle(female, hispanic),
            surname,
            suffix,
            self.dob(born),
            female,
        )


def _between(rng: random.Random, low: int, high: int) -> int:
    """A random integer in [low, high): ``randrange`` without its argument checks (hot path)."""
    return low + int(rng.random() * (high - low))


def _clamp_birth(year: int) -> int:
    return max(1925, min(2004, year))


class PopulationGenerator:
    """Generates sites (lists of households) for ever; the caller stops when it has enough."""

    def __init__(self, rng: random.Random, tables: NameTables, book: AddressBook):
        self.rng = rng
        self.names = NameSource(rng, tables)
        self.book = book
        self._recent: list[tuple[str, str, bool, bool]] = []  # (given, surname, female, hispanic)
        kinds = list(SITE_WEIGHTS)
        self._site_kind = WeightedSampler(rng, kinds, cumulative([SITE_WEIGHTS[k] for k in kinds]))
        sizes = [2, 3, 4, 5, 6]
        self._family_size = WeightedSampler(rng, sizes, cumulative([42, 25, 18, 10, 5]))
        # Each planted kind appears within the first twenty sites, after a few ordinary ones.
        self._planted = {kind: 0.95 - 0.05 * i for i, kind in enumerate(PLANTED_RATES)}

    # --- sites ---------------------------------------------------------------------------------

    def sites(self) -> Iterator[list[Household]]:
        """An endless stream of sites."""
        builders = {JRSR: self._jr_sr, TWINS: self._twins, NAMESAKE: self._namesake}
        while True:
            planted = None
            for kind, rate in PLANTED_RATES.items():
                self._planted[kind] += rate
                if planted is None and self._planted[kind] >= 1.0:
                    planted = kind
            if planted is not None:
                self._planted[planted] -= 1.0
                yield builders[planted]()
                continue
            kind = self._site_kind()
            if kind == SINGLE:
                yield [self._single()]
            elif kind == FAMILY:
                yield self._family()
            else:
                yield self._apartments()

    # --- addresses and years -------------------------------------------------------------------

    def _timeline(self, current: Address, hispanic: bool, may_move: bool = True) -> list[tuple[int, Address]]:
        rng = self.rng
        if not may_move or rng.random() >= MOVE_RATE:
            return [(0, current)]
        if rng.random() < 0.15:
            first = _between(rng, FIRST_TAX_YEAR + 1, LATEST_TAX_YEAR - 1)
            second = _between(rng, first + 1, LATEST_TAX_YEAR + 1)
            return [(0, self.book.home(hispanic)), (first, self.book.home(hispanic)), (second, current)]
        return [
            (0, self.book.home(hispanic)),
            (_between(rng, FIRST_TAX_YEAR + 2, LATEST_TAX_YEAR + 1), current),
        ]

    def _years(self, person: Person, timeline: list[tuple[int, Address]]) -> None:
        rng = self.rng
        roll = rng.random()
        rows = 1 if roll < 0.66 else 2 if roll < 0.88 else 3 if roll < 0.96 else 4
        latest = LATEST_TAX_YEAR
        if len(timeline) == 1:
            roll = rng.random()
            latest -= 1 if roll < 0.05 else 2 if roll < 0.07 else 0
        first = latest - rows + 1
        if len(timeline) > 1:
            first = min(first, timeline[1][0] - 1 - (rng.random() < 0.3))
        person.first_year = max(FIRST_TAX_YEAR, first)
        person.latest_year = latest

    def _settle(self, household: Household) -> Household:
        for member in household.members:
            self._years(member, timeline_of(member, household))
            if (
                member.role not in ("head", "sr", "jr", "twin", "namesake")
                and self.rng.random() < NONFILER_RATE
            ):
                member.filer = False
        return household

    def _suffix(self, female: bool) -> str:
        if female:
            return ""
        roll = self.rng.random()
        return "JR" if roll < 0.015 else "III" if roll < 0.018 else "II" if roll < 0.02 else ""

    # --- ordinary households -------------------------------------------------------------------

    def _single(self, address: Address | None = None, building: Building | None = None) -> Household:
        rng, names = self.rng, self.names
        recent = self._recent
        if recent and rng.random() < NAMESAKE_COPY_RATE:
            given, surname, female, hispanic = recent[int(rng.random() * len(recent))]
            person = Person(given, names.middle(female, hispanic), surname, "", "", female)
            person.dob = names.dob(_between(rng, 1940, 2005))
        else:
            hispanic = rng.random() < HISPANIC_SHARE
            female = rng.random() < 0.5
            surname = names.filed(self._surname_tokens(hispanic), hispanic)
            person = names.person(female, hispanic, surname, _between(rng, 1940, 2005), self._suffix(female))
            if len(recent) < 512:
                recent.append((person.given, person.surname, female, hispanic))
            else:
                recent[int(rng.random() * 512)] = (person.given, person.surname, female, hispanic)
        person.role = "head"
        person.dob_on_file = rng.random() >= 0.01
        home = address or self.book.home(hispanic)
        return self._settle(Household(SINGLE, [person], self._timeline(home, hispanic), hispanic, building))

    def _surname_tokens(self, hispanic: bool) -> list[str]:
        first = self.names.family_name(hispanic)
        if hispanic and " " not in first and self.rng.random() < 0.35:
            return [first, self.names.family_name(True)]
        return [first]

    def _family_core(self, hispanic: bool, size: int) -> tuple[list[Person], list[str], int]:
        """Parents (head first) and the surname tokens and birth year the children inherit from."""
        rng, names = self.rng, self.names
        father_tokens = self._surname_tokens(hispanic)
        head_born = _between(rng, 1940, 1986)
        single_parent = size == 1 or rng.random() < 0.15
        if single_parent:
            female = rng.random() < 0.6
            head = names.person(female, hispanic, names.filed(father_tokens, hispanic), head_born)
            head.role = "head"
            return [head], father_tokens[:1], head_born
        father = names.person(
            False, hispanic, names.filed(father_tokens, hispanic), head_born, self._suffix(False)
        )
        father.role = "head"
        mother_born = _clamp_birth(head_born + _between(rng, -6, 7))
        if hispanic:
            mother_tokens = self._surname_tokens(True)
            own = rng.random() < 0.75
            mother_surname = names.filed(mother_tokens if own else father_tokens[:1], True)
            children = father_tokens[:1] + mother_tokens[:1] if rng.random() < 0.45 else father_tokens[:1]
        else:
            own = rng.random() < 0.25
            mother_surname = names.filed(self._surname_tokens(False), False) if own else father.surname
            children = [father.surname]
        mother = names.person(True, hispanic, mother_surname, mother_born)
        mother.role = "spouse"
        return [father, mother], children, min(head_born, mother_born)

    def _children(self, parents: list[Person], tokens: list[str], hispanic: bool, born: int, n: int) -> None:
        rng, names = self.rng, self.names
        for _ in range(n):
            female = rng.random() < 0.5
            child_born = _clamp_birth(born + _between(rng, 20, 39))
            child = names.person(female, hispanic, names.filed(tokens, hispanic), child_born)
            parents.append(child)

    def _family(
        self, address: Address | None = None, building: Building | None = None, size: int = 0
    ) -> list[Household]:
        rng = self.rng
        hispanic = rng.random() < HISPANIC_SHARE
        size = size or self._family_size()
        members, tokens, born = self._family_core(hispanic, size)
        self._children(members, tokens, hispanic, born, size - len(members))
        for member in members:
            member.dob_on_file = rng.random() >= 0.01
        home = address or self.book.home(hispanic)
        kids = [m for m in members if not m.role]
        leaves = building is None and bool(kids) and rng.random() < LEFT_HOME_RATE
        household = Household(FAMILY, members, self._timeline(home, hispanic, not leaves), hispanic, building)
        if not leaves:
            return [self._settle(household)]
        kid = kids[-1]
        members.remove(kid)
        self._settle(household)
        moved_out = _between(rng, FIRST_TAX_YEAR + 2, LATEST_TAX_YEAR + 1)
        kid.timeline = [(0, home), (moved_out, self.book.home(hispanic))]
        kid.role = "left"
        household.left.append(kid)
        own = Household(LEFT_HOME, [kid], kid.timeline, hispanic, origin=household)
        self._years(kid, kid.timeline)
        return [household, own]

    def _apartments(self) -> list[Household]:
        rng = self.rng
        roll = rng.random()
        count = (
            _between(rng, 2, 5)
            if roll < 0.4
            else _between(rng, 5, 13)
            if roll < 0.75
            else _between(rng, 13, 41)
        )
        building = self.book.building(count)
        households = []
        for unit_id in building.unit_ids:
            address = self.book.unit_of(building, unit_id)
            if rng.random() < 0.55:
                household = self._single(address, building)
            else:
                household = self._family(address, building, size=_between(rng, 2, 5))[0]
            household.kind = APARTMENT
            building.occupants[unit_id] = household.members
            households.append(household)
        return households

    # --- planted structures --------------------------------------------------------------------

    def _jr_sr(self) -> list[Household]:
        rng, names = self.rng, self.names
        hispanic = rng.random() < HISPANIC_SHARE
        surname = names.filed(self._surname_tokens(hispanic), hispanic)
        sr_born = _between(rng, 1940, 1976)
        senior = names.person(False, hispanic, surname, sr_born, "SR")
        junior = Person(
            senior.given,
            senior.middle,
            surname,
            "JR",
            names.dob(_clamp_birth(sr_born + _between(rng, 20, 37))),
            False,
        )
        senior.role, junior.role = "sr", "jr"
        members = [senior, junior]
        if rng.random() < 0.7:
            members.append(
                names.person(True, hispanic, surname, _clamp_birth(sr_born + _between(rng, -5, 6)))
            )
        if rng.random() < 0.3:
            self._distinct_child(members, senior, hispanic, surname, sr_born)
        home = self.book.home(hispanic)
        return [self._settle(Household(JRSR, members, self._timeline(home, hispanic), hispanic))]

    def _distinct_child(
        self, members: list[Person], like: Person, hispanic: bool, surname: str, born: int
    ) -> None:
        for _ in range(10):
            female = self.rng.random() < 0.5
            child = self.names.person(
                female, hispanic, surname, _clamp_birth(born + _between(self.rng, 20, 39))
            )
            if all(clearly_different_given(child.given, m.given) for m in members):
                members.append(child)
                return

    def _twins(self) -> list[Household]:
        rng, names = self.rng, self.names
        hispanic = rng.random() < HISPANIC_SHARE
        members, tokens, born = self._family_core(hispanic, _between(rng, 1, 3))
        surname = names.filed(tokens, hispanic)
        dob = names.dob(_clamp_birth(born + _between(rng, 20, 39)))
        similar = rng.random() < TWINS_SIMILAR_SHARE
        if similar:
            his, hers, _ = TWIN_NAME_PAIRS[int(rng.random() * len(TWIN_NAME_PAIRS))]
            first = Person(his, names.middle(False, hispanic), surname, "", dob, False)
            second = Person(hers, names.middle(True, hispanic), surname, "", dob, True)
        else:
            first = Person(
                names.given(False, hispanic), names.middle(False, hispanic), surname, "", dob, False
            )
            second = first
            while not clearly_different_given(first.given, second.given):
                female = rng.random() < 0.5
                second = Person(
                    names.given(female, hispanic), names.middle(female, hispanic), surname, "", dob, female
                )
        first.role = second.role = "twin"
        members += [first, second]
        home = self.book.home(hispanic)
        household = Household(TWINS, members, self._timeline(home, hispanic), hispanic, twins_similar=similar)
        return [self._settle(household)]

    def _namesake(self) -> list[Household]:
        rng, names = self.rng, self.names
        hispanic = rng.random() < HISPANIC_SHARE
        surname = names.filed(self._surname_tokens(hispanic), hispanic)
        female = rng.random() < 0.4
        born = _between(rng, 1940, 1976)
        elder = names.person(female, hispanic, surname, born)
        younger = Person(
            elder.given,
            elder.middle,
            surname,
            "",
            names.dob(_clamp_birth(born + _between(rng, 20, 36))),
            female,
        )
        elder.role = younger.role = "namesake"
        members = [elder, younger]
        if rng.random() < 0.6:
            members.append(
                names.person(not female, hispanic, surname, _clamp_birth(born + _between(rng, -5, 6)))
            )
        home = self.book.home(hispanic)
        return [self._settle(Household(NAMESAKE, members, self._timeline(home, hispanic), hispanic))]


def _name_pools(filers: list[Person]) -> list[str]:
    accented = accentable = compound = False
    for f in filers:
        surname = f.surname
        if not (f.given.isascii() and surname.isascii()):
            accented = True
        elif f.given in ACCENTED_GIVEN or surname in ACCENTED_SURNAME:
            accentable = True
        if " " in surname or "-" in surname:
            compound = True
            accentable = accentable or (surname.isascii() and accent_surname(surname) is not None)
    flags = ((accented, POOL_ACCENTED), (accentable, POOL_ACCENTABLE), (compound, POOL_COMPOUND))
    return [pool for flag, pool in flags if flag]


_PLANTED_POOLS = {JRSR: POOL_JRSR, NAMESAKE: POOL_NAMESAKE, TWINS: POOL_TWINS}


def pools_of(household: Household) -> list[str]:
    """The request pools a household can be drawn from (after trimming to the master size)."""
    filers = household.filers()
    if not filers:
        return []
    pools = [POOL_ANY]
    if household.building is not None:
        pools.append(POOL_UNIT)
    timeline = household.timeline
    if len(timeline) > 1 and any(f.first_year < timeline[-1][0] for f in filers):
        pools.append(POOL_MOVED)
    pools += _name_pools(filers)
    if household.hispanic:
        pools.append(POOL_HISPANIC)
    planted = _PLANTED_POOLS.get(household.kind)
    pair = sum(1 for m in filers if m.role in ("sr", "jr", "twin", "namesake")) == 2
    if planted and pair and (household.kind != TWINS or household.twins_similar):
        pools.append(planted)
    if household.left or len(filers) < len(household.members):
        pools.append(POOL_FAMILY)
    return pools
