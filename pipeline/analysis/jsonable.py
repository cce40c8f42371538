"""Turn analysis results (dataclasses, dates, periods) into plain JSON values, stably."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from ..workbook.periods import Period


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Period):
        return value.label
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 4) if not value.is_integer() else value
    return value
