"""The ledger: appends in the caller's transaction, checkpoints, proofs.

Append protocol (ledger-and-security.md section 5.3).  A caller opens
``ledger.transaction()``, does its business writes on ``tx.connection`` and
appends its events with ``tx.append``; both commit together or not at all, so
an action whose accounting cannot be written does not happen.  The write
lock (``BEGIN IMMEDIATE``) serializes appenders; the transaction loads the
perfect subtrees of the current tree once, checks that they fold to the
stored head, and extends them in memory as it appends, inserting each newly
completed subtree.  A checkpoint that falls due is signed inside the same
transaction and published to the outside once it has committed.

Before signing anything, the ledger checks that the new tree extends the last
signed one, recomputing from leaf bytes what it signs (see
:mod:`custos.ledger.integrity`); if it does not, it raises the alarm and
turns read-only instead of signing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Select, and_, false, func, insert, or_, select, update

from custos.errors import LedgerError
from custos.ledger import integrity
from custos.ledger.canonical import encode_leaf
from custos.ledger.events import AuditEvent
from custos.ledger.merkle import (
    NodeId,
    consistency_ranges,
    fold,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    range_hashes,
)
from custos.ledger.models import (
    CheckpointPolicy,
    Clock,
    Head,
    Receipt,
    SignedCheckpoint,
    SystemClock,
    format_timestamp,
)
from custos.ledger.note import NoteSigner
from custos.ledger.publish import CheckpointPublisher, IntegrityAlarm
from custos.ledger.tables import ledger_checkpoint, ledger_entry, ledger_head, ledger_node
from custos.ledger.verifier import EMPTY_ROOT, Report
from custos.storage.database import Database

logger = logging.getLogger(__name__)


def node_query(nodes: Iterable[NodeId]) -> Select[int, int, bytes]:
    """The query for the hashes of ``nodes``: one "level = ? AND idx IN (...)" term per level.

    SQLite answers each term from the primary key; a row-value IN over
    (level, idx) would scan the whole table instead.
    """
    by_level: dict[int, list[int]] = {}
    for node in nodes:
        by_level.setdefault(node.level, []).append(node.index)
    terms = [
        and_(ledger_node.c.level == level, ledger_node.c.idx.in_(indexes))
        for level, indexes in by_level.items()
    ]
    return select(ledger_node.c.level, ledger_node.c.idx, ledger_node.c.hash).where(or_(false(), *terms))


def node_lookup(connection: Connection) -> integrity.NodeLookup:
    """A lookup of perfect-subtree hashes from ``ledger_node`` in one query."""

    def lookup(nodes: Iterable[NodeId]) -> dict[NodeId, bytes]:
        wanted = list(nodes)
        if not wanted:
            return {}
        rows = connection.execute(node_query(wanted))
        return {NodeId(level, idx): bytes(h) for level, idx, h in rows}

    return lookup


def read_head(connection: Connection) -> Head:
    """The stored head, or the empty tree."""
    row = connection.execute(select(ledger_head).where(ledger_head.c.id == 1)).one_or_none()
    if row is None:
        return Head(0, EMPTY_ROOT, None, "")
    last = bytes(row.last_leaf_hash) if row.last_leaf_hash is not None else None
    return Head(row.tree_size, bytes(row.root_hash), last, row.last_recorded_at)


class LedgerTransaction:
    """One database transaction in which business writes and ledger appends commit together."""

    def __init__(self, ledger: Ledger, connection: Connection) -> None:
        self.ledger = ledger
        self.connection = connection
        self._head: Head | None = None
        self._stored_size = 0
        self._frontier: list[tuple[NodeId, bytes]] = []
        self._entries: list[dict[str, object]] = []
        self._nodes: list[dict[str, object]] = []

    @property
    def head(self) -> Head:
        """The tree as this transaction sees it, including its own appends."""
        if self._head is None:
            head = read_head(self.connection)
            nodes = perfect_subtrees(0, head.size)
            found = node_lookup(self.connection)(nodes)
            if len(found) != len(nodes) or fold([found[n] for n in nodes]) != head.root:
                self.ledger.alarm_and_raise(
                    f"stored tree nodes do not fold to the head root at size {head.size}"
                )
            last_seq = self.connection.execute(select(func.max(ledger_entry.c.seq))).scalar()
            if (last_seq if last_seq is not None else -1) != head.size - 1:
                self.ledger.alarm_and_raise(
                    f"the head records {head.size} entries but the last stored seq is {last_seq}"
                )
            self._frontier = [(n, found[n]) for n in nodes]
            self._head, self._stored_size = head, head.size
        return self._head

    def append(self, event: AuditEvent) -> Receipt:
        """Append one event; it becomes durable when the transaction commits."""
        head = self.head
        seq = head.size
        recorded_at = max(format_timestamp(self.ledger.clock.now()), head.last_recorded_at)
        prev = head.last_leaf_hash.hex() if head.last_leaf_hash is not None else None
        leaf = encode_leaf(event.to_entry(seq, recorded_at, prev))
        hashed = leaf_hash(leaf)
        self._entries.append(
            {
                "seq": seq,
                "leaf": leaf,
                "leaf_hash": hashed,
                "event_type": str(event.event_type),
                # A search aid, not the record (the leaf is): PostgreSQL text cannot hold NUL.
                "actor_id": event.actor.id.replace("\x00", "\ufffd"),
                "recorded_at": recorded_at,
            }
        )
        self._nodes.append({"level": 0, "idx": seq, "hash": hashed})
        current, level, index = hashed, 0, seq
        while index & 1:
            _, left = self._frontier.pop()
            current = node_hash(left, current)
            level, index = level + 1, index >> 1
            self._nodes.append({"level": level, "idx": index, "hash": current})
        self._frontier.append((NodeId(level, index), current))
        root = fold([h for _, h in self._frontier])
        self._head = Head(seq + 1, root, hashed, recorded_at)
        return Receipt(seq, hashed)

    def append_many(self, events: Iterable[AuditEvent]) -> list[Receipt]:
        """Append several events in order."""
        return [self.append(event) for event in events]

    def flush(self) -> Head:
        """Write buffered entries, nodes and the new head to the database."""
        head = self.head
        if self._entries:
            self.connection.execute(insert(ledger_entry), self._entries)
            self.connection.execute(insert(ledger_node), self._nodes)
            values = {
                "tree_size": head.size,
                "root_hash": head.root,
                "last_leaf_hash": head.last_leaf_hash,
                "last_recorded_at": head.last_recorded_at,
            }
            if self._stored_size == 0:
                self.connection.execute(insert(ledger_head).values(id=1, **values))
            else:
                self.connection.execute(update(ledger_head).where(ledger_head.c.id == 1).values(**values))
            self._stored_size = head.size
            self._entries, self._nodes = [], []
        return head


class Ledger:
    """The tamper-evident ledger over one database and one signing key."""

    def __init__(
        self,
        database: Database,
        signer: NoteSigner,
        *,
        policy: CheckpointPolicy | None = None,
        publisher: CheckpointPublisher | None = None,
        alarm: IntegrityAlarm | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.database = database
        self.signer = signer
        self.origin = signer.name
        self.policy = policy or CheckpointPolicy()
        self.publisher = publisher
        self.clock = clock or SystemClock()
        self.alarm = alarm or IntegrityAlarm(None, self.clock)

    def alarm_and_raise(self, reason: str) -> None:
        """Trip the integrity alarm and abort the current action."""
        integrity.alarm_and_raise(self.alarm, reason)

    @contextmanager
    def transaction(self) -> Iterator[LedgerTransaction]:
        """A write transaction for business writes plus appends; refused while alarmed."""
        self.alarm.raise_if_set()
        signed: SignedCheckpoint | None = None
        with self.database.write() as connection:
            tx = LedgerTransaction(self, connection)
            yield tx
            head = tx.flush()
            last = self._last_checkpoint(connection)
            if self.policy.due(head.size, last, self.clock.now()):
                signed = self._sign(connection, head, last, full_audit=False)
        if signed is not None:
            self._publish(signed)

    def append(self, event: AuditEvent) -> Receipt:
        """Append one event in a transaction of its own."""
        with self.transaction() as tx:
            return tx.append(event)

    def publish_pending(self) -> SignedCheckpoint | None:
        """Publish the newest stored checkpoint if a crash kept it from being published."""
        if self.publisher is None:
            return None
        with self.database.read() as connection:
            row = connection.execute(
                select(ledger_checkpoint).order_by(ledger_checkpoint.c.tree_size.desc()).limit(1)
            ).one_or_none()
        published = self.publisher.latest()
        if row is None or (published is not None and published.size >= row.tree_size):
            return None
        newest = SignedCheckpoint(row.tree_size, bytes(row.root_hash), row.note, row.signed_at)
        self._publish(newest)
        return newest

    def checkpoint(self, *, full_audit: bool = True) -> SignedCheckpoint:
        """Sign a checkpoint now (on demand), after checking all of history by default."""
        self.alarm.raise_if_set()
        self.publish_pending()
        with self.database.write() as connection:
            head = LedgerTransaction(self, connection).head
            last = self._last_checkpoint(connection)
            if last is not None and last.size == head.size and not full_audit:
                return last
            signed = self._sign(connection, head, last, full_audit=full_audit)
        self._publish(signed)
        return signed

    def checkpoint_if_due(self) -> SignedCheckpoint | None:
        """Sign if the policy says so (call periodically so idle logs still get checkpoints)."""
        self.alarm.raise_if_set()
        self.publish_pending()
        with self.database.write() as connection:
            head = LedgerTransaction(self, connection).head
            last = self._last_checkpoint(connection)
            if not self.policy.due(head.size, last, self.clock.now()):
                return None
            signed = self._sign(connection, head, last, full_audit=False)
        self._publish(signed)
        return signed

    def _sign(
        self, connection: Connection, head: Head, last: SignedCheckpoint | None, *, full_audit: bool
    ) -> SignedCheckpoint:
        if last is not None and last.size == head.size and not full_audit:
            return last
        if full_audit:
            report = self._audit(connection, head)
            if not report.ok:
                first = report.failures[0]
                self.alarm_and_raise(f"refusing to sign: {first['check']}: {first['message']}")
        else:
            integrity.check_extension(connection, node_lookup(connection), last, head, self.alarm)
        if last is not None and last.size == head.size:
            return last
        note = self.signer.sign_checkpoint(head.size, head.root)
        signed = SignedCheckpoint(head.size, head.root, note, format_timestamp(self.clock.now()))
        connection.execute(
            insert(ledger_checkpoint).values(
                tree_size=signed.size,
                root_hash=signed.root,
                note=signed.note,
                signed_at=signed.signed_at,
            )
        )
        return signed

    def _publish(self, checkpoint: SignedCheckpoint) -> None:
        if self.publisher is None:
            return
        try:
            self.publisher.publish(checkpoint)
        except OSError as exc:
            logger.error("checkpoint %d signed but not published: %s", checkpoint.size, exc)

    def _last_checkpoint(self, connection: Connection) -> SignedCheckpoint | None:
        published = self.publisher.latest() if self.publisher is not None else None
        return integrity.last_checkpoint(connection, self.signer.verifier_key, published, self.alarm)

    def _audit(self, connection: Connection, head: Head) -> Report:
        published = self.publisher.latest_note() if self.publisher is not None else None
        return integrity.full_audit(
            connection, node_lookup(connection), head, self.signer.verifier_key, published
        )

    def audit(self) -> Report:
        """Re-verify the whole stored log, as an auditor would, without writing anything."""
        with self.database.read() as connection:
            return self._audit(connection, read_head(connection))

    def head(self) -> Head:
        """The current head."""
        with self.database.read() as connection:
            return read_head(connection)

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint ever signed, oldest first."""
        with self.database.read() as connection:
            rows = connection.execute(select(ledger_checkpoint).order_by(ledger_checkpoint.c.tree_size))
            return [SignedCheckpoint(r.tree_size, bytes(r.root_hash), r.note, r.signed_at) for r in rows]

    def checkpoint_covering(self, seq: int) -> SignedCheckpoint | None:
        """The newest signed checkpoint that includes entry ``seq``, if any."""
        with self.database.read() as connection:
            row = connection.execute(
                select(ledger_checkpoint)
                .where(ledger_checkpoint.c.tree_size > seq)
                .order_by(ledger_checkpoint.c.tree_size.desc())
                .limit(1)
            ).one_or_none()
        if row is None:
            return None
        return SignedCheckpoint(row.tree_size, bytes(row.root_hash), row.note, row.signed_at)

    def leaf(self, seq: int) -> bytes:
        """The exact leaf bytes of ``seq``."""
        with self.database.read() as connection:
            value = connection.execute(
                select(ledger_entry.c.leaf).where(ledger_entry.c.seq == seq)
            ).scalar_one_or_none()
        if value is None:
            raise LedgerError(f"the ledger has no entry {seq}")
        return bytes(value)

    def root(self, size: int) -> bytes:
        """The root of the tree over the first ``size`` entries."""
        if size == 0:
            return EMPTY_ROOT
        with self.database.read() as connection:
            self._require_size(connection, size)
            return range_hashes([(0, size)], node_lookup(connection))[0]

    def inclusion_proof(self, seq: int, size: int) -> list[bytes]:
        """Audit path for entry ``seq`` in the tree of ``size`` entries."""
        with self.database.read() as connection:
            self._require_size(connection, size)
            return range_hashes(inclusion_ranges(seq, size), node_lookup(connection))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Proof that the tree of ``old_size`` entries is a prefix of that of ``new_size``."""
        with self.database.read() as connection:
            self._require_size(connection, new_size)
            return range_hashes(consistency_ranges(old_size, new_size), node_lookup(connection))

    @staticmethod
    def _require_size(connection: Connection, size: int) -> None:
        current = read_head(connection).size
        if not 0 <= size <= current:
            raise LedgerError(f"the ledger has {current} entries, not {size}")
