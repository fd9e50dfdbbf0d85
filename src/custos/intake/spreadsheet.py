"""Making text safe to hand back in a CSV that someone will open in a spreadsheet.

Values written back (record ids, error details) come from the requester.  A
spreadsheet program treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a leading tab or carriage return) as a formula, which can run
commands or send data elsewhere when an analyst opens the file: CSV injection
(OWASP).  Prefixing a single quote makes the cell plain text in every major
spreadsheet, while the csv module's quoting still takes care of commas and quotes.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: str) -> str:
    """The value with a leading single quote if a spreadsheet could read it as a formula.

    Negative numbers such as ``-5`` are quoted too: the file is text for people and
    programs that read it as CSV, and a formula is never worth the risk.  A value
    already starting with a quote is left alone, so applying this twice changes nothing.
    """
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
