#!/usr/bin/env bash
# netns-bench/run.sh — build, run the C floor, the CNI peer (if present), JMH and ScaleCheck in one
# invocation, and write results/RESULTS.md with the scores and the same-run ratios.
#
# Usage: netns-bench/run.sh [--smoke] [--cni] [--strict] [--no-build] [--scale N] [-- JMH args...]
#   --smoke     every benchmark with one fork, one short iteration, small floor/scale counts (CI; a few
#               minutes); exits 0 only if everything that this build has ran (pending parts are listed).
#   --cni       install the CNI plugins (Debian containernetworking-plugins) if absent, to measure the peer.
#   --strict    also exit non-zero (3) when a target is missed (full runs only; smoke numbers are noise).
#   --no-build  use the existing target/benchmarks.jar and target/floor.
#   --scale N   ScaleCheck with N sandboxes (default 1000; 100 with --smoke).
#   -- ...      passed to JMH, e.g. -- 'SwitchBenchmark' -f 1 -wi 2 -i 3 -w 1s -r 1s
# Needs root. Makes only bench-<run>.* namespaces (and lab hosts), never touches the machine's own stack,
# and fails when any of them or an owner record of them is left afterwards. JMH allows one instance per
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

if [ $build = 1 ]; then
    log "build (reactor, so netns-core comes from this tree and not from a SNAPSHOT in ~/.m2)"
    mvn -B -ntp -q -f "$ROOT/pom.xml" -pl netns-bench -am package -DskipTests
    mkdir -p "$HERE/target"
    gcc -O2 -Wall -Wextra -o "$FLOOR" "$HERE/src/main/c/floor.c" -lpthread
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

if [ $smoke = 1 ]; then
    floor_args=(20000 5)
    jmh_mode=(-f 1 -wi 1 -w 200ms -i 1 -r 300ms)
    scale=${scale:-100}
    cni_iterations=3
else
    floor_args=(1000000 200)
    jmh_mode=()
    scale=${scale:-1000}
    cni_iterations=50
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
    log "CNI peer: bridge + host-local, $cni_iterations lifecycles inside a lab namespace"
    lab=bench-$NETNS_BENCH_RUN.cnilab
    data=/run/bench-cni-$$
    ip netns add "$lab"
    # The plugin runs inside the lab namespace, so its bridge, veth host ends and masquerade rules live
    # there, as ours do on a lab host. One lifecycle = ip netns add, ADD, DEL, ip netns del: what our
    # bridge create+close does (namespace included).
    if ip netns exec "$lab" bash -s "$cni_iterations" "$data" >>"$RESULTS/peer.txt" <<'CNI'
set -e
n=$1 data=$2
conf='{"cniVersion":"1.0.0","name":"benchcni","type":"bridge","bridge":"benchcni0","isGateway":true,"ipMasq":true,
 "ipam":{"type":"host-local","subnet":"10.214.0.0/24","dataDir":"'"$data"'"}}'
ip link set lo up
export CNI_PATH=/usr/lib/cni CNI_IFNAME=eth0
one() {
    ip netns add "bench-$NETNS_BENCH_RUN.cni$1"
    CNI_COMMAND=ADD CNI_CONTAINERID="c$1" CNI_NETNS="/run/netns/bench-$NETNS_BENCH_RUN.cni$1" /usr/lib/cni/bridge <<<"$conf" >/dev/null
    CNI_COMMAND=DEL CNI_CONTAINERID="c$1" CNI_NETNS="/run/netns/bench-$NETNS_BENCH_RUN.cni$1" /usr/lib/cni/bridge <<<"$conf" >/dev/null
    ip netns del "bench-$NETNS_BENCH_RUN.cni$1"
}
one warm
t0=$(date +%s%N)
for i in $(seq 1 "$n"); do one "$i"; done
t1=$(date +%s%N)
echo "peer cni_bridge_lifecycle $(( (t1 - t0) / n )) $n"
CNI
    then :; else failures+=("cni peer"); fi
    ip netns del "$lab" || failures+=("cni lab cleanup")
    rm -rf "$data"
    cat "$RESULTS/peer.txt" >&2
fi

log "JMH"
jmh_cmd=(java -jar "$JAR" -rf json -rff "$RESULTS/jmh.json" -foe true)
if [ ${#excludes[@]} -gt 0 ]; then
    jmh_cmd+=(-e "$(IFS='|'; echo "${excludes[*]}")")
fi
jmh_cmd+=("${jmh_mode[@]}" "${jmh_args[@]}")
echo "${jmh_cmd[*]}" > "$RESULTS/jmh-command.txt"
"${jmh_cmd[@]}" 2>&1 | tee "$RESULTS/jmh.log" | grep -E '^(# Run complete|Benchmark |[A-Z][A-Za-z]+Benchmark\.|# Benchmark:|<failure>)' >&2 \
    || true
[ "${PIPESTATUS[0]}" = 0 ] || failures+=("jmh (see results/jmh.log)")

log "C floor (after JMH)"
"$FLOOR" "${floor_args[@]}" | tee -a "$RESULTS/floor.txt" >&2 || failures+=("floor")

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
        3) if [ $strict = 1 ] && [ $smoke = 0 ]; then failures+=("ScaleCheck $mode: N-th create > 1.5x the 10th"); fi ;;
        *) failures+=("ScaleCheck $mode failed ($rc; see results/scale.log)") ;;
    esac
done
cat "$RESULTS/scale.md" >&2

log "leak check"
mine="^bench-$NETNS_BENCH_RUN\\."
left=$( (ip netns list | awk '{print $1}' | grep "$mine" || true; ls /run/netns.d/sandboxes 2>/dev/null | grep "$mine" || true; ls /run/netns 2>/dev/null | grep "$mine" || true) | sort -u)
if [ -n "$left" ]; then
    echo "left behind: $left" >&2
    failures+=("left behind: $(echo $left)")
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
    grep '=no' "$RESULTS/capabilities.txt" | sed 's/^\([a-z]*\)=no /- `\1`: /' || echo "- nothing"
    echo "- RtnlBenchmark, PlannerBenchmark: present as \`.java.pending\` until \`io.netns.rtnl\` / \`io.netns.planner\` merge"
    [ -s "$RESULTS/peer.txt" ] || echo "- CNI peer: \`/usr/lib/cni/bridge\` absent (\`run.sh --cni\` installs containernetworking-plugins)"
    echo "- floor for bridge setup over raw netlink: not written; bridge mode's reference is the CNI plugin"
    echo
    echo "## Results"
    echo
    echo "$report"
    echo
    echo "## Scale"
    echo
    cat "$RESULTS/scale.md"
    echo
    echo "## Status"
    echo
    if [ ${#failures[@]} = 0 ]; then echo "Everything that this build has ran, and nothing was left behind."; else printf -- '- FAILED: %s\n' "${failures[@]}"; fi
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
