"""Labelled requests built from a sample of the population, one category each.

A label is only useful if it is right, so every builder checks the condition
its expected code rests on before it emits a request: no other taxpayer at the
supplied address whose name could be read as the requested one (for
CONFIRMED), an invented address that was never issued (for a wrong house
number), a similar-named co-resident (for PENDING_REVIEW), and so on. A
household that does not fit is skipped and another is tried; when a category
cannot be filled at all (a tiny master file), its requests become "exact"
ones and the shortfall is reported.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from custos.synth import address_forms
from custos.synth.address_forms import Lines
from custos.synth.addresses import STREET, AddressBook
from custos.synth.categories import CATEGORIES, CONFIRMED, NOT_CONFIRMED, PENDING_REVIEW
from custos.synth.names import (
    TWIN_NAME_PAIRS,
    accent_given,
    accent_surname,
    everyday_nicknames,
    fold,
    given_similar,
    letters,
    one_edit,
    similar_real_names,
    spanish_diminutives,
    strip_accents,
    surname_similar,
    surname_tokens,
)
from custos.synth.population import (
    HISPANIC_SHARE,
    JRSR,
    NAMESAKE,
    POOL_ANY,
    Household,
    NameSource,
    Person,
    address_in,
    timeline_of,
)
from custos.synth.sampling import Reservoir

PLACEHOLDERS = ("UNKNOWN ADDRESS", "UNKNOWN", "ADDRESS UNKNOWN", "N/A", "NONE", "NO ADDRESS ON FILE")
INSUFFICIENT = "reason=INSUFFICIENT_IDENTIFIERS"
TIN_SHARE = 0.05  # requests that also carry the TIN (never a substitute for the address)
TITLE_CASE_SHARE = 0.06  # requests whose names are written "Garcia", not "GARCIA"
_TIN_CATEGORIES = frozenset(
    {"exact", "format_variant", "nickname", "typo_name", "moved_old_address", "wrong_unit", "missing_unit",
     "wrong_house_number", "zip_only", "placeholder", "relative_at_address"}
)  # fmt: skip
_TWIN_FORMS = {fold(m): forms for m, _, forms in TWIN_NAME_PAIRS} | {
    fold(f): forms for _, f, forms in TWIN_NAME_PAIRS
}
_COUNTERPART = {fold(m): f for m, f, _ in TWIN_NAME_PAIRS} | {fold(f): m for m, f, _ in TWIN_NAME_PAIRS}


@dataclass(slots=True)
class Draft:
    """One request and its label, before record ids are assigned."""

    given: str
    middle: str
    surname: str
    suffix: str
    dob: str
    lines: Lines
    category: str
    expected: str
    true_tin: str
    note: str
    tin: str = ""


def confusable(given: str, surname: str, other: Person) -> bool:
    """True if a request for ``given surname`` could plausibly mean ``other``."""
    if not surname_similar(surname, other.surname):
        return False
    if given_similar(given, other.given):
        return True
    return len(letters(other.middle)) > 1 and given_similar(given, other.middle)


def _same_name(given: str, surname: str, other: Person) -> bool:
    return letters(given) == letters(other.given) and letters(surname) == letters(other.surname)


class RequestBuilder:
    """Builds the requests of every category from the sampled households."""

    def __init__(
        self, rng: random.Random, pools: dict[str, Reservoir[Household]], book: AddressBook, names: NameSource
    ):
        self.rng = rng
        self.pools = pools
        self.book = book
        self.names = names
        self._used: set[int] = set()

    # --- driver --------------------------------------------------------------------------------

    def build(
        self, counts: dict[str, int], progress: Callable[[int], None] | None = None
    ) -> tuple[list[Draft], dict[str, int]]:
        """All requests, in a shuffled order, and how many each category fell short."""
        drafts: list[Draft] = []
        shortfall: dict[str, int] = {}
        order = sorted(counts, key=lambda c: (c == "exact", POOL_ANY in dict(CATEGORIES[c].pools)))
        extra_exact = 0
        for name in order:
            want = counts[name] + (extra_exact if name == "exact" else 0)
            made = self._category(name, want)
            drafts += made
            if progress is not None:
                progress(len(drafts))
            if len(made) < want:
                shortfall[name] = want - len(made)
                if name != "exact":
                    extra_exact += want - len(made)
        if extra_exact and "exact" not in counts:
            made = self._category("exact", extra_exact)
            drafts += made
            if len(made) < extra_exact:
                shortfall["exact"] = extra_exact - len(made)
        for draft in drafts:
            if draft.true_tin and draft.category in _TIN_CATEGORIES and self.rng.random() < TIN_SHARE:
                draft.tin = draft.true_tin
            if draft.category != "exact" and self.rng.random() < TITLE_CASE_SHARE:
                draft.given, draft.middle = draft.given.title(), draft.middle.title()
                draft.surname, draft.suffix = draft.surname.title(), draft.suffix.title()
        self.rng.shuffle(drafts)
        return drafts, shortfall

    def _category(self, name: str, want: int) -> list[Draft]:
        pools = CATEGORIES[name].pools
        made: list[Draft] = []
        for i, (pool, share) in enumerate(pools):
            quota = want - len(made) if i == len(pools) - 1 else round(want * share)
            made += self._fill(name, pool, quota)
        if len(made) < want and len(pools) > 1:  # top up from the pools that could give more
            for pool, _ in pools:
                made += self._fill(name, pool, want - len(made))
        return made

    def _fill(self, name: str, pool: str, want: int) -> list[Draft]:
        if want <= 0 or pool not in self.pools:
            return []
        builder: Callable[[Household], Draft | None] = getattr(self, f"_{name}")
        items = list(self.pools[pool].items)
        self.rng.shuffle(items)
        made: list[Draft] = []
        for household in items:  # first pass: households not used by any request yet
            if len(made) >= want:
                return made
            if id(household) in self._used:
                continue
            draft = builder(household)
            if draft is not None:
                draft.category = name
                made.append(draft)
                self._used.add(id(household))
        while len(made) < want and items:  # then reuse, as long as some household still fits
            before = len(made)
            for household in items:
                if len(made) >= want:
                    break
                draft = builder(household)
                if draft is not None:
                    draft.category = name
                    made.append(draft)
            if len(made) == before:
                break
        return made

    # --- helpers -------------------------------------------------------------------------------

    def _filers(self, household: Household) -> list[Person]:
        filers = household.filers()
        self.rng.shuffle(filers)
        return filers

    @staticmethod
    def _clear(household: Household, person: Person, given: str, surname: str) -> bool:
        """Nobody else whose address of record is this one could be meant by the request or the person."""
        for other in household.members:
            if other is person or not other.filer:
                continue
            if confusable(given, surname, other) or confusable(person.given, person.surname, other):
                return False
        return True

    def _names(self, person: Person) -> tuple[str, str, str, str]:
        """The person's names as a requester writes them: the middle name often shortened or left out."""
        roll = self.rng.random()
        middle = person.middle[:1] if roll < 0.15 else "" if roll < 0.3 else person.middle
        return (person.given, middle, person.surname, person.suffix)

    def _dob(self, person: Person, present: float = 0.8) -> str:
        return person.dob if self.rng.random() < present else ""

    @staticmethod
    def _draft(
        person: Person,
        names: tuple[str, str, str, str],
        dob: str,
        lines: Lines,
        *,
        expected: str,
        note: str,
        true_tin: str | None = None,
    ) -> Draft:
        """A request for ``names``; the driver sets the category; ``true_tin`` defaults to the person's."""
        given, middle, surname, suffix = names
        tin = person.tin if true_tin is None else true_tin
        return Draft(given, middle, surname, suffix, dob, lines, "", expected, tin, note)

    def _confirmable(
        self, household: Household, check: Callable[[Person], bool] = lambda p: True
    ) -> Person | None:
        for person in self._filers(household):
            if check(person) and self._clear(household, person, person.given, person.surname):
                return person
        return None

    def _fresh_person(self, hispanic: bool | None = None) -> Person:
        rng, names = self.rng, self.names
        hispanic = rng.random() < HISPANIC_SHARE if hispanic is None else hispanic
        female = rng.random() < 0.5
        surname = names.filed([names.family_name(hispanic)], hispanic)
        return names.person(female, hispanic, surname, rng.randrange(1945, 2005))

    # --- CONFIRMED variations ------------------------------------------------------------------

    def _exact(self, household: Household) -> Draft | None:
        person = self._confirmable(household)
        if person is None:
            return None
        names = (person.given, person.middle, person.surname, person.suffix)
        return self._draft(
            person, names, person.dob, household.address.master, expected=CONFIRMED, note="clean copy"
        )

    def _format_variant(self, household: Household) -> Draft | None:
        person = self._confirmable(household)
        if person is None:
            return None
        lines, note = address_forms.format_variant(household.address, self.rng)
        return self._draft(
            person, self._names(person), self._dob(person), lines, expected=CONFIRMED, note=note
        )

    def _nickname(self, household: Household) -> Draft | None:
        for person in self._filers(household):
            options = list(spanish_diminutives(person.given)) if household.hispanic else []
            if not options:
                options = list(everyday_nicknames(person.given))
            options = [n for n in options if letters(n) != letters(person.given)]
            if not options:
                continue
            nickname = options[self.rng.randrange(len(options))]
            if not self._clear(household, person, nickname, person.surname):
                continue
            _, middle, surname, suffix = self._names(person)
            note = f"nickname {nickname} for {person.given}"
            return self._draft(
                person,
                (nickname, middle, surname, suffix),
                self._dob(person, 0.9),
                household.address.master,
                expected=CONFIRMED,
                note=note,
            )
        return None

    def _typo_name(self, household: Household) -> Draft | None:
        for person in self._filers(household):
            if len(letters(person.surname)) < 7:
                continue
            typo = one_edit(person.surname, self.rng)
            if fold(typo) == fold(person.surname) or not self._clear(household, person, person.given, typo):
                continue
            given, middle, _, suffix = self._names(person)
            note = f"surname {typo} for {person.surname}"
            return self._draft(
                person,
                (given, middle, typo, suffix),
                self._dob(person, 0.9),
                household.address.master,
                expected=CONFIRMED,
                note=note,
            )
        return None

    def _accents_dropped(self, household: Household) -> Draft | None:
        person = self._confirmable(household, lambda p: not (p.given + p.surname).isascii())
        if person is None:
            return None
        given, middle, surname, suffix = self._names(person)
        names = (strip_accents(given), strip_accents(middle), strip_accents(surname), suffix)
        note = f"{person.given} {person.surname} requested as {names[0]} {names[2]}"
        return self._draft(
            person, names, self._dob(person), household.address.master, expected=CONFIRMED, note=note
        )

    def _accents_added(self, household: Household) -> Draft | None:
        def accentable(p: Person) -> bool:
            return (
                p.given.isascii()
                and p.surname.isascii()
                and bool(accent_given(p.given) or accent_surname(p.surname))
            )

        person = self._confirmable(household, accentable)
        if person is None:
            return None
        given = accent_given(person.given) or person.given
        surname = accent_surname(person.surname) or person.surname
        _, middle, _, suffix = self._names(person)
        note = f"{person.given} {person.surname} requested as {given} {surname}"
        return self._draft(
            person,
            (given, middle, surname, suffix),
            self._dob(person),
            household.address.master,
            expected=CONFIRMED,
            note=note,
        )

    def _compound_surname_variant(self, household: Household) -> Draft | None:
        for person in self._filers(household):
            variant = self._surname_variant(person.surname)
            if variant is None or not self._clear(household, person, person.given, variant):
                continue
            given, middle, _, suffix = self._names(person)
            note = f"surname {variant} for {person.surname}"
            return self._draft(
                person,
                (given, middle, variant, suffix),
                self._dob(person, 0.9),
                household.address.master,
                expected=CONFIRMED,
                note=note,
            )
        return None

    def _surname_variant(self, surname: str) -> str | None:
        tokens = surname.replace("-", " ").split()
        if len(tokens) < 2:
            return None
        units: list[str] = []  # family names, each with its particles ("DE LA CRUZ", "GARCÍA")
        pending: list[str] = []
        for token in tokens:
            pending.append(token)
            if fold(token) not in ("DE", "DEL", "LA", "LAS", "LOS", "Y"):
                units.append(" ".join(pending))
                pending = []
        if pending:
            units.append(" ".join(pending))
        options = ["".join(tokens)]
        if len(units) >= 2:
            options += [" ".join(units), "-".join(units), units[0]]
        options = [o for o in options if o != surname]
        return options[self.rng.randrange(len(options))] if options else None

    def _swapped_name_order(self, household: Household) -> Draft | None:
        def swappable(p: Person) -> bool:
            return not any(
                o is not p and o.filer and confusable(p.surname, p.given, o) for o in household.members
            ) and fold(p.given) != fold(p.surname)

        person = self._confirmable(household, swappable)
        if person is None:
            return None
        names = (person.surname, "", person.given, person.suffix)
        return self._draft(
            person,
            names,
            self._dob(person, 0.9),
            household.address.master,
            expected=CONFIRMED,
            note="given name and surname swapped",
        )

    def _dob_missing(self, household: Household) -> Draft | None:
        if household.kind in (NAMESAKE, JRSR):
            pair = [m for m in household.members if m.filer and m.role in ("namesake", "sr", "jr")]
            if len(pair) != 2:
                return None
            namesake = pair[self.rng.randrange(2)]
            names = (namesake.given, namesake.middle, namesake.surname, "")
            note = "no DOB; a co-resident has the same name"
            return self._draft(
                namesake, names, "", household.address.master, expected=PENDING_REVIEW, note=note
            )
        person = self._confirmable(household)
        if person is None:
            return None
        return self._draft(
            person,
            self._names(person),
            "",
            household.address.master,
            expected=CONFIRMED,
            note="no DOB; nobody else at the address could be meant",
        )

    def _dob_transposed(self, household: Household) -> Draft | None:
        def swappable(p: Person) -> bool:
            month, day = p.dob[5:7], p.dob[8:10]
            return p.dob_on_file and month != day and int(day) <= 12

        person = self._confirmable(household, swappable)
        if person is None:
            return None
        dob = f"{person.dob[:4]}-{person.dob[8:10]}-{person.dob[5:7]}"
        names = (person.given, person.middle, person.surname, person.suffix)
        note = f"DOB {dob} for {person.dob}"
        return self._draft(person, names, dob, household.address.master, expected=CONFIRMED, note=note)

    def _jr_sr_with_suffix(self, household: Household) -> Draft | None:
        pair = [m for m in household.members if m.filer and m.role in ("sr", "jr")]
        if len(pair) != 2:
            return None
        person = pair[self.rng.randrange(2)]
        others = [m for m in household.members if m.filer and m not in pair]
        if any(confusable(person.given, person.surname, o) for o in others):
            return None
        roll = self.rng.random()
        suffix = "" if roll < 0.3 else person.suffix
        dob = person.dob if roll < 0.7 else ""
        names = (person.given, person.middle, person.surname, suffix)
        note = "suffix and DOB" if suffix and dob else "suffix only" if suffix else "DOB only"
        return self._draft(
            person,
            names,
            dob,
            household.address.master,
            expected=CONFIRMED,
            note=f"{person.suffix} identified by {note}",
        )

    # --- PENDING_REVIEW: someone else at the address could be meant ----------------------------

    def _jr_sr_no_suffix(self, household: Household) -> Draft | None:
        pair = [m for m in household.members if m.filer and m.role in ("sr", "jr")]
        if len(pair) != 2:
            return None
        person = pair[self.rng.randrange(2)]
        names = (person.given, person.middle, person.surname, "")
        return self._draft(
            person,
            names,
            "",
            household.address.master,
            expected=PENDING_REVIEW,
            note=f"JR and SR at the address; requester means the {person.suffix}",
        )

    def _twins_similar_names(self, household: Household) -> Draft | None:
        twins = [m for m in household.members if m.filer and m.role == "twin"]
        if len(twins) != 2:
            return None
        forms = _TWIN_FORMS.get(fold(twins[0].given), ())
        forms = tuple(f for f in forms if all(given_similar(f, t.given) for t in twins))
        if not forms:
            return None
        person = twins[self.rng.randrange(2)]
        given = forms[self.rng.randrange(len(forms))]
        names = (given, "", person.surname, "")
        note = f"twins {twins[0].given}/{twins[1].given} with one DOB; requested {given}"
        return self._draft(
            person,
            names,
            self._dob(person, 0.7),
            household.address.master,
            expected=PENDING_REVIEW,
            note=note,
        )

    def _namesake_same_address(self, household: Household) -> Draft | None:
        pair = [m for m in household.members if m.filer and m.role == "namesake"]
        if len(pair) != 2:
            return None
        person = pair[self.rng.randrange(2)]
        names = (person.given, person.middle, person.surname, "")
        return self._draft(
            person,
            names,
            "",
            household.address.master,
            expected=PENDING_REVIEW,
            note="two taxpayers of this name at the address; no DOB",
        )

    # --- NOT_CONFIRMED: the address is not this person's address of record ---------------------

    def _moved_old_address(self, household: Household) -> Draft | None:
        for person in self._filers(household):
            timeline = timeline_of(person, household)
            current = timeline[-1][1]
            old = [a for start, a in timeline[:-1] if a is not current]
            old = [
                a
                for a in old
                if any(a is address_in(timeline, y) for y in range(person.first_year, timeline[-1][0]))
            ]
            if not old:
                continue
            address = old[self.rng.randrange(len(old))]
            occupants = (
                household.origin.filers() if household.origin and household.origin.address is address else []
            )
            if any(confusable(person.given, person.surname, o) for o in occupants):
                continue
            lines, note = address.master, "older address of record (exact form)"
            if self.rng.random() < 0.2:
                lines, how = address_forms.format_variant(address, self.rng)
                note = f"older address of record ({how})"
            if household.origin is not None:
                note += "; parents still live there"
            return self._draft(
                person, self._names(person), self._dob(person), lines, expected=NOT_CONFIRMED, note=note
            )
        return None

    def _wrong_unit(self, household: Household) -> Draft | None:
        building, address = household.building, household.address
        if building is None:
            return None
        person = self._filers(household)[0]
        occupied = [u for u in building.unit_ids if u != address.unit_id]
        self.rng.shuffle(occupied)
        for unit_id in occupied[:5]:
            if self.rng.random() < 0.3:
                break
            others = [m for m in building.occupants[unit_id] if m.filer]
            if not any(confusable(person.given, person.surname, o) for o in others):
                lines = address_forms.with_unit(address, unit_id)
                note = f"unit {unit_id} (occupied) instead of {address.unit_id}"
                return self._draft(
                    person, self._names(person), self._dob(person), lines, expected=NOT_CONFIRMED, note=note
                )
        vacant = _vacant_unit(building.unit_ids)
        lines = address_forms.with_unit(address, vacant)
        note = f"unit {vacant} (no such unit on file) instead of {address.unit_id}"
        return self._draft(
            person, self._names(person), self._dob(person), lines, expected=NOT_CONFIRMED, note=note
        )

    def _missing_unit(self, household: Household) -> Draft | None:
        if household.building is None:
            return None
        person = self._filers(household)[0]
        lines = address_forms.without_unit(household.address)
        note = f"unit {household.address.unit_id} left out"
        return self._draft(
            person, self._names(person), self._dob(person), lines, expected=NOT_CONFIRMED, note=note
        )

    def _wrong_house_number(self, household: Household) -> Draft | None:
        address = household.address
        if address.kind != STREET:
            return None
        for number in address_forms.wrong_numbers(address.number, self.rng):
            if not self.book.street_in_use(address, number):
                person = self._filers(household)[0]
                lines = address_forms.with_number(address, number)
                note = f"house number {number} for {address.number} (nobody's address)"
                return self._draft(
                    person, self._names(person), self._dob(person), lines, expected=NOT_CONFIRMED, note=note
                )
        return None

    def _absent_person(self, household: Household) -> Draft | None:
        roll = self.rng.random()
        if roll < 0.2:
            draft = self._absent_similar(household)
            if draft is not None:
                return draft
        if roll < 0.5:
            return self._absent_namesake(household)
        stranger = self._fresh_person()
        if roll < 0.75 and not any(
            confusable(stranger.given, stranger.surname, o) for o in household.filers()
        ):
            lines, note = (
                household.address.master,
                "not in the master file; address of an unrelated household",
            )
        else:
            lines, note = self.book.home(self.rng.random() < HISPANIC_SHARE).master, "not in the master file"
        names = (stranger.given, stranger.middle, stranger.surname, "")
        return self._draft(
            stranger, names, self._dob(stranger), lines, expected=NOT_CONFIRMED, note=note, true_tin=""
        )

    def _absent_namesake(self, household: Household) -> Draft | None:
        taxpayer = self._filers(household)[0]
        dob = self.names.dob(self.rng.randrange(1945, 2005)) if self.rng.random() < 0.5 else ""
        if dob == taxpayer.dob:
            dob = ""
        names = (taxpayer.given, "", taxpayer.surname, "")
        elsewhere = self.pools[POOL_ANY].items
        other = elsewhere[self.rng.randrange(len(elsewhere))]
        if other is not household and not any(
            confusable(taxpayer.given, taxpayer.surname, o) for o in other.filers()
        ):
            lines, where = other.address.master, "an unrelated household's address"
        else:
            lines, where = self.book.home(household.hispanic).master, "an address nobody has"
        note = f"not in the master file; namesake of a taxpayer elsewhere; {where}"
        return self._draft(taxpayer, names, dob, lines, expected=NOT_CONFIRMED, note=note, true_tin="")

    def _absent_similar(self, household: Household) -> Draft | None:
        for relative in self._filers(household):
            plain = fold(relative.given)
            options = [
                n
                for n in (_COUNTERPART.get(plain, ""), *similar_real_names(plain))
                if given_similar(n, plain)
            ]
            options = [
                n for n in options if not any(_same_name(n, relative.surname, o) for o in household.filers())
            ]
            if not options:
                continue
            given = options[self.rng.randrange(len(options))]
            names = (given, "", relative.surname, "")
            note = (
                f"not in the master file; co-resident {relative.given} {relative.surname} has a similar name"
            )
            return self._draft(
                relative, names, "", household.address.master, expected=PENDING_REVIEW, note=note, true_tin=""
            )
        return None

    def _relative_at_address(self, household: Household) -> Draft | None:
        filers = household.filers()
        if not filers:
            return None
        candidates = [m for m in household.members if not m.filer] + household.left
        self.rng.shuffle(candidates)
        for relative in candidates:
            tokens = set(surname_tokens(relative.surname))
            if any(tokens & set(surname_tokens(f.surname)) for f in filers) and not any(
                confusable(relative.given, relative.surname, f) for f in filers
            ):
                kind = "child who moved out" if relative.filer else "non-filing relative"
                return self._relative_draft(relative, household, kind, relative.tin)
        anchor = filers[self.rng.randrange(len(filers))]
        for _ in range(10):
            sibling = self._fresh_person(household.hispanic)
            sibling.surname = anchor.surname
            if not any(confusable(sibling.given, sibling.surname, f) for f in filers) and all(
                letters(sibling.given)[:1] != letters(f.given)[:1] for f in filers
            ):
                return self._relative_draft(sibling, household, "relative not in the master file", "")
        return None

    def _relative_draft(self, relative: Person, household: Household, kind: str, true_tin: str) -> Draft:
        names = (relative.given, relative.middle, relative.surname, relative.suffix)
        note = f"{kind}; the household's surname, a clearly different given name"
        return self._draft(
            relative,
            names,
            self._dob(relative, 0.7),
            household.address.master,
            expected=NOT_CONFIRMED,
            note=note,
            true_tin=true_tin,
        )

    def _zip_only(self, household: Household) -> Draft | None:
        person = self._filers(household)[0]
        _, _, city, state, zip_code = household.address.master
        if self.rng.random() < 0.5:
            lines, note = ("", "", city, state, zip_code), f"{INSUFFICIENT}; city, state and ZIP only"
        else:
            lines, note = ("", "", "", "", zip_code), f"{INSUFFICIENT}; ZIP only"
        names = (person.given, person.middle, person.surname, person.suffix)
        return self._draft(person, names, person.dob, lines, expected=NOT_CONFIRMED, note=note)

    def _placeholder(self, household: Household) -> Draft | None:
        person = self._filers(household)[0]
        _, _, city, state, zip_code = household.address.master
        if self.rng.random() < 0.15:
            lines, note = ("", "", "", "", ""), f"{INSUFFICIENT}; blank address"
        else:
            text = PLACEHOLDERS[self.rng.randrange(len(PLACEHOLDERS))]
            lines, note = (text, "", city, state, zip_code), f"{INSUFFICIENT}; placeholder {text!r}"
        names = (person.given, person.middle, person.surname, person.suffix)
        return self._draft(person, names, person.dob, lines, expected=NOT_CONFIRMED, note=note)


def _vacant_unit(unit_ids: list[str]) -> str:
    last = unit_ids[-1]
    if last.isdigit():
        vacant = str(int(last) + 1 if len(last) < 3 else int(last) + 100)
    else:
        vacant = chr(ord(last[-1]) + 1) if last[-1].isalpha() and last[-1] < "Z" else last + "A"
    while vacant in unit_ids:
        vacant += "A"
    return vacant
