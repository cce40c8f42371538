#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the source tree, and run
# the example through it: proves that everything `build` needs ships inside the package.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d /tmp/isms-review-wheel.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$python" -m pip wheel "$root" --no-deps --quiet --wheel-dir "$work/dist"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/*.whl
cd "$work"  # nothing of the source tree is reachable from here
export SOURCE_DATE_EPOCH=1765000000
bin="$work/venv/bin/isms-review"
"$bin" example "$work/example"
"$bin" validate "$work/example/review.xlsx" --evidence "$work/example/evidence"
"$bin" build "$work/example/review.xlsx" --evidence "$work/example/evidence" --out "$work/out"
"$bin" check-templates
test -s "$work/out/MR-2026-H2/pre-read/MR-2026-H2-pre-read.pdf"
test -s "$work/out/MR-2026-H2/pre-read/MR-2026-H2-pre-read-bundle.pdf"
echo "wheel smoke test: installed from $(ls "$work"/dist), built the example pack outside the source tree"
