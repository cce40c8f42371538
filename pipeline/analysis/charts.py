"""Charts for the pre-read: one PNG per metric trend and a few headline KPIs.

Rendered headless with matplotlib's Agg canvas (no pyplot state), sized for A4 width, with no
timestamps or random ids in the file, so the same analysis gives the same bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..children import Child
from ..files import atomic_write_bytes, user_cache

os.environ.setdefault("MPLBACKEND", "Agg")
if (_MPL_CACHE := user_cache("matplotlib")) is not None:  # else matplotlib picks a temporary one
    os.environ.setdefault("MPLCONFIGDIR", str(_MPL_CACHE))

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..formatting import number

if TYPE_CHECKING:
    from .metrics import MetricResult
    from .nonconformities import PeriodFlow

COLOURS = {"met": "#2E7D32", "near": "#F9A825", "missed": "#C62828", "no data": "#9E9E9E"}
INK, GRID, LINE = "#212121", "#E0E0E0", "#607D8B"
WIDTH_IN, DPI = 6.3, 200  # 16 cm: the text width of an A4 page with 2.5 cm margins
_RC: dict[Any, Any] = {"font.family": "DejaVu Sans", "font.size": 9, "axes.edgecolor": "#9E9E9E",
       "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "svg.hashsalt": "isms"}


def _figure(height: float) -> Figure:
    import matplotlib

    matplotlib.rcParams.update(_RC)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _encode(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None},
                bbox_inches=None, facecolor="white")
    return buffer.getvalue()


class Batch:
    """Figures laid out now and drawn later, shared between this process and one forked child:
    drawing (text layout, rasterising, PNG) is ~90 % of a chart's cost and each figure is
    independent, so on two cores the charts take about half the time. The bytes are the same
    as when drawn one by one (Agg is deterministic)."""

    TOKEN = b"\0isms-review chart "

    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def defer(self, fig: Figure) -> bytes:
        self.figures.append(fig)
        return self.TOKEN + str(len(self.figures) - 1).encode()

    def resolve(self, charts: dict[str, bytes]) -> dict[str, bytes]:
        """``charts`` with every deferred figure drawn."""
        drawn = _draw_all(self.figures)
        return {stem: drawn[int(png[len(self.TOKEN):])] if png.startswith(self.TOKEN) else png
                for stem, png in charts.items()}


_batch: Batch | None = None


@contextlib.contextmanager
def batch() -> Iterator[Batch]:
    """Within ``with batch() as b:`` charts are only laid out; ``b.resolve(charts)`` draws them."""
    global _batch
    previous, _batch = _batch, Batch()
    try:
        yield _batch
    finally:
        _batch = previous


def _png(fig: Figure) -> bytes:
    return _batch.defer(fig) if _batch is not None else _encode(fig)


def _draw_all(figures: list[Figure]) -> list[bytes]:
    """Every figure as PNG: the second half in a forked child, the first half here."""
    if len(figures) < 4:
        return [_encode(f) for f in figures]
    half = (len(figures) + 1) // 2
    try:
        child = Child(_draw_child, figures[half:], grace=1)
    except OSError:  # no fork here (a process limit): draw them all here
        return [_encode(f) for f in figures]
    try:
        mine = [_encode(f) for f in figures[:half]]
        # a child that failed, died or hangs (a minute, plus 5 s a figure): its share drawn here
        theirs = child.result(60 + 5 * (len(figures) - half))
    finally:
        child.close()
    return mine + (theirs.value if theirs.ok else [_encode(f) for f in figures[half:]])


def _draw_child(figures: list[Figure]) -> list[bytes]:
    """What the child draws (its own name, so a test can make the child fail)."""
    return [_encode(f) for f in figures]


def _fmt(value: float | None, unit: str = "") -> str:
    return number(value, unit)


def metric_chart(metric: MetricResult) -> bytes:
    """Values over the shown periods, coloured by status, with the target as a dashed line."""
    fig = _figure(2.6)
    ax = fig.add_axes((0.1, 0.2, 0.72, 0.56))
    points = metric.series
    if points:
        first = points[0].period.ordinal
        labels: dict[int, str] = {p.period.ordinal - first: p.period.label for p in points}
        for missing in metric.missing_periods:
            if points[0].period <= missing <= points[-1].period:
                labels[missing.ordinal - first] = f"{missing.label}\n(no data)"
        xs = [p.period.ordinal - first for p in points]
        ys = [p.value for p in points]
        segment_x, segment_y = [xs[0]], [ys[0]]
        for x, y in zip(xs[1:], ys[1:], strict=True):  # break the line across missing periods
            if x - segment_x[-1] > 1:
                ax.plot(segment_x, segment_y, color=LINE, linewidth=1.6, zorder=2)
                segment_x, segment_y = [], []
            segment_x.append(x)
            segment_y.append(y)
        ax.plot(segment_x, segment_y, color=LINE, linewidth=1.6, zorder=2)
        ax.scatter(xs, ys, s=42, zorder=3, color=[COLOURS[p.status] for p in points],
                   edgecolors="white", linewidths=0.8)
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(_fmt(y), (x, y), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=8, color=INK)
        ax.set_xticks(sorted(labels), [labels[k] for k in sorted(labels)])
        ax.set_xlim(-0.5, max(labels) + 0.5)
        if metric.target is not None:
            ax.axhline(metric.target, color=INK, linestyle=(0, (4, 3)), linewidth=1, zorder=1)
            ax.annotate(f"Target {_fmt(metric.target, metric.unit)}", xy=(1.0, metric.target),
                        xycoords=("axes fraction", "data"), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8, color=INK)
        low = min([*ys, metric.target if metric.target is not None else ys[0]])
        high = max([*ys, metric.target if metric.target is not None else ys[0]])
        pad = (high - low) * 0.25 or abs(high) * 0.1 or 1
        ax.set_ylim(low - pad, high + pad)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if metric.unit:
        ax.set_ylabel(metric.unit)
    name = metric.name if len(metric.name) <= 52 else metric.name[:50] + "…"
    fig.text(0.01, 0.95, f"{metric.id}  {name}", fontsize=10, fontweight="bold",
             color=INK, va="top")
    latest = metric.latest_period.label if metric.latest_period else "n/a"
    fig.text(0.01, 0.87, f"{metric.better_when} is better · target {_fmt(metric.target, metric.unit)} · "
             f"latest {_fmt(metric.latest, metric.unit)} ({latest})", fontsize=8.5, color=INK, va="top")
    fig.text(0.99, 0.95, f"{metric.status.upper()} · {metric.trend}", fontsize=9.5,
             fontweight="bold", color=COLOURS.get(metric.status, INK), va="top", ha="right")
    handles = [Line2D([], [], marker="o", linestyle="", color=COLOURS[s], label=s)
               for s in ("met", "near", "missed")]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.995, 0.9), ncols=3,
               frameon=False, fontsize=7.5, handletextpad=0.1, columnspacing=0.8)
    return _png(fig)


def bars(title: str, labels: list[str], values: list[int], colours: list[str],
          note: str = "") -> bytes:
    fig = _figure(2.1)
    ax = fig.add_axes((0.22, 0.14, 0.7, 0.66))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, values, color=colours, height=0.6)
    ax.set_yticks(positions, labels)
    for y, v in zip(positions, values, strict=True):
        ax.annotate(str(v), (v, y), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=9, color=INK)
    ax.set_xlim(0, max([*values, 1]) * 1.15)
    ax.xaxis.set_visible(False)
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    fig.text(0.01, 0.95, title, fontsize=10, fontweight="bold", color=INK, va="top")
    if note:
        fig.text(0.99, 0.95, note, fontsize=8.5, color=INK, va="top", ha="right")
    return _png(fig)


def nc_flow(flow: list[PeriodFlow], note: str) -> bytes:
    """Nonconformities opened and closed per period, as paired bars."""
    fig = _figure(2.3)
    ax = fig.add_axes((0.08, 0.16, 0.9, 0.62))
    xs = list(range(len(flow)))
    ax.bar([x - 0.2 for x in xs], [f.opened for f in flow], width=0.38, color="#EF6C00",
           label="Opened")
    ax.bar([x + 0.2 for x in xs], [f.closed for f in flow], width=0.38, color=COLOURS["met"],
           label="Closed")
    ax.set_xticks(xs, [f.period.label for f in flow])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="upper left", ncols=2, fontsize=8)
    fig.text(0.01, 0.95, "Nonconformities opened and closed per period", fontsize=10,
             fontweight="bold", color=INK, va="top")
    fig.text(0.99, 0.95, note, fontsize=8.5, color=INK, va="top", ha="right")
    return _png(fig)


def write_charts(charts: dict[str, bytes], folder: Path) -> list[Path]:
    paths = []
    for stem, png in charts.items():
        path = folder / f"{stem}.png"
        atomic_write_bytes(path, png)
        paths.append(path)
    return paths
