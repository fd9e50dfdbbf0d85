"""Per-record statutory validation (legal-requirements.md section 7.B and R67), failing closed.

Each rule checks one requirement of 26 U.S.C. 6103(i)(2)(B) or of the
agreement against one request record and names the field at fault, never its
value.  :func:`record_policy` combines them in requirement order; the first
failure decides the record's code, and every finding goes to the ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

from custos.policy.agreement import AgreementSpec
from custos.policy.rules import AllOf, LeafRule
from custos.standardize.addresses import standardize_address
from custos.standardize.models import StandardAddress
from custos.standardize.names import fold, standardize_name
from custos.standardize.pub28 import PLACEHOLDER_FIELDS, PLACEHOLDER_PHRASES

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "zip")
MAX_RECORD_ID = 64
_ZIPLIKE = re.compile(r"[0-9][0-9 -]*")
_ZIP_TOKEN = re.compile(r"\b\d{5}(?:-?\d{4})?\b")
_RECIPIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,63}")
# Address problems that leave no complete delivery-point address (R13).
_INCOMPLETE = frozenset({
    "UNPARSEABLE", "INCOMPLETE", "NO_PRIMARY_NUMBER", "NO_STREET", "NO_CITY", "NO_STATE", "NO_ZIP",
    "INVALID_ZIP", "UNKNOWN_ZIP", "INVALID_STATE", "STATE_ZIP_MISMATCH",
})  # fmt: skip


@dataclass(frozen=True)
class RecordContext:
    """One parsed request record with what the rules need: the agreement and the receipt date."""

    fields: dict[str, str]
    agreement: AgreementSpec
    received: dt.date
    parse_defects: tuple[tuple[str | None, str], ...] = ()  # (field, code) from the file reader

    def text(self, name: str) -> str:
        """The field's value, stripped ("" when absent)."""
        return (self.fields.get(name) or "").strip()

    @cached_property
    def address(self) -> StandardAddress:
        """The supplied address, standardized once for all the address rules."""
        return standardize_address(*(self.text(name) or None for name in ADDRESS_FIELDS))


def _date(text: str) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return value if value.isoformat() == text else None


class WellFormedRecord(LeafRule[RecordContext]):
    """The row could be read, its record_id is usable and its dob is a date or absent."""

    rule_id = "R63"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        for field_name, code in subject.parse_defects:
            if code != "UNDECLARED_FIELD":
                return "REJ_MALFORMED_RECORD", f"{field_name or 'row'}: {code}"
        record_id = subject.text("record_id")
        if not record_id or len(record_id) > MAX_RECORD_ID:
            return "REJ_MALFORMED_RECORD", "record_id missing or longer than 64 characters"
        dob = subject.text("dob")
        if dob and _date(dob) is None:
            return "REJ_MALFORMED_RECORD", "dob is not a YYYY-MM-DD date"
        return None


class AddressPresent(LeafRule[RecordContext]):
    """R10: a record without any supplied address is rejected, whatever else it carries (a TIN)."""

    rule_id = "R10"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        if any(subject.text(name) for name in ADDRESS_FIELDS):
            return None
        return "REJ_ADDR_MISSING", "address_line1, city, state and zip are all empty"


class NotZipOnly(LeafRule[RecordContext]):
    """R11: a ZIP code, digits, or a ZIP with non-address text is not an address."""

    rule_id = "R11"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        line1 = subject.text("address_line1")
        if line1 and _ZIPLIKE.fullmatch(line1):
            return "REJ_ADDR_ZIP_ONLY", "address_line1 holds only digits"
        no_street = {"NO_STREET", "UNPARSEABLE"} & set(subject.address.problems)
        if line1 and no_street and _ZIP_TOKEN.search(line1):
            return "REJ_ADDR_ZIP_ONLY", "address_line1 holds a ZIP code and no street"
        rest = fold(_ZIP_TOKEN.sub(" ", line1)) if _ZIP_TOKEN.search(line1) else None
        if rest is not None and (rest in PLACEHOLDER_FIELDS or any(p in rest for p in PLACEHOLDER_PHRASES)):
            return "REJ_ADDR_ZIP_ONLY", "address_line1 holds a ZIP code and placeholder text"  # "12345 N/A"
        bare_zip = not line1 and not subject.text("address_line2") and subject.text("zip")
        if bare_zip and not (subject.text("city") and subject.text("state")):
            return "REJ_ADDR_ZIP_ONLY", "only a ZIP code was supplied"
        return None


class NotPlaceholder(LeafRule[RecordContext]):
    """R12: placeholder text ("Unknown Address", "Failed to Provide", "N/A", "TBD") is no address."""

    rule_id = "R12"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        if "PLACEHOLDER" in subject.address.problems:
            return "REJ_ADDR_PLACEHOLDER", "an address field holds placeholder text"
        return None


class CompleteAddress(LeafRule[RecordContext]):
    """R13: a street line (number and street, PO box, rural route), city, state and a ZIP that fit."""

    rule_id = "R13"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        problems = sorted(_INCOMPLETE & set(subject.address.problems))
        if problems:
            return "REJ_ADDR_INCOMPLETE", "address is not a complete delivery point: " + ", ".join(problems)
        return None


# Name fields that stand for "unknown" in government records: first/last name unknown, no middle name.
PLACEHOLDER_NAMES = frozenset({"FNU", "LNU", "NFN", "NLN", "NMN", "UNKNOWN", "UNK", "NONE", "NA", "N A", "X",
                               "XX", "XXX", "TEST", "REFUSED", "NOT PROVIDED"})  # fmt: skip


class FullName(LeafRule[RecordContext]):
    """R15: at least a given name and a surname, neither a placeholder such as FNU or UNKNOWN."""

    rule_id = "R15"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        name = standardize_name(subject.text("given_name"), subject.text("middle_name"),
                                subject.text("surname"), subject.text("name_suffix"))  # fmt: skip
        parts = (
            ("given_name", name.given_tokens, name.given),
            ("surname", name.surname_tokens, name.surname),
        )
        missing = [label for label, tokens, text in parts if not tokens or text in PLACEHOLDER_NAMES]
        return ("REJ_NAME_MISSING", f"{', '.join(missing)} empty or a placeholder") if missing else None


class TaxablePeriods(LeafRule[RecordContext]):
    """R16: explicit tax years within the agreement's window."""

    rule_id = "R16"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        text = subject.text("taxable_periods")
        if not text:
            return "REJ_PERIOD_MISSING", "taxable_periods empty"
        window = subject.agreement.tax_years
        for part in text.split(","):
            year = part.strip()
            if not (year.isdigit() and len(year) == 4 and window.earliest <= int(year) <= window.latest):
                return "REJ_PERIOD_INVALID", (
                    f"taxable_periods must be tax years {window.earliest}-{window.latest}, comma-separated"
                )
        return None


def normalize_statute(text: str) -> str:
    """'8 USC § 1253(a)(1)' and '8 U.S.C. 1253(a)(1)' compare equal."""
    return re.sub(r"[\s.§]+", "", text.upper()).replace("SECTION", "")


class PermittedStatute(LeafRule[RecordContext]):
    """R17: the statutory authority is one the agreement permits."""

    rule_id = "R17"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        permitted = {normalize_statute(s) for s in subject.agreement.statutes.permitted}
        if normalize_statute(subject.text("statute")) in permitted and subject.text("statute"):
            return None
        return "REJ_STATUTE_NOT_PERMITTED", "statute is empty or not permitted by the agreement"


class SpecificReason(LeafRule[RecordContext]):
    """R18: a reason is given (its repetition across the batch is checked by the batch rules)."""

    rule_id = "R18"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        return None if fold(subject.text("reason")) else ("REJ_REASON_MISSING", "reason empty")


class InvestigationReference(LeafRule[RecordContext]):
    """R19: a specific criminal investigation; a removal-order or A-number alone is not one."""

    rule_id = "R19"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        reference = subject.text("investigation_id")
        if not reference:
            return "REJ_NO_INVESTIGATION", "investigation_id empty"
        stand_ins = {subject.text("removal_order_case_number"), subject.text("a_number")} - {""}
        if fold(reference) in {fold(s) for s in stand_ins}:
            return "REJ_NO_INVESTIGATION", "investigation_id repeats the removal order or A-number"
        if len(reference) < 6 or not any(c.isdigit() for c in reference):
            return "REJ_NO_INVESTIGATION", "investigation_id is not a case reference"
        return None


class RipeRemovalOrder(LeafRule[RecordContext]):
    """R20: the final removal order's date and case number, and the statute's waiting period passed."""

    rule_id = "R20"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        order_date = _date(subject.text("removal_order_date"))
        if order_date is None or not subject.text("removal_order_case_number"):
            return "REJ_REMOVAL_ORDER_MISSING", "removal_order_date or removal_order_case_number missing"
        statutes = subject.agreement.statutes
        wanted = normalize_statute(subject.text("statute"))
        days = next((d for s, d in statutes.ripeness_days.items() if normalize_statute(s) == wanted), 0)
        if subject.received < order_date + dt.timedelta(days=days):
            return (
                "REJ_PREDICATE_NOT_RIPE",
                f"the statute's {days}-day period after the removal order has not run",
            )
        return None


def recipients(text: str) -> list[str]:
    """The officer ids named in a recipients field (semicolon-separated)."""
    return [part.strip() for part in text.split(";") if part.strip()]


class NamedRecipients(LeafRule[RecordContext]):
    """R21: the officers personally and directly engaged are named."""

    rule_id = "R21"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        named = recipients(subject.text("recipients"))
        if not named:
            return "REJ_NO_RECIPIENTS", "recipients empty"
        if not all(_RECIPIENT.fullmatch(officer) for officer in named):
            return "REJ_NO_RECIPIENTS", "recipients must be officer ids separated by semicolons"
        return None


class DeclaredFieldsOnly(LeafRule[RecordContext]):
    """R23: a value in a column the agreement does not declare is refused, not stored."""

    rule_id = "R23"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        undeclared = sorted({f or "?" for f, code in subject.parse_defects if code == "UNDECLARED_FIELD"})
        if undeclared:
            return "REJ_UNDECLARED_FIELD", f"columns not declared by the agreement: {', '.join(undeclared)}"
        return None


class MinimumIdentifiers(LeafRule[RecordContext]):
    """R67: every identifier of the agreement's minimum set is present (never a name alone)."""

    rule_id = "R67"

    def evaluate(self, subject: RecordContext) -> tuple[str, str] | None:
        elements = subject.agreement.data_elements
        if elements is None:
            return "REJ_INSUFFICIENT_IDENTIFIERS", "the agreement declares no minimum identifier set"
        missing = [name for name in elements.minimum_identifiers if not subject.text(name)]
        if missing:
            return "REJ_INSUFFICIENT_IDENTIFIERS", f"missing {', '.join(missing)}"
        return None


def record_policy() -> AllOf[RecordContext]:
    """Every per-record rule, in the order that decides a record's code.

    R26 (a TIN never stands in for an address) has no rule of its own on purpose:
    R10-R13 look only at the address fields, so a TIN cannot satisfy them.
    """
    return AllOf(
        WellFormedRecord(), DeclaredFieldsOnly(), AddressPresent(), NotZipOnly(), NotPlaceholder(),
        CompleteAddress(), FullName(), MinimumIdentifiers(), TaxablePeriods(), PermittedStatute(),
        SpecificReason(), InvestigationReference(), RipeRemovalOrder(), NamedRecipients(),
    )  # fmt: skip
