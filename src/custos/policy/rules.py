"""A composable policy that fails closed, in the shape of sigstore-python's ``verify/policy.py``.

Every rule answers with :class:`Finding` objects, one per requirement it
checks, each carrying the requirement number and, when it fails, a code
(``REJ_*`` rejects the record, ``HOLD_*`` sends it to a person, ``BLOCKED_*``
stops it without a reason).  Nothing passes by default:

* a verdict with no findings is a failure, not a pass;
* :class:`AllOf` and :class:`AnyOf` refuse to be built empty;
* a rule that raises is recorded as a failure of that rule (``ERR_RULE_FAILED``),
  never skipped.

The findings of every rule are kept, passed ones included, because the ledger
must show for each record that R10-R13, R19 and R21 were evaluated (R32).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from custos.errors import PolicyError

logger = logging.getLogger(__name__)

Subject_contra = TypeVar("Subject_contra", contravariant=True)
S = TypeVar("S")
RULE_FAILED = "ERR_RULE_FAILED"


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of one requirement for one subject."""

    rule: str  # "R10"
    code: str | None  # None when the requirement is met
    detail: str = ""  # names fields, never their values

    @property
    def passed(self) -> bool:
        """Whether the requirement is met."""
        return self.code is None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every finding of a rule or combination; it passes only if there is one and all pass."""

    findings: tuple[Finding, ...]
    passed: bool

    @classmethod
    def of(cls, findings: Sequence[Finding]) -> Verdict:
        """All findings must pass, and there must be at least one."""
        return cls(tuple(findings), bool(findings) and all(f.passed for f in findings))

    @property
    def first_failure(self) -> Finding | None:
        """The failure that decides the outcome: the first in rule order."""
        return next((f for f in self.findings if not f.passed), None)


class Rule(Protocol[Subject_contra]):
    """One requirement (or a combination) checked against a subject."""

    def check(self, subject: Subject_contra) -> Verdict:
        """Findings for ``subject``."""
        ...


class LeafRule(Generic[S]):
    """A single requirement: subclasses set ``rule_id`` and implement :meth:`evaluate`.

    ``evaluate`` returns None when the requirement is met or ``(code, detail)`` when not;
    an exception becomes a recorded failure of this rule.
    """

    rule_id: str = ""

    def evaluate(self, subject: S) -> tuple[str, str] | None:
        """None when met, else (code, detail)."""
        raise NotImplementedError

    def check(self, subject: S) -> Verdict:
        """The rule's one finding."""
        if not self.rule_id:
            raise PolicyError(f"{type(self).__name__} has no rule_id")
        try:
            outcome = self.evaluate(subject)
        except Exception as exc:
            logger.exception("rule %s raised", self.rule_id)
            return Verdict.of([Finding(self.rule_id, RULE_FAILED, f"rule raised {type(exc).__name__}")])
        if outcome is None:
            return Verdict.of([Finding(self.rule_id, None)])
        code, detail = outcome
        return Verdict.of([Finding(self.rule_id, code, detail)])


class AllOf(Generic[S]):
    """Passes when every child passes; keeps every child's findings."""

    def __init__(self, *children: Rule[S]) -> None:
        if not children:
            raise PolicyError("an empty AllOf would pass everything; give it at least one rule")
        self.children = children

    def check(self, subject: S) -> Verdict:
        """Findings of all children, in order."""
        verdicts = [child.check(subject) for child in self.children]
        findings = tuple(f for v in verdicts for f in v.findings)
        return Verdict(findings, all(v.passed for v in verdicts))


class AnyOf(Generic[S]):
    """Passes when at least one child passes; keeps every child's findings."""

    def __init__(self, *children: Rule[S]) -> None:
        if not children:
            raise PolicyError("an empty AnyOf has nothing that could pass; give it at least one rule")
        self.children = children

    def check(self, subject: S) -> Verdict:
        """Findings of all children; passed if any child passed."""
        verdicts = [child.check(subject) for child in self.children]
        findings = tuple(f for v in verdicts for f in v.findings)
        return Verdict(findings, any(v.passed for v in verdicts))
