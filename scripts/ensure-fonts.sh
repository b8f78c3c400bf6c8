#!/usr/bin/env bash
# The dossier's PDF (reporting, WeasyPrint) needs Pango and a CJK font so Chinese renders and can be
# extracted: Debian's fonts-noto-cjk and Pango. Installs them only when missing; idempotent.
set -euo pipefail
pango_present() {
  compgen -G "/usr/lib/*/libpangoft2-1.0.so.0" >/dev/null || compgen -G "/usr/lib/libpangoft2-1.0.so.0" >/dev/null
}
if fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && pango_present; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 fontconfig >/dev/null
fc-list | grep -i "Noto Sans CJK" | head -1
