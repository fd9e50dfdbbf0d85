"""``custos synth``: a labelled synthetic master file and request batch.

Tests, benchmarks and the demo need data with known answers, shaped like the
cases where a matcher goes wrong (households, apartment units, Jr/Sr, twins,
namesakes, movers, Hispanic compound names, people absent from the file), at
sizes from a few thousand to ten million taxpayers. Nothing real may be used,
so everything is generated, deterministically for a seed.
"""

from custos.synth.categories import (
    CATEGORIES,
    CONFIRMED,
    NOT_CONFIRMED,
    PENDING_REVIEW,
    REQUEST_MIX,
    Category,
)
from custos.synth.generator import REQUEST_CONSTANTS, SynthSummary, generate
from custos.synth.names import CENSUS_MISSING
from custos.synth.writer import MASTER_COLUMNS, REQUEST_COLUMNS, TRUTH_COLUMNS, Format

__all__ = [
    "CATEGORIES",
    "CENSUS_MISSING",
    "CONFIRMED",
    "MASTER_COLUMNS",
    "NOT_CONFIRMED",
    "PENDING_REVIEW",
    "REQUEST_COLUMNS",
    "REQUEST_CONSTANTS",
    "REQUEST_MIX",
    "TRUTH_COLUMNS",
    "Category",
    "Format",
    "SynthSummary",
    "generate",
]
