"""The shape of the code: no import cycles, the intended arrows between stages, and no column
or sheet name in the code that the contract does not declare."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.workbook.contract import load_contract

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph() -> dict[str, set[str]]:
    """Module → the pipeline modules it imports, anywhere in its body (inside functions too;
    not under ``if TYPE_CHECKING``)."""
    graph: dict[str, set[str]] = {}
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    for name, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        for block in [n for n in ast.walk(tree) if isinstance(n, ast.If)
                      and ast.unparse(n.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")]:
            block.body = []  # annotations only: not an import at run time
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles() -> None:
    graph = import_graph()
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    graph = {m: {t for t in ts if not (m.startswith(t + ".") and t.count(".") == 1)}
             for m, ts in graph.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


FORBIDDEN = {
    # stage → stages it must never import
    "workbook": {"analysis", "documents", "bundle", "commands", "cli", "schedule", "loop", "console"},
    "analysis": {"documents", "bundle", "commands", "cli", "schedule", "console"},
    "bundle": {"documents", "commands", "cli", "schedule", "analysis", "console"},
    "documents": {"bundle", "commands", "cli", "schedule", "console"},
    "loop": {"documents", "bundle", "commands", "cli", "schedule"},
    "commands": {"cli", "console"},
    "schedule": {"cli"},
}


# exceptions to the arrows (none: the PDF/A code the documents and the bundle share is
# pipeline/archival.py, the document-control wording pipeline/status.py)
ALLOWED: set[tuple[str, str]] = set()


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stages_import_only_what_comes_before_them(stage: str) -> None:
    bad = sorted(f"{m} → {t}" for m, targets in import_graph().items() if _stage(m) == stage
                 for t in targets if _stage(t) in FORBIDDEN[stage] and (m, t) not in ALLOWED)
    assert bad == []


def test_the_cli_reaches_stages_through_the_commands_layer_and_click_stays_in_the_cli() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name != "cli.py":
            assert not re.search(r"^\s*(import click|from click)", path.read_text("utf-8"), re.M), path
    cli = import_graph()["pipeline.cli"]
    assert {"pipeline.commands.build", "pipeline.commands.gate"} <= cli
    assert "pipeline.schedule.runner" not in import_graph() or \
        "pipeline.commands.build" in import_graph()["pipeline.schedule.runner"]


# --------------------------------------------------------- names the contract must declare

SHEET_NAME = re.compile(r"^[a-g]\d? [A-Z][a-z]")  # 'd2 Metrics', 'a Previous actions'
ACCESSORS = {"get", "column_index", "column", "sheet", "input_table", "count_by", "ids"}


def _looks_like_a_name(text: str) -> bool:
    """Column, sheet or enum value shape: starts upper-case (or like 'd2 Metrics'), no path,
    no PDF name, not an environment variable or a format string."""
    if not text or text.isupper() or text.startswith(("/", "%", "-")) or "{" in text:
        return False
    return text[0].isupper() or bool(SHEET_NAME.match(text))


def literal_names(source: str) -> list[tuple[int, str]]:
    """Strings the code uses as a key: ``x["Name"]``, ``x.get("Name")``, ``column_index("Name")``…"""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        candidates: list[ast.expr] = []
        if isinstance(node, ast.Subscript):
            candidates.append(node.slice)
        elif isinstance(node, ast.Call):
            func = node.func
            name = (func.attr if isinstance(func, ast.Attribute)
                    else func.id if isinstance(func, ast.Name) else "")
            if name in ACCESSORS and node.args:
                candidates.append(node.args[-1] if name == "count_by" else node.args[0])
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            left = node.left
            if isinstance(left, ast.Constant) and isinstance(node.comparators[0], ast.Attribute) \
                    and node.comparators[0].attr in ("columns", "declared"):
                candidates.append(left)
        for cand in candidates:
            if isinstance(cand, ast.Constant) and isinstance(cand.value, str) \
                    and _looks_like_a_name(cand.value):
                out.append((cand.lineno, cand.value))
    return out


# keys that look like names but belong to something else (JSON sidecars, PDF dictionaries, rich)
NOT_WORKBOOK = {"Helvetica", "Title", "Author", "Subject", "Creator", "Producer", "Type", "Annots",
                "Page", "Pages", "Root", "Info", "Kids", "Parent", "Names",
                "Normal", "Header", "Footer", "Table Grid", "Light Grid Accent 1",  # Word styles
                "From", "To",  # e-mail headers
                "Id"}  # XML attributes


def undeclared(source: str, declared: frozenset[str]) -> list[tuple[int, str]]:
    return [(line, text) for line, text in literal_names(source)
            if text not in declared and text not in NOT_WORKBOOK]


def test_every_literal_column_and_sheet_name_in_the_code_is_declared() -> None:
    declared = load_contract().declared_names()
    bad = {str(p.relative_to(PACKAGE.parent)): found for p in sorted(PACKAGE.rglob("*.py"))
           if (found := undeclared(p.read_text("utf-8"), declared))}
    assert bad == {}


def test_a_misspelt_column_is_caught() -> None:
    declared = load_contract().declared_names()
    source = (PACKAGE / "analysis" / "actions.py").read_text("utf-8")
    assert undeclared(source, declared) == []
    misspelt = source.replace('r["Due date"]', 'r["Due dat"]', 1)
    assert misspelt != source
    assert undeclared(misspelt, declared) == [(misspelt[:misspelt.index('"Due dat"')].count("\n") + 1,
                                                "Due dat")]


def test_a_misspelt_column_fails_at_run_time_too() -> None:
    from pipeline.workbook.model import UndeclaredColumn
    from pipeline.workbook.validate import validate_workbook

    from .conftest import GOOD

    rec = validate_workbook(GOOD).data.tables["a Previous actions"].records[0]
    assert rec["Due date"] is not None
    with pytest.raises(UndeclaredColumn, match="Due dat"):
        rec["Due dat"]
