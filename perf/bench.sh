#!/usr/bin/env bash
# Side-by-side benchmark: the raw veth pair, IPOP (both suites), wireguard-go, Nebula, tinc and
# OpenVPN, all in the same two network namespaces on the same veth pair, measured in interleaved
# rounds so that load from other tenants hits every target alike.
#   perf/bench.sh [--quick] [--rounds N] [--seconds S] [--targets LIST] [--ipop-queues LIST]
#                 [--section NAME]
# Per round and target: iperf3 TCP with 1 and 4 streams, iperf3 UDP (datagrams of the path's MSS offered
# at a fixed rate: received rate and loss), sockperf UDP ping-pong (64 bytes, p50/p99), ping, the
# CPU seconds the VPN's own processes (both ends) spent per GB the two TCP runs moved, and their
# resident memory (VmRSS, VmHWM), and the TUN queues one end holds open. Prints medians, spread and ratios; with --section also writes
# them, with this exact command line, into that section of docs/performance.md and the chart to
# docs/img/<section>.png. Raw figures: perf/results/<section, or bench-last>.tsv.
# --targets picks a subset (default: all, in the order below; with --quick: raw, ipop-aes and
# wireguard-go). --ipop-queues 1,2,4 adds one
# aes256gcm IPOP target per extra queue count (ipop-aes-q2, ...): interface.queues in its config.
# Needs root. Addresses: 198.51.100.0/24 underlay; 192.0.2.0/24 IPOP (a /28 per instance);
# 203.0.113.0/24 the peers (a /28 each). Each VPN's setup is in perf/bench.d/<name>.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="perf/bench.sh $*"
usage="usage: perf/bench.sh [--quick] [--rounds N] [--seconds S] [--targets LIST] [--ipop-queues LIST] [--section NAME]"

all_targets="raw,ipop-aes,ipop-chacha,wireguard-go,nebula,tinc,openvpn"
quick=0
rounds=""
seconds=""
section=""
wanted=""
queue_counts=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --targets) wanted="$2"; shift 2 ;;
    --ipop-queues) queue_counts="$2"; shift 2 ;;
    --section) section="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  # A check after a change: our default suite against the raw link and the VPN of the mission's
  # goals; the other peers take most of a full run's start-up time.
  wanted=${wanted:-raw,ipop-aes,wireguard-go}
  seconds=${seconds:-1}; rounds=${rounds:-2}; latency_seconds=1; pings=10
else
  seconds=${seconds:-10}; rounds=${rounds:-5}; latency_seconds=5; pings=50
fi
wanted=${wanted:-$all_targets}
for n in "$rounds" "$seconds"; do
  case "$n" in ''|*[!0-9]*|0) echo "--rounds and --seconds need a positive number" >&2; exit 2 ;; esac
done
udp_rate=2G        # offered UDP load; the table shows what arrived and what was lost

# The targets, in measuring order: the first queue count goes to ipop-aes and ipop-chacha, each
# further one adds an aes256gcm target of its own.
IFS=, read -r -a queue_list <<<"$queue_counts"
for q in "${queue_list[@]}"; do
  case "$q" in ''|*[!0-9]*|0) echo "--ipop-queues takes positive numbers separated by commas" >&2; exit 2 ;; esac
done
targets=()
IFS=, read -r -a wanted_list <<<"$wanted"
for w in "${wanted_list[@]}"; do
  case ",$all_targets," in *",$w,"*) ;; *) echo "unknown target '$w'; known: $all_targets" >&2; exit 2 ;; esac
done
for t in ${all_targets//,/ }; do
  case ",$wanted," in *",$t,"*) ;; *) continue ;; esac
  targets+=("$t")
  if [ "$t" = ipop-chacha ] || { [ "$t" = ipop-aes ] && [[ ",$wanted," != *",ipop-chacha,"* ]]; }; then
    for q in "${queue_list[@]:1}"; do targets+=("ipop-aes-q$q"); done
  fi
done

if [ "$(id -u)" -ne 0 ]; then
  echo "perf/bench.sh needs root (network namespaces)" >&2
  exit 1
fi
for tool in ip iperf3 sockperf wireguard-go wg nebula nebula-cert tincd openvpn openssl jq; do
  command -v "$tool" >/dev/null || { bash ci/install-deps.sh; break; }
done

. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"

# --- Build: the report generator (perf); ./ipop builds the product itself. ---
echo "Building ..."
mvn -B -q -ntp -Dstyle.color=never -pl perf -am -DskipTests package
report_cp="perf/target/classes:$(cat perf/target/jmh.classpath)"

# --- Namespaces, processes and their cleanup. ---
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
nsA="ipopt-bench-a-$tag"
nsB="ipopt-bench-b-$tag"
work=$(mktemp -d /tmp/ipop-bench.XXXXXX)
pids=()
wg_sockets=()
declare -A vpn_pids=()   # target -> the pids started for it (their children count too)
declare -A address=()    # target -> the address in namespace B the client in A measures

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.3
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "$nsA" "$nsB"; do
    if ip netns list | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true   # takes every device inside with it
    fi
  done
  rm -f "${wg_sockets[@]}"
  # A node killed above leaves its run files and Aeron directory; they are named for this run.
  rm -f /run/ipop/ipb"$tag"* 2>/dev/null || true
  rm -rf /dev/shm/ipopt-bench-"$tag"-* 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a process in the background, remembering its pid (in last_pid, and for the cleanup).
# `ip netns exec` execs the command, so the pid is the command's own.
spawn() {
  local log="$1"; shift
  "$@" >"$work/$log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

in_a() { ip netns exec "$nsA" "$@"; }
in_b() { ip netns exec "$nsB" "$@"; }

wait_for() { # description, seconds, command...
  local what="$1" limit="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

. perf/bench.d/ipop.sh
. perf/bench.d/wireguard-go.sh
. perf/bench.d/nebula.sh
. perf/bench.d/tinc.sh
. perf/bench.d/openvpn.sh
. perf/bench.d/sample.sh

ip netns add "$nsA"
ip netns add "$nsB"
in_a ip link set lo up
in_b ip link set lo up
in_a ip link add veth-a type veth peer name veth-b netns "$nsB"
in_a ip addr add 198.51.100.1/24 dev veth-a
in_b ip addr add 198.51.100.2/24 dev veth-b
in_a ip link set veth-a up
in_b ip link set veth-b up

# Every VPN is up for the whole run; each starts here and stops in the cleanup.
[[ " ${targets[*]} " == *" ipop-"* ]] && ./ipop version >/dev/null   # builds once, before nodes would race to
k=0
for t in "${targets[@]}"; do
  case "$t" in
    raw) address[raw]=198.51.100.2 ;;
    ipop-aes) start_ipop "$t" aes256gcm "${queue_list[0]}" "$k"; k=$((k + 1)) ;;
    ipop-chacha) start_ipop "$t" chacha20poly1305 "${queue_list[0]}" "$k"; k=$((k + 1)) ;;
    ipop-aes-q*) start_ipop "$t" aes256gcm "${t#ipop-aes-q}" "$k"; k=$((k + 1)) ;;
    wireguard-go) start_wireguard_go "$t" ;;
    nebula) start_nebula "$t" ;;
    tinc) start_tinc "$t" ;;
    openvpn) start_openvpn "$t" ;;
  esac
done

# Servers in B, one iperf3 and one sockperf for all targets (the tests run one at a time).
spawn iperf3-server.log ip netns exec "$nsB" iperf3 -s -p 5201
spawn sockperf-server.log ip netns exec "$nsB" sockperf sr -i 0.0.0.0 -p 11111
wait_for "iperf3 server" 10 in_b sh -c 'ss -ltn | grep -q ":5201 "'

for t in "${targets[@]}"; do
  # IPOP's nodes build, start two JVMs each and handshake: give them time on a loaded machine.
  wait_for "ping over $t" 90 in_a ping -c 1 -W 1 "${address[$t]}" \
    || { tail -n 20 "$work/$t"-*.log >&2; exit 1; }
done

mkdir -p perf/results
results="perf/results/${section:-bench-last}.tsv"
chart="perf/results/${section:-bench-last}.png"
[ -n "$section" ] && chart="docs/img/$section.png"
printf 'round\ttarget\tmetric\tvalue\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }

# iperf3 client; prints the JSON or nothing on failure (the round then lacks that figure).
iperf() {
  local out="$work/iperf.json"
  if in_a iperf3 -J "$@" >"$out" 2>/dev/null; then cat "$out"; else
    echo "  iperf3 $* failed: $(jq -r '.error // empty' "$out" 2>/dev/null)" >&2
  fi
}

# One unrecorded TCP run per target first: IPOP's JVMs compile their packet path during their first
# seconds of traffic, and every target should be measured warm, not only those written in C or Go.
echo "Warming up: ${seconds} s of TCP over each target ..."
for t in "${targets[@]}"; do
  iperf -c "${address[$t]}" -t "$seconds" >/dev/null
done

load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "Measuring: $rounds rounds of ${seconds} s tests over ${targets[*]} ..."
for round in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    a=${address[$t]}
    procs=$(process_tree ${vpn_pids[$t]:-})
    ticks_before=$(cpu_ticks $procs)
    bytes=0
    json=$(iperf -c "$a" -t "$seconds")
    if [ -n "$json" ]; then
      record "$round" "$t" tcp1 "$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$json")"
      bytes=$((bytes + $(jq '.end.sum_received.bytes' <<<"$json")))
    fi
    json=$(iperf -c "$a" -t "$seconds" -P 4)
    if [ -n "$json" ]; then
      record "$round" "$t" tcp4 "$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$json")"
      bytes=$((bytes + $(jq '.end.sum_received.bytes' <<<"$json")))
    fi
    if [ -n "$procs" ]; then
      # CPU of the VPN's own processes on both ends over both TCP runs, per GB of payload received.
      ticks=$(( $(cpu_ticks $procs) - ticks_before ))
      [ "$bytes" -gt 0 ] && record "$round" "$t" cpu_per_gb "$(awk -v t="$ticks" -v hz="$clock_ticks" -v b="$bytes" \
        'BEGIN { printf "%.4f", t / hz / (b / 1e9) }')"
      record "$round" "$t" rss_mib "$(memory_kib VmRSS $procs | awk '{ printf "%.1f", $1 / 1024 }')"
      record "$round" "$t" hwm_mib "$(memory_kib VmHWM $procs | awk '{ printf "%.1f", $1 / 1024 }')"
      # shellcheck disable=SC2086
      record "$round" "$t" tun_queues "$(tun_queues $(process_tree ${vpn_pids[$t]%% *}))"
    fi
    # iperf3's own datagram size, the TCP MSS of its control connection: the largest that crosses the
    # path unfragmented (1448 bytes on the raw veth, 1368 through a VPN's 1420-byte MTU).
    json=$(iperf -c "$a" -t "$seconds" -u -b "$udp_rate")
    if [ -n "$json" ]; then
      # The server's view: what arrived, and the share of sent datagrams that did not.
      record "$round" "$t" udp "$(jq '(.end.sum_received.bits_per_second // .end.sum.bits_per_second) / 1e9' <<<"$json")"
      record "$round" "$t" udp_loss "$(jq '.end.sum_received.lost_percent // .end.sum.lost_percent' <<<"$json")"
    fi
    if in_a sockperf pp -i "$a" -p 11111 -t "$latency_seconds" --msg-size 64 >"$work/sockperf.txt" 2>&1; then
      p50=$(sed -n 's/.*percentile 50\.000 = *\([0-9.]*\).*/\1/p' "$work/sockperf.txt")
      p99=$(sed -n 's/.*percentile 99\.000 = *\([0-9.]*\).*/\1/p' "$work/sockperf.txt")
      [ -n "$p50" ] && record "$round" "$t" lat_p50 "$p50"
      [ -n "$p99" ] && record "$round" "$t" lat_p99 "$p99"
    else
      echo "  sockperf over $t failed: $(tail -3 "$work/sockperf.txt")" >&2
    fi
    # ping: the round trip as everyone measures it (ICMP, 56 bytes, 20 ms apart).
    if in_a ping -q -c "$pings" -i 0.02 -W 1 "$a" >"$work/ping.txt" 2>&1; then
      rtt=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' "$work/ping.txt")
      [ -n "$rtt" ] && record "$round" "$t" ping_rtt "$(awk -v ms="$rtt" 'BEGIN { printf "%.1f", ms * 1000 }')"
    else
      echo "  ping over $t failed: $(tail -2 "$work/ping.txt")" >&2
    fi
    echo "  round $round $t: $(awk -F'\t' -v r="$round" -v t="$t" '$1==r && $2==t {printf "%s=%.3g ", $3, $4}' "$results")"
  done
done

# Other tenants' load is part of the result on a shared machine: show it beside the figures.
conditions="kernel $(uname -r), ${seconds} s per test, interface.queues ${queue_list[0]} for ipop-aes and ipop-chacha, load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after"
"$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp "$report_cp" net.ipop.perf.bench.BenchReport \
  "$results" "$command_line" "$conditions" "$chart" "${section:+docs/performance.md}" "$section"
