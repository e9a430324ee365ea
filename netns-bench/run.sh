#!/usr/bin/env bash
# netns-bench/run.sh — build, run the C floor, the CNI peer (if present), JMH, NoneFloorCheck and ScaleCheck in one
# invocation, and write results/RESULTS.md with the scores and the same-run ratios.
#
# Usage: netns-bench/run.sh [--smoke] [--cni] [--strict] [--no-build] [--scale N] [-- JMH args...]
#   --smoke     every benchmark with one fork, one short iteration, small floor/scale counts (CI; a few
#               minutes); exits 0 only if everything that this build has ran (pending parts are listed).
#   --cni       install the CNI plugins (Debian containernetworking-plugins) if absent, to measure the peer
#               (measured whenever /usr/lib/cni/bridge exists: bridge + host-local, and bridge + portmap).
#   (default)   the full run: 2 forks x (3 warm-up + 4 measured 1 s iterations) per benchmark, the floor
#               with 1,000,000 switches / 200 creates, CNI 50 lifecycles, ScaleCheck N = 1000 (~12-15 min).
#   --strict    also exit non-zero (3) when a target is missed (full runs only; smoke numbers are noise).
#   --no-build  use the existing target/benchmarks.jar (e.g. from 'mvn verify'; an error if it is missing) and
#               target/floor (built with gcc if missing).
#   --scale N   ScaleCheck with N >= 30 sandboxes (default 1000; 100 with --smoke).
#   -- ...      passed to JMH, e.g. -- 'SwitchBenchmark' -f 1 -wi 2 -i 3 -w 1s -r 1s
# Needs root. Makes only bench-<run>.* namespaces (and lab hosts), never touches the machine's own stack,
# and fails when any of them, an owner record or an IPAM lease of them is left afterwards; whatever is left
# is removed on exit (also on failure or Ctrl-C), so a failed run does not leave the machine dirty. JMH allows one instance per
# machine (/tmp/jmh.lock): a concurrent JMH run elsewhere makes this one fail, by JMH's design.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
RESULTS=$HERE/results
JAR=$HERE/target/benchmarks.jar
FLOOR=$HERE/target/floor
COMMAND="netns-bench/run.sh${*:+ $*}"

smoke=0 cni=0 strict=0 build=1 scale=""
jmh_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --cni) cni=1 ;;
        --strict) strict=1 ;;
        --no-build) build=0 ;;
        --scale) scale=$2; shift ;;
        --) shift; jmh_args=("$@"); break ;;
        *) echo "run.sh: unknown option $1 (see the header of $0)" >&2; exit 64 ;;
    esac
    shift
done

if [ "$(id -u)" != 0 ]; then
    echo "run.sh: needs root (namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)" >&2
    exit 1
fi

# Every name this run makes starts with bench-$NETNS_BENCH_RUN. (Names.java), so the leak check below is not
# confused by another run of the benchmarks on the same machine.
export NETNS_BENCH_RUN=r$(printf '%x' $(( $$ % 4096 )))

log() { printf '\n== %s\n' "$*" >&2; }
failures=()

# Removes what this run made and left (a benchmark killed mid-trial, a failed setup): namespaces, owner
# records, IPAM state. Runs on every exit; the leak check below has reported anything found by then.
mine="^bench-$NETNS_BENCH_RUN\\."
sweep() {
    local n
    for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "$mine"); do ip netns del "$n" 2>/dev/null || true; done
    for n in $(ls /run/netns 2>/dev/null | grep "$mine"); do umount -l "/run/netns/$n" 2>/dev/null; rm -f "/run/netns/$n"; done
    for n in $(ls /run/netns.d/sandboxes 2>/dev/null | grep "$mine"); do rm -rf "/run/netns.d/sandboxes/$n"; done
    for n in $(ls /run/netns.d/ipam 2>/dev/null | grep "$mine"); do rm -rf "/run/netns.d/ipam/$n"; done
    for n in $(ls /run/netns.d/ports 2>/dev/null | grep "$mine"); do rm -rf "/run/netns.d/ports/$n"; done
    for n in $(ls /run/netns.d/localnet 2>/dev/null | grep "$mine"); do rm -f "/run/netns.d/localnet/$n"; done
    for n in $(ls /run/netns.d/cni/results 2>/dev/null | grep -- "-bench-$NETNS_BENCH_RUN\\."); do rm -f "/run/netns.d/cni/results/$n"; done
    rm -rf "/run/bench-cni-$$"
}
trap sweep EXIT
trap 'exit 130' INT TERM

if [ $build = 1 ]; then
    log "build (reactor, so netns-core comes from this tree and not from a SNAPSHOT in ~/.m2)"
    mvn -B -ntp -q -f "$ROOT/pom.xml" -pl netns-bench -am package -DskipTests
    mkdir -p "$HERE/target"
    gcc -O2 -Wall -Wextra -o "$FLOOR" "$HERE/src/main/c/floor.c" -lpthread
else
    if [ ! -f "$JAR" ]; then
        echo "run.sh: --no-build but $JAR is missing: run 'mvn -B -ntp verify' (or package) first, or drop --no-build" >&2
        exit 1
    fi
    if [ ! -x "$FLOOR" ] || [ "$HERE/src/main/c/floor.c" -nt "$FLOOR" ]; then
        command -v gcc >/dev/null || { echo "run.sh: $FLOOR is missing and there is no gcc to build it (scripts/setup.sh installs it)" >&2; exit 1; }
        log "build the C floor (target/floor is missing or older than floor.c)"
        gcc -O2 -Wall -Wextra -o "$FLOOR" "$HERE/src/main/c/floor.c" -lpthread
    fi
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

log "capabilities"
java -cp "$JAR" io.netns.bench.Capabilities | tee "$RESULTS/capabilities.txt" >&2
cap() { grep -q "^$1=yes" "$RESULTS/capabilities.txt"; }
cap netns || { echo "run.sh: network namespaces unavailable here" >&2; exit 1; }
excludes=()
cap none || excludes+=('SetupBenchmark\.none$')
cap bridge || excludes+=('SetupBenchmark\.bridge$')
cap publish || excludes+=('SetupBenchmark\.bridgePublished$')
cap cni || excludes+=('CniBenchmark\.')
cap publish || excludes+=('PublishBenchmark\.' 'FirstPacketBenchmark\.')
cap ranges || excludes+=('PublishBenchmark\.range$')
cap ipv6 || excludes+=('DualStackBenchmark\.')

if [ $smoke = 1 ]; then
    floor_args=(20000 5)
    jmh_mode=(-f 1 -wi 1 -w 200ms -i 1 -r 300ms)
    # Published-port benchmarks at small sizes: their trial set-up publishes the background ports.
    jmh_params=(published=10,100 sandboxes=10 portsEach=10 background=10,100)
    scale=${scale:-100}
    cni_iterations=3
    none_rounds=50
else
    floor_args=(1000000 200)
    # Two forks, 3 warm-up and 4 measured iterations of 1 s (the classes' defaults are 2 x (5 + 5)): the full
    # run stays under ~15 minutes on a 2-core machine. Override after '--', e.g. -- -wi 5 -i 5.
    jmh_mode=(-f 2 -wi 3 -w 1s -i 4 -r 1s)
    jmh_params=() # the classes' own: 10, 1,000, 10,000 ports; 100 x 100; 10 vs 10,000 for the first packet
    scale=${scale:-1000}
    cni_iterations=50
    none_rounds=1000
fi

# The floor runs before and after JMH (the report averages the two), so that load from elsewhere on a
# shared machine during the JMH run weighs on both sides of a ratio alike.
log "C floor (before JMH)"
"$FLOOR" "${floor_args[@]}" | tee "$RESULTS/floor.txt" >&2 || failures+=("floor")

if [ $cni = 1 ] && [ ! -x /usr/lib/cni/bridge ]; then
    log "installing containernetworking-plugins"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containernetworking-plugins) >&2 \
        || failures+=("cni install")
fi
: > "$RESULTS/peer.txt"
if [ -x /usr/lib/cni/bridge ]; then
    log "CNI peer: bridge + host-local, and bridge + portmap, $cni_iterations lifecycles each inside a lab namespace"
    lab=bench-$NETNS_BENCH_RUN.cnilab
    data=/run/bench-cni-$$
    ip netns add "$lab"
    # The plugins run inside the lab namespace, so their bridge, veth host ends, masquerade and DNAT rules
    # live there, as ours do on a lab host. Up = ip netns add + ADD (bridge, then portmap chained with the
    # bridge's result as prevResult); down = DEL in reverse order + ip netns del: together what our bridge
    # (published) create+close does, namespace included. Timed with $EPOCHREALTIME (no fork for a clock).
    if ip netns exec "$lab" bash -s "$cni_iterations" "$data" >>"$RESULTS/peer.txt" <<'CNI'
set -eo pipefail
n=$1 data=$2
bridge='{"cniVersion":"1.0.0","name":"benchcni","type":"bridge","bridge":"benchcni0","isGateway":true,"ipMasq":true,
 "ipam":{"type":"host-local","subnet":"10.214.0.0/22","dataDir":"'"$data"'"}}'
portmap_head='{"cniVersion":"1.0.0","name":"benchcni","type":"portmap","capabilities":{"portMappings":true},
 "runtimeConfig":{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"}]},"prevResult":'
ip link set lo up
export CNI_PATH=/usr/lib/cni CNI_IFNAME=eth0
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
up=0 down=0
one() { # $1 id, $2 1 = chain portmap
    local ns=bench-$NETNS_BENCH_RUN.cni$1 t0 t1 t2 res
    export CNI_CONTAINERID="c$1" CNI_NETNS="/run/netns/bench-$NETNS_BENCH_RUN.cni$1"
    t0=$(us)
    ip netns add "$ns"
    res=$(CNI_COMMAND=ADD /usr/lib/cni/bridge <<<"$bridge")
    [ "$2" = 0 ] || CNI_COMMAND=ADD /usr/lib/cni/portmap <<<"$portmap_head$res}" >/dev/null
    t1=$(us)
    [ "$2" = 0 ] || CNI_COMMAND=DEL /usr/lib/cni/portmap <<<"$portmap_head$res}" >/dev/null
    CNI_COMMAND=DEL /usr/lib/cni/bridge <<<"$bridge" >/dev/null
    ip netns del "$ns"
    t2=$(us)
    up=$(( up + t1 - t0 )) down=$(( down + t2 - t1 ))
}
for chain in 0 1; do
    key=$([ $chain = 0 ] && echo cni_bridge || echo cni_portmap)
    one "w$chain" "$chain" # warm-up: page cache, the bridge, the iptables chains
    up=0 down=0
    for i in $(seq 1 "$n"); do one "$chain-$i" "$chain"; done
    echo "peer ${key}_up $(( up * 1000 / n )) $n"
    echo "peer ${key}_down $(( down * 1000 / n )) $n"
    echo "peer ${key}_lifecycle $(( (up + down) * 1000 / n )) $n"
done
# The portmap plugin's chains must be gone after its DEL (only the plugin's top-level hooks may stay).
left=$(iptables-save -t nat 2>/dev/null | grep -c '^-A CNI-DN-' || true)
[ "$left" = 0 ] || { echo "CNI portmap left $left DNAT rules" >&2; exit 1; }
CNI
    then :; else failures+=("cni peer"); fi
    ip netns del "$lab" || failures+=("cni lab cleanup")
    rm -rf "$data"
    cat "$RESULTS/peer.txt" >&2
fi

log "JMH"
# No -foe: one failing benchmark must not hide the others; a benchmark that did not produce a result is
# found below by comparing the results with JMH's own list of what this command selects.
jmh_cmd=(java -jar "$JAR" -rf json -rff "$RESULTS/jmh.json")
if [ ${#excludes[@]} -gt 0 ]; then
    jmh_cmd+=(-e "$(IFS='|'; echo "${excludes[*]}")")
fi
# The mode's options, less those given after '--' (JMH refuses an option given twice).
for ((k = 0; k < ${#jmh_mode[@]}; k += 2)); do
    given=0
    for a in "${jmh_args[@]}"; do
        [ "$a" = "${jmh_mode[k]}" ] && given=1
    done
    [ $given = 1 ] || jmh_cmd+=("${jmh_mode[k]}" "${jmh_mode[k+1]}")
done
# The mode's parameter sizes, less those given after '--' as -p name=...
for p in "${jmh_params[@]}"; do
    given=0
    for a in "${jmh_args[@]}"; do
        [ "${a%%=*}" = "${p%%=*}" ] && given=1
    done
    [ $given = 1 ] || jmh_cmd+=(-p "$p")
done
jmh_cmd+=("${jmh_args[@]}")
echo "${jmh_cmd[*]}" > "$RESULTS/jmh-command.txt"
"${jmh_cmd[@]}" 2>&1 | tee "$RESULTS/jmh.log" | grep -E '^(# Run complete|Benchmark |[A-Z][A-Za-z]+Benchmark\.|# Benchmark:|<failure>)' >&2 \
    || true
[ "${PIPESTATUS[0]}" = 0 ] || failures+=("jmh (see results/jmh.log)")
java -jar "$JAR" -l "${jmh_cmd[@]:7}" 2>/dev/null | grep -E '^io\.netns\.' | sort -u > "$RESULTS/jmh-selected.txt" || true
{ grep -o '"benchmark" : "[^"]*"' "$RESULTS/jmh.json" 2>/dev/null || true; } | cut -d'"' -f4 | sort -u > "$RESULTS/jmh-ran.txt"
no_result=$(comm -23 "$RESULTS/jmh-selected.txt" "$RESULTS/jmh-ran.txt" | sed 's/^io\.netns\.bench\.//')
if [ -n "$no_result" ]; then
    echo "no result (see results/jmh.log): $(echo $no_result)" >&2
    failures+=("jmh: no result for $(echo $no_result)")
fi

log "C floor (after JMH)"
"$FLOOR" "${floor_args[@]}" | tee -a "$RESULTS/floor.txt" >&2 || failures+=("floor")

log "none vs the floor, interleaved (NoneFloorCheck)"
# One none create+close, then the floor's system calls made from Java on the same thread, alternately: load from
# elsewhere weighs on both alike, which the JMH-vs-C ratio above (seconds apart) cannot promise on a busy machine.
: > "$RESULTS/nonefloor.md"
if cap none; then
    java -Xmx512m -cp "$JAR" io.netns.bench.NoneFloorCheck "$none_rounds" >"$RESULTS/nonefloor.md" 2>>"$RESULTS/nonefloor.log" \
        || failures+=("NoneFloorCheck failed (see results/nonefloor.log)")
    cat "$RESULTS/nonefloor.md" >&2
fi

log "ScaleCheck"
: > "$RESULTS/scale.md"
for mode in bridge container; do
    set +e
    java -Xmx512m -cp "$JAR" io.netns.bench.ScaleCheck "$mode" "$scale" >>"$RESULTS/scale.md" 2>>"$RESULTS/scale.log"
    rc=$?
    set -e
    echo >>"$RESULTS/scale.md"
    case $rc in
        0) ;;
        2) ;; # pending: the mode is not built yet
        1) failures+=("ScaleCheck $mode: footprint or clean-up target missed") ;;
        64) failures+=("ScaleCheck $mode: bad arguments ($(tail -1 "$RESULTS/scale.log"))") ;;
        3) if [ $strict = 1 ] && [ $smoke = 0 ]; then failures+=("ScaleCheck $mode: N-th create > 1.5x the 10th"); fi ;;
        *) failures+=("ScaleCheck $mode failed ($rc; see results/scale.log)") ;;
    esac
done
cat "$RESULTS/scale.md" >&2

log "leak check"
left=$( (ip netns list | awk '{print $1}' | grep "$mine" || true; ls /run/netns.d/sandboxes 2>/dev/null | grep "$mine" || true; ls /run/netns 2>/dev/null | grep "$mine" || true) | sort -u)
if [ -n "$left" ]; then
    echo "left behind: $left" >&2
    failures+=("left behind: $(echo $left)")
fi
# IPAM: a lease file left is a leak; a lab host's empty per-network directory is what netns-core leaves
# today when a lab host closes (reported, not failed; removed on exit like everything else of this run).
leases=$(find /run/netns.d/ipam -mindepth 3 -path "/run/netns.d/ipam/bench-$NETNS_BENCH_RUN.*" 2>/dev/null || true)
if [ -n "$leases" ]; then
    echo "IPAM leases left behind: $leases" >&2
    failures+=("IPAM leases left behind: $(echo $leases)")
fi
ipam_dirs=$(ls /run/netns.d/ipam 2>/dev/null | grep -c "$mine" || true)
# Port claims of lab hosts (the published-port benchmarks publish thousands): a claim file left is a leak.
claims=$(find /run/netns.d/ports -mindepth 3 -path "/run/netns.d/ports/bench-$NETNS_BENCH_RUN.*" 2>/dev/null | head -5 || true)
if [ -n "$claims" ]; then
    echo "port claims left behind: $claims" >&2
    failures+=("port claims left behind: $(echo $claims) ...")
fi

log "report"
set +e
report=$(java -cp "$JAR" io.netns.bench.Report "$RESULTS/jmh.json" "$RESULTS/floor.txt" "$RESULTS/peer.txt")
report_rc=$?
set -e
{
    echo "# netns-bench results"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
    [ $smoke = 1 ] && echo && echo "**Smoke pass**: one fork, one short iteration, small counts — proves everything runs; the numbers are not results."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
    echo "- kernel: $(uname -srm)"
    echo "- memory: $(free -m | awk '/^Mem:/{print $2 " MiB"}'), load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- java: $(java -version 2>&1 | head -2 | tail -1)"
    echo
    echo "## Command"
    echo
    echo '```'
    echo "$COMMAND"
    echo "# JMH: $(sed "s|$HERE/||g" "$RESULTS/jmh-command.txt")"
    echo "# floor: target/floor ${floor_args[*]}"
    echo '```'
    echo
    echo "## Pending (not in this build)"
    echo
    grep '=no' "$RESULTS/capabilities.txt" | sed 's/^\([a-z0-9]*\)=no /- `\1`: /' || echo "- nothing"
    [ -s "$RESULTS/peer.txt" ] || echo "- CNI peer: \`/usr/lib/cni/bridge\` absent (\`run.sh --cni\` installs containernetworking-plugins)"
    echo
    echo "## Results"
    echo
    echo "$report"
    echo
    if [ -s "$RESULTS/nonefloor.md" ]; then
        echo "## none vs the floor, interleaved"
        echo
        echo "\`NoneFloorCheck $none_rounds\`: one \`none\` create+close, then \`floor.c\`'s none_create_delete system calls from Java, alternately on one thread."
        echo
        cat "$RESULTS/nonefloor.md"
        echo
    fi
    echo "## Scale"
    echo
    cat "$RESULTS/scale.md"
    echo
    echo "## Status"
    echo
    if [ ${#failures[@]} = 0 ]; then echo "Everything that this build has ran, and nothing was left behind."; else printf -- '- FAILED: %s\n' "${failures[@]}"; fi
    [ "$ipam_dirs" = 0 ] || echo "- note: netns-core left $ipam_dirs empty IPAM director$([ "$ipam_dirs" = 1 ] && echo y || echo ies) of closed lab hosts under /run/netns.d/ipam (no lease; run.sh removed them)"
} > "$RESULTS/RESULTS.md"
[ $report_rc -le 1 ] || failures+=("report failed")
echo "$RESULTS/RESULTS.md" >&2

if [ ${#failures[@]} -gt 0 ]; then
    printf 'run.sh: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
if [ $strict = 1 ] && [ $smoke = 0 ] && [ $report_rc = 1 ]; then
    echo "run.sh: a target was missed (see RESULTS.md)" >&2
    exit 3
fi
exit 0
