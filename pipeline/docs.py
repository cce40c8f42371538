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


GUIDE_HEAD = """# Writing and editing the Word templates

*Generated from `pipeline/documents/model.py` by `python -m pipeline.docs`; do not edit by hand.*

The agenda, pre-read and minutes are made from `doc_templates/agenda.docx`, `pre_read.docx` and
`minutes.docx`. Copy them to a folder of your own, change wording, logo, fonts and styles in
Word, and build with `isms-review build ... --templates YOUR_FOLDER`: a template in your folder
is used first, the shipped one otherwise. Check your edits with
`isms-review check-templates YOUR_FOLDER`.

## Rules for tags
- Type each tag in one go (or select it and clear formatting): `{{ doc.review_id }}`, with the
  spaces. Never split a tag across two paragraphs.
- Loops and conditions that repeat whole paragraphs or table rows use `{%p ... %}` or
  `{%tr ... %}` in a paragraph or row of their own, e.g. `{%p for s in sections %}` ...
  `{%p endfor %}`; one such tag per paragraph or row.
- Tables and charts prepared for you are placed with `{{p section.table.doc }}` (its own
  paragraph) and `{{ chart.image }}`; coloured status words with `{{r kpi.badge }}`.
- Text from the workbook is always printed as written: a cell holding `{{ 7*7 }}` prints
  `{{ 7*7 }}`. Templates run in a sandbox: Python internals (`__class__` and the like) are
  refused, and a template that loops or grows without end is stopped.
- A misspelt variable is an error, never a silent blank.
- Restyle through Word styles: *Title*, *Subtitle*, *Heading 1–3*, *List Bullet*, *Caption* and
  the table style *ISMS Table* (used by every generated table).

## Variables
"""


def _type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if isinstance(tp, type):
        return {"str": "text", "int": "number", "bool": "yes/no", "bytes": "bytes"}.get(
            tp.__name__, tp.__name__)
    return "value"


def template_guide() -> str:
    from .documents.model import ReviewContext

    lines = [GUIDE_HEAD]
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


def rewrite(readme: Path) -> bool:
    """Replace the generated block in ``readme``; True when it changed."""
    text = readme.read_text("utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}\n{sheet_reference()}\n{END}{tail}"
    if new != text:
        readme.write_text(new, "utf-8")
    return new != text


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "templates.md"


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README updated" if changed else "README already current")
    GUIDE.parent.mkdir(exist_ok=True)
    GUIDE.write_text(template_guide() + "\n", "utf-8")
    print(f"wrote {GUIDE}")
