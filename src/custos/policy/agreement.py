"""Data-sharing agreements as versioned data files (TOML), validated with errors naming the key.

An agreement is the governing instrument of every request (R4): who may sign
(R1, R2), under which statutes (R17), which data elements a request may carry
(R23), the minimum identifier set (R67), the tax-year window (R16), batch
limits (R8, R9), the thresholds of the human-review holds (R7, R18, R22), the
disclosure mode (R34), retention, and its term and review dates (R62).

A file may be loaded as a draft with parts missing; :meth:`AgreementSpec.missing_for_activation`
lists what R61 still requires, and activation refuses the agreement until the list is empty.
The digest of the file's canonical content identifies exactly what the approvers approved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from custos.errors import PolicyError

AGREEMENT_SCHEMA = "custos-agreement/1"
# The request columns of interchange.md section 2; an agreement declares a subset.
REQUEST_ELEMENTS = (
    "record_id", "given_name", "middle_name", "surname", "name_suffix", "dob", "address_line1",
    "address_line2", "city", "state", "zip", "tin", "a_number", "removal_order_date",
    "removal_order_case_number", "investigation_id", "statute", "reason", "taxable_periods", "recipients",
)  # fmt: skip
# R67: a minimum identifier set never below the full name and a complete address.
MINIMUM_IDENTIFIER_FLOOR = ("given_name", "surname", "address_line1", "city", "state", "zip")
# Columns the pipeline needs whatever the agreement says (R15, R16, R17, R18, R19, R20, R21).
REQUIRED_ELEMENTS = (
    *MINIMUM_IDENTIFIER_FLOOR, "record_id", "taxable_periods", "statute", "reason", "investigation_id",
    "recipients",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


Text = Annotated[str, Field(min_length=1)]


class DisclosureMode(StrEnum):
    """What a confirmation may carry (R33, R34)."""

    CONFIRM_ONLY = "confirm_only"
    LAST_KNOWN_ADDRESS = "last_known_address"


class Parties(_Strict):
    """The custodian and the requesting agency (with its short code for reports)."""

    custodian: Text
    requester: Text
    requester_code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,15}$")]


class Purpose(_Strict):
    """Why data flows at all, and under which law (R61)."""

    statement: Text
    legal_authority: Annotated[tuple[Text, ...], Field(min_length=1)]


class Term(_Strict):
    """The agreement's life: start, end, and the oversight re-approval date (R62)."""

    start: dt.date
    end: dt.date
    review_by: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if not self.start < self.end:
            raise ValueError("end must be after start")
        if not self.start < self.review_by <= self.end:
            raise ValueError("review_by must fall after start and no later than end")
        return self


class LegalReview(_Strict):
    """Counsel's written approval of a component-head signer (R2)."""

    counsel: Text
    approved: dt.date
    reference: Text


class Signer(_Strict):
    """An official permitted to sign requests, with the public key that verifies them (R1, R3)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name: Text
    title: Text
    agency: Text
    agency_head: bool
    public_key: Text
    key_expires: dt.date | None = None  # after this date the key no longer signs (a card's expiry)
    legal_review: LegalReview | None = None

    @field_validator("public_key")
    @classmethod
    def _usable_key(cls, value: str) -> str:
        public_key(value)  # raises ValueError naming the problem
        return value


class Statutes(_Strict):
    """The criminal statutes requests may cite (R17) and their ripeness periods in days (R20)."""

    permitted: Annotated[tuple[Text, ...], Field(min_length=1)]
    ripeness_days: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ripeness_for_permitted(self) -> Statutes:
        unknown = sorted(set(self.ripeness_days) - set(self.permitted))
        if unknown:
            raise ValueError(f"ripeness_days names statutes not permitted: {', '.join(unknown)}")
        return self


class DataElements(_Strict):
    """The request columns the agreement allows (R23) and the minimum identifier set (R67)."""

    declared: Annotated[tuple[str, ...], Field(min_length=1)]
    minimum_identifiers: Annotated[tuple[str, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> DataElements:
        unknown = sorted(set(self.declared) - set(REQUEST_ELEMENTS))
        if unknown:
            raise ValueError(f"declared names unknown request columns: {', '.join(unknown)}")
        missing = [name for name in REQUIRED_ELEMENTS if name not in self.declared]
        if missing:
            raise ValueError(f"declared must include {', '.join(missing)}")
        below = [name for name in MINIMUM_IDENTIFIER_FLOOR if name not in self.minimum_identifiers]
        if below:
            raise ValueError(f"minimum_identifiers must include at least {', '.join(below)} (R67)")
        undeclared = [name for name in self.minimum_identifiers if name not in self.declared]
        if undeclared:
            raise ValueError(f"minimum_identifiers are not declared: {', '.join(undeclared)}")
        return self


class TaxYears(_Strict):
    """The window of taxable periods a request may name (R16)."""

    earliest: Annotated[int, Field(ge=1913, le=2100)]
    latest: Annotated[int, Field(ge=1913, le=2100)]

    @model_validator(mode="after")
    def _ordered(self) -> TaxYears:
        if self.earliest > self.latest:
            raise ValueError("earliest must not be after latest")
        return self


class Endpoint(_Strict):
    """A recipient system registered to receive results (R38), never a workstation (R39)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    system: Text  # the recipient system's name
    kind: Annotated[str, Field(pattern=r"^system$")]  # "workstation" or anything else is refused
    # "file": results are written to ``location``, a directory the recipient system reads;
    # "api": the recipient system fetches them over the signed API, and ``location`` names that system.
    delivery: Annotated[str, Field(pattern=r"^(file|api)$")] = "file"
    location: Text
    point_of_contact: Text
    storage_attestation: Text  # the recipient's attestation of secure storage at this endpoint


class Limits(_Strict):
    """Batch limits and review thresholds, with the anchors of legal-requirements.md as defaults."""

    max_batch_records: Annotated[int, Field(ge=1, le=10_000_000)] = 100_000
    max_interactive_records: Annotated[int, Field(ge=1, le=1_000)] = 25
    batch_defect_share: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    bulk_notice_threshold: Annotated[int, Field(ge=1)] = 1_000
    bulk_notice_hours: Annotated[int, Field(ge=0)] = 24
    reason_repeat_limit: Annotated[int, Field(ge=1)] = 50
    engagement_cap: Annotated[int, Field(ge=1)] = 50
    envelope_max_age_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 72
    review_sla_hours: Annotated[int, Field(ge=1, le=24 * 90)] = 72  # R65: additional verification
    acknowledgement_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 72  # R41: signed receipt due


class Disclosure(_Strict):
    """Confirm-only by default; a last-known address only under an explicit clause (R34)."""

    mode: DisclosureMode = DisclosureMode.CONFIRM_ONLY
    last_known_address_clause: str | None = None

    @model_validator(mode="after")
    def _clause_for_addresses(self) -> Disclosure:
        if self.mode is DisclosureMode.LAST_KNOWN_ADDRESS and not self.last_known_address_clause:
            raise ValueError("mode last_known_address needs last_known_address_clause (R34)")
        return self


class Retention(_Strict):
    """How long each kind of record is kept, and how data is destroyed (R50, R61, R63)."""

    accounting: Text = "permanent"
    audit_log_years: Annotated[int, Field(ge=7)] = 7
    results_days: Annotated[int, Field(ge=1)] = 30
    purge_after_retrieval_days: Annotated[int, Field(ge=0)] = 3
    destruction: str | None = None


class AgreementSpec(_Strict):
    """One version of one agreement, as written in its file."""

    schema_: Annotated[str, Field(alias="schema", pattern=f"^{AGREEMENT_SCHEMA}$")]
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")]
    version: Annotated[int, Field(ge=1)]
    title: Text
    parties: Parties
    purpose: Purpose | None = None
    term: Term | None = None
    signers: Annotated[tuple[Signer, ...], Field(min_length=1)]
    statutes: Statutes
    data_elements: DataElements | None = None
    tax_years: TaxYears
    limits: Limits = Field(default_factory=Limits)
    disclosure: Disclosure = Field(default_factory=Disclosure)
    retention: Retention = Field(default_factory=Retention)
    endpoints: tuple[Endpoint, ...] = ()
    expected_records_per_year: Annotated[int, Field(ge=1)] | None = None
    verification_procedure: str | None = None
    security: str | None = None
    redisclosure_limits: str | None = None
    accuracy_assessment: str | None = None

    @model_validator(mode="after")
    def _unique_signers(self) -> AgreementSpec:
        ids = [signer.id for signer in self.signers]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"signer ids repeat: {', '.join(repeated)}")
        return self

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """The registered endpoint with this id, or None."""
        return next((endpoint for endpoint in self.endpoints if endpoint.id == endpoint_id), None)

    def signer(self, signer_id: str) -> Signer | None:
        """The permitted signer with this id, or None."""
        return next((signer for signer in self.signers if signer.id == signer_id), None)

    def missing_for_activation(self) -> list[str]:
        """The R61 elements this agreement still lacks; activation needs an empty list."""
        checks = {
            "purpose": self.purpose is not None,
            "data_elements": self.data_elements is not None,
            "expected_records_per_year": self.expected_records_per_year is not None,
            "term": self.term is not None,
            "endpoints": bool(self.endpoints),
            "verification_procedure": bool(self.verification_procedure),
            "retention.destruction": bool(self.retention.destruction),
            "security": bool(self.security),
            "redisclosure_limits": bool(self.redisclosure_limits),
            "accuracy_assessment": bool(self.accuracy_assessment),
        }
        return [key for key, present in checks.items() if not present]

    def canonical(self) -> bytes:
        """RFC 8785 JSON of the whole agreement: what the approvers approve."""
        return rfc8785.dumps(self.model_dump(mode="json", by_alias=True))

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of :meth:`canonical`."""
        return "sha256:" + hashlib.sha256(self.canonical()).hexdigest()


def public_key(pem: str) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    """An Ed25519 or ECDSA P-256 public key from PEM; anything else is a ValueError."""
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ValueError("the key must be Ed25519 or ECDSA P-256")


def _problems(exc: ValidationError) -> str:
    """Every problem, each naming its key path (``signers.1.public_key``)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(file)'}: {error['msg']}"
        for error in exc.errors()
    )


def parse_agreement(values: dict[str, Any], source: str = "agreement") -> AgreementSpec:
    """Validate parsed TOML values, naming every bad key in one :class:`PolicyError`."""
    try:
        return AgreementSpec.model_validate(values)
    except ValidationError as exc:
        raise AgreementFileError(f"{source}: {_problems(exc)}") from exc


def load_agreement(path: Path) -> AgreementSpec:
    """Read and validate an agreement file."""
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AgreementFileError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AgreementFileError(f"{path}: not a readable TOML file: {exc}") from exc
    return parse_agreement(values, str(path))


class AgreementFileError(PolicyError):
    """An agreement file cannot be read or does not validate."""
