"""Values of the matching engine: requests, master candidates, evidence, decisions.

A decision says which code applies, why (a closed set of reasons), and on
what evidence: every field comparison with its agreement level and weight,
plus the index snapshot and the normalizer version that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from custos.standardize.models import StandardAddress, StandardName

ENGINE_VERSION = "match-2026.11-1"


class MatchCode(StrEnum):
    """The engine's answer for one request (interchange.md section 4)."""

    CONFIRMED = "CONFIRMED"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    PENDING_REVIEW = "PENDING_REVIEW"


class Reason(StrEnum):
    """Internal reason for a decision; never sent to the requester."""

    MATCH = "MATCH"
    NO_CANDIDATE = "NO_CANDIDATE"
    ADDRESS_MISMATCH = "ADDRESS_MISMATCH"
    UNIT_MISMATCH = "UNIT_MISMATCH"
    NAME_MISMATCH = "NAME_MISMATCH"
    DOB_MISMATCH = "DOB_MISMATCH"
    AMBIGUOUS_HOUSEHOLD = "AMBIGUOUS_HOUSEHOLD"
    AMBIGUOUS_NAME = "AMBIGUOUS_NAME"
    INSUFFICIENT_IDENTIFIERS = "INSUFFICIENT_IDENTIFIERS"
    MALFORMED_RECORD = "MALFORMED_RECORD"


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """One request as the engine sees it: identity and address, standardized."""

    record_id: str
    name: StandardName
    address: StandardAddress
    dob: str | None
    defects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One taxpayer's address of record from the master index."""

    taxpayer_id: int
    tin: str
    name: StandardName
    dob: str | None
    delivery_point_key: str
    street_key: str
    name_key: str = ""  # first given token | joined surname, as the index stores it


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """How one field compared: e.g. ("surname", "token_set", 7.9)."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class CandidateEvidence:
    """The comparison of the request with one candidate."""

    taxpayer_id: int
    same_delivery_point: bool
    named_person: bool
    possibly_named: bool
    score: float
    fields: tuple[FieldEvidence, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request, with the evidence that supports it."""

    record_id: str
    code: MatchCode
    reason: Reason
    taxpayer_id: int | None
    evidence: tuple[CandidateEvidence, ...] = ()
    detail: str = ""
    snapshot_id: str = ""
    versions: tuple[str, ...] = field(default=(ENGINE_VERSION,))
