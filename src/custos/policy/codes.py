"""Internal result codes and the closed set of codes a requester sees (interchange.md section 3).

Internally every outcome keeps the code of the requirement that decided it
(``REJ_ADDR_ZIP_ONLY`` under R11, ``HOLD_ENGAGEMENT_IMPLAUSIBLE`` under R22,
``AMBIGUOUS_HOUSEHOLD`` from the matching engine).  The response carries only
``CONFIRMED``, ``NOT_CONFIRMED``, ``PENDING_REVIEW``, ``REJECTED_<DEFECT>`` or
``BLOCKED`` (R33): a rejection names the defect so the requester can correct
the record, but nothing says which element failed to match, and a block gives
no reason at all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ResponseCode(StrEnum):
    """The codes a requester may receive, apart from the REJECTED_<DEFECT> family."""

    CONFIRMED = "CONFIRMED"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    PENDING_REVIEW = "PENDING_REVIEW"
    BLOCKED = "BLOCKED"


# Rejection codes (record defects the requester can correct) and their response names.
REJECTIONS: Final = {
    "REJ_REQUESTER_NOT_AUTHORIZED": "REJECTED_REQUESTER_NOT_AUTHORIZED",  # R1
    "REJ_UNSIGNED": "REJECTED_UNSIGNED",  # R3
    "REJ_AGREEMENT_INACTIVE": "REJECTED_AGREEMENT_INACTIVE",  # R4
    "REJ_BATCH_TOO_LARGE": "REJECTED_BATCH_TOO_LARGE",  # R8
    "REJ_BATCH_DEFECTIVE": "REJECTED_BATCH_DEFECTIVE",  # R9
    "REJ_ADDR_MISSING": "REJECTED_ADDRESS_MISSING",  # R10
    "REJ_ADDR_ZIP_ONLY": "REJECTED_ADDRESS_ZIP_ONLY",  # R11
    "REJ_ADDR_PLACEHOLDER": "REJECTED_ADDRESS_PLACEHOLDER",  # R12
    "REJ_ADDR_INCOMPLETE": "REJECTED_ADDRESS_INCOMPLETE",  # R13
    "REJ_NAME_MISSING": "REJECTED_NAME_MISSING",  # R15
    "REJ_PERIOD_MISSING": "REJECTED_PERIOD_MISSING",  # R16
    "REJ_PERIOD_INVALID": "REJECTED_PERIOD_INVALID",  # R16
    "REJ_STATUTE_NOT_PERMITTED": "REJECTED_STATUTE_NOT_PERMITTED",  # R17
    "REJ_REASON_MISSING": "REJECTED_REASON_MISSING",  # R18
    "REJ_NO_INVESTIGATION": "REJECTED_NO_INVESTIGATION",  # R19
    "REJ_REMOVAL_ORDER_MISSING": "REJECTED_REMOVAL_ORDER_MISSING",  # R20
    "REJ_PREDICATE_NOT_RIPE": "REJECTED_PREDICATE_NOT_RIPE",  # R20
    "REJ_NO_RECIPIENTS": "REJECTED_NO_RECIPIENTS",  # R21
    "REJ_UNDECLARED_FIELD": "REJECTED_UNDECLARED_FIELD",  # R23
    "REJ_DUPLICATE": "REJECTED_DUPLICATE",  # R24
    "REJ_INSUFFICIENT_IDENTIFIERS": "REJECTED_INSUFFICIENT_IDENTIFIERS",  # R67
    "REJ_MALFORMED_RECORD": "REJECTED_MALFORMED_RECORD",  # unreadable row, bad record_id or dob
}


def response_code(internal: str) -> str:
    """The requester's code for an internal code; unknown codes fail closed to BLOCKED."""
    if internal in REJECTIONS:
        return REJECTIONS[internal]
    if internal.startswith("HOLD_") or internal in {"AMBIGUOUS_HOUSEHOLD", "AMBIGUOUS_NAME", "MANUAL_REVIEW"}:
        return ResponseCode.PENDING_REVIEW.value
    if internal == "CONFIRMED":
        return ResponseCode.CONFIRMED.value
    if internal == "NOT_CONFIRMED":
        return ResponseCode.NOT_CONFIRMED.value
    return ResponseCode.BLOCKED.value
