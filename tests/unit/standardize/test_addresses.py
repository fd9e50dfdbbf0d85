"""Address standardization: Pub 28 forms, boxes, Puerto Rico, units, ZIP/city checks, defects.

Table-driven: each row is a form that requests or the master file contain.  The pair tables pin
the contract matching relies on: ``delivery_point_key`` is equal for two spellings of one
delivery point and different for two delivery points.  The Hypothesis tests pin that the
tokenizer (fast path) and the CRF (slow path) agree, that re-standardizing the rendered lines
keeps the key, and that nothing raises.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from custos.standardize import pub28
from custos.standardize.addresses import (
    fast_path_accepts,
    render_lines,
    standardize_address,
    standardize_uncached,
)
from custos.standardize.models import AddressKind, StandardAddress

Row = tuple[str | None, str | None, str | None, str | None, str | None]
IL = ("Springfield", "IL", "62701")
TX = ("Austin", "TX", "78701")
PR = ("San Juan", "PR", "00926")
PO = AddressKind.PO_BOX
RR = AddressKind.RURAL_ROUTE
HC = AddressKind.HIGHWAY_CONTRACT
GD = AddressKind.GENERAL_DELIVERY
ST = AddressKind.STREET
BAD = AddressKind.UNPARSEABLE
MISSING = ("INCOMPLETE", "NO_CITY", "NO_STATE", "NO_STREET", "NO_ZIP", "PLACEHOLDER", "UNPARSEABLE")
INCOMPLETE_PLACE = ("INCOMPLETE", "NO_CITY", "NO_STATE", "NO_ZIP")
JUNK = ("INCOMPLETE", "NO_STREET", "PLACEHOLDER", "UNPARSEABLE")


def row(line1: str | None, line2: str | None = None, place: tuple[str | None, ...] = IL) -> Row:
    """An input row with the default Springfield, IL 62701 last line."""
    city, state, zip_code = place
    return line1, line2, city, state, zip_code


def street(
    number: str | None, pre: str | None, name: str | None, suffix: str | None, post: str | None = None
) -> dict[str, Any]:
    """Expected street components."""
    return {
        "kind": ST,
        "primary_number": number,
        "predirectional": pre,
        "street_name": name,
        "street_suffix": suffix,
        "postdirectional": post,
    }


def unit(unit_type: str | None, unit_id: str | None) -> dict[str, Any]:
    """Expected secondary unit."""
    return {"unit_type": unit_type, "unit_id": unit_id}


CASES: list[tuple[str, Row, dict[str, Any]]] = [
    # Clean street forms (fast path).
    (
        "numbered street, predirectional",
        row("123 N MAIN ST"),
        street("123", "N", "MAIN", "ST") | {"problems": ()},
    ),
    (
        "spelled-out suffix and unit",
        row("123 Main Street Apt 4"),
        street("123", None, "MAIN", "ST") | unit("APT", "4"),
    ),
    ("ordinal street name", row("4567 W 12th Ave"), street("4567", "W", "12TH", "AVE")),
    ("spelled-out predirectional", row("123 North Main Street"), street("123", "N", "MAIN", "ST")),
    ("compound directional spelled out", row("123 Northeast Main St"), street("123", "NE", "MAIN", "ST")),
    ("directional with periods", row("123 N.E. Main St"), street("123", "NE", "MAIN", "ST")),
    ("directional in two words", row("123 North East Main St"), street("123", "NE", "MAIN", "ST")),
    ("postdirectional", row("123 Main St SW"), street("123", None, "MAIN", "ST", "SW")),
    ("postdirectional spelled out", row("123 Main Street North"), street("123", None, "MAIN", "ST", "N")),
    ("lettered street is a name", row("123 N St NW"), street("123", None, "N", "ST", "NW")),
    ("directional word as the name", row("123 North Ave"), street("123", None, "NORTH", "AVE")),
    ("spelled-out house number", row("One Microsoft Way"), street("1", None, "MICROSOFT", "WAY")),
    ("ordinal word", row("123 First St"), street("123", None, "1ST", "ST")),
    ("compound ordinal word", row("123 W Twenty-First St"), street("123", "W", "21ST", "ST")),
    ("bare number before a suffix is an ordinal", row("123 E 12 St"), street("123", "E", "12TH", "ST")),
    ("wrong ordinal indicator corrected", row("123 22th St"), street("123", None, "22ND", "ST")),
    ("Queens hyphenated number", row("12-34 Jackson Hts Blvd"), street("12-34", None, "JACKSON HTS", "BLVD")),
    ("number with letter hyphenated", row("123-A Main St"), street("123A", None, "MAIN", "ST")),
    ("half number", row("123 1/2 Main St"), street("123 1/2", None, "MAIN", "ST")),
    ("last suffix word is the suffix", row("123 Lake Shore Dr"), street("123", None, "LAKE SHORE", "DR")),
    ("street without suffix", row("100 Broadway"), street("100", None, "BROADWAY", None)),
    ("English pre-type", row("123 Avenue of the Americas"), street("123", None, "AVE OF THE AMERICAS", None)),
    ("pre-type with letter", row("123 Avenue B"), street("123", None, "AVE B", None)),
    ("highway pre-type (CRF)", row("123 Highway 101"), street("123", None, "HWY 101", None)),
    ("county road pre-type (CRF)", row("123 County Road 45"), street("123", None, "COUNTY RD 45", None)),
    ("spelled-out name word keeps the CRF's name", row("123 Oak Hill"), street("123", None, "OAK", "HL")),
    (
        "accents folded",
        row("123 Calle Peña", None, ("Mayagüez", "PR", "00680")),
        street("123", None, "CALLE PENA", None) | {"city": "MAYAGUEZ"},
    ),
    ("control characters are spaces", row("123\tMain\x00St"), street("123", None, "MAIN", "ST")),
    # Units.
    ("pound sign unit in line 1", row("123 Main St #4"), unit("UNIT", "4")),
    ("pound sign with space", row("123 Main St # 4"), unit("UNIT", "4")),
    ("UNIT designator", row("123 Main St Unit 4"), unit("UNIT", "4")),
    ("NO designator", row("123 Main St No 4"), unit("UNIT", "4")),
    ("suite spelled out", row("123 Main St Suite 100"), unit("STE", "100")),
    ("apartment spelled out", row("123 Main St", "Apartment 4"), unit("APT", "4")),
    ("room", row("123 Main St Rm 12"), unit("RM", "12")),
    ("floor", row("123 Main St", "Floor 3"), unit("FL", "3")),
    ("building letter", row("123 Main St", "Bldg A"), unit("BLDG", "A")),
    ("hyphenated unit id", row("123 Main St Apt. 4-B"), unit("APT", "4B")),
    ("APT # id", row("123 Main St", "Apt #4B"), unit("APT", "4B")),
    ("bare id in line 2", row("123 Main St", "4B"), unit(None, "4B")),
    ("pound id in line 2", row("123 Main St", "#4B"), unit("UNIT", "4B")),
    ("unit without identifier", row("123 Main St Rear"), unit("REAR", "REAR")),
    ("compound unit, building first", row("123 Main St Apt 4 Bldg 3"), unit("BLDG APT", "3 4")),
    (
        "unit in line 1 and the street in line 2",
        row("Apt 4", "123 Main St"),
        street("123", None, "MAIN", "ST") | unit("APT", "4"),
    ),
    (
        "same unit in both lines counted once",
        row("123 Main St Apt 4", "Apt 4"),
        unit("APT", "4") | {"problems": ()},
    ),
    (
        "line 2 text that is not a unit is kept",
        row("123 Main St", "Back House"),
        unit(None, "BACKHOUSE") | {"problems": ("EXTRA_TEXT",)},
    ),
    ("N/A in line 2 means no line 2", row("123 Main St", "N/A"), unit(None, None) | {"problems": ()}),
    ("leftover text after the street goes to the unit", row("123 Main St Front"), unit("FRNT", "FRNT")),
    # Boxes, routes, General Delivery: forms scourgify rejects.
    (
        "PO BOX",
        row("PO BOX 123", None, TX),
        {"kind": PO, "primary_number": "123", "street_name": None, "problems": ()},
    ),
    ("P.O. Box", row("P.O. Box 123", None, TX), {"kind": PO, "primary_number": "123"}),
    ("P. O. Box spaced", row("P. O. Box 123", None, TX), {"kind": PO, "primary_number": "123"}),
    ("POB", row("POB 123", None, TX), {"kind": PO, "primary_number": "123"}),
    ("Post Office Box", row("Post Office Box 123", None, TX), {"kind": PO, "primary_number": "123"}),
    ("BOX alone", row("Box 12", None, TX), {"kind": PO, "primary_number": "12"}),
    ("PO Box with pound", row("PO Box #123", None, TX), {"kind": PO, "primary_number": "123"}),
    ("Apartado in Puerto Rico", row("Apartado 123", None, PR), {"kind": PO, "primary_number": "123"}),
    (
        "PO Box without number",
        row("PO Box", None, TX),
        {"kind": PO, "primary_number": None, "problems": ("INCOMPLETE", "NO_PRIMARY_NUMBER")},
    ),
    (
        "rural route",
        row("RR 2 Box 45", None, TX),
        {"kind": RR, "route": "2", "primary_number": "45", "problems": ()},
    ),
    (
        "rural route spelled out",
        row("Rural Route 2 Box 45", None, TX),
        {"kind": RR, "route": "2", "primary_number": "45"},
    ),
    ("RFD", row("RFD 2 Box 45", None, TX), {"kind": RR, "route": "2", "primary_number": "45"}),
    ("R.R. with comma", row("R.R. 2, Box 45", None, TX), {"kind": RR, "route": "2", "primary_number": "45"}),
    ("box before route", row("Box 45 RR 2", None, TX), {"kind": RR, "route": "2", "primary_number": "45"}),
    ("route with box", row("Route 2 Box 45", None, TX), {"kind": RR, "route": "2", "primary_number": "45"}),
    ("route number leading zero", row("RR 02 Box 45", None, TX), {"kind": RR, "route": "2"}),
    (
        "rural route without box",
        row("RR 2", None, TX),
        {"kind": RR, "primary_number": None, "problems": ("INCOMPLETE", "NO_PRIMARY_NUMBER")},
    ),
    (
        "highway contract",
        row("HC 1 Box 3", None, TX),
        {"kind": HC, "route": "1", "primary_number": "3", "problems": ()},
    ),
    (
        "highway contract route",
        row("HCR 1 Box 3", None, TX),
        {"kind": HC, "route": "1", "primary_number": "3"},
    ),
    (
        "General Delivery",
        row("General Delivery", None, TX),
        {"kind": GD, "primary_number": None, "problems": ()},
    ),
    (
        "General Delivery without ZIP",
        row("General Delivery", None, ("Austin", "TX", None)),
        {"kind": GD, "problems": ("INCOMPLETE", "NO_ZIP")},
    ),
    (
        "General Delivery without city",
        row("Gen Del", None, (None, "TX", "78701")),
        {"kind": GD, "problems": ("INCOMPLETE", "NO_CITY")},
    ),
    (
        "street and PO box: line 2 wins",
        row("123 Main St", "PO Box 9"),
        {"kind": PO, "primary_number": "9", "problems": ("DUAL_ADDRESS",)},
    ),
    # Puerto Rico.
    (
        "Spanish type, number last",
        row("Calle del Sol 500", None, PR),
        street("500", None, "CALLE DEL SOL", None),
    ),
    (
        "Spanish type, number first",
        row("500 Calle del Sol", "Ste 3", PR),
        street("500", None, "CALLE DEL SOL", None) | unit("STE", "3"),
    ),
    ("numbered calle", row("123 Calle 4", None, PR), street("123", None, "CALLE 4", None)),
    (
        "Avenida abbreviated",
        row("Avenida Ponce de Leon 1000", None, PR),
        street("1000", None, "AVE PONCE DE LEON", None),
    ),
    ("Carretera abbreviated", row("Carretera 2 500", None, PR), street("500", None, "CARR 2", None)),
    (
        "urbanization before the street",
        row("URB LAS GLADIOLAS 123 CALLE 4", None, PR),
        street("123", None, "CALLE 4", None) | {"urbanization": "LAS GLADIOLAS"},
    ),
    (
        "urbanization in line 2",
        row("123 Calle 4", "Urb. Las Gladiolas", PR),
        {"urbanization": "LAS GLADIOLAS", "street_name": "CALLE 4"},
    ),
    (
        "urbanization after the street",
        row("123 Calle 4 Urb Las Gladiolas", None, PR),
        {"urbanization": "LAS GLADIOLAS", "street_name": "CALLE 4"},
    ),
    ("Camino abbreviated", row("Camino Real 45", None, PR), street("45", None, "CAM REAL", None)),
    ("Paseo kept", row("45 Paseo Las Flores", None, PR), street("45", None, "PASEO LAS FLORES", None)),
    # Two lines.
    (
        "a street in line 2 under a street in line 1 is kept as text",
        row("123 Main St", "456 Oak Ave"),
        street("123", None, "MAIN", "ST") | unit(None, "456OAKAVE") | {"problems": ("EXTRA_TEXT",)},
    ),
    (
        "line 2 repeating line 1 is ignored",
        row("123 Main St", "123 Main St"),
        unit(None, None) | {"problems": ()},
    ),
    (
        "unreadable line 1 above a street in line 2 is kept as text",
        row("John Smith", "123 Main St"),
        street("123", None, "MAIN", "ST") | unit(None, "JOHNSMITH") | {"problems": ("EXTRA_TEXT",)},
    ),
    (
        "PO box with a unit",
        row("PO Box 12", "Apt 4", TX),
        {"kind": PO, "primary_number": "12", "unit_id": "4"},
    ),
    # ZIP, state and city.
    (
        "ZIP+4 with hyphen",
        row("123 Main St", None, ("Springfield", "IL", "62701-1234")),
        {"zip5": "62701", "zip4": "1234", "problems": ()},
    ),
    (
        "ZIP+4 as nine digits",
        row("123 Main St", None, ("Springfield", "IL", "627011234")),
        {"zip5": "62701", "zip4": "1234"},
    ),
    (
        "ZIP+4 with a space",
        row("123 Main St", None, ("Springfield", "IL", "62701 1234")),
        {"zip5": "62701", "zip4": "1234"},
    ),
    (
        "4-digit ZIP in Massachusetts regains its zero",
        row("123 Main St", None, ("Allston", "MA", "2134")),
        {"zip5": "02134", "problems": ()},
    ),
    (
        "8-digit ZIP+4 in New Jersey",
        row("123 Main St", None, ("Newark", "NJ", "71021234")),
        {"zip5": "07102", "zip4": "1234"},
    ),
    (
        "3-digit ZIP in Puerto Rico",
        row("123 Calle 4", None, ("San Juan", "PR", "901")),
        {"zip5": "00901", "problems": ()},
    ),
    (
        "4-digit ZIP in Illinois is invalid",
        row("123 Main St", None, ("Springfield", "IL", "6270")),
        {"zip5": None, "problems": ("INCOMPLETE", "INVALID_ZIP", "NO_ZIP")},
    ),
    (
        "ZIP that is not digits",
        row("123 Main St", None, ("Springfield", "IL", "ABCDE")),
        {"zip5": None, "problems": ("INCOMPLETE", "INVALID_ZIP", "NO_ZIP")},
    ),
    (
        "unknown ZIP",
        row("123 Main St", None, ("Springfield", "IL", "62799")),
        {"zip5": "62799", "city": "SPRINGFIELD", "problems": ("UNKNOWN_ZIP",)},
    ),
    (
        "placeholder ZIP",
        row("123 Main St", None, ("Springfield", "IL", "00000")),
        {"zip5": None, "problems": ("INCOMPLETE", "NO_ZIP", "PLACEHOLDER")},
    ),
    (
        "acceptable alias gives the USPS city",
        row("123 Main St", None, ("Boston", "MA", "02134")),
        {"city": "ALLSTON", "problems": ()},
    ),
    (
        "St abbreviation matches Saint",
        row("123 Main St", None, ("St. Petersburg", "FL", "33701")),
        {"city": "SAINT PETERSBURG", "problems": ()},
    ),
    (
        "listed vanity name gives the USPS city",
        row("123 Main St", None, ("Manhattan", "NY", "10001")),
        {"city": "NEW YORK", "problems": ()},
    ),
    (
        "city not of the ZIP is kept and flagged",
        row("123 Main St", None, ("Chicago", "IL", "62701")),
        {"city": "CHICAGO", "problems": ("CITY_ZIP_MISMATCH",)},
    ),
    (
        "city without ZIP spells out Saint",
        row("123 Main St", None, ("St Louis", "MO", None)),
        {"city": "SAINT LOUIS", "zip5": None},
    ),
    (
        "state not of the ZIP",
        row("123 Main St", None, ("Springfield", "MO", "62701")),
        {"state": "MO", "problems": ("STATE_ZIP_MISMATCH",)},
    ),
    (
        "state spelled out",
        row("123 Main St", None, ("Springfield", "Illinois", "62701")),
        {"state": "IL", "problems": ()},
    ),
    (
        "unknown state code",
        row("123 Main St", None, ("Springfield", "QQ", "62701")),
        {"state": None, "problems": ("INCOMPLETE", "INVALID_STATE", "NO_STATE")},
    ),
    (
        "missing city",
        row("123 Main St", None, (None, "IL", "62701")),
        {"city": None, "problems": ("INCOMPLETE", "NO_CITY")},
    ),
    (
        "missing state",
        row("123 Main St", None, ("Springfield", "", "62701")),
        {"state": None, "problems": ("INCOMPLETE", "NO_STATE")},
    ),
    (
        "whole address typed into line 1 lacks the separate fields (R13)",
        row("123 Main St, Springfield, IL 62701", None, (None, None, None)),
        street("123", None, "MAIN", "ST") | {"city": None, "problems": ("EXTRA_TEXT", *INCOMPLETE_PLACE)},
    ),
    # Defects (legal rules R11-R13).
    (
        "no house number",
        row("Main St"),
        street(None, None, "MAIN", "ST") | {"problems": ("INCOMPLETE", "NO_PRIMARY_NUMBER")},
    ),
    (
        "ordinal street without number",
        row("First St"),
        street(None, None, "1ST", "ST") | {"problems": ("INCOMPLETE", "NO_PRIMARY_NUMBER")},
    ),
    (
        "unit but no street",
        row(None, "Apt 4"),
        {"kind": BAD, "problems": ("INCOMPLETE", "NO_STREET", "UNPARSEABLE")},
    ),
    (
        "everything missing",
        (None, None, None, None, None),
        {
            "kind": BAD,
            "problems": ("INCOMPLETE", "NO_CITY", "NO_STATE", "NO_STREET", "NO_ZIP", "UNPARSEABLE"),
        },
    ),
    (
        "Unknown Address everywhere",
        ("Unknown Address", None, "Unknown", "Unknown", "Unknown"),
        {"kind": BAD, "problems": MISSING},
    ),
    ("N/A everywhere", ("N/A", "N/A", "N/A", "N/A", "N/A"), {"kind": BAD, "problems": MISSING}),
    (
        "Failed to Provide plus a ZIP",
        row("Failed to Provide", None, ("Springfield", "IL", "62701")),
        {"kind": BAD, "problems": JUNK},
    ),
    ("line 1 is only a ZIP", row("12345"), {"kind": BAD, "problems": JUNK}),
    ("line 1 is only a ZIP+4", row("12345-6789"), {"kind": BAD, "problems": JUNK}),
    ("line 1 is 00000", row("00000"), {"kind": BAD, "problems": JUNK}),
    ("Don't Care 12345", row("Don't Care 12345"), {"kind": BAD, "problems": JUNK}),
    ("None", row("None"), {"kind": BAD, "problems": JUNK}),
    ("Homeless", row("Homeless"), {"kind": BAD, "problems": JUNK}),
    ("Same", row("Same"), {"kind": BAD, "problems": JUNK}),
    ("Refused", row("REFUSED"), {"kind": BAD, "problems": JUNK}),
    ("TBD", row("TBD"), {"kind": BAD, "problems": JUNK}),
    ("XXX", row("XXXX XXXX"), {"kind": BAD, "problems": JUNK}),
    ("No fixed address", row("No Fixed Address"), {"kind": BAD, "problems": JUNK}),
    (
        "placeholder city",
        row("123 Main St", None, ("Failed to Provide", "IL", "62701")),
        {"kind": ST, "city": None, "problems": ("INCOMPLETE", "NO_CITY", "PLACEHOLDER")},
    ),
    (
        "placeholder line 2 is flagged",
        row("123 Main St", "Unknown"),
        {"kind": ST, "unit_id": None, "problems": ("PLACEHOLDER",)},
    ),
    ("punctuation only is a placeholder", row("&&& ///"), {"kind": BAD, "problems": JUNK}),
    (
        "whitespace only is missing",
        row("   "),
        {"kind": BAD, "problems": ("INCOMPLETE", "NO_STREET", "UNPARSEABLE")},
    ),
    (
        "words without an address",
        row("asdf qwer zxcv"),
        {"kind": BAD, "problems": ("EXTRA_TEXT", "INCOMPLETE", "UNPARSEABLE")},
    ),
    (
        "intersection",
        row("Main St & Oak Ave"),
        {"kind": BAD, "problems": ("INCOMPLETE", "INTERSECTION", "UNPARSEABLE")},
    ),
    (
        "care-of line",
        row("C/O John Smith 123 Main St"),
        street("123", None, "MAIN", "ST") | {"problems": ("EXTRA_TEXT",)},
    ),
    ("10 KB line", row("1" * 10_000), {"kind": BAD, "problems": ("INCOMPLETE", "TOO_LONG", "UNPARSEABLE")}),
]


@pytest.mark.parametrize(("description", "raw", "expected"), CASES, ids=[case[0] for case in CASES])
def test_standardize_cases(description: str, raw: Row, expected: dict[str, Any]) -> None:
    """Each documented input form gives the documented components and problem codes."""
    address = standardize_uncached(*raw)
    actual = {name: getattr(address, name) for name in expected}
    assert actual == expected, description


SAME: list[tuple[str, Row, Row]] = [
    ("APT 4 vs #4", row("123 Main St Apt 4"), row("123 Main St #4")),
    ("APT 4 vs UNIT 4", row("123 Main St Apt 4"), row("123 Main St", "Unit 4")),
    ("APT 4 vs line 2 '4'", row("123 Main St", "Apt 4"), row("123 Main St", "4")),
    ("STE 4 vs APT 4: unit type does not matter", row("123 Main St Ste 4"), row("123 Main St Apt 4")),
    ("APT 4-B vs #4B", row("123 Main St Apt. 4-B"), row("123 Main St", "#4B")),
    ("North Main Street vs N MAIN ST", row("123 North Main Street"), row("123 N MAIN ST")),
    ("N.E. vs Northeast", row("123 N.E. Main St"), row("123 Northeast Main St")),
    ("ZIP+4 vs ZIP5", row("123 Main St", None, ("Springfield", "IL", "62701-1234")), row("123 Main St")),
    (
        "vanity city vs USPS city",
        row("123 Main St", None, ("Boston", "MA", "02134")),
        row("123 Main St", None, ("Allston", "MA", "02134")),
    ),
    (
        "lost leading zero vs full ZIP",
        row("123 Main St", None, ("Allston", "MA", "2134")),
        row("123 Main St", None, ("Allston", "MA", "02134")),
    ),
    ("One vs 1", row("One Microsoft Way"), row("1 Microsoft Way")),
    ("First St vs 1st Street", row("123 First St"), row("123 1st Street")),
    (
        "Calle del Sol 500 vs 500 Calle del Sol",
        row("Calle del Sol 500", None, PR),
        row("500 Calle del Sol", None, PR),
    ),
    ("P.O. Box vs POB vs Post Office Box", row("P.O. Box 12"), row("Post Office Box 12")),
    ("POB vs PO BOX", row("POB 12"), row("PO BOX 12")),
    ("Rural Route vs RR", row("Rural Route 2 Box 45"), row("RR 2 BOX 45")),
    ("unit in line 1 vs line 2", row("123 Main St Apt 4"), row("123 Main St", "Apt 4")),
    ("accents vs none", row("123 Calle Peña", None, PR), row("123 CALLE PENA", None, PR)),
    ("upper vs title case", row("123 main st apt 4"), row("123 MAIN ST APT 4")),
    ("fast path vs line the CRF reads", row("123 Main St"), row("C/O J Smith 123 Main St")),
]


@pytest.mark.parametrize(("description", "left", "right"), SAME, ids=[case[0] for case in SAME])
def test_same_delivery_point(description: str, left: Row, right: Row) -> None:
    """Two spellings of one delivery point have one delivery_point_key."""
    assert standardize_uncached(*left).delivery_point_key == standardize_uncached(*right).delivery_point_key


DIFFERENT: list[tuple[str, Row, Row]] = [
    ("APT 4 vs APT 5", row("123 Main St Apt 4"), row("123 Main St Apt 5")),
    ("missing unit vs unit", row("123 Main St"), row("123 Main St", "Apt 4")),
    ("unit REAR vs no unit", row("123 Main St"), row("123 Main St Rear")),
    ("unreadable line 2 vs none", row("123 Main St"), row("123 Main St", "Back House")),
    ("N MAIN vs S MAIN", row("123 N Main St"), row("123 S Main St")),
    ("MAIN ST vs MAIN AVE", row("123 Main St"), row("123 Main Ave")),
    ("123 vs 132", row("123 Main St"), row("132 Main St")),
    ("different ZIP", row("123 Main St"), row("123 Main St", None, ("Springfield", "IL", "62702"))),
    ("pre vs post directional", row("123 N Main St"), row("123 Main St N")),
    ("E St vs East St", row("123 E St"), row("123 East St")),
    ("Queens 12-34 vs 1234", row("12-34 21st St"), row("1234 21st St")),
    ("RR 2 vs RR 3", row("RR 2 Box 45"), row("RR 3 Box 45")),
    ("PO box vs street with the same number", row("PO Box 123"), row("123 Main St")),
    (
        "different urbanization",
        row("123 Calle 4", "Urb Las Gladiolas", PR),
        row("123 Calle 4", "Urb Villa Rica", PR),
    ),
    ("compound unit vs its parts", row("123 Main St", "Bldg 3 Apt 4"), row("123 Main St", "Apt 34")),
    ("unit 04 vs 4: leading zeros kept", row("123 Main St Apt 04"), row("123 Main St Apt 4")),
]


@pytest.mark.parametrize(("description", "left", "right"), DIFFERENT, ids=[case[0] for case in DIFFERENT])
def test_different_delivery_point(description: str, left: Row, right: Row) -> None:
    """Two delivery points never share a delivery_point_key."""
    assert standardize_uncached(*left).delivery_point_key != standardize_uncached(*right).delivery_point_key


class TestApi:
    """Caching, rendering and the fast-path probe."""

    def test_cached_call_returns_the_same_value(self) -> None:
        """standardize_address is an lru_cache over standardize_uncached with equal results."""
        raw = row("123 N Main St", "Apt 4")
        assert standardize_address(*raw) is standardize_address(*raw)
        assert standardize_address(*raw) == standardize_uncached(*raw)
        assert standardize_address.cache_info().maxsize == 1 << 16

    @pytest.mark.parametrize(
        ("line1", "line2", "expected"),
        [
            ("123 North Main Street", "Apt 4", ("123 N MAIN ST", "APT 4")),
            ("123 Main St", "4", ("123 MAIN ST", "# 4")),
            ("123 Main St Bldg 3 Apt 4", None, ("123 MAIN ST", "BLDG 3 APT 4")),
            ("123 Main St Rear", None, ("123 MAIN ST", "REAR")),
            ("P.O. Box 12", None, ("PO BOX 12", "")),
            ("Rural Route 2 Box 45", None, ("RR 2 BOX 45", "")),
            ("HC 1 Box 3", None, ("HC 1 BOX 3", "")),
            ("General Delivery", None, ("GENERAL DELIVERY", "")),
            ("URB LAS GLADIOLAS 123 CALLE 4", "Apt 2", ("123 CALLE 4 APT 2", "URB LAS GLADIOLAS")),
            ("Unknown", None, ("", "")),
        ],
    )
    def test_render_lines(self, line1: str, line2: str | None, expected: tuple[str, str]) -> None:
        """render_lines prints the Pub 28 delivery and secondary lines."""
        assert render_lines(standardize_uncached(*row(line1, line2))) == expected

    @pytest.mark.parametrize(
        "line1",
        [
            "123 N MAIN ST",
            "123 Main Street Apt 4",
            "4567 W 12th Ave",
            "12-34 Jackson Hts Blvd",
            "One Microsoft Way",
            "123 Lake Shore Dr #4B",
            "123 Main St SW Ste 100",
            "123 1/2 Oak Ave",
            "100 Broadway",
        ],
    )
    def test_fast_path_takes_clean_forms(self, line1: str) -> None:
        """Common clean street lines are parsed without calling usaddress."""
        assert fast_path_accepts(line1)

    @pytest.mark.parametrize(
        "line1", ["123 Highway 101", "C/O J Smith 123 Main St", "123 Broadway E", "Main St & Oak Ave"]
    )
    def test_fast_path_defers_ambiguous_forms(self, line1: str) -> None:
        """Forms the tokenizer cannot settle go to the CRF."""
        assert not fast_path_accepts(line1)


HOSTILE = [
    "",
    " ",
    "\x00" * 50,
    "\u2028\u2029\ufeff",
    "#" * 150,
    "&&& ///",
    "-- -- --",
    "123 APT APT APT 4 5 6",
    "123 Main St Apt 4 Apt 5",
    "PO BOX PO BOX",
    "ÀÉÎÕÜ 北京 Москва",
    "\U0001f600 123 Main St",
    "1" * 199,
    "x" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_input_never_raises(text: str) -> None:
    """Garbage in any field gives a StandardAddress, never an exception."""
    for index in range(5):
        raw: list[str | None] = [None, None, None, None, None]
        raw[index] = text
        assert isinstance(standardize_uncached(*raw), StandardAddress)


def test_non_string_input_never_raises() -> None:
    """Values of the wrong type (a NaN from a data frame, an int ZIP) are read as text."""
    address = standardize_uncached("123 Main St", float("nan"), "Springfield", "IL", 62701)  # type: ignore[arg-type]
    assert address.zip5 == "62701"


@settings(max_examples=300, deadline=None)
@given(st.tuples(*[st.one_of(st.none(), st.text(max_size=60)) for _ in range(5)]))
def test_arbitrary_text_never_raises(raw: Row) -> None:
    """Arbitrary Unicode in every field gives a StandardAddress with sorted problem codes."""
    address = standardize_uncached(*raw)
    assert list(address.problems) == sorted(set(address.problems))
    assert (address.kind is BAD) == ("UNPARSEABLE" in address.problems)


# Clean addresses generated from the Pub 28 tables: the input space both paths claim.
NAMES = [
    "MAIN",
    "Oak",
    "ELM",
    "Maple",
    "WASHINGTON",
    "Lincoln",
    "CEDAR",
    "JACKSON",
    "Church",
    "HIGHLAND",
    "SUNSET",
    "Willow",
    "MARKET",
    "LAKE SHORE",
    "Spring Hill",
    "MARTIN LUTHER KING",
]
ORDINALS = [*pub28.ORDINAL_WORDS, "TWENTY FIRST", "Thirty-Second", "1ST", "2nd", "3RD", "12th", "101ST"]
number = st.one_of(
    st.integers(1, 99_999).map(str),
    st.sampled_from(sorted(pub28.NUMBER_WORDS)),
    st.builds("{}-{}".format, st.integers(1, 999), st.integers(1, 99)),
    st.builds("{}{}".format, st.integers(1, 9999), st.sampled_from("ABC")),
)
unit_id = st.one_of(
    st.integers(0, 9999).map(str),
    st.sampled_from("ABCD"),
    st.builds("{}{}".format, st.integers(1, 99), st.sampled_from("ABC")),
)
designator = st.sampled_from(
    sorted(set(pub28.UNIT_DESIGNATORS) - pub28.UNITS_WITHOUT_ID - set(pub28.STREET_SUFFIXES))
)
optional = st.one_of(st.none(), st.sampled_from(sorted(pub28.DIRECTIONALS)))


@st.composite
def clean_addresses(draw: st.DrawFn) -> Row:
    """A clean street address: number, directionals, name, any C1 suffix spelling, a unit."""
    words = [
        draw(number),
        draw(optional) or "",
        draw(st.sampled_from(NAMES + ORDINALS)),
        draw(st.sampled_from(sorted(pub28.STREET_SUFFIXES))),
    ]
    words.append(draw(optional) or "")
    line2 = None
    where = draw(st.sampled_from(["none", "line1", "line2", "bare"]))
    unit_text = f"{draw(designator)} {draw(unit_id)}"
    if where == "line1":
        words.append(unit_text)
    elif where == "line2":
        line2 = unit_text
    elif where == "bare":
        line2 = draw(unit_id)
    line1 = " ".join(word for word in words if word)
    return draw(st.sampled_from([str.upper, str.title, str.lower]))(line1), line2, *IL


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(clean_addresses())
def test_fast_and_slow_paths_agree(raw: Row) -> None:
    """Where the tokenizer and the CRF both read the line as one street, they give the same value."""
    assume(fast_path_accepts(raw[0] or ""))
    slow = standardize_uncached(*raw, fast_path=False)
    # The CRF sometimes reads rare forms ("965A MARKET VIADUCT WEST") as a building name; then
    # it does not apply, and the slow path says so with these codes instead of guessing.
    assume(not {"EXTRA_TEXT", "UNPARSEABLE", "NO_STREET"} & set(slow.problems))
    assert standardize_uncached(*raw, fast_path=True) == slow


boxes = st.one_of(
    st.builds("PO BOX {}".format, st.integers(1, 99_999)),
    st.builds("RR {} BOX {}".format, st.integers(1, 99), st.integers(1, 999)),
    st.builds("HC {} BOX {}".format, st.integers(1, 99), st.integers(1, 999)),
    st.just("GENERAL DELIVERY"),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(clean_addresses(), boxes.map(lambda line1: (line1, None, *TX))))
def test_rendered_lines_restandardize_to_the_same_key(raw: Row) -> None:
    """Standardizing render_lines(a) gives a's delivery_point_key again (and no new problems)."""
    address = standardize_uncached(*raw)
    again = standardize_uncached(*render_lines(address), *raw[2:])
    assert again.delivery_point_key == address.delivery_point_key
    assert set(again.problems) <= set(address.problems)
