"""The custos exception tree.

Every error custos raises on purpose derives from :class:`Error`, whose
``diagnostics()`` says what was checked, what was found and what to do next,
naming records and fields but never confidential values::

Error:
    +-- ConfigError            settings file, environment, data directory
    +-- StorageError           the database refused or is unsafe to use
    |   +-- StorageConfigError journal mode or durability settings are wrong
    +-- LedgerError            an append, checkpoint or proof could not be made
        +-- LedgerReadOnlyError       an integrity alarm stands: no writes
        +-- LedgerIntegrityError      stored history does not verify
        +-- RetentionError            a purge before the retention period ends
        +-- PayloadUnavailableError   a confidential payload is gone or absent
    +-- PolicyError            an agreement, rule set or policy change is invalid or refused
    +-- IntakeError            a submission cannot be accepted as a whole (file, envelope)
    +-- PipelineError          an accepted batch cannot be processed (gone, changed, not pending)

"""

from __future__ import annotations


class Error(Exception):
    """Base class of every deliberate custos error."""

    def diagnostics(self) -> str:
        """A human-oriented explanation with the next step to take."""
        return str(self)


class ConfigError(Error):
    """The configuration is missing, malformed or inconsistent."""


class StorageError(Error):
    """The database could not carry out an operation."""


class StorageConfigError(StorageError):
    """The database is not configured for durable, crash-safe writes."""


class LedgerError(Error):
    """A ledger operation could not be carried out."""


class LedgerReadOnlyError(LedgerError):
    """The ledger is read-only because an integrity alarm has been raised."""

    def diagnostics(self) -> str:
        """Explain why writes are refused and how an administrator clears it."""
        return (
            f"{self}\nThe ledger refuses every write until an administrator has investigated, "
            "restored the database from a verified copy if needed, and removed the alarm file."
        )


class LedgerIntegrityError(LedgerError):
    """Stored ledger history does not match what was signed or hashed."""


class RetentionError(LedgerError):
    """A payload was asked to be purged before its retention period ended."""


class PayloadUnavailableError(LedgerError):
    """A confidential payload does not exist or has been shredded."""


class PolicyError(Error):
    """An agreement, rule set or policy change is invalid, or the change is refused."""


class IntakeError(Error):
    """A submission cannot be accepted as a whole: its file or envelope is unusable."""


class PipelineError(Error):
    """An accepted batch cannot be processed: its file is gone or changed, or it is not pending."""
