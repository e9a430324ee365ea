#!/usr/bin/env bash
# Installs what netns needs on a fresh Debian machine, and nothing that is already there.
# Needs root (apt-get); does nothing when every tool is present.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables) # the tests read the published ports' table with nft
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v ps >/dev/null 2>&1 || need+=(procps)
# CNI mode's tests and the CNI benchmark run Debian's plugins (bridge, host-local, portmap, firewall, tuning)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  echo "netns setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
