#!/usr/bin/env bash
# Assembles the Apache Kafka the tests and benches start (tests/support/kafka.py): the jars of
# deploy/kafka/pom.xml, copied from Maven Central into build/kafka/libs (git-ignored). Fast when
# already assembled: the folder carries the hash of the pom it was made from. Installs Java and
# Maven from Debian's packages where they are missing (as root).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pom="$root/deploy/kafka/pom.xml"
out="$root/build/kafka"
libs="$out/libs"
want=$(sha256sum "$pom" | cut -d' ' -f1)

if [ -f "$out/pom.sha256" ] && [ "$(cat "$out/pom.sha256")" = "$want" ] && [ -d "$libs" ]; then
  exit 0
fi

missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Kafka needs ${missing[*]}: install them (as root)" >&2
    exit 1
  fi
fi

echo "assembling Apache Kafka from Maven Central into $libs" >&2
rm -rf "$out"
mkdir -p "$out"
# Debian's Maven 3.8 writes colour resets even in batch mode: dropped (pipefail keeps its status).
mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" 2>&1 \
  | sed 's/\x1b\[[0-9;]*m//g'
ls "$libs"/kafka_2.13-*.jar >/dev/null
echo "$want" > "$out/pom.sha256"
