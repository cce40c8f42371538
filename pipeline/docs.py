"""The README's workbook reference, generated from the contract (``python -m pipeline.docs``
rewrites it in place; a test fails when it is stale)."""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path

from .workbook.contract import Contract, load_contract
from .workbook.findings import CODES

START = "<!-- generated:sheet-reference:start -->"
END = "<!-- generated:sheet-reference:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def sheet_reference(contract: Contract | None = None) -> str:
    contract = contract or load_contract()
    lines = ["| Sheet | Clause | What it holds | Columns (* = required) |", "|---|---|---|---|"]
    for sheet in contract.data_sheets:
        cols = ", ".join(f"{c.name}{'*' if c.required else ''}" for c in sheet.columns)
        lines.append(f"| `{sheet.name}` | {sheet.clause} | {_cell(sheet.title)} | {_cell(cols)} |")
    lines += ["", "<details><summary>Every column: type and what to enter</summary>", ""]
    for sheet in contract.data_sheets:
        lines += [f"**{sheet.name}**", "", "| Column | Type | Required | What to enter |",
                  "|---|---|---|---|"]
        for c in sheet.columns:
            lines.append(f"| {_cell(c.name)} | {_cell(c.type_label)} | "
                         f"{'yes' if c.required else 'no'} | {_cell(c.help)} |")
        lines.append("")
    lines += ["</details>", "", "<details><summary>Every finding code of "
              "<code>validate</code></summary>", "", "| Code | Severity | Meaning |",
              "|---|---|---|"]
    lines += [f"| `{code}` | {sev} | {_cell(text)} |" for code, (sev, text) in CODES.items()]
    lines += ["", "</details>"]
    return "\n".join(lines)


GUIDE_START = "<!-- generated:template-variables:start -->"
GUIDE_END = "<!-- generated:template-variables:end -->"


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if isinstance(tp, type):
        return {"str": "text", "int": "number", "bool": "yes/no", "bytes": "bytes"}.get(
            tp.__name__, tp.__name__)
    return "value"


def template_guide() -> str:
    """The generated part of docs/templates.md: every variable a template can use. The how-to
    recipes and the troubleshooting table around it are written by hand."""
    from .documents.model import ReviewContext

    lines: list[str] = []
    seen: set[type] = set()
    queue: list[tuple[str, type]] = [("(top level)", ReviewContext)]
    while queue:
        title, cls = queue.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        lines += [f"### {title}" + ("" if cls is ReviewContext else f" (`{cls.__name__}`)"), "",
                  "| Variable | Type | What it holds | Example |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            inner = typing.get_args(tp)[0] if typing.get_origin(tp) is list else tp
            if dataclasses.is_dataclass(inner) and isinstance(inner, type):
                queue.append((f"`{f.name}`" + (" (each item)" if inner is not tp else ""), inner))
            example = f.metadata.get("example", "")
            lines.append(f"| `{f.name}` | {_type_name(tp)} | {_cell(f.metadata.get('help', ''))} | "
                         f"{_cell(example)} |")
        lines.append("")
    return "\n".join(lines)


def rewrite(readme: Path, start: str = START, end: str = END, block: str | None = None) -> bool:
    """Replace the generated block between ``start`` and ``end``; True when it changed."""
    text = readme.read_text("utf-8")
    head, found, rest = text.partition(start)
    if not found:
        raise ValueError(f"{readme}: no {start} marker")
    _, _, tail = rest.partition(end)
    new = f"{head}{start}\n{sheet_reference() if block is None else block}\n{end}{tail}"
    if new != text:
        readme.write_text(new, "utf-8")
    return new != text


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "templates.md"


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README updated" if changed else "README already current")
    guide_changed = rewrite(GUIDE, GUIDE_START, GUIDE_END, template_guide().strip())
    print(f"{GUIDE} updated" if guide_changed else f"{GUIDE} already current")
