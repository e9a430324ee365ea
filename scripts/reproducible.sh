#!/usr/bin/env bash
# Proves that the build is reproducible: builds the library modules (netns-bom, netns-core, netns-iptables,
# netns-junit5 with their class, test-fixture, sources and javadoc jars) twice, from two clean copies of the
# work tree in two different directories, and compares every jar byte for byte. Prints what differs and exits
# 1 when anything does. Extra arguments go to both mvn runs (e.g. -o). Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=netns-bom,netns-core,netns-iptables,netns-junit5
work="$(mktemp -d "${TMPDIR:-/tmp}/netns-repro.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for run in one two-with-a-longer-path; do
  dir="$work/$run/netns"
  mkdir -p "$dir"
  # the tracked and new files of this work tree, never its build output
  git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null \
    | tar -xf - -C "$dir"
  (cd "$dir" && mvn -B -ntp -q package -DskipTests -pl "$modules" "$@")
done
a="$work/one/netns"; b="$work/two-with-a-longer-path/netns"
jars=$(cd "$a" && find . -path '*/target/*.jar' | sort)
[ -n "$jars" ] || { echo "reproducible: no jars were built" >&2; exit 1; }
bad=0
for j in $jars; do
  if ! cmp -s "$a/$j" "$b/$j"; then
    bad=1
    echo "reproducible: $j differs between two builds" >&2
    if diff <(cd "$a" && unzip -lv "$j" | awk '{print $7, $8}') <(cd "$b" && unzip -lv "$j" | awk '{print $7, $8}') \
        | head -20 >&2; then
      echo "  (the same entries with the same contents: their times or order differ)" >&2
    fi
  fi
done
[ "$bad" = 0 ] || exit 1
echo "reproducible: $(echo "$jars" | wc -l) jars byte-identical across two clean builds:"
(cd "$a" && sha256sum $jars)
