"""The analysis stage: trends, KPIs, decisions requested and data-honesty notes."""

from .analyse import Analysis, analyse
from .base import DecisionRequest
from .settings import DEFAULT_SETTINGS, AnalysisSettings

__all__ = ["DEFAULT_SETTINGS", "Analysis", "AnalysisSettings", "DecisionRequest", "analyse"]
