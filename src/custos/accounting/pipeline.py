"""The one decision pipeline: admit, validate, match, decide, hold for approval.

Every way a request reaches a response (the CLI today, the API next) calls
:meth:`DecisionPipeline.submit`, so every record passes the same checks in the
same order; the real program's two pipelines checked different things (F4).

1. **Admit** (:mod:`custos.accounting.admission`): signer, signature, agreement,
   replay, file, size.  A refusal writes one ledger event and creates nothing.
2. **Accept**: the batch row, the consumed nonce and ``request.received`` commit together.
3. **Validate** each record against :func:`custos.policy.record_rules.record_policy`
   in chunks: a case with a persistent number, the record in the confidential
   store, and a ``record.validated`` event holding every rule's result (R32).
   A legal hold in force when a chunk starts blocks every record of it (R5).
4. **Batch rules**: the defect share (R9), repeated reasons (R18), one officer on
   too many investigations (R22), duplicates within and across pending batches (R24).
5. **Match** the records still standing, through the matching engine, then the
   TIN check (R28), the (i)(6) screen (R25), the address gate (R27) and
   exact-or-review (R29); each record gets one ``decision.made`` event referring to
   its validation.
6. The batch waits for a delegated official's approval (:mod:`custos.accounting.release`).

A failure of the ledger aborts the transaction it is in, so no case or decision
exists that the ledger does not hold.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from custos.accounting.admission import Admitted, admit, consume_nonce, official, reject
from custos.accounting.claims import process_token
from custos.accounting.decide import final_outcome
from custos.accounting.screen import screen_key, screened, tin_commitment
from custos.accounting.tables import batch, case_number, case_record
from custos.accounting.transport import SignedRequest, is_replay
from custos.errors import IntakeError, PipelineError, StorageError
from custos.intake.envelope import Envelope
from custos.intake.parse import BatchFile, BatchFileError, RequestRow, iter_rows, open_batch
from custos.ledger.events import Actor, AuditEvent, Authorization, EventType, ObjectRef, Outcome
from custos.ledger.models import format_timestamp
from custos.ledger.service import LedgerTransaction
from custos.matching.batch import BatchMatcher, SharedIndex
from custos.matching.models import ENGINE_VERSION, Decision
from custos.policy.agreement import REQUIRED_ELEMENTS, AgreementSpec
from custos.policy.codes import response_code
from custos.policy.record_rules import RecordContext, recipients, record_policy
from custos.policy.store import POLICY_VERSION, get_agreement, hold_in_force
from custos.runtime import Runtime
from custos.standardize.models import NORMALIZER_VERSION
from custos.standardize.names import fold

VALID = "VALID"  # a record that passed validation and waits for matching
CHUNK = 500  # records per write transaction
MATCH_PAGE = 10_000  # records per matching page: each page costs one scan of the index's street keys
SMALL_BATCH = 1_000  # up to this many records, a server's shared index decides in-process
PIPELINE = Actor.system("pipeline")
# R24: the same person at the same address for the same investigation is a duplicate.
DEDUPE_FIELDS = ("given_name", "surname", "address_line1", "address_line2", "zip", "investigation_id")


@dataclass
class _BatchState:
    """What the steps need about one batch, rebuilt from the database (so a crash can resume it).

    The batch rules need keys, not values: dedupe, reason and investigation keys per case.
    """

    batch_id: str
    agreement: AgreementSpec
    batch_file: BatchFile
    legal_review_hold: bool
    checked: bool = False  # the batch rules ran (their event is in the ledger)
    rejected: bool = False  # ... and rejected the whole batch (R9)
    case_ids: dict[int, int] = field(default_factory=dict)  # row number -> case id
    validated_seq: dict[int, int] = field(default_factory=dict)  # case id -> seq
    codes: dict[int, str] = field(default_factory=dict)  # case id -> internal code so far
    dedupe: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    engagements: dict[int, tuple[str, list[str]]] = field(default_factory=dict)  # investigation key, officers
    decided: set[int] = field(default_factory=set)  # case ids with their decision event written


@dataclass(frozen=True, slots=True)
class _Checked:
    """One record with its validation result, waiting to be stored with the rest of its chunk."""

    row: RequestRow
    code: str
    findings: list[tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class Accepted:
    """A submission admitted and recorded; its records are processed next."""

    batch_id: str
    record_count: int
    received_seq: int


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a submission came to."""

    batch_id: str
    status: str
    records: int
    by_code: dict[str, int]
    rejection_code: str | None = None


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _finding_details(findings: Sequence[tuple[str, str | None]]) -> dict[str, str]:
    return {rule.lower(): code or "pass" for rule, code in findings}


class DecisionPipeline:
    """Runs submissions through every step against one installation and master index."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        index_path: Path | None = None,
        workers: int | None = None,
        shared_index: SharedIndex | None = None,
    ) -> None:
        self.runtime = runtime
        self.ledger = runtime.ledger
        settings = runtime.settings
        self.index_path = index_path or settings.path(settings.master_index)
        self.workers = workers or settings.match_workers
        self.policy = record_policy()
        self.shared_index = shared_index  # kept open by a server for lookups and small batches
        self._screen_key_path = settings.path(settings.screen_key_file)

    # --- 1-2: admit and accept -------------------------------------------------------------------------

    def submit(
        self, batch_path: Path, envelope: Envelope, transport: SignedRequest | None = None
    ) -> BatchSummary:
        """Run one signed batch through the pipeline up to the approval hold."""
        return self.process(self.accept(batch_path, envelope, transport).batch_id)

    def accept(
        self, batch_path: Path, envelope: Envelope, transport: SignedRequest | None = None
    ) -> Accepted:
        """Admit a submission and record it (steps 1-2); :meth:`process` does the rest.

        The file must stay where it is until processing ends: an interrupted batch resumes from it.
        """
        admitted = admit(self.ledger, batch_path, envelope, transport)
        envelope = admitted.envelope
        now = self.ledger.clock.now()
        batch_id = f"B{now:%Y%m%d}-{secrets.token_hex(4)}"
        signer = admitted.signer
        held = not signer.agency_head and signer.legal_review is None  # R2
        try:
            with self.ledger.transaction() as tx:
                consume_nonce(tx.connection, envelope, self.ledger)
                if transport is not None:
                    transport.consume(tx)
                seq = tx.append(self._received_event(admitted, batch_id, held, transport)).seq
                tx.connection.execute(
                    insert(batch).values(
                        batch_id=batch_id, agreement_id=admitted.agreement.id,
                        agreement_version=admitted.agreement.version, signer=signer.id,
                        received_at=format_timestamp(now), batch_digest=envelope.batch_digest,
                        file_format=admitted.batch_file.format, record_count=admitted.record_count,
                        status="validating", legal_review_hold=held, received_seq=seq,
                        source_path=str(batch_path.resolve()), stage="accepted", claimed_by=process_token(),
                    )
                )  # fmt: skip
        except StorageError as exc:
            if not is_replay(exc):
                raise
            reject(self.ledger, envelope, "REJ_REPLAY", "this request's nonce was already used",
                   consume=False, transport=transport)  # fmt: skip
        return Accepted(batch_id, admitted.record_count, seq)

    def process(self, batch_id: str) -> BatchSummary:
        """Validate, check, match and decide an accepted batch, resuming where an earlier run stopped."""
        state = self._load(batch_id)
        try:
            if not state.checked:
                self._validate(state)
                state.rejected = self._batch_rules(state)
            if not state.rejected:
                self._match(state)
        except IntakeError as exc:  # the file changed or broke mid-read: fail it, keep what was accounted
            self._fail(state, str(exc))
            raise
        return self._finish(state)

    def _load(self, batch_id: str) -> _BatchState:
        with self.runtime.database.read() as connection:
            row = connection.execute(select(batch).where(batch.c.batch_id == batch_id)).one_or_none()
            if row is None or row.status != "validating":
                status = row.status if row else "unknown"
                raise PipelineError(f"batch {batch_id} is {status}, not in processing")
            agreement = get_agreement(connection, row.agreement_id, row.agreement_version).spec
            cases = connection.execute(
                select(case_record)
                .where(case_record.c.batch_id == batch_id)
                .order_by(case_record.c.row_number)
            ).all()
        batch_file = self._reopen(row)
        state = _BatchState(
            batch_id, agreement, batch_file, bool(row.legal_review_hold),
            checked=row.stage == "checked", rejected=row.rejection_code is not None,
        )  # fmt: skip
        for case in cases:
            state.case_ids[case.row_number] = case.case_id
            state.validated_seq[case.case_id] = case.validated_seq
            state.codes[case.case_id] = case.internal_code
            state.dedupe[case.case_id] = case.dedupe_key
            state.reasons[case.case_id] = case.reason_key
            officers = [officer for officer in (case.recipients or "").split(";") if officer]
            state.engagements[case.case_id] = (case.investigation_key, officers)
            if case.stage != "validated":
                state.decided.add(case.case_id)
        return state

    def _reopen(self, row: Any) -> BatchFile:
        """The batch file as accepted; a file that is gone or changed fails the batch (never guessed at)."""
        path = Path(row.source_path or "")
        try:
            opened = open_batch(path, required=REQUIRED_ELEMENTS, file_format=row.file_format)
        except (BatchFileError, OSError) as exc:
            opened = None
            why = f"the batch file is no longer readable: {exc}"
        if opened is not None and opened.digest == row.batch_digest:
            return opened
        if opened is not None:
            why = "the batch file changed after it was accepted"
        with self.ledger.transaction() as tx:
            self._mark_failed(tx, row.batch_id, why, accounted=-1)
        raise PipelineError(f"batch {row.batch_id} failed: {why}")

    def _fail(self, state: _BatchState, why: str) -> None:
        with self.ledger.transaction() as tx:
            self._mark_failed(tx, state.batch_id, why, accounted=len(state.codes))

    @staticmethod
    def _mark_failed(tx: LedgerTransaction, batch_id: str, why: str, *, accounted: int) -> None:
        tx.connection.execute(
            update(batch).where(batch.c.batch_id == batch_id).values(status="failed", source_path=None)
        )
        tx.append(
            AuditEvent(
                EventType.BATCH_VALIDATED, PIPELINE, "fail_batch", Outcome.FAILURE,
                object=ObjectRef("batch", batch_id), reason_code="BATCH_FAILED",
                details={"detail": why[:200], "records_accounted": accounted},
            )
        )  # fmt: skip

    @staticmethod
    def _received_event(
        admitted: Admitted, batch_id: str, held: bool, transport: SignedRequest | None
    ) -> AuditEvent:
        envelope, signer = admitted.envelope, admitted.signer
        lookup = transport is not None and transport.body_signed
        return AuditEvent(
            EventType.REQUEST_RECEIVED,
            transport.actor if transport else official(envelope, signer.agency),
            "lookup" if lookup else "submit_batch",
            Outcome.SUCCESS,
            object=ObjectRef("batch", batch_id, envelope.batch_digest),
            channel=transport.channel if transport else None,
            authz=Authorization(POLICY_VERSION, "R1-R4", "allow"),
            request_sig=transport.evidence if transport else None,
            client_created=envelope.created,
            # The envelope's fields and signature: an auditor rebuilds the signed bytes and re-verifies.
            details={
                "agreement_id": envelope.agreement_id, "agreement_version": envelope.agreement_version,
                "agreement_digest": admitted.agreement.digest, "record_count": admitted.record_count,
                "requester_code": admitted.agreement.parties.requester_code,
                "envelope_nonce": envelope.nonce, "envelope_created": envelope.created,
                "envelope_alg": envelope.alg,
                # A lookup's written request is its HTTP signature (request_sig); a batch's is its envelope.
                "envelope_signature": None if lookup else envelope.signature,
                "envelope_record_count": envelope.record_count, "batch_format": envelope.batch_format,
                "legal_review_hold": held,
            },
        )  # fmt: skip

    # --- 3: validate -----------------------------------------------------------------------------------

    def _chunks(self, state: _BatchState) -> Iterator[list[RequestRow]]:
        declared = state.agreement.data_elements
        names = declared.declared if declared is not None else ()
        page: list[RequestRow] = []
        for row in iter_rows(state.batch_file, declared=names):
            page.append(row)
            if len(page) >= CHUNK:
                yield page
                page = []
        if page:
            yield page

    def _validate(self, state: _BatchState) -> None:
        agreement = state.agreement
        received = self.ledger.clock.now().date()
        for chunk in self._chunks(state):
            rows = [row for row in chunk if row.number not in state.case_ids]  # stored before a crash
            if not rows:
                continue
            with self.ledger.transaction() as tx:
                hold = hold_in_force(tx.connection, agreement.id)
                checked = []
                for row in rows:
                    context = RecordContext(row.fields, agreement, received,
                                            tuple((d.field, d.code) for d in row.defects))  # fmt: skip
                    verdict = self.policy.check(context)
                    failure = verdict.first_failure
                    code = "BLOCKED_LEGAL_HOLD" if hold is not None else (failure.code if failure else VALID)
                    findings = [(f.rule, f.code) for f in verdict.findings]
                    checked.append(_Checked(row, code or VALID, findings))
                self._store_cases(tx, state, checked, hold)

    def _store_cases(
        self, tx: LedgerTransaction, state: _BatchState, checked: list[_Checked], hold: int | None
    ) -> None:
        """One chunk's cases, payloads and ``record.validated`` entries, in a few statements.

        Each case row carries the seq its entry will get: the entries are appended right
        after, in the same order and transaction, so the seq is known before the insert
        (checked on every append; a mismatch aborts the transaction).
        """
        payloads = [json.dumps(c.row.fields, sort_keys=True, ensure_ascii=False).encode() for c in checked]
        commitments = self.runtime.confidential.put_many(tx, "request_record", payloads)
        first_seq = tx.head.size
        rows: list[dict[str, object]] = []
        for offset, (item, commitment) in enumerate(zip(checked, commitments, strict=True)):
            fields = item.row.fields
            rows.append({
                "batch_id": state.batch_id, "row_number": item.row.number,
                "record_id": (fields.get("record_id") or "").strip()[:64], "payload_commitment": commitment,
                "stage": "validated", "internal_code": item.code,
                "dedupe_key": _key(*(fold(fields.get(name)) for name in DEDUPE_FIELDS)),
                "reason_key": _key(fold(fields.get("reason"))),
                "investigation_key": _key(fold(fields.get("investigation_id"))),
                "recipients": ";".join(recipients(fields.get("recipients") or "")),
                "validated_seq": first_seq + offset,
            })  # fmt: skip
        case_ids = (
            tx.connection.execute(
                insert(case_record).returning(case_record.c.case_id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
        for item, values, case_id in zip(checked, rows, case_ids, strict=True):
            details: dict[str, str | int | bool | None] = {
                "case": case_number(case_id),
                "row": item.row.number,
                "code": item.code,
            }
            details.update(_finding_details(item.findings))
            if hold is not None:
                details["legal_hold"] = hold
            valid = item.code == VALID
            seq = tx.append(
                AuditEvent(
                    EventType.RECORD_VALIDATED, PIPELINE, "validate_record",
                    Outcome.SUCCESS if valid else Outcome.DENIED,
                    object=ObjectRef("case", case_number(case_id), str(values["payload_commitment"])),
                    reason_code=None if valid else item.code,
                    authz=Authorization(POLICY_VERSION, "R10-R23,R67", "allow" if valid else "deny"),
                    details=details,
                )
            ).seq  # fmt: skip
            if seq != values["validated_seq"]:
                raise PipelineError(f"case {case_number(case_id)}: its entry got seq {seq}, "
                                    f"not {values['validated_seq']}")  # fmt: skip
            state.case_ids[item.row.number] = case_id
            state.validated_seq[case_id] = seq
            state.codes[case_id] = item.code
            state.dedupe[case_id] = str(values["dedupe_key"])
            state.reasons[case_id] = str(values["reason_key"])
            officers = [officer for officer in str(values["recipients"]).split(";") if officer]
            state.engagements[case_id] = (str(values["investigation_key"]), officers)

    # --- 4: batch rules --------------------------------------------------------------------------------

    def _batch_rules(self, state: _BatchState) -> bool:
        """Apply R9, R18, R22 and R24; True when the whole batch is rejected (R9)."""
        limits = state.agreement.limits
        total = len(state.codes)
        defective = sum(1 for code in state.codes.values() if code.startswith("REJ_"))
        rejected = total > 0 and defective / total > limits.batch_defect_share
        changes: dict[int, str] = {}
        with self.ledger.transaction() as tx:
            if rejected:
                changes = {cid: "REJ_BATCH_DEFECTIVE" for cid, code in state.codes.items() if code == VALID}
            else:
                changes = self._duplicates(tx, state)
                changes.update(self._nonspecific_reasons(state, limits.reason_repeat_limit, changes))
                changes.update(self._implausible_engagement(tx, state, limits.engagement_cap, changes))
            for case_id, code in changes.items():
                state.codes[case_id] = code
                tx.connection.execute(
                    update(case_record).where(case_record.c.case_id == case_id).values(internal_code=code)
                )
            tx.connection.execute(
                update(batch)
                .where(batch.c.batch_id == state.batch_id)
                .values(stage="checked", rejection_code="REJ_BATCH_DEFECTIVE" if rejected else None)
            )
            state.checked = True
            counts = Counter(state.codes.values())
            tx.append(
                AuditEvent(
                    EventType.BATCH_VALIDATED, PIPELINE, "validate_batch",
                    Outcome.DENIED if rejected else Outcome.SUCCESS,
                    object=ObjectRef("batch", state.batch_id),
                    reason_code="REJ_BATCH_DEFECTIVE" if rejected else None,
                    authz=Authorization(POLICY_VERSION, "R9,R18,R22,R24", "deny" if rejected else "allow"),
                    details={"records": total, "defective": defective, "valid": counts.get(VALID, 0),
                             "duplicates": counts.get("REJ_DUPLICATE", 0),
                             "nonspecific_reason": counts.get("HOLD_NONSPECIFIC_REASON", 0),
                             "engagement_implausible": counts.get("HOLD_ENGAGEMENT_IMPLAUSIBLE", 0)},
                )
            )  # fmt: skip
        return rejected

    @staticmethod
    def _duplicates(tx: LedgerTransaction, state: _BatchState) -> dict[int, str]:
        """R24: the same person, address and investigation again, here or in a pending batch."""
        pending = select(batch.c.batch_id).where(
            batch.c.status.in_(("validating", "awaiting_approval")), batch.c.batch_id != state.batch_id
        )
        keys = {state.dedupe[c] for c, code in state.codes.items() if code == VALID}
        elsewhere: set[str] = set()
        key_list = sorted(keys)
        for start in range(0, len(key_list), 500):
            elsewhere.update(
                tx.connection.execute(
                    select(case_record.c.dedupe_key).where(
                        case_record.c.dedupe_key.in_(key_list[start : start + 500]),
                        case_record.c.batch_id.in_(pending),
                        ~case_record.c.internal_code.startswith("REJ_"),  # a rejected record may be corrected
                    )
                ).scalars()
            )
        seen: set[str] = set()
        changes = {}
        for case_id in sorted(state.codes):
            if state.codes[case_id] != VALID:
                continue
            key = state.dedupe[case_id]
            if key in seen or key in elsewhere:
                changes[case_id] = "REJ_DUPLICATE"
            seen.add(key)
        return changes

    @staticmethod
    def _nonspecific_reasons(state: _BatchState, limit: int, changed: dict[int, str]) -> dict[int, str]:
        """R18: one reason text repeated in more than ``limit`` records is not specific to any of them."""
        standing = [c for c, code in state.codes.items() if code == VALID and c not in changed]
        counts = Counter(state.reasons[c] for c in standing)
        return {c: "HOLD_NONSPECIFIC_REASON" for c in standing if counts[state.reasons[c]] > limit}

    @staticmethod
    def _implausible_engagement(
        tx: LedgerTransaction, state: _BatchState, cap: int, changed: dict[int, str]
    ) -> dict[int, str]:
        """R22: an officer named on more than ``cap`` open investigations cannot be engaged in all of them."""
        investigations: defaultdict[str, set[str]] = defaultdict(set)
        open_batches = select(batch.c.batch_id).where(
            batch.c.status.in_(("validating", "awaiting_approval", "released")),
            batch.c.batch_id != state.batch_id,
        )
        for officers, investigation in tx.connection.execute(
            select(case_record.c.recipients, case_record.c.investigation_key).where(
                case_record.c.batch_id.in_(open_batches), case_record.c.internal_code != "REJ_DUPLICATE"
            )
        ):
            for officer in (officers or "").split(";"):
                if officer:
                    investigations[officer].add(investigation)
        for case_id, (investigation_key, officers) in state.engagements.items():
            if state.codes[case_id] == VALID or case_id in changed:
                for officer in officers:
                    investigations[officer].add(investigation_key)
        over = {officer for officer, named in investigations.items() if len(named) > cap}
        return {
            case_id: "HOLD_ENGAGEMENT_IMPLAUSIBLE"
            for case_id, (_, officers) in state.engagements.items()
            if state.codes[case_id] == VALID and case_id not in changed and over.intersection(officers)
        }

    # --- 5: match and decide ---------------------------------------------------------------------------

    def _match(self, state: _BatchState) -> None:
        undecided = {cid for cid in state.case_ids.values() if cid not in state.decided}
        standing = {
            row for row, cid in state.case_ids.items() if cid in undecided and state.codes[cid] == VALID
        }
        if state.legal_review_hold:  # R2: nothing is matched until counsel has approved the signer
            for case_id in (state.case_ids[row] for row in standing):
                state.codes[case_id] = "HOLD_LEGAL_REVIEW"
            return
        order: list[tuple[int, str]] = []  # (row number, the TIN the requester supplied), in page order

        def sent(page: list[RequestRow]) -> list[dict[str, str]]:
            order.extend((r.number, (r.fields.get("tin") or "").strip()) for r in page)
            return [r.fields for r in page]

        def pages() -> Iterator[list[dict[str, str]]]:
            page: list[RequestRow] = []
            for rows in self._chunks(state):
                page.extend(r for r in rows if r.number in standing)
                if len(page) >= MATCH_PAGE:
                    yield sent(page)
                    page = []
            if page:
                yield sent(page)

        with self.runtime.database.read() as connection:
            key = screen_key(self._screen_key_path, connection)
        position = 0
        small = self.shared_index is not None and len(standing) <= SMALL_BATCH
        held: list[tuple[list[tuple[tuple[int, str], Decision]], dict[int, str]]] = []
        with self._matcher(len(standing)) as matcher:
            snapshot = matcher.index.info.snapshot_id
            for decisions in matcher.match(pages()):
                rows = order[position : position + len(decisions)]
                position += len(decisions)
                tins = matcher.index.tins([d.taxpayer_id for d in decisions if d.taxpayer_id is not None])
                decided = list(zip(rows, decisions, strict=True))
                # Written CHUNK records to a transaction, as validation is: other writers wait less.
                for start in range(0, len(decided), CHUNK):
                    held.append((decided[start : start + CHUNK], tins))
                    if not small:  # a large batch writes as it goes; a small one frees the shared index first
                        self._record_decisions(state, *held.pop(), key, snapshot)
        for decided, tins in held:
            self._record_decisions(state, decided, tins, key, snapshot)
        if position == 0:  # no decision transaction carried the snapshot id
            with self.ledger.transaction() as tx:
                tx.connection.execute(
                    update(batch).where(batch.c.batch_id == state.batch_id).values(snapshot_id=snapshot)
                )

    def _matcher(self, records: int) -> AbstractContextManager[BatchMatcher]:
        if self.shared_index is not None and records <= SMALL_BATCH:
            return self.shared_index.matcher()
        return BatchMatcher(self.index_path, workers=self.workers)

    def _record_decisions(
        self,
        state: _BatchState,
        decided: list[tuple[tuple[int, str], Decision]],
        tins: dict[int, str],
        key: bytes,
        snapshot: str,
    ) -> None:
        agreement = state.agreement
        with self.ledger.transaction() as tx:
            tx.connection.execute(
                update(batch).where(batch.c.batch_id == state.batch_id).values(snapshot_id=snapshot)
            )
            hold = hold_in_force(tx.connection, agreement.id)
            ids = {decision.taxpayer_id for _, decision in decided if decision.taxpayer_id is not None}
            blocked = screened(tx.connection, key, [tins[i] for i in ids if i in tins])
            writes = []
            for (row_number, supplied_tin), decision in decided:
                case_id = state.case_ids[row_number]
                tin = tins.get(decision.taxpayer_id) if decision.taxpayer_id is not None else None
                outcome = final_outcome(decision, tin, tin in blocked, hold, supplied_tin or None)
                # The TIN's keyed hash is kept so the screen can be checked again at release (R25).
                commitment = tin_commitment(key, tin) if tin else None
                writes.append(self._write_decision(tx, state, case_id, outcome.code, checks=outcome.checks,
                                                   decision=decision, snapshot=snapshot,
                                                   tin_commitment=commitment))  # fmt: skip
            self._store_decisions(tx, writes)

    def _decide_the_rest(self, state: _BatchState) -> None:
        """Decision events for records that never reached the engine (rejected, held, blocked).

        A record still VALID here was never decided: it fails closed as BLOCKED.
        """
        targets = [cid for _, cid in sorted(state.case_ids.items()) if cid not in state.decided]
        checks = {"r25": "not_reached", "r27": "not_reached"}
        for start in range(0, len(targets), CHUNK):
            with self.ledger.transaction() as tx:
                writes = []
                for case_id in targets[start : start + CHUNK]:
                    code = state.codes[case_id]
                    final = "BLOCKED_NOT_DECIDED" if code == VALID else code
                    write = self._write_decision(tx, state, case_id, final, checks=checks, decision=None,
                                                 snapshot="", tin_commitment=None)  # fmt: skip
                    writes.append(write)
                self._store_decisions(tx, writes)

    def _write_decision(
        self,
        tx: LedgerTransaction,
        state: _BatchState,
        case_id: int,
        code: str,
        *,
        checks: dict[str, str],
        decision: Decision | None,
        snapshot: str,
        tin_commitment: str | None,
    ) -> dict[str, object]:
        """Append one record's ``decision.made`` entry; return its case row's new values."""
        response = response_code(code)
        confirmed = response == "CONFIRMED"
        details: dict[str, str | int | bool | None] = {
            "case": case_number(case_id), "batch": state.batch_id, "code": code, "response": response,
            "engine_reason": decision.reason.value if decision else None,
            "snapshot_id": snapshot or None, "engine_version": ENGINE_VERSION if decision else None,
            "normalizer_version": NORMALIZER_VERSION, **checks,
        }  # fmt: skip
        seq = tx.append(
            AuditEvent(
                EventType.DECISION_MADE, PIPELINE, "decide_record",
                Outcome.SUCCESS if confirmed else Outcome.DENIED,
                object=ObjectRef("case", case_number(case_id)),
                reason_code=code, refs=(state.validated_seq[case_id],),
                authz=Authorization(POLICY_VERSION, "R25,R27-R31", "allow" if confirmed else "deny"),
                details=details,
            )
        ).seq  # fmt: skip
        state.codes[case_id] = code
        state.decided.add(case_id)
        return {"b_case_id": case_id, "b_code": code, "b_seq": seq,
                "b_reason": decision.reason.value if decision else None,
                "b_taxpayer": decision.taxpayer_id if decision and confirmed else None,
                "b_tin": tin_commitment}  # fmt: skip

    @staticmethod
    def _store_decisions(tx: LedgerTransaction, writes: list[dict[str, object]]) -> None:
        """The decided cases' rows, in one executemany (pipelined on PostgreSQL)."""
        if writes:
            tx.connection.execute(
                update(case_record)
                .where(case_record.c.case_id == bindparam("b_case_id"))
                .values(stage="decided", internal_code=bindparam("b_code"), decided_seq=bindparam("b_seq"),
                        reason=bindparam("b_reason"), taxpayer_id=bindparam("b_taxpayer"),
                        tin_commitment=func.coalesce(bindparam("b_tin"), case_record.c.tin_commitment)),
                writes,
            )  # fmt: skip

    # --- 6: finish -------------------------------------------------------------------------------------

    def _finish(self, state: _BatchState) -> BatchSummary:
        self._decide_the_rest(state)
        status = "rejected" if state.rejected else "awaiting_approval"
        with self.ledger.transaction() as tx:
            tx.connection.execute(
                update(batch)
                .where(batch.c.batch_id == state.batch_id)
                .values(status=status, source_path=None)
            )
        by_code = Counter(response_code(code) for code in state.codes.values())
        return BatchSummary(state.batch_id, status, len(state.codes), dict(sorted(by_code.items())),
                            "REJ_BATCH_DEFECTIVE" if state.rejected else None)  # fmt: skip
