"""The decision rule on the hard cases: confirm the named person at the delivery point, nobody else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from custos.matching.engine import MatchEngine, prepare
from custos.matching.index import MasterIndex

CASES = [
    # (id, request fields, expected code, expected reason)
    ("exact_with_dob", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03", address_line1="45 Elm St",
     address_line2="Apt 2", city="Springfield", state="IL", zip="62701"), "CONFIRMED", "MATCH"),
    ("unit_in_line_one_and_hash", dict(given_name="ANA", surname="ZABRISKIE", dob="1980-02-03",
     address_line1="45 Elm Street #2", city="Springfield", state="IL", zip="62701-1234"), "CONFIRMED", "MATCH"),
    ("old_address_of_someone_who_moved", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03",
     address_line1="12 Old Rd", city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "ADDRESS_MISMATCH"),
    ("missing_unit", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03", address_line1="45 Elm St",
     city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "UNIT_MISMATCH"),
    ("wrong_unit", dict(given_name="Wei", surname="Thistlewood", dob="1990-01-01", address_line1="100 Main St",
     address_line2="Apt 5", city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "UNIT_MISMATCH"),
    ("jr_sr_without_suffix", dict(given_name="John", surname="Quackenbush", address_line1="7 Oak Ave",
     city="Springfield", state="IL", zip="62702"), "PENDING_REVIEW", "AMBIGUOUS_NAME"),
    ("jr_with_suffix_and_dob", dict(given_name="John", surname="Quackenbush", name_suffix="JR", dob="1980-06-01",
     address_line1="7 Oak Avenue", city="Springfield", state="IL", zip="62702"), "CONFIRMED", "MATCH"),
    ("twin_with_similar_name", dict(given_name="Daniel", surname="Okonkwo", dob="2001-05-05",
     address_line1="9 Pine St", city="Springfield", state="IL", zip="62703"), "PENDING_REVIEW", "AMBIGUOUS_HOUSEHOLD"),
    ("compound_surname_hyphenated", dict(given_name="José", surname="García-Márquez", dob="1975-07-08",
     address_line1="500 Calle del Sol", city="San Juan", state="PR", zip="00901"), "CONFIRMED", "MATCH"),
    ("paternal_surname_only", dict(given_name="Jose", surname="Garcia", dob="1975-07-08",
     address_line1="500 Calle del Sol", city="San Juan", state="PR", zip="00901"), "CONFIRMED", "MATCH"),
    ("spanish_diminutive", dict(given_name="Pepe", surname="Garcia Marquez", dob="1975-07-08",
     address_line1="500 Calle del Sol", city="San Juan", state="PR", zip="00901"), "CONFIRMED", "MATCH"),
    ("swapped_name_order", dict(given_name="Zabriskie", surname="Ana", dob="1980-02-03", address_line1="45 Elm St",
     address_line2="Apt 2", city="Springfield", state="IL", zip="62701"), "CONFIRMED", "MATCH"),
    ("surname_typo_swapped_letters", dict(given_name="Ana", surname="Zabrsikie", dob="1980-02-03", address_line1="45 Elm St",
     address_line2="Apt 2", city="Springfield", state="IL", zip="62701"), "CONFIRMED", "MATCH"),
    ("blank_city_and_state_with_zip", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03", address_line1="45 Elm St",
     address_line2="Apt 2", city="", state="", zip="62701"), "CONFIRMED", "MATCH"),
    ("relative_not_the_named_person", dict(given_name="Pedro", surname="Garcia Marquez", dob="1977-01-01",
     address_line1="500 Calle del Sol", city="San Juan", state="PR", zip="00901"), "NOT_CONFIRMED", "NAME_MISMATCH"),
    ("dob_conflict", dict(given_name="Ana", surname="Zabriskie", dob="1955-11-11", address_line1="45 Elm St",
     address_line2="Apt 2", city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "NAME_MISMATCH"),
    ("common_name_without_dob", dict(given_name="James", surname="Smith", address_line1="2 Second St",
     city="Springfield", state="IL", zip="62704"), "PENDING_REVIEW", "INSUFFICIENT_IDENTIFIERS"),
    ("rare_name_without_dob", dict(given_name="Wei", surname="Thistlewood", address_line1="100 Main St",
     address_line2="Apt 4", city="Springfield", state="IL", zip="62701"), "CONFIRMED", "MATCH"),
    ("nickname_without_dob", dict(given_name="Pepe", surname="Garcia Marquez", address_line1="500 Calle del Sol",
     city="San Juan", state="PR", zip="00901"), "PENDING_REVIEW", "INSUFFICIENT_IDENTIFIERS"),
    ("zip_only", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03", address_line1="62701",
     city="", state="", zip="62701"), "NOT_CONFIRMED", "INSUFFICIENT_IDENTIFIERS"),
    ("unknown_address", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03",
     address_line1="Unknown Address", city="", state="", zip=""), "NOT_CONFIRMED", "INSUFFICIENT_IDENTIFIERS"),
    ("nobody_there", dict(given_name="Ana", surname="Zabriskie", dob="1980-02-03", address_line1="999 Nowhere Ln",
     city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "ADDRESS_MISMATCH"),
    ("absent_person", dict(given_name="Zed", surname="Nobody", dob="1980-02-03", address_line1="999 Nowhere Ln",
     city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "NO_CANDIDATE"),
    ("bad_dob_is_malformed", dict(given_name="Ana", surname="Zabriskie", dob="1980-13-45", address_line1="45 Elm St",
     address_line2="Apt 2", city="Springfield", state="IL", zip="62701"), "NOT_CONFIRMED", "MALFORMED_RECORD"),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine(index_path: Path) -> Iterator[MatchEngine]:
    index = MasterIndex(index_path, memory_limit="1GB", threads=1)
    yield MatchEngine(index)
    index.close()


@pytest.mark.parametrize(("case", "fields", "code", "reason"), CASES, ids=[c[0] for c in CASES])
def test_decision(engine: MatchEngine, case: str, fields: dict[str, str], code: str, reason: str) -> None:
    """Each hard case gets the fail-closed decision, by batch and by single lookup alike."""
    request = prepare({"record_id": case, **fields})
    batch = engine.match_batch([request])[0]
    single = engine.match_one(request)
    assert (batch.code.value, batch.reason.value) == (code, reason), batch.detail
    assert (single.code, single.reason) == (batch.code, batch.reason)
    assert batch.snapshot_id == engine.index.info.snapshot_id


def test_confirmation_carries_explainable_evidence(engine: MatchEngine) -> None:
    """A confirmation lists every field's agreement level and weight for the chosen taxpayer."""
    request = prepare(dict(record_id="r", given_name="Ana", surname="Zabriskie", dob="1980-02-03",
                           address_line1="45 Elm St", address_line2="Apt 2", city="Springfield", state="IL",
                           zip="62701"))  # fmt: skip
    decision = engine.match_one(request)
    chosen = next(e for e in decision.evidence if e.taxpayer_id == decision.taxpayer_id)
    levels = {f.field: f.level for f in chosen.fields}
    assert levels == {"surname": "exact", "given": "exact", "dob": "exact", "suffix": "missing",
                      "middle": "missing"}  # fmt: skip
    assert chosen.score > 20


def test_rare_surname_weighs_more_than_common(engine: MatchEngine) -> None:
    """Term frequency: an exact SMITH counts for less than an exact ZABRISKIE."""
    smith = engine.match_one(prepare(dict(record_id="s", given_name="James", surname="Smith", dob="1970-03-03",
                                          address_line1="2 Second St", city="Springfield", state="IL",
                                          zip="62704")))  # fmt: skip
    ana = engine.match_one(prepare(dict(record_id="a", given_name="Ana", surname="Zabriskie", dob="1980-02-03",
                                        address_line1="45 Elm St", address_line2="Apt 2", city="Springfield",
                                        state="IL", zip="62701")))  # fmt: skip

    def surname_weight(decision: object) -> float:
        evidence = decision.evidence[0]  # type: ignore[attr-defined]
        return next(f.weight for f in evidence.fields if f.field == "surname")

    assert surname_weight(smith) < surname_weight(ana)
