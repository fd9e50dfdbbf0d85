"""Recipient safeguard status: the condition for receiving under 6103(p)(4) (R37).

TIGTA found that disclosure went ahead while the recipient had open safeguard
findings (F10).  A transmission is allowed only while the recipient agency has
a Safeguard Procedures Report no older than a year and no open findings, or
open findings under an approved corrective action plan.  Every status change
is a ledger event; so is every refused transmission.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, insert, select

from custos.accounting.tables import recipient_safeguards
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import LedgerTransaction
from custos.policy.store import POLICY_VERSION

SPR_VALID_DAYS = 366


def record_safeguards(
    tx: LedgerTransaction, agency_code: str, *, spr_date: dt.date, open_findings: int, cap_approved: bool,
    actor: Actor,
) -> None:  # fmt: skip
    """Record the recipient's current safeguard status (replacing the previous one)."""
    if open_findings < 0:
        raise PolicyError("open_findings cannot be negative")
    now = tx.ledger.clock.now()
    tx.connection.execute(
        delete(recipient_safeguards).where(recipient_safeguards.c.agency_code == agency_code)
    )
    tx.connection.execute(
        insert(recipient_safeguards).values(
            agency_code=agency_code, spr_date=spr_date.isoformat(), open_findings=open_findings,
            cap_approved=cap_approved, updated_by=actor.id, updated_at=format_timestamp(now),
        )
    )  # fmt: skip
    tx.append(
        AuditEvent(
            EventType.POLICY_CHANGED, actor, "safeguards.record", Outcome.SUCCESS,
            object=ObjectRef("recipient", agency_code),
            authz=Authorization(POLICY_VERSION, "R37", "allow"),
            details={"spr_date": spr_date.isoformat(), "open_findings": open_findings,
                     "cap_approved": cap_approved},
        )
    )  # fmt: skip


def safeguards_problem(connection: Connection, agency_code: str, today: dt.date) -> str | None:
    """Why the agency may not receive now (R37), or None when it may."""
    row = connection.execute(
        select(recipient_safeguards).where(recipient_safeguards.c.agency_code == agency_code)
    ).one_or_none()
    if row is None:
        return f"no safeguard status is recorded for {agency_code}"
    if dt.date.fromisoformat(row.spr_date) < today - dt.timedelta(days=SPR_VALID_DAYS):
        return f"{agency_code}'s Safeguard Procedures Report of {row.spr_date} is out of date"
    if row.open_findings and not row.cap_approved:
        return f"{agency_code} has {row.open_findings} open safeguard finding(s) without an approved plan"
    return None
