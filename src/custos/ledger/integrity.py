"""Checks the ledger makes on its own stored history before it signs anything.

A log must never sign a checkpoint inconsistent with one it signed before
(c2sp.org/tlog-checkpoint).  Stored nodes could have been rewritten along with
the leaves, so these checks recompute from leaf bytes:

* :func:`check_extension` (every automatic checkpoint, cost proportional to
  the entries since the last one): the stored perfect subtrees of the last
  signed tree fold to its signed root; every newer leaf hashes to its stored
  hash; extending the signed subtrees with those leaf hashes gives the head
  root; and a consistency proof built from the stored nodes verifies.
* :func:`full_audit` (on-demand checkpoints, exports, ``custos ledger
  audit``): the auditor's own verifier run over every stored leaf and
  checkpoint, with the published checkpoint as the retained view.

Any failure trips the alarm: the ledger turns read-only and the action that
asked for the check is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from sqlalchemy import Connection, select

from custos.errors import LedgerIntegrityError
from custos.ledger.merkle import NodeId, consistency_ranges, fold, perfect_subtrees, range_hashes
from custos.ledger.models import Head, SignedCheckpoint
from custos.ledger.publish import IntegrityAlarm
from custos.ledger.tables import ledger_checkpoint, ledger_entry
from custos.ledger.verifier import (
    ParseError,
    Report,
    RootAccumulator,
    VerificationError,
    VerifierKey,
    leaf_hash,
    verify_checkpoint,
    verify_consistency,
    verify_log,
)

NodeLookup = Callable[[Iterable[NodeId]], Mapping[NodeId, bytes]]


def alarm_and_raise(alarm: IntegrityAlarm, reason: str) -> None:
    """Trip the alarm, then abort with LedgerIntegrityError."""
    alarm.trip(reason)
    raise LedgerIntegrityError(f"ledger integrity alarm: {reason}; the ledger is now read-only")


def last_checkpoint(
    connection: Connection,
    key: VerifierKey,
    published: SignedCheckpoint | None,
    alarm: IntegrityAlarm,
) -> SignedCheckpoint | None:
    """The newest stored checkpoint, after checking its signature and the published copy."""
    row = connection.execute(
        select(ledger_checkpoint).order_by(ledger_checkpoint.c.tree_size.desc()).limit(1)
    ).one_or_none()
    stored = None
    if row is not None:
        try:
            body = verify_checkpoint(row.note, [key], key.name)
        except (ParseError, VerificationError) as exc:
            alarm_and_raise(alarm, f"stored checkpoint {row.tree_size} does not verify: {exc}")
        if (body.size, body.root) != (row.tree_size, bytes(row.root_hash)):
            alarm_and_raise(alarm, f"stored checkpoint {row.tree_size} differs from its signed note")
        stored = SignedCheckpoint(row.tree_size, bytes(row.root_hash), row.note, row.signed_at)
    if published is not None:
        if stored is None or published.size > stored.size:
            alarm_and_raise(
                alarm,
                f"checkpoint {published.size} was published but the database's newest is "
                f"{stored.size if stored else 'none'}: the database was rolled back or truncated",
            )
        elif published.size == stored.size and published.root != stored.root:
            alarm_and_raise(alarm, f"the published checkpoint {published.size} has another root")
    return stored


def check_extension(
    connection: Connection,
    lookup: NodeLookup,
    last: SignedCheckpoint | None,
    head: Head,
    alarm: IntegrityAlarm,
) -> None:
    """Check, from leaf bytes, that ``head`` extends the last signed checkpoint."""
    old_size = last.size if last is not None else 0
    if head.size < old_size:
        alarm_and_raise(alarm, f"the log has {head.size} entries, fewer than checkpoint {old_size}")
    nodes = perfect_subtrees(0, old_size)
    found = lookup(nodes)
    subtrees = [(1 << n.level, found[n]) for n in nodes if n in found]
    if last is not None and (len(subtrees) != len(nodes) or fold([h for _, h in subtrees]) != last.root):
        alarm_and_raise(alarm, f"stored nodes no longer give the signed root at size {old_size}")
    tree = RootAccumulator(subtrees)
    rows = connection.execute(
        select(ledger_entry.c.seq, ledger_entry.c.leaf, ledger_entry.c.leaf_hash)
        .where(ledger_entry.c.seq >= old_size)
        .order_by(ledger_entry.c.seq)
    )
    for seq, leaf, stored_hash in rows:
        computed = leaf_hash(bytes(leaf))
        if seq != tree.size or computed != bytes(stored_hash):
            alarm_and_raise(alarm, f"entry {seq} does not match its stored hash or position")
        tree.append(computed)
    if tree.size != head.size or tree.root() != head.root:
        alarm_and_raise(alarm, f"recomputed root at size {head.size} differs from the stored head")
    if last is not None and old_size < head.size:
        proof = range_hashes(consistency_ranges(old_size, head.size), lookup)
        try:
            verify_consistency(old_size, head.size, proof, last.root, head.root)
        except VerificationError as exc:
            alarm_and_raise(alarm, f"no consistency from checkpoint {old_size}: {exc}")


LEAF_PAGE = 10_000


def leaves_in_order(connection: Connection) -> Iterator[bytes]:
    """Every leaf by seq, streamed in pages: memory stays flat however long the ledger is.

    A plain query would make psycopg fetch the whole result before the first row
    (766 MiB for 392,219 entries); a server-side cursor keeps it to one page.
    """
    # Options on the statement: set on the connection they would stick to its later statements.
    query = select(ledger_entry.c.leaf).order_by(ledger_entry.c.seq)
    rows = connection.execute(query.execution_options(stream_results=True, yield_per=LEAF_PAGE))
    for (leaf,) in rows:
        yield bytes(leaf)


def full_audit(
    connection: Connection,
    lookup: NodeLookup,
    head: Head,
    key: VerifierKey,
    published_note: str | None,
) -> Report:
    """Run the auditor's verifier over the stored log; also compare the head and nodes."""
    notes = {
        f"{size}.checkpoint": note
        for size, note in connection.execute(select(ledger_checkpoint.c.tree_size, ledger_checkpoint.c.note))
    }
    try:
        report = verify_log(
            leaves_in_order(connection), notes, [key], key.name, published_note, allow_unsigned_tail=True
        )
    except (ParseError, VerificationError) as exc:
        report = Report(mode="database")
        report.fail("published_checkpoint", f"the published checkpoint does not verify: {exc}")
        return report
    report.mode = "database"
    if report.entries != head.size or report.root != head.root.hex():
        report.fail(
            "head", f"stored head (size {head.size}) differs from the recomputed tree (size {report.entries})"
        )
    elif head.size and range_hashes([(0, head.size)], lookup)[0] != head.root:
        report.fail("nodes", "stored tree nodes differ from the recomputed tree")
    if not notes:
        report.failures[:] = [f for f in report.failures if f["check"] != "no_checkpoint"]
    return report
