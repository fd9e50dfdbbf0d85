"""The two-person release of a legal hold in the console (R6).

The first authorized person proposes the release with a reason; a different
authorized person confirms it.  Both steps are in the ledger, and only people
holding a hold-releasing role count as approvers.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from custos.accounting.tables import legal_hold
from custos.console.accounts import User
from custos.console.roles import MAY_RELEASE_HOLD
from custos.console.tables import hold_release_proposal
from custos.errors import PolicyError
from custos.ledger.events import Actor, ActorKind, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import Ledger
from custos.policy.store import POLICY_VERSION, release_hold

MIN_REASON = 10


def propose_release(ledger: Ledger, hold_id: int, user: User, reason: str) -> None:
    """The first approver's step."""
    if not user.may(*MAY_RELEASE_HOLD):
        raise PolicyError("only counsel or an approving official may approve a hold's release (R6)")
    if len(reason.strip()) < MIN_REASON:
        raise PolicyError(f"say why the hold may be released (at least {MIN_REASON} characters)")
    with ledger.transaction() as tx:
        hold = tx.connection.execute(select(legal_hold).where(legal_hold.c.hold_id == hold_id)).one_or_none()
        if hold is None or hold.released_at is not None:
            raise PolicyError(f"legal hold {hold_id} does not exist or is already released")
        pending = tx.connection.execute(
            select(hold_release_proposal).where(hold_release_proposal.c.hold_id == hold_id)
        ).one_or_none()
        if pending is not None:
            raise PolicyError(f"the release of hold {hold_id} was already proposed by {pending.proposed_by}")
        seq = tx.append(
            AuditEvent(
                EventType.HOLD_CHANGED, user.actor, "hold.release_proposed", Outcome.SUCCESS,
                object=ObjectRef("legal_hold", str(hold_id)),
                authz=Authorization(POLICY_VERSION, "R6", "allow"), details={"reason": reason.strip()[:500]},
            )
        ).seq  # fmt: skip
        tx.connection.execute(
            insert(hold_release_proposal).values(
                hold_id=hold_id, proposed_by=user.user_id, reason=reason.strip(),
                proposed_at=format_timestamp(ledger.clock.now()), ledger_seq=seq,
            )
        )  # fmt: skip


def second_approval(ledger: Ledger, hold_id: int, user: User) -> None:
    """The second approver's step: a different authorized person releases the hold."""
    if not user.may(*MAY_RELEASE_HOLD):
        raise PolicyError("only counsel or an approving official may approve a hold's release (R6)")
    with ledger.transaction() as tx:
        pending = tx.connection.execute(
            select(hold_release_proposal).where(hold_release_proposal.c.hold_id == hold_id)
        ).one_or_none()
        if pending is None:
            raise PolicyError(f"nobody has proposed releasing hold {hold_id} yet")
        if pending.proposed_by == user.user_id:
            raise PolicyError("releasing a legal hold needs two different approvers (R6)")
        release_hold(tx, hold_id, (Actor(ActorKind.OPERATOR, pending.proposed_by), user.actor))
        tx.connection.execute(delete(hold_release_proposal).where(hold_release_proposal.c.hold_id == hold_id))
