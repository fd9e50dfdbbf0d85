"""The failures the courts and TIGTA found (legal-requirements.md section 3.9, F1-F9), fed in as input.

Each test submits the defective request the real program let through and shows
what custos does with it instead: reject, hold for a person, or refuse to confirm.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.backend import copy_installation
from tests.unit.accounting.harness import OPERATOR, Harness, fresh, valid_rows
from typer.testing import CliRunner

from custos.accounting.release import Approval, approve_and_release, batch_status
from custos.accounting.tables import case_number, case_record
from custos.cli import app
from custos.config import Settings
from custos.intake.envelope import write_envelope
from custos.policy.agreement import REQUEST_ELEMENTS
from custos.policy.codes import response_code
from custos.runtime import Runtime

APPROVAL = Approval(OPERATOR, "Disclosure Manager", "DO 11-2 (compliance)")
ADDRESS = ("address_line1", "address_line2", "city", "state", "zip")


# --- helpers ------------------------------------------------------------------------------------------


def decisions(demo: Harness) -> dict[str, dict[str, Any]]:
    """Case number -> its decision.made event."""
    return {e["details"]["case"]: e for e in demo.entries() if e["event_type"] == "decision.made"}


def master_taxpayer(demo: Harness) -> dict[str, str]:
    """One real taxpayer of the demo master file (the row of its first tax year)."""
    with (demo.directory / "demo" / "synth" / "master.csv").open(newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


# --- F1 -----------------------------------------------------------------------------------------------


def test_f01_blank_address_with_name_and_tin_is_rejected(demo: Harness) -> None:
    """F1: "Address missing/blank but TIN+name matched -> disclosure": rejected REJ_ADDR_MISSING, never CONFIRMED."""
    taxpayer = master_taxpayer(demo)
    base = fresh(demo.confirmable(1)[0], "F1", 900)
    identity = {"given_name": taxpayer["given_name"], "middle_name": taxpayer["middle_name"],
                "surname": taxpayer["surname"], "dob": taxpayer["dob"], "tin": taxpayer["tin"]}  # fmt: skip
    blank = base | identity | dict.fromkeys(ADDRESS, "") | {"record_id": "F1-BLANK"}
    spaces = fresh(base, "F1", 901) | identity | dict.fromkeys(ADDRESS, "   ") | {"record_id": "F1-SPACES"}
    # 2 defective in 40 records is 5%: the batch goes on, so the good records show the engine did run.
    summary = demo.submit([*valid_rows(demo, 38, "F1OK"), blank, spaces])
    assert summary.status == "awaiting_approval"
    codes = demo.codes(summary.batch_id)
    assert codes["F1-BLANK"] == codes["F1-SPACES"] == "REJ_ADDR_MISSING"
    assert response_code(codes["F1-BLANK"]) == "REJECTED_ADDRESS_MISSING"
    assert summary.by_code == {"CONFIRMED": 38, "REJECTED_ADDRESS_MISSING": 2}

    cases = demo.cases(summary.batch_id)
    rejected = {case_number(cases[r].case_id) for r in ("F1-BLANK", "F1-SPACES")}
    made = decisions(demo)
    for number in rejected:
        assert made[number]["reason_code"] == "REJ_ADDR_MISSING"
        assert made[number]["details"]["engine_reason"] is None  # never reached the matching engine
    approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    disclosed = {e["object"]["id"] for e in demo.entries() if e["event_type"] == "disclosure.made"}
    assert len(disclosed) == 38
    assert not disclosed & rejected


# --- F2 -----------------------------------------------------------------------------------------------

COURT_VECTORS = {
    "12345": "REJ_ADDR_ZIP_ONLY",
    "00000": "REJ_ADDR_ZIP_ONLY",
    "12345-6789": "REJ_ADDR_ZIP_ONLY",
    "Don't Care 12345": "REJ_ADDR_ZIP_ONLY",
    "Unknown Address": "REJ_ADDR_PLACEHOLDER",
    "Failed to Provide": "REJ_ADDR_PLACEHOLDER",
    "N/A": "REJ_ADDR_PLACEHOLDER",
}


def test_f02_zip_or_junk_text_as_address_is_rejected_with_its_code(demo: Harness) -> None:
    """F2: '"Address" = ZIP or junk text ("Unknown Address", "Failed to Provide", "Don't Care 12345", "00000") accepted': each is rejected with its code."""
    person = demo.confirmable(1)[0]
    rows, expected = [], {}
    for number, (vector, code) in enumerate(COURT_VECTORS.items()):
        # As the street line of an otherwise real address, and as the only address text.
        with_place = fresh(person, "F2P", number, address_line1=vector)
        alone = fresh(person, "F2A", number, address_line1=vector, city="", state="", zip="")
        rows += [with_place, alone]
        expected |= {with_place["record_id"]: code, alone["record_id"]: code}
    zip_only = fresh(person, "F2Z", 1, address_line1="", address_line2="", city="", state="")
    zip_city_state = fresh(person, "F2Z", 2, address_line1="", address_line2="")
    filler_zip = fresh(person, "F2Z", 3, zip="00000")
    rows += [zip_only, zip_city_state, filler_zip]
    expected |= {
        zip_only["record_id"]: "REJ_ADDR_ZIP_ONLY",  # R11: only a ZIP code
        zip_city_state["record_id"]: "REJ_ADDR_INCOMPLETE",  # R13: a ZIP, city and state are no street
        filler_zip["record_id"]: "REJ_ADDR_PLACEHOLDER",  # R12: 00000 is a filler, not a ZIP
    }
    synthetic = demo.rows_of("zip_only", 1) + demo.rows_of("placeholder", 1)
    rows += synthetic

    summary = demo.submit(rows)
    codes = demo.codes(summary.batch_id)
    assert {rid: codes[rid] for rid in expected} == expected
    assert codes[synthetic[0]["record_id"]] in {"REJ_ADDR_ZIP_ONLY", "REJ_ADDR_INCOMPLETE"}
    assert codes[synthetic[1]["record_id"]] in {"REJ_ADDR_PLACEHOLDER", "REJ_ADDR_MISSING"}
    assert "CONFIRMED" not in summary.by_code
    assert all(code.startswith("REJECTED_ADDRESS_") for code in summary.by_code)


def test_f02_zip_followed_by_placeholder_text_is_rejected(demo: Harness) -> None:
    """F2: a ZIP plus non-address text ("12345 N/A", "12345 NONE") is not an address (R11), with the rest of the address given."""
    person = demo.confirmable(1)[0]
    rows = [
        fresh(person, "F2N", 1, address_line1="12345 N/A"),
        fresh(person, "F2N", 2, address_line1="12345 NONE"),
    ]
    summary = demo.submit(rows)
    codes = demo.codes(summary.batch_id)
    assert codes == {"F2N-0001": "REJ_ADDR_ZIP_ONLY", "F2N-0002": "REJ_ADDR_ZIP_ONLY"}


# --- F3 -----------------------------------------------------------------------------------------------


def test_f03_real_person_at_another_real_address_is_not_confirmed(demo: Harness) -> None:
    """F3: "Supplied address never compared to IRS addresses": the right name, DOB and TIN at another address is NOT_CONFIRMED."""
    people = demo.rows_of("moved_old_address", 6) + demo.rows_of("wrong_house_number", 3)
    # Give each the taxpayer's true TIN as well: name + DOB + TIN all agree, only the address does not.
    rows = [row | {"tin": demo.truth[row["record_id"]]["true_tin"]} for row in people]
    assert all(row["tin"] for row in rows)
    summary = demo.submit(rows)
    codes = demo.codes(summary.batch_id)
    assert set(codes.values()) == {"NOT_CONFIRMED"}
    made = decisions(demo)
    for row in demo.cases(summary.batch_id).values():
        decision = made[case_number(row.case_id)]
        assert decision["details"]["engine_reason"] == "ADDRESS_MISMATCH"  # the address was compared
        assert decision["details"]["r27"] == "fail"
        assert decision["details"]["response"] == "NOT_CONFIRMED"


# --- F4 -----------------------------------------------------------------------------------------------


def test_f04_cli_and_library_take_the_same_single_pipeline(
    demo: Harness, demo_template: Path, tmp_path: Path
) -> None:
    """F4: "Two parallel pipelines with different checks": `custos batch submit` and the library give the same codes, and every decision refers to a validation."""
    rows = [r for r in demo.demo_rows if r["record_id"].startswith("SYN-")]
    path = demo.write(rows, name="f4-batch")
    envelope = demo.sign(path)
    envelope_path = tmp_path / "f4-batch.envelope.json"
    write_envelope(envelope_path, envelope)

    library = demo.pipeline.submit(path, envelope)
    library_codes = demo.codes(library.batch_id)

    cli_dir = tmp_path / "cli-installation"
    copy_installation(demo_template, cli_dir)
    result = CliRunner().invoke(
        app, ["--dir", str(cli_dir), "batch", "submit", str(path), "--envelope", str(envelope_path)]
    )
    assert result.exit_code == 0, result.output
    runtime = Runtime.open(Settings.load(cli_dir))
    try:
        with runtime.database.read() as connection:
            cli_cases = connection.execute(select(case_record)).all()
        size = runtime.ledger.head().size
        cli_entries = [json.loads(runtime.ledger.leaf(seq)) for seq in range(size)]
    finally:
        runtime.close()
    cli_codes = {row.record_id: row.internal_code for row in cli_cases}

    assert len(library_codes) == len(rows)
    assert cli_codes == library_codes
    assert {"CONFIRMED", "NOT_CONFIRMED", "REJ_ADDR_PLACEHOLDER"} <= set(library_codes.values())
    for entries in (demo.entries(), cli_entries):
        by_seq = {e["seq"]: e for e in entries}
        made = [e for e in entries if e["event_type"] == "decision.made"]
        assert len(made) == len(rows)
        for decision in made:
            (validated,) = (by_seq[seq] for seq in decision["refs"])
            assert validated["event_type"] == "record.validated"
            assert validated["details"]["case"] == decision["details"]["case"]


# --- F5 -----------------------------------------------------------------------------------------------


def test_f05_name_and_address_format_variants_still_match(demo: Harness) -> None:
    """F5: "Non-uniform input formats; name/address variants mis-match": written-differently records still match."""
    exact = demo.confirmable(2)
    handmade = [
        fresh(exact[0], "F5", 1, **{k: exact[0][k].lower() for k in ("given_name", "surname", *ADDRESS)}),
        fresh(exact[1], "F5", 2, address_line1=f"  {exact[1]['address_line1']}.  ", zip=exact[1]["zip"][:5]),
    ]
    variants = demo.rows_of("format_variant", 10)
    names = demo.rows_of("accents_dropped", 3) + demo.rows_of("swapped_name_order", 2)
    summary = demo.submit(handmade + variants + names)
    cases = demo.cases(summary.batch_id)
    made = decisions(demo)
    for row in handmade + variants:  # the address written another way is the same delivery point
        assert cases[row["record_id"]].internal_code == "CONFIRMED", row["record_id"]
    for row in names:  # a name variant is confirmed exactly or goes to a person, never "no match"
        case = cases[row["record_id"]]
        assert case.internal_code in {"CONFIRMED", "MANUAL_REVIEW"}, row["record_id"]
        assert case.reason not in {"ADDRESS_MISMATCH", "NAME_MISMATCH", "NO_CANDIDATE"}
    for case in cases.values():  # R14: the normalizer version is on every decision
        assert made[case_number(case.case_id)]["details"]["normalizer_version"]


# --- F6 -----------------------------------------------------------------------------------------------


def test_f06_a_batch_mixing_every_defect_kind_has_each_record_rejected(demo: Harness) -> None:
    """F6: "Rejection rules did not catch all bad records": every defect kind in one batch is rejected with its code."""
    person = demo.confirmable(1)[0]
    today = demo.ledger.clock.now().date()
    defects = {
        "REJ_ADDR_MISSING": dict.fromkeys(ADDRESS, ""),
        "REJ_ADDR_ZIP_ONLY": {"address_line1": "12345-6789"},
        "REJ_ADDR_PLACEHOLDER": {"address_line1": "Failed to Provide"},
        "REJ_ADDR_INCOMPLETE": {"city": ""},
        "REJ_NAME_MISSING": {"given_name": ""},
        "REJ_PERIOD_MISSING": {"taxable_periods": ""},
        "REJ_PERIOD_INVALID": {"taxable_periods": "1999"},
        "REJ_STATUTE_NOT_PERMITTED": {"statute": "8 U.S.C. 1326"},
        "REJ_REASON_MISSING": {"reason": " "},
        "REJ_NO_INVESTIGATION": {"investigation_id": ""},
        "REJ_REMOVAL_ORDER_MISSING": {"removal_order_date": ""},
        "REJ_PREDICATE_NOT_RIPE": {"removal_order_date": today.isoformat()},
        "REJ_NO_RECIPIENTS": {"recipients": ""},
        "REJ_UNDECLARED_FIELD": {"employer": "Acme Corp"},  # a column no agreement declares
        "REJ_MALFORMED_RECORD": {"dob": "13/07/1981"},
    }
    rows, expected = [], {}
    for number, (code, change) in enumerate(defects.items(), start=1):
        row = fresh(person, "F6", number) | change
        rows.append(row)
        expected[row["record_id"]] = code
    good = valid_rows(demo, 3, "F6OK")
    duplicate = good[0] | {"record_id": "F6-DUP"}
    rows += [*good, duplicate]
    path = demo.write(rows, header=[*REQUEST_ELEMENTS, "employer"])
    summary = demo.pipeline.submit(path, demo.sign(path))

    codes = demo.codes(summary.batch_id)
    assert {rid: codes[rid] for rid in expected} == expected
    # Far above 5% defective: the whole batch is rejected (R9), so the good ones and the duplicate are too.
    assert summary.status == "rejected"
    assert summary.rejection_code == "REJ_BATCH_DEFECTIVE"
    assert {codes[r["record_id"]] for r in [*good, duplicate]} == {"REJ_BATCH_DEFECTIVE"}
    counts = batch_status(demo.ledger, summary.batch_id)["counts"]
    assert sum(counts.values()) == len(rows)
    assert all(code.startswith("REJECTED_") for code in counts)
    assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]


# --- F7 -----------------------------------------------------------------------------------------------


def test_f07_one_officer_on_more_investigations_than_the_cap_is_held(demo: Harness) -> None:
    """F7: "One official attests engagement in >1M investigations": an officer on cap+1 investigations holds them all."""
    cap = 50  # the demo agreement's engagement_cap
    at_cap = valid_rows(demo, cap, "F7A", recipients="SA-ALVAREZ-01")
    over_cap = valid_rows(demo, cap + 1, "F7B", recipients="SA-BRENNAN-02")

    first = demo.submit(at_cap)
    assert set(demo.codes(first.batch_id).values()) == {"CONFIRMED"}

    second = demo.submit(over_cap)
    codes = demo.codes(second.batch_id)
    assert set(codes.values()) == {"HOLD_ENGAGEMENT_IMPLAUSIBLE"}
    assert second.by_code == {"PENDING_REVIEW": cap + 1}
    validated = [e for e in demo.entries() if e["event_type"] == "batch.validated"]
    assert validated[-1]["details"]["engagement_implausible"] == cap + 1


# --- F8 -----------------------------------------------------------------------------------------------


def test_f08_no_specific_investigation_is_rejected(demo: Harness) -> None:
    """F8: "No specific criminal investigation per person": no investigation_id, or one that is the removal order, is REJ_NO_INVESTIGATION."""
    person = demo.confirmable(1)[0]
    missing = fresh(person, "F8", 1, investigation_id="")
    removal = fresh(person, "F8", 2)
    removal["investigation_id"] = removal["removal_order_case_number"]
    a_number = fresh(person, "F8", 3)
    a_number["investigation_id"] = a_number["a_number"]
    summary = demo.submit([missing, removal, a_number])
    assert set(demo.codes(summary.batch_id).values()) == {"REJ_NO_INVESTIGATION"}
    assert summary.by_code == {"REJECTED_NO_INVESTIGATION": 3}


def test_f08_one_reason_repeated_beyond_the_limit_is_held(demo: Harness) -> None:
    """F8: a reason repeated in more than reason_repeat_limit records is not specific to any of them: HOLD_NONSPECIFIC_REASON."""
    limit = 50  # the demo agreement's reason_repeat_limit
    boiler = "Alien subject to final order of removal; address needed for enforcement."
    at_limit = valid_rows(demo, limit, "F8A", reason=boiler)
    # The same text with other case and spacing is the same reason after normalization.
    over = [
        row | {"reason": boiler.upper() if n % 2 else f"  {boiler}  "}
        for n, row in enumerate(valid_rows(demo, limit + 1, "F8B"))
    ]
    first = demo.submit(at_limit)
    assert set(demo.codes(first.batch_id).values()) == {"CONFIRMED"}
    second = demo.submit(over)
    assert set(demo.codes(second.batch_id).values()) == {"HOLD_NONSPECIFIC_REASON"}
    assert second.by_code == {"PENDING_REVIEW": limit + 1}


# --- F9 -----------------------------------------------------------------------------------------------


def test_f09_shared_households_and_names_are_never_confirmed(demo: Harness) -> None:
    """F9: "Shared households / shared surnames -> misidentification": relatives, namesakes, Jr/Sr and twins are never CONFIRMED."""
    relatives = demo.rows_of("relative_at_address", 3)
    ambiguous = (
        demo.rows_of("namesake_same_address", 1)
        + demo.rows_of("jr_sr_no_suffix", 2)
        + demo.rows_of("twins_similar_names", 1)
    )
    summary = demo.submit(relatives + ambiguous)
    codes = demo.codes(summary.batch_id)
    assert "CONFIRMED" not in codes.values()
    for row in relatives:  # a relative with the household's surname is someone else
        assert codes[row["record_id"]] == "NOT_CONFIRMED"
    for row in ambiguous:  # more than one taxpayer could be meant: a person decides, nothing is disclosed
        assert codes[row["record_id"]] in {"AMBIGUOUS_NAME", "AMBIGUOUS_HOUSEHOLD"}
        assert response_code(codes[row["record_id"]]) == "PENDING_REVIEW"
    demo.review_all(summary.batch_id)
    approve_and_release(demo.ledger, summary.batch_id, APPROVAL)
    assert not [e for e in demo.entries() if e["event_type"] == "disclosure.made"]
