#!/usr/bin/env bash
# Runs every JMH benchmark of the perf module, one group per section of docs/performance.md, each
# with -prof gc (allocation per operation).
#   perf/jmh-all.sh [--quick] [--docs] [--only SECTION[,SECTION...]]
# --quick: one fork, one short warm-up and two short measurements per benchmark (a few minutes in
#          all; for checking a change, not for the docs).
# --docs:  each group also replaces its section of docs/performance.md (via perf/jmh.sh
#          --section), with the exact command that produced it, and its raw figures to
#          perf/results/<section>.csv. Without it, they go only to perf/results/<section>-last.csv
#          (not tracked) and the terminal.
# jmh-tun needs root (it makes a network namespace); without root it is skipped, and said so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=0
docs=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --docs) docs=1; shift ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: perf/jmh-all.sh [--quick] [--docs] [--only SECTION[,SECTION...]]" >&2; exit 2 ;;
  esac
done

# section | benchmark selection and arguments | timing of the full run (empty: the benchmark's own
# annotations). --quick replaces the timing: JMH refuses an option given twice.
groups=(
  "jmh-crypto|net.ipop.perf.crypto.Aead -prof net.ipop.perf.crypto.ThreadCpuProfiler|-f 1 -wi 5 -i 3 -w 1s -r 1s"
  "jmh-handshake|HandshakeBenchmark|"
  "jmh-tun|TunIoBench|"
  "jmh-handoff|RingHandoffBenchmark|"
  "jmh-route|RouteLookupBenchmark|"
  "jmh-packet|HeaderParseBenchmark|"
  "jmh-ffm|FfmCallBenchmark|"
  "jmh-counters|CountersBenchmark|"
  "jmh-scale|PeerScaleBenchmark|"
)
quick_timing="-f 1 -wi 1 -i 2 -w 500ms -r 500ms"

# One build for all groups; perf/jmh.sh then skips its own.
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -pl perf -am package
export IPOP_PERF_BUILT=1

failed=()
for g in "${groups[@]}"; do
  IFS='|' read -r section args timing <<<"$g"
  if [ -n "$only" ] && [[ ",$only," != *",$section,"* ]]; then continue; fi
  if [ "$section" = jmh-tun ] && [ "$(id -u)" -ne 0 ]; then
    echo "== $section: skipped (needs root for its network namespace)"
    continue
  fi
  [ "$quick" = 1 ] && timing=$quick_timing
  args="$args${timing:+ $timing}"
  echo "== $section: $args -prof gc"
  # shellcheck disable=SC2086
  if [ "$docs" = 1 ]; then
    perf/jmh.sh --section "$section" $args -prof gc || failed+=("$section")
  else
    perf/jmh.sh --results "$section-last" $args -prof gc || failed+=("$section")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
