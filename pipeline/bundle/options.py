"""What the user can choose about a bundle, with the defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..office import ConversionFailure

MB, GB = 1_000_000, 1_000_000_000


@dataclass(frozen=True)
class BundleOptions:
    attach_as_is: frozenset[str] = frozenset()  # Evidence-sheet File values to attach unopened
    max_file_bytes: int = 4 * GB
    max_bundle_bytes: int = 20 * GB
    volume_bytes: int | None = None  # split into volumes above this size
    ocr: bool = False
    # Office evidence converted by the caller ({original path: PDF or failure}); None: convert here
    converted: Mapping[Path, Path | ConversionFailure] | None = field(default=None, compare=False)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?b?\s*$", re.I)


def parse_size(text: str, option: str, plain: float = 1e6) -> int:
    """'500MB', '2 GB', '750m', '1.5G' → bytes (decimal units, as file managers show); a number
    without k/m/g/t counts in ``plain`` units (megabytes, or bytes for --volume-size)."""
    match = _SIZE.match(text)
    if not match:
        raise UserError(f"{option} {text!r}: give a size such as 500MB or 2GB"
                        + (" or a number of bytes." if plain == 1 else "."))
    unit = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, None: plain}[
        match.group(2).lower() if match.group(2) else None]
    value = int(float(match.group(1)) * unit)
    if value <= 0:
        raise UserError(f"{option} {text!r}: the size must be more than zero.")
    return value


def human(size: float) -> str:
    for unit, factor in (("GB", GB), ("MB", MB), ("kB", 1000)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{int(size)} bytes"
