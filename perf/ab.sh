#!/usr/bin/env bash
# A/B of two IPOP builds: both run side by side (aes256gcm, 1 queue) in the same two namespaces
# joined by one veth pair, next to the raw veth, measured in interleaved rounds (old, new, raw), so
# load from other tenants hits both builds alike. As root:
#   perf/ab.sh OLD_ROOT NEW_ROOT [ROUNDS] [BYTES]
# where each root is a built source tree (e.g. `git archive <rev> | tar -x -C /tmp/x`, then
# `./ipop --help` there builds it). Per round and target: one single-stream `iperf3 -n BYTES`, the
# receiver's throughput, and the CPU (utime + stime, both ends, node daemon and data plane) its
# processes spent on it, per GB received. One unrecorded run per target first (JIT warm-up).
# UDP=RATE measures iperf3 UDP instead (-u -b RATE, iperf3's own datagram size, the path's MSS, so
# nothing is fragmented): what the receiver got, and the CPU per GB it got.
# PERF="old new" afterwards records a profile of each build's data planes during a 14 s run
# (perf record -g, JIT frames named via jcmd Compiler.perfmap) into /tmp/perf-<target>.{data,txt}.
# Prints a table; nothing is written to docs/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/ci/find-jdk.sh"
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) rounds=${3:-3} bytes=${4:-2G}
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
nsA=ipopt-ab-a-$tag nsB=ipopt-ab-b-$tag
work=$(mktemp -d /tmp/ipop-ab.XXXXXX)
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 3
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ns in $nsA $nsB; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -KILL $p 2>/dev/null; done
    ip netns del $ns 2>/dev/null
  done
  rm -f /run/ipop/ipab"$tag"* 2>/dev/null
  rm -rf /dev/shm/ipopt-ab-"$tag"-* "$work"
}
trap cleanup EXIT
ip netns add $nsA; ip netns add $nsB
ip link add va$tag netns $nsA type veth peer name vb$tag netns $nsB
ip -n $nsA addr add 198.51.100.1/24 dev va$tag; ip -n $nsB addr add 198.51.100.2/24 dev vb$tag
for ns in $nsA $nsB; do ip -n $ns link set lo up; done
ip -n $nsA link set va$tag up; ip -n $nsB link set vb$tag up

conf() { # dir side own peer peer_addr underlay k
  cat >"$1/$2.yaml" <<YAML
node:
  name: ab-$2
  privateKeyFile: $1/$2.key
interface:
  name: ipab$tag$7$2
  addresses: [$3/28]
  mtu: 1420
  queues: 1
listen:
  port: $((51820 + $7))
suite: aes256gcm
dataplane:
  countersFile: $1/$2.counters
  aeronDirectory: /dev/shm/ipopt-ab-$tag-$7-$2
peers:
  - name: ab-$4
    publicKey: $(wg pubkey <"$1/$4.key")
    endpoint: $6:$((51820 + $7))
    allowedAddresses: [$5/32]
YAML
}
declare -A tpids addr
start() { # name root k
  local d=$work/$1 a=192.0.2.$((16 * $3 + 1)) b=192.0.2.$((16 * $3 + 2))
  mkdir -p $d; (umask 077; wg genkey >$d/a.key; wg genkey >$d/b.key)
  conf $d a $a b $b 198.51.100.2 $3; conf $d b $b a $a 198.51.100.1 $3
  (cd $2 && exec ip netns exec $nsA ./ipop up --foreground --config $d/a.yaml) >$work/$1-a.log 2>&1 &
  pids+=($!); tpids[$1]=$!
  (cd $2 && exec ip netns exec $nsB ./ipop up --foreground --config $d/b.yaml) >$work/$1-b.log 2>&1 &
  pids+=($!); tpids[$1]+=" $!"
  addr[$1]=$b
}
start old $old 0
start new $new 1
addr[raw]=198.51.100.2
ip netns exec $nsB iperf3 -s -D --pidfile $work/iperf.pid >/dev/null
for t in old new; do
  for i in $(seq 1 120); do
    ip netns exec $nsA ping -c1 -W1 ${addr[$t]} >/dev/null 2>&1 && break
    sleep 1
  done
done
descendants() { local p; for p in "$@"; do echo $p; descendants $(ps -o pid= --ppid $p 2>/dev/null); done; }
ticks() { # sum utime+stime of the target's process trees
  local t=0 p
  for p in $(descendants ${tpids[$1]}); do
    [ -r /proc/$p/stat ] || continue
    t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
  done
  echo $t
}
hz=$(getconf CLK_TCK)
run() { # target -> "gbps cpu_s_per_GB"
  local before after j
  [ $1 = raw ] || before=$(ticks $1)
  j=$(ip netns exec $nsA iperf3 -c ${addr[$1]} -n $bytes ${UDP:+-u -b $UDP} -J) || { echo "iperf3 failed: $(jq -r .error <<<"$j")" >&2; tail -5 $work/$1-a.log >&2; }
  [ $1 = raw ] || after=$(ticks $1)
  local bps=$(jq '.end.sum_received.bits_per_second' <<<"$j") recvd=$(jq '.end.sum_received.bytes' <<<"$j")
  if [ $1 = raw ]; then
    awk -v b=$bps 'BEGIN{printf "%.2f -\n", b/1e9}'
  else
    awk -v b=$bps -v r=$recvd -v d=$((after - before)) -v hz=$hz 'BEGIN{printf "%.2f %.3f\n", b/1e9, d/hz/(r/1e9)}'
  fi
}
for t in old new raw; do run $t >/dev/null; done   # warm-up: JIT
printf "round target Gbit/s cpu_s_per_GB\n"
for r in $(seq 1 $rounds); do
  for t in old new raw; do
    printf "%s %s %s\n" $r $t "$(run $t)"
  done
done
if [ -n "${PERF:-}" ]; then
  for t in $PERF; do
    dps=$(for p in $(descendants ${tpids[$t]}); do grep -qa DataPlaneMain /proc/$p/cmdline 2>/dev/null && echo $p; done | paste -sd,)
    ip netns exec $nsA iperf3 -c ${addr[$t]} -t 14 >/dev/null &
    ip=$!
    sleep 3
    for p in ${dps//,/ }; do $JAVA_HOME/bin/jcmd $p Compiler.perfmap >/dev/null 2>&1 || true; done
    perf record -F 499 -g -p $dps -o /tmp/perf-$t.data -- sleep 8 >/dev/null 2>&1
    for p in ${dps//,/ }; do $JAVA_HOME/bin/jcmd $p Compiler.perfmap >/dev/null 2>&1 || true; done
    wait $ip || echo "iperf3 for perf failed" >&2
    perf report -i /tmp/perf-$t.data --no-children --sort sym -g none --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40 > /tmp/perf-$t.txt
  done
fi
kill $(cat $work/iperf.pid) 2>/dev/null || true
