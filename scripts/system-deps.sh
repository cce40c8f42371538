#!/usr/bin/env bash
# System packages isms-review needs beyond Python: LibreOffice Writer and Calc (DOCX/XLSX ->
# PDF), the metric-compatible Calibri/Cambria and Helvetica/Times/Courier (Liberation) fonts,
# a CJK font for the bundle's own pages, Noto and Symbola for other scripts and emoji,
# poppler (pdftoppm) and qpdf for the tests and the benchmark.
# Installs only what is missing; uses apt-get (Debian/Ubuntu), with sudo when not root.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
[ -e /usr/lib/libreoffice/program/scalc ] || [ -e /usr/lib/libreoffice/program/libsclo.so ] || need+=(libreoffice-calc-nogui)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# (grep reads the whole list: grep -q would stop early, and pipefail would count fc-list's SIGPIPE as "missing")
{ command -v fc-list >/dev/null 2>&1 && fc-list | grep -i carlito >/dev/null; } || need+=(fonts-crosextra-carlito fonts-crosextra-caladea)
# metric-compatible Helvetica/Times/Courier, embedded in evidence PDFs that name them (PDF/A)
[ -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ] || need+=(fonts-liberation2)
# most of the world's scripts (Noto) and emoji in one colour (Symbola: a colour emoji font
# would put bitmaps into the PDF/A documents) for text typed in the workbook
[ -e /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] || need+=(fonts-noto-core)
[ -e /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || need+=(fonts-symbola)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install these with your package manager, then run make setup again: ${need[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
