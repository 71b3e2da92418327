#!/usr/bin/env bash
# Regenerates the overlay figures of docs/performance.md from one run on this machine:
#   perf/overlay-figures.sh [--no-sixteen] [--tests SELECTION]
# Runs, in network namespaces, OverlayNatTest (two `ipop up` overlay nodes on one LAN, behind
# endpoint-independent NATs with STUN, behind symmetric NATs through TURN: time to the first ping
# reply and a 3 s iperf3 over each path; section overlay-startup), TopologyTest (8 nodes as a ring
# and as a mesh, a ninth joining: section convergence-8; and, unless --no-sixteen, 16 nodes as a
# ring, 32 JVMs: section convergence-16) and IdleFootprintTest (CPU and resident memory of an idle
# node's two JVMs over 60 s: section idle-footprint). Each test replaces its section (between
# <!-- BEGIN name --> and <!-- END name -->) with this command line; a failed test leaves its
# section as it was. --tests runs a subset (surefire's -Dtest syntax), e.g.
# --tests 'TopologyTest#sixteenNodesConvergeAsARing' regenerates only convergence-16. Needs root; takes ~15 minutes on 2 cores, more under load.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="perf/overlay-figures.sh${*:+ $*}"
sixteen=true
tests='OverlayNatTest,TopologyTest,IdleFootprintTest'
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sixteen) sixteen=false; shift ;;
    --tests) tests="${2:-}"; shift 2 ;;
    *) echo "usage: perf/overlay-figures.sh [--no-sixteen] [--tests SELECTION]" >&2; exit 2 ;;
  esac
done
[ -n "$tests" ] || { echo "--tests needs a selection" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "perf/overlay-figures.sh needs root (network namespaces, TUN devices)" >&2
  exit 1
fi
bash ci/install-deps.sh
. ci/find-jdk.sh
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true"

# -am builds what control-plane needs; -Dtest selects only these tests in every module. The generated
# sections go through ReliabilityReport, which writes the document its property names.
mvn -B -ntp -Dstyle.color=never -pl control-plane -am verify -Dipop.fuzz.skip=true \
  -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dipop.topology.sixteen="$sixteen" -Dipop.perf.idle=true \
  -Dipop.reliability.doc="$root/docs/performance.md" -Dipop.reliability.command="$command_line"
echo "Figures written to docs/performance.md"
