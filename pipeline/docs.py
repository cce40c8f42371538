"""The README's workbook reference, generated from the contract (``python -m pipeline.docs``
rewrites it in place; a test fails when it is stale)."""

from __future__ import annotations

import sys
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


def rewrite(readme: Path) -> bool:
    """Replace the generated block in ``readme``; True when it changed."""
    text = readme.read_text("utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}\n{sheet_reference()}\n{END}{tail}"
    if new != text:
        readme.write_text(new, "utf-8")
    return new != text


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README updated" if changed else "README already current")
