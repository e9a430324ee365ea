#!/usr/bin/env bash
# The rootless pass: the privileged integration tests once more, the way a normal user runs them:
# as the unprivileged user netns-ci, inside `unshare --user --map-root-user --mount mvn ...` (no --net: Maven and
# the JVMs keep the machine's network). scripts/test.sh runs it as root after `mvn verify`, on the tree that
# verify built: it is copied to a directory of the user's (sources, target/), with a copy of root's Maven repository, so
# the pass runs offline and compiles nothing new. Unit tests ran in the root pass and are not repeated.
#
# Not repeated rootless: NoPrivilegesIT, which starts a JVM as a second user (nobody) to see it refused; a user
# namespace that maps one user id has no second one. RootlessIT, which starts such a JVM from the root pass,
# runs here as well (its child simply inherits this user namespace). Nor CniIT: the real CNI plugins it runs keep
# state in fixed host paths (tuning writes /run/cni/tuning, which this user cannot) and it makes a namespace by hand
# with `ip netns add`, which a user namespace refuses (setns: EPERM); CNI mode rootless is not covered yet. Nor
# LockIT: it checks the machine's root-owned lock file /run/lock/netns-iptables.lock against a second user
# (setpriv), neither of which exists for a user namespace that maps one user id.
#
# Needs root (useradd, runuser). Extra arguments go to mvn.
set -euo pipefail
cd "$(dirname "$0")/.."
user=netns-ci
if ! id -u "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/sh "$user"
fi
home=$(getent passwd "$user" | cut -d: -f6)
work=$(mktemp -d "$home/netns.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree" "$work/m2"
tar -C . --exclude=./.git -cf - . | tar -C "$work/tree" -xf -
if [ -d "$HOME/.m2/repository" ]; then
  cp -a "$HOME/.m2/repository/." "$work/m2/"
fi
chown -R "$user:" "$work"
echo "netns rootless pass: as $user ($(id -u "$user")), in unshare --user --map-root-user --mount" >&2
cd "$work/tree"
runuser -u "$user" -- env HOME="$home" NETNS_REQUIRE_PRIVILEGED="${NETNS_REQUIRE_PRIVILEGED:-}" \
  unshare --user --map-root-user --mount \
  mvn -B -ntp -o -Duser.home="$home" -Dmaven.repo.local="$work/m2" verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='*IT,!NoPrivilegesIT,!CniIT,!LockIT' -Dfailsafe.failIfNoSpecifiedTests=false "$@"
