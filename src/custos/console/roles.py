"""Who may do what in the console: five roles and the separation of duties between them.

A reviewer decides held records but cannot release them; an approving official
releases but does not review; counsel answers for court orders and legal holds;
an auditor reads reports and the ledger and changes nothing; an administrator
keeps accounts and recipient records but approves no disclosure.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The console roles of the issue: reviewer, approving official, counsel, auditor, administrator."""

    REVIEWER = "reviewer"
    APPROVING_OFFICIAL = "approving_official"
    COUNSEL = "counsel"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


# Which roles may take each action; every page and form checks one of these.
MAY_REVIEW = (Role.REVIEWER,)
MAY_RELEASE = (Role.APPROVING_OFFICIAL,)
MAY_SET_HOLD = (Role.COUNSEL, Role.APPROVING_OFFICIAL)
MAY_RELEASE_HOLD = (Role.COUNSEL, Role.APPROVING_OFFICIAL)  # R6: two of them, different people
MAY_RECALL = (Role.COUNSEL, Role.APPROVING_OFFICIAL)
MAY_MANAGE_RECIPIENTS = (Role.ADMINISTRATOR,)
MAY_READ_REPORTS = (Role.AUDITOR, Role.COUNSEL, Role.APPROVING_OFFICIAL, Role.ADMINISTRATOR)
MAY_SEE_BATCHES = tuple(Role)
