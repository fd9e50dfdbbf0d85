"""A Hypothesis state machine: the stored ledger always agrees with a list of leaves.

Rules append, checkpoint, prove inclusion and consistency, and restart the
service; the model is a plain list of leaf bytes and an in-memory tree.
CUSTOS_STATEFUL_EXAMPLES and CUSTOS_STATEFUL_STEPS raise the budget for
nightly runs (the design asks for 500 x 50 there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from custos.config import Settings
from custos.ledger import verifier
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.ledger.merkle import MemoryTree
from custos.ledger.models import CheckpointPolicy
from custos.ledger.service import Ledger
from custos.runtime import Runtime
from custos.runtime import initialize as initialize_installation
from custos.testing import FixedClock

EXAMPLES = int(os.environ.get("CUSTOS_STATEFUL_EXAMPLES", "100"))
STEPS = int(os.environ.get("CUSTOS_STATEFUL_STEPS", "40"))

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


class LedgerMachine(RuleBasedStateMachine):
    """The database-backed ledger against a model of leaves."""

    @initialize()
    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="custos-stateful-"))
        self.clock = FixedClock()
        initialize_installation(self.directory / "d", clock=self.clock)
        self.runtime = Runtime.open(Settings.load(self.directory / "d"), clock=self.clock)
        self.ledger = self._with_policy(self.runtime)
        self.model = [self.ledger.leaf(0)]
        self.key = self.ledger.signer.verifier_key

    @staticmethod
    def _with_policy(runtime: Runtime) -> Ledger:
        base = runtime.ledger
        return Ledger(
            base.database,
            base.signer,
            policy=CheckpointPolicy(5, timedelta(hours=1)),
            publisher=base.publisher,
            alarm=base.alarm,
            clock=base.clock,
        )

    def teardown(self) -> None:
        self.runtime.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule(actor=texts, count=st.integers(1, 4))
    def append(self, actor: str, count: int) -> None:
        with self.ledger.transaction() as tx:
            for _ in range(count):
                receipt = tx.append(
                    AuditEvent(EventType.ADMIN_ACTION, Actor.system(actor or "x"), "step", Outcome.SUCCESS)
                )
                assert receipt.seq == len(self.model)
                self.model.append(b"")
        for seq in range(len(self.model) - count, len(self.model)):
            self.model[seq] = self.ledger.leaf(seq)

    @rule()
    def checkpoint(self) -> None:
        signed = self.ledger.checkpoint(full_audit=False)
        assert signed.size == len(self.model)

    @rule(data=st.data())
    def prove_inclusion(self, data: st.DataObject) -> None:
        checkpoint = data.draw(st.sampled_from(self.ledger.checkpoints()))
        index = data.draw(st.integers(0, checkpoint.size - 1))
        proof = self.ledger.inclusion_proof(index, checkpoint.size)
        body = verifier.verify_checkpoint(checkpoint.note, [self.key], self.ledger.origin)
        verifier.verify_inclusion(index, body.size, verifier.leaf_hash(self.model[index]), proof, body.root)

    @precondition(lambda self: len(self.ledger.checkpoints()) >= 2)
    @rule(data=st.data())
    def prove_consistency(self, data: st.DataObject) -> None:
        checkpoints = self.ledger.checkpoints()
        old, new = sorted(data.draw(st.lists(st.sampled_from(checkpoints), min_size=2, max_size=2)),
                          key=lambda c: c.size)  # fmt: skip
        proof = self.ledger.consistency_proof(old.size, new.size) if old.size != new.size else []
        verifier.verify_consistency(old.size, new.size, proof, old.root, new.root)

    @rule()
    def restart_service(self) -> None:
        self.runtime.close()
        self.runtime = Runtime.open(Settings.load(self.directory / "d"), clock=self.clock)
        self.ledger = self._with_policy(self.runtime)

    @invariant()
    def agrees_with_model(self) -> None:
        head = self.ledger.head()
        assert head.size == len(self.model)
        assert head.root == MemoryTree(self.model).root()


LedgerMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True
)
TestLedgerMachine = LedgerMachine.TestCase
