"""The database-backed ledger: appends, transactions, checkpoints, refusal to sign."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.backend import OwnerHands, restore, snapshot

from custos.errors import LedgerError, LedgerIntegrityError, LedgerReadOnlyError, StorageError
from custos.ledger import verifier
from custos.ledger.confidential import confidential_payload
from custos.ledger.events import Actor, AuditEvent, EventType, Outcome
from custos.ledger.merkle import MemoryTree
from custos.ledger.models import CheckpointPolicy
from custos.ledger.service import Ledger
from custos.runtime import Runtime
from custos.testing import FixedClock


def event(n: int = 0, **details: object) -> AuditEvent:
    return AuditEvent(
        EventType.ADMIN_ACTION,
        Actor.system("test"),
        "test_action",
        Outcome.SUCCESS,
        details={"n": n, **details},  # type: ignore[dict-item]
    )


def ledger_with(runtime: Runtime, every: int, seconds: int = 3600) -> Ledger:
    """The runtime's ledger with another checkpoint policy."""
    base = runtime.ledger
    return Ledger(
        base.database,
        base.signer,
        policy=CheckpointPolicy(every, timedelta(seconds=seconds)),
        publisher=base.publisher,
        alarm=base.alarm,
        clock=base.clock,
    )


def raw(runtime: Runtime) -> OwnerHands:
    """A connection of the database's owner, bypassing custos (the file's holder on SQLite)."""
    return OwnerHands(runtime.settings.data_dir)


class TestAppend:
    def test_seqs_are_contiguous_and_the_root_matches_the_tree(self, runtime: Runtime) -> None:
        """Appends get seqs 1, 2, ... after init's entry and the stored root equals a fresh tree's."""
        receipts = [runtime.ledger.append(event(i)) for i in range(10)]
        assert [r.seq for r in receipts] == list(range(1, 11))
        leaves = [runtime.ledger.leaf(seq) for seq in range(11)]
        assert runtime.ledger.head().root == MemoryTree(leaves).root()
        assert [verifier.leaf_hash(leaves[r.seq]) for r in receipts] == [r.leaf_hash for r in receipts]

    def test_many_appends_in_one_transaction(self, runtime: Runtime) -> None:
        """A thousand appends in one transaction give the same tree as one by one."""
        with runtime.ledger.transaction() as tx:
            tx.append_many(event(i) for i in range(1000))
        leaves = [runtime.ledger.leaf(seq) for seq in range(1001)]
        tree = MemoryTree(leaves)
        assert runtime.ledger.head().root == tree.root()
        for seq, size in ((0, 1001), (500, 1001), (999, 1000), (1000, 1001)):
            assert runtime.ledger.inclusion_proof(seq, size) == tree.inclusion_proof(seq, size)
        for old, new in ((1, 1001), (256, 1001), (777, 1000)):
            assert runtime.ledger.consistency_proof(old, new) == tree.consistency_proof(old, new)

    def test_leaf_carries_the_audit_fields(self, runtime: Runtime, clock: FixedClock) -> None:
        """A leaf holds version, seq, UTC time with ms, the chain link and every AU-3 field."""
        receipt = runtime.ledger.append(event(7))
        entry = verifier.parse_leaf(runtime.ledger.leaf(receipt.seq))
        assert entry["v"] == 1 and entry["seq"] == receipt.seq
        assert entry["recorded_at"] == "2026-11-24T09:00:00.000Z"
        assert entry["prev_leaf_hash"] == verifier.leaf_hash(runtime.ledger.leaf(receipt.seq - 1)).hex()
        assert set(entry) >= {
            "event_type",
            "actor",
            "channel",
            "object",
            "action",
            "outcome",
            "reason_code",
            "authz",
            "request_sig",
            "refs",
            "client_created",
        }

    def test_recorded_at_never_goes_backwards(self, runtime: Runtime, clock: FixedClock) -> None:
        """A clock stepped back does not produce an entry earlier than its predecessor."""
        first = runtime.ledger.append(event(1))
        clock.advance(seconds=-30)
        second = runtime.ledger.append(event(2))
        times = [verifier.parse_leaf(runtime.ledger.leaf(r.seq))["recorded_at"] for r in (first, second)]
        assert times[1] >= times[0]

    def test_refs_must_name_earlier_entries(self, runtime: Runtime) -> None:
        """An event referring to a later or its own seq is refused."""
        head = runtime.ledger.head().size
        with pytest.raises(ValueError, match="earlier entries"):
            runtime.ledger.append(
                AuditEvent(EventType.DECISION_MADE, Actor.system("t"), "x", Outcome.SUCCESS, refs=(head,))
            )


class TestSameTransaction:
    def test_failure_after_business_write_leaves_nothing(self, runtime: Runtime) -> None:
        """An exception between the business write and commit leaves neither the row nor the entry."""
        before = runtime.ledger.head().size
        with pytest.raises(RuntimeError, match="injected"), runtime.ledger.transaction() as tx:
            runtime.confidential.put(tx, "request_record", b"payload")
            tx.append(event(1))
            raise RuntimeError("injected failure before commit")
        assert runtime.ledger.head().size == before
        with runtime.database.read() as connection:
            count = connection.execute(select(func.count()).select_from(confidential_payload)).scalar()
        assert count == 0

    def test_failed_append_undoes_the_business_write(self, runtime: Runtime) -> None:
        """If the ledger refuses the entry, the business write is rolled back (no fail-open)."""
        with pytest.raises(LedgerError, match="float"), runtime.ledger.transaction() as tx:
            runtime.confidential.put(tx, "request_record", b"payload")
            tx.append(event(1, score=0.5))
        with runtime.database.read() as connection:
            count = connection.execute(select(func.count()).select_from(confidential_payload)).scalar()
        assert count == 0

    def test_database_failure_at_commit_is_reported(self, runtime: Runtime) -> None:
        """A write the database rejects surfaces as StorageError and leaves the ledger unchanged."""
        before = runtime.ledger.head().size
        with pytest.raises(StorageError), runtime.ledger.transaction() as tx:
            tx.append(event(1))
            tx.connection.exec_driver_sql("INSERT INTO ledger_entry (seq) VALUES (NULL)")
        assert runtime.ledger.head().size == before


class TestAppendOnly:
    @pytest.mark.parametrize("table", OwnerHands.LEDGER_TABLES)
    def test_update_and_delete_are_refused(self, runtime: Runtime, table: str) -> None:
        """UPDATE and DELETE on every ledger table fail in the database itself, even for its owner."""
        runtime.ledger.append(event(1))
        runtime.ledger.checkpoint()
        connection = raw(runtime)
        column = {"ledger_entry": "leaf", "ledger_node": "hash", "ledger_checkpoint": "note"}[table]
        with pytest.raises(Exception, match="append-only: UPDATE refused"):
            connection.execute(f"UPDATE {table} SET {column} = {column}")
        with pytest.raises(Exception, match="append-only: DELETE refused"):
            connection.execute(f"DELETE FROM {table}")
        connection.close()

    def test_insert_out_of_sequence_is_refused(self, runtime: Runtime) -> None:
        """A row inserted behind the ledger's back must take the next seq."""
        connection = raw(runtime)
        with pytest.raises(Exception, match="next in sequence"):
            connection.execute("INSERT INTO ledger_entry VALUES (99, ?, ?, 'x', 'x', 'x')", (b"0", bytes(32)))
        connection.close()


class TestCheckpoints:
    def test_signed_every_n_entries_and_published(self, runtime: Runtime) -> None:
        """With N=4, checkpoints appear at the first append, then every 4 entries, and are published."""
        ledger = ledger_with(runtime, every=4)
        for i in range(9):
            ledger.append(event(i))
        sizes = [c.size for c in ledger.checkpoints()]
        assert sizes == [1, 5, 9]
        published = runtime.settings.path(runtime.settings.checkpoint_publish_dir)
        assert sorted(p.name for p in published.glob("*.checkpoint")) == sorted(
            ["1.checkpoint", "5.checkpoint", "9.checkpoint", "latest.checkpoint"]
        )
        key = ledger.signer.verifier_key
        latest = verifier.verify_checkpoint((published / "latest.checkpoint").read_text(), [key])
        assert (latest.size, latest.root) == (9, ledger.root(9))

    def test_signed_after_interval_when_something_changed(self, runtime: Runtime, clock: FixedClock) -> None:
        """An idle-but-changed log gets a checkpoint after T seconds; an unchanged one does not."""
        ledger = ledger_with(runtime, every=1000, seconds=60)
        ledger.append(event(1))
        assert ledger.checkpoint_if_due() is None
        clock.advance(seconds=61)
        signed = ledger.checkpoint_if_due()
        assert signed is not None and signed.size == ledger.head().size
        clock.advance(seconds=61)
        assert ledger.checkpoint_if_due() is None

    def test_on_demand_checkpoint_matches_every_earlier_one(self, runtime: Runtime) -> None:
        """Every checkpoint is consistent with every earlier one."""
        ledger = ledger_with(runtime, every=3)
        for i in range(20):
            ledger.append(event(i))
        ledger.checkpoint()
        checkpoints = ledger.checkpoints()
        newest = checkpoints[-1]
        for old in checkpoints[:-1]:
            proof = ledger.consistency_proof(old.size, newest.size)
            verifier.verify_consistency(old.size, newest.size, proof, old.root, newest.root)


class TestRefusalToSign:
    def test_rewritten_leaf_is_refused_alarmed_and_read_only(self, runtime: Runtime) -> None:
        """Rewriting seq 5 with triggers dropped: the signer refuses, alarms, and writes stop."""
        ledger = ledger_with(runtime, every=4)
        for i in range(10):
            ledger.append(event(i))
        connection = raw(runtime)
        connection.disable_triggers()
        leaf = ledger.leaf(5).replace(b'"n":4', b'"n":5')
        connection.execute("UPDATE ledger_entry SET leaf = ? WHERE seq = 5", (leaf,))
        connection.close()
        with pytest.raises(LedgerIntegrityError, match="refusing to sign"):
            ledger.checkpoint()
        alarm_file = runtime.settings.path(runtime.settings.alarm_file)
        assert alarm_file.exists()
        with pytest.raises(LedgerReadOnlyError):
            ledger.append(event(99))
        reopened = Runtime.open(runtime.settings)
        with pytest.raises(LedgerReadOnlyError):
            reopened.ledger.append(event(99))
        reopened.close()
        assert ledger.checkpoints()[-1].size == 9

    def test_rewrite_in_the_unsigned_tail_stops_the_automatic_checkpoint(self, runtime: Runtime) -> None:
        """A leaf changed after the last checkpoint is caught by the next automatic one."""
        ledger = ledger_with(runtime, every=4)
        for i in range(6):
            ledger.append(event(i))
        connection = raw(runtime)
        connection.disable_triggers()
        connection.execute("UPDATE ledger_entry SET leaf = ? WHERE seq = 6", (b"{}",))
        connection.close()
        with pytest.raises(LedgerIntegrityError, match="entry 6"):
            for i in range(4):
                ledger.append(event(i))
        assert ledger.head().size == 8  # the append that fell due for signing was rolled back

    def test_tampered_head_is_refused(self, runtime: Runtime) -> None:
        """A head row that does not match the stored tree stops the next transaction."""
        runtime.ledger.append(event(1))
        connection = raw(runtime)
        connection.execute("UPDATE ledger_head SET root_hash = ?", (bytes(32),))
        connection.close()
        with pytest.raises(LedgerIntegrityError, match="head root"):
            runtime.ledger.append(event(2))

    def test_database_rolled_back_behind_published_checkpoint(self, runtime: Runtime, tmp_path: Path) -> None:
        """Restoring an older copy of the database is caught by the published checkpoint."""
        ledger = ledger_with(runtime, every=2)
        ledger.append(event(1))
        runtime.database.dispose()
        old = snapshot(runtime.settings.data_dir, tmp_path / "old.db")
        for i in range(4):
            ledger.append(event(i))
        runtime.database.dispose()
        restore(runtime.settings.data_dir, old)
        with pytest.raises(LedgerIntegrityError, match="rolled back"):
            ledger.append(event(9))


class TestPublication:
    def test_checkpoint_left_unpublished_by_a_crash_is_published_on_open(
        self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A checkpoint committed but not published (crash, full disk) is published at the next open."""
        ledger = ledger_with(runtime, every=1)
        publisher = runtime.ledger.publisher
        assert publisher is not None

        def fail(_: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(publisher, "publish", fail)
        ledger.append(event(1))
        monkeypatch.undo()
        stored = ledger.checkpoints()[-1]
        latest = publisher.latest()
        assert latest is not None and latest.size < stored.size
        reopened = Runtime.open(runtime.settings)
        reopened.close()
        latest = publisher.latest()
        assert latest is not None and latest.size == stored.size

    def test_published_files_are_readable_and_no_temporaries_remain(self, runtime: Runtime) -> None:
        """Published checkpoints are world-readable and a crashed publisher's temp file is cleaned."""
        publisher = runtime.ledger.publisher
        assert publisher is not None
        stale = publisher.directory / ".latest.checkpoint.abc123"
        stale.write_text("partial")
        runtime.ledger.append(event(1))
        runtime.ledger.checkpoint()
        assert not stale.exists()
        assert (publisher.directory / "latest.checkpoint").stat().st_mode & 0o044 == 0o044


@pytest.mark.sqlite_only
class TestQueryPlans:
    def test_node_lookup_uses_the_primary_key(self, runtime: Runtime) -> None:
        """Tree-node lookups search the (level, idx) index instead of scanning ledger_node."""
        from custos.ledger.merkle import NodeId
        from custos.ledger.service import node_query

        query = node_query([NodeId(0, 0), NodeId(0, 1), NodeId(1, 0)])
        sql = str(query.compile(runtime.database.engine, compile_kwargs={"literal_binds": True}))
        with runtime.database.read() as connection:
            plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN ledger_node" not in plan and "USING INDEX" in plan, plan
