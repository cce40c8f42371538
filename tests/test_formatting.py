"""The one formatter: what a printed percentage claims is true of the value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.formatting import NOT_AVAILABLE, percent


@given(st.floats(min_value=-2, max_value=2, allow_nan=False))
def test_a_percentage_never_rounds_to_a_claim_the_value_does_not_make(ratio: float) -> None:
    """0.5 % progress is not "0%", 99.6 % is not "100%"; other shares are whole percentages."""
    text = percent(ratio)
    if text.lstrip("-") == "0%":
        assert ratio == 0
    if text == "100%":
        assert ratio == 1
    if "." not in text and "<" not in text and ">" not in text:
        assert abs(float(text.rstrip("%")) - ratio * 100) <= 0.5 + 1e-9


def test_percent_examples() -> None:
    assert [percent(x) for x in (0, 0.005, 0.0004, 0.56, 0.996, 0.99999, 1, 1.2)] == \
        ["0%", "0.5%", "<0.1%", "56%", "99.6%", "99.9%", "100%", "120%"]
    assert percent(None) == percent(float("nan")) == NOT_AVAILABLE
