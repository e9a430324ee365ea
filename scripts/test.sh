#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs unit tests (surefire) and
# privileged integration tests (*IT, failsafe) with the release checks (-P release), proves the build
# reproducible (scripts/reproducible.sh), then a one-iteration smoke pass of the benchmarks
# (netns-bench/run.sh --smoke: every benchmark once, the C floor, ScaleCheck with 100 sandboxes; it fails
# when a benchmark errors or anything is left behind, not on the numbers). It reuses the benchmarks.jar that
# verify built and builds the C floor with gcc; the CNI peer runs only where its plugins are installed.
# Run as root. With NETNS_REQUIRE_PRIVILEGED=1 a privileged test that would skip fails instead.
# NETNS_SKIP_BENCH_SMOKE=1 skips the smoke pass (e.g. where namespaces are unavailable).
# Run as root, it then runs the integration tests once more rootless (scripts/rootless-pass.sh: as the
# unprivileged user netns-ci inside `unshare --user --map-root-user --mount`); NETNS_SKIP_ROOTLESS=1 skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# -P release: also the checks a repository manager makes (enforcer: no SNAPSHOT dependencies, plugin versions,
# Central's metadata; sources and javadoc jars with doclint), without credentials; signing stays off.
mvn -B -ntp -P release verify "$@"
# Two clean builds of the library modules give byte-identical jars.
scripts/reproducible.sh -o
if [ "$(id -u)" = 0 ] && [ "${NETNS_SKIP_ROOTLESS:-0}" != 1 ]; then
  scripts/rootless-pass.sh
fi
if [ "${NETNS_SKIP_BENCH_SMOKE:-0}" != 1 ]; then
  # One JMH per machine (see netns-bench/run.sh): wait for another one to finish rather than fail on it.
  flock /tmp/jmh.lock netns-bench/run.sh --smoke --no-build
fi
