"""The decision rule: confirm one named person at one delivery point, or do not.

CONFIRMED only when all of these hold (otherwise the first failing step
decides, always leaning to PENDING_REVIEW when someone else could be meant):

1. The request has a usable name and a complete delivery-point address
   (else NOT_CONFIRMED, INSUFFICIENT_IDENTIFIERS).
2. Among the taxpayers whose address of record is the supplied delivery point,
   unit included, exactly one is the named person: surname and given name
   agree (directly or swapped), no suffix, middle-initial or date-of-birth
   conflict.  Two or more: PENDING_REVIEW (AMBIGUOUS_NAME when they share the
   name, as a Jr and Sr do; AMBIGUOUS_HOUSEHOLD otherwise).  None: someone
   who could be the person (a similar given name, a near date of birth) makes
   it PENDING_REVIEW; a person of that name at another unit or another
   address makes it NOT_CONFIRMED with UNIT_MISMATCH or ADDRESS_MISMATCH;
   otherwise NOT_CONFIRMED, NO_CANDIDATE or NAME_MISMATCH.
3. Nobody else at that delivery point could be meant (a twin with a similar
   given name, a relative with the same initial): else PENDING_REVIEW,
   AMBIGUOUS_HOUSEHOLD.
4. Without a date of birth, the name must be exact and distinctive across the
   whole master file, because a common name could also belong to someone who
   files no return: else PENDING_REVIEW, INSUFFICIENT_IDENTIFIERS.

Weights only explain; the levels decide, so a reviewer can follow every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler

from custos.matching.compare import (
    POSSIBLE_GIVEN,
    POSSIBLE_SURNAME,
    STRONG_GIVEN,
    STRONG_SURNAME,
    NameLevels,
    compare_dob,
    compare_names,
)
from custos.matching.models import (
    Candidate,
    CandidateEvidence,
    Decision,
    FieldEvidence,
    MatchCode,
    MatchRequest,
    Reason,
)
from custos.matching.thresholds import MatchThresholds
from custos.standardize.models import AddressKind

UNUSABLE_ADDRESS = frozenset({"PLACEHOLDER", "UNPARSEABLE", "NO_PRIMARY_NUMBER", "NO_STREET", "INCOMPLETE"})

_FIXED_WEIGHTS = {
    ("surname", "token_set"): 6.0, ("surname", "joined"): 6.0, ("surname", "token_subset"): 3.0,
    ("surname", "fuzzy"): 4.0, ("surname", "phonetic"): 1.0, ("surname", "disagree"): -6.0,
    ("given", "compound_token"): 4.0, ("given", "nickname"): 4.0, ("given", "fuzzy"): 3.0,
    ("given", "initial"): 1.0, ("given", "similar"): 0.0, ("given", "disagree"): -5.0,
    ("dob", "exact"): 14.0, ("dob", "transposed"): 8.0, ("dob", "missing"): 0.0,
    ("dob", "near"): -2.0, ("dob", "conflict"): -12.0,
    ("suffix", "agree"): 2.0, ("suffix", "missing"): 0.0, ("suffix", "conflict"): -10.0,
    ("middle", "agree"): 1.0, ("middle", "missing"): 0.0, ("middle", "conflict"): -3.0,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NameStatistics:
    """How common the requested name is in the master file (term frequencies)."""

    taxpayers: int
    surname_count: int
    given_count: int
    same_name_count: int
    same_name_elsewhere: int


def _tf_weight(count: int, total: int, agreement_probability: float = 0.95) -> float:
    """log2(m/u) with u the value's share of the master: SMITH counts less than ZABRISKIE."""
    share = max(count, 1) / max(total, 1)
    return round(math.log2(agreement_probability / share), 2)


def _weight(field_name: str, level: str, stats: NameStatistics) -> float:
    if (field_name, level) == ("surname", "exact"):
        return _tf_weight(stats.surname_count, stats.taxpayers)
    if (field_name, level) == ("given", "exact"):
        return _tf_weight(stats.given_count, stats.taxpayers, 0.9)
    return _FIXED_WEIGHTS.get((field_name, level), 0.0)


def evaluate(
    request: MatchRequest,
    candidate: Candidate,
    stats: NameStatistics,
    thresholds: MatchThresholds,
    delivery_point_key: str | None = None,
) -> CandidateEvidence:
    """Compare the request with one candidate and classify it.

    ``delivery_point_key`` is the request's, when the caller has it already (it is rebuilt per call).
    """
    names: NameLevels = compare_names(request.name, candidate.name, thresholds)
    dob = compare_dob(request.dob, candidate.dob)
    levels = (("surname", names.surname), ("given", names.given), ("dob", dob),
              ("suffix", names.suffix), ("middle", names.middle))  # fmt: skip
    fields = tuple(FieldEvidence(f, level, _weight(f, level, stats)) for f, level in levels)
    no_conflict = names.suffix != "conflict" and names.middle != "conflict"
    named = (
        names.surname in STRONG_SURNAME
        and names.given in STRONG_GIVEN
        and dob in {"exact", "transposed", "missing"}
        and no_conflict
    )
    possible = (
        names.surname in POSSIBLE_SURNAME
        and names.given in POSSIBLE_GIVEN
        and dob != "conflict"
        and names.suffix != "conflict"
    )
    if names.swapped:
        fields += (FieldEvidence("order", "swapped", 0.0),)
    return CandidateEvidence(
        taxpayer_id=candidate.taxpayer_id,
        same_delivery_point=candidate.delivery_point_key
        == (delivery_point_key or request.address.delivery_point_key),
        named_person=named,
        possibly_named=possible,
        score=round(sum(f.weight for f in fields), 2),
        fields=fields,
    )


def _insufficient(request: MatchRequest) -> str | None:
    """Why the request cannot support a confirmation at all, or None."""
    address = request.address
    if request.defects:
        return ", ".join(request.defects)
    if not request.name.surname_tokens or not request.name.given_tokens:
        return "name incomplete"
    problems = _blocking_problems(address.problems, has_zip=bool(address.zip5))
    if address.kind is AddressKind.UNPARSEABLE or UNUSABLE_ADDRESS & problems:
        return "address is not a delivery point: " + ", ".join(sorted(problems))
    if not address.zip5 and not (address.city and address.state):
        return "address has neither ZIP nor city and state"
    return None


def _blocking_problems(problems: Sequence[str], *, has_zip: bool) -> set[str]:
    """Address problems that stop a confirmation.

    A valid ZIP with house number and street identifies the delivery point, so a blank
    city or state alone does not make the address incomplete for matching (the request
    policy may still reject it under the agreement).
    """
    found = set(problems)
    if has_zip and not found & {"UNKNOWN_ZIP", "INVALID_ZIP", "NO_ZIP"}:
        found -= {"NO_CITY", "NO_STATE"}
        if not found & {"NO_PRIMARY_NUMBER", "NO_STREET", "UNPARSEABLE", "PLACEHOLDER"}:
            found.discard("INCOMPLETE")
    return found


def _is_exact(evidence: CandidateEvidence) -> bool:
    levels = {f.field: f.level for f in evidence.fields}
    return levels["surname"] in {"exact", "token_set", "joined"} and levels["given"] == "exact"


def decide(
    request: MatchRequest,
    candidates: Sequence[Candidate],
    stats: NameStatistics,
    thresholds: MatchThresholds,
    snapshot_id: str = "",
) -> Decision:
    """Apply the decision rule to the candidates sharing the request's street address."""

    def result(code: MatchCode, reason: Reason, chosen: int | None = None, detail: str = "") -> Decision:
        return Decision(request.record_id, code, reason, chosen, evidence, detail, snapshot_id)

    evidence: tuple[CandidateEvidence, ...] = ()
    problem = _insufficient(request)
    if problem is not None:
        return result(MatchCode.NOT_CONFIRMED, Reason.INSUFFICIENT_IDENTIFIERS, detail=problem)
    # Compare the people at the delivery point first; other units of the building only
    # matter when nobody here is the named person (to tell a unit mismatch).
    dp_key = request.address.delivery_point_key
    evidence = tuple(
        evaluate(request, c, stats, thresholds, dp_key) for c in candidates if c.delivery_point_key == dp_key
    )
    here = list(evidence)
    named = [e for e in here if e.named_person]
    if len(named) > 1:
        by_id = {c.taxpayer_id: c for c in candidates}
        names = {(by_id[e.taxpayer_id].name.given_tokens[:1], by_id[e.taxpayer_id].name.surname_tokens)
                 for e in named}  # fmt: skip
        reason = Reason.AMBIGUOUS_NAME if len(names) == 1 else Reason.AMBIGUOUS_HOUSEHOLD
        return result(MatchCode.PENDING_REVIEW, reason, detail=f"{len(named)} taxpayers fit the name here")
    if not named:
        evidence += tuple(
            evaluate(request, c, stats, thresholds, dp_key)
            for c in candidates
            if c.delivery_point_key != dp_key and _could_share_surname(request, c)
        )
        return _not_here(evidence, here, stats, result)
    chosen = named[0]
    others = [e for e in here if e is not chosen and e.possibly_named]
    if others:
        return result(MatchCode.PENDING_REVIEW, Reason.AMBIGUOUS_HOUSEHOLD, chosen.taxpayer_id,
                      f"{len(others)} other taxpayer(s) at this delivery point could be meant")  # fmt: skip
    if request.dob is None:
        why = _no_dob_risk(chosen, stats, thresholds)
        if why:
            return result(MatchCode.PENDING_REVIEW, Reason.INSUFFICIENT_IDENTIFIERS, chosen.taxpayer_id, why)
    elif {f.field: f.level for f in chosen.fields}["dob"] == "missing":
        return result(MatchCode.PENDING_REVIEW, Reason.INSUFFICIENT_IDENTIFIERS, chosen.taxpayer_id,
                      "the master record has no date of birth to compare")  # fmt: skip
    return result(MatchCode.CONFIRMED, Reason.MATCH, chosen.taxpayer_id)


def _could_share_surname(request: MatchRequest, candidate: Candidate) -> bool:
    """A cheap filter before a full comparison: a shared surname token, a swap, or a close spelling."""
    wanted = set(request.name.surname_tokens)
    if wanted & set(candidate.name.surname_tokens) or wanted & set(candidate.name.given_tokens):
        return True
    return bool(JaroWinkler.similarity(request.name.surname_joined, candidate.name.surname_joined) >= 0.8)


def _no_dob_risk(chosen: CandidateEvidence, stats: NameStatistics, thresholds: MatchThresholds) -> str:
    if thresholds.no_dob_requires_exact_names and not _is_exact(chosen):
        return "no date of birth and the name agrees only approximately"
    if stats.same_name_count > thresholds.no_dob_max_same_name:
        return f"no date of birth and {stats.same_name_count} taxpayers share this name"
    common_from = max(
        thresholds.no_dob_common_surname_floor, thresholds.no_dob_max_surname_share * stats.taxpayers
    )
    if stats.surname_count >= common_from:
        return "no date of birth and the surname is common"
    return ""


def _not_here(
    evidence: tuple[CandidateEvidence, ...],
    here: list[CandidateEvidence],
    stats: NameStatistics,
    result: Callable[..., Decision],
) -> Decision:
    """Nobody at the delivery point is the named person: say how close anyone came."""
    if any(e.possibly_named for e in here):
        return result(MatchCode.PENDING_REVIEW, Reason.AMBIGUOUS_NAME, None,
                      "someone at this delivery point could be the named person")  # fmt: skip
    if any(e.named_person and not e.same_delivery_point for e in evidence):
        return result(MatchCode.NOT_CONFIRMED, Reason.UNIT_MISMATCH)
    if stats.same_name_elsewhere:
        return result(MatchCode.NOT_CONFIRMED, Reason.ADDRESS_MISMATCH)
    if here:
        return result(MatchCode.NOT_CONFIRMED, Reason.NAME_MISMATCH)
    return result(MatchCode.NOT_CONFIRMED, Reason.NO_CANDIDATE)
