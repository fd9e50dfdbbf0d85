"""Recall and disposal when a defect is found after disclosure (R52, R53; F13).

Treasury asked for disposal by letter months after the transfer.  Here a
defect is a predicate over what the ledger says about each disclosure (its
batch, when it was released, the engine and normalizer versions and the
master snapshot that decided it); :func:`affected_disclosures` lists every
disclosure it matches, :func:`open_recall` writes one disposal request per
recipient agency, and acknowledgements, certifications and overdue requests
are tracked, each step a ledger event.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from custos.accounting.tables import disposal_request, incident
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger, LedgerTransaction
from custos.policy.store import POLICY_VERSION


@dataclass(frozen=True, slots=True)
class Defect:
    """Which disclosures a defect touches; every given field must match."""

    batch_id: str | None = None
    released_from: str | None = None  # ISO timestamps, inclusive
    released_to: str | None = None
    engine_version: str | None = None
    normalizer_version: str | None = None
    snapshot_id: str | None = None

    def matches(self, disclosure: dict[str, Any], decision: dict[str, Any]) -> bool:
        """Whether one disclosure (and the decision behind it) falls under the defect."""
        details: dict[str, Any] = disclosure["details"]
        decided: dict[str, Any] = decision["details"]
        when = str(disclosure["recorded_at"])
        checks = (
            self.batch_id is None or details.get("batch") == self.batch_id,
            self.released_from is None or when >= self.released_from,
            self.released_to is None or when <= self.released_to,
            self.engine_version is None or decided.get("engine_version") == self.engine_version,
            self.normalizer_version is None or decided.get("normalizer_version") == self.normalizer_version,
            self.snapshot_id is None or decided.get("snapshot_id") == self.snapshot_id,
        )
        return all(checks)


@dataclass(frozen=True, slots=True)
class AffectedDisclosure:
    """One disclosure a defect touches."""

    case: str
    batch_id: str
    recipient_agency: str
    disclosed_seq: int


def affected_disclosures(ledger: Ledger, defect: Defect) -> list[AffectedDisclosure]:
    """Every disclosure in the ledger that the defect matches, in ledger order."""
    if defect == Defect():
        raise PolicyError("a recall needs a defect predicate; an empty one would recall everything")
    found = []
    for seq in range(ledger.head().size):
        entry = json.loads(ledger.leaf(seq))
        if entry["event_type"] != "disclosure.made":
            continue
        decision = json.loads(ledger.leaf(entry["refs"][1])) if len(entry["refs"]) > 1 else {"details": {}}
        if defect.matches(entry, decision):
            details = entry["details"]
            found.append(AffectedDisclosure(entry["object"]["id"], str(details["batch"]),
                                            str(details["recipient_agency"]), seq))  # fmt: skip
    return found


def open_recall(
    tx: LedgerTransaction, affected: list[AffectedDisclosure], actor: Actor, *, due_days: int = 30
) -> tuple[str, list[int]]:
    """One disposal request per recipient agency; returns the recall id and the request ids."""
    if not affected:
        raise PolicyError("no disclosure matches the defect; nothing to recall")
    recall_id = f"RC{tx.ledger.clock.now():%Y%m%d}-{secrets.token_hex(3)}"
    now = tx.ledger.clock.now()
    by_agency: defaultdict[str, list[AffectedDisclosure]] = defaultdict(list)
    for item in affected:
        by_agency[item.recipient_agency].append(item)
    ids = []
    for agency, items in sorted(by_agency.items()):
        request_id = tx.connection.execute(
            insert(disposal_request)
            .values(recall_id=recall_id, agency_code=agency, cases=";".join(i.case for i in items),
                    created_at=format_timestamp(now), due_at=format_timestamp(now + dt.timedelta(due_days)))
            .returning(disposal_request.c.request_id)
        ).scalar_one()  # fmt: skip
        ids.append(int(request_id))
        for item in items:  # R56: each affected disclosure is one act, counted once per recall
            tx.connection.execute(
                insert(incident).values(recall_id=recall_id, case_number=item.case, agency_code=agency,
                                        disclosed_seq=item.disclosed_seq, opened_at=format_timestamp(now))
            )  # fmt: skip
        tx.append(
            AuditEvent(
                EventType.ADMIN_ACTION, actor, "disposal.requested", Outcome.SUCCESS,
                object=ObjectRef("disposal_request", str(request_id)),
                refs=tuple(i.disclosed_seq for i in items),
                authz=Authorization(POLICY_VERSION, "R52", "allow"),
                details={"recall": recall_id, "recipient_agency": agency, "cases": len(items),
                         "due_days": due_days},
            )
        )  # fmt: skip
    return recall_id, ids


def record_reply(tx: LedgerTransaction, request_id: int, step: str, actor: Actor) -> None:
    """Record the recipient's acknowledgement or certification of destruction (R53)."""
    column = {"acknowledged": "acknowledged_at", "certified": "certified_at"}.get(step)
    if column is None:
        raise PolicyError("step is 'acknowledged' or 'certified'")
    row = tx.connection.execute(
        select(disposal_request).where(disposal_request.c.request_id == request_id)
    ).one_or_none()
    if row is None:
        raise PolicyError(f"no disposal request {request_id}")
    if step == "certified" and row.acknowledged_at is None:
        raise PolicyError(f"disposal request {request_id} has not been acknowledged yet")
    tx.connection.execute(
        update(disposal_request)
        .where(disposal_request.c.request_id == request_id)
        .values({column: format_timestamp(tx.ledger.clock.now())})
    )
    tx.append(
        AuditEvent(
            EventType.ADMIN_ACTION, actor, f"disposal.{step}", Outcome.SUCCESS,
            object=ObjectRef("disposal_request", str(request_id)),
            authz=Authorization(POLICY_VERSION, "R53", "allow"),
            details={"recall": row.recall_id, "recipient_agency": row.agency_code},
        )
    )  # fmt: skip


def overdue(connection: Connection, now: dt.datetime) -> list[int]:
    """Disposal requests past their due date without a certification: to escalate (R53)."""
    return [
        int(request_id)
        for request_id in connection.execute(
            select(disposal_request.c.request_id).where(
                disposal_request.c.certified_at.is_(None),
                disposal_request.c.due_at < format_timestamp(now),
            )
        ).scalars()
    ]


def escalate_overdue(tx: LedgerTransaction, actor: Actor) -> list[int]:
    """Escalate each overdue disposal request in the ledger (R53); returns the ids escalated."""
    late = overdue(tx.connection, tx.ledger.clock.now())
    for request_id in late:
        tx.append(
            AuditEvent(
                EventType.ADMIN_ACTION, actor, "disposal.escalated", Outcome.FAILURE,
                object=ObjectRef("disposal_request", str(request_id)), reason_code="DISPOSAL_OVERDUE",
                authz=Authorization(POLICY_VERSION, "R53", "allow"),
            )
        )  # fmt: skip
    return late


def incident_counts(connection: Connection) -> dict[str, int]:
    """Acts per recipient agency (R56): the per-act count for 7431 exposure and (p)(5) reporting."""
    rows = connection.execute(select(incident.c.agency_code, incident.c.case_number)).all()
    counts: defaultdict[str, int] = defaultdict(int)
    for agency, _ in {(row.agency_code, row.case_number) for row in rows}:
        counts[agency] += 1
    return dict(sorted(counts.items()))
