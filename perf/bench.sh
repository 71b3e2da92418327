#!/usr/bin/env bash
# Side-by-side benchmark: the raw veth pair, the IPOP overlay and wireguard-go, in the same two
# network namespaces, measured in interleaved rounds so that load from other tenants hits every
# target alike.
#   perf/bench.sh [--quick] [--rounds N] [--section NAME]
# Per round and target: iperf3 TCP with 1 and 4 streams, iperf3 UDP (1400-byte datagrams offered
# at a fixed rate) and a sockperf UDP ping-pong (64 bytes). Prints medians, spread and ratios; with
# --section also writes them, with this exact command line, into that section of
# docs/performance.md. Raw figures: perf/results/<section, or bench-last>.tsv.
# Needs root. Addresses: 198.51.100.0/24 underlay, 192.0.2.0/24 IPOP, 203.0.113.0/24 wireguard-go.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="perf/bench.sh $*"

quick=0
rounds=""
section=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --section) section="$2"; shift 2 ;;
    *) echo "usage: perf/bench.sh [--quick] [--rounds N] [--section NAME]" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  seconds=3; rounds=${rounds:-3}
else
  seconds=10; rounds=${rounds:-5}
fi
case "$rounds" in ''|*[!0-9]*|0) echo "--rounds needs a positive number" >&2; exit 2 ;; esac
udp_rate=2G        # offered UDP load; the table shows what arrived and what was lost
latency_seconds=3

if [ "$(id -u)" -ne 0 ]; then
  echo "perf/bench.sh needs root (network namespaces)" >&2
  exit 1
fi
for tool in ip iperf3 sockperf wireguard-go wg; do
  command -v "$tool" >/dev/null || { bash ci/install-deps.sh; break; }
done
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }

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
wgA="wgb${tag}a"
wgB="wgb${tag}b"
work=$(mktemp -d /tmp/ipop-bench.XXXXXX)
pids=()

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
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -f "/var/run/wireguard/$wgA.sock" "/var/run/wireguard/$wgB.sock"
  # A node killed above leaves its run files and Aeron directory; they are named for this run.
  rm -f /run/ipop/ipb"$tag"?.* 2>/dev/null || true
  rm -rf /dev/shm/ipopt-bench-"$tag"-? 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a process in the background, remembering its pid for the cleanup. `ip netns exec` execs
# the command, so the pid is the command's own.
spawn() {
  local log="$1"; shift
  "$@" >"$work/$log" 2>&1 &
  pids+=($!)
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

ip netns add "$nsA"
ip netns add "$nsB"
in_a ip link set lo up
in_b ip link set lo up
in_a ip link add veth-a type veth peer name veth-b netns "$nsB"
in_a ip addr add 198.51.100.1/24 dev veth-a
in_b ip addr add 198.51.100.2/24 dev veth-b
in_a ip link set veth-a up
in_b ip link set veth-b up

# IPOP: the product itself. Each namespace runs `ipop up --foreground` (the node daemon and the
# data-plane process it supervises) from a config written here; the peers handshake over the
# overlay's own UDP sockets before any figure is taken.
./ipop version >/dev/null   # builds once, before two nodes would try to at the same time
(umask 077; wg genkey >"$work/ipop-a.key"; wg genkey >"$work/ipop-b.key")
ipop_config() { # side, own address, peer side, peer address, peer underlay
  cat >"$work/ipop-$1.yaml" <<YAML
node:
  name: bench-$1
  privateKeyFile: $work/ipop-$1.key
interface:
  name: ipb$tag$1
  addresses: [$2/24]
  mtu: 1420
listen:
  port: 51820
suite: aes256gcm
dataplane:
  countersFile: $work/ipop-$1.counters
  aeronDirectory: /dev/shm/ipopt-bench-$tag-$1
peers:
  - name: bench-$3
    publicKey: $(wg pubkey <"$work/ipop-$3.key")
    endpoint: $5:51820
    allowedAddresses: [$4/32]
YAML
}
ipop_config a 192.0.2.1 b 192.0.2.2 198.51.100.2
ipop_config b 192.0.2.2 a 192.0.2.1 198.51.100.1
spawn ipop-a.log ip netns exec "$nsA" ./ipop up --foreground --config "$work/ipop-a.yaml"
spawn ipop-b.log ip netns exec "$nsB" ./ipop up --foreground --config "$work/ipop-b.yaml"
wait_for "the IPOP nodes' handshake" 90 in_a ping -c 1 -W 1 192.0.2.2 || { cat "$work"/ipop-*.log >&2; exit 1; }

# wireguard-go, one process per namespace, keys fresh for this run.
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
spawn wg-a.log ip netns exec "$nsA" wireguard-go -f "$wgA"
spawn wg-b.log ip netns exec "$nsB" wireguard-go -f "$wgB"
wait_for "wireguard-go" 20 test -S "/var/run/wireguard/$wgA.sock" -a -S "/var/run/wireguard/$wgB.sock" \
  || { cat "$work"/wg-*.log >&2; exit 1; }
(umask 077; wg genkey >"$work/wg-a.key"; wg genkey >"$work/wg-b.key")
in_a wg set "$wgA" listen-port 51900 private-key "$work/wg-a.key" \
  peer "$(wg pubkey <"$work/wg-b.key")" endpoint 198.51.100.2:51900 allowed-ips 203.0.113.2/32
in_b wg set "$wgB" listen-port 51900 private-key "$work/wg-b.key" \
  peer "$(wg pubkey <"$work/wg-a.key")" endpoint 198.51.100.1:51900 allowed-ips 203.0.113.1/32
in_a ip addr add 203.0.113.1/24 dev "$wgA"
in_b ip addr add 203.0.113.2/24 dev "$wgB"
in_a ip link set "$wgA" up
in_b ip link set "$wgB" up

# Servers in B, one iperf3 and one sockperf for all targets (the tests run one at a time).
spawn iperf3-server.log ip netns exec "$nsB" iperf3 -s -p 5201
spawn sockperf-server.log ip netns exec "$nsB" sockperf sr -i 0.0.0.0 -p 11111
wait_for "iperf3 server" 10 in_b sh -c 'ss -ltn | grep -q ":5201 "'

targets=(raw ipop wireguard-go)
declare -A address=([raw]=198.51.100.2 [ipop]=192.0.2.2 [wireguard-go]=203.0.113.2)
for t in "${targets[@]}"; do
  wait_for "ping over $t" 20 in_a ping -c 1 -W 1 "${address[$t]}" || { cat "$work"/*.log >&2; exit 1; }
done

mkdir -p perf/results
results="perf/results/${section:-bench-last}.tsv"
printf 'round\ttarget\tmetric\tvalue\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }

# iperf3 client; prints the JSON or nothing on failure (the round then lacks that figure).
iperf() {
  local out="$work/iperf.json"
  if in_a iperf3 -J "$@" >"$out" 2>/dev/null; then cat "$out"; else
    echo "  iperf3 $* failed: $(jq -r '.error // empty' "$out" 2>/dev/null)" >&2
  fi
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "Measuring: $rounds rounds of ${seconds} s tests over ${targets[*]} ..."
for round in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    a=${address[$t]}
    json=$(iperf -c "$a" -t "$seconds")
    [ -n "$json" ] && record "$round" "$t" tcp1 "$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$json")"
    json=$(iperf -c "$a" -t "$seconds" -P 4)
    [ -n "$json" ] && record "$round" "$t" tcp4 "$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$json")"
    json=$(iperf -c "$a" -t "$seconds" -u -b "$udp_rate" -l 1400)
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
    echo "  round $round $t: $(awk -F'\t' -v r="$round" -v t="$t" '$1==r && $2==t {printf "%s=%.3g ", $3, $4}' "$results")"
  done
done

# Other tenants' load is part of the result on a shared machine: show it beside the figures.
conditions="kernel $(uname -r), load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after"
"$JAVA_HOME/bin/java" -cp "$report_cp" net.ipop.perf.bench.BenchReport \
  "$results" "$command_line" "$conditions" "${section:+docs/performance.md}" "$section"
