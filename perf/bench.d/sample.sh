# Sourced by perf/bench.sh: CPU time and memory of a VPN's processes, from /proc.

clock_ticks=$(getconf CLK_TCK)

# The given pids and all their descendants (IPOP's node daemon starts its data-plane process).
process_tree() {
  [ $# -eq 0 ] && return 0
  ps -e -o pid=,ppid= | awk -v roots="$*" '
    { parent[$1] = $2 }
    END {
      n = split(roots, r, " ")
      for (i = 1; i <= n; i++) keep[r[i]] = 1
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) if (p in parent) printf "%s ", p
    }'
}

# Sum of utime + stime (clock ticks, all threads) of the given processes. The command name in
# /proc/PID/stat may hold spaces, so the fields are counted after its closing parenthesis.
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Sum of one /proc/PID/status field in KiB (VmRSS: resident now; VmHWM: the peak) over the processes.
memory_kib() {
  local field=$1; shift
  local p
  for p in "$@"; do cat "/proc/$p/status" 2>/dev/null; done | awk -v f="$field:" '$1 == f { s += $2 } END { print s + 0 }'
}

# How many TUN queues the given processes hold open: their file descriptors on /dev/net/tun. For
# IPOP this is the number of queues the data plane really opened, whatever the config asked for.
tun_queues() {
  local n=0 p
  for p in "$@"; do
    n=$((n + $(ls -l "/proc/$p/fd" 2>/dev/null | grep -c '/dev/net/tun' || true)))
  done
  echo "$n"
}
