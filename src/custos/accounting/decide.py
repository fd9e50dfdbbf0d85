"""From the matching engine's decision to the record's final code (R25, R27, R28, R29, R5).

The engine answers whether the supplied address is the address of record of
exactly one taxpayer who is the named person.  The pipeline then applies, in
this order, the checks that can still stop a confirmation:

* a legal hold set since the record was validated blocks it (R5);
* the engine's CONFIRMED is the address-confirmation gate (R27); anything else is
  not a confirmation, and the engine's reason stays internal;
* a TIN the requester supplied must be the confirmed taxpayer's (R28): a name and
  TIN match never confirms on its own, and a TIN that contradicts the match stops it;
* the (i)(6) screen blocks a listed taxpayer without saying why (R25);
* only an exact match after normalization is confirmed without a person (R29):
  a nickname, a typo, a partial surname or a transposed date of birth goes to review.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.matching.models import Decision, MatchCode

EXACT_SURNAME = frozenset({"exact", "token_set", "joined"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final internal code and the result of each check, for the ledger."""

    code: str
    checks: dict[str, str]


def exact_evidence(decision: Decision) -> bool:
    """Whether the chosen taxpayer agrees exactly on every compared field (R29)."""
    chosen = next((e for e in decision.evidence if e.taxpayer_id == decision.taxpayer_id), None)
    if chosen is None:
        return False
    levels = {f.field: f.level for f in chosen.fields}
    return (
        levels.get("surname") in EXACT_SURNAME
        and levels.get("given") == "exact"
        and levels.get("dob") in {"exact", "missing"}
        and levels.get("suffix") != "conflict"
        and levels.get("middle") != "conflict"
        and "order" not in levels
    )


def final_outcome(
    decision: Decision, tin: str | None, on_screen: bool, hold: int | None, supplied_tin: str | None
) -> Outcome:
    """Apply R5, R27, R28, R25 and R29 to one engine decision."""
    checks = {"r25": "not_reached", "r27": "fail", "r28": "not_applicable", "r29": "not_reached"}
    if hold is not None:
        return Outcome("BLOCKED_LEGAL_HOLD", checks | {"legal_hold": str(hold)})
    if decision.code is MatchCode.PENDING_REVIEW:
        reason = decision.reason.value
        return Outcome(
            reason if reason.startswith("AMBIGUOUS") else "MANUAL_REVIEW", checks | {"r27": "review"}
        )
    if decision.code is not MatchCode.CONFIRMED or decision.taxpayer_id is None or tin is None:
        return Outcome("NOT_CONFIRMED", checks)
    checks["r27"] = "pass"
    if supplied_tin:
        if supplied_tin.strip() != tin:
            return Outcome("NOT_CONFIRMED", checks | {"r28": "fail"})
        checks["r28"] = "pass"
    if on_screen:
        return Outcome("BLOCKED_6103I6", checks | {"r25": "BLOCKED_6103I6"})
    checks["r25"] = "pass"
    if not exact_evidence(decision):
        return Outcome("MANUAL_REVIEW", checks | {"r29": "review"})
    return Outcome("CONFIRMED", checks | {"r29": "pass"})
