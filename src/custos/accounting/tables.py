"""State tables of agreements, holds, batches and cases.

These hold the working state; the ledger holds the accountable history.  No
confidential value lives here: request records are kept in the confidential
store and referenced by commitment, and a case names its taxpayer by the
master index's internal id, never by TIN or name.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from custos.storage.schema import metadata

agreement_version = Table(
    "agreement_version",
    metadata,
    Column("agreement_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("digest", String(80), nullable=False),
    Column("status", String(16), nullable=False),  # draft | active | superseded | suspended
    Column("spec_json", Text, nullable=False),
    Column("loaded_at", String(24), nullable=False),
    Column("loaded_by", Text, nullable=False),
    Column("activated_at", String(24)),
)

agreement_approval = Table(
    "agreement_approval",
    metadata,
    Column("agreement_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(80), nullable=False),
    Column("approver", Text, nullable=False),
    Column("approved_at", String(24), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
    UniqueConstraint("agreement_id", "version", "approver", name="agreement_approval_once"),
)

envelope_nonce = Table(
    "envelope_nonce",
    metadata,
    Column("nonce", String(128), primary_key=True),
    Column("signer", String(64), nullable=False),
    Column("agreement_id", String(64), nullable=False),
    Column("seen_at", String(24), nullable=False),
)

request_nonce = Table(
    "request_nonce",
    metadata,
    # RFC 9421 replay table (ledger-and-security.md section 2.3): one row per accepted HTTP signature,
    # written in the transaction of the request's ledger entry.
    Column("keyid", String(140), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("created", BigInteger, nullable=False),  # the signature's created time, Unix seconds
    Column("seen_at", String(24), nullable=False),
)

key_revocation = Table(
    "key_revocation",
    metadata,
    # A signer key withdrawn before its agreement ends (lost card, departed official).  Keyed by the
    # public key's fingerprint, so a revoked key stays revoked in every agreement version naming it.
    Column("key_fingerprint", String(80), primary_key=True),
    Column("agreement_id", String(64), nullable=False),
    Column("signer", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("revoked_by", Text, nullable=False),
    Column("revoked_at", String(24), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

legal_hold = Table(
    "legal_hold",
    metadata,
    Column("hold_id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(64), nullable=False),  # "global" or an agreement id
    Column("court", Text, nullable=False),
    Column("docket", Text, nullable=False),
    Column("order_date", String(10), nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", String(24), nullable=False),
    Column("released_at", String(24)),
    Column("released_by", Text),  # two approvers, "a;b"
)

screen_flag = Table(
    "screen_flag",
    metadata,
    Column("tin_commitment", String(80), primary_key=True),  # HMAC of the TIN, never the TIN
    Column("kind", String(32), nullable=False),  # confidential_informant | tax_investigation
    Column("added_at", String(24), nullable=False),
    Column("added_by", Text, nullable=False),
)

batch = Table(
    "batch",
    metadata,
    Column("batch_id", String(40), primary_key=True),
    Column("agreement_id", String(64), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("signer", String(64), nullable=False),
    Column("received_at", String(24), nullable=False),
    Column("batch_digest", String(80), nullable=False),
    Column("file_format", String(8), nullable=False),
    Column("record_count", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("rejection_code", String(48)),
    Column("legal_review_hold", Boolean, nullable=False, default=False),
    Column("snapshot_id", String(80)),
    Column("approved_by", Text),
    Column("approved_role", Text),
    Column("delegation_ref", Text),
    Column("approved_at", String(24)),
    Column("released_at", String(24)),
    Column("notice_until", String(24)),  # R7: a bulk release waits until then
    Column("received_seq", BigInteger, nullable=False),
    # Where the batch file is while it is being processed (an API upload's spool file), so a
    # batch interrupted by a crash can be resumed from it; cleared when processing ends.
    Column("source_path", Text),
    Column("stage", String(16), nullable=False, default="accepted"),  # accepted | checked (batch rules ran)
    Column("claimed_by", String(160)),  # the process working on it (custos.accounting.claims)
)

recipient_safeguards = Table(
    "recipient_safeguards",
    metadata,
    Column("agency_code", String(16), primary_key=True),
    Column("spr_date", String(10), nullable=False),  # latest Safeguard Procedures Report
    Column("open_findings", Integer, nullable=False),
    Column("cap_approved", Boolean, nullable=False),  # corrective action plan with implementation dates
    Column("updated_by", Text, nullable=False),
    Column("updated_at", String(24), nullable=False),
)

disposal_request = Table(
    "disposal_request",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("recall_id", String(40), nullable=False),
    Column("agency_code", String(64), nullable=False),
    Column("cases", Text, nullable=False),  # case numbers, ";"-joined
    Column("created_at", String(24), nullable=False),
    Column("due_at", String(24), nullable=False),
    Column("acknowledged_at", String(24)),
    Column("certified_at", String(24)),
)

transmission = Table(
    "transmission",
    metadata,
    # One delivered results file (R38-R41): the manifest is in the ledger entry ``sent_seq``; the
    # recipient's signed acknowledgement of receipt and storage location is due by ``ack_due_at``.
    Column("transmission_id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(40), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("agency_code", String(64), nullable=False),
    Column("digest", String(80), nullable=False),
    Column("records", Integer, nullable=False),
    Column("sent_at", String(24), nullable=False),
    Column("sent_seq", BigInteger, nullable=False),
    Column("ack_due_at", String(24), nullable=False),
    Column("acknowledged_at", String(24)),
    Column("acknowledged_by", String(140)),
    Column("storage_location", Text),
    Column("ack_seq", BigInteger),
    Column("incident_seq", BigInteger),  # R41: the incident raised when the acknowledgement is overdue
)

incident = Table(
    "incident",
    metadata,
    # An unauthorized or defective disclosure, counted per act (R56): one row per affected case.
    Column("incident_id", Integer, primary_key=True, autoincrement=True),
    Column("recall_id", String(40)),
    Column("case_number", String(16), nullable=False),
    Column("agency_code", String(64), nullable=False),
    Column("disclosed_seq", BigInteger, nullable=False),
    Column("opened_at", String(24), nullable=False),
    UniqueConstraint("recall_id", "case_number", name="incident_once_per_recall"),
)

case_record = Table(
    "case_record",
    metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(40), ForeignKey("batch.batch_id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("record_id", String(64), nullable=False),  # the requester's reference, as submitted (truncated)
    Column("payload_commitment", String(80)),  # the request record in the confidential store
    Column("stage", String(16), nullable=False),  # validated | decided | released
    Column("internal_code", String(48), nullable=False),
    Column("reason", String(48)),  # the matching engine's reason, when it ran
    Column("taxpayer_id", Integer),  # the master index's internal id of the confirmed taxpayer
    Column("tin_commitment", String(80)),  # keyed hash of that taxpayer's TIN, for the screen at release
    Column("dedupe_key", String(64)),
    Column("reason_key", String(64)),
    Column("investigation_key", String(64)),
    Column("recipients", Text),
    Column("validated_seq", BigInteger, nullable=False),
    Column("decided_seq", BigInteger),
    Column("disclosed_seq", BigInteger),
    Column("reviewed_seq", BigInteger),  # the review.completed entry of a held record (R65)
    UniqueConstraint("batch_id", "row_number", name="case_record_row_once"),
)
Index("case_record_batch", case_record.c.batch_id, case_record.c.case_id)
Index("case_record_dedupe", case_record.c.dedupe_key)


def case_number(case_id: int) -> str:
    """The persistent case number of a case row (R64)."""
    return f"C{case_id:010d}"


MAX_CASE_ID = 2**31 - 1
"""case_id is a 32-bit integer on every backend (about 1,650 batches of 1.3 million records)."""


def case_id_of(number: str) -> int | None:
    """The row id of a case number, or None when it is not one (or beyond any stored case)."""
    if len(number) == 11 and number[0] == "C" and number[1:].isdigit() and int(number[1:]) <= MAX_CASE_ID:
        return int(number[1:])
    return None
