"""The operator console driven in Debian's chromium through Playwright, against a real server.

Each flow is the disclosure office's: sign in, review held records with the
evidence, release a bulk batch with two officials after the notice period, set a
legal hold while a batch runs and release it with two people, gate a transmission
on the recipient's safeguards, read the reports (checked against counts recomputed
from the ledger) and recall a defective batch.  Set CUSTOS_SCREENSHOTS=1 to refresh
the screenshots in docs/img.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.served import free_port, running
from tests.unit.accounting.harness import Harness, activate_variant

from custos.accounting.pipeline import DecisionPipeline
from custos.accounting.tables import case_number
from custos.api.app import create_app
from custos.config import Settings

CHROMIUM = Path(os.environ.get("CUSTOS_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


class ShiftedClock:
    """The real clock plus an offset the test moves forward (bulk notice periods, deadlines)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Console:
    """A served installation with its demo accounts."""

    def __init__(self, demo: Harness, base: str, clock: ShiftedClock) -> None:
        self.demo, self.base, self.clock = demo, base, clock
        accounts = json.loads((demo.directory / "demo" / "console-accounts.json").read_text())
        self.passwords = {a["user"]: a["password"] for a in accounts}

    def sign_in(self, browser: Browser, user: str) -> Page:
        page = browser.new_context(base_url=self.base).new_page()
        page.goto("/login")
        page.get_by_label("Account").fill(user)
        page.get_by_label("Password").fill(self.passwords[user])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        return page

    @staticmethod
    def approve(page: Page, batch_id: str) -> None:
        """An approving official's documented approval of a batch's release (R35)."""
        page.goto(f"/batches/{batch_id}")
        page.get_by_label("Delegation reference").fill("Delegation Order 11-2")
        page.get_by_role("button", name="Approve the release of these counts").click()

    def entries(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.demo.entries() if event_type is None or e["event_type"] == event_type]


@pytest.fixture
def console(demo: Harness) -> Iterator[Console]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = ShiftedClock()
    settings = Settings.load(demo.directory).model_copy(update={"api_public_url": base})
    with running(create_app(settings, clock=clock), port):
        yield Console(demo, base, clock)


def shot(page: Page, name: str) -> None:
    """Refresh a documentation screenshot when asked to."""
    if os.environ.get("CUSTOS_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_roles_and_sign_out_are_accounted(console: Console, browser: Browser) -> None:
    """A wrong password is refused without saying why; roles limit pages; sign-out ends the session."""
    page = browser.new_context(base_url=console.base).new_page()
    page.goto("/reports")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Account").fill("demo-reviewer")
    page.get_by_label("Password").fill("not the password at all")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("the account or password is wrong")
    shot(page, "login")
    reviewer = console.sign_in(browser, "demo-reviewer")
    shot(reviewer, "dashboard")
    reviewer.goto("/reports")
    expect(reviewer.get_by_role("alert")).to_contain_text("needs the role of auditor")
    reviewer.get_by_role("button", name="Sign out").click()
    expect(reviewer).to_have_url(re.compile(r"/login"))
    reviewer.goto("/review")
    expect(reviewer).to_have_url(re.compile(r"/login"))
    logins = console.entries("auth.login")
    assert [e["outcome"] for e in logins if e["actor"]["id"] == "demo-reviewer"] == ["failure", "success"]
    assert len(console.entries("auth.logout")) == 1
    assert "not the password" not in json.dumps(console.entries())


def test_review_then_bulk_release_by_two_officials_then_delivery(console: Console, browser: Browser) -> None:
    """Held records are decided with the evidence (an inspection each); the bulk release waits for its
    notice period and a second official; the results go to the registered endpoint."""
    demo = console.demo
    text = (demo.directory / "demo" / "agreement.toml").read_text()
    activate_variant(demo, text.replace("max_batch_records = 100000",
                                        "max_batch_records = 100000\nbulk_notice_threshold = 3"))  # fmt: skip
    nickname = demo.rows_of("nickname", 1)
    twins = demo.rows_of("twins_similar_names", 1)
    summary = demo.submit(demo.confirmable(3) + nickname + twins, agreement_version=2)
    assert summary.by_code["PENDING_REVIEW"] == 2

    reviewer = console.sign_in(browser, "demo-reviewer")
    reviewer.get_by_role("link", name="Review queue", exact=True).click()
    rows = reviewer.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    shot(reviewer, "review-queue")
    cases = {record: case_number(row.case_id) for record, row in demo.cases(summary.batch_id).items()}
    reviewer.get_by_role("link", name=cases[nickname[0]["record_id"]]).click()
    expect(reviewer.locator("#household tbody tr").first).to_be_visible()
    shot(reviewer, "review-case")
    reviewer.get_by_label(re.compile("Confirm: the named person is taxpayer")).first.check()
    reviewer.get_by_label(re.compile("Written reason")).fill("Nickname of the given name; same DOB and unit.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.get_by_role("status")).to_contain_text("CONFIRMED")
    reviewer.get_by_role("link", name=cases[twins[0]["record_id"]]).click()
    reviewer.get_by_label("Not confirmed").check()
    reviewer.get_by_label(re.compile("Written reason")).fill("Twin at the same address; cannot tell which.")
    reviewer.get_by_role("button", name="Record the decision").click()
    expect(reviewer.locator("#queue tbody tr")).to_have_text(["Nothing awaits review."])
    inspections = [e for e in console.entries("access.read") if e["actor"]["id"] == "demo-reviewer"]
    assert {e["action"] for e in inspections} == {"open_payload", "inspect_master_records"}
    reviews = [e for e in console.entries("decision.made") if e["action"] == "review_decision"]
    assert [e["details"]["response"] for e in reviews] == ["CONFIRMED", "NOT_CONFIRMED"]

    first = console.sign_in(browser, "demo-approver")
    first.goto(f"/batches/{summary.batch_id}")
    expect(first.locator("#counts")).to_contain_text("CONFIRMED")
    console.approve(first, summary.batch_id)
    expect(first.locator("#countdown")).to_have_text(re.compile(r"\d+ h \d\d min"))
    shot(first, "batch-bulk-notice")
    assert not console.entries("disclosure.made")
    console.clock.offset = dt.timedelta(hours=25)  # the notice period ends; so do the sessions (8 h at most)
    first.reload()
    expect(first).to_have_url(re.compile(r"/login"))
    first = console.sign_in(browser, "demo-approver")
    first.goto(f"/batches/{summary.batch_id}")
    expect(first.locator("#notice")).to_contain_text("may release it now")
    console.approve(first, summary.batch_id)
    expect(first.get_by_role("alert")).to_contain_text("a second official")
    second = console.sign_in(browser, "demo-approver-2")
    console.approve(second, summary.batch_id)
    expect(second.locator("#batch-status")).to_have_text("released")
    assert len(console.entries("disclosure.made")) == 4  # three exact matches and the reviewed nickname
    second.get_by_role("button", name="Send the results file").click()
    expect(second.get_by_role("status")).to_contain_text("Results delivered")
    second.get_by_role("link", name="Recipients", exact=True).click()
    expect(second.locator("#transmissions tbody tr").first).to_contain_text("due by")
    shot(second, "recipients")


def test_a_hold_set_while_a_batch_runs_stops_it_and_two_people_release_it(
    console: Console, browser: Browser
) -> None:
    """Counsel sets a hold after the batch's records are validated and before they are matched: every
    later record is BLOCKED; releasing the hold needs a second, different authorized person."""
    demo = console.demo
    rows = demo.confirmable(4)
    path = demo.write(rows)
    envelope = demo.sign(path)
    pipeline = DecisionPipeline(demo.runtime)
    validated, resume = threading.Event(), threading.Event()
    match = pipeline._match

    def paused_match(state: Any) -> None:
        validated.set()
        assert resume.wait(60)
        match(state)

    pipeline._match = paused_match  # type: ignore[method-assign]
    batch_id = pipeline.accept(path, envelope).batch_id
    worker = threading.Thread(target=pipeline.process, args=(batch_id,))
    worker.start()
    assert validated.wait(60)
    counsel = console.sign_in(browser, "demo-counsel")
    counsel.get_by_role("link", name="Legal holds", exact=True).click()
    counsel.get_by_label("Court").fill("D.D.C.")
    counsel.get_by_label("Docket").fill("1:25-cv-01234")
    counsel.get_by_label("Order date").fill("2026-11-21")
    counsel.get_by_role("button", name="Set the hold").click()
    expect(counsel.get_by_role("status")).to_contain_text("Legal hold 1 set")
    resume.set()
    worker.join(60)
    assert set(demo.codes(batch_id).values()) == {"BLOCKED_LEGAL_HOLD"}
    counsel.goto(f"/batches/{batch_id}")
    expect(counsel.get_by_role("alert")).to_contain_text("Legal hold 1 is in force")

    counsel.goto("/holds")
    counsel.get_by_label("Why it may be released").fill("Order vacated on appeal, mandate issued.")
    counsel.get_by_role("button", name="Propose release").click()
    counsel.get_by_role("button", name="Confirm the release (second approver)").click()
    expect(counsel.get_by_role("alert")).to_contain_text("two different approvers")
    approver = console.sign_in(browser, "demo-approver")
    approver.goto("/holds")
    approver.get_by_role("button", name="Confirm the release (second approver)").click()
    expect(approver.locator("#hold-1")).to_contain_text("released")
    release = [e for e in console.entries("hold.changed") if e["action"] == "hold.release"]
    assert release[0]["actor"]["id"] == "demo-counsel"
    assert release[0]["details"]["second_approver"] == "demo-approver"
    shot(approver, "holds")


def test_safeguards_gate_the_transmission(console: Console, browser: Browser) -> None:
    """An administrator records open findings without a plan; the release still happens, delivery does not."""
    demo = console.demo
    summary = demo.submit(demo.confirmable(2))
    admin = console.sign_in(browser, "demo-admin")
    admin.goto("/recipients")
    admin.get_by_label("Latest Safeguard Procedures Report").fill("2026-06-01")
    admin.get_by_label("Open findings").fill("3")
    admin.get_by_role("button", name="Record the status").click()
    expect(admin.locator("#safeguards")).to_contain_text("open safeguard finding(s) without an approved plan")
    approver = console.sign_in(browser, "demo-approver")
    console.approve(approver, summary.batch_id)
    approver.get_by_role("button", name="Send the results file").click()
    expect(approver.get_by_role("alert")).to_contain_text("without an approved plan")
    refused = console.entries("results.transmitted")[-1]
    assert refused["outcome"] == "denied" and refused["reason_code"] == "BLOCKED_SAFEGUARDS"


def test_reports_agree_with_counts_recomputed_from_the_ledger(console: Console, browser: Browser) -> None:
    """The auditor's public report shows what an independent count of the ledger's entries gives."""
    demo = console.demo
    first = demo.submit(demo.confirmable(3) + demo.rows_of("zip_only", 1))
    second = demo.submit(demo.rows_of("moved_old_address", 2))
    from tests.unit.accounting.harness import OPERATOR

    from custos.accounting.release import Approval, approve_and_release

    assert first.status == "rejected"  # one defect in four is above the 5 % share (R9)
    demo.review_all(second.batch_id)
    approve_and_release(demo.ledger, second.batch_id, Approval(OPERATOR, "Manager", "DO 11-2"))
    third = demo.submit(demo.confirmable(3))
    approve_and_release(demo.ledger, third.batch_id, Approval(OPERATOR, "Manager", "DO 11-2"))
    entries = console.entries()
    year = dt.datetime.now(dt.UTC).year
    requests = [e for e in entries if e["event_type"] == "request.received"]
    disclosures = [e for e in entries if e["event_type"] == "disclosure.made"]
    agency = requests[0]["details"]["requester_code"]
    auditor = console.sign_in(browser, "demo-auditor")
    auditor.get_by_role("link", name="Reports", exact=True).click()
    row = auditor.locator(f'#public tr[data-agency="{agency}"]')
    expect(row.locator(".requests")).to_have_text(str(len(requests)))
    expect(row.locator(".records")).to_have_text(str(sum(e["details"]["record_count"] for e in requests)))
    expect(row.locator(".disclosures")).to_have_text(str(len(disclosures)))
    taxpayers = {e["details"]["taxpayer_key"] for e in disclosures}
    expect(row.locator(".taxpayers")).to_have_text(str(len(taxpayers)))
    rejected = [e for e in entries if e["event_type"] == "decision.made"
                and e["details"]["response"].startswith("REJECTED_")]  # fmt: skip
    expect(auditor.locator(f'#jct tr[data-agency="{agency}"] .rejected')).to_have_text(str(len(rejected)))
    expect(auditor.locator("figure svg").first).to_be_visible()
    shot(auditor, "reports")
    with auditor.expect_download() as pdf:
        auditor.get_by_role("link", name="both, with charts (PDF)").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")
    csv = auditor.request.get(f"/reports/public.csv?year={year}")
    assert csv.ok and f"{agency}," in csv.text()


def test_recall_lists_the_batch_disclosures_and_tracks_disposal(console: Console, browser: Browser) -> None:
    """A defect predicate on one batch lists exactly its disclosures; replies are tracked; acts counted."""
    demo = console.demo
    from tests.unit.accounting.harness import OPERATOR

    from custos.accounting.release import Approval, approve_and_release

    good = demo.submit(demo.confirmable(2))
    bad = demo.submit(demo.rows_of("format_variant", 3))
    for summary in (good, bad):
        demo.review_all(summary.batch_id)
        approve_and_release(demo.ledger, summary.batch_id, Approval(OPERATOR, "Manager", "DO 11-2"))
    expected = sorted(e["object"]["id"] for e in console.entries("disclosure.made")
                      if e["details"]["batch"] == bad.batch_id)  # fmt: skip
    assert expected
    counsel = console.sign_in(browser, "demo-counsel")
    counsel.get_by_role("link", name="Recall", exact=True).click()
    counsel.get_by_label("batch id").fill(bad.batch_id)
    counsel.get_by_role("button", name="List affected disclosures").click()
    listed = counsel.locator("#affected tbody tr td:first-child").all_inner_texts()
    assert sorted(listed) == expected
    counsel.get_by_role("button", name=re.compile("Open the recall")).click()
    expect(counsel.locator("#disposals tbody tr")).to_have_count(1)
    counsel.get_by_role("button", name="Acknowledged").click()
    counsel.get_by_role("button", name="Destruction certified").click()
    expect(counsel.locator("#disposals tbody tr").first).not_to_contain_text("—")
    expect(counsel.locator("#incidents tbody tr").first).to_contain_text(str(len(expected)))
    shot(counsel, "recall")
    actions = [e["action"] for e in console.entries("admin.action")]
    assert actions[-3:] == ["disposal.requested", "disposal.acknowledged", "disposal.certified"]
