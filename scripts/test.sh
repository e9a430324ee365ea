#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs unit tests (surefire) and
# privileged integration tests (*IT, failsafe), then a one-iteration smoke pass of the benchmarks.
# Run as root. With NETNS_REQUIRE_PRIVILEGED=1 a privileged test that would skip fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mvn -B -ntp verify "$@"
