"""R32 as a property: nothing is CONFIRMED or disclosed unless the ledger holds every required check for it."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.accounting.harness import OPERATOR, Harness

from custos.accounting.release import Approval, approve_and_release

REQUIRED_AT_VALIDATION = ("r10", "r11", "r12", "r13", "r19", "r21")
REQUIRED_AT_DECISION = ("r25", "r27")

# Damage the court and TIGTA saw, applied to otherwise confirmable records.
MUTATIONS = {
    "keep": {},
    "blank_address": {"address_line1": "", "address_line2": "", "city": "", "state": "", "zip": ""},
    "zip_only": {"address_line1": "12345"},
    "placeholder": {"address_line1": "Unknown Address"},
    "no_number": {"address_line1": "Main St"},
    "no_state": {"state": ""},
    "no_investigation": {"investigation_id": ""},
    "order_as_investigation": {
        "investigation_id": "EOIR-2025-000001",
        "removal_order_case_number": "EOIR-2025-000001",
    },
    "no_recipients": {"recipients": ""},
    "tin_instead_of_address": {"tin": "123456789", "address_line1": "", "city": "", "state": "", "zip": ""},
    "no_given_name": {"given_name": ""},
    "other_dob": {"dob": "1901-01-01"},
}


def check_r32(demo: Harness) -> None:
    entries = demo.entries()
    validated = {e["details"]["case"]: e for e in entries if e["event_type"] == "record.validated"}
    decided = {e["details"]["case"]: e for e in entries if e["event_type"] == "decision.made"}
    disclosed = [e for e in entries if e["event_type"] == "disclosure.made"]
    confirmed = [case for case, e in decided.items() if e["details"]["response"] == "CONFIRMED"]
    for case in confirmed + [e["object"]["id"] for e in disclosed]:
        assert all(validated[case]["details"].get(rule) == "pass" for rule in REQUIRED_AT_VALIDATION), case
        assert all(decided[case]["details"].get(rule) == "pass" for rule in REQUIRED_AT_DECISION), case
        assert decided[case]["refs"] == [validated[case]["seq"]]
    for disclosure in disclosed:
        assert disclosure["object"]["id"] in confirmed


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=6), st.booleans())
def test_no_confirmation_or_disclosure_without_the_required_checks_in_the_ledger(
    demo_template: Path, tmp_path_factory: object, mutations: list[str], release: bool
) -> None:
    """Any mix of damaged records, released or not: every CONFIRMED and every disclosure has R10-R13, R19,
    R21, R25 and R27 passed in its ledger entries, and damaged records are never CONFIRMED."""
    directory = Path(str(tmp_path_factory.mktemp("r32"))) / "data"  # type: ignore[attr-defined]
    demo = Harness(demo_template, directory)
    try:
        rows = []
        for number, (mutation, row) in enumerate(
            zip(mutations, demo.confirmable(len(mutations)), strict=True)
        ):
            rows.append(row | MUTATIONS[mutation] | {"record_id": f"P-{number}-{mutation}"})
        summary = demo.submit(rows)
        if release and summary.status == "awaiting_approval":
            approve_and_release(demo.ledger, summary.batch_id, Approval(OPERATOR, "Manager", "DO 11-2"))
        check_r32(demo)
        for record_id, code in demo.codes(summary.batch_id).items():
            if not record_id.endswith("-keep"):
                assert code != "CONFIRMED", record_id
    finally:
        demo.close()
        shutil.rmtree(directory.parent, ignore_errors=True)
