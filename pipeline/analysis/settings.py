"""Analysis settings: every threshold an executive may ask about, documented in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisSettings:
    periods_shown: int = 0
    """Periods of each metric shown in the pre-read charts; 0 shows every period on the
    register, so a chart covers the whole review (the full history is always analysed)."""

    near_tolerance: float = 0.05
    """A value that misses its target by at most this share of the target (5 %) is *near*.
    With a target of 0 nothing is near: any miss is a miss."""

    trend_window: int = 4
    """The direction of travel is judged on the last this-many periods (at least 3 needed)."""

    stable_band: float = 0.02
    """Change across the trend window within this share of the target (2 %) is *stable*:
    on a 95 % target, less than 1.9 points up or down over the window."""

    stale_after_days: int = 90
    """A register whose newest entry is older than this at the cut-off gets a limitation note."""

    risk_bands: tuple[int, int, int] = (4, 9, 16)
    """Residual score (likelihood × impact, 1–25) bands: ≤4 Low, ≤9 Medium, ≤16 High, else
    Critical."""


DEFAULT_SETTINGS = AnalysisSettings()
