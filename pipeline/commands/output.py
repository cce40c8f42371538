"""Machine-readable output, one shape for every command: ``--json`` prints an object with a
``schema_version``, the command, ``ok`` and its ``findings`` (the same Finding fields and codes
as `validate`), plus what the command made. A problem that stops the command — a file that cannot
be read, a fault of the disk — is one finding, so the JSON is printed even then."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..errors import UserError
from ..workbook.findings import Finding, finding

SCHEMA_VERSION = 1

# the finding code of a command-stopping error, by the class that raised it
ERROR_CODES = {
    "WorkbookFileError": "unreadable-file",
    "BundleProblems": "evidence-unusable",
    "ConversionError": "conversion-failed",
    "TemplateProblem": "template-problem",
    "ScheduleFileError": "schedule-invalid",
}


def envelope(command: str, findings: Iterable[Finding], ok: bool | None = None,
             **extra: Any) -> dict[str, Any]:
    items = list(findings)
    errors = sum(f.severity == "error" for f in items)
    return {"schema_version": SCHEMA_VERSION, "command": command,
            "ok": (errors == 0) if ok is None else ok, "errors": errors,
            "warnings": sum(f.severity == "warning" for f in items), **extra,
            "findings": [f.to_dict() for f in items]}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def error_finding(exc: UserError, target: str = "") -> Finding:
    """A command-stopping error as one finding (severity error)."""
    code = getattr(exc, "code", None) or ERROR_CODES.get(type(exc).__name__, "command-failed")
    return finding(code, str(exc), value=target)


def text_findings(code: str, lines: Iterable[str]) -> list[Finding]:
    """Problems a stage reports as sentences (one per file) as findings with one code."""
    return [finding(code, line) for line in lines]
