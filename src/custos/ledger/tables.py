"""Ledger tables (ledger-and-security.md section 5.2).

``ledger_entry``, ``ledger_node`` and ``ledger_checkpoint`` only ever grow:
triggers that the migrations create abort any UPDATE, DELETE or TRUNCATE, and
an INSERT into ``ledger_entry`` must take the next seq (on PostgreSQL the
application role moreover holds only SELECT and INSERT on them; see
:mod:`custos.storage.postgres`).  ``ledger_head`` is a cache that the append protocol
updates and locks; nothing trusts it without checking it against the nodes.
Triggers are defence in depth only: the verifier is the control, because
whoever owns the database file can drop a trigger.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from custos.storage.schema import metadata

ledger_entry = Table(
    "ledger_entry",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("recorded_at", String(24), nullable=False),
    CheckConstraint("seq >= 0", name="ledger_entry_seq_nonnegative"),
    CheckConstraint("length(leaf_hash) = 32", name="ledger_entry_hash_size"),
)

ledger_node = Table(
    "ledger_node",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
    CheckConstraint("length(hash) = 32", name="ledger_node_hash_size"),
)

ledger_checkpoint = Table(
    "ledger_checkpoint",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(24), nullable=False),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary, nullable=False),
    Column("last_leaf_hash", LargeBinary, nullable=True),
    Column("last_recorded_at", String(24), nullable=False),
    CheckConstraint("id = 1", name="ledger_head_single_row"),
)
