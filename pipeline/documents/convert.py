"""Kept for existing callers: LibreOffice conversion lives in :mod:`pipeline.office`."""

from __future__ import annotations

from ..office import (
    ConversionError,
    ConversionFailure,
    Conversions,
    convert_batch,
    convert_to_pdf,
    find_soffice,
)

__all__ = ["ConversionError", "ConversionFailure", "Conversions", "convert_batch", "convert_to_pdf",
           "find_soffice"]
