"""Console accounts, sessions and the working state of the disclosure lifecycle.

Passwords are kept as scrypt hashes and session tokens as SHA-256 digests, so a
copy of the database opens no account and no session.  The lifecycle tables hold
state only; the history of every change is in the ledger.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from custos.storage.schema import metadata

console_user = Table(
    "console_user",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("roles", Text, nullable=False),  # ";"-joined custos.console.roles.Role values
    Column("password_hash", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", String(24)),
    Column("created_at", String(24), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("disabled_at", String(24)),
)

console_session = Table(
    "console_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(24), nullable=False),
    Column("last_seen_at", String(24), nullable=False),
    Column("ended_at", String(24)),
    Column("source_ip", String(64)),
)

hold_release_proposal = Table(
    "hold_release_proposal",
    metadata,
    # The first of the two approvers a hold's release needs (R6); the second completes it.
    Column("hold_id", Integer, primary_key=True, autoincrement=False),
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at", String(24), nullable=False),
    Column("reason", Text, nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)
