#!/usr/bin/env bash
# System packages isms-review needs beyond Python: LibreOffice Writer (DOCX -> PDF), the
# metric-compatible Calibri/Cambria fonts, poppler (pdftoppm) and qpdf for the tests.
# Installs only what is missing; uses apt-get (Debian/Ubuntu), with sudo when not root.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
{ command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi carlito; } || need+=(fonts-crosextra-carlito fonts-crosextra-caladea)
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
