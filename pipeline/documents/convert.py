"""LibreOffice conversion lives in :mod:`pipeline.office` (the one place that runs it)."""

from ..office import ConversionError, convert_batch, convert_to_pdf, find_soffice

__all__ = ["ConversionError", "convert_batch", "convert_to_pdf", "find_soffice"]
