"""The inputs of clause 9.3.2, in one ordered registry derived from the contract.

Every stage iterates :func:`input_specs` instead of keeping its own table of refs, titles or
clauses: the agenda, the pre-read sections, the terminal summary, the coverage matrix and the
evidence groups of the bundle all follow the contract's order. Adding an input is one
``[[sheet]]`` block with ``input_ref`` in ``contract.toml`` (and, for analysis beyond a count of
rows, one module named by its ``analysis`` key).
"""

from __future__ import annotations

from dataclasses import dataclass

from .contract import Contract, Sheet, load_contract

RESULTS_CLAUSE = "9.3.3"
RESULTS_REF = "minutes"  # evidence of the results of the review (the minutes themselves)
RESULTS_TITLE = "Results of the review (minutes)"


@dataclass(frozen=True)
class InputSpec:
    """One mandatory input: where it lives and how every stage names and places it."""

    ref: str  # a, b, … as the standard numbers them
    sheet: Sheet
    position: int  # 0-based order in the contract

    @property
    def sheet_name(self) -> str:
        return self.sheet.name

    @property
    def clause(self) -> str:
        return self.sheet.clause

    @property
    def title(self) -> str:
        return self.sheet.title

    @property
    def short_title(self) -> str:
        return self.sheet.short_title or self.sheet.title

    @property
    def agenda_weight(self) -> int:
        return self.sheet.agenda_weight

    @property
    def analysis(self) -> str:
        """Dotted path of the analysis module ('' for the generic one)."""
        name = self.sheet.analysis
        if not name or "." in name:
            return name
        return f"pipeline.analysis.{name}"


def input_specs(contract: Contract | None = None) -> tuple[InputSpec, ...]:
    """The inputs in contract order."""
    contract = contract or load_contract()
    sheets = [s for s in contract.sheets if s.input_ref]
    return tuple(InputSpec(s.input_ref or "", s, i) for i, s in enumerate(sheets))


def input_spec(ref: str, contract: Contract | None = None) -> InputSpec:
    for spec in input_specs(contract):
        if spec.ref == ref:
            return spec
    raise KeyError(f"no input {ref!r} in the contract")


def clause_of(ref: str, contract: Contract | None = None) -> str:
    """The clause an input ref (or the results ref 'minutes') belongs to."""
    if ref == RESULTS_REF:
        return RESULTS_CLAUSE
    return input_spec(ref, contract).clause
