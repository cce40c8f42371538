"""c: changes in interested parties' needs and expectations; items without an ISMS response
are flagged."""

from __future__ import annotations

from dataclasses import dataclass

from ..workbook.model import Table
from .base import InputContext, Summary, SummaryTable, View
from .common import Scope, count_by, records


@dataclass
class PartiesResult:
    total: int
    by_party: dict[str, int]
    no_response: list[str]
    basis: str


def analyse_parties(table: Table | None, scope: Scope) -> PartiesResult:
    recs = records(table)
    return PartiesResult(
        total=len(recs), by_party=count_by(recs, "Interested party"),
        no_response=[str(r["Item ID"]) for r in recs if not r["ISMS response"]],
        basis=f"Changes in needs and expectations up to the cut-off {scope.cutoff.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "parties"


def analyse(ctx: InputContext) -> PartiesResult:
    return analyse_parties(ctx.table, ctx.scope)


COLUMNS = ("Item ID", "Interested party", "ISMS response", "Owner")


def summary(p: PartiesResult, view: View) -> Summary:
    text = (f"{p.total} changes in interested parties' needs and expectations. "
            + (f"The ISMS response is not yet decided for {', '.join(p.no_response)}."
               if p.no_response else "Each has a stated ISMS response."))
    return Summary(text, SummaryTable(["Interested party", "Changes"],
                                      [[k, str(v)] for k, v in p.by_party.items()]),
                   significance="Medium" if p.no_response else "Low",
                   recommendations=[f"{view.named(i)}: no ISMS response yet: its owner to propose "
                                    "one before the meeting." for i in p.no_response],
                   significance_rule="Medium when a change has no ISMS response; otherwise Low.")


def limitations(p: PartiesResult, ctx: InputContext) -> list[str]:
    if p.no_response:
        return [f"ISMS response not yet stated for {', '.join(p.no_response)}."]
    return []
