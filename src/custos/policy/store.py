"""Agreement versions, their two-person activation, and legal holds, each a ledger event.

Every change of the rules requests are judged by is accountable (R47, R59):
loading a version, each approval, the activation, setting a legal hold and
releasing it are ledger events written in the same transaction as the state
change, so neither can exist without the other.  Two different people must
approve the exact digest of a version before it is activated, and two must
approve a hold's release (R6); one person cannot do either alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, and_, insert, or_, select, update

from custos.accounting.tables import agreement_approval, agreement_version, legal_hold
from custos.errors import PolicyError
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import LedgerTransaction
from custos.policy.agreement import AgreementSpec

POLICY_VERSION = "custos-policy/1"
APPROVERS_NEEDED = 2


class AgreementStateError(PolicyError):
    """The agreement change is refused in the agreement's current state."""


@dataclass(frozen=True, slots=True)
class StoredAgreement:
    """One stored version and its state."""

    spec: AgreementSpec
    status: str
    approvers: tuple[str, ...]
    activated_at: str | None


def _event(
    tx: LedgerTransaction, actor: Actor, action: str, spec: AgreementSpec, **details: str | int
) -> int:
    receipt = tx.append(
        AuditEvent(
            EventType.POLICY_CHANGED,
            actor,
            action,
            Outcome.SUCCESS,
            object=ObjectRef("agreement", f"{spec.id}@{spec.version}", spec.digest),
            authz=Authorization(POLICY_VERSION, "R59", "allow"),
            details={"agreement_id": spec.id, "version": spec.version, **details},
        )
    )
    return receipt.seq


def load_agreement_version(tx: LedgerTransaction, spec: AgreementSpec, actor: Actor) -> None:
    """Store a version as a draft; the same id and version with other content is refused."""
    existing = tx.connection.execute(
        select(agreement_version.c.digest).where(
            agreement_version.c.agreement_id == spec.id, agreement_version.c.version == spec.version
        )
    ).scalar_one_or_none()
    if existing is not None:
        same = "the same content" if existing == spec.digest else "different content"
        raise AgreementStateError(
            f"agreement {spec.id} version {spec.version} is already loaded with {same}; "
            "a change needs a new version number"
        )
    now = format_timestamp(tx.ledger.clock.now())
    tx.connection.execute(
        insert(agreement_version).values(
            agreement_id=spec.id, version=spec.version, digest=spec.digest, status="draft",
            spec_json=json.dumps(spec.model_dump(mode="json", by_alias=True)), loaded_at=now,
            loaded_by=actor.id,
        )
    )  # fmt: skip
    _event(tx, actor, "agreement.load", spec, missing_r61=len(spec.missing_for_activation()))


@lru_cache(maxsize=64)
def _parse_spec(spec_json: str) -> AgreementSpec:
    """A stored agreement, parsed once per process: specs are immutable and read on every request."""
    return AgreementSpec.model_validate(json.loads(spec_json))


def get_agreement(connection: Connection, agreement_id: str, version: int | None = None) -> StoredAgreement:
    """A stored version (the newest when ``version`` is None)."""
    query = select(agreement_version).where(agreement_version.c.agreement_id == agreement_id)
    if version is not None:
        query = query.where(agreement_version.c.version == version)
    row = connection.execute(query.order_by(agreement_version.c.version.desc()).limit(1)).one_or_none()
    if row is None:
        which = f"version {version}" if version is not None else "any version"
        raise AgreementStateError(f"agreement {agreement_id} has no {which} loaded")
    spec = _parse_spec(row.spec_json)
    approvers = tuple(
        connection.execute(
            select(agreement_approval.c.approver).where(
                agreement_approval.c.agreement_id == agreement_id,
                agreement_approval.c.version == row.version,
                agreement_approval.c.digest == row.digest,
            )
        ).scalars()
    )
    return StoredAgreement(spec, row.status, approvers, row.activated_at)


def _require_draft(stored: StoredAgreement, agreement_id: str, version: int) -> None:
    if stored.status != "draft":
        raise AgreementStateError(f"agreement {agreement_id} version {version} is {stored.status}, not draft")


def approve_agreement(tx: LedgerTransaction, agreement_id: str, version: int, approver: Actor) -> int:
    """Record one person's approval of a draft version; returns how many have approved."""
    stored = get_agreement(tx.connection, agreement_id, version)
    if stored.status != "draft":
        raise AgreementStateError(
            f"agreement {agreement_id} version {version} is {stored.status}, not a draft"
        )
    if approver.id in stored.approvers:
        raise AgreementStateError(f"{approver.id} has already approved {agreement_id} version {version}")
    seq = _event(tx, approver, "agreement.approve", stored.spec)
    tx.connection.execute(
        insert(agreement_approval).values(
            agreement_id=agreement_id, version=version, digest=stored.spec.digest, approver=approver.id,
            approved_at=format_timestamp(tx.ledger.clock.now()), ledger_seq=seq,
        )
    )  # fmt: skip
    return len(stored.approvers) + 1


def activate_agreement(tx: LedgerTransaction, agreement_id: str, version: int, actor: Actor) -> None:
    """Activate a draft that is complete (R61) and approved by two people (R59); supersede the old one."""
    stored = get_agreement(tx.connection, agreement_id, version)
    if stored.status != "draft":
        raise AgreementStateError(
            f"agreement {agreement_id} version {version} is {stored.status}, not a draft"
        )
    missing = stored.spec.missing_for_activation()
    if missing:
        raise AgreementStateError(
            f"agreement {agreement_id} version {version} cannot be activated: it does not specify "
            f"{', '.join(missing)} (R61)"
        )
    if len(set(stored.approvers)) < APPROVERS_NEEDED:
        raise AgreementStateError(
            f"agreement {agreement_id} version {version} has {len(stored.approvers)} approval(s); "
            f"activation needs {APPROVERS_NEEDED} different approvers (R59)"
        )
    term = stored.spec.term
    today = tx.ledger.clock.now().date()
    if term is not None and today > term.end:
        raise AgreementStateError(f"agreement {agreement_id} version {version} ended on {term.end}")
    now = format_timestamp(tx.ledger.clock.now())
    tx.connection.execute(
        update(agreement_version)
        .where(agreement_version.c.agreement_id == agreement_id, agreement_version.c.status == "active")
        .values(status="superseded")
    )
    tx.connection.execute(
        update(agreement_version)
        .where(agreement_version.c.agreement_id == agreement_id, agreement_version.c.version == version)
        .values(status="active", activated_at=now)
    )
    _event(tx, actor, "agreement.activate", stored.spec, approvers=";".join(sorted(stored.approvers)))


def active_agreement(
    connection: Connection, agreement_id: str, version: int, today: dt.date
) -> tuple[AgreementSpec | None, str]:
    """The version if it is active, in its term and not overdue for review (R4, R62); else why not."""
    row = connection.execute(
        select(agreement_version.c.status).where(
            agreement_version.c.agreement_id == agreement_id, agreement_version.c.version == version
        )
    ).scalar_one_or_none()
    if row is None:
        return None, f"agreement {agreement_id} version {version} is unknown"
    if row != "active":
        return None, f"agreement {agreement_id} version {version} is {row}"
    spec = get_agreement(connection, agreement_id, version).spec
    term = spec.term
    if term is None or not term.start <= today <= term.end:
        return None, f"agreement {agreement_id} version {version} is outside its term"
    if today > term.review_by:
        return None, f"agreement {agreement_id} version {version} is overdue for oversight review (R62)"
    return spec, ""


# --- legal holds (R5, R6) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourtOrder:
    """The order a hold implements: court, docket and date (R6)."""

    court: str
    docket: str
    order_date: dt.date


def set_hold(tx: LedgerTransaction, scope: str, order: CourtOrder, actor: Actor) -> int:
    """Set a legal hold, global or for one agreement; returns its id."""
    if not (order.court.strip() and order.docket.strip()):
        raise PolicyError("a legal hold must name the court and the docket of its order (R6)")
    now = format_timestamp(tx.ledger.clock.now())
    hold_id = tx.connection.execute(
        insert(legal_hold)
        .values(scope=scope, court=order.court, docket=order.docket, order_date=order.order_date.isoformat(),
                set_by=actor.id, set_at=now)
        .returning(legal_hold.c.hold_id)
    ).scalar_one()  # fmt: skip
    tx.append(
        AuditEvent(
            EventType.HOLD_CHANGED, actor, "hold.set", Outcome.SUCCESS,
            object=ObjectRef("legal_hold", str(hold_id)),
            authz=Authorization(POLICY_VERSION, "R5", "allow"),
            details={"scope": scope, "court": order.court, "docket": order.docket,
                     "order_date": order.order_date.isoformat()},
        )
    )  # fmt: skip
    return int(hold_id)


def release_hold(tx: LedgerTransaction, hold_id: int, approvers: tuple[Actor, Actor]) -> None:
    """Release a hold; two different people must approve (R6)."""
    first, second = approvers
    if first.id == second.id:
        raise PolicyError("releasing a legal hold needs two different approvers (R6)")
    row = tx.connection.execute(select(legal_hold).where(legal_hold.c.hold_id == hold_id)).one_or_none()
    if row is None or row.released_at is not None:
        raise PolicyError(f"legal hold {hold_id} does not exist or is already released")
    now = format_timestamp(tx.ledger.clock.now())
    tx.connection.execute(
        update(legal_hold)
        .where(legal_hold.c.hold_id == hold_id)
        .values(released_at=now, released_by=f"{first.id};{second.id}")
    )
    tx.append(
        AuditEvent(
            EventType.HOLD_CHANGED, first, "hold.release", Outcome.SUCCESS,
            object=ObjectRef("legal_hold", str(hold_id)),
            authz=Authorization(POLICY_VERSION, "R6", "allow"),
            details={"scope": row.scope, "second_approver": second.id},
        )
    )  # fmt: skip


def hold_in_force(connection: Connection, agreement_id: str) -> int | None:
    """The id of a hold that stops this agreement's work (global or its own), or None."""
    return connection.execute(
        select(legal_hold.c.hold_id)
        .where(
            and_(
                legal_hold.c.released_at.is_(None),
                or_(legal_hold.c.scope == "global", legal_hold.c.scope == agreement_id),
            )
        )
        .limit(1)
    ).scalar_one_or_none()
