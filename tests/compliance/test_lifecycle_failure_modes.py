"""Failure modes F10-F14 (legal-requirements.md section 3.9): after the decision, before and after delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.unit.accounting.harness import OPERATOR, Harness, activate_variant

from custos.accounting.recall import Defect, affected_disclosures, open_recall, overdue, record_reply
from custos.accounting.release import Approval, ReleaseError, approve_and_release, write_results
from custos.accounting.reports import annual_report
from custos.accounting.safeguards import record_safeguards
from custos.accounting.tables import disposal_request
from custos.ledger.events import Actor, ActorKind
from custos.policy.agreement import parse_agreement

FIRST = Approval(OPERATOR, "Disclosure Manager", "DO 11-2 (demo)")
SECOND = Approval(Actor(ActorKind.OPERATOR, "second-official"), "Deputy Commissioner", "DO 11-2 (demo)")
AGENCY = "DEMO-DHS"


def released(demo: Harness, rows: int = 2) -> str:
    summary = demo.submit(demo.confirmable(rows))
    approve_and_release(demo.ledger, summary.batch_id, FIRST)
    return summary.batch_id


def test_f10_recipient_with_open_safeguard_findings_receives_nothing(demo: Harness) -> None:
    """F10: 'recipient with open safeguard findings, no CAP' -> delivery blocked and the refusal recorded (R37)."""
    batch_id = released(demo)
    with demo.ledger.transaction() as tx:
        record_safeguards(tx, AGENCY, spr_date=dt.date.today() - dt.timedelta(days=30), open_findings=3,
                          cap_approved=False, actor=OPERATOR)  # fmt: skip
    with pytest.raises(ReleaseError, match="3 open safeguard finding"):
        write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory)
    refused = demo.entries()[-1]
    assert (refused["event_type"], refused["outcome"], refused["reason_code"]) == (
        "results.transmitted",
        "denied",
        "BLOCKED_SAFEGUARDS",
    )
    assert not (demo.directory / "demo" / "outbox").exists()
    with demo.ledger.transaction() as tx:  # an approved corrective action plan lifts the block
        record_safeguards(tx, AGENCY, spr_date=dt.date.today() - dt.timedelta(days=30), open_findings=3,
                          cap_approved=True, actor=OPERATOR)  # fmt: skip
    assert write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory).is_file()


def test_f11_results_go_only_to_a_registered_recipient_system(demo: Harness) -> None:
    """F11: 'data stored on one employee's computer' -> only registered system endpoints, never a workstation (R38, R39)."""
    batch_id = released(demo)
    with pytest.raises(ReleaseError, match="only to an endpoint the agreement registers"):
        write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory, endpoint="agent-laptop")
    out = write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory)
    manifest = demo.entries()[-1]
    assert manifest["details"]["endpoint"] == "demo-recipient-system"
    assert manifest["object"]["commitment"].startswith("sha256:") and out.is_file()
    text = (demo.directory / "demo" / "agreement.toml").read_text()
    with pytest.raises(Exception, match="endpoints"):
        import tomllib

        parse_agreement(tomllib.loads(text.replace('kind = "system"', 'kind = "workstation"')))


def test_f12_a_bulk_release_waits_for_notice_and_a_second_official(demo: Harness) -> None:
    """F12: 'huge one-day bulk transfer, no notice' -> above the threshold a notice period and a second official (R7)."""
    rows = demo.confirmable(3)
    text = (demo.directory / "demo" / "agreement.toml").read_text()
    assert (
        "bulk_notice_threshold" not in text
    )  # the default (1,000) applies to the demo; lower it for the test
    activate_variant(
        demo,
        text.replace("max_batch_records = 100000", "max_batch_records = 100000\nbulk_notice_threshold = 2"),
    )
    summary = demo.submit(rows, agreement_version=2)
    approve_and_release(demo.ledger, summary.batch_id, FIRST)
    notice = demo.entries()[-1]
    assert notice["action"] == "approve_bulk_release" and notice["details"]["records"] == 3
    with pytest.raises(ReleaseError, match="results leave only after release"):
        write_results(demo.ledger, summary.batch_id, OPERATOR, root=demo.directory)
    with pytest.raises(ReleaseError, match="held for bulk notice until"):
        approve_and_release(demo.ledger, summary.batch_id, SECOND)


def test_f13_a_defect_found_later_lists_every_affected_disclosure_and_tracks_disposal(demo: Harness) -> None:
    """F13: 'error discovered months later; disposal requested ad hoc' -> exact list, per-recipient requests, escalation (R52, R53)."""
    bad = released(demo, 2)
    good = released(demo, 1)
    affected = affected_disclosures(demo.ledger, Defect(batch_id=bad))
    assert len(affected) == 2 and {a.batch_id for a in affected} == {bad}
    assert good not in {a.batch_id for a in affected}
    with demo.ledger.transaction() as tx:
        recall_id, (request_id,) = open_recall(tx, affected, OPERATOR, due_days=30)
    with demo.runtime.database.read() as connection:
        row = connection.execute(select(disposal_request)).one()
        assert row.agency_code == affected[0].recipient_agency and len(row.cases.split(";")) == 2
        later = demo.ledger.clock.now() + dt.timedelta(days=31)
        assert overdue(connection, later) == [request_id]
    with demo.ledger.transaction() as tx:
        record_reply(tx, request_id, "acknowledged", Actor(ActorKind.OFFICIAL, "recipient-poc"))
        record_reply(tx, request_id, "certified", Actor(ActorKind.OFFICIAL, "recipient-poc"))
    with demo.runtime.database.read() as connection:
        assert overdue(connection, later) == []
    assert recall_id.startswith("RC")


def test_f14_every_disclosure_is_in_the_annual_report_with_no_way_to_leave_it_out(demo: Harness) -> None:
    """F14: 'no need for a press release' -> the (p)(3) report counts every disclosure, from the ledger (R45, R46)."""
    batch_id = released(demo, 3)
    figures = annual_report(demo.ledger, dt.date.today().year)
    agency = demo.cases(batch_id) and next(iter(figures))
    assert figures[agency]["disclosures"] == 3
    assert figures[agency]["requests"] == 1 and figures[agency]["records"] == 3
    assert figures[agency]["taxpayers"] == 3
    assert "suppress" not in annual_report.__code__.co_varnames


def test_f12_after_the_notice_period_only_a_second_official_releases(demo: Harness) -> None:
    """F12: once the notice period has run, the approving official alone cannot release; a second one can (R7)."""
    text = (demo.directory / "demo" / "agreement.toml").read_text()
    limits = "max_batch_records = 100000\nbulk_notice_threshold = 2\nbulk_notice_hours = 0"
    activate_variant(demo, text.replace("max_batch_records = 100000", limits))
    summary = demo.submit(demo.confirmable(3), agreement_version=2)
    approve_and_release(demo.ledger, summary.batch_id, FIRST)
    with pytest.raises(ReleaseError, match="a second official"):
        approve_and_release(demo.ledger, summary.batch_id, FIRST)
    approve_and_release(demo.ledger, summary.batch_id, SECOND)
    assert write_results(demo.ledger, summary.batch_id, OPERATOR, root=demo.directory).is_file()


def test_r07_bulk_notice_applies_above_the_threshold_only(demo: Harness) -> None:
    """R7 at its boundary: a batch of exactly the threshold is released at once; one more record starts the notice."""
    text = (demo.directory / "demo" / "agreement.toml").read_text()
    activate_variant(
        demo,
        text.replace("max_batch_records = 100000", "max_batch_records = 100000\nbulk_notice_threshold = 3"),
    )
    rows = demo.confirmable(7)
    at_limit = demo.submit(rows[:3], agreement_version=2)
    approve_and_release(demo.ledger, at_limit.batch_id, FIRST)
    assert write_results(demo.ledger, at_limit.batch_id, OPERATOR, root=demo.directory).is_file()
    above = demo.submit(rows[3:7], agreement_version=2)
    approve_and_release(demo.ledger, above.batch_id, FIRST)
    notice = demo.entries()[-1]
    assert notice["action"] == "approve_bulk_release" and "notice_until" in notice["details"]
    with pytest.raises(ReleaseError, match="results leave only after release"):
        write_results(demo.ledger, above.batch_id, OPERATOR, root=demo.directory)


def test_r43_each_disclosure_is_accounted_with_every_element(demo: Harness) -> None:
    """R43: each released confirmation names taxpayer key, field, authority, agency, officers, approver, batch."""
    batch_id = released(demo, 2)
    cases = demo.cases(batch_id)
    disclosures = [e for e in demo.entries() if e["event_type"] == "disclosure.made"]
    assert len(disclosures) == 2
    for event in disclosures:
        details = event["details"]
        case = next(c for c in cases.values() if f"C{c.case_id:010d}" == event["object"]["id"])
        assert details["taxpayer_key"] == case.taxpayer_id is not None
        assert details["legal_authority"] == "26 U.S.C. 6103(i)(2)"
        assert details["recipient_agency"] == AGENCY and details["batch"] == batch_id
        assert details["recipients"] == case.recipients and details["approving_official"] == OPERATOR.id
        assert details["field"] == "TAXPAYER_IDENTITY:address_confirmation"
        assert event["object"]["commitment"] == case.payload_commitment


def test_r37_an_out_of_date_safeguard_report_blocks_delivery(demo: Harness) -> None:
    """R37: a Safeguard Procedures Report older than a year blocks delivery; one a day younger does not."""
    batch_id = released(demo)
    today = dt.date.today()
    with demo.ledger.transaction() as tx:
        record_safeguards(tx, AGENCY, spr_date=today - dt.timedelta(days=367), open_findings=0,
                          cap_approved=False, actor=OPERATOR)  # fmt: skip
    with pytest.raises(ReleaseError, match="out of date"):
        write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory)
    with demo.ledger.transaction() as tx:
        record_safeguards(tx, AGENCY, spr_date=today - dt.timedelta(days=366), open_findings=0,
                          cap_approved=False, actor=OPERATOR)  # fmt: skip
    assert write_results(demo.ledger, batch_id, OPERATOR, root=demo.directory).is_file()
