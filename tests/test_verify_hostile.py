"""verify never crashes: hostile manifests of every shape (hypothesis) and damaged PDFs."""

from __future__ import annotations

import contextlib
import copy as copying
import json
import random
from pathlib import Path
from typing import Any

import pikepdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.bundle.manifest import Manifest, ManifestShape, parse_manifest, parse_object
from pipeline.bundle.verify import verify_bundle

from .bundles import Small, embedded_manifest, replace_manifest, save

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children,
                                                                      max_size=5),
    max_leaves=25)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:4]):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    out = copying.deepcopy(value)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return out


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_parse_manifest_accepts_or_refuses_any_json(value: Any) -> None:
    try:
        manifest = parse_object(value)
    except ManifestShape as exc:
        assert str(exc)
    else:
        assert isinstance(manifest, Manifest) and manifest.pages >= 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parse_manifest_refuses_any_bytes_cleanly(data: bytes) -> None:
    with contextlib.suppress(ManifestShape):
        parse_manifest(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_verify_survives_any_manifest_change(small: Small, tmp_path: Path, data: st.DataObject) -> None:
    with pikepdf.open(small.pdf) as pdf:
        original = embedded_manifest(pdf)
    paths = _paths(original)
    path = data.draw(st.sampled_from(paths), label="path")
    new = data.draw(json_values, label="value")
    tampered = _replace(original, path, new)
    target = tmp_path / "hostile.pdf"
    with pikepdf.open(small.pdf) as pdf:
        replace_manifest(pdf, json.dumps(tampered, allow_nan=True).encode())
        save(pdf, target)
    result = verify_bundle(target)
    assert result.verdict in ("broken", "unsigned")
    checked = ("pages", "page_digests", "attachments")
    if not isinstance(tampered, dict) or any(tampered.get(k) != original.get(k) for k in checked):
        assert result.verdict == "broken", (path, new)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.sampled_from(["flip", "cut", "insert", "zero"]))
def test_verify_survives_damaged_bytes(small: Small, tmp_path: Path, seed: int, how: str) -> None:
    rng = random.Random(seed)
    data = bytearray(small.pdf.read_bytes())
    at = rng.randrange(len(data))
    if how == "flip":
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif how == "cut":
        data = data[:at]
    elif how == "insert":
        data[at:at] = rng.randbytes(rng.randint(1, 64))
    else:
        data[at:at + 4096] = bytes(min(4096, len(data) - at))
    target = tmp_path / "damaged.pdf"
    target.write_bytes(bytes(data))
    result = verify_bundle(target)
    assert result.verdict in ("broken", "unsigned", "intact")
    assert result.verdict != "intact"  # never without a trusted signature
    if bytes(data) != small.pdf.read_bytes():
        assert result.sha256 != ""
