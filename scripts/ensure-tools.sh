#!/usr/bin/env bash
# Installs the system programs the tests drive for real, from Debian's packages, where they
# are missing: Prometheus and Alertmanager (promtool, amtool). Needs root for apt-get.
# With --optional (make run), a failure is reported and the caller goes on without them.
set -uo pipefail
optional=0; [ "${1:-}" = "--optional" ] && optional=1

missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
{ command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; } \
  && command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
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
if [ $optional = 1 ]; then echo "$msg; alerting will not run" >&2; exit 0; fi
echo "$msg" >&2
exit 1
