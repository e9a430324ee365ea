#!/usr/bin/env bash
# Installs what netns and its tests need on a fresh Debian machine, and nothing that is already there.
# Needs root (apt-get); does nothing when every tool is present. Every test that needs something of the
# machine gets it from here, so that with NETNS_REQUIRE_PRIVILEGED=1 (CI) no test has a reason to skip:
#  - the witness tools the tests read the kernel with (ip, nft, iptables-save, nsenter, setpriv, ping);
#  - a JDK 24+ for VirtualThreadIT (21+) and ModulePathIT (24+) (Debian bookworm has none: a JDK found by
#    scripts/jdk21.sh 24 is used, else openjdk-25 from apt where the release has it, else it stops with an
#    error naming what to install; nothing is downloaded from outside the package registries);
#  - apache2 for DemoIT's Apache path, installed without ever starting its service (a policy-rc.d of our
#    own answers 101 "action forbidden" during the install, and the unit is left disabled).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables) # the tests read the published ports' table with nft
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v ps >/dev/null 2>&1 || need+=(procps)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping) # ICMPv6 echo in the dual-stack bridge tests
command -v curl >/dev/null 2>&1 || need+=(curl) # the demo's IPv6 step fetches with curl -6
# CNI mode's tests and the CNI benchmark run Debian's plugins (bridge, host-local, portmap, firewall, tuning)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v unshare >/dev/null 2>&1 || need+=(util-linux) # the rootless pass (scripts/rootless-pass.sh)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
command -v useradd >/dev/null 2>&1 || need+=(passwd)
updated=0
apt_install() {
  if [ "$updated" = 0 ]; then apt-get update -qq; updated=1; fi
  apt-get install -y -qq "$@" >/dev/null
}
if [ ${#need[@]} -gt 0 ]; then
  echo "netns setup: installing ${need[*]}" >&2
  apt_install "${need[@]}"
fi

# A JDK 24+ for the virtual-thread test (21+) and the module-path test (24+).
if ! "$here/jdk21.sh" 24 >/dev/null; then
  if [ "$updated" = 0 ]; then apt-get update -qq; updated=1; fi
  if apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
    echo "netns setup: installing openjdk-25-jdk-headless" >&2
    apt_install openjdk-25-jdk-headless
  else
    echo "netns setup: no JDK 24 or later found (VirtualThreadIT needs 21+, ModulePathIT 24+) and this" >&2
    echo "  release's apt has no openjdk-25-jdk-headless. Install a JDK 24+ under /usr/lib/jvm (e.g. a" >&2
    echo "  Temurin 25 JDK), or point NETNS_JDK21 at a JDK 24+ home, and run scripts/setup.sh again." >&2
    exit 1
  fi
  "$here/jdk21.sh" 24 >/dev/null || { echo "netns setup: still no JDK 24+" >&2; exit 1; }
fi

# apache2 for DemoIT, never started as a service on the machine's own network.
if [ ! -x /usr/sbin/apache2 ]; then
  echo "netns setup: installing apache2 (its service is not started)" >&2
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [ -e "$policy" ]; then saved="$(mktemp)"; cp -p "$policy" "$saved"; fi
  restore() { if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi; }
  trap restore EXIT
  printf '#!/bin/sh\n# netns scripts/setup.sh: no service starts while apache2 is installed\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  apt_install apache2
  restore
  trap - EXIT
  if command -v systemctl >/dev/null 2>&1; then systemctl disable apache2 >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null 2>&1; then update-rc.d apache2 disable >/dev/null 2>&1 || true; fi
fi
