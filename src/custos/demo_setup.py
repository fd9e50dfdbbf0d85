"""A demo installation in which every command works on a fresh machine (``custos init --demo``).

It creates, next to a normal installation: two demo signers (the agency head
with an Ed25519 key, a component head with an ECDSA P-256 key and counsel's
recorded approval), a complete demo agreement approved by two people and
activated, a synthetic master file built into the master index, and a demo
request batch whose records each carry their own investigation, reason and
officers, plus the defective records the real program let through (F1, F2).
Everything is synthetic; the keys are for the demo only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from custos.accounting.safeguards import record_safeguards
from custos.config import Settings
from custos.console.accounts import create_user
from custos.console.roles import Role
from custos.intake.envelope import PrivateKey, generate_private_key, public_key_pem, write_private_key
from custos.ledger.events import Actor, ActorKind
from custos.matching.index import build_index
from custos.policy.agreement import REQUEST_ELEMENTS, load_agreement
from custos.policy.store import activate_agreement, approve_agreement, load_agreement_version
from custos.runtime import DatabaseTarget, Runtime, initialize
from custos.synth import generate

DEMO_AGREEMENT = "DEMO-6103I2-2026"
DEMO_ENDPOINT = "demo-recipient-system"
HEAD, COMPONENT = "dhs-secretary", "ice-director"
APPROVERS = ("demo-counsel", "demo-privacy-officer")
OFFICERS_PER_INVESTIGATION_BLOCK = 20  # each demo officer works 20 investigations (the cap is 50)


@dataclass(frozen=True, slots=True)
class DemoInstallation:
    """Where the demo's parts are."""

    settings: Settings
    agreement: Path
    head_key: Path
    component_key: Path
    batch: Path
    master: Path


def agreement_text(head_pem: str, component_pem: str, today: dt.date) -> str:
    """The demo agreement: complete under R61, confirm-only, anchors of legal-requirements.md as limits."""
    start, end = today - dt.timedelta(days=30), today + dt.timedelta(days=500)
    review = today + dt.timedelta(days=300)
    declared = ", ".join(f'"{name}"' for name in REQUEST_ELEMENTS)
    return f'''schema = "custos-agreement/1"
id = "{DEMO_AGREEMENT}"
version = 1
title = "Demo agreement: name and address verification under 26 U.S.C. 6103(i)(2)"
expected_records_per_year = 700000
verification_procedure = "Confirm-only: the custodian confirms a supplied address of record, never locates."
security = "Recipient meets IRS Publication 1075; transmissions only to registered endpoints."
redisclosure_limits = "Only in proceedings under 26 U.S.C. 6103(i)(4)(B)."
accuracy_assessment = "Matching rules validated on a labelled corpus before each version goes live (R58)."

[parties]
custodian = "Demo Custodian (tax agency)"
requester = "Demo Requesting Agency"
requester_code = "DEMO-DHS"

[purpose]
statement = "Verify addresses of persons subject to specific criminal investigations (8 U.S.C. 1253(a)(1))."
legal_authority = ["26 U.S.C. 6103(i)(2)"]

[term]
start = {start.isoformat()}
end = {end.isoformat()}
review_by = {review.isoformat()}

[[signers]]
id = "{HEAD}"
name = "Demo Secretary"
title = "Secretary of Homeland Security (demo)"
agency = "DEMO-DHS"
agency_head = true
public_key = """{head_pem}"""

[[signers]]
id = "{COMPONENT}"
name = "Demo Director"
title = "Director, component agency (demo)"
agency = "DEMO-DHS"
agency_head = false
public_key = """{component_pem}"""
legal_review = {{ counsel = "Demo Chief Counsel", approved = {start.isoformat()}, reference = "DEMO-LR-001" }}

[statutes]
permitted = ["8 U.S.C. 1253(a)(1)"]
ripeness_days = {{ "8 U.S.C. 1253(a)(1)" = 90 }}

[data_elements]
declared = [{declared}]
minimum_identifiers = ["given_name", "surname", "address_line1", "city", "state", "zip"]

[tax_years]
earliest = {today.year - 6}
latest = {today.year - 1}

[limits]
max_batch_records = 100000
batch_defect_share = 0.05

[[endpoints]]
id = "demo-recipient-system"
system = "Demo case management system"
kind = "system"
location = "demo/outbox"
point_of_contact = "Demo records officer"
storage_attestation = "FedRAMP High system of record; no local copies (demo attestation)"

[[endpoints]]
id = "demo-recipient-api"
system = "Demo case management system (API client)"
kind = "system"
delivery = "api"
location = "Demo case management system, fetching over the signed API"
point_of_contact = "Demo records officer"
storage_attestation = "FedRAMP High system of record; no local copies (demo attestation)"

[retention]
destruction = "Recipient returns or destroys results at completion of use and certifies it (6103(p)(4)(F))."
'''


def _policy_fields(number: int, today: dt.date) -> dict[str, str]:
    """Per-record statutory fields: every record has its own investigation, reason and officers."""
    investigation = f"HSI-CI-{today.year}-{number:06d}"
    block = number // OFFICERS_PER_INVESTIGATION_BLOCK
    return {
        "investigation_id": investigation,
        "reason": f"Address needed to serve process in investigation {investigation} (failure to depart)",
        "recipients": f"OFFICER-{block:04d};OFFICER-{block + 5000:04d}",
        "statute": "8 U.S.C. 1253(a)(1)",
        "removal_order_date": (today - dt.timedelta(days=200)).isoformat(),
        "removal_order_case_number": f"EOIR-{today.year - 1}-{number:06d}",
        "taxable_periods": f"{today.year - 2},{today.year - 1}",
        "a_number": f"A{200000000 + number}",
    }


# The failures the court found (F1, F2), as records a real batch carried.
DEFECTIVE = [
    {"given_name": "Ana", "surname": "Lopez", "tin": "900000001", "address_line1": "", "city": "",
     "state": "", "zip": ""},  # F1: TIN and name, no address
    {"given_name": "Jose", "surname": "Reyes", "address_line1": "12345", "city": "", "state": "", "zip": ""},
    {"given_name": "Maria", "surname": "Cruz", "address_line1": "Unknown Address", "city": "Austin",
     "state": "TX", "zip": "78701"},
    {"given_name": "Luis", "surname": "Diaz", "address_line1": "Don't Care 12345", "city": "", "state": "",
     "zip": ""},
]  # fmt: skip


def write_demo_batch(requests_csv: Path, target: Path, today: dt.date) -> int:
    """The synthetic requests with per-record statutory fields, plus the defective records."""
    with requests_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for extra in DEFECTIVE:
        rows.append({"record_id": f"DEFECT-{len(rows) + 1:07d}", **extra})
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(REQUEST_ELEMENTS), extrasaction="ignore")
        writer.writeheader()
        for number, row in enumerate(rows, start=1):
            full = {name: row.get(name) or "" for name in REQUEST_ELEMENTS}
            writer.writerow(full | _policy_fields(number, today))
    return len(rows)


def write_demo_keys(keys: Path) -> tuple[PrivateKey, PrivateKey]:
    """The two demo officials' fresh private keys (Ed25519 and P-256), written into ``keys``."""
    keys.mkdir(parents=True)
    head, component = generate_private_key("ed25519"), generate_private_key("p256")
    write_private_key(keys / f"{HEAD}.pem", head)
    write_private_key(keys / f"{COMPONENT}.pem", component)
    return head, component


def create_demo_installation(
    data_dir: Path,
    *,
    taxpayers: int = 20_000,
    requests: int = 400,
    seed: int = 7,
    database: DatabaseTarget | None = None,
) -> DemoInstallation:
    """Initialize ``data_dir`` and add the demo's keys, agreement, master index and batch."""
    settings = initialize(data_dir, database=database)
    demo = settings.data_dir / "demo"
    keys = demo / "keys"
    head, component = write_demo_keys(keys)
    today = dt.datetime.now(dt.UTC).date()
    agreement_path = demo / "agreement.toml"
    agreement_path.write_text(
        agreement_text(public_key_pem(head), public_key_pem(component), today), encoding="utf-8"
    )
    runtime = Runtime.open(settings)
    try:
        spec = load_agreement(agreement_path)
        with runtime.ledger.transaction() as tx:
            load_agreement_version(tx, spec, Actor(ActorKind.OPERATOR, "demo-administrator"))
            for approver in APPROVERS:
                approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, approver))
            activate_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "demo-administrator"))
            record_safeguards(tx, spec.parties.requester_code, spr_date=today - dt.timedelta(days=60),
                              open_findings=0, cap_approved=False,
                              actor=Actor(ActorKind.OPERATOR, "demo-safeguards-officer"))  # fmt: skip
        create_demo_accounts(runtime, demo / "console-accounts.json")
    finally:
        runtime.close()
    generate(demo / "synth", master=taxpayers, requests=requests, seed=seed)
    build_index(
        demo / "synth" / "master.csv", settings.path(settings.master_index), memory_limit="1GB", threads=2
    )
    batch = demo / "batch.csv"
    write_demo_batch(demo / "synth" / "requests.csv", batch, today)
    return DemoInstallation(settings, agreement_path, keys / f"{HEAD}.pem", keys / f"{COMPONENT}.pem", batch,
                            demo / "synth" / "master.csv")  # fmt: skip


# The console's demo accounts: one per role, and a second approving official for two-person steps.
DEMO_ACCOUNTS = (
    ("demo-reviewer", "Riley Reviewer", Role.REVIEWER),
    ("demo-approver", "Avery Approver (Disclosure Manager)", Role.APPROVING_OFFICIAL),
    ("demo-approver-2", "Blake Second-Official", Role.APPROVING_OFFICIAL),
    ("demo-counsel", "Casey Counsel", Role.COUNSEL),
    ("demo-auditor", "Dana Auditor", Role.AUDITOR),
    ("demo-admin", "Emery Administrator", Role.ADMINISTRATOR),
)


def create_demo_accounts(runtime: Runtime, path: Path) -> list[dict[str, str]]:
    """Create the demo accounts with fresh random passwords, written to ``path`` (mode 0600)."""
    accounts = []
    for user_id, name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        create_user(runtime.ledger, user_id, name, roles=frozenset({role}), password=password,
                    by=Actor(ActorKind.OPERATOR, "demo-administrator"))  # fmt: skip
        accounts.append({"user": user_id, "name": name, "role": role.value, "password": password})
    with path.open("x", encoding="utf-8") as handle:
        os.chmod(path, 0o600)
        json.dump(accounts, handle, indent=2)
    return accounts
