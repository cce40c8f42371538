"""The one shape every input's analysis has, and the loader that finds it from the contract.

An input's analysis module (named by ``analysis`` on its sheet in ``contract.toml``) defines:

- ``KEY``: the name of its result in the analysis JSON (``"actions"``, ``"risks"`` …);
- ``analyse(ctx: InputContext) -> result``: pure computation over the input's rows;
- ``summary(result, view: View) -> Summary``: headline, table and charts for the pre-read
  section and the terminal summary;

and, where it has them:

- ``asks(result, view) -> list[DecisionRequest]``: decisions requested of management;
- ``figures(result, view) -> list[Figure]``: headline figures for the executive summary;
- ``limitations(result, ctx) -> list[str]``: data-honesty notes;
- ``draw(result, view) -> dict[str, bytes]``: charts (PNG) by file stem (matplotlib is
  imported inside, so validation never loads it);
- ``COLUMNS``: the register columns the figures and headline are computed from (the
  pre-read's appendix prints exactly these).

Inputs without a module get :mod:`pipeline.analysis.generic`. Stages never name inputs: they
iterate the registry and call these functions.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, Literal

from ..errors import UserError
from ..workbook.inputs import InputSpec
from ..workbook.model import Table, WorkbookData
from ..workbook.periods import Period
from .common import Scope
from .settings import AnalysisSettings

GENERIC = "pipeline.analysis.generic"
FigureStatus = Literal["met", "near", "missed", "info"]


@dataclass(frozen=True)
class DecisionRequest:
    """One decision the pre-read asks management to take, with the ID of the item it is about."""

    input_ref: str
    source_id: str
    kind: str
    request: str
    consequence: str = ""
    """What happens if management does not decide (from the workbook or a stated rule)."""
    recommendation: str = ""
    """The recommended option (from the workbook or a stated rule); blank when none is given."""


@dataclass(frozen=True)
class InputContext:
    """What an input's analysis may read: its own rows, the review's scope, and the results of
    the inputs before it in the contract (by ``KEY``)."""

    spec: InputSpec
    table: Table
    data: WorkbookData
    scope: Scope
    periods: list[Period]
    settings: AnalysisSettings
    results: Mapping[str, Any]


@dataclass(frozen=True)
class View:
    """What a summary may read besides its own result."""

    spec: InputSpec
    period_start: dt.date
    period_end: dt.date
    cutoff: dt.date
    settings: AnalysisSettings
    results: Mapping[str, Any]
    currency: str = ""
    names: Mapping[str, str] = field(default_factory=dict)
    """The name of every item by its ID (case-folded), across all sheets."""

    def named(self, item_id: str) -> str:
        """'IP-05 (Key supplier needs …)', or the bare ID when it has no name."""
        name = self.names.get(item_id.casefold(), "")
        return f"{item_id} ({name})" if name else item_id


@dataclass
class SummaryTable:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class ChartRef:
    stem: str
    caption: str


@dataclass(frozen=True)
class Figure:
    """A headline figure: what is counted, the value as printed, its status and its basis."""

    label: str
    value: str
    status: FigureStatus
    basis: str
    definition: str = ""
    """Exactly what is counted (one definition per figure, printed beside it)."""


@dataclass
class Summary:
    headline: str
    table: SummaryTable = field(default_factory=lambda: SummaryTable([], []))
    charts: list[ChartRef] = field(default_factory=list)
    significance: str = ""
    """High, Medium or Low, by the rule the module states in ``significance_rule``."""
    recommendations: list[str] = field(default_factory=list)
    """One recommended action per item that needs one, computed from the data."""
    significance_rule: str = ""
    extra_tables: list[tuple[str, SummaryTable]] = field(default_factory=list)
    """Further titled tables (trends) after the main one."""


def _none(*_: Any) -> list[Any]:
    return []


def _no_charts(*_: Any) -> dict[str, bytes]:
    return {}


@dataclass(frozen=True)
class InputModule:
    """An analysis module, checked once for the functions it must have."""

    path: str
    key: str
    analyse: Callable[[InputContext], Any]
    summary: Callable[[Any, View], Summary]
    asks: Callable[[Any, View], list[DecisionRequest]]
    figures: Callable[[Any, View], list[Figure]]
    limitations: Callable[[Any, InputContext], list[str]]
    draw: Callable[[Any, View], dict[str, bytes]]
    columns: tuple[str, ...] = ()
    """``COLUMNS``: the register columns its headline figures are computed from (the
    pre-read's appendix prints them, so each figure can be checked on paper)."""


@cache
def load_module(path: str) -> InputModule:
    """The analysis module at ``path`` (a dotted name), or a UserError naming what is wrong."""
    try:
        module: ModuleType = importlib.import_module(path or GENERIC)
    except ImportError as exc:
        raise UserError(f"contract.toml: the analysis module '{path}' cannot be imported "
                        f"({exc}); fix its 'analysis' key.") from None
    missing = [name for name in ("KEY", "analyse", "summary") if not hasattr(module, name)]
    if missing:
        raise UserError(f"{module.__name__}: an input's analysis module must define "
                        f"{', '.join(missing)} (see pipeline/analysis/base.py).")
    return InputModule(
        path=module.__name__, key=str(module.KEY), analyse=module.analyse, summary=module.summary,
        asks=getattr(module, "asks", _none), figures=getattr(module, "figures", _none),
        limitations=getattr(module, "limitations", _none),
        draw=getattr(module, "draw", _no_charts), columns=tuple(getattr(module, "COLUMNS", ())),
    )


def module_for(spec: InputSpec) -> InputModule:
    module = load_module(spec.analysis)
    if not spec.analysis:  # the generic module serves several inputs: key them by ref
        return InputModule(module.path, f"input_{spec.ref}", module.analyse, module.summary,
                           module.asks, module.figures, module.limitations, module.draw,
                           module.columns)
    return module
