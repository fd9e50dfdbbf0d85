"""Request and response bodies of the API, as the OpenAPI document shows them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

RecordValue = Annotated[str, Field(max_length=2000)] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupRequest(_Strict):
    """Up to the agreement's interactive limit (25 by default) of request records, decided at once."""

    agreement_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")]
    agreement_version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    records: Annotated[
        list[dict[Annotated[str, Field(max_length=64)], RecordValue]], Field(min_length=1, max_length=1000)
    ]


class RecordResult(_Strict):
    """One record's answer: a rejection code at once, anything else only after release."""

    record_id: str
    case_number: str
    code: str


class LookupResponse(_Strict):
    """A lookup decided up to the approval hold."""

    batch_id: str
    status: str
    results: list[RecordResult]


class BatchAccepted(_Strict):
    """A batch file accepted for processing; poll its status."""

    batch_id: str
    status: str
    records: int


class BatchStatus(_Strict):
    """A batch's state; counts by response code only once it is released or rejected."""

    batch_id: str
    status: str
    agreement_id: str
    agreement_version: int
    records: int
    received_at: str
    released_at: str | None
    rejection_code: str | None
    counts: dict[str, int] | None


class CaseStatus(_Strict):
    """A case as the requester may see it (R64)."""

    case_number: str
    batch_id: str
    record_id: str
    code: str


class Problem(_Strict):
    """Why a request was refused; ``ledger_seq`` is the entry that records the refusal."""

    error: str
    message: str
    ledger_seq: int | None = None


class Health(_Strict):
    """Liveness or readiness."""

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
