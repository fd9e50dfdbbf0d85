"""Every table of custos (schema 4 of the pre-Alembic releases) and the ledger's triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

The ledger tables only ever grow.  On both dialects a trigger aborts any
UPDATE or DELETE of ``ledger_entry``, ``ledger_node`` and
``ledger_checkpoint``, and an INSERT into ``ledger_entry`` must take the next
seq.  PostgreSQL also gets a statement-level trigger refusing TRUNCATE, which
row triggers never see.  The triggers are defence in depth; the control is the
verifier, and on PostgreSQL the application role's missing privileges.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "agreement_approval",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("approver", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.String(length=24), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("agreement_id", "version", "approver", name="agreement_approval_once"),
    )
    op.create_table(
        "agreement_version",
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.String(length=24), nullable=False),
        sa.Column("loaded_by", sa.Text(), nullable=False),
        sa.Column("activated_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("agreement_id", "version"),
    )
    op.create_table(
        "batch",
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.String(length=24), nullable=False),
        sa.Column("batch_digest", sa.String(length=80), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("rejection_code", sa.String(length=48), nullable=True),
        sa.Column("legal_review_hold", sa.Boolean(), nullable=False),
        sa.Column("snapshot_id", sa.String(length=80), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_role", sa.Text(), nullable=True),
        sa.Column("delegation_ref", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.String(length=24), nullable=True),
        sa.Column("released_at", sa.String(length=24), nullable=True),
        sa.Column("notice_until", sa.String(length=24), nullable=True),
        sa.Column("received_seq", sa.BigInteger(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_table(
        "confidential_payload",
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("retain_until", sa.String(length=24), nullable=False),
        sa.Column("shredded_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("commitment"),
    )
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("last_seen_at", sa.String(length=24), nullable=False),
        sa.Column("ended_at", sa.String(length=24), nullable=True),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "console_user",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("disabled_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "disposal_request",
        sa.Column("request_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recall_id", sa.String(length=40), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("cases", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.String(length=24), nullable=False),
        sa.Column("acknowledged_at", sa.String(length=24), nullable=True),
        sa.Column("certified_at", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "envelope_nonce",
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_table(
        "hold_release_proposal",
        sa.Column("hold_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_table(
        "incident",
        sa.Column("incident_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recall_id", sa.String(length=40), nullable=True),
        sa.Column("case_number", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("disclosed_seq", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
        sa.UniqueConstraint("recall_id", "case_number", name="incident_once_per_recall"),
    )
    op.create_table(
        "key_revocation",
        sa.Column("key_fingerprint", sa.String(length=80), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.String(length=24), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_fingerprint"),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.String(length=24), nullable=False),
        sa.CheckConstraint("length(leaf_hash) = 32", name="ledger_entry_hash_size"),
        sa.CheckConstraint("seq >= 0", name="ledger_entry_seq_nonnegative"),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("last_leaf_hash", sa.LargeBinary(), nullable=True),
        sa.Column("last_recorded_at", sa.String(length=24), nullable=False),
        sa.CheckConstraint("id = 1", name="ledger_head_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ledger_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("length(hash) = 32", name="ledger_node_hash_size"),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "legal_hold",
        sa.Column("hold_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("court", sa.Text(), nullable=False),
        sa.Column("docket", sa.Text(), nullable=False),
        sa.Column("order_date", sa.String(length=10), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=False),
        sa.Column("set_at", sa.String(length=24), nullable=False),
        sa.Column("released_at", sa.String(length=24), nullable=True),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_table(
        "recipient_safeguards",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("spr_date", sa.String(length=10), nullable=False),
        sa.Column("open_findings", sa.Integer(), nullable=False),
        sa.Column("cap_approved", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("agency_code"),
    )
    op.create_table(
        "request_nonce",
        sa.Column("keyid", sa.String(length=140), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("keyid", "nonce"),
    )
    op.create_table(
        "screen_flag",
        sa.Column("tin_commitment", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.String(length=24), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tin_commitment"),
    )
    op.create_table(
        "transmission",
        sa.Column("transmission_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.String(length=24), nullable=False),
        sa.Column("sent_seq", sa.BigInteger(), nullable=False),
        sa.Column("ack_due_at", sa.String(length=24), nullable=False),
        sa.Column("acknowledged_at", sa.String(length=24), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=140), nullable=True),
        sa.Column("storage_location", sa.Text(), nullable=True),
        sa.Column("ack_seq", sa.BigInteger(), nullable=True),
        sa.Column("incident_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("transmission_id"),
    )
    op.create_table(
        "case_record",
        sa.Column("case_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("payload_commitment", sa.String(length=80), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("internal_code", sa.String(length=48), nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=True),
        sa.Column("taxpayer_id", sa.Integer(), nullable=True),
        sa.Column("tin_commitment", sa.String(length=80), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.Column("reason_key", sa.String(length=64), nullable=True),
        sa.Column("investigation_key", sa.String(length=64), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=True),
        sa.Column("validated_seq", sa.BigInteger(), nullable=False),
        sa.Column("decided_seq", sa.BigInteger(), nullable=True),
        sa.Column("disclosed_seq", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch.batch_id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("batch_id", "row_number", name="case_record_row_once"),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index("case_record_batch", ["batch_id", "case_id"], unique=False)
        batch_op.create_index("case_record_dedupe", ["dedupe_key"], unique=False)
    _append_only_triggers(op.get_bind().dialect.name)


APPEND_ONLY = ("ledger_entry", "ledger_node", "ledger_checkpoint")


def _append_only_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
        op.execute(
            "CREATE TRIGGER ledger_entry_next_seq BEFORE INSERT ON ledger_entry "
            "WHEN NEW.seq != (SELECT COALESCE(MAX(seq), -1) + 1 FROM ledger_entry) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_entry: seq must be the next in sequence'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION custos_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE FUNCTION custos_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.seq <> (SELECT COALESCE(MAX(seq), -1) + 1 FROM ledger_entry) THEN "
            "RAISE EXCEPTION 'ledger_entry: seq must be the next in sequence' "
            "USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION custos_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION custos_append_only()"
            )
        op.execute(
            "CREATE TRIGGER ledger_entry_next_seq BEFORE INSERT ON ledger_entry "
            "FOR EACH ROW EXECUTE FUNCTION custos_next_seq()"
        )
    else:
        raise NotImplementedError(f"custos has no append-only triggers for {dialect}")


def downgrade() -> None:
    """Custos migrations go forward only: the ledger tables are append-only."""
    raise NotImplementedError("custos does not downgrade a schema")
