"""Benchmark: the analysis stage on the large workbook, as a ratio to reading that workbook.

Uses the same generated workbook as validate_large.py (20,000 risks, 500 metrics × 12 periods,
2,000 actions) and times, in this process:
  baseline  pipeline.workbook.reader.read_workbook(path)  (calamine, every sheet)
  also      pandas.read_excel(path, sheet_name=None, engine="calamine")
  ours      pipeline.analysis.analyse(data)  (pure computation on validated data)
  cards     decision cards and the whole document context (page 1, cards, appendix)
Target: analysis takes less time than reading (ratio < 1), and so do the cards and context.
Charts are timed separately.

    .venv/bin/python benchmarks/analyse_large.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import pandas as pd
from validate_large import large_workbook, timed

from pipeline.analysis import analyse
from pipeline.analysis.cards import decision_cards
from pipeline.documents.context import build_context
from pipeline.workbook.reader import read_workbook
from pipeline.workbook.validate import validate_workbook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = large_workbook()
    data = validate_workbook(path).data
    read = statistics.median(timed(lambda: read_workbook(path), args.runs))
    pandas_read = statistics.median(
        timed(lambda: pd.read_excel(path, sheet_name=None, engine="calamine"), args.runs))
    ours = statistics.median(timed(lambda: analyse(data), args.runs))
    result = analyse(data)
    cards = statistics.median(timed(lambda: decision_cards(data, result), args.runs))
    context = statistics.median(timed(lambda: build_context(data, result), args.runs))
    charts = statistics.median(timed(result.charts, 1))
    print(f"workbook: {path.name}; {len(result.metrics)} metrics, {result.risks.total} risks, "
          f"{result.actions.total} actions")
    print(f"read_workbook (calamine):        median {read:.3f} s")
    print(f"pandas.read_excel (calamine):    median {pandas_read:.3f} s")
    print(f"analyse (all inputs):            median {ours:.3f} s")
    print(f"ratio analyse / read_workbook:   {ours / read:.2f}x  (target < 1)")
    print(f"ratio analyse / pandas read:     {ours / pandas_read:.2f}x")
    print(f"decision cards: median {cards:.3f} s ({cards / read:.2f}x read); whole document "
          f"context: median {context:.3f} s ({context / read:.2f}x read)  (target < 1)")
    print(f"charts ({len(result.metrics) + 4} PNGs, once):  {charts:.1f} s "
          f"({charts / (len(result.metrics) + 4) * 1000:.0f} ms each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
