"""Activating a variant of the demo agreement as version 2 (two approvers, as R59 requires)."""

from __future__ import annotations

import tomllib

from tests.unit.accounting.harness import Harness

from custos.ledger.events import Actor, ActorKind
from custos.policy.agreement import AgreementSpec, parse_agreement
from custos.policy.store import activate_agreement, approve_agreement, load_agreement_version


def activate_variant(demo: Harness, text: str, version: int = 2) -> AgreementSpec:
    """Load ``text`` (the demo agreement, edited) as ``version``, approve it twice and activate it."""
    text = text.replace("version = 1", f"version = {version}", 1)
    spec = parse_agreement(tomllib.loads(text))
    with demo.ledger.transaction() as tx:
        load_agreement_version(tx, spec, Actor(ActorKind.OPERATOR, "admin"))
        approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "approver-1"))
        approve_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "approver-2"))
        activate_agreement(tx, spec.id, spec.version, Actor(ActorKind.OPERATOR, "admin"))
    return spec
