#!/usr/bin/env bash
# Prints the java executable of a JDK 21 or later (for VirtualThreadIT) and exits 0, or exits 1 when
# there is none. Looks at $NETNS_JDK21 (a JDK home), then every JDK under /usr/lib/jvm, by the
# JAVA_VERSION of its `release` file (not by its directory name); the newest wins.
# With an argument N, a JDK N or later instead (ModulePathIT asks for 24: the JDK's JNI warnings).
set -u
min="${1:-21}"
best=""; bestv=0
for home in ${NETNS_JDK21:-} /usr/lib/jvm/*; do
  [ -x "$home/bin/java" ] && [ -f "$home/release" ] || continue
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
  [ -n "$v" ] && [ "$v" -ge "$min" ] && [ "$v" -gt "$bestv" ] || continue
  best="$home/bin/java"; bestv="$v"
done
[ -n "$best" ] || exit 1
echo "$best"
