"""Standardization of names and addresses, versioned: what matching compares."""

from custos.standardize.models import (
    NORMALIZER_VERSION,
    AddressKind,
    StandardAddress,
    StandardName,
    Suffix,
)

__all__ = ["NORMALIZER_VERSION", "AddressKind", "StandardAddress", "StandardName", "Suffix"]
