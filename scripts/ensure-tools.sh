#!/usr/bin/env bash
# Installs the system programs the tests drive for real, from Debian's packages, where they
# are missing: Prometheus and Alertmanager (promtool, amtool), and chromium with a font for
# Chinese text (the browser tests and the screenshots of the wall page and the map; playwright
# drives /usr/bin/chromium and downloads no browser). The monitoring report's PDF (WeasyPrint)
# needs Pango, HarfBuzz's subsetter and the Noto CJK fonts its stylesheet names, and its tests
# read PDFs back with poppler-utils. Needs root for apt-get.
# With --optional (make run), a failure is reported and the caller goes on without them.
set -uo pipefail
optional=0; [ "${1:-}" = "--optional" ] && optional=1

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
{ command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; } \
  && command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
# The report's PDF (`tuoyu report --out FILE.pdf`, GET /api/report?format=pdf); the same
# packages make the same PDF bytes (docs/report.md).
# grep reads all of ldconfig's output: with pipefail, `grep -q` stopping early would fail the pipe.
has_lib() { { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep "$1" >/dev/null; }
has_lib libpango-1.0.so.0 || missing+=(libpango-1.0-0)
has_lib libpangoft2-1.0.so.0 || missing+=(libpangoft2-1.0-0)
has_lib libharfbuzz-subset.so.0 || missing+=(libharfbuzz-subset0)
[ -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
if [ $optional = 0 ]; then  # `make run` needs no browser: the user has one
  command -v pdftoppm >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # Without a CJK font every Chinese character on the pages renders as a box.
  [ -n "$(fc-list :lang=zh 2>/dev/null)" ] || [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    || missing+=(fonts-wqy-microhei)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  # The packages' own services are not wanted here: the platform starts its own instances.
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       "${missing[@]}" >/dev/null; then
    exit 0
  fi
fi
msg="missing ${missing[*]}: install Debian's packages as root (apt-get install ${missing[*]})"
if [ $optional = 1 ]; then echo "$msg; alerting or the report's PDF will not run" >&2; exit 0; fi
echo "$msg" >&2
exit 1
